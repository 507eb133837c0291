"""Mutations that change the static network and stock positions (ERP, WMS, admin tools)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from ordergraph.domain.errors import OrderGraphError
from ordergraph.graph.records.catalog import LaneRecord, RegionRecord
from ordergraph.schema.context import Info
from ordergraph.schema.errors import UserError, user_errors
from ordergraph.schema.inputs import (
    ChannelInput,
    InventoryAdjustInput,
    InventorySetInput,
    LaneInput,
    LocationInput,
    RegionInput,
    SkuInput,
    StockProtectionSetInput,
    given,
)
from ordergraph.schema.network import (
    Channel,
    ChannelUpsertPayload,
    InventoryAdjustPayload,
    InventorySetPayload,
    Lane,
    LaneUpsertPayload,
    LocationUpsertPayload,
    Region,
    RegionUpsertPayload,
    SkuUpsertPayload,
    StockProtectionSetPayload,
)
from ordergraph.schema.permissions import require_location
from ordergraph.schema.types import Location, Sku, StockLevel
from ordergraph.services import network

R = TypeVar("R")
T = TypeVar("T")


async def attempt(
    work: Awaitable[T] | Callable[[], None], then: Callable[[], Awaitable[T]] | None = None
) -> tuple[T | None, list[UserError]]:
    """Run a service call (after a permission check, if given first); an expected failure
    becomes userErrors and nothing else."""
    try:
        # without `then`, `work` is the awaitable; with it, `work` is the (sync) permission check
        if then is None:
            return await work, []  # type: ignore[misc]
        work()  # type: ignore[operator]
        return await then(), []
    except OrderGraphError as exc:
        return None, user_errors(exc)


def _settled(change: network.StockChange | None) -> dict[str, Any]:
    """The payload of a stock change: the position, and what the count did to reservations it
    no longer backs (see services.shortfall)."""
    if change is None:
        return {"stock": None}
    return {
        "stock": StockLevel.from_record(change.stock),
        "rerouted": change.rerouted,
        "backordered": change.backordered,
        "affected_orders": [strawberry.ID(o) for o in change.affected_orders],
    }


def at_location(info: Info, location: str) -> Callable[[], None]:
    return lambda: require_location(info, location, ("location",))


def _map(record: R | None, build: Callable[[R], T]) -> T | None:
    return build(record) if record is not None else None


def _lane(rec: LaneRecord) -> Lane:
    return Lane(
        from_=strawberry.ID(rec.from_),
        to=strawberry.ID(rec.to),
        carrier=rec.carrier,
        service=rec.service,
        transit_days=rec.transit_days,
        base_cost=rec.base_cost,
        cost_per_kg=rec.cost_per_kg,
    )


def _region(rec: RegionRecord) -> Region:
    return Region(
        id=strawberry.ID(rec.id),
        country=rec.country,
        postal_prefix=rec.postal_prefix,
        lat=rec.lat,
        lon=rec.lon,
    )


@strawberry.type
class NetworkMutation:
    @strawberry.mutation(description="Create a location, or change the given fields of one.")
    async def location_upsert(self, info: Info, input: LocationInput) -> LocationUpsertPayload:
        store = info.context.store
        rec, errors = await attempt(network.upsert_location(store, given(input, input.FIELDS)))
        return LocationUpsertPayload(location=_map(rec, Location.from_record), user_errors=errors)

    @strawberry.mutation(description="Create a SKU, or change the given fields of one.")
    async def sku_upsert(self, info: Info, input: SkuInput) -> SkuUpsertPayload:
        store = info.context.store
        rec, errors = await attempt(network.upsert_sku(store, given(input, input.FIELDS)))
        return SkuUpsertPayload(sku=_map(rec, Sku.from_record), user_errors=errors)

    @strawberry.mutation(description="Create or replace the lane of one carrier service.")
    async def lane_upsert(self, info: Info, input: LaneInput) -> LaneUpsertPayload:
        store = info.context.store
        rec, errors = await attempt(network.upsert_lane(store, given(input, input.FIELDS)))
        return LaneUpsertPayload(lane=_map(rec, _lane), user_errors=errors)

    @strawberry.mutation(description="Create or replace a delivery region.")
    async def region_upsert(self, info: Info, input: RegionInput) -> RegionUpsertPayload:
        store = info.context.store
        rec, errors = await attempt(network.upsert_region(store, input.properties()))
        return RegionUpsertPayload(region=_map(rec, _region), user_errors=errors)

    @strawberry.mutation(
        description="Create a channel or change its sourcing rules (share, buffer, where it "
        "sells from); each change of the rules raises its rulesVersion."
    )
    async def channel_upsert(self, info: Info, input: ChannelInput) -> ChannelUpsertPayload:
        store = info.context.store
        rec, errors = await attempt(network.upsert_channel(store, input.document()))
        return ChannelUpsertPayload(channel=_map(rec, Channel.from_record), user_errors=errors)

    @strawberry.mutation(
        description="Hold units of a stock position for one channel (a B2B contract, a "
        "launch allocation) until a day; no other channel can sell them."
    )
    async def stock_protection_set(
        self, info: Info, input: StockProtectionSetInput
    ) -> StockProtectionSetPayload:
        rec, errors = await attempt(
            at_location(info, str(input.location)),
            lambda: network.set_protection(
                info.context.store,
                str(input.location),
                str(input.sku),
                str(input.channel),
                input.quantity,
                None if input.until is None else input.until.isoformat(),
            ),
        )
        return StockProtectionSetPayload(
            stock=_map(rec, StockLevel.from_record), user_errors=errors
        )

    @strawberry.mutation(description="Set absolute on-hand (an ERP count); reservations are kept.")
    async def inventory_set(self, info: Info, input: InventorySetInput) -> InventorySetPayload:
        rec, errors = await attempt(
            at_location(info, str(input.location)),
            lambda: network.set_inventory(
                info.context.store,
                str(input.location),
                str(input.sku),
                input.on_hand,
                input.safety_stock,
            ),
        )
        return InventorySetPayload(user_errors=errors, **_settled(rec))

    @strawberry.mutation(description="Add a delta to on-hand (a WMS movement).")
    async def inventory_adjust(
        self, info: Info, input: InventoryAdjustInput
    ) -> InventoryAdjustPayload:
        rec, errors = await attempt(
            at_location(info, str(input.location)),
            lambda: network.adjust_inventory(
                info.context.store,
                str(input.location),
                str(input.sku),
                input.delta,
            ),
        )
        return InventoryAdjustPayload(user_errors=errors, **_settled(rec))
