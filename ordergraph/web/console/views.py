"""How the console words what it shows: KPI tiles, one line per order event, what to fix
before replaying an ingestion failure, the exception queue's counts, and a sandbox report's
KPI table and plans."""

from __future__ import annotations

import re
from typing import Any

from ordergraph.domain.routing.types import RoutingPlan
from ordergraph.domain.simulation import SimulationReport
from ordergraph.graph.records.events import EventRecord
from ordergraph.graph.records.ingestion import IngestionFailureRecord
from ordergraph.services.console import ExceptionQueue
from ordergraph.web.console.svg import fmt

# (Kpis field, title, a rate?, unit): the four KPIs the console charts (docs/kpis.md)
KPI_TILES = (
    ("fill_rate", "Fill rate", True, ""),
    ("split_rate", "Split rate", True, ""),
    ("cost_per_order", "Cost per order", False, ""),
    ("on_time_rate", "On-time rate", True, ""),
)

SHOWN = (
    "status",
    "location",
    "fulfillmentId",
    "reason",
    "carrier",
    "trackingNumber",
    "promisedBy",
    "returnId",
    "disposition",
)


def event_summary(event: EventRecord) -> list[tuple[str, str]]:
    """The few payload fields a person reads in a timeline, plus fulfillments and backorders
    counted (the payload itself stays in the API)."""
    payload: dict[str, Any] = dict(event.payload)
    shown = [(k, str(payload[k])) for k in SHOWN if payload.get(k) not in (None, "", [])]
    made = payload.get("fulfillments")
    if isinstance(made, list) and made:
        where = ", ".join(
            str(f.get("location")) for f in made if isinstance(f, dict) and f.get("location")
        )
        shown.append(("fulfillments", f"{len(made)} ({where})" if where else str(len(made))))
    waiting = payload.get("backordered")
    if isinstance(waiting, list) and waiting:
        units = sum(int(b.get("quantity", 0)) for b in waiting if isinstance(b, dict))
        shown.append(("backordered", f"{units} units"))
    return shown


def failure_hint(failure: IngestionFailureRecord) -> str:
    """What an operator fixes before the replay, by the failure's code."""
    return {
        "UNKNOWN_SKU": "create the SKU (skuUpsert or the network file), then replay",
        "UNSERVICEABLE_ADDRESS": "add a region for the postal code, or ask the channel to fix it",
        "INSUFFICIENT_STOCK": "add stock or let it backorder, then replay",
        "INVALID_INPUT": "the payload is wrong: ask the channel to send it again",
        "UNKNOWN_LOCATION": "create the location, then replay",
    }.get(failure.code, "fix the cause named, then replay")


def queue_counts(queue: ExceptionQueue) -> list[tuple[str, str, int]]:
    """(anchor, title, count) per kind, in the queue's order."""
    return [
        ("ingestion", "Ingestion failures", len(queue.failures)),
        ("webhooks", "Dead-lettered webhooks", len(queue.dead_letters)),
        ("capped", "Re-routed past the cap", len(queue.capped)),
        ("backorders", f"Backorders over {queue.backorder_hours} h", len(queue.backorders)),
        ("late", "Late against the promise", len(queue.late)),
    ]


def kpi_rows(report: SimulationReport) -> list[dict[str, str]]:
    """The sandbox report's KPI table: each KPI on both sides and the policy's delta, in the
    console's formatting (``svg.fmt``; a rate as a percentage, its delta in points)."""
    mine, theirs = report.kpis.values(), report.baseline_kpis.values()
    return [
        {
            "name": name,
            "title": re.sub(r"(?<!^)(?=[A-Z])", " ", name).capitalize(),
            "policy": kpi_value(name, value),
            "baseline": kpi_value(name, theirs.get(name)),
            "delta": signed(name, report.deltas.get(name)),
        }
        for name, value in mine.items()
    ]


COUNTS = frozenset({"orders", "unitsOrdered"})


def kpi_value(name: str, value: float | None) -> str:
    """A KPI by its camelCase name: a count whole, a rate as a percentage, else 2 decimals."""
    if value is not None and name in COUNTS:
        return f"{value:,.0f}"
    return fmt(value, name.endswith("Rate"))


def signed(name: str, delta: float | None) -> str:
    """A policy's delta against its baseline: a rate's in percentage points."""
    if delta is None:
        return "\u2013"
    if name.endswith("Rate"):
        return f"{delta * 100:+.0f} pts"
    return f"{delta:+,.0f}" if name in COUNTS else f"{delta:+,.2f}"


def shipments(plan: RoutingPlan) -> list[dict[str, str]]:
    """One changed order's plan as a person compares it: per shipment the location, the
    carrier and service, the units and the promised date; the backordered units last."""
    made = [
        {
            "location": s.location_id,
            "carrier": f"{s.carrier} {s.service}",
            "units": str(s.units),
            "promised": s.estimated_delivery.isoformat(),
        }
        for s in plan.shipments
    ]
    waiting = sum(quantity for _, quantity in plan.backordered)
    if waiting:
        made.append(
            {"location": "backordered", "carrier": "", "units": str(waiting), "promised": ""}
        )
    return made
