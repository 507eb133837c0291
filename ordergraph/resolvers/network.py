"""Mutations that change the static network and stock positions (ERP, WMS, admin tools)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from ordergraph.domain.errors import OrderGraphError
from ordergraph.schema.context import Info
from ordergraph.schema.errors import UserError, user_errors
from ordergraph.schema.inputs import (
    InventoryAdjustInput,
    InventorySetInput,
    LaneInput,
    LocationInput,
    RegionInput,
    SkuInput,
    given,
)
from ordergraph.schema.permissions import require_location
from ordergraph.schema.types import Location, Sku, StockLevel
from ordergraph.services import network

T = TypeVar("T")


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


@strawberry.type
class InventoryAdjustPayload:
    stock: StockLevel | None
    user_errors: list[UserError]


async def attempt(
    work: Awaitable[T] | Callable[[], None], then: Callable[[], Awaitable[T]] | None = None
) -> tuple[T | None, list[UserError]]:
    """Run a service call (after a permission check, if given first); an expected failure
    becomes userErrors and nothing else."""
    try:
        if then is None:
            return await work, []  # type: ignore[misc]
        work()  # type: ignore[operator]
        return await then(), []
    except OrderGraphError as exc:
        return None, user_errors(exc)


def at_location(info: Info, location: str) -> Callable[[], None]:
    return lambda: require_location(info, location, ("location",))


def _map(record: dict[str, Any] | None, build: Callable[[dict[str, Any]], T]) -> T | None:
    return build(record) if record is not None else None


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
        lane = _map(
            rec,
            lambda r: Lane(
                from_=r["from"],
                to=r["to"],
                carrier=r["carrier"],
                service=r["service"],
                transit_days=r["transitDays"],
                base_cost=r["baseCost"],
                cost_per_kg=r["costPerKg"],
            ),
        )
        return LaneUpsertPayload(lane=lane, user_errors=errors)

    @strawberry.mutation(description="Create or replace a delivery region.")
    async def region_upsert(self, info: Info, input: RegionInput) -> RegionUpsertPayload:
        store = info.context.store
        rec, errors = await attempt(network.upsert_region(store, given(input, input.FIELDS)))
        region = _map(
            rec,
            lambda r: Region(
                id=r["id"],
                country=r["country"],
                postal_prefix=r["postalPrefix"],
                lat=r["lat"],
                lon=r["lon"],
            ),
        )
        return RegionUpsertPayload(region=region, user_errors=errors)

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
        return InventorySetPayload(stock=_map(rec, StockLevel.from_record), user_errors=errors)

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
        return InventoryAdjustPayload(stock=_map(rec, StockLevel.from_record), user_errors=errors)
