"""The records of the simulation sandbox (``graph/simulations.py``).

- ``World``: the network and stock state a run reads ONCE and then owns (it copies and changes
  it in memory; nothing is written back).
- ``HeldUnits``: what the orders placed since an instant hold or have shipped, per fulfillment
  and SKU (to reconstruct the stock as it was then).
- ``SimulationRecord``: a run's ``:SimulationRun`` node: its job status, progress and, once
  done, its report (``SimulationReport``, a JSON map in the string property ``report``, decoded
  here and only here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ordergraph.domain.kpis import Kpis
from ordergraph.domain.routing.types import RoutingPlan
from ordergraph.domain.simulation import (
    ChangedOrder,
    SimulationReport,
    SimulationStatus,
    StockMode,
)
from ordergraph.graph.records import codec
from ordergraph.graph.records.catalog import (
    ChannelRecord,
    LaneRecord,
    LocationRecord,
    RegionRecord,
    SkuRecord,
    StockRecord,
)
from ordergraph.graph.records.orders import LineRecord, OrderRecord

__all__ = ["HeldUnits", "PastOrder", "SimulationRecord", "World", "report_from_map", "report_map"]

RUN = "SimulationRun"


@dataclass(frozen=True, slots=True)
class World:
    regions: Mapping[str, RegionRecord]
    channels: Mapping[str, ChannelRecord]
    skus: Mapping[str, SkuRecord]  # the SKUs the replayed orders name (known ones)
    locations: Mapping[str, LocationRecord]  # active locations
    stock: Mapping[tuple[str, str], StockRecord]  # (location, sku) at active locations
    holders: Mapping[str, tuple[str, ...]]  # sku -> the active locations stocking it, sorted
    lanes: Mapping[tuple[str, str], tuple[LaneRecord, ...]]  # (location, region), sorted
    used: Mapping[str, Mapping[str, int]]  # location -> ISO day -> shipments already taken


@dataclass(frozen=True, slots=True)
class PastOrder:
    order: OrderRecord
    lines: tuple[LineRecord, ...]  # by position

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PastOrder:
        lines = sorted((LineRecord.from_row(li) for li in row["lines"]), key=lambda li: li.position)
        return cls(OrderRecord.from_row(row["o"]), tuple(lines))


@dataclass(frozen=True, slots=True)
class HeldUnits:
    """Units of one SKU one fulfillment reserves (OPEN, RELEASED) or took (SHIPPED, DELIVERED)."""

    fulfillment: str
    location: str
    sku: str
    units: int
    shipped: bool  # taken from on-hand (else still reserved)
    ship_by: date | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> HeldUnits:
        ship_by = row.get("shipBy")
        return cls(
            fulfillment=str(row["fulfillment"]),
            location=str(row["location"]),
            sku=str(row["sku"]),
            units=int(row.get("units") or 0),
            shipped=row["status"] in ("SHIPPED", "DELIVERED"),
            ship_by=None if ship_by is None else date.fromisoformat(ship_by),
        )


# -- the report ------------------------------------------------------------------------------------


def _plan(plan: RoutingPlan) -> dict[str, Any]:
    return plan.to_record() | {"explanation": []}


def report_map(report: SimulationReport) -> dict[str, Any]:
    """The report as the JSON map stored in ``SimulationRun.report``."""
    return {
        "orders": report.orders,
        "skipped": report.skipped,
        "skippedReasons": list(report.skipped_reasons),
        "policy": report.policy,
        "baseline": report.baseline,
        "stock": report.stock.value,
        "kpis": report.kpis.values(),
        "baselineKpis": report.baseline_kpis.values(),
        "deltas": dict(report.deltas),
        "changed": report.changed,
        "changedOrders": [
            {
                "order": c.order,
                "placedAt": c.placed_at.isoformat(),
                "plan": _plan(c.plan),
                "baselinePlan": _plan(c.baseline_plan),
            }
            for c in report.changed_orders
        ],
        "gateFailures": None if report.gate_failures is None else list(report.gate_failures),
    }


def report_from_map(value: Mapping[str, Any]) -> SimulationReport:
    failures = value.get("gateFailures")
    return SimulationReport(
        orders=int(value["orders"]),
        skipped=int(value["skipped"]),
        skipped_reasons=tuple(str(r) for r in value["skippedReasons"]),
        policy=str(value["policy"]),
        baseline=str(value["baseline"]),
        stock=StockMode(value["stock"]),
        kpis=Kpis.from_values(value["kpis"]),
        baseline_kpis=Kpis.from_values(value["baselineKpis"]),
        deltas={str(k): v for k, v in value["deltas"].items()},
        changed=int(value["changed"]),
        changed_orders=tuple(
            ChangedOrder(
                order=str(c["order"]),
                placed_at=datetime.fromisoformat(c["placedAt"]),
                plan=RoutingPlan.from_record(c["plan"]),
                baseline_plan=RoutingPlan.from_record(c["baselinePlan"]),
            )
            for c in value["changedOrders"]
        ),
        gate_failures=None if failures is None else tuple(str(f) for f in failures),
    )


@dataclass(frozen=True, slots=True)
class SimulationRecord:
    """A run: what it was asked (``request``, the input as given), its status and progress
    (``done`` of ``total`` order routings, both sides counted), and its report once DONE."""

    id: str
    status: SimulationStatus
    done: int
    total: int
    request: Mapping[str, Any]
    created_at: datetime
    finished_at: datetime | None
    report: SimulationReport | None
    error: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SimulationRecord:
        rid = row["id"]
        report = codec.decode(row.get("report"), RUN, rid, "report")
        finished = row.get("finishedAt")
        return cls(
            id=rid,
            status=SimulationStatus(row["status"]),
            done=int(row.get("done") or 0),
            total=int(row.get("total") or 0),
            request=codec.decode(row.get("request"), RUN, rid, "request", default={}),
            created_at=datetime.fromisoformat(row["createdAt"]),
            finished_at=None if finished is None else datetime.fromisoformat(finished),
            report=None if report is None else report_from_map(report),
            error=row.get("error"),
        )


def new_run_params(
    run_id: str, request: Mapping[str, Any], total: int, at: datetime
) -> dict[str, Any]:
    return {
        "id": run_id,
        "status": SimulationStatus.RUNNING.value,
        "done": 0,
        "total": total,
        "request": codec.encode(dict(request)),
        "createdAt": at.isoformat(),
        "policyId": request.get("policy"),
        "policyVersion": request.get("version"),
    }


def finished_params(
    report: SimulationReport | None, error: str | None, at: datetime
) -> dict[str, Any]:
    return {
        "status": (SimulationStatus.FAILED if report is None else SimulationStatus.DONE).value,
        "report": None if report is None else codec.encode(report_map(report)),
        "error": error,
        "finishedAt": at.isoformat(),
    }
