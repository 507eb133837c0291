"""How the console words events and failures (web/console/views.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from ordergraph.graph.records.events import EventRecord
from ordergraph.web.console.views import event_summary


def event(kind: str, **payload: object) -> EventRecord:
    return EventRecord("E1", "OG-1", 2, kind, datetime(2026, 12, 1, tzinfo=UTC), None, payload)


def test_a_timeline_line_names_where_why_and_what_is_still_waiting() -> None:
    shown = event_summary(
        event(
            "OrderRerouted",
            location="DC-RENO",
            reason="damaged",
            fulfillments=[{"location": "STORE-SF"}, {"location": "STORE-LA"}],
            backordered=[{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-2", "quantity": 1}],
            explanation=["a long routing story"],
            shipTo={"name": "kept out of the line"},
        )
    )
    assert shown == [
        ("location", "DC-RENO"),
        ("reason", "damaged"),
        ("fulfillments", "2 (STORE-SF, STORE-LA)"),
        ("backordered", "3 units"),
    ]
    assert event_summary(event("OrderCancelled", reason="", lines=[])) == []
