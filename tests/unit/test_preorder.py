"""Preorder promise dates (pure): expected date + processing + transit in business days, never
before the usual promise of an order placed now. Dates computed by hand from a calendar
(December 2026: the 15th is a Tuesday, the 19th a Saturday, the 25th a Friday and a US
holiday)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ordergraph.domain.preorder import preorder_promise, preorder_ship_date

LA = "America/Los_Angeles"
PLACED = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # Tuesday 09:00 in Reno, before the cut-off


def delivery(
    expected: date,
    placed: datetime,
    tz: str,
    cutoff: str,
    processing: int,
    country: str,
    transit: int,
) -> date:
    """The promised delivery of ``preorder_promise``."""
    return preorder_promise(expected, placed, tz, cutoff, processing, country, transit)[1]


def test_units_due_on_a_business_day_ship_that_day_and_arrive_after_the_transit() -> None:
    assert preorder_ship_date(date(2026, 12, 15), PLACED, LA, "14:00", 0, "US") == date(
        2026, 12, 15
    )
    # Tuesday 15th + 2 business days of transit: Thursday 17th
    assert delivery(date(2026, 12, 15), PLACED, LA, "14:00", 0, "US", 2) == date(2026, 12, 17)


def test_processing_days_count_from_the_arrival() -> None:
    # Tuesday 15th + 2 processing days: Thursday 17th; + 3 transit: Friday 18th, Monday 21st,
    # Tuesday 22nd
    assert preorder_ship_date(date(2026, 12, 15), PLACED, LA, "14:00", 2, "US") == date(
        2026, 12, 17
    )
    assert delivery(date(2026, 12, 15), PLACED, LA, "14:00", 2, "US", 3) == date(2026, 12, 22)


def test_units_due_on_a_weekend_are_processed_from_the_next_business_day() -> None:
    # Saturday 19th: Monday 21st is the first business day; + 1 processing day: Tuesday 22nd
    assert preorder_ship_date(date(2026, 12, 19), PLACED, LA, "14:00", 1, "US") == date(
        2026, 12, 22
    )


def test_the_location_s_public_holidays_are_skipped() -> None:
    # Thursday 24th ships the same day; 1 transit day skips Christmas (Friday 25th) and the
    # weekend: Monday 28th
    assert delivery(date(2026, 12, 24), PLACED, LA, "14:00", 0, "US", 1) == date(2026, 12, 28)


def test_a_late_inbound_never_promises_before_an_order_placed_now_could_ship() -> None:
    # expected last week (Tuesday 24 Nov) but not received: placed Tuesday 1 Dec after the
    # 14:00 cut-off (15:00 in Reno), it ships Wednesday 2nd like any order
    late = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert preorder_ship_date(date(2026, 11, 24), late, LA, "14:00", 0, "US") == date(2026, 12, 2)
