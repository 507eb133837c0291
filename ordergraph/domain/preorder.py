"""Preorder promise dates: when units sold from inbound supply ship and arrive.

A preorder is promised from the inbound line it is sold against (DOMAIN.md, "Channel
available-to-promise"): the units can ship once they have arrived and been processed, so

    ship date     = the later of the usual ship date of an order placed now
                    (``promise.ship_date``: cut-off, processing days) and the first business day
                    on or after the line's ``expected_at`` plus ``processing_days`` business days
    delivery date = ship date + the lane's ``transit_days`` business days

Arrival counts as before the cut-off of its day: units that arrive on a business day with no
processing days ship that day. Every calendar rule (business days, the location's public
holidays) is ``domain.promise``'s; nothing here counts days itself.
"""

from __future__ import annotations

from datetime import date, datetime

from ordergraph.domain.promise import (
    add_business_days,
    delivery_date,
    is_business_day,
    next_business_day,
    ship_date,
)

__all__ = ["preorder_delivery_date", "preorder_ship_date"]


def preorder_ship_date(
    expected_at: date,
    placed_at: datetime,
    timezone: str,
    cutoff: str | None,
    processing_days: int,
    country: str,
) -> date:
    """The local date the location ships a preorder placed at ``placed_at`` for units expected
    on ``expected_at``."""
    usual = ship_date(placed_at, timezone, cutoff, processing_days, country)
    arrival = (
        expected_at
        if is_business_day(expected_at, country)
        else next_business_day(expected_at, country)
    )
    return max(usual, add_business_days(arrival, processing_days, country))


def preorder_delivery_date(
    expected_at: date,
    placed_at: datetime,
    timezone: str,
    cutoff: str | None,
    processing_days: int,
    country: str,
    transit_days: int,
) -> date:
    """The promised delivery of that preorder over a lane of ``transit_days``:
    expected date + processing + transit, in business days."""
    ship = preorder_ship_date(expected_at, placed_at, timezone, cutoff, processing_days, country)
    return delivery_date(ship, transit_days, country)
