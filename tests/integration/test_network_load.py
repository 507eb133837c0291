"""Loading a network file into the real engine: exact, idempotent, all-or-nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ordergraph.domain.errors import NetworkFileError
from ordergraph.graph import catalog
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.records.catalog import StockRecord
from ordergraph.services.availability import availability
from ordergraph.services.network import load_network


async def snapshot(store: FalkorStore) -> dict[str, Any]:
    """Everything a load may change, in a comparable form (but a SKU's stock version and the
    network version, which every stock and network write moves: a spurious move is
    harmless)."""
    nodes = await store.read("MATCH (n) RETURN labels(n)[0] AS label, n {.*} AS props")
    for node in nodes:
        node["props"].pop("stockVersion", None)
        if node["label"] == "NetworkVersion":
            node["props"].pop("version", None)
    stock = await store.read(
        "MATCH (l:Location)-[s:STOCKS]->(k:Sku) RETURN l.id AS l, k.id AS k, s {.*} AS props"
    )
    lanes = await store.read(
        "MATCH (l:Location)-[ln:LANE]->(r:Region) RETURN l.id AS l, r.id AS r, ln {.*} AS props"
    )
    key = lambda row: repr(sorted(row.items()))  # noqa: E731
    return {
        "nodes": sorted(nodes, key=key),
        "stock": sorted(stock, key=key),
        "lanes": sorted(lanes, key=key),
    }


async def test_availability_equals_on_hand_less_safety_stock_for_every_sku(
    store: FalkorStore, network_doc: dict[str, Any]
) -> None:
    await load_network(store, network_doc)
    expected: dict[str, dict[str, int]] = {}
    for row in network_doc["stock"]:
        expected.setdefault(row["sku"], {})[row["location"]] = max(
            0, row["onHand"] - row.get("safetyStock", 0)
        )
    answer = await availability(store, sorted(expected))
    assert {
        item.sku: {p.location.id: p.available for p in item.locations} for item in answer
    } == expected
    assert {item.sku: item.available for item in answer} == {
        sku: sum(per.values()) for sku, per in expected.items()
    }


async def test_loading_the_same_file_twice_changes_nothing(
    store: FalkorStore, network_doc: dict[str, Any]
) -> None:
    first = await load_network(store, network_doc)
    before = await snapshot(store)
    second = await load_network(store, network_doc)
    assert first == second
    assert await snapshot(store) == before
    counts = await catalog.counts(store)
    assert counts["Location"] == len(network_doc["locations"])
    assert counts["STOCKS"] == len(network_doc["stock"])
    assert counts["LANE"] == len(network_doc["lanes"])


async def test_a_rejected_file_leaves_the_graph_unchanged(
    store: FalkorStore, network_doc: dict[str, Any]
) -> None:
    await load_network(store, network_doc)
    before = await snapshot(store)
    bad = copy.deepcopy(network_doc)
    bad["stock"][0]["onHand"] = 999  # a valid change that must not land...
    bad["lanes"][3]["from"] = "DC-NOWHERE"  # ...because of these problems
    bad["stock"][2]["onHand"] = -4
    bad["locations"][1]["timezone"] = "Mars/Olympus_Mons"
    with pytest.raises(NetworkFileError) as caught:
        await load_network(store, bad)
    problems = {p.path: p.reason for p in caught.value.problems}
    assert set(problems) == {"$.lanes[3].from", "$.stock[2].onHand", "$.locations[1].timezone"}
    assert "DC-NOWHERE" in problems["$.lanes[3].from"]
    assert await snapshot(store) == before


async def test_a_file_may_reference_what_the_graph_already_holds(
    store: FalkorStore, network_doc: dict[str, Any]
) -> None:
    await load_network(store, network_doc)
    await load_network(store, {"stock": [{"location": "STORE-SF", "sku": "SKU-5", "onHand": 7}]})
    level = await catalog.stock_level(store, "STORE-SF", "SKU-5")
    assert level == StockRecord(
        location="STORE-SF", sku="SKU-5", on_hand=7, reserved=0, safety_stock=0
    )


async def test_a_reload_keeps_reservations(store: FalkorStore, network_doc: dict[str, Any]) -> None:
    await load_network(store, network_doc)
    await store.write(
        "MATCH (:Location {id: 'DC-RENO'})-[s:STOCKS]->(:Sku {id: 'SKU-1'}) SET s.reserved = 3"
    )
    await load_network(store, network_doc)
    level = await catalog.stock_level(store, "DC-RENO", "SKU-1")
    assert level is not None and level.reserved == 3 and level.on_hand == 40
