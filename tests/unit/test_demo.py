"""The demo network: a valid network file, the same for a seed, with real US geography."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from ordergraph.connectors.network_file.parse import Network, parse_network
from ordergraph.domain.geo import haversine_km
from ordergraph.domain.regions import prefixes_by_country, resolve_region
from ordergraph.tools.demo.network import SIZES, generate_network, ground_days, write_network

Doc = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def doc() -> Doc:
    return generate_network(seed=7)


@pytest.fixture(scope="module")
def network(doc: Doc) -> Network:
    return parse_network(doc)


def test_the_default_demo_is_a_valid_network_file(network: Network) -> None:
    counts = network.counts()

    assert 850 <= counts["regions"] <= 950
    assert counts["locations"] == 51
    assert counts["skus"] == 300
    assert 3_000 <= counts["stock"] <= 8_000
    assert 20_000 <= counts["lanes"] <= 60_000
    assert counts["channels"] == 6


def test_the_default_demo_has_the_expected_locations(doc: Doc) -> None:
    kinds = Counter(loc["kind"] for loc in doc["locations"])
    by_id = {loc["id"]: loc for loc in doc["locations"]}

    assert kinds == {"WAREHOUSE": 8, "STORE": 40, "DARK_STORE": 2, "DROPSHIP": 1}
    assert {"DC-RENO", "DC-MEMPHIS", "DC-COLUMBUS", "DC-DALLAS", "DC-ALLENTOWN"} <= set(by_id)
    assert [d for d in by_id if "hazmat" in by_id[d]["tags"]] == ["DC-MEMPHIS"]
    assert sorted(d for d in by_id if "secure" in by_id[d]["tags"]) == ["DC-ALLENTOWN", "DC-RENO"]
    assert by_id["STORE-0001"]["name"] == "Store San Francisco"
    assert by_id["STORE-0001"]["cutoff"] == "16:00"
    assert by_id["DROPSHIP-ACME"]["processingDays"] == 2
    assert {c["id"] for c in doc["channels"]} == {"web", "amazon", "ebay", "pos", "b2b", "shopify"}


def test_stores_cost_more_to_ship_from_and_ship_less_than_dcs(doc: Doc) -> None:
    dcs = [loc for loc in doc["locations"] if loc["kind"] == "WAREHOUSE"]
    stores = [loc for loc in doc["locations"] if loc["kind"] == "STORE"]

    assert max(dc["handlingCost"] for dc in dcs) < min(s["handlingCost"] for s in stores)
    assert all(50 <= s["dailyCapacity"] <= 200 for s in stores)
    assert all(s["pickup"] and s["shipFromStore"] for s in stores)


def test_a_seed_always_gives_the_same_document(doc: Doc) -> None:
    assert orjson.dumps(generate_network(seed=7)) == orjson.dumps(doc)


def test_another_seed_gives_another_catalogue_and_stock_on_the_same_map(doc: Doc) -> None:
    other = generate_network(seed=8)

    assert other["skus"] != doc["skus"]
    assert other["stock"] != doc["stock"]
    assert other["regions"] == doc["regions"]
    assert [loc["id"] for loc in other["locations"]] == [loc["id"] for loc in doc["locations"]]


def test_94107_is_in_a_region_with_stock_close_by(doc: Doc) -> None:
    region_id = resolve_region("94107", "US", prefixes_by_country(doc["regions"]))
    assert region_id == "US-941"
    region = next(r for r in doc["regions"] if r["id"] == region_id)
    stocked = {row["location"] for row in doc["stock"] if row["onHand"] > 0}
    next_day = {
        lane["from"]
        for lane in doc["lanes"]
        if lane["to"] == region_id and lane["transitDays"] == 1
    }
    near = {
        loc["id"]
        for loc in doc["locations"]
        if haversine_km(loc["lat"], loc["lon"], region["lat"], region["lon"]) < 400
    }

    assert abs(region["lat"] - 37.77) < 0.1 and abs(region["lon"] + 122.42) < 0.1
    assert {"STORE-0001", "STORE-0002", "STORE-0003", "DC-RENO"} <= near & stocked & next_day


def test_the_stock_keeps_the_tag_rules_and_holds_every_sku(doc: Doc) -> None:
    tags = {loc["id"]: loc["tags"] for loc in doc["locations"]}
    sku_tags = {sku["id"]: sku["tags"] for sku in doc["skus"]}
    hazmat = [s for s, t in sku_tags.items() if "hazmat" in t]
    high_value = [s for s, t in sku_tags.items() if "highValue" in t]

    assert 5 <= len(hazmat) <= 30 and 5 <= len(high_value) <= 30
    for row in doc["stock"]:
        if "hazmat" in sku_tags[row["sku"]]:
            assert "hazmat" in tags[row["location"]]
        if "highValue" in sku_tags[row["sku"]]:
            assert "secure" in tags[row["location"]]
    assert {row["sku"] for row in doc["stock"]} == set(sku_tags)
    assert all(0.1 <= sku["weightKg"] <= 25 for sku in doc["skus"])


def test_lanes_follow_distance_and_service(doc: Doc) -> None:
    places = {loc["id"]: loc for loc in doc["locations"]} | {r["id"]: r for r in doc["regions"]}
    for lane in doc["lanes"][::97]:
        a, b = places[lane["from"]], places[lane["to"]]
        km = haversine_km(a["lat"], a["lon"], b["lat"], b["lon"])
        limit = {"GROUND": ground_days(km), "EXPRESS": 2, "NEXT_DAY": 1}[lane["service"]]
        assert 1 <= lane["transitDays"] <= limit
        if places[lane["from"]]["kind"] == "STORE":
            assert km <= SIZES["default"].store_lane_km

    assert [ground_days(km) for km in (10, 299, 300, 799, 1599, 2799, 2800, 8000)] == [
        1, 1, 2, 2, 3, 4, 5, 5,
    ]  # fmt: skip


def test_dearer_services_cost_more_on_the_same_route(doc: Doc) -> None:
    route = [lane for lane in doc["lanes"] if (lane["from"], lane["to"]) == ("DC-RENO", "US-100")]
    lanes = {(lane["carrier"], lane["service"]): lane for lane in route}

    ground = lanes["UPS", "GROUND"]
    assert ground["transitDays"] == 5  # Reno to Manhattan: over 2,800 km
    assert ground["baseCost"] * 2 < lanes["UPS", "EXPRESS"]["baseCost"]
    assert lanes["UPS", "EXPRESS"]["baseCost"] < lanes["FEDEX", "NEXT_DAY"]["baseCost"]


def test_a_written_network_reads_back_the_same(doc: Doc, tmp_path: Path) -> None:
    path = tmp_path / "network.json"
    write_network(doc, path)

    assert orjson.loads(path.read_bytes()) == doc


def test_an_unknown_size_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown demo size 'huge'"):
        generate_network(size="huge")


@pytest.mark.slow
def test_the_large_demo_has_a_thousand_locations_and_fifty_thousand_skus() -> None:
    large = generate_network(seed=7, size="large")
    kinds = Counter(loc["kind"] for loc in large["locations"])

    assert len(large["locations"]) == 1000
    assert kinds == {"WAREHOUSE": 30, "STORE": 960, "DARK_STORE": 6, "DROPSHIP": 4}
    assert len(large["skus"]) == 50_000
    assert 500_000 <= len(large["stock"]) <= 1_500_000
    assert len(large["lanes"]) <= 250_000
    # Checking a million rows takes seconds: check every section, and a slice of the big ones.
    sample = {**large, "stock": large["stock"][::50], "lanes": large["lanes"][::10]}
    assert parse_network(sample).counts()["locations"] == 1000


def test_every_store_has_a_transfer_lane_from_its_nearest_dc(doc: Doc) -> None:
    stores = [loc for loc in doc["locations"] if loc["kind"] == "STORE"]
    dcs = {loc["id"]: loc for loc in doc["locations"] if loc["kind"] == "WAREHOUSE"}
    lanes = {lane["to"]: lane for lane in doc["transferLanes"]}
    assert set(lanes) == {store["id"] for store in stores}
    for store in stores:
        lane = lanes[store["id"]]
        assert lane["from"] in dcs
        assert lane["cutoff"] == "11:00" and lane["transitDays"] >= 1
