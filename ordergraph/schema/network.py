"""The payloads of the network mutations (resolvers/network.py)."""

from __future__ import annotations

import strawberry

from ordergraph.schema.errors import UserError
from ordergraph.schema.types import Location, Sku, StockLevel


@strawberry.type
class LocationUpsertPayload:
    location: Location | None
    user_errors: list[UserError]


@strawberry.type
class SkuUpsertPayload:
    sku: Sku | None
    user_errors: list[UserError]


@strawberry.type
class Lane:
    from_: strawberry.ID = strawberry.field(name="from")
    to: strawberry.ID
    carrier: str
    service: str
    transit_days: int
    base_cost: float
    cost_per_kg: float


@strawberry.type
class LaneUpsertPayload:
    lane: Lane | None
    user_errors: list[UserError]


@strawberry.type
class Region:
    id: strawberry.ID
    country: str
    postal_prefix: str
    lat: float
    lon: float


@strawberry.type
class RegionUpsertPayload:
    region: Region | None
    user_errors: list[UserError]


@strawberry.type
class InventorySetPayload:
    stock: StockLevel | None
    user_errors: list[UserError]
    rerouted: int = strawberry.field(
        default=0,
        description="Reserved units the new on-hand no longer backs that another location took.",
    )
    backordered: int = strawberry.field(
        default=0,
        description="Reserved units the new on-hand no longer backs that now wait for stock.",
    )
    affected_orders: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Orders whose reservations were re-routed or backordered."
    )


@strawberry.type
class InventoryAdjustPayload(InventorySetPayload):
    """The same answer as ``inventorySet``'s: the position and what its new count did."""
