"""The records of the static network and its stock: ``:Location``, ``:Sku``, ``:Region``,
``:Channel``, the ``LANE`` edge of a carrier service and the ``STOCKS`` edge of a position.

Each ``from_row`` reads the map a projection of ``graph/catalog.py`` (or ``graph/orders.py``)
returns, with the defaults the API has always shown for a property that is not stored (a
location without a kind is a WAREHOUSE, without a timezone UTC, ...). ``maybe`` reads the map an
OPTIONAL MATCH gives, which has every key null when nothing matched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from ordergraph.domain.atp import DEFAULT_RULES, ChannelRules, Protection, Seller, Sourcing
from ordergraph.domain.stock import available

__all__ = [
    "ChannelRecord",
    "LaneRecord",
    "LocationRecord",
    "RegionRecord",
    "SkuRecord",
    "StockRecord",
    "TransferLaneRecord",
    "maybe",
]

R = TypeVar("R")


def maybe(row: Mapping[str, Any] | None, from_row: Callable[[Mapping[str, Any]], R]) -> R | None:
    """The record of an OPTIONAL MATCH's map, or None when it matched nothing (no map, or a map
    whose ``id`` is null)."""
    if not row or row.get("id") is None:
        return None
    return from_row(row)


def _int(value: Any) -> int:
    return int(value or 0)


def _float(value: Any) -> float:
    return float(value or 0.0)


@dataclass(frozen=True, slots=True)
class LocationRecord:
    id: str
    name: str  # the id when no name is stored
    kind: str  # WAREHOUSE, STORE, DARK_STORE or DROPSHIP (WAREHOUSE when not stored)
    lat: float
    lon: float
    postal_code: str | None
    country: str  # "" when not stored
    timezone: str  # UTC when not stored
    cutoff: str | None  # local HH:MM
    processing_days: int
    handling_cost: float
    daily_capacity: int | None  # None: no limit
    tags: frozenset[str]
    ship_from_store: bool
    pickup: bool
    active: bool  # true unless stored false
    accepts_returns: bool
    # daily booking caps per carrier (network file ``carrierCapacity``); none: unbounded
    carrier_caps: tuple[tuple[str, int], ...] = ()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LocationRecord:
        capacity = row.get("dailyCapacity")
        return cls(
            id=row["id"],
            name=row.get("name") or row["id"],
            kind=row.get("kind") or "WAREHOUSE",
            lat=_float(row.get("lat")),
            lon=_float(row.get("lon")),
            postal_code=row.get("postalCode"),
            country=row.get("country") or "",
            timezone=row.get("timezone") or "UTC",
            cutoff=row.get("cutoff"),
            processing_days=_int(row.get("processingDays")),
            handling_cost=_float(row.get("handlingCost")),
            daily_capacity=None if capacity is None else int(capacity),
            tags=frozenset(row.get("tags") or ()),
            ship_from_store=bool(row.get("shipFromStore")),
            pickup=bool(row.get("pickup")),
            active=row.get("active") is not False,
            accepts_returns=bool(row.get("acceptsReturns")),
            carrier_caps=tuple(
                zip(
                    (str(c) for c in row.get("carrierCaps") or ()),
                    (int(n) for n in row.get("carrierCapLimits") or ()),
                    strict=False,
                )
            ),
        )

    @classmethod
    def unknown(cls, location_id: str) -> LocationRecord:
        """A location known only by its id (one an order names that is no longer stored): every
        other field at its default."""
        return cls.from_row({"id": location_id})


@dataclass(frozen=True, slots=True)
class SkuRecord:
    id: str
    name: str  # the id when no name is stored
    weight_kg: float
    tags: frozenset[str]

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SkuRecord:
        return cls(
            id=row["id"],
            name=row.get("name") or row["id"],
            weight_kg=_float(row.get("weightKg")),
            tags=frozenset(row.get("tags") or ()),
        )


@dataclass(frozen=True, slots=True)
class RegionRecord:
    """A delivery region: the postal codes starting with ``postal_prefix`` in ``country``."""

    id: str
    country: str
    postal_prefix: str
    lat: float
    lon: float

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RegionRecord:
        return cls(
            id=row["id"],
            country=row.get("country") or "",
            postal_prefix=row.get("postalPrefix") or "",
            lat=_float(row.get("lat")),
            lon=_float(row.get("lon")),
        )


def _ids(value: Any) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    """A sales channel, its policies and its sourcing rules (``ChannelRules``), stored flat on
    the ``:Channel`` node: ``sourcingLocations``/``sourcingKinds`` (absent = any),
    ``sourcingExcludeTags``, ``bufferUnits``, ``sharePercent``, ``sellInbound``; whether it may
    backorder is its ``partialPolicy``. ``rulesVersion`` counts the changes of its rules (0 for a
    channel stored before rules were versioned), ``rulesDigest`` tells a change from a repeat."""

    id: str
    name: str | None
    kind: str | None
    partial_policy: str | None  # None: the default policy
    routing_policy: str | None  # None: the default policy
    rules: ChannelRules = DEFAULT_RULES
    rules_version: int = 0
    batch_window_s: int = 0  # > 0: orders wait for a batch wave (services/allocation.py)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ChannelRecord:
        buffer, share = row.get("bufferUnits"), row.get("sharePercent")
        return cls(
            id=row["id"],
            name=row.get("name"),
            kind=row.get("kind"),
            partial_policy=row.get("partialPolicy"),
            routing_policy=row.get("routingPolicy"),
            rules=ChannelRules(
                sourcing=Sourcing(
                    locations=_ids(row.get("sourcingLocations")),
                    kinds=_ids(row.get("sourcingKinds")),
                    exclude_tags=frozenset(row.get("sourcingExcludeTags") or ()),
                ),
                buffer_units=0 if buffer is None else int(buffer),
                share_percent=100 if share is None else int(share),
                sell_inbound=bool(row.get("sellInbound")),
            ),
            rules_version=_int(row.get("rulesVersion")),
            batch_window_s=_int(row.get("batchWindowSeconds")),
        )

    def seller(self, today: date) -> Seller:
        """The channel as the reservation statement checks it on ``today``."""
        return Seller(self.id, self.rules, self.rules_version, today)

    @property
    def allows_backorder(self) -> bool:
        return self.partial_policy != "REJECT"

    def document_with(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The channel as a network file's ``channels[]`` row, with the ``given`` fields of one
        over it (a ``sourcing`` given replaces the stored one; ``allowBackorder`` and
        ``partialPolicy`` are one setting, so either given replaces the stored policy)."""
        stored = self.to_params()
        stored["sourcing"] = {
            "locations": stored.pop("sourcingLocations"),
            "kinds": stored.pop("sourcingKinds"),
            "excludeTags": stored.pop("sourcingExcludeTags"),
        }
        del stored["rulesDigest"]
        if "allowBackorder" in given or "partialPolicy" in given:
            del stored["partialPolicy"]
        return {k: v for k, v in stored.items() if v is not None} | dict(given)

    def to_params(self) -> dict[str, Any]:
        """The properties to store (``rulesVersion`` is the statement's to set): a null
        sourcing list removes the property, meaning any."""
        s = self.rules.sourcing
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "partialPolicy": self.partial_policy,
            "routingPolicy": self.routing_policy,
            "sourcingLocations": None if s.locations is None else sorted(s.locations),
            "sourcingKinds": None if s.kinds is None else sorted(s.kinds),
            "sourcingExcludeTags": sorted(s.exclude_tags),
            "bufferUnits": self.rules.buffer_units,
            "sharePercent": self.rules.share_percent,
            "sellInbound": self.rules.sell_inbound,
            "batchWindowSeconds": self.batch_window_s,
            "rulesDigest": f"{self.rules.digest()}|{self.partial_policy}",
        }


