"""Cypher for the store floor: a store's open work, and the returns coming to it."""

from __future__ import annotations

from ordergraph.graph.orders import FULFILLMENT
from ordergraph.graph.records.picking import WorkItem
from ordergraph.graph.records.returns import ReturnRecord
from ordergraph.graph.returns import RETURN
from ordergraph.graph.store import GraphStore

MAX_WORK = 500

STORE_WORK = f"""
MATCH (:Location {{id: $location}})<-[:FROM]-(f:Fulfillment)
WHERE f.status IN ['OPEN', 'RELEASED']
MATCH (o:Order)-[:HAS_FULFILLMENT]->(f)
RETURN {FULFILLMENT} AS f,
  [(f)-[sh:SHIPS]->(ol:OrderLine) | {{line: ol.id, sku: ol.sku, quantity: sh.quantity}}] AS lines,
  o.id AS orderId, o.pickupAt AS pickupAt, o.placedAt AS placedAt, o.promisedBy AS promisedBy
LIMIT $limit
"""

RETURNS_TO = f"""
MATCH (:Location {{id: $location}})<-[:TO]-(rt:Return)
WHERE rt.status IN $statuses
RETURN {RETURN} AS r
LIMIT $limit
"""


async def store_work(store: GraphStore, location: str) -> list[WorkItem]:
    """The open fulfillments at ``location`` (at most ``MAX_WORK``), unordered."""
    rows = await store.read(STORE_WORK, {"location": location, "limit": MAX_WORK})
    return [WorkItem.from_row(row) for row in rows]


async def returns_to(store: GraphStore, location: str, statuses: list[str]) -> list[ReturnRecord]:
    rows = await store.read(
        RETURNS_TO, {"location": location, "statuses": statuses, "limit": MAX_WORK}
    )
    return [ReturnRecord.from_row(row["r"]) for row in rows]
