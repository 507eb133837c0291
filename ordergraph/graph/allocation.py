"""Cypher for batch allocation and re-optimisation (issue #18, docs/allocation.md)."""

from __future__ import annotations

from ordergraph.graph.store import GraphStore

HELD_DUE = """
MATCH (o:Order)
WHERE o.heldUntilMs <= $nowMs
RETURN o.id AS id, o.placedAtMs AS placedAtMs
ORDER BY placedAtMs, id
LIMIT $limit
"""

# Orders with at least one OPEN (not yet released) fulfillment and none past it: what the
# re-optimiser may re-plan (a channel's, or every channel's). A pickup awaiting its transfer
# (docs/transfers.md) counts as past it: transfer-then-pickup orders are left alone.
OPEN_ORDERS = """
MATCH (o:Order)-[:HAS_FULFILLMENT]->(f:Fulfillment {status: 'OPEN'})
WHERE ($channel IS NULL OR o.channel = $channel) AND o.heldUntilMs IS NULL
WITH DISTINCT o
OPTIONAL MATCH (o)-[:HAS_FULFILLMENT]->(g:Fulfillment)
WHERE g.status IN ['RELEASED', 'SHIPPED', 'DELIVERED', 'PREORDER', 'AWAITING_TRANSFER']
WITH o, count(g) AS past
WHERE past = 0
RETURN o.id AS id, o.placedAtMs AS placedAtMs
ORDER BY placedAtMs, id
LIMIT $limit
"""


async def held_due(store: GraphStore, now_ms: int, limit: int) -> list[str]:
    """Orders held for a batch wave whose window has ended, oldest first."""
    rows = await store.read(HELD_DUE, {"nowMs": now_ms, "limit": limit})
    return [str(row["id"]) for row in rows]


async def open_orders(store: GraphStore, channel: str | None, limit: int) -> list[str]:
    """Orders whose fulfillments are all still OPEN (or done with: cancelled, rejected)."""
    rows = await store.read(OPEN_ORDERS, {"channel": channel, "limit": limit})
    return [str(row["id"]) for row in rows]
