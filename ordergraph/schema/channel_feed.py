"""GraphQL types of the channel stock feed out (docs/channel-atp.md, "Channel stock feeds out")."""

from __future__ import annotations

import strawberry

from ordergraph.schema.types import Connection
from ordergraph.services.channel_feed import ChannelSkuAvailability as Record


@strawberry.type(description="What a channel may be told it can sell of one SKU.")
class ChannelSkuAvailability:
    sku: strawberry.ID
    available: int = strawberry.field(
        description="The channel's available-to-promise summed over the locations of its "
        "sourcing (the same number availability(channel:) totals)."
    )
    stock_version: int = strawberry.field(
        description="The SKU's stock version the number was computed at: it moves with every "
        "change of one of the SKU's stock positions, and the "
        "channel.availability_changed events carry it (apply the highest one seen)."
    )

    @classmethod
    def from_record(cls, r: Record) -> ChannelSkuAvailability:
        return cls(sku=strawberry.ID(r.sku), available=r.available, stock_version=r.stock_version)


@strawberry.type
class ChannelAvailabilityConnection(Connection[ChannelSkuAvailability]):
    pass
