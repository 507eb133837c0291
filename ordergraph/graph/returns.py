"""Cypher for returns: where a return may go, and reading returns."""

from __future__ import annotations

from collections.abc import Sequence

from ordergraph.graph.catalog import LOCATION
from ordergraph.graph.records.returns import ReturnPlaces, ReturnRecord
from ordergraph.graph.store import GraphStore

RETURN = (
    "rt {.id, .orderId, .locationId, .status, .reason, .createdAt, .receivedAt, .lines, "
    ".received, .refundAmount, .refundCurrency, .refundStatus, .trackingNumber, .labelUrl, "
    ".labelFormat}"
)

RETURN_PLACES = f"""
OPTIONAL MATCH (r:Region {{id: $region}})
OPTIONAL MATCH (p:Location {{id: $pickup}})
WITH r, p
MATCH (l:Location)
WHERE l.active = true AND l.acceptsReturns = true
RETURN {LOCATION} AS location, r {{.lat, .lon}} AS region, p {{.lat, .lon}} AS pickup
"""


async def return_places(store: GraphStore, region: str | None, pickup: str | None) -> ReturnPlaces:
    """Every active location that accepts returns, with the point the order was delivered to:
    its pickup store's, else its ship-to region's centroid."""
    rows = await store.read(RETURN_PLACES, {"region": region or "", "pickup": pickup or ""})
    return ReturnPlaces.from_rows(rows)


async def returns_of_order(store: GraphStore, order_ids: Sequence[str]) -> list[list[ReturnRecord]]:
    """Each order's returns, oldest first."""
    rows = await store.read(
        f"UNWIND $ids AS id MATCH (o:Order {{id: id}})-[:HAS_RETURN]->(rt:Return) "
        f"RETURN id, {RETURN} AS r",
        {"ids": list(order_ids)},
    )
    grouped: dict[str, list[ReturnRecord]] = {i: [] for i in order_ids}
    for row in rows:
        grouped[row["id"]].append(ReturnRecord.from_row(row["r"]))
    for items in grouped.values():
        items.sort(key=lambda r: r.created_at)
    return [grouped[i] for i in order_ids]


async def return_by_id(store: GraphStore, return_id: str) -> ReturnRecord | None:
    rows = await store.read(
        f"MATCH (rt:Return {{id: $id}}) RETURN {RETURN} AS r", {"id": return_id}
    )
    return ReturnRecord.from_row(rows[0]["r"]) if rows else None


async def ensure_stock_positions(store: GraphStore, rows: Sequence[tuple[str, str]]) -> None:
    """Create empty stock positions (idempotent) so that a restock can add to them."""
    if rows:
        await store.write(
            "UNWIND $rows AS r MATCH (l:Location {id: r.location}) MATCH (k:Sku {id: r.sku}) "
            "MERGE (l)-[s:STOCKS]->(k) "
            "ON CREATE SET s.onHand = 0, s.reserved = 0, s.safetyStock = 0 "
            "RETURN count(s) AS n",
            {"rows": [{"location": loc, "sku": sku} for loc, sku in rows]},
        )
