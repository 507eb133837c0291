"""Which channel numbers the feed out announces (domain/channel_feed.py)."""

from __future__ import annotations

from ordergraph.domain.channel_feed import Change, changes


def test_a_first_sight_is_a_baseline_and_announces_nothing() -> None:
    assert changes(None, {"amazon": 5, "web": 7}) == ()


def test_only_changed_numbers_are_announced_with_what_was_told() -> None:
    assert changes({"amazon": 5, "web": 7}, {"amazon": 3, "web": 7}) == (Change("amazon", 3, 5),)


def test_a_channel_new_since_is_announced_without_a_previous_number() -> None:
    assert changes({"web": 7}, {"b2b": 0, "web": 7}) == (Change("b2b", 0, None),)


def test_the_payload_names_the_channel_sku_numbers_and_version() -> None:
    assert Change("amazon", 3, 5).payload("BOOT-42", 9) == {
        "channel": "amazon",
        "sku": "BOOT-42",
        "available": 3,
        "previous": 5,
        "stockVersion": 9,
    }
