from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordergraph.domain.promise import (
    add_business_days,
    delivery_date,
    is_business_day,
    ready_by,
    ship_date,
)

NEW_YORK = "America/New_York"
LOS_ANGELES = "America/Los_Angeles"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_an_order_before_the_cutoff_ships_the_same_day() -> None:
    # Monday 2 March 2026, 12:00 in New York (EST, UTC-5).
    assert ship_date(utc(2026, 3, 2, 17, 0), NEW_YORK, "14:00", 0, "US") == date(2026, 3, 2)


def test_an_order_after_the_cutoff_ships_the_next_business_day() -> None:
    assert ship_date(utc(2026, 3, 2, 20, 0), NEW_YORK, "14:00", 0, "US") == date(2026, 3, 3)


def test_an_order_exactly_at_the_cutoff_misses_it() -> None:
    assert ship_date(utc(2026, 3, 2, 19, 0), NEW_YORK, "14:00", 0, "US") == date(2026, 3, 3)


def test_a_friday_evening_order_ships_on_monday() -> None:
    # Friday 6 March 2026, 18:00 in New York.
    assert ship_date(utc(2026, 3, 6, 23, 0), NEW_YORK, "14:00", 0, "US") == date(2026, 3, 9)


def test_a_weekend_order_ships_on_monday_even_before_the_cutoff() -> None:
    # Saturday 7 March 2026, 09:00 in New York.
    assert ship_date(utc(2026, 3, 7, 14, 0), NEW_YORK, "14:00", 0, "US") == date(2026, 3, 9)


def test_a_location_without_a_cutoff_ships_the_same_business_day_at_any_hour() -> None:
    assert ship_date(utc(2026, 3, 3, 3, 30), NEW_YORK, None, 0, "US") == date(2026, 3, 2)


def test_thanksgiving_is_not_a_business_day() -> None:
    # Wednesday 25 November 2026 after the cut-off: Thursday is Thanksgiving.
    assert not is_business_day(date(2026, 11, 26), "US")
    assert ship_date(utc(2026, 11, 25, 21, 0), NEW_YORK, "14:00", 0, "US") == date(2026, 11, 27)


def test_an_order_on_thanksgiving_morning_waits_for_friday() -> None:
    assert ship_date(utc(2026, 11, 26, 14, 0), NEW_YORK, "14:00", 0, "US") == date(2026, 11, 27)


def test_the_observed_fourth_of_july_is_skipped() -> None:
    # 4 July 2026 is a Saturday, observed on Friday 3 July.
    assert not is_business_day(date(2026, 7, 3), "US")
    assert ship_date(utc(2026, 7, 2, 21, 0), NEW_YORK, "14:00", 0, "US") == date(2026, 7, 6)


def test_christmas_pushes_both_shipping_and_delivery() -> None:
    # Thursday 24 December 2026 after the cut-off: Friday is Christmas Day.
    assert ship_date(utc(2026, 12, 24, 21, 0), NEW_YORK, "14:00", 0, "US") == date(2026, 12, 28)
    assert delivery_date(date(2026, 12, 23), 2, "US") == date(2026, 12, 28)


def test_holidays_follow_the_location_country() -> None:
    # 26 December is a holiday in Germany but not in the United States.
    assert not is_business_day(date(2028, 12, 26), "DE")
    assert is_business_day(date(2028, 12, 26), "US")


def test_an_unknown_country_has_weekends_only() -> None:
    assert is_business_day(date(2026, 12, 25), "XX")
    assert not is_business_day(date(2026, 12, 26), "XX")


def test_the_same_instant_is_before_the_cutoff_in_los_angeles_and_after_it_in_new_york() -> None:
    instant = utc(2026, 3, 2, 21, 30)  # 13:30 in Los Angeles, 16:30 in New York
    assert ship_date(instant, LOS_ANGELES, "14:00", 0, "US") == date(2026, 3, 2)
    assert ship_date(instant, NEW_YORK, "14:00", 0, "US") == date(2026, 3, 3)


def test_the_local_day_decides_not_the_utc_day() -> None:
    # Saturday 00:30 UTC is still Friday 14:30 in Honolulu, before a 16:00 cut-off.
    instant = utc(2026, 3, 7, 0, 30)
    assert ship_date(instant, "Pacific/Honolulu", "16:00", 0, "US") == date(2026, 3, 6)


