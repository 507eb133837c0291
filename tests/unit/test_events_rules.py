"""Which subscriptions receive which events: every type but the channel feed's, unless named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ordergraph.domain.events import NAMED_ONLY, selected
from ordergraph.graph.records.events import PendingEvent, SubscriptionRecord
from ordergraph.services.events import plan_fan_out, wants

FEED = "channel.availability_changed"


@pytest.mark.parametrize(
    ("event_type", "types", "expected"),
    [
        ("OrderCreated", None, True),
        ("OrderCreated", (), True),
        ("inbound.received", (), True),
        (FEED, None, False),
        (FEED, (), False),
        (FEED, (FEED,), True),
        (FEED, ("OrderCreated",), False),
        ("OrderCreated", (FEED,), False),
        ("OrderCreated", ("OrderCreated", FEED), True),
    ],
)
def test_a_subscription_without_types_gets_all_but_the_channel_feed(
    event_type: str, types: tuple[str, ...] | None, expected: bool
) -> None:
    assert selected(event_type, types) is expected


def subscription(sub_id: str, types: tuple[str, ...]) -> SubscriptionRecord:
    return SubscriptionRecord(sub_id, "https://erp.example/hook", types, True, None,
                              datetime(2026, 12, 1, tzinfo=UTC), 1_000)  # fmt: skip


def test_the_fan_out_gives_feed_events_only_to_who_named_them() -> None:
    everything, feed = subscription("WH-ALL", ()), subscription("WH-FEED", (FEED,))
    order = PendingEvent("OG-1-E1", "OG-1", 1, "OrderCreated", 2_000)
    number = PendingEvent("CHA:amazon|SKU-1-S3", None, 3, FEED, 2_000, stream="amazon|SKU-1")
    assert FEED in NAMED_ONLY
    assert [wants(everything, e) for e in (order, number)] == [True, False]
    assert [wants(feed, e) for e in (order, number)] == [False, True]
    planned = plan_fan_out([order, number], [everything, feed], set(), 3_000)
    assert sorted((d.subscription_id, d.event_id) for d in planned) == [
        ("WH-ALL", "OG-1-E1"),
        ("WH-FEED", "CHA:amazon|SKU-1-S3"),
    ]
