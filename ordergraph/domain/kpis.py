"""Operations KPIs: pure formulas over typed facts of orders (docs/kpis.md).

The same formulas judge live operations (``kpis(from, to, channel)``, facts read from orders,
fulfillments and their stamps) and simulation reports (facts from simulated plans). A fact
builder decides the two things the sources differ in: which shipments an order has, and whether
it was on time (live: delivered by its original promise; simulation: promised within the service
level's transit days). Every rate is a fraction in [0, 1]; a KPI whose denominator is empty is
None, never a made-up 0.

``gate_failures`` checks a policy's activation gates (``{kpi, min|max, relativeToBaseline}``)
against a simulation's KPIs and its baseline's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime

from ordergraph.domain.promise import add_business_days

__all__ = [
    "KPI_NAMES",
    "RATE_KPIS",
    "Gate",
    "Kpis",
    "OrderFact",
    "ShipmentFact",
    "compute",
    "delivered_on_time",
    "gate_failures",
    "promised_within",
]


@dataclass(frozen=True, slots=True)
class ShipmentFact:
    """One parcel of an order (a fulfillment that ships, or a simulated plan's shipment)."""

    location_id: str
    units: int
    cost: float
    distance_km: float | None = None  # location to the ship-to region centroid
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderFact:
    """What the KPIs need of one order.

    ``allocated_at_placement``: units the placement plan allocated (not later backorder
    releases). ``promised_by``: the ORIGINAL promise (``originalPromisedBy`` once a carrier moved
    it). ``on_time``: decided by the fact builder (``delivered_on_time`` or ``promised_within``);
    None while unknown (not delivered yet). ``cancelled``: any unit cancelled; ``rerouted``: a
    fulfillment was rejected and its lines routed again; ``returned``: a return was opened.
    """

    order_id: str
    channel: str
    placed_at: datetime
    ordered_units: int
    allocated_at_placement: int
    shipments: tuple[ShipmentFact, ...]
    promised_by: date | None
    on_time: bool | None
    cancelled: bool = False
    rerouted: bool = False
    returned: bool = False

    @property
    def backordered(self) -> bool:
        return self.allocated_at_placement < self.ordered_units

    @property
    def cost(self) -> float:
        return sum(s.cost for s in self.shipments)

    @property
    def perfect(self) -> bool:
        """Complete at placement, never cancelled, rerouted or returned, and on time."""
        return (
            not self.backordered
            and not self.cancelled
            and not self.rerouted
            and not self.returned
            and self.on_time is True
        )


@dataclass(frozen=True, slots=True)
class Kpis:
    """The KPIs of a set of orders; field names are the GraphQL names in snake case."""

    orders: int
    units_ordered: int
    fill_rate: float | None
    split_rate: float | None
    shipments_per_order: float | None
    cost_per_order: float | None
    cost_per_unit: float | None
    average_distance_km: float | None
    average_promised_days: float | None
    on_time_rate: float | None
    cancellation_rate: float | None
    reroute_rate: float | None
    backorder_rate: float | None
    hours_to_ship: float | None
    hours_to_deliver: float | None
    cycle_hours: float | None
    return_rate: float | None
    perfect_order_rate: float | None

    def values(self) -> dict[str, float | None]:
        """Every KPI by its camelCase name (the names gates use)."""
        return {_camel(f.name): getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_values(cls, values: Mapping[str, float | None]) -> Kpis:
        """The inverse of ``values`` (a stored report's KPIs)."""
        made = {f.name: values.get(_camel(f.name)) for f in fields(cls)}
        made["orders"] = int(made["orders"] or 0)
        made["units_ordered"] = int(made["units_ordered"] or 0)
        return cls(**made)  # type: ignore[arg-type]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


KPI_NAMES: tuple[str, ...] = tuple(_camel(f.name) for f in fields(Kpis))
RATE_KPIS = frozenset(name for name in KPI_NAMES if name.endswith("Rate"))
"""The KPIs that are fractions from 0 to 1 (shown as percentages, bounded by 1 in gates)."""


def _ratio(part: float, whole: float) -> float | None:
    return None if whole == 0 else part / whole


def _mean(values: Sequence[float]) -> float | None:
    return None if not values else sum(values) / len(values)


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600.0


def compute(orders: Sequence[OrderFact]) -> Kpis:
    """The KPIs of ``orders``; the formulas are in docs/kpis.md."""
    n = len(orders)
    routed = [o for o in orders if o.shipments]
    shipments = [s for o in routed for s in o.shipments]
    shipped_units = sum(s.units for s in shipments)
    total_cost = sum(s.cost for s in shipments)
    ordered = sum(o.ordered_units for o in orders)
    judged = [o for o in orders if o.on_time is not None]
    closed = [o for o in orders if o.on_time is not None or o.cancelled]
    to_ship: list[float] = []
    to_deliver: list[float] = []
    cycle: list[float] = []
    for o in routed:
        shipped = [s.shipped_at for s in o.shipments if s.shipped_at is not None]
        if shipped:
            to_ship.append(_hours(o.placed_at, min(shipped)))
        delivered = [s.delivered_at for s in o.shipments if s.delivered_at is not None]
        if shipped and delivered:
            to_deliver.append(_hours(min(shipped), max(delivered)))
        if len(delivered) == len(o.shipments):
            cycle.append(_hours(o.placed_at, max(delivered)))
    went_out = [o for o in routed if any(s.shipped_at is not None for s in o.shipments)]
    promised = [
        float((o.promised_by - o.placed_at.astimezone(UTC).date()).days)
        for o in orders
        if o.promised_by is not None
    ]
    return Kpis(
        orders=n,
        units_ordered=ordered,
        fill_rate=_ratio(sum(o.allocated_at_placement for o in orders), ordered),
        split_rate=_ratio(sum(1 for o in routed if len(o.shipments) > 1), len(routed)),
        shipments_per_order=_ratio(len(shipments), len(routed)),
        cost_per_order=_ratio(total_cost, len(routed)),
        cost_per_unit=_ratio(total_cost, shipped_units),
        average_distance_km=_mean([s.distance_km for s in shipments if s.distance_km is not None]),
        average_promised_days=_mean(promised),
        on_time_rate=_ratio(sum(1 for o in judged if o.on_time), len(judged)),
        cancellation_rate=_ratio(sum(1 for o in orders if o.cancelled), n),
        reroute_rate=_ratio(sum(1 for o in orders if o.rerouted), n),
        backorder_rate=_ratio(sum(1 for o in orders if o.backordered), n),
        hours_to_ship=_mean(to_ship),
        hours_to_deliver=_mean(to_deliver),
        cycle_hours=_mean(cycle),
        return_rate=_ratio(sum(1 for o in went_out if o.returned), len(went_out)),
        perfect_order_rate=_ratio(sum(1 for o in closed if o.perfect), len(closed)),
    )


def delivered_on_time(
    promised_by: date | None, delivered: Sequence[datetime | None]
) -> bool | None:
    """Live on-time: every shipment delivered (its UTC date) on or before the promise. None
    while a shipment is not delivered yet; False when there was no promise to keep."""
    if not delivered or any(moment is None for moment in delivered):
        return None
    if promised_by is None:
        return False
    return max(m.astimezone(UTC).date() for m in delivered if m is not None) <= promised_by


def promised_within(
    placed_at: datetime, promised_by: date | None, max_transit_days: int, country: str
) -> bool:
    """Simulated on-time: the plan's promise falls within the service level's transit days,
    counted in business days of ``country`` from the UTC day of placement. No promise (nothing
    allocated) is not on time."""
    if promised_by is None:
        return False
    start = placed_at.astimezone(UTC).date()
    return promised_by <= add_business_days(start, max_transit_days, country)


# -- activation gates ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gate:
    """A threshold on one KPI. With ``relative_to_baseline`` the bounds apply to the relative
    change against the baseline, ``(value - baseline) / |baseline|`` (0.05 = 5% more; when the
    baseline is 0, to the plain difference); otherwise to the value itself."""

    kpi: str
    min: float | None = None
    max: float | None = None
    relative_to_baseline: bool = False


def gate_failures(
    gates: Sequence[Gate],
    kpis: Mapping[str, float | None],
    baseline_kpis: Mapping[str, float | None],
) -> list[str]:
    """One sentence per gate that fails, in gate order; empty when every gate passes. A KPI
    without a value (on either side of a relative gate) fails its gate."""
    failures: list[str] = []
    for gate in gates:
        if gate.kpi not in KPI_NAMES:
            failures.append(f"{gate.kpi}: not a KPI (one of {', '.join(KPI_NAMES)})")
            continue
        value = kpis.get(gate.kpi)
        if value is None:
            failures.append(f"{gate.kpi}: no value to compare")
            continue
        measured = value
        what = f"{gate.kpi} {value:.4g}"
        if gate.relative_to_baseline:
            base = baseline_kpis.get(gate.kpi)
            if base is None:
                failures.append(f"{gate.kpi}: the baseline has no value to compare")
                continue
            measured = value - base if base == 0 else (value - base) / abs(base)
            what = f"{gate.kpi} {value:.4g} vs baseline {base:.4g} ({measured:+.2%})"
        if gate.min is not None and measured < gate.min:
            failures.append(f"{what} is below the minimum {_bound(gate.min, gate)}")
        if gate.max is not None and measured > gate.max:
            failures.append(f"{what} is above the maximum {_bound(gate.max, gate)}")
    return failures


def _bound(value: float, gate: Gate) -> str:
    return f"{value:+.2%}" if gate.relative_to_baseline else f"{value:.4g}"
