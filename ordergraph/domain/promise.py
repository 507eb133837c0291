"""Promise dates: when a location ships, when a parcel arrives, when a pickup is ready.

The rules (DOMAIN.md, "Promise dates"):

1. Convert the order's instant to the location's time zone. If that local day is a business day
   and the local time is strictly before the location's ``cutoff``, the ship date is that day plus
   ``processing_days`` business days; otherwise it is the next business day plus
   ``processing_days`` business days. A location without a cut-off ships the same business day
   whatever the hour.
2. The delivery date is the ship date plus the lane's ``transit_days`` business days.
3. Business days skip Saturdays, Sundays and the public holidays of the location's country
   (the ``holidays`` package, observed days included). An unknown country has weekends only.

Everything here is pure and deterministic: the instant is always passed in, never read from the
clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "add_business_days",
    "delivery_date",
    "is_business_day",
    "local_date",
    "next_business_day",
    "parse_cutoff",
    "ready_after_transfer",
    "ready_by",
    "ship_date",
]

PICKUP_OPENING = time(10, 0)
"""The local hour at which a pickup prepared on a later day is ready."""


@lru_cache(maxsize=1024)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    """The public holidays of ``country`` in ``year``; empty when the package does not know it."""
    try:
        calendar = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        return frozenset()
    return frozenset(day for day in calendar if day.year == year)


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {name!r}") from exc


@lru_cache(maxsize=256)
def parse_cutoff(cutoff: str) -> time:
    """Parse a local ``HH:MM`` cut-off (24-hour clock); anything else raises ``ValueError``."""
    hours, sep, minutes = cutoff.partition(":")
    if (
        sep != ":"
        or len(hours) != 2
        or len(minutes) != 2
        or not hours.isdigit()
        or not minutes.isdigit()
        or not hours.isascii()
        or not minutes.isascii()
    ):
        raise ValueError(f"cutoff must be HH:MM, got {cutoff!r}")
    hour, minute = int(hours), int(minutes)
    if hour > 23 or minute > 59:
        raise ValueError(f"cutoff must be HH:MM, got {cutoff!r}")
    return time(hour, minute)


def is_business_day(d: date, country: str) -> bool:
    """True when ``d`` is neither a weekend day nor a public holiday of ``country``."""
    if d.weekday() >= 5:
        return False
    return d not in _public_holidays(country.upper(), d.year)


def next_business_day(d: date, country: str) -> date:
    """The first business day strictly after ``d``."""
    day = d + timedelta(days=1)
    while not is_business_day(day, country):
        day += timedelta(days=1)
    return day


def add_business_days(d: date, n: int, country: str) -> date:
    """``d`` moved forward by ``n`` business days (``n == 0`` returns ``d`` itself)."""
    if n < 0:
        raise ValueError(f"business days must be >= 0, got {n}")
    return _add_business_days(d, n, country.upper())


@lru_cache(maxsize=65536)
def _add_business_days(d: date, n: int, country: str) -> date:
    day = d
    for _ in range(n):
        day = next_business_day(day, country)
    return day


def local_date(instant: datetime, timezone: str) -> date:
    """The calendar date of an aware ``instant`` in the IANA ``timezone``."""
    return _local(instant, timezone).date()


def _local(placed_at: datetime, timezone: str) -> datetime:
    if placed_at.tzinfo is None or placed_at.utcoffset() is None:
        raise ValueError("placed_at must be timezone-aware")
    return placed_at.astimezone(_zone(timezone))


def _before_cutoff(local: datetime, cutoff: str | None, country: str) -> bool:
    """True when an order at ``local`` makes today's dispatch."""
    if not is_business_day(local.date(), country):
        return False
    if cutoff is None:
        return True
    return local.time() < parse_cutoff(cutoff)


def ship_date(
    placed_at: datetime,
    timezone: str,
    cutoff: str | None,
    processing_days: int,
    country: str,
) -> date:
    """The local date on which a location ships an order placed at ``placed_at``."""
    if processing_days < 0:
        raise ValueError(f"processing_days must be >= 0, got {processing_days}")
    if cutoff is not None:
        parse_cutoff(cutoff)  # validate even when the day alone decides
    local = _local(placed_at, timezone)
    if _before_cutoff(local, cutoff, country):
        start = local.date()
    else:
        start = next_business_day(local.date(), country)
    return add_business_days(start, processing_days, country)


def delivery_date(ship: date, transit_days: int, country: str) -> date:
    """The date a parcel shipped on ``ship`` arrives: ``transit_days`` business days later."""
    if transit_days < 0:
        raise ValueError(f"transit_days must be >= 0, got {transit_days}")
    return add_business_days(ship, transit_days, country)


def ready_by(
    placed_at: datetime,
    timezone: str,
    cutoff: str | None,
    processing_days: int,
    country: str,
    pickup_hours: int = 2,
) -> datetime:
    """When a store pickup is ready, as an aware UTC instant.

    Placed before the cut-off on a business day at a store with no processing days, the order is
    ready ``pickup_hours`` after it was placed. Otherwise it is ready at 10:00 local time on the
    ship date.
    """
    if pickup_hours < 0:
        raise ValueError(f"pickup_hours must be >= 0, got {pickup_hours}")
    day = ship_date(placed_at, timezone, cutoff, processing_days, country)
    local = _local(placed_at, timezone)
    if processing_days == 0 and _before_cutoff(local, cutoff, country):
        return (placed_at + timedelta(hours=pickup_hours)).astimezone(UTC)
    zone = _zone(timezone)
    return datetime.combine(day, PICKUP_OPENING, tzinfo=zone).astimezone(UTC)


def ready_after_transfer(
    arrival: date, timezone: str, processing_days: int, country: str
) -> datetime:
    """When a pickup served by a transfer arriving at the store on ``arrival`` is ready, as an
    aware UTC instant: the transfer arrives with the morning delivery, so the pickup is ready at
    ``PICKUP_OPENING`` local time ``processing_days`` business days after the arrival (the
    arrival day itself, or the store's next business day when it arrives on a closed day)."""
    if processing_days < 0:
        raise ValueError(f"processing_days must be >= 0, got {processing_days}")
    day = arrival if is_business_day(arrival, country) else next_business_day(arrival, country)
    day = add_business_days(day, processing_days, country)
    return datetime.combine(day, PICKUP_OPENING, tzinfo=_zone(timezone)).astimezone(UTC)
