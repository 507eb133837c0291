"""The demo network's geography: regions are the US ZIP3 prefixes (``US-941``) at the centroid of
their ZIP codes, and places are real cities, both from the ``zipcodes`` package."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import zipcodes

from ordergraph.domain.geo import haversine_km, region_id
from ordergraph.domain.network import is_timezone

# The 50 states and DC: territories and military ZIP codes are left out.
_NOT_STATES = frozenset({"AA", "AE", "AP", "AS", "FM", "GU", "MH", "MP", "PR", "PW", "VI"})


@dataclass(frozen=True)
class Place:
    city: str
    state: str
    zip: str
    lat: float
    lon: float
    timezone: str


@dataclass(frozen=True)
class Geography:
    regions: tuple[dict[str, Any], ...]
    places: dict[tuple[str, str], tuple[Place, ...]]  # (city, state) -> its ZIP codes, sorted
    cities_by_size: tuple[tuple[str, str], ...]  # most ZIP codes first


@functools.cache
def geography() -> Geography:
    """Regions and city places from the ``zipcodes`` data, read once per process."""
    by_prefix: dict[str, list[dict[str, Any]]] = {}
    places: dict[tuple[str, str], list[Place]] = {}
    good_timezones: dict[str, bool] = {}
    for rec in zipcodes.list_all():  # type: ignore[no-untyped-call]  # zipcodes has no hints
        lat, lon = float(rec["lat"]), float(rec["long"])
        if rec["state"] in _NOT_STATES or (lat == 0.0 and lon == 0.0):
            continue
        by_prefix.setdefault(rec["zip_code"][:3], []).append(rec)
        tz = rec["timezone"]
        if tz not in good_timezones:
            good_timezones[tz] = bool(tz) and is_timezone(tz)
        if rec["active"] and rec["zip_code_type"] == "STANDARD" and good_timezones[tz]:
            place = Place(rec["city"], rec["state"], rec["zip_code"], lat, lon, tz)
            places.setdefault((place.city, place.state), []).append(place)
    regions = tuple(_region(prefix, by_prefix[prefix]) for prefix in sorted(by_prefix))
    sized = sorted(places, key=lambda city: (-len(places[city]), city[1], city[0]))
    return Geography(
        regions=regions,
        places={city: tuple(sorted(ps, key=lambda p: p.zip)) for city, ps in places.items()},
        cities_by_size=tuple(sized),
    )


def _region(prefix: str, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A ZIP3 region, at the centroid of its active standard ZIP codes (or of what it has)."""
    standard = [r for r in records if r["active"] and r["zip_code_type"] == "STANDARD"]
    active = [r for r in records if r["active"]]
    chosen = standard or active or list(records)
    lat = sum(float(r["lat"]) for r in chosen) / len(chosen)
    lon = sum(float(r["long"]) for r in chosen) / len(chosen)
    return {
        "id": region_id("US", prefix),
        "country": "US",
        "postalPrefix": prefix,
        "lat": round(lat, 4),
        "lon": round(lon, 4),
    }


def spread(places: Sequence[Place], n: int) -> list[Place]:
    """``n`` distinct places of a city: the most central one first, the rest spread by ZIP."""
    lat = sum(p.lat for p in places) / len(places)
    lon = sum(p.lon for p in places) / len(places)
    central = min(places, key=lambda p: (haversine_km(lat, lon, p.lat, p.lon), p.zip))
    others = [p for p in places if p is not central]
    picked = [others[i * len(others) // (n - 1)] for i in range(n - 1)] if n > 1 else []
    return [central, *picked]


def slug(city: str) -> str:
    return "-".join(city.upper().replace(".", "").split())