@dataclass(frozen=True, slots=True)
class LaneRecord:
    """One carrier service from a location to a region (``from_``/``to`` when the read names
    them, "" when it reads the lanes of one known pair)."""

    carrier: str
    service: str
    transit_days: int
    base_cost: float
    cost_per_kg: float
    from_: str = ""
    to: str = ""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LaneRecord:
        return cls(
            carrier=row["carrier"],
            service=row["service"],
            transit_days=int(row["transitDays"]),
            base_cost=float(row["baseCost"]),
            cost_per_kg=float(row["costPerKg"]),
            from_=row.get("from") or "",
            to=row.get("to") or "",
        )


@dataclass(frozen=True, slots=True)
class TransferLaneRecord:
    """A transfer lane from location ``from_`` to pickup store ``to`` (docs/transfers.md):
    its own transit days and, when set, its own cut-off at the source."""

    from_: str
    to: str
    carrier: str
    service: str
    transit_days: int
    base_cost: float
    cost_per_kg: float
    cutoff: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> TransferLaneRecord:
        return cls(
            from_=row.get("from") or "",
            to=row.get("to") or "",
            carrier=row["carrier"],
            service=row["service"],
            transit_days=int(row["transitDays"]),
            base_cost=float(row["baseCost"]),
            cost_per_kg=float(row.get("costPerKg") or 0.0),
            cutoff=row.get("cutoff"),
        )


@dataclass(frozen=True, slots=True)
class StockRecord:
    """A stock position: ``sku`` at ``location``. Absent counts are zero (a SKU never stocked
    there reads as an empty position). Its protections (units held for one channel) are kept
    on the ``STOCKS`` edge as three lists of the same length, ``protectChannels``,
    ``protectRemaining`` and ``protectUntil`` (an ISO day, "" for none), so that the
    reservation statement reads and updates them under the position's lock. ``damaged`` and
    ``quality_control`` are units held in those states (Shopify's inventory states): never
    part of ``on_hand``, never available."""

    location: str
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    protections: tuple[Protection, ...] = ()
    damaged: int = 0
    quality_control: int = 0

    @property
    def available(self) -> int:
        return available(self.on_hand, self.reserved, self.safety_stock)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> StockRecord:
        return cls(
            location=row.get("location") or "",
            sku=row.get("sku") or "",
            on_hand=_int(row.get("onHand")),
            reserved=_int(row.get("reserved")),
            safety_stock=_int(row.get("safetyStock")),
            protections=tuple(
                Protection(channel, int(remaining), date.fromisoformat(until) if until else None)
                for channel, remaining, until in zip(
                    row.get("protectChannels") or (),
                    row.get("protectRemaining") or (),
                    row.get("protectUntil") or (),
                    strict=True,
                )
            ),
            damaged=_int(row.get("damaged")),
            quality_control=_int(row.get("qualityControl")),
        )
