"""GraphQL object types: thin views over graph records (``X.from_record(rec)``)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import Any, Generic, TypeVar

import strawberry

from ordergraph.graph.records.catalog import LocationRecord, SkuRecord, StockRecord
from ordergraph.schema.context import Info
from ordergraph.services.availability import LocationStock


@strawberry.enum
class LocationKind(Enum):
    WAREHOUSE = "WAREHOUSE"
    STORE = "STORE"
    DARK_STORE = "DARK_STORE"
    DROPSHIP = "DROPSHIP"


@strawberry.type(
    description="A place that holds stock: warehouse, store, dark store or dropship vendor."
)
class Location:
    id: strawberry.ID
    name: str
    kind: LocationKind
    lat: float
    lon: float
    postal_code: str | None
    country: str
    timezone: str
    cutoff: str | None = strawberry.field(
        description="Local HH:MM; orders after it ship the next business day."
    )
    processing_days: int
    handling_cost: float
    daily_capacity: int | None
    tags: list[str]
    ship_from_store: bool
    pickup: bool
    active: bool
    accepts_returns: bool

    @classmethod
    def from_record(cls, rec: LocationRecord) -> Location:
        return cls(
            id=strawberry.ID(rec.id),
            name=rec.name,
            kind=LocationKind(rec.kind),
            lat=rec.lat,
            lon=rec.lon,
            postal_code=rec.postal_code,
            country=rec.country,
            timezone=rec.timezone,
            cutoff=rec.cutoff,
            processing_days=rec.processing_days,
            handling_cost=rec.handling_cost,
            daily_capacity=rec.daily_capacity,
            tags=sorted(rec.tags),
            ship_from_store=rec.ship_from_store,
            pickup=rec.pickup,
            active=rec.active,
            accepts_returns=rec.accepts_returns,
        )

    @classmethod
    def unknown(cls, location_id: str) -> Location:
        """A location an order names that is no longer stored: its id, and defaults."""
        return cls.from_record(LocationRecord.unknown(location_id))


async def location_by_id(info: Info, location_id: str | None) -> Location | None:
    """The location of that id (a root field's, an order's or an option's pickup store); None
    when no id is given or no location has it."""
    if location_id is None:
        return None
    rec = await info.context.loaders.location.load(location_id)
    return Location.from_record(rec) if rec else None


async def location_of(info: Info, location_id: str) -> Location:
    """The location a shipment, fulfillment or return names; an unknown one if it is gone."""
    return await location_by_id(info, location_id) or Location.unknown(location_id)


@strawberry.type(description="A stock-keeping unit.")
class Sku:
    id: strawberry.ID
    name: str
    weight_kg: float
    tags: list[str]

    @classmethod
    def from_record(cls, rec: SkuRecord) -> Sku:
        return cls(
            id=strawberry.ID(rec.id),
            name=rec.name,
            weight_kg=rec.weight_kg,
            tags=sorted(rec.tags),
        )


@strawberry.type(description="Units of a stock position held for one channel.")
class StockProtection:
    channel: strawberry.ID
    remaining: int = strawberry.field(
        description="Units still held: the channel's reservations use them first."
    )
    until: date | None = strawberry.field(description="The last day it holds; null = no end.")


@strawberry.type(description="One stock position: a SKU at a location.")
class StockLevel:
    location_id: strawberry.ID = strawberry.field(name="location")
    sku: strawberry.ID
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    protections: list[StockProtection] = strawberry.field(
        description="Units held for channels (stockProtectionSet), ended ones included."
    )
    damaged: int = strawberry.field(
        default=0, description="Damaged units: never part of onHand, never available."
    )
    quality_control: int = strawberry.field(
        default=0, description="Units held for quality control: never part of onHand."
    )

    @classmethod
    def from_record(cls, rec: StockRecord) -> StockLevel:
        return cls(
            location_id=strawberry.ID(rec.location),
            sku=strawberry.ID(rec.sku),
            on_hand=rec.on_hand,
            reserved=rec.reserved,
            safety_stock=rec.safety_stock,
            available=rec.available,
            protections=[
                StockProtection(
                    channel=strawberry.ID(p.channel), remaining=p.remaining, until=p.until
                )
                for p in rec.protections
            ],
            damaged=rec.damaged,
            quality_control=rec.quality_control,
        )


@strawberry.type
class LocationAvailability:
    location: Location
    on_hand: int
    reserved: int
    available: int = strawberry.field(
        description="What can be promised here: with a channel, that channel's ATP "
        "(docs/channel-atp.md); without, on hand less reserved and safety stock."
    )
    distance_km: float | None
    damaged: int = strawberry.field(
        default=0, description="Damaged units: never part of onHand, never available."
    )
    quality_control: int = strawberry.field(
        default=0, description="Units held for quality control: never part of onHand."
    )
    preorder: int = strawberry.field(
        default=0,
        description="With a channel that sells inbound (sellInbound): inbound units here "
        "neither received nor preordered, which orderCreate sells as preorders once "
        "`available` is spent. Always 0 for other channels and without a channel.",
    )
    preorder_date: date | None = strawberry.field(
        default=None,
        description="The day those preorders first ship: the earliest inbound line's expected "
        "date plus processing days (docs/channel-atp.md).",
    )
    # what `explanation` is made of, when (and only when) it is selected
    source: strawberry.Private[LocationStock | None] = None

    @strawberry.field(
        description="How `available` was reached: on hand, reserved, safety, protected for "
        "other channels, own protected, shared, share, buffer."
    )
    def explanation(self) -> list[str]:
        return [] if self.source is None else list(self.source.explanation)


@strawberry.type(description="Available-to-promise for one SKU: in total and per location.")
class SkuAvailability:
    sku: strawberry.ID
    available: int
    locations: list[LocationAvailability]
    preorder: int = strawberry.field(
        default=0, description="Preorder units over every location (see LocationAvailability)."
    )
    preorder_date: date | None = strawberry.field(
        default=None, description="The earliest day a preorder of this SKU ships."
    )


# ---- Relay connections with keyset cursors ---------------------------------------------------

Node = TypeVar("Node")
C = TypeVar("C")  # a connection type
R = TypeVar("R")  # a row of a page read


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        key = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        key = ""
    if not key:
        raise ValueError(f"not a cursor this API gave out: {cursor!r}")
    return key


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class Connection(Generic[Node]):
    edges: list[Edge[Node]]
    page_info: PageInfo

    @strawberry.field(description="The nodes of the edges, for clients that need no cursors.")
    def nodes(self) -> list[Node]:
        return [edge.node for edge in self.edges]


def page(nodes: list[Any], first: int, key: Any) -> tuple[list[Any], PageInfo]:
    """Cut a ``first + 1`` row read to ``first`` and say whether more follow."""
    more = len(nodes) > first
    nodes = nodes[:first]
    end = encode_cursor(key(nodes[-1])) if nodes else None
    return nodes, PageInfo(has_next_page=more, end_cursor=end)


def connection(
    cls: Callable[..., C],
    rows: list[R],
    first: int,
    key: Callable[[R], str],
    node: Callable[[R], Any],
) -> C:
    """The connection ``cls`` of a ``first + 1`` row read: each row's node, under the cursor of
    its ``key``."""
    nodes, info = page(rows, first, key)
    return cls(
        edges=[Edge(cursor=encode_cursor(key(r)), node=node(r)) for r in nodes], page_info=info
    )


@strawberry.type
class LocationConnection(Connection[Location]):
    pass


@strawberry.type
class SkuConnection(Connection[Sku]):
    pass
