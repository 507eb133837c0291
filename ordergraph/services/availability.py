"""Available-to-promise: per SKU, in total and per location, nearest first when asked.

One graph read per request (``catalog.availability_rows``): it resolves the region of a postal
code and returns every stock row of the SKUs at active locations. Distances are computed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ordergraph.domain.errors import ErrorCode, UnserviceableAddress, ValidationError
from ordergraph.domain.geo import haversine_km, normalise_postal_code
from ordergraph.domain.stock import available
from ordergraph.graph import catalog
from ordergraph.graph.store import GraphStore

MAX_SKUS = 100
DEFAULT_COUNTRY = "US"


@dataclass(frozen=True)
class Near:
    postal_code: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class LocationStock:
    location: dict[str, Any]
    on_hand: int
    reserved: int
    available: int
    distance_km: float | None


@dataclass(frozen=True)
class SkuStock:
    sku: str
    available: int
    locations: tuple[LocationStock, ...]


def region_candidates(postal_code: str, country: str) -> list[str]:
    """Region ids a postal code may belong to, longest prefix first (``US-94107`` ... ``US-9``)."""
    code = normalise_postal_code(postal_code)
    country = country.strip().upper()
    return [f"{country}-{code[:n]}" for n in range(len(code), 0, -1)]


def check_near(near: Near | None, radius_km: float | None) -> None:
    if near is not None:
        has_point = near.lat is not None or near.lon is not None
        if has_point and (near.lat is None or near.lon is None):
            raise ValidationError("give both lat and lon", field=("near",))
        if has_point and near.postal_code:
            raise ValidationError("give a postal code or lat/lon, not both", field=("near",))
        if not has_point and not near.postal_code:
            raise ValidationError("give a postal code or lat/lon", field=("near",))
        if near.lat is not None and not -90 <= near.lat <= 90:
            raise ValidationError("lat must be between -90 and 90", field=("near", "lat"))
        if near.lon is not None and not -180 <= near.lon <= 180:
            raise ValidationError("lon must be between -180 and 180", field=("near", "lon"))
        if near.postal_code is not None and not normalise_postal_code(near.postal_code):
            raise ValidationError("postal code is empty", field=("near", "postalCode"))
    if radius_km is not None:
        if near is None:
            raise ValidationError("radiusKm needs near", field=("radiusKm",))
        if not radius_km > 0:
            raise ValidationError("radiusKm must be positive", field=("radiusKm",))


async def availability(
    store: GraphStore,
    skus: Sequence[str],
    near: Near | None = None,
    radius_km: float | None = None,
) -> list[SkuStock]:
    wanted = list(dict.fromkeys(s.strip() for s in skus))
    if not wanted:
        raise ValidationError("give at least one SKU", field=("skus",))
    if len(wanted) > MAX_SKUS:
        raise ValidationError(f"at most {MAX_SKUS} SKUs per request", field=("skus",))
    check_near(near, radius_km)
    regions = (
        region_candidates(near.postal_code, near.country or DEFAULT_COUNTRY)
        if near is not None and near.postal_code
        else []
    )
    groups = await catalog.availability_rows(store, wanted, regions)
    rows = [
        {**entry, "location": group["location"], "region": group["region"]}
        for group in groups
        for entry in group["stock"]
    ]

    unknown = sorted({r["sku"] for r in rows if r["known"] is None})
    if unknown:
        raise ValidationError(
            f"unknown SKU{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            ErrorCode.UNKNOWN_SKU,
            ("skus",),
        )
    origin: tuple[float, float] | None = None
    if near is not None:
        if near.lat is not None and near.lon is not None:
            origin = (near.lat, near.lon)
        else:
            region = groups[0]["region"] if groups else None
            if not region or region.get("id") is None:
                raise UnserviceableAddress(
                    f"no region serves postal code {near.postal_code!r} "
                    f"in {(near.country or DEFAULT_COUNTRY).upper()}",
                    ("near", "postalCode"),
                )
            origin = (float(region["lat"]), float(region["lon"]))

    per_sku: dict[str, list[LocationStock]] = {sku: [] for sku in wanted}
    for row in rows:
        loc = row["location"]
        if not loc or loc.get("id") is None:
            continue
        on_hand, reserved = int(row["onHand"] or 0), int(row["reserved"] or 0)
        distance = (
            haversine_km(origin[0], origin[1], float(loc["lat"]), float(loc["lon"]))
            if origin is not None
            else None
        )
        if radius_km is not None and distance is not None and distance > radius_km:
            continue
        per_sku[row["sku"]].append(
            LocationStock(
                location=loc,
                on_hand=on_hand,
                reserved=reserved,
                available=available(on_hand, reserved, int(row["safetyStock"] or 0)),
                distance_km=None if distance is None else round(distance, 1),
            )
        )
    result = []
    for sku, places in per_sku.items():
        if origin is not None:
            places.sort(key=lambda p: (p.distance_km, p.location["id"]))
        else:
            places.sort(key=lambda p: (-p.available, p.location["id"]))
        result.append(SkuStock(sku, sum(p.available for p in places), tuple(places)))
    return result
