"""The sandbox's pure rules: what a simulation reports, when a plan "changed", and the KPI
deltas between a policy and its baseline (docs/simulation.md).

The report holds nothing about the run itself (its id, when it ran): the same replay gives the
same report, field for field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ordergraph.domain.kpis import Kpis
from ordergraph.domain.routing.types import RoutingPlan

__all__ = [
    "MAX_CHANGED_KEPT",
    "ChangedOrder",
    "SimulationReport",
    "SimulationStatus",
    "StockMode",
    "deltas",
    "plan_changed",
    "plan_key",
]

MAX_CHANGED_KEPT = 1000
"""Changed orders a report keeps side by side (the first by placement); it counts them all."""


class StockMode(StrEnum):
    AT_PLACEMENT = "AT_PLACEMENT"  # as it was when each order was placed (docs/simulation.md)
    NOW = "NOW"  # as it is now


class SimulationStatus(StrEnum):
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


PlanKey = tuple[
    tuple[tuple[str, tuple[tuple[str, int], ...], str, str], ...], tuple[tuple[str, int], ...]
]


def plan_key(plan: RoutingPlan) -> PlanKey:
    """What a plan decides: each shipment's location, units, carrier and service (in location
    order), and the backordered units. Costs, dates and explanations follow from these."""
    return (
        tuple(
            sorted(
                (s.location_id, tuple(sorted(s.lines)), s.carrier, s.service)
                for s in plan.shipments
            )
        ),
        tuple(sorted(plan.backordered)),
    )


def plan_changed(plan: RoutingPlan, baseline: RoutingPlan) -> bool:
    return plan_key(plan) != plan_key(baseline)


def deltas(kpis: Kpis, baseline: Kpis) -> dict[str, float | None]:
    """Policy minus baseline, per KPI (camelCase names); None when either side has no value."""
    theirs = baseline.values()
    out: dict[str, float | None] = {}
    for name, value in kpis.values().items():
        other = theirs[name]
        out[name] = None if value is None or other is None else value - other
    return out


@dataclass(frozen=True, slots=True)
class ChangedOrder:
    """One replayed order whose plan differs between the two policies (explanations dropped)."""

    order: str  # the order id (a window of past orders), or externalId / "#n" (a file)
    placed_at: datetime
    plan: RoutingPlan  # under the simulated policy
    baseline_plan: RoutingPlan


@dataclass(frozen=True, slots=True)
class SimulationReport:
    orders: int  # replayed (on each side)
    skipped: int  # could not be routed at all (unknown SKU, unserviceable address)
    skipped_reasons: tuple[str, ...]  # the first few, "order: reason"
    policy: str  # "NAME" or "NAME@version"
    baseline: str  # the same; "per channel" when each order took its channel's policy
    stock: StockMode
    kpis: Kpis
    baseline_kpis: Kpis
    deltas: Mapping[str, float | None]
    changed: int  # orders whose plan changed
    changed_orders: tuple[ChangedOrder, ...]  # at most MAX_CHANGED_KEPT
    gate_failures: tuple[str, ...] | None = None  # None: no gates given

    @property
    def passed(self) -> bool | None:
        """The gates' verdict: None without gates."""
        return None if self.gate_failures is None else not self.gate_failures
