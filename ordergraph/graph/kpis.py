"""Cypher of the KPI read: the orders placed in a window (optionally of one channel), each with
its lines' totals, its fulfillments (units, cost, stamps, location coordinates), its returns and
its region's centroid, in one statement (records in ``graph/records/kpis.py``).

Instants are compared as epoch milliseconds on the indexed ``placedAtMs`` (graph/orders.py
``order_page`` says why)."""

from __future__ import annotations

from ordergraph.graph.orders import ORDER
from ordergraph.graph.records.kpis import KpiOrder
from ordergraph.graph.store import GraphStore

ORDERS_PLACED = f"""
MATCH (o:Order) WHERE o.placedAtMs >= $from AND o.placedAtMs < $to
  AND ($channel IS NULL OR o.channel = $channel)
OPTIONAL MATCH (r:Region {{id: o.region}})
RETURN {ORDER} AS o, r.lat AS regionLat, r.lon AS regionLon,
  reduce(t = 0, q IN [(o)-[:HAS_LINE]->(ol:OrderLine) | ol.quantity] | t + q) AS ordered,
  reduce(t = 0, q IN [(o)-[:HAS_LINE]->(ol:OrderLine) | coalesce(ol.cancelled, 0)] | t + q)
    AS cancelled,
  [(o)-[:HAS_FULFILLMENT]->(f:Fulfillment)-[:FROM]->(l:Location) |
    f {{.id, .locationId, .status, .cost, .shippedAt, .deliveredAt, lat: l.lat, lon: l.lon,
        units: reduce(t = 0, q IN [(f)-[s:SHIPS]->(:OrderLine) | s.quantity] | t + q)}}]
    AS fulfillments,
  size([(o)-[:HAS_RETURN]->(rt:Return) | rt.id]) AS returns
ORDER BY o.placedAtMs, o.id
"""


async def orders_placed(
    store: GraphStore, from_ms: int, to_ms: int, channel: str | None
) -> list[KpiOrder]:
    """The orders placed in [from_ms, to_ms), oldest first."""
    rows = await store.read(ORDERS_PLACED, {"from": from_ms, "to": to_ms, "channel": channel})
    return [KpiOrder.from_row(row) for row in rows]
