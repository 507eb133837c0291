"""Cypher for the operations console (ordergraph/web/console/): order search, the network's
load, and the reads of the exception queue. Reads only; the console's actions go through the
services every other entry point uses."""

from __future__ import annotations

from ordergraph.graph.catalog import LOCATION
from ordergraph.graph.orders import FULFILLMENT, ORDER
from ordergraph.graph.records.console import (
    BackorderedLine,
    ExceptionDigest,
    LateFulfillment,
    LocationLoad,
)
from ordergraph.graph.records.orders import OrderRecord
from ordergraph.graph.store import GraphStore

# one indexed lookup per key an operator may type; the same order found twice is one answer
# (each lookup collected apart: FalkorDB 4.16 answers null for `list + collect(...)` when the
# second OPTIONAL MATCH finds nothing)
FIND_ORDERS = f"""
OPTIONAL MATCH (a:Order {{id: $text}})
WITH collect(a) AS a
OPTIONAL MATCH (b:Order {{externalId: $text}})
WITH a, collect(b) AS b
OPTIONAL MATCH (c:Order {{customerEmail: $email}})
WITH a, b, collect(c) AS c
OPTIONAL MATCH (d:Order {{shipToPostalCode: $postal}})
WITH a, b, c, collect(d) AS d
UNWIND a + b + c + d AS o
WITH DISTINCT o
RETURN {ORDER} AS o ORDER BY o.placedAtMs DESC, o.id DESC LIMIT $limit
"""


async def find_orders(
    store: GraphStore, text: str, email: str, postal: str, limit: int
) -> list[OrderRecord]:
    """Orders whose id or external id is ``text``, whose customer e-mail is ``email`` or whose
    ship-to postal code is ``postal`` (all normalised by the caller), newest first."""
    rows = await store.read(
        FIND_ORDERS, {"text": text, "email": email, "postal": postal, "limit": limit}
    )
    return [OrderRecord.from_row(row["o"]) for row in rows]


NETWORK_LOAD = f"""
MATCH (l:Location)
OPTIONAL MATCH (l)-[s:STOCKS]->(k:Sku)
WITH l, sum(coalesce(s.onHand, 0)) AS onHand, sum(coalesce(s.reserved, 0)) AS reserved,
     collect(CASE WHEN s IS NOT NULL
                   AND coalesce(s.onHand, 0) - coalesce(s.reserved, 0)
                       - coalesce(s.safetyStock, 0) <= 0 THEN k.id END) AS out
OPTIONAL MATCH (l)<-[:FROM]-(f:Fulfillment)
WHERE f.status IN ['OPEN', 'RELEASED']
RETURN {LOCATION} AS l, onHand, reserved, out, count(f) AS open
ORDER BY l.id
"""


async def network_load(store: GraphStore) -> list[LocationLoad]:
    return [LocationLoad.from_row(row) for row in await store.read(NETWORK_LOAD, {})]


BACKORDERED = """
MATCH (o:Order)-[:HAS_LINE]->(ol:OrderLine)
WHERE ol.backordered > 0 AND o.status <> 'CANCELLED'
OPTIONAL MATCH (ol)<-[:SHIPS]-(f:Fulfillment {status: 'REJECTED'})
WITH o, ol, count(f) AS rejections
WHERE o.placedAtMs < $before OR rejections >= $cap
RETURN o.id AS orderId, o.placedAt AS placedAt, ol.id AS lineId, ol.sku AS sku,
       ol.backordered AS backordered, rejections
ORDER BY o.placedAtMs, o.id, ol.id LIMIT $limit
"""


async def backordered_lines(
    store: GraphStore, *, before_ms: int, cap: int, limit: int
) -> list[BackorderedLine]:
    """Backordered lines of orders placed before ``before_ms``, or rejected ``cap`` times or
    more (however young), oldest order first."""
    rows = await store.read(BACKORDERED, {"before": before_ms, "cap": cap, "limit": limit})
    return [BackorderedLine.from_row(row) for row in rows]


LATE = f"""
MATCH (o:Order)-[:HAS_FULFILLMENT]->(f:Fulfillment)
WHERE (f.status IN ['OPEN', 'RELEASED'] AND f.shipBy < $today)
   OR (f.status = 'SHIPPED' AND f.estimatedDelivery < $today)
RETURN o.id AS orderId, {FULFILLMENT} AS f,
       [(f)-[sh:SHIPS]->(ol:OrderLine) | {{sku: ol.sku, quantity: sh.quantity, line: ol.id}}]
       AS lines
ORDER BY f.shipBy, f.id LIMIT $limit
"""


async def late_fulfillments(store: GraphStore, today: str, limit: int) -> list[LateFulfillment]:
    """Fulfillments not shipped by their ship-by day, or shipped and not delivered by their
    estimated delivery day, before ``today`` (an ISO date)."""
    rows = await store.read(LATE, {"today": today, "limit": limit})
    return [LateFulfillment.from_row(row) for row in rows]


DIGEST = """
OPTIONAL MATCH (f:IngestionFailure {status: 'OPEN'})
WITH count(f) AS failures, coalesce(max(f.receivedAtMs), 0) + coalesce(sum(f.attempts), 0)
     AS failuresSeen
OPTIONAL MATCH (d:Delivery {status: 'DEAD'})
RETURN failures, failuresSeen, count(d) AS dead,
       coalesce(max(d.lastAttemptAtMs), 0) + count(d) AS deadSeen
"""


async def exception_digest(store: GraphStore) -> ExceptionDigest:
    rows = await store.read(DIGEST, {})
    return ExceptionDigest.from_row(rows[0]) if rows else ExceptionDigest(0, 0, 0, 0)
