"""Tracking back in: what a carrier's ETA does to a fulfillment's and an order's promise.

A carrier ETA later than the fulfillment's estimated delivery moves that estimate to the ETA;
the order's promise is then the latest estimate of its live fulfillments. An earlier ETA never
moves a promise forward (the promise is what the customer was told; an early parcel is on
time). The first estimate and the first promise are kept (``original*``) for the on-time KPI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

__all__ = ["PromiseMove", "move_promise"]


@dataclass(frozen=True, slots=True)
class PromiseMove:
    estimated_delivery: date  # the fulfillment's new estimate
    promised_by: date | None  # the order's new promise; None when it does not change


def move_promise(
    eta: date | None,
    estimate: date | None,
    other_estimates: Iterable[date],
    promised_by: date | None,
) -> PromiseMove | None:
    """The move a carrier ETA makes, or None when it makes none."""
    if eta is None or estimate is None or eta <= estimate:
        return None
    latest = max([eta, *other_estimates])
    promise = latest if promised_by is None or latest > promised_by else None
    return PromiseMove(estimated_delivery=eta, promised_by=promise)
