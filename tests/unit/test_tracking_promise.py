"""domain.tracking: a carrier ETA moves a promise only later, to the latest live estimate."""

from __future__ import annotations

from datetime import date

from ordergraph.domain.tracking import PromiseMove, move_promise

D = date(2026, 3, 4)


def test_a_later_eta_moves_the_estimate_and_the_promise() -> None:
    assert move_promise(date(2026, 3, 6), D, [], D) == PromiseMove(
        date(2026, 3, 6), date(2026, 3, 6)
    )


def test_an_earlier_or_equal_eta_moves_nothing() -> None:
    assert move_promise(D, D, [], D) is None
    assert move_promise(date(2026, 3, 3), D, [], D) is None
    assert move_promise(None, D, [], D) is None
    assert move_promise(date(2026, 3, 6), None, [], D) is None


def test_another_later_shipment_keeps_the_promise() -> None:
    move = move_promise(date(2026, 3, 6), D, [date(2026, 3, 9)], date(2026, 3, 9))
    assert move == PromiseMove(date(2026, 3, 6), None)
    assert move_promise(date(2026, 3, 6), D, [date(2026, 3, 5)], date(2026, 3, 5)) == PromiseMove(
        date(2026, 3, 6), date(2026, 3, 6)
    )
