"""GraphQL inputs for the network and stock (API.md names; fields may be added, never renamed)."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import strawberry

from ordergraph.domain.geo import region_id
from ordergraph.schema.types import LocationKind


@strawberry.input(description="Where 'near' is: a postal code (with its country) or a point.")
class NearInput:
    postal_code: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None


def given(obj: object, names: dict[str, str]) -> dict[str, Any]:
    """The fields the client set, under their graph property names (UNSET ones left out)."""
    out: dict[str, Any] = {}
    for attr, prop in names.items():
        value = getattr(obj, attr)
        if value is strawberry.UNSET:
            continue
        if isinstance(value, LocationKind):
            value = value.value
        out[prop] = value
    return out


@strawberry.input(description="Create a location, or change the fields given of an existing one.")
class LocationInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    kind: LocationKind | None = strawberry.UNSET
    lat: float | None = strawberry.UNSET
    lon: float | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET
    cutoff: str | None = strawberry.UNSET
    processing_days: int | None = strawberry.UNSET
    handling_cost: float | None = strawberry.UNSET
    daily_capacity: int | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    ship_from_store: bool | None = strawberry.UNSET
    pickup: bool | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET
    accepts_returns: bool | None = strawberry.UNSET

    FIELDS: ClassVar[dict[str, str]] = {
        "id": "id",
        "name": "name",
        "kind": "kind",
        "lat": "lat",
        "lon": "lon",
        "postal_code": "postalCode",
        "country": "country",
        "timezone": "timezone",
        "cutoff": "cutoff",
        "processing_days": "processingDays",
        "handling_cost": "handlingCost",
        "daily_capacity": "dailyCapacity",
        "tags": "tags",
        "ship_from_store": "shipFromStore",
        "pickup": "pickup",
        "active": "active",
        "accepts_returns": "acceptsReturns",
    }


@strawberry.input(description="Where a channel may sell from (null = any).")
class ChannelSourcingInput:
    locations: list[strawberry.ID] | None = None
    kinds: list[str] | None = strawberry.field(
        default=None, description="Location kinds: WAREHOUSE, STORE, DARK_STORE, DROPSHIP."
    )
    exclude_tags: list[str] | None = None


@strawberry.input(
    description="Create a channel, or change the fields given of one (a sourcing given "
    "replaces the stored one). A new channel's rules default to the whole network, share 100, "
    "buffer 0. A change of the rules raises rulesVersion."
)
class ChannelInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    kind: str | None = strawberry.UNSET
    partial_policy: str | None = strawberry.UNSET
    routing_policy: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="A shipped policy (CHEAPEST, FASTEST, FEWEST_SHIPMENTS, PREFER_STORE_EXCESS) "
        "or a stored policy's id (its ACTIVE version); an ACTIVE policy version that lists the "
        "channel routes it first (docs/routing-policies.md).",
    )
    sourcing: ChannelSourcingInput | None = strawberry.UNSET
    buffer_units: int | None = strawberry.UNSET
    share_percent: int | None = strawberry.UNSET
    sell_inbound: bool | None = strawberry.UNSET
    allow_backorder: bool | None = strawberry.UNSET
    batch_window_seconds: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="Hold the channel's orders for batch allocation waves of this many "
        "seconds (0 = route each order at once; at most 86400). docs/allocation.md",
    )

    FIELDS: ClassVar[dict[str, str]] = {
        "id": "id",
        "name": "name",
        "kind": "kind",
        "partial_policy": "partialPolicy",
        "routing_policy": "routingPolicy",
        "buffer_units": "bufferUnits",
        "share_percent": "sharePercent",
        "sell_inbound": "sellInbound",
        "allow_backorder": "allowBackorder",
        "batch_window_seconds": "batchWindowSeconds",
    }

    def document(self) -> dict[str, Any]:
        """The channel as a network file's ``channels[]`` row (null fields left out)."""
        row = {k: v for k, v in given(self, self.FIELDS).items() if v is not None}
        row["id"] = str(self.id)
        if self.sourcing:
            row["sourcing"] = {
                "locations": None
                if self.sourcing.locations is None
                else [str(i) for i in self.sourcing.locations],
                "kinds": self.sourcing.kinds,
                "excludeTags": self.sourcing.exclude_tags or [],
            }
        return row


@strawberry.input(
    description="Hold units of a position for one channel until a day: no other channel can "
    "sell them. The quantity replaces what is left of an earlier protection; 0 ends it."
)
class StockProtectionSetInput:
    location: strawberry.ID
    sku: strawberry.ID
    channel: strawberry.ID
    quantity: int
    until: date | None = strawberry.field(
        default=None, description="The last day the units are held; null = no end."
    )


@strawberry.input(description="Create a SKU, or change the fields given of an existing one.")
class SkuInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    weight_kg: float | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET

    FIELDS: ClassVar[dict[str, str]] = {
        "id": "id",
        "name": "name",
        "weight_kg": "weightKg",
        "tags": "tags",
    }


@strawberry.input(
    description="A carrier service from a location to a region (one per carrier and service)."
)
class LaneInput:
    from_: strawberry.ID = strawberry.field(name="from")
    to: strawberry.ID
    carrier: str
    service: str
    transit_days: int
    base_cost: float
    cost_per_kg: float

    FIELDS: ClassVar[dict[str, str]] = {
        "from_": "from",
        "to": "to",
        "carrier": "carrier",
        "service": "service",
        "transit_days": "transitDays",
        "base_cost": "baseCost",
        "cost_per_kg": "costPerKg",
    }


@strawberry.input(
    description="A delivery region: a country and a postal-code prefix, with its centroid."
)
class RegionInput:
    id: strawberry.ID | None = None
    country: str
    postal_prefix: str
    lat: float
    lon: float

    FIELDS: ClassVar[dict[str, str]] = {
        "id": "id",
        "country": "country",
        "postal_prefix": "postalPrefix",
        "lat": "lat",
        "lon": "lon",
    }

    def properties(self) -> dict[str, Any]:
        """The region under its property names; without an id, the one its country and prefix
        make (``US-941``)."""
        fields = given(self, self.FIELDS)
        if self.id is None:
            fields["id"] = region_id(self.country, self.postal_prefix)
        return fields


@strawberry.input(description="Absolute on-hand for a stock position (an ERP count).")
class InventorySetInput:
    location: strawberry.ID
    sku: strawberry.ID
    on_hand: int
    safety_stock: int | None = None


@strawberry.input(
    description="A change to on-hand (a WMS movement): positive receives, negative removes."
)
class InventoryAdjustInput:
    location: strawberry.ID
    sku: strawberry.ID
    delta: int
    reason: str | None = None


@strawberry.input
class AddressInput:
    name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str
    country: str


@strawberry.input
class OrderLineInput:
    sku: strawberry.ID
    quantity: int
    unit_price: str | None = strawberry.field(
        default=None, description='Decimal string, e.g. "19.90"; used for refunds.'
    )
    currency: str | None = None


@strawberry.input
class OrderLineQuantityInput:
    sku: strawberry.ID
    quantity: int
