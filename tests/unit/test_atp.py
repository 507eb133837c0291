"""Channel available-to-promise (domain/atp.py), with every number worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from ordergraph.domain.atp import (
    DEFAULT_RULES,
    ChannelRules,
    Protection,
    Sourcing,
    channel_atp,
    take,
)

TODAY = date(2026, 12, 4)


def atp(
    channel: str = "web",
    rules: ChannelRules = DEFAULT_RULES,
    *,
    on_hand: int = 0,
    reserved: int = 0,
    safety: int = 0,
    protections: tuple[Protection, ...] = (),
    in_sourcing: bool = True,
) -> int:
    return channel_atp(
        channel,
        rules,
        on_hand=on_hand,
        reserved=reserved,
        safety_stock=safety,
        protections=protections,
        today=TODAY,
        in_sourcing=in_sourcing,
    ).result


def test_without_rules_a_channel_sees_the_free_stock_as_before() -> None:
    assert atp(on_hand=40, reserved=5, safety=2) == 33
    assert atp(on_hand=3, reserved=5, safety=2) == 0  # never below zero


def test_a_buffer_holds_units_back_per_position() -> None:
    amazon = ChannelRules(buffer_units=2)
    assert atp("amazon", amazon, on_hand=10) == 8
    assert atp("amazon", amazon, on_hand=2) == 0
    assert atp("amazon", amazon, on_hand=1) == 0  # never below zero


def test_a_share_is_rounded_down() -> None:
    assert atp("amazon", ChannelRules(share_percent=80), on_hand=9) == 7  # floor(7.2)
    assert atp("amazon", ChannelRules(share_percent=0), on_hand=9) == 0


def test_protected_units_are_only_for_their_channel() -> None:
    held = (Protection("b2b", 100),)
    assert atp("b2b", on_hand=130, protections=held) == 130  # own 100 + shared 30
    assert atp("web", on_hand=130, protections=held) == 30
    assert atp("web", on_hand=80, protections=held) == 0  # all 80 free units are b2b's
    assert atp("b2b", on_hand=80, protections=held) == 80


def test_a_protection_holds_through_its_last_day_and_not_after() -> None:
    held = (Protection("b2b", 10, until=TODAY),)
    assert atp("web", on_hand=12, protections=held) == 2
    ended = (Protection("b2b", 10, until=date(2026, 12, 3)),)
    assert atp("web", on_hand=12, protections=ended) == 12
    assert atp("b2b", on_hand=12, protections=ended) == 12


def test_outside_its_sourcing_a_channel_sees_nothing() -> None:
    assert atp(on_hand=10, in_sourcing=False) == 0


def test_buffer_share_and_protection_on_one_position() -> None:
    """onHand 150, reserved 8, safety 2: free 140. b2b holds 100, pos holds 15 (sum 115).
    For amazon (share 80%, buffer 2): own 0, protected min(140, 115) = 115, shared 25,
    floor(25 * 0.8) = 20, less 2 = 18. For b2b with the same share and buffer: own 100 + 18."""
    rules = ChannelRules(buffer_units=2, share_percent=80)
    held = (Protection("b2b", 100), Protection("pos", 15))
    got = channel_atp(
        "amazon",
        rules,
        on_hand=150,
        reserved=8,
        safety_stock=2,
        protections=held,
        today=TODAY,
    )
    assert (got.free, got.protected, got.own, got.shared, got.from_shared, got.result) == (
        140,
        115,
        0,
        25,
        18,
        18,
    )
    assert got.protected_for_others == 115
    assert got.explanation() == (
        "on hand 150 - reserved 8 - safety 2 = free 140",
        "protected for other channels 115, own protected 0, shared 25",
        "share 80% of shared 25 = 20, less buffer 2 = 18",
        "available to amazon: own 0 + 18 = 18",
    )
    b2b = channel_atp(
        "b2b", rules, on_hand=150, reserved=8, safety_stock=2, protections=held, today=TODAY
    )
    assert (b2b.own, b2b.protected_for_others, b2b.result) == (100, 15, 118)


def test_when_protections_exceed_free_stock_each_channel_sees_at_most_the_free_units() -> None:
    held = (Protection("b2b", 8), Protection("pos", 8))
    assert atp("b2b", on_hand=10, protections=held) == 8
    assert atp("pos", on_hand=10, protections=held) == 8
    assert atp("web", on_hand=10, protections=held) == 0


def test_a_reservation_takes_own_units_first() -> None:
    got = channel_atp(
        "b2b",
        DEFAULT_RULES,
        on_hand=130,
        reserved=0,
        safety_stock=0,
        protections=(Protection("b2b", 100),),
        today=TODAY,
    )
    assert take(got, 30) == (30, 0)
    assert take(got, 120) == (100, 20)
    with pytest.raises(AssertionError):
        take(got, 131)


@pytest.mark.parametrize(
    ("sourcing", "where", "allowed"),
    [
        (Sourcing(), ("STORE-1", "STORE", ()), True),
        (Sourcing(kinds=frozenset({"WAREHOUSE"})), ("STORE-1", "STORE", ()), False),
        (Sourcing(kinds=frozenset({"WAREHOUSE"})), ("DC-1", "WAREHOUSE", ()), True),
        (Sourcing(locations=frozenset({"DC-1"})), ("DC-2", "WAREHOUSE", ()), False),
        (Sourcing(exclude_tags=frozenset({"outlet"})), ("DC-1", "WAREHOUSE", ("outlet",)), False),
    ],
)
def test_sourcing_by_id_kind_and_tag(
    sourcing: Sourcing, where: tuple[str, str, tuple[str, ...]], allowed: bool
) -> None:
    assert sourcing.allows(*where) is allowed


def test_equal_rules_have_equal_digests_and_a_change_changes_it() -> None:
    a = ChannelRules(Sourcing(kinds=frozenset({"WAREHOUSE", "STORE"})), 2, 80)
    b = ChannelRules(Sourcing(kinds=frozenset({"STORE", "WAREHOUSE"})), 2, 80)
    assert a.digest() == b.digest()
    assert a.digest() != ChannelRules(a.sourcing, 3, 80).digest()
    assert DEFAULT_RULES.digest() != ChannelRules(Sourcing(kinds=frozenset())).digest()
