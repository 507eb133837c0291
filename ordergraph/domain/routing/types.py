"""The values routing reads and writes: candidates, requests, policies and plans."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ordergraph.domain.routing.rules import Rule

__all__ = [
    "CHEAPEST",
    "FASTEST",
    "FEWEST_SHIPMENTS",
    "MAX_TRANSIT_DAYS",
    "POLICIES",
    "PREFER_STORE_EXCESS",
    "STORE_KINDS",
    "Candidate",
    "Lane",
    "LineRequest",
    "PlannedShipment",
    "Policy",
    "RoutingPlan",
    "RoutingRequest",
    "ServiceLevel",
    "SkuInfo",
    "TransferLane",
]

PICKUP = "PICKUP"
"""Carrier and service of a shipment that the customer collects at the store."""

STORE_KINDS = frozenset({"STORE", "DARK_STORE"})
"""Location kinds that ``Policy.store_excess_weight`` rewards."""


class ServiceLevel(StrEnum):
    STANDARD = "STANDARD"
    EXPRESS = "EXPRESS"
    NEXT_DAY = "NEXT_DAY"


MAX_TRANSIT_DAYS: Mapping[ServiceLevel, int] = {
    ServiceLevel.STANDARD: 5,
    ServiceLevel.EXPRESS: 2,
    ServiceLevel.NEXT_DAY: 1,
}
"""Default upper bound on a lane's transit days per service level (a request may override)."""


@dataclass(frozen=True, slots=True)
class Lane:
    """A carrier service from one location to the ship-to region."""

    carrier: str
    service: str
    transit_days: int
    base_cost: float
    cost_per_kg: float


@dataclass(frozen=True, slots=True)
class TransferLane:
    """A transfer lane from a candidate location to a pickup store (docs/transfers.md), with
    what the promise needs of the store: the units travel ``transit_days`` business days after
    the source ships (its own ``cutoff`` when the lane has one), then the store takes
    ``store_processing_days`` business days before the pickup is ready."""

    to: str
    carrier: str
    service: str
    transit_days: int
    base_cost: float
    cost_per_kg: float
    cutoff: str | None
    store_timezone: str
    store_country: str
    store_processing_days: int
    store_handling_cost: float

    @property
    def lane(self) -> Lane:
        return Lane(self.carrier, self.service, self.transit_days, self.base_cost, self.cost_per_kg)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A location as routing sees it for one order: its rules, its stock and its lanes.

    ``available`` is already net of reservations and safety stock. ``capacity_left`` counts the
    shipments the location may still take today (``None`` = unbounded). ``lanes`` join the location
    to the order's ship-to region (empty for a pickup order). ``daily_capacity`` is the
    location's limit per day (what a policy's daily share is a fraction of) and ``share_used``
    the shipments it has taken that day under each policy (by policy name).
    """

    location_id: str
    kind: str
    timezone: str
    country: str
    cutoff: str | None
    processing_days: int
    handling_cost: float
    capacity_left: int | None
    tags: frozenset[str]
    active: bool
    pickup: bool
    available: Mapping[str, int]
    lanes: tuple[Lane, ...]
    distance_km: float | None = None
    daily_capacity: int | None = None
    share_used: Mapping[str, int] = field(default_factory=dict)
    transfers: tuple[TransferLane, ...] = ()  # to the pickup store of a pickup order


@dataclass(frozen=True, slots=True)
class SkuInfo:
    id: str
    weight_kg: float
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class LineRequest:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class RoutingRequest:
    """What to route: the lines, how fast, when, and the order's own restrictions.

    ``pickup_at`` names the store a pickup order is collected from; ``None`` means delivery.
    ``max_transit_days`` overrides ``MAX_TRANSIT_DAYS`` for some or all service levels.
    ``channel``, ``region`` (the ship-to region id), ``order_value`` (sum of unit price x
    quantity, None without prices) and ``customer_tier`` are what policy rules' conditions read.
    """

    lines: tuple[LineRequest, ...]
    skus: Mapping[str, SkuInfo]
    service_level: ServiceLevel
    placed_at: datetime
    pickup_at: str | None = None
    allow_partial: bool = True
    excluded_locations: frozenset[str] = frozenset()
    max_transit_days: Mapping[ServiceLevel, int] | None = None
    channel: str | None = None
    region: str | None = None
    order_value: float | None = None
    customer_tier: str | None = None

    def transit_limit(self) -> int:
        """The most transit days a lane may take for this request's service level."""
        if self.max_transit_days is not None and self.service_level in self.max_transit_days:
            return self.max_transit_days[self.service_level]
        return MAX_TRANSIT_DAYS[self.service_level]


