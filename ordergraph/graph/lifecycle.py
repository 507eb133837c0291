"""Cypher for the order lifecycle: read an order's whole state, apply a Change atomically.

``APPLY_CHANGE`` is the general form of the reserve-and-create statement (see graph/orders.py and
CYPHER.md): it takes the write locks on the order, the stock positions and the capacity days it
touches, decides ``ok`` (the order's version is the one read; every reservation it adds is still
available; on-hand and reserved never go below zero; capacity is left), applies the stock deltas
only when ok, and then every property update, new fulfillment and event. When not ok it returns no
row and changes nothing, and the service reads again and decides again.
"""

from __future__ import annotations

from typing import Any

from ordergraph.graph.orders import FULFILLMENT, LINE, NEW_FULFILLMENTS, ORDER
from ordergraph.graph.store import GraphStore, Row

ORDER_STATE = f"""
MATCH (o:Order {{id: $id}})
OPTIONAL MATCH (o)-[:HAS_FULFILLMENT]->(f:Fulfillment)
WITH o, f, CASE WHEN f IS NULL THEN [] ELSE
  [(f)-[sh:SHIPS]->(x:OrderLine) | {{line: x.id, quantity: sh.quantity}}] END AS ships
WITH o, collect(CASE WHEN f IS NULL THEN null ELSE {{f: {FULFILLMENT}, ships: ships}} END) AS fulfillments
RETURN {ORDER} AS o,
  [(o)-[:HAS_LINE]->(ol:OrderLine) | {LINE.replace(".position}", ".position, .returned}")}] AS lines,
  fulfillments
"""


async def order_state(store: GraphStore, order_id: str) -> Row | None:
    rows = await store.read(ORDER_STATE, {"id": order_id})
    return rows[0] if rows else None


APPLY_CHANGE = (
    """
UNWIND $capacity AS c
MERGE (cd:CapacityDay {id: c.key})
ON CREATE SET cd.used = 0, cd.day = c.day, cd.location = c.location
SET cd._lock = true
WITH collect({d: cd, limit: c.limit}) AS caps
MATCH (o:Order {id: $orderId})
SET o._lock = true
WITH o, caps, [c IN caps | c.d] AS days
UNWIND CASE WHEN size($stock) = 0 THEN [null] ELSE $stock END AS d
OPTIONAL MATCH (:Location {id: d.location})-[s:STOCKS]->(:Sku {id: d.sku})
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | SET s._lock = true)
WITH o, caps, days, collect(CASE WHEN s IS NULL THEN null ELSE {s: s, r: d.reserved, h: d.onHand} END) AS rows
WITH o, days, rows, o.version = $version AND size(rows) = size($stock)
     AND all(r IN rows WHERE r.r <= 0 OR r.s.onHand - r.s.reserved - r.s.safetyStock >= r.r)
     AND all(r IN rows WHERE r.s.onHand + r.h >= 0 AND r.s.reserved + r.r >= 0)
     AND all(c IN caps WHERE c.limit IS NULL OR c.d.used < c.limit) AS ok
UNWIND CASE WHEN size(rows) = 0 THEN [{s: null, r: 0, h: 0}] ELSE rows END AS r
WITH o, days, r.s AS s, r.r AS dr, r.h AS dh, ok
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END |
  SET s.reserved = s.reserved + CASE WHEN ok THEN dr ELSE 0 END,
      s.onHand = s.onHand + CASE WHEN ok THEN dh ELSE 0 END
  REMOVE s._lock)
WITH o, days, ok, count(*) AS locked
FOREACH (cd IN days |
  SET cd.used = cd.used + CASE WHEN ok THEN 1 ELSE 0 END
  REMOVE cd._lock)
REMOVE o._lock
WITH o, ok
UNWIND CASE WHEN ok THEN [1] ELSE [] END AS go
SET o += $order
FOREACH (e IN $events | CREATE (o)-[:HAS_EVENT]->(ev:Event) SET ev += e)
WITH o
OPTIONAL MATCH (o)-[:HAS_LINE]->(ol:OrderLine)
WITH o, collect(ol) AS ols
OPTIONAL MATCH (o)-[:HAS_FULFILLMENT]->(ef:Fulfillment)
WITH o, ols, collect(ef) AS fs
OPTIONAL MATCH (o)-[:HAS_RETURN]->(er:Return)
WITH o, ols, fs, collect(er) AS rs
OPTIONAL MATCH (loc:Location) WHERE loc.id IN $locationIds
WITH o, ols, fs, rs, collect(loc) AS locs
FOREACH (r IN $newReturns |
  CREATE (o)-[:HAS_RETURN]->(rt:Return)
  SET rt += r.props
  FOREACH (l IN [y IN locs WHERE y.id = r.location] | CREATE (rt)-[:TO]->(l)))
FOREACH (u IN $returns | FOREACH (rt IN [y IN rs WHERE y.id = u.id] | SET rt += u.props))
FOREACH (u IN $lines | FOREACH (ol IN [y IN ols WHERE y.id = u.id] | SET ol += u.props))
FOREACH (u IN $fulfillments | FOREACH (f IN [y IN fs WHERE y.id = u.id] | SET f += u.props))
FOREACH (u IN $ships |
  FOREACH (f IN [y IN fs WHERE y.id = u.fulfillment] |
    FOREACH (ol IN [y IN ols WHERE y.id = u.line] |
      MERGE (f)-[sh:SHIPS]->(ol)
      SET sh.quantity = u.quantity)))
"""
    + NEW_FULFILLMENTS
    + "RETURN o.id AS id\n"
)


async def apply_change(store: GraphStore, params: dict[str, Any]) -> bool:
    return bool(await store.write(APPLY_CHANGE, params))


BACKORDERED_ORDERS = """
UNWIND $skus AS sku
MATCH (o:Order)-[:HAS_LINE]->(ol:OrderLine {sku: sku})
WHERE ol.backordered > 0 AND o.status IN ['BACKORDERED', 'PARTIALLY_ALLOCATED']
RETURN DISTINCT o.id AS id, o.placedAtMs AS placedAtMs
ORDER BY placedAtMs, id
LIMIT $limit
"""

ALL_BACKORDERED_ORDERS = """
MATCH (o:Order)
WHERE o.status IN ['BACKORDERED', 'PARTIALLY_ALLOCATED']
RETURN o.id AS id, o.placedAtMs AS placedAtMs
ORDER BY placedAtMs, id
LIMIT $limit
"""


async def backordered_orders(store: GraphStore, skus: list[str] | None, limit: int) -> list[str]:
    """Orders waiting for stock, oldest first (first come, first served)."""
    if skus is None:
        rows = await store.read(ALL_BACKORDERED_ORDERS, {"limit": limit})
    else:
        rows = await store.read(BACKORDERED_ORDERS, {"skus": skus, "limit": limit})
    return [row["id"] for row in rows]
