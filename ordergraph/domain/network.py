"""The network's rules, whatever carries its records (the network file, GraphQL inputs): the
location kinds, the channels' partial policies, what an id may be, timezones, coordinates, and the
defaults a record gets."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

LOCATION_KINDS = ("WAREHOUSE", "STORE", "DARK_STORE", "DROPSHIP")
MAX_ID_LENGTH = 100
LATITUDE = (-90.0, 90.0)
LONGITUDE = (-180.0, 180.0)
PARTIAL_POLICIES = ("BACKORDER", "REJECT")
"""What a channel does with an order it cannot ship whole: allocate what it can and backorder
the rest (the default), or refuse the order with INSUFFICIENT_STOCK and reserve nothing."""

DEFAULT_CUTOFF = "14:00"
DEFAULT_SKU_WEIGHT_KG = 0.5
DEFAULT_CHANNEL_KIND = "OTHER"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def id_problem(value: str) -> str | None:
    """Why ``value`` cannot be an id (a non-empty string of at most 100 characters without
    control characters), or ``None`` when it can."""
    if not value.strip():
        return "must not be empty"
    if value != value.strip():  # FalkorDB's unique constraint crashes on such a value
        return "must not start or end with white space"
    if len(value) > MAX_ID_LENGTH:
        return f"must be at most {MAX_ID_LENGTH} characters, got {len(value)}"
    if _CONTROL.search(value):
        return "must not contain control characters"
    return None


def is_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA timezone this machine knows."""
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True
