"""The records of webhook subscriptions, deliveries and the dispatcher's lease
(graph/records/events.py), and what the dispatcher makes of them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ordergraph.connectors import webhooks
from ordergraph.graph.records.events import (
    AttemptResult,
    DeliveryRecord,
    DeliveryStatus,
    DueDelivery,
    Endpoint,
    LeaseRecord,
    PendingEvent,
    SubscriptionRecord,
    instant,
)
from ordergraph.services import events
from tests.unit.test_records import EVENT_ROW

SUBSCRIPTION_ROW = {
    "id": "WH-0123456789",
    "url": "https://hooks.example.com/og",
    "eventTypes": ["OrderCreated"],
    "description": "ERP",
    "active": True,
    "createdAt": "2026-12-01T09:00:00+00:00",
    "createdAtMs": 1796115600000,
}
DELIVERY_ROW: dict[str, Any] = {
    "id": "WH-0123456789|OG-1-E2",
    "subscriptionId": "WH-0123456789",
    "eventId": "OG-1-E2",
    "orderId": "OG-1",
    "eventType": "FulfillmentShipped",
    "sequence": 2,
    "stream": "WH-0123456789|OG-1",
    "status": "DEAD",
    "attempts": 8,
    "nextAtMs": None,
    "createdAtMs": 1796115600000,
    "lastError": "HTTP 502: bad gateway",
    "lastStatusCode": 502,
    "lastAttemptAt": "2026-12-01T10:00:00+00:00",
    "lastAttemptAtMs": 1796119200000,
    "replay": None,
}
ENDPOINT_ROW = {"id": "WH-0123456789", "url": "https://hooks.example.com/og", "secret": "s" * 16}


def test_a_subscription_reads_what_it_stored_and_never_its_secret() -> None:
    rec = SubscriptionRecord.from_row(SUBSCRIPTION_ROW)
    assert rec.event_types == ("OrderCreated",) and rec.active and rec.description == "ERP"
    assert rec.created_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    params = rec.to_params("a-secret-of-16-chars")
    assert params == SUBSCRIPTION_ROW | {"secret": "a-secret-of-16-chars"}
    assert not hasattr(rec, "secret")


def test_a_subscription_stored_with_few_properties_takes_every_event() -> None:
    rec = SubscriptionRecord.from_row(
        {"id": "WH-1", "url": "https://h.example.com", "createdAt": "2026-01-01T00:00:00+00:00"}
    )
    assert (rec.event_types, rec.active, rec.description, rec.created_at_ms) == ((), True, None, 0)
    assert "description" not in rec.to_params("x" * 16)


def test_an_endpoint_keeps_its_secret_out_of_its_repr() -> None:
    endpoint = Endpoint.from_row(ENDPOINT_ROW)
    assert endpoint.secret == "s" * 16 and "s" * 16 not in repr(endpoint)


def test_a_delivery_reads_a_stored_row() -> None:
    rec = DeliveryRecord.from_row(DELIVERY_ROW)
    assert rec.status is DeliveryStatus.DEAD and (rec.attempts, rec.sequence) == (8, 2)
    assert (rec.last_error, rec.last_status_code) == ("HTTP 502: bad gateway", 502)
    assert rec.last_attempt_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert rec.last_attempt_at_ms == 1796119200000 and rec.replay is False


def test_a_new_delivery_stores_only_what_it_has_and_no_replay_flag() -> None:
    """The graph tells a stream's own deliveries by ``replay IS NULL``: false would not do."""
    row = {k: v for k, v in DELIVERY_ROW.items() if not k.startswith("last")}
    rec = DeliveryRecord.from_row(row | {"status": "READY", "attempts": 0, "nextAtMs": 5})
    assert rec.to_params() == {
        k: v for k, v in row.items() if v is not None and k not in ("status", "attempts")
    } | {"status": "READY", "attempts": 0, "nextAtMs": 5}
    replayed = DeliveryRecord.from_row(DELIVERY_ROW | {"replay": True})
    assert replayed.replay and replayed.to_params()["replay"] is True


def test_a_pending_event_without_an_order_or_instant() -> None:
    rec = PendingEvent.from_row({"id": "X-E1", "type": "OrderCreated"})
    assert (rec.order_id, rec.sequence, rec.at_ms) == (None, 0, 0)
    assert events.stream_of("WH-1", rec) == "WH-1|X-E1"


def test_a_lease_nobody_renewed_has_expired_at_zero() -> None:
    assert LeaseRecord.from_row({"owner": "host:1:ab", "untilMs": None}) == LeaseRecord(
        "host:1:ab", 0
    )


def test_a_failed_attempt_is_written_back_with_its_instant() -> None:
    delivery = DeliveryRecord.from_row(DELIVERY_ROW | {"status": "READY", "attempts": 2})
    config = events.DeliveryConfig(retry_base_s=1.0, max_attempts=8)
    result = events.settle(
        delivery, webhooks.Outcome(False, 500, "HTTP 500"), 1000, config, lambda: 1.0
    )
    assert result == AttemptResult(
        delivery.id, 2, DeliveryStatus.READY, 3, 5000, "HTTP 500", 500, 1000
    )
    assert not result.final
    assert result.to_params() == {
        "id": delivery.id,
        "before": 2,
        "status": "READY",
        "attempts": 3,
        "nextAtMs": 5000,  # 1000 + 4 s: the third failure waits base * 2^2
        "error": "HTTP 500",
        "code": 500,
        "at": "1970-01-01T00:00:01+00:00",
        "atMs": 1000,
        "final": False,
    }
    assert events.settle(delivery, webhooks.Outcome(True, 204), 1000, config).final


def test_a_due_delivery_with_its_event_and_endpoint_can_be_sent() -> None:
    due = DueDelivery.from_row({"d": DELIVERY_ROW, "e": EVENT_ROW, "s": ENDPOINT_ROW})
    assert due.problem is None and due.event is not None and due.endpoint is not None
    body = json.loads(webhooks.body(events.message(due.event)))
    assert body == {
        "id": "OG-1-E2",
        "type": "FulfillmentShipped",
        "orderId": "OG-1",
        "sequence": 2,
        "at": "2026-12-01T09:00:00+00:00",
        "payload": {"location": "DC-RENO", "lines": [{"sku": "SKU-A", "quantity": 2}]},
    }


def test_a_due_delivery_whose_event_or_subscription_is_gone() -> None:
    nothing = dict.fromkeys(EVENT_ROW)  # what an OPTIONAL MATCH that found nothing projects
    for row in ({"e": nothing, "s": ENDPOINT_ROW}, {"e": EVENT_ROW, "s": None}):
        due = DueDelivery.from_row({"d": DELIVERY_ROW} | row)
        assert due.problem == "the event or the subscription is gone"


def test_a_due_delivery_whose_event_payload_is_corrupt_says_so_instead_of_failing_the_batch() -> (
    None
):
    row = {"d": DELIVERY_ROW, "e": EVENT_ROW | {"payload": '{"location": '}, "s": ENDPOINT_ROW}
    due = DueDelivery.from_row(row)
    assert due.event is None and due.endpoint is not None
    assert (due.problem or "").startswith(
        "Event OG-1-E2: stored property 'payload' is not valid JSON"
    )


def test_an_instant_in_ms_is_utc() -> None:
    assert instant(1796115600000) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
