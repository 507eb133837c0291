"""The range of dates and times OrderGraph accepts from outside, wherever they come from.

A moment must fall between 1970 and 8999 (UTC), so that adding processing days, transit or a
year, or converting between time zones, can never overflow; an order placed before 1970 would
also jump every backorder queue. GraphQL DateTime inputs and channel payload timestamps both
use this one rule.
"""

from __future__ import annotations

from datetime import UTC, datetime

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def moment_problem(value: datetime) -> str | None:
    """Why ``value`` is out of range, or None. Naive values are judged by their wall clock."""
    if not EARLIEST.year <= value.year < LATEST.year:
        return f"must be between the years {EARLIEST.year} and {LATEST.year - 1}"
    return None
