"""ProofAttempts (services/tracking.py): a flood of unknown order numbers never resets the
count of an order being guessed (review 2026-12-04: it used to clear every count past 100,000)."""

from __future__ import annotations

import contextlib

import pytest

from ordergraph.domain.errors import OrderGraphError
from ordergraph.services import tracking
from ordergraph.services.tracking import ProofAttempts


def test_a_flood_of_unknown_orders_does_not_unlock_a_guessed_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tracking, "MAX_COUNTED", 50)
    now = [0.0]
    attempts = ProofAttempts(clock=lambda: now[0])
    for _ in range(tracking.MAX_WRONG_PROOFS):
        attempts.wrong("OG-TARGET")
    with pytest.raises(OrderGraphError):
        attempts.check("OG-TARGET")
    for n in range(200):  # one wrong proof each for many made-up orders
        with contextlib.suppress(OrderGraphError):  # full: refused, not forgotten
            attempts.wrong(f"OG-FLOOD-{n}")
    with pytest.raises(OrderGraphError):
        attempts.check("OG-TARGET")
    now[0] += tracking.PROOF_WINDOW_SECONDS + 1  # the window passes: counts expire
    attempts.check("OG-TARGET")
    attempts.wrong("OG-NEW")  # and there is room again


def test_a_key_is_stopped_after_many_wrong_proofs_over_many_orders() -> None:
    attempts = ProofAttempts(clock=lambda: 0.0)
    for n in range(tracking.MAX_WRONG_PROOFS_PER_KEY):
        attempts.check(f"OG-{n}", "key-a")
        attempts.wrong(f"OG-{n}", "key-a")
    with pytest.raises(OrderGraphError):
        attempts.check("OG-OTHER", "key-a")
    attempts.check("OG-OTHER", "key-b")
