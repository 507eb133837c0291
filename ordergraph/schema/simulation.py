"""GraphQL types of the routing sandbox (docs/simulation.md): the run input, the job and its
report."""

from __future__ import annotations

from datetime import datetime

import strawberry

from ordergraph.domain.simulation import ChangedOrder, SimulationReport
from ordergraph.domain.simulation import SimulationStatus as DomainStatus
from ordergraph.domain.simulation import StockMode as DomainStockMode
from ordergraph.graph.records.simulations import SimulationRecord
from ordergraph.schema.errors import UserError
from ordergraph.schema.kpis import Kpis
from ordergraph.schema.order_inputs import OrderCreateInput
from ordergraph.schema.orders import RoutingPlan

strawberry.enum(DomainStockMode, name="SimulationStock")
strawberry.enum(DomainStatus, name="RoutingSimulationStatus")
SimulationStock = DomainStockMode
RoutingSimulationStatus = DomainStatus

MAX_CHANGED_PAGE = 1000


@strawberry.input(
    description="The orders to replay: a window of past orders (from, to, channel), or a list "
    "of orderCreate inputs (at most 100), or the text of a JSON-lines file of them (what "
    "`ordergraph demo --orders-out` writes). Exactly one of the three."
)
class RoutingSimulationOrdersInput:
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None
    channel: str | None = None
    list: list[OrderCreateInput] | None = None
    json_lines: str | None = None


@strawberry.input(
    description="An activation gate: bounds on one KPI (docs/kpis.md names), absolute or, with "
    "relativeToBaseline, on the relative change against the baseline (0.05 = +5%)."
)
class RoutingSimulationGateInput:
    kpi: str
    min: float | None = None
    max: float | None = None
    relative_to_baseline: bool = False


@strawberry.input
class RoutingSimulationRunInput:
    policy: str = strawberry.field(description="The routing policy to simulate.")
    version: int | None = strawberry.field(default=None, description="Its version (latest).")
    baseline: str | None = strawberry.field(
        default=None,
        description="The policy to compare with; default: each order's channel's current one.",
    )
    baseline_version: int | None = None
    orders: RoutingSimulationOrdersInput
    stock: SimulationStock = strawberry.field(
        default=DomainStockMode.AT_PLACEMENT,
        description="AT_PLACEMENT: the stock as it was when each order was placed "
        "(reconstructed, docs/simulation.md); NOW: as it is now.",
    )
    gates: list[RoutingSimulationGateInput] | None = None


@strawberry.type(
    description="One KPI of both sides: the policy's value, the baseline's, and "
    "policy minus baseline."
)
class KpiDelta:
    kpi: str
    value: float | None
    baseline: float | None
    delta: float | None


@strawberry.type(
    description="An order whose plan differs between the two policies (explanations left out)."
)
class SimulationChangedOrder:
    order: str = strawberry.field(description="Order id, externalId, or #n in the list.")
    placed_at: datetime
    plan: RoutingPlan
    baseline_plan: RoutingPlan

    @classmethod
    def from_record(cls, c: ChangedOrder) -> SimulationChangedOrder:
        return cls(
            order=c.order,
            placed_at=c.placed_at,
            plan=RoutingPlan.from_plan(c.plan),
            baseline_plan=RoutingPlan.from_plan(c.baseline_plan),
        )


@strawberry.type
class RoutingSimulationReport:
    orders: int = strawberry.field(description="Orders replayed on each side.")
    skipped: int = strawberry.field(description="Orders that could not be routed at all.")
    skipped_reasons: list[str]
    policy: str
    baseline: str
    stock: SimulationStock
    kpis: Kpis
    baseline_kpis: Kpis
    deltas: list[KpiDelta]
    changed: int = strawberry.field(description="Orders whose plan changed (all of them).")
    gate_failures: list[str] | None = strawberry.field(
        description="One sentence per failing gate; null when no gates were given."
    )
    passed: bool | None = strawberry.field(description="The gates' verdict; null without gates.")
    report: strawberry.Private[SimulationReport]

    @strawberry.field(
        description="The changed orders side by side, in placement order (the "
        "report keeps the first 1000)."
    )
    def changed_orders(self, first: int = 100, offset: int = 0) -> list[SimulationChangedOrder]:
        first = max(0, min(first, MAX_CHANGED_PAGE))
        kept = self.report.changed_orders[max(0, offset) : max(0, offset) + first]
        return [SimulationChangedOrder.from_record(c) for c in kept]

    @classmethod
    def from_record(cls, r: SimulationReport) -> RoutingSimulationReport:
        mine, theirs = r.kpis.values(), r.baseline_kpis.values()
        return cls(
            orders=r.orders,
            skipped=r.skipped,
            skipped_reasons=list(r.skipped_reasons),
            policy=r.policy,
            baseline=r.baseline,
            stock=r.stock,
            kpis=Kpis.from_record(r.kpis),
            baseline_kpis=Kpis.from_record(r.baseline_kpis),
            deltas=[
                KpiDelta(kpi=name, value=mine[name], baseline=theirs[name], delta=delta)
                for name, delta in r.deltas.items()
            ],
            changed=r.changed,
            gate_failures=None if r.gate_failures is None else list(r.gate_failures),
            passed=r.passed,
            report=r,
        )


@strawberry.type(description="A sandbox run: a job with its status, progress and report.")
class RoutingSimulation:
    id: strawberry.ID
    status: RoutingSimulationStatus
    done: int = strawberry.field(description="Order routings done, both sides counted.")
    total: int
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    report: RoutingSimulationReport | None

    @classmethod
    def from_record(cls, r: SimulationRecord) -> RoutingSimulation:
        return cls(
            id=strawberry.ID(r.id),
            status=r.status,
            done=r.done,
            total=r.total,
            created_at=r.created_at,
            finished_at=r.finished_at,
            error=r.error,
            report=None if r.report is None else RoutingSimulationReport.from_record(r.report),
        )


@strawberry.type
class RoutingSimulationRunPayload:
    simulation: RoutingSimulation | None = strawberry.field(
        description="The job, RUNNING: poll routingSimulation(id) for progress and the report."
    )
    user_errors: list[UserError]
