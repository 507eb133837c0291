"""Root fields for the network and availability: decode input, call a read or service, map."""

from __future__ import annotations

import strawberry

from ordergraph.graph import catalog
from ordergraph.schema.channel_feed import ChannelAvailabilityConnection, ChannelSkuAvailability
from ordergraph.schema.context import Info
from ordergraph.schema.inputs import NearInput
from ordergraph.schema.limits import page_size
from ordergraph.schema.permissions import require_channel_in_scope
from ordergraph.schema.problems import raise_as_graphql
from ordergraph.schema.types import (
    Location,
    LocationAvailability,
    LocationConnection,
    LocationKind,
    Sku,
    SkuAvailability,
    SkuConnection,
    connection,
    decode_cursor,
    location_by_id,
)
from ordergraph.services import availability as atp
from ordergraph.services import channel_feed


def _page_args(first: int | None, after: str | None) -> tuple[int, str | None]:
    """The page size and keyset key that ``first`` and ``after`` ask for (bad ones are errors)."""
    with raise_as_graphql():
        return page_size(50 if first is None else first), decode_cursor(after) if after else None


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="A location by its business id.")
    async def location(self, info: Info, id: strawberry.ID) -> Location | None:
        return await location_by_id(info, str(id))

    @strawberry.field(description="Locations ordered by id; filter by kind.")
    async def locations(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        kind: LocationKind | None = None,
    ) -> LocationConnection:
        size, key = _page_args(first, after)
        rows = await catalog.location_page(
            info.context.store, first=size, after=key, kind=kind.value if kind else None
        )
        return connection(LocationConnection, rows, size, lambda r: r.id, Location.from_record)

    @strawberry.field(description="A SKU by its code.")
    async def sku(self, info: Info, id: strawberry.ID) -> Sku | None:
        rec = await info.context.loaders.sku.load(str(id))
        return Sku.from_record(rec) if rec else None

    @strawberry.field(description="SKUs ordered by id.")
    async def skus(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> SkuConnection:
        size, key = _page_args(first, after)
        rows = await catalog.sku_page(info.context.store, first=size, after=key)
        return connection(SkuConnection, rows, size, lambda r: r.id, Sku.from_record)

    @strawberry.field(
        description="What a channel should be told it can sell, per SKU by id: its "
        "available-to-promise across its sourcing and the SKU's stock version (the "
        "channel.availability_changed events follow it). All SKUs, or those of `skus`."
    )
    async def channel_availability(
        self,
        info: Info,
        channel: strawberry.ID,
        skus: list[strawberry.ID] | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> ChannelAvailabilityConnection:
        size, key = _page_args(first, after)
        with raise_as_graphql():
            require_channel_in_scope(info, str(channel))
            rows = await channel_feed.channel_availability(
                info.context.store,
                str(channel),
                None if skus is None else [str(s) for s in skus],
                first=size,
                after=key,
            )
        return connection(
            ChannelAvailabilityConnection,
            rows,
            size,
            lambda r: r.sku,
            ChannelSkuAvailability.from_record,
        )

    @strawberry.field(
        description="Available-to-promise per SKU: total and per location; "
        "nearest first when `near` is given."
    )
    async def availability(
        self,
        info: Info,
        skus: list[strawberry.ID],
        channel: strawberry.ID | None = None,
        near: NearInput | None = None,
        radius_km: float | None = None,
    ) -> list[SkuAvailability]:
        where = (
            atp.Near(near.postal_code, near.country, near.lat, near.lon)
            if near is not None
            else None
        )
        with raise_as_graphql():
            if channel is not None:
                require_channel_in_scope(info, str(channel))
            answer = await atp.availability(
                info.context.store,
                [str(s) for s in skus],
                where,
                radius_km,
                channel=None if channel is None else str(channel),
                cache=info.context.cache,
            )
        return [
            SkuAvailability(
                sku=strawberry.ID(item.sku),
                available=item.available,
                locations=[
                    LocationAvailability(
                        location=Location.from_record(place.location),
                        on_hand=place.on_hand,
                        reserved=place.reserved,
                        available=place.available,
                        distance_km=place.distance_km,
                        source=place,
                        damaged=place.damaged,
                        quality_control=place.quality_control,
                        preorder=place.preorder,
                        preorder_date=place.preorder_date,
                    )
                    for place in item.locations
                ],
                preorder=item.preorder,
                preorder_date=item.preorder_date,
            )
            for item in answer
        ]