def test_processing_days_add_business_days_after_the_first_day() -> None:
    assert ship_date(utc(2026, 3, 2, 17, 0), NEW_YORK, "14:00", 2, "US") == date(2026, 3, 4)
    # Friday before the cut-off, one processing day: Monday.
    assert ship_date(utc(2026, 3, 6, 15, 0), NEW_YORK, "14:00", 1, "US") == date(2026, 3, 9)
    # Friday after the cut-off, one processing day: Tuesday.
    assert ship_date(utc(2026, 3, 6, 23, 0), NEW_YORK, "14:00", 1, "US") == date(2026, 3, 10)


def test_delivery_adds_transit_business_days() -> None:
    assert delivery_date(date(2026, 3, 6), 0, "US") == date(2026, 3, 6)
    assert delivery_date(date(2026, 3, 6), 1, "US") == date(2026, 3, 9)
    assert delivery_date(date(2026, 3, 4), 3, "US") == date(2026, 3, 9)


def test_adding_business_days_skips_weekends_and_holidays() -> None:
    assert add_business_days(date(2026, 11, 25), 1, "US") == date(2026, 11, 27)
    assert add_business_days(date(2026, 11, 25), 0, "US") == date(2026, 11, 25)
    assert add_business_days(date(2026, 12, 31), 1, "us") == date(2027, 1, 4)


@pytest.mark.parametrize("cutoff", ["2pm", "24:00", "14:60", "1400", "14:0", "", "1a:00"])
def test_an_invalid_cutoff_string_raises_value_error(cutoff: str) -> None:
    with pytest.raises(ValueError, match="cutoff"):
        ship_date(utc(2026, 3, 2, 17, 0), NEW_YORK, cutoff, 0, "US")


def test_naive_instants_unknown_time_zones_and_negative_days_raise_value_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        ship_date(datetime(2026, 3, 2, 17, 0), NEW_YORK, "14:00", 0, "US")
    with pytest.raises(ValueError, match="time zone"):
        ship_date(utc(2026, 3, 2, 17, 0), "Mars/Olympus_Mons", "14:00", 0, "US")
    with pytest.raises(ValueError):
        ship_date(utc(2026, 3, 2, 17, 0), NEW_YORK, "14:00", -1, "US")
    with pytest.raises(ValueError):
        delivery_date(date(2026, 3, 2), -1, "US")


def test_a_pickup_before_the_cutoff_is_ready_two_hours_later() -> None:
    placed = utc(2026, 3, 2, 17, 0)
    assert ready_by(placed, NEW_YORK, "14:00", 0, "US") == utc(2026, 3, 2, 19, 0)
    assert ready_by(placed, NEW_YORK, "14:00", 0, "US", pickup_hours=1) == utc(2026, 3, 2, 18, 0)


def test_a_pickup_after_the_cutoff_is_ready_at_ten_on_the_next_business_day() -> None:
    # Friday evening: ready Monday 10:00 in New York, daylight saving time (EDT, UTC-4) by then.
    ready = ready_by(utc(2026, 3, 6, 23, 0), NEW_YORK, "14:00", 0, "US")
    assert ready == utc(2026, 3, 9, 14, 0)
    assert ready.tzinfo == UTC


def test_a_pickup_with_processing_days_is_ready_at_ten_on_the_ship_date() -> None:
    ready = ready_by(utc(2026, 3, 2, 17, 0), LOS_ANGELES, "14:00", 1, "US")
    assert ready == utc(2026, 3, 3, 18, 0)  # 10:00 PST


ZONES = [NEW_YORK, LOS_ANGELES, "Europe/Berlin", "Asia/Tokyo", "Pacific/Honolulu"]
COUNTRIES = ["US", "DE", "JP", "GB", "XX"]


@settings(max_examples=200, deadline=None, database=None)
@given(
    minutes=st.integers(min_value=0, max_value=2 * 366 * 24 * 60),
    zone=st.sampled_from(ZONES),
    country=st.sampled_from(COUNTRIES),
    cutoff=st.sampled_from([None, "00:00", "09:30", "14:00", "23:59"]),
    processing=st.integers(min_value=0, max_value=3),
    transit=st.integers(min_value=0, max_value=5),
)
def test_ship_and_delivery_dates_always_fall_on_business_days_in_order(
    minutes: int, zone: str, country: str, cutoff: str | None, processing: int, transit: int
) -> None:
    placed = utc(2026, 1, 1) + timedelta(minutes=minutes)
    local_day = placed.astimezone(ZoneInfo(zone)).date()
    ship = ship_date(placed, zone, cutoff, processing, country)
    assert is_business_day(ship, country)
    assert ship >= local_day
    if processing == 0 and cutoff is None and is_business_day(local_day, country):
        assert ship == local_day
    arrive = delivery_date(ship, transit, country)
    assert is_business_day(arrive, country)
    assert arrive >= ship
    ready = ready_by(placed, zone, cutoff, processing, country)
    assert ready >= placed
