"""A realistic demo network, in the network file format (DOMAIN.md, "The network file").

Geography is real: regions are the US ZIP3 prefixes (``US-941``) with the centroid of their
ZIP codes, and locations sit in real cities, both from the ``zipcodes`` package. The catalogue,
stock, capacities and lane prices are drawn from ``random.Random(seed)``, so one seed always gives
the same document.

Two sizes: ``"default"`` (8 DCs, 40 stores, 2 dark stores, a dropship vendor, 300 SKUs), small
enough to read; ``"large"`` (1,000 locations, 50,000 SKUs, about a million stock rows) to measure.
The stock respects the tag rules: hazmat SKUs sit only in hazmat locations, high-value SKUs only
in secure ones.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import orjson

from ordergraph.domain.geo import haversine_km
from ordergraph.tools.demo.geography import Geography, Place, geography, slug, spread

NetworkDocument = dict[str, list[dict[str, Any]]]

CHANNELS = (
    {"id": "web", "name": "Web store", "kind": "WEB"},
    {"id": "amazon", "name": "Amazon Marketplace", "kind": "MARKETPLACE"},
    {"id": "ebay", "name": "eBay", "kind": "MARKETPLACE"},
    {"id": "pos", "name": "Point of sale", "kind": "POS"},
    {"id": "b2b", "name": "B2B portal", "kind": "B2B"},
    {"id": "shopify", "name": "Shopify storefront", "kind": "WEB"},
)

# (city, state, tags) of distribution centres. The first eight make the default network.
_WAREHOUSES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Reno", "NV", ("secure",)),
    ("Memphis", "TN", ("hazmat",)),
    ("Columbus", "OH", ()),
    ("Dallas", "TX", ()),
    ("Allentown", "PA", ("secure",)),
    ("Atlanta", "GA", ()),
    ("Chicago", "IL", ()),
    ("Riverside", "CA", ()),
    ("Stockton", "CA", ()),
    ("Kent", "WA", ("secure",)),
    ("Phoenix", "AZ", ()),
    ("Salt Lake City", "UT", ()),
    ("Denver", "CO", ("hazmat",)),
    ("Houston", "TX", ("hazmat",)),
    ("San Antonio", "TX", ()),
    ("Oklahoma City", "OK", ()),
    ("Kansas City", "MO", ()),
    ("Omaha", "NE", ()),
    ("Minneapolis", "MN", ()),
    ("Indianapolis", "IN", ("secure",)),
    ("Louisville", "KY", ()),
    ("Nashville", "TN", ()),
    ("Charlotte", "NC", ()),
    ("Jacksonville", "FL", ()),
    ("Lakeland", "FL", ("secure",)),
    ("Baltimore", "MD", ()),
    ("Edison", "NJ", ("hazmat",)),
    ("Albany", "NY", ()),
    ("Anchorage", "AK", ()),
    ("Honolulu", "HI", ()),
)

# Cities of the default network's stores, in store-number order (STORE-0001 is San Francisco).
_STORE_CITIES: tuple[tuple[str, str], ...] = (
    ("San Francisco", "CA"),
    ("Oakland", "CA"),
    ("San Jose", "CA"),
    ("Sacramento", "CA"),
    ("Los Angeles", "CA"),
    ("San Diego", "CA"),
    ("Seattle", "WA"),
    ("Portland", "OR"),
    ("Las Vegas", "NV"),
    ("Phoenix", "AZ"),
    ("Tucson", "AZ"),
    ("Denver", "CO"),
    ("Salt Lake City", "UT"),
    ("Albuquerque", "NM"),
    ("Dallas", "TX"),
    ("Fort Worth", "TX"),
    ("Houston", "TX"),
    ("Austin", "TX"),
    ("San Antonio", "TX"),
    ("Oklahoma City", "OK"),
    ("Kansas City", "MO"),
    ("Saint Louis", "MO"),
    ("Minneapolis", "MN"),
    ("Chicago", "IL"),
    ("Milwaukee", "WI"),
    ("Detroit", "MI"),
    ("Indianapolis", "IN"),
    ("Columbus", "OH"),
    ("Cleveland", "OH"),
    ("Nashville", "TN"),
    ("Atlanta", "GA"),
    ("Charlotte", "NC"),
    ("Orlando", "FL"),
    ("Miami", "FL"),
    ("Tampa", "FL"),
    ("Washington", "DC"),
    ("Baltimore", "MD"),
    ("Philadelphia", "PA"),
    ("New York", "NY"),
    ("Boston", "MA"),
)

_DARK_STORE_CITIES: tuple[tuple[str, str], ...] = (
    ("San Francisco", "CA"),
    ("New York", "NY"),
    ("Los Angeles", "CA"),
    ("Chicago", "IL"),
    ("Houston", "TX"),
    ("Miami", "FL"),
)

# (vendor, city, state) of dropship vendors.
_DROPSHIPS: tuple[tuple[str, str, str], ...] = (
    ("ACME", "Louisville", "KY"),
    ("GLOBEX", "Phoenix", "AZ"),
    ("INITECH", "Austin", "TX"),
    ("UMBRELLA", "Harrisburg", "PA"),
)

# A lane's (carrier, service); price multipliers per service and carrier.
Service = tuple[str, str]
_SERVICE_PRICE = {"GROUND": 1.0, "EXPRESS": 2.5, "NEXT_DAY": 4.0}
_CARRIER_PRICE = {"UPS": 1.0, "FEDEX": 1.04, "USPS": 0.9}


@dataclass(frozen=True)
class DemoSize:
    """How big a demo network is, and how its lanes are drawn."""

    warehouses: int
    stores: int
    dark_stores: int
    dropships: int
    skus: int
    dc_sku_share: float  # share of the SKUs a DC may hold that it stocks
    store_skus: int
    dropship_skus: int
    dc_services: tuple[Service, ...]  # to every region
    store_services: tuple[Service, ...]
    store_lane_km: float  # stores ship to regions this close
    dark_store_services: tuple[Service, ...]
    dark_store_lane_km: float
    dropship_services: tuple[Service, ...]  # to every region


SIZES = {
    "default": DemoSize(
        warehouses=8,
        stores=40,
        dark_stores=2,
        dropships=1,
        skus=300,
        dc_sku_share=0.85,
        store_skus=90,
        dropship_skus=80,
        dc_services=(
            ("UPS", "GROUND"),
            ("FEDEX", "GROUND"),
            ("UPS", "EXPRESS"),
            ("FEDEX", "NEXT_DAY"),
        ),
        store_services=(("USPS", "GROUND"), ("UPS", "EXPRESS"), ("FEDEX", "NEXT_DAY")),
        store_lane_km=500.0,
        dark_store_services=(("UPS", "GROUND"), ("UPS", "EXPRESS"), ("FEDEX", "NEXT_DAY")),
        dark_store_lane_km=150.0,
        dropship_services=(("UPS", "GROUND"),),
    ),
    "large": DemoSize(
        warehouses=30,
        stores=960,
        dark_stores=6,
        dropships=4,
        skus=50_000,
        dc_sku_share=0.4,
        store_skus=500,
        dropship_skus=5_000,
        dc_services=(("UPS", "GROUND"), ("FEDEX", "EXPRESS")),
        store_services=(("USPS", "GROUND"), ("UPS", "EXPRESS")),
        store_lane_km=300.0,
        dark_store_services=(("UPS", "GROUND"), ("FEDEX", "NEXT_DAY")),
        dark_store_lane_km=100.0,
        dropship_services=(("UPS", "GROUND"),),
    ),
}


def generate_network(seed: int = 7, size: str = "default") -> NetworkDocument:
    """A network document of the given size (``"default"`` or ``"large"``); same seed, same doc."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r} (expected one of {', '.join(SIZES)})")
    plan = SIZES[size]
    rng = random.Random(seed)
    geo = geography()
    locations = _locations(plan, geo, rng)
    skus = _skus(plan.skus, rng)
    return {
        "regions": [dict(r) for r in geo.regions],
        "locations": locations,
        "skus": skus,
        "stock": _stock(plan, locations, skus, rng),
        "lanes": _lanes(plan, locations, geo.regions, rng),
        "channels": [dict(c) for c in CHANNELS],
        "transferLanes": _transfer_lanes(locations),
    }