@dataclass(frozen=True, slots=True)
class Policy:
    """What "best" means, as weights over one candidate set. Policies are data.

    Routing first allocates as many units as the hard rules allow. Among the plans that do, it
    minimises the policy objective::

        cost_weight          * (sum of lane costs: base + per kg, in currency)
      + handling_weight      * (sum of handling costs; None = cost_weight)
      + delivery_day_weight  * (calendar days from the order's UTC date to the promised date)
      + shipment_weight      * (number of shipments)
      + distance_weight      * (sum over shipments of km from the location to the region)
      - store_excess_weight  * (units taken from stores, kinds STORE and DARK_STORE)
      + lookahead_weight     * (per unit: the look-ahead surcharge of its position, #18)
      - preference bonuses   (rules: PREFER_LOCATIONS, per unit)

    and breaks ties on the earliest promise, then fewer shipments, then location ids. The promise
    term counts the latest delivery of the plan (what the customer is told), so ``FASTEST`` pays
    for a faster lane only where it moves that date. Every weight is in currency units: a
    ``delivery_day_weight`` of 1000 means one day earlier is worth 1000 of shipping cost, which in
    practice makes speed the first criterion and cost the second.

    ``rules`` are the policy's ordered rules (``routing.rules``); ``name`` is the policy id and
    ``version`` the stored version it was compiled from (None for a policy built in code).
    """

    name: str
    cost_weight: float = 1.0
    delivery_day_weight: float = 0.0
    shipment_weight: float = 0.0
    store_excess_weight: float = 0.0
    handling_weight: float | None = None
    distance_weight: float = 0.0
    lookahead_weight: float = 0.0  # > 0: placement prices last units (services/lookahead.py)
    rules: tuple[Rule, ...] = ()
    version: int | None = None

    def __post_init__(self) -> None:
        for weight in (
            self.cost_weight,
            self.delivery_day_weight,
            self.shipment_weight,
            self.store_excess_weight,
            self.handling,
            self.distance_weight,
            self.lookahead_weight,
        ):
            if not (weight >= 0.0 and math.isfinite(weight)):
                raise ValueError(f"policy {self.name!r}: weights must be finite and >= 0")

    @property
    def handling(self) -> float:
        """The weight on handling costs (the cost weight unless set apart)."""
        return self.cost_weight if self.handling_weight is None else self.handling_weight

    @property
    def label(self) -> str:
        """``NAME`` or ``NAME v3``: how explanations name the policy."""
        return self.name if self.version is None else f"{self.name} v{self.version}"

    def objective(self, cost: float, promise_days: int, shipments: int, store_units: int) -> float:
        """The value this policy minimises for a plan with these totals."""
        return (
            self.cost_weight * cost
            + self.delivery_day_weight * promise_days
            + self.shipment_weight * shipments
            - self.store_excess_weight * store_units
        )


CHEAPEST = Policy("CHEAPEST", version=1)
"""The default: the lowest total shipping cost."""

FASTEST = Policy("FASTEST", cost_weight=1.0, delivery_day_weight=1000.0, version=1)
"""The earliest promised delivery; cost decides between plans promising the same day."""

FEWEST_SHIPMENTS = Policy("FEWEST_SHIPMENTS", cost_weight=1.0, shipment_weight=1000.0, version=1)
"""As few parcels as possible; cost decides between plans with the same count."""

PREFER_STORE_EXCESS = Policy(
    "PREFER_STORE_EXCESS", cost_weight=1.0, store_excess_weight=2.0, version=1
)
"""Cost, less 2.00 for every unit a store sells down from the stock it holds above safety stock."""

POLICIES: Mapping[str, Policy] = {
    p.name: p for p in (CHEAPEST, FASTEST, FEWEST_SHIPMENTS, PREFER_STORE_EXCESS)
}


