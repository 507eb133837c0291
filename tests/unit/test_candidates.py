"""The record of routing's one candidate read (``graph/records/routing.py``): hand-made groups
as ``CANDIDATES`` returns them, read into channel, region, SKUs and candidate locations."""

from __future__ import annotations

from typing import Any

from ordergraph.graph.records.catalog import ChannelRecord, LaneRecord, RegionRecord, StockRecord
from ordergraph.graph.records.routing import Candidates

CHANNEL = {"id": "web", "partialPolicy": "REJECT", "routingPolicy": "FASTEST"}
REGION = {"id": "US-941", "country": "US", "postalPrefix": "941", "lat": 37.7, "lon": -122.4}
NOTHING = {"id": None, "name": None}  # an OPTIONAL MATCH that matched nothing


def _sku(sku: str, weight: float = 1.5) -> dict[str, Any]:
    return {"id": sku, "name": None, "weightKg": weight, "tags": ["fragile"]}


def _group(location: dict[str, Any], stock: list[dict[str, Any]], **rest: Any) -> dict[str, Any]:
    return {"channel": CHANNEL, "region": REGION, "location": location, "stock": stock} | {
        "lanes": [],
        "capacity": [],
        **rest,
    }


RENO = {"id": "DC-RENO", "kind": None, "lat": 39.5, "lon": -119.8, "dailyCapacity": 40}
STOCK_A = {
    "sku": "SKU-A",
    "item": _sku("SKU-A"),
    "location": "DC-RENO",
    "onHand": 9,
    "reserved": 2,
    "safetyStock": 1,
}


def test_a_location_group_reads_its_stock_lanes_and_capacity_used_per_day() -> None:
    lanes = [
        {"carrier": "UPS", "service": "GROUND", "transitDays": 3, "baseCost": 6, "costPerKg": 0.5},
        {"carrier": "FEDEX", "service": "2DAY", "transitDays": 2, "baseCost": 9, "costPerKg": 1},
    ]
    capacity = [{"day": "2026-12-04", "used": 3}, {"day": "2026-12-05", "used": None}]
    found = Candidates.from_rows([_group(RENO, [STOCK_A], lanes=lanes, capacity=capacity)])
    assert found.channel == ChannelRecord("web", None, None, "REJECT", "FASTEST")
    assert found.region == RegionRecord("US-941", "US", "941", 37.7, -122.4)
    assert list(found.skus) == ["SKU-A"] and found.skus["SKU-A"].weight_kg == 1.5
    assert found.unknown_skus == ()
    (reno,) = found.locations
    assert (reno.location.id, reno.location.kind, reno.location.daily_capacity) == (
        "DC-RENO",
        "WAREHOUSE",
        40,
    )
    assert reno.stock == {"SKU-A": StockRecord("DC-RENO", "SKU-A", 9, 2, 1)}
    assert reno.stock["SKU-A"].available == 6
    assert reno.lanes == (
        LaneRecord("FEDEX", "2DAY", 2, 9.0, 1.0),
        LaneRecord("UPS", "GROUND", 3, 6.0, 0.5),
    )  # by (carrier, service): routing is deterministic
    assert reno.used == {"2026-12-04": 3, "2026-12-05": 0}


def test_skus_no_location_stocks_come_without_a_location_and_unknown_ones_are_named() -> None:
    unstocked = {"sku": "SKU-B", "item": _sku("SKU-B"), "location": None, "onHand": None}
    unknown = {"sku": "SKU-Z", "item": None, "location": None, "onHand": None}
    found = Candidates.from_rows([_group(RENO, [STOCK_A]), _group(NOTHING, [unknown, unstocked])])
    assert sorted(found.skus) == ["SKU-A", "SKU-B"]
    assert found.unknown_skus == ("SKU-Z",)
    assert [c.location.id for c in found.locations] == ["DC-RENO"]


def test_locations_come_in_id_order() -> None:
    austin = RENO | {"id": "DC-AUSTIN"}
    found = Candidates.from_rows([_group(RENO, [STOCK_A]), _group(austin, [STOCK_A])])
    assert [c.location.id for c in found.locations] == ["DC-AUSTIN", "DC-RENO"]


def test_an_unknown_channel_and_an_unserved_address_read_as_none() -> None:
    found = Candidates.from_rows([_group(RENO, [STOCK_A], channel=None, region=NOTHING)])
    assert (found.channel, found.region) == (None, None)
    empty = Candidates.from_rows([])
    assert (empty.channel, empty.region, empty.skus, empty.locations) == (None, None, {}, ())
