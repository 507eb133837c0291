"""Stock states beyond on-hand: setting the damaged and quality-control units of a position.

They are never part of on-hand and never available (see ``graph.stockstates``); setting them
changes no reservation, so nothing is re-routed and no backorder is served.
"""

from __future__ import annotations

from ordergraph.domain.errors import ErrorCode, ValidationError
from ordergraph.graph import catalog, stockstates
from ordergraph.graph.records.catalog import StockRecord
from ordergraph.graph.store import GraphStore

MAX_UNITS = 1_000_000_000


async def set_stock_states(
    store: GraphStore,
    location: str,
    sku: str,
    damaged: int | None,
    quality_control: int | None,
) -> StockRecord:
    """Absolute damaged and quality-control counts (at least one given; None keeps the other)."""
    if damaged is None and quality_control is None:
        raise ValidationError("give damaged, qualityControl or both", field=("damaged",))
    for name, value in (("damaged", damaged), ("qualityControl", quality_control)):
        if value is not None and not 0 <= value <= MAX_UNITS:
            raise ValidationError(f"{name} must be between 0 and {MAX_UNITS}", field=(name,))
    if not await catalog.existing_ids(store, "Location", [location]):
        raise ValidationError(
            f"unknown location {location!r}", ErrorCode.UNKNOWN_LOCATION, ("location",)
        )
    if not await catalog.existing_ids(store, "Sku", [sku]):
        raise ValidationError(f"unknown SKU {sku!r}", ErrorCode.UNKNOWN_SKU, ("sku",))
    stock = await stockstates.set_stock_states(store, location, sku, damaged, quality_control)
    if stock is None:  # deleted between the check and the write
        raise ValidationError(f"unknown location {location!r} or SKU {sku!r}", ErrorCode.NOT_FOUND)
    return stock