@dataclass(frozen=True, slots=True)
class PlannedShipment:
    """The units one location sends (or holds for pickup), with its carrier, cost and dates."""

    location_id: str
    lines: tuple[tuple[str, int], ...]
    carrier: str
    service: str
    transit_days: int
    cost: float
    ship_by: date
    estimated_delivery: date
    ready_by: datetime | None = None
    via: str | None = None  # a transfer: the pickup store it travels to (docs/transfers.md)
    arrives: date | None = None  # a transfer: the day it arrives at that store

    @property
    def units(self) -> int:
        return sum(quantity for _, quantity in self.lines)

    def to_record(self) -> dict[str, Any]:
        return {
            "locationId": self.location_id,
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in self.lines],
            "carrier": self.carrier,
            "service": self.service,
            "transitDays": self.transit_days,
            "cost": self.cost,
            "shipBy": self.ship_by.isoformat(),
            "estimatedDelivery": self.estimated_delivery.isoformat(),
            "readyBy": None if self.ready_by is None else self.ready_by.isoformat(),
            **(
                {}
                if self.via is None
                else {
                    "via": self.via,
                    "arrives": None if self.arrives is None else self.arrives.isoformat(),
                }
            ),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> PlannedShipment:
        ready = record.get("readyBy")
        arrives = record.get("arrives")
        return cls(
            location_id=str(record["locationId"]),
            lines=tuple((str(li["sku"]), int(li["quantity"])) for li in record["lines"]),
            carrier=str(record["carrier"]),
            service=str(record["service"]),
            transit_days=int(record["transitDays"]),
            cost=float(record["cost"]),
            ship_by=date.fromisoformat(record["shipBy"]),
            estimated_delivery=date.fromisoformat(record["estimatedDelivery"]),
            ready_by=None if ready is None else datetime.fromisoformat(ready),
            via=record.get("via"),
            arrives=None if arrives is None else date.fromisoformat(arrives),
        )


@dataclass(frozen=True, slots=True)
class RoutingPlan:
    """A routing decision and its reasons; stored with the order as ``to_record()``.

    ``feasible`` means every unit is allocated (API.md): it is false whenever anything is
    backordered. ``allocatable`` means at least one unit is allocated (a partial plan is
    allocatable but not feasible). Both are derived from the shipments and the backorders, so a
    stored plan can never claim otherwise. A refused partial (the order does not allow one and
    stock is short) allocates nothing and backorders everything.
    ``exact`` says the plan is proven best under the policy; a bounded search says so when it was
    not. ``promised_by`` is the latest estimated delivery (or pickup day) among the shipments.
    """

    shipments: tuple[PlannedShipment, ...]
    backordered: tuple[tuple[str, int], ...]
    total_cost: float
    promised_by: date | None
    explanation: tuple[str, ...]
    policy: str
    exact: bool

    @property
    def feasible(self) -> bool:
        """Every unit allocated: something ships and nothing is backordered."""
        return bool(self.shipments) and not self.backordered

    @property
    def allocatable(self) -> bool:
        """At least one unit allocated (the plan may still backorder the rest)."""
        return bool(self.shipments)

    @property
    def allocated(self) -> dict[str, int]:
        """Units allocated per SKU, over every shipment."""
        totals: dict[str, int] = {}
        for shipment in self.shipments:
            for sku, quantity in shipment.lines:
                totals[sku] = totals.get(sku, 0) + quantity
        return totals

    def to_record(self) -> dict[str, Any]:
        """A JSON-able dict (dates as ISO strings) that ``from_record`` reads back."""
        return {
            "feasible": self.feasible,
            "allocatable": self.allocatable,
            "shipments": [s.to_record() for s in self.shipments],
            "backordered": [{"sku": sku, "quantity": qty} for sku, qty in self.backordered],
            "totalCost": self.total_cost,
            "promisedBy": None if self.promised_by is None else self.promised_by.isoformat(),
            "explanation": list(self.explanation),
            "policy": self.policy,
            "exact": self.exact,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> RoutingPlan:
        promised = record.get("promisedBy")
        return cls(
            shipments=tuple(PlannedShipment.from_record(s) for s in record["shipments"]),
            backordered=tuple((str(b["sku"]), int(b["quantity"])) for b in record["backordered"]),
            total_cost=float(record["totalCost"]),
            promised_by=None if promised is None else date.fromisoformat(promised),
            explanation=tuple(str(line) for line in record["explanation"]),
            policy=str(record["policy"]),
            exact=bool(record["exact"]),
        )