def write_network(doc: NetworkDocument, path: str | PathLike[str]) -> None:
    """Write a network document as JSON."""
    Path(path).write_bytes(orjson.dumps(doc, option=orjson.OPT_APPEND_NEWLINE))


# -- locations ---------------------------------------------------------------------------------


def _location(
    location_id: str, name: str, kind: str, place: Place, **properties: Any
) -> dict[str, Any]:
    return {
        "id": location_id,
        "name": name,
        "kind": kind,
        "lat": place.lat,
        "lon": place.lon,
        "postalCode": place.zip,
        "country": "US",
        "timezone": place.timezone,
        **properties,
    }


def _locations(plan: DemoSize, geo: Geography, rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for city, state, tags in _WAREHOUSES[: plan.warehouses]:
        place = spread(geo.places[city, state], 1)[0]
        out.append(
            _location(
                f"DC-{slug(city)}",
                f"{city} DC",
                "WAREHOUSE",
                place,
                cutoff="14:00",
                processingDays=0,
                handlingCost=round(rng.uniform(0.9, 1.6), 2),
                dailyCapacity=rng.randrange(3000, 9001, 500),
                tags=list(tags),
                shipFromStore=False,
                pickup=False,
                active=True,
                acceptsReturns=True,
            )
        )
    for number, store in enumerate(_store_places(plan, geo), start=1):
        out.append(
            _location(
                f"STORE-{number:04d}",
                store.name,
                "STORE",
                store.place,
                cutoff="16:00",
                processingDays=0,
                handlingCost=round(rng.uniform(3.5, 5.5), 2),
                dailyCapacity=rng.randint(50, 200),
                tags=[],
                shipFromStore=True,
                pickup=True,
                active=True,
                acceptsReturns=True,
            )
        )
    for city, state in _DARK_STORE_CITIES[: plan.dark_stores]:
        places = geo.places[city, state]
        out.append(
            _location(
                f"DARK-{slug(city)}",
                f"{city} dark store",
                "DARK_STORE",
                spread(places, 2)[1],
                cutoff="20:00",
                processingDays=0,
                handlingCost=round(rng.uniform(2.0, 2.8), 2),
                dailyCapacity=rng.randrange(400, 901, 50),
                tags=[],
                shipFromStore=True,
                pickup=True,
                active=True,
                acceptsReturns=False,
            )
        )
    for vendor, city, state in _DROPSHIPS[: plan.dropships]:
        out.append(
            _location(
                f"DROPSHIP-{vendor}",
                f"{vendor.title()} Supply (dropship)",
                "DROPSHIP",
                spread(geo.places[city, state], 1)[0],
                cutoff="12:00",
                processingDays=2,
                handlingCost=round(rng.uniform(1.5, 2.5), 2),
                dailyCapacity=None,
                tags=[],
                shipFromStore=False,
                pickup=False,
                active=True,
                acceptsReturns=False,
            )
        )
    return out


@dataclass(frozen=True)
class _StorePlace:
    name: str
    place: Place


def _store_places(plan: DemoSize, geo: Geography) -> list[_StorePlace]:
    """Where the stores go: the curated metros, or for more stores, cities by size, several
    stores in the big ones (one per six ZIP codes)."""
    counts: list[tuple[tuple[str, str], int]] = []  # (city, state) -> stores there
    if plan.stores <= len(_STORE_CITIES):
        counts = [(city, 1) for city in _STORE_CITIES[: plan.stores]]
    else:
        total = 0
        for city in geo.cities_by_size:
            n = min(max(1, len(geo.places[city]) // 6), plan.stores - total)
            counts.append((city, n))
            total += n
            if total == plan.stores:
                break
    out = []
    for (name, state), n in counts:
        for i, place in enumerate(spread(geo.places[name, state], n), start=1):
            out.append(_StorePlace(f"Store {name}" + (f" {i}" if i > 1 else ""), place))
    return out


# -- catalogue ---------------------------------------------------------------------------------

_SIZES = ("XS", "S", "M", "L", "XL")
_COLOURS = ("black", "white", "navy", "grey", "red", "green", "sand", "blue")
# (name, variants, (min kg, max kg))
_PRODUCTS = (
    ("Merino socks", _SIZES, (0.1, 0.2)),
    ("Cotton T-shirt", _SIZES, (0.15, 0.3)),
    ("Hooded sweatshirt", _SIZES, (0.5, 0.9)),
    ("Rain jacket", _SIZES, (0.4, 0.8)),
    ("Trail running shoes", ("40", "41", "42", "43", "44", "45"), (0.6, 1.0)),
    ("Leather belt", ("85cm", "95cm", "105cm"), (0.2, 0.35)),
    ("Stainless water bottle", ("500ml", "750ml", "1l"), (0.3, 0.6)),
    ("Cast iron skillet", ("20cm", "26cm", "30cm"), (2.0, 4.5)),
    ("Chef's knife", ("15cm", "20cm"), (0.2, 0.4)),
    ("Ceramic mug", _COLOURS, (0.3, 0.5)),
    ("Bath towel", _COLOURS, (0.5, 0.9)),
    ("Duvet cover", ("single", "double", "king"), (1.0, 2.0)),
    ("Desk lamp", _COLOURS, (1.0, 2.5)),
    ("Office chair", _COLOURS, (12.0, 22.0)),
    ("Yoga mat", _COLOURS, (1.0, 2.5)),
    ("Dumbbell set", ("10kg", "20kg"), (10.5, 25.0)),
    ("Camping tent", ("2-person", "4-person"), (2.5, 8.0)),
    ("Sleeping bag", ("summer", "3-season", "winter"), (1.0, 2.5)),
    ("Backpack", ("20l", "30l", "45l"), (0.8, 1.8)),
    ("Paperback novel", ("",), (0.2, 0.5)),
    ("Board game", ("",), (0.8, 2.0)),
    ("Building brick set", ("small", "large"), (0.4, 2.5)),
    ("USB-C cable", ("1m", "2m"), (0.1, 0.15)),
    ("Wireless mouse", _COLOURS, (0.1, 0.2)),
    ("Mechanical keyboard", ("US", "UK"), (0.8, 1.3)),
    ("Bluetooth speaker", _COLOURS, (0.4, 1.2)),
    ("Coffee beans", ("250g", "1kg"), (0.3, 1.1)),
    ("Green tea", ("50 bags", "100 bags"), (0.1, 0.3)),
    ("Dog food", ("2kg", "12kg"), (2.1, 12.5)),
    ("Garden hose", ("15m", "30m"), (2.0, 5.0)),
    ("Plant pot", ("small", "medium", "large"), (0.5, 4.0)),
)
_HAZMAT = (
    ("Lithium battery pack", ("10Ah", "20Ah"), (0.3, 0.6)),
    ("Aerosol spray paint", _COLOURS, (0.4, 0.5)),
    ("Camping gas canister", ("230g", "450g"), (0.4, 0.8)),
    ("Lighter fluid", ("125ml", "350ml"), (0.2, 0.4)),
    ("Pool chlorine tablets", ("1kg", "5kg"), (1.1, 5.3)),
)
_HIGH_VALUE = (
    ("Smartphone", ("128GB", "256GB", "512GB"), (0.2, 0.3)),
    ("Laptop", ("13in", "15in"), (1.2, 2.2)),
    ("Smartwatch", ("40mm", "44mm"), (0.1, 0.15)),
    ("Mirrorless camera", ("body", "kit"), (0.6, 1.2)),
    ("Gold necklace", ("45cm", "50cm"), (0.1, 0.12)),
    ("Noise-cancelling headphones", _COLOURS, (0.3, 0.4)),
)
_BRANDS = ("Northwind", "Fabrikam", "Contoso", "Tailspin", "Litware", "Proseware", "Adventure")


def _skus(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """About 5% hazmat, 5% high value, weights 0.1-25 kg."""
    out = []
    for number in range(1, count + 1):
        draw = rng.random()
        products, tags = (
            (_HAZMAT, ["hazmat"])
            if draw < 0.05
            else (_HIGH_VALUE, ["highValue"])
            if draw < 0.10
            else (_PRODUCTS, [])
        )
        name, variants, (low, high) = rng.choice(products)
        variant = rng.choice(variants)
        if count > 1000:  # a large catalogue: brands keep most names apart
            name = f"{rng.choice(_BRANDS)} {name[0].lower()}{name[1:]}"
        out.append(
            {
                "id": f"SKU-{number:05d}",
                "name": f"{name} ({variant})" if variant else name,
                "weightKg": round(min(25.0, max(0.1, rng.uniform(low, high))), 2),
                "tags": tags,
            }
        )
    return out


# -- stock -------------------------------------------------------------------------------------


def _may_hold(location_tags: Sequence[str], sku: dict[str, Any]) -> bool:
    """The tag rules: hazmat only in hazmat locations, high value only in secure ones."""
    return ("hazmat" not in sku["tags"] or "hazmat" in location_tags) and (
        "highValue" not in sku["tags"] or "secure" in location_tags
    )


def _stock(
    plan: DemoSize, locations: list[dict[str, Any]], skus: list[dict[str, Any]], rng: random.Random
) -> list[dict[str, Any]]:
    eligible: dict[tuple[bool, bool], list[int]] = {}  # (hazmat, secure) -> sku indexes
    for hazmat in (False, True):
        for secure in (False, True):
            tags = ["hazmat"] * hazmat + ["secure"] * secure
            eligible[hazmat, secure] = [i for i, sku in enumerate(skus) if _may_hold(tags, sku)]
    held: dict[str, list[int]] = {}  # location id -> indexes into skus, sorted
    for loc in locations:
        pool = eligible["hazmat" in loc["tags"], "secure" in loc["tags"]]
        wanted = {
            "WAREHOUSE": round(plan.dc_sku_share * len(pool)),
            "STORE": plan.store_skus,
            "DARK_STORE": plan.store_skus,
            "DROPSHIP": plan.dropship_skus,
        }[loc["kind"]]
        held[loc["id"]] = sorted(rng.sample(pool, min(wanted, len(pool))))
    # Every SKU is held somewhere: give the others to a DC that may hold them.
    stocked = {i for indexes in held.values() for i in indexes}
    dcs = [loc for loc in locations if loc["kind"] == "WAREHOUSE"]
    for i, sku in enumerate(skus):
        if i not in stocked:
            dc = rng.choice([loc for loc in dcs if _may_hold(loc["tags"], sku)])
            held[dc["id"]] = sorted([*held[dc["id"]], i])

    quantities = {  # kind -> (onHand range, safetyStock range)
        "WAREHOUSE": ((0, 500), (0, 5)),
        "STORE": ((0, 30), (0, 2)),
        "DARK_STORE": ((0, 60), (0, 2)),
        "DROPSHIP": ((500, 5000), (0, 0)),
    }
    draw = rng.random  # the hot loop of the large network: a million rows
    rows = []
    for loc in locations:
        (low, high), (safety_low, safety_high) = quantities[loc["kind"]]
        span, safety_span = high - low + 1, safety_high - safety_low + 1
        for i in held[loc["id"]]:
            rows.append(
                {
                    "location": loc["id"],
                    "sku": skus[i]["id"],
                    "onHand": 0 if draw() < 0.04 else low + int(draw() * span),
                    "safetyStock": safety_low + int(draw() * safety_span),
                }
            )
    return rows


# -- lanes -------------------------------------------------------------------------------------


def ground_days(km: float) -> int:
    """Ground transit days for a distance."""
    for limit, days in ((300, 1), (800, 2), (1600, 3), (2800, 4)):
        if km < limit:
            return days
    return 5


def _transit_days(service: str, km: float) -> int:
    if service == "NEXT_DAY":
        return 1
    if service == "EXPRESS":
        return 1 if km < 300 else 2
    return ground_days(km)


def _lanes(
    plan: DemoSize,
    locations: list[dict[str, Any]],
    regions: Sequence[dict[str, Any]],
    rng: random.Random,
) -> list[dict[str, Any]]:
    # Each carrier service is a little dearer or cheaper in each seed's world.
    price = {
        (carrier, service): _CARRIER_PRICE[carrier] * mult * rng.uniform(0.95, 1.05)
        for carrier in sorted(_CARRIER_PRICE)
        for service, mult in sorted(_SERVICE_PRICE.items())
    }
    reach = {  # kind -> (services, km; math.inf reaches every region)
        "WAREHOUSE": (plan.dc_services, math.inf),
        "STORE": (plan.store_services, plan.store_lane_km),
        "DARK_STORE": (plan.dark_store_services, plan.dark_store_lane_km),
        "DROPSHIP": (plan.dropship_services, math.inf),
    }
    lanes = []
    for loc in locations:
        services, max_km = reach[loc["kind"]]
        max_degrees = max_km / 110.0  # a degree of latitude is over 110.5 km
        for region in regions:
            if abs(region["lat"] - loc["lat"]) > max_degrees:
                continue
            km = haversine_km(loc["lat"], loc["lon"], region["lat"], region["lon"])
            if km > max_km:
                continue
            for carrier, service in services:
                factor = price[carrier, service] * rng.uniform(0.98, 1.02)
                lanes.append(
                    {
                        "from": loc["id"],
                        "to": region["id"],
                        "carrier": carrier,
                        "service": service,
                        "transitDays": _transit_days(service, km),
                        "baseCost": round((5.5 + 0.0018 * km) * factor, 2),
                        "costPerKg": round((0.35 + 0.00022 * km) * factor, 3),
                    }
                )
    return lanes


TRANSFER_CUTOFF = "11:00"  # the DCs' store trucks leave before their parcel cut-off


def _transfer_lanes(locations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A transfer lane (docs/transfers.md) from each pickup store's nearest DC to the store:
    ground days for the distance, an 11:00 cut-off at the DC, and a truck's price (cheaper per
    unit than a parcel). Drawn without the seed's random numbers, so the other sections stay
    as they were."""
    dcs = [loc for loc in locations if loc["kind"] == "WAREHOUSE"]
    lanes = []
    for store in locations:
        if store["kind"] != "STORE" or not dcs:
            continue
        km, dc = min(
            (haversine_km(dc["lat"], dc["lon"], store["lat"], store["lon"]), dc["id"]) for dc in dcs
        )
        lanes.append(
            {
                "from": dc,
                "to": store["id"],
                "carrier": "TRANSFER",
                "service": "TRUCK",
                "transitDays": ground_days(km),
                "cutoff": TRANSFER_CUTOFF,
                "baseCost": round(2.0 + 0.0008 * km, 2),
                "costPerKg": 0.05,
            }
        )
    return lanes
