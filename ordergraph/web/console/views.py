"""How the console words what it shows: KPI tiles, one line per order event, what to fix
before replaying an ingestion failure, and the exception queue's counts."""

from __future__ import annotations

from typing import Any

from ordergraph.graph.records.events import EventRecord
from ordergraph.graph.records.ingestion import IngestionFailureRecord
from ordergraph.services.console import ExceptionQueue

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
