"""Cypher for the stock states beyond on-hand: damaged and quality-control units.

Both are counts on the ``STOCKS`` edge beside ``onHand`` (Shopify's inventory states), never part
of it and never available: ``available = onHand - reserved - safetyStock`` reads neither, so
availability, routing and the reservation statement ignore them without a change. A WMS moves
units between states by setting the numbers (a unit found damaged: on-hand one lower through a
count or a delta, damaged one higher here).
"""

from __future__ import annotations

from ordergraph.graph.catalog import STOCK_ROW
from ordergraph.graph.fragments import BUMP_STOCK_VERSION
from ordergraph.graph.records.catalog import StockRecord
from ordergraph.graph.store import GraphStore

# A null count keeps the stored one. The position is created (empty) when there is none.
SET_STOCK_STATES = (
    f"""
MATCH (l:Location {{id: $location}})
MATCH (k:Sku {{id: $sku}})
MERGE (l)-[s:STOCKS]->(k)
ON CREATE SET s.onHand = 0, s.reserved = 0, s.safetyStock = 0
SET s.damaged = coalesce($damaged, s.damaged, 0),
    s.qualityControl = coalesce($qualityControl, s.qualityControl, 0), {BUMP_STOCK_VERSION}
"""
    + STOCK_ROW
)


async def set_stock_states(
    store: GraphStore,
    location_id: str,
    sku_id: str,
    damaged: int | None,
    quality_control: int | None,
) -> StockRecord | None:
    """Set the damaged and quality-control counts of a position (None keeps one); the position
    as it now is, or None when the location or the SKU is not there."""
    rows = await store.write(
        SET_STOCK_STATES,
        {
            "location": location_id,
            "sku": sku_id,
            "damaged": damaged,
            "qualityControl": quality_control,
        },
    )
    return StockRecord.from_row(rows[0]) if rows else None
