"""The payloads of the network mutations (resolvers/network.py)."""

from __future__ import annotations

import strawberry

from ordergraph.graph.records.catalog import ChannelRecord
from ordergraph.schema.errors import UserError
from ordergraph.schema.types import Location, Sku, StockLevel


@strawberry.type(description="Where a channel may sell from: null lists mean any.")
class ChannelSourcing:
    locations: list[strawberry.ID] | None
    kinds: list[str] | None
    exclude_tags: list[str]


@strawberry.type(
    description="A sales channel and its sourcing rules (docs/channel-atp.md): where it sells "
    "from, the share of each position's shared stock it may sell, the buffer held back from it."
)
class Channel:
    id: strawberry.ID
    name: str | None
    kind: str | None
    partial_policy: str | None
    routing_policy: str | None
    sourcing: ChannelSourcing
    buffer_units: int
    share_percent: int
    sell_inbound: bool
    allow_backorder: bool
    rules_version: int = strawberry.field(
        description="Raised by every change of the rules; orders record the one they were "
        "placed under (Order.channelRulesVersion)."
    )
    batch_window_seconds: int = strawberry.field(
        default=0,
        description="Orders wait this many seconds at most for a batch allocation wave "
        "(0 = routed at once). docs/allocation.md",
    )

    @classmethod
    def from_record(cls, rec: ChannelRecord) -> Channel:
        s = rec.rules.sourcing
        return cls(
            id=strawberry.ID(rec.id),
            name=rec.name,
            kind=rec.kind,
            partial_policy=rec.partial_policy,
            routing_policy=rec.routing_policy,
            sourcing=ChannelSourcing(
                locations=None
                if s.locations is None
                else [strawberry.ID(i) for i in sorted(s.locations)],
                kinds=None if s.kinds is None else sorted(s.kinds),
                exclude_tags=sorted(s.exclude_tags),
            ),
            buffer_units=rec.rules.buffer_units,
            share_percent=rec.rules.share_percent,
            sell_inbound=rec.rules.sell_inbound,
            allow_backorder=rec.allows_backorder,
            rules_version=rec.rules_version,
            batch_window_seconds=rec.batch_window_s,
        )


@strawberry.type
class StockProtectionSetPayload:
    stock: StockLevel | None
    user_errors: list[UserError]


@strawberry.type
class ChannelUpsertPayload:
    channel: Channel | None
    user_errors: list[UserError]


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
