"""A demo day of orders over the demo network, as orderCreate inputs (one JSON object a line).

Realistic enough to judge routing policies on (docs/simulation.md), and deterministic: one
(network, count, seed, day) always gives the same file.

- Arrival times follow a day curve in US Eastern time: quiet at night, a lunchtime rise and the
  evening peak at 20:00 (``HOURLY``), with the seconds drawn uniformly within the hour.
- Baskets have 1-4 lines (60/25/10/5%), 1-3 units a line (80/15/5%), distinct SKUs.
- SKUs by popularity: a Zipf curve (exponent 1.1) over the catalogue in an order shuffled by the
  seed, so a few SKUs sell a lot and most sell a little.
- Destinations by population: the ``zipcodes`` data has no population, so a city weighs its
  number of ZIP codes to the power 1.3 (ZIP codes are denser where people are; the power favours
  metros), and the ZIP code is drawn uniformly among the city's.
- Service levels: STANDARD 80%, EXPRESS 15%, NEXT_DAY 5%. Channels: web 45%, amazon 20%,
  shopify 15%, ebay 12%, b2b 8%.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from os import PathLike
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from ordergraph.tools.demo.geography import geography
from ordergraph.tools.demo.network import NetworkDocument

EASTERN = ZoneInfo("America/New_York")
_NIGHT_AND_MORNING = "1.0 0.6 0.4 0.3 0.3 0.4 0.8 1.4 2.0 2.6 3.0 3.3"  # 00:00-11:00
_AFTERNOON_AND_EVENING = "3.8 3.6 3.3 3.1 3.0 3.2 3.8 4.6 5.2 4.8 3.4 2.0"  # 12:00-23:00
HOURLY = tuple(float(w) for w in f"{_NIGHT_AND_MORNING} {_AFTERNOON_AND_EVENING}".split())
"""Relative orders per local hour (US Eastern), midnight first."""
BASKET_LINES = ((1, 60), (2, 25), (3, 10), (4, 5))
UNITS = ((1, 80), (2, 15), (3, 5))
SERVICE_LEVELS = (("STANDARD", 80), ("EXPRESS", 15), ("NEXT_DAY", 5))
CHANNEL_MIX = (("web", 45), ("amazon", 20), ("shopify", 15), ("ebay", 12), ("b2b", 8))
NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim")


def _pick(rng: random.Random, table: Sequence[tuple[Any, int | float]]) -> Any:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def generate_orders(
    network: NetworkDocument, count: int, *, seed: int = 7, day: date = date(2026, 11, 24)
) -> list[dict[str, Any]]:
    """``count`` orders placed over ``day`` (US Eastern), oldest first, each an orderCreate
    input (``channel``, ``externalId``, ``lines``, ``shipTo``, ``serviceLevel``,
    ``placedAt``) over the SKUs and channels of ``network``."""
    if count < 0:
        raise ValueError("the number of orders must be 0 or more")
    rng = random.Random(seed)
    skus = [s["id"] for s in network["skus"]]
    rng.shuffle(skus)
    popularity = list(itertools.accumulate(1.0 / (rank**1.1) for rank in range(1, len(skus) + 1)))
    channels = {c["id"] for c in network["channels"]}
    mix = [(c, w) for c, w in CHANNEL_MIX if c in channels] or [(sorted(channels)[0], 1)]
    regions = {r["postalPrefix"] for r in network["regions"]}
    geo = geography()
    cities = [c for c in geo.cities_by_size if geo.places[c][0].zip[:3] in regions]
    city_weights = list(itertools.accumulate(len(geo.places[c]) ** 1.3 for c in cities))
    start = datetime.combine(day, time(0), tzinfo=EASTERN)
    moments = sorted(
        (start + timedelta(hours=_pick(rng, list(enumerate(HOURLY))), seconds=rng.randrange(3600)))
        .astimezone(UTC)
        .replace(microsecond=0)
        for _ in range(count)
    )
    orders = []
    for n, placed in enumerate(moments, start=1):
        lines = _pick(rng, BASKET_LINES)
        picked: list[str] = []
        while len(picked) < min(lines, len(skus)):
            sku = rng.choices(skus, cum_weights=popularity)[0]
            if sku not in picked:
                picked.append(sku)
        city = rng.choices(cities, cum_weights=city_weights)[0]
        place = rng.choice([p for p in geo.places[city] if p.zip[:3] in regions])
        orders.append(
            {
                "channel": _pick(rng, mix),
                "externalId": f"DEMO-{day.isoformat()}-{seed}-{n:05d}",
                "lines": [{"sku": sku, "quantity": _pick(rng, UNITS)} for sku in picked],
                "shipTo": {
                    "name": rng.choice(NAMES),
                    "city": place.city.title(),
                    "region": place.state,
                    "postalCode": place.zip,
                    "country": "US",
                },
                "serviceLevel": _pick(rng, SERVICE_LEVELS),
                "placedAt": placed.isoformat().replace("+00:00", "Z"),
            }
        )
    return orders


def write_orders(orders: Sequence[dict[str, Any]], path: str | PathLike[str]) -> None:
    """One orderCreate input a line (JSON lines)."""
    Path(path).write_bytes(
        b"".join(orjson.dumps(o, option=orjson.OPT_APPEND_NEWLINE) for o in orders)
    )
