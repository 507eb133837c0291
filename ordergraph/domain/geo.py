"""Great-circle distance and postal-code normalisation."""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in kilometres between two points on the Earth's surface."""
    p1, p2 = radians(lat1), radians(lat2)
    dp, dl = p2 - p1, radians(lon2 - lon1)
    a = sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(a)))


def normalise_postal_code(code: str) -> str:
    """Upper case, no spaces or dashes: ``"sw1a 1aa"`` -> ``"SW1A1AA"``."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def region_id(country: str, postal_prefix: str) -> str:
    """``US-941`` for a prefix; the country code alone (``NZ``) for the country-wide region."""
    prefix = normalise_postal_code(postal_prefix)
    return f"{country.upper()}-{prefix}" if prefix else country.upper()
