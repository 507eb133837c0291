"""Issue #9: one copy of each Cypher rule (graph/fragments.py), on the real engine."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ordergraph.graph import catalog, fragments, ingestion, lifecycle, orders
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.records.catalog import ChannelRecord

GRAPH = Path(fragments.__file__).parent
SOURCES = {p.name: p.read_text() for p in GRAPH.glob("*.py")}


def test_no_query_is_edited_with_replace() -> None:
    edited = {name: re.findall(r"[A-Z_]+\.replace\(", text) for name, text in SOURCES.items()}
    assert {name: hits for name, hits in edited.items() if hits} == {}


@pytest.mark.parametrize(
    "rule",
    [
        "ON CREATE SET cd.used = 0, cd.day = c.day, cd.location = c.location",
        "r.s.onHand - r.s.reserved - r.s.safetyStock >=",
        "c.limit IS NULL OR c.d.used < c.limit",
        "MERGE (n:{checked_label(label)} {{id: r.id}})",
    ],
)
def test_each_rule_is_written_once(rule: str) -> None:
    holders = sorted(name for name, text in SOURCES.items() if rule in text)
    assert holders == ["fragments.py"]
    assert SOURCES["fragments.py"].count(rule) == 1


def test_both_statements_start_with_the_guard() -> None:
    assert orders.CREATE_ORDER.startswith(fragments.RESERVE_NEW_ORDER)
    assert lifecycle.APPLY_CHANGE.startswith(fragments.RESERVE_CHANGE)
    # Lock order: capacity days, then the order, then stock (docs/decisions.md).
    change = fragments.RESERVE_CHANGE
    assert change.index("SET cd._lock") < change.index("SET o._lock") < change.index("SET s._lock")
    # Each lock is taken (a write) before its value is read into ``ok``.
    for guard in (fragments.RESERVE_NEW_ORDER, fragments.RESERVE_CHANGE):
        assert guard.index("SET s._lock") < guard.index("AS ok")
        assert guard.index("SET cd._lock") < guard.index("AS ok")


def test_upserts_share_one_shape() -> None:
    assert fragments.upsert("Sku") == catalog.UPSERT_SKUS
    assert fragments.upsert("Region", network=True) == catalog.UPSERT_REGIONS
    # the same batch upsert, only the network version moved after it (docs/performance.md)
    regions = catalog.UPSERT_REGIONS.replace("Region", "Sku")
    assert regions.replace(fragments.BUMP_NETWORK_VERSION, "RETURN count(n) AS n\n") == (
        catalog.UPSERT_SKUS
    )


@pytest.mark.parametrize("label", ["Nope", "Sku {id: 'x'}) DETACH DELETE (n", ""])
async def test_labels_come_from_the_fixed_set(store: FalkorStore, label: str) -> None:
    with pytest.raises(AssertionError):
        fragments.upsert(label)
    with pytest.raises(AssertionError):
        await fragments.by_ids(store, label, ("id",), ["x"])
    with pytest.raises(AssertionError):
        await catalog.existing_ids(store, label, ["x"])


async def test_by_ids_answers_in_the_order_asked(loaded: FalkorStore) -> None:
    some = await catalog.location_page(loaded, first=2, after=None, kind=None)
    a, b = some[0].id, some[1].id
    got = await catalog.locations_by_id(loaded, [b, "NOPE", a])
    assert [g.id if g else None for g in got] == [b, None, a]
    assert got[0] == some[1]
    assert await ingestion.failures_by_id(loaded, ["missing"]) == [None]


async def test_set_stock_answers_the_position(loaded: FalkorStore) -> None:
    loc = (await catalog.location_page(loaded, first=1, after=None, kind=None))[0].id
    sku = (await catalog.sku_page(loaded, first=1, after=None))[0].id
    row = await catalog.set_stock(loaded, loc, sku, 7, 2)
    assert row == await catalog.stock_level(loaded, loc, sku)
    assert row is not None and (row.on_hand, row.safety_stock) == (7, 2)


async def _position(store: FalkorStore) -> tuple[str, str, dict[str, Any]]:
    rows = await store.read(
        "MATCH (l:Location)-[s:STOCKS]->(k:Sku) WHERE s.onHand - s.reserved - s.safetyStock >= 2 "
        "RETURN l.id AS l, k.id AS k, properties(s) AS s ORDER BY l, k LIMIT 1"
    )
    return rows[0]["l"], rows[0]["k"], rows[0]["s"]


# the web channel of the small network, without rules, as loaded (rules version 1)
WEB = ChannelRecord("web", "Web store", "WEB", "BACKORDER", "CHEAPEST", rules_version=1)


def _create(order_id: str, loc: str, sku: str, limit: int) -> dict[str, Any]:
    return {
        "order": {"id": order_id, "channelExternalId": f"web:{order_id}", "version": 1},
        "lines": [],
        "fulfillments": [],
        "alloc": [{"location": loc, "sku": sku, "quantity": 1}],
        "capacity": [
            {"key": f"{loc}:2030-01-01", "day": "2030-01-01", "location": loc, "limit": limit}
        ],
        "events": [],
        "atp": orders.atp_params(WEB.seller(date(2030, 1, 1))),
    }


def _change(order_id: str, loc: str, sku: str, limit: int, version: int) -> dict[str, Any]:
    return {
        "orderId": order_id,
        "version": version,
        "order": {"version": version + 1},
        "stock": [{"location": loc, "sku": sku, "reserved": 1, "onHand": 0}],
        "capacity": [
            {"key": f"{loc}:2030-01-02", "day": "2030-01-02", "location": loc, "limit": limit}
        ],
        "events": [],
        "lines": [],
        "fulfillments": [],
        "ships": [],
        "newFulfillments": [],
        "returns": [],
        "newReturns": [],
        "locationIds": [loc],
        "atp": orders.atp_params(WEB.seller(date(2030, 1, 1))),
    }


async def _state(store: FalkorStore, loc: str, sku: str) -> list[Any]:
    rows = await store.read(
        "MATCH (l:Location {id: $l})-[s:STOCKS]->(:Sku {id: $k}) "
        "OPTIONAL MATCH (cd:CapacityDay) WHERE cd.location = $l "
        "WITH s, collect(properties(cd)) AS days OPTIONAL MATCH (o:Order) "
        "RETURN properties(s) AS s, days, collect(properties(o)) AS orders",
        {"l": loc, "k": sku},
    )
    row = rows[0]
    return [row["s"], sorted(row["days"], key=str), sorted(row["orders"], key=str)]


async def test_the_guard_takes_capacity_and_stock_only_when_ok(loaded: FalkorStore) -> None:
    loc, sku, before = await _position(loaded)
    assert await orders.create_order(loaded, **_create("OG-A", loc, sku, limit=1))
    after = await _state(loaded, loc, sku)
    assert after[0]["reserved"] == before["reserved"] + 1
    assert [d["used"] for d in after[1]] == [1]
    assert all("_lock" not in x for x in [after[0], *after[1], *after[2]])
    # The day is full: nothing is reserved, nothing created, every lock released.
    assert not await orders.create_order(loaded, **_create("OG-B", loc, sku, limit=1))
    assert await _state(loaded, loc, sku) == after
    # The same order again: a duplicate says no.
    assert not await orders.create_order(loaded, **_create("OG-A", loc, sku, limit=5))
    assert await _state(loaded, loc, sku) == after
    # A change under the same guard: a full day, then a stale version, say no; then yes.
    assert not await loaded.write(lifecycle.APPLY_CHANGE, _change("OG-A", loc, sku, 0, 1))
    assert not await loaded.write(lifecycle.APPLY_CHANGE, _change("OG-A", loc, sku, 5, 7))
    assert (await _state(loaded, loc, sku))[0] == after[0]
    assert await loaded.write(lifecycle.APPLY_CHANGE, _change("OG-A", loc, sku, 5, 1))
    final = await _state(loaded, loc, sku)
    assert final[0]["reserved"] == before["reserved"] + 2
    assert all("_lock" not in x for x in [final[0], *final[1], *final[2]])


async def test_the_guard_holds_received_units_without_free_stock(loaded: FalkorStore) -> None:
    """docs/transfers.md: a change that puts units on hand may reserve up to them at once,
    whatever the position's free stock (here none: everything is held by safety stock)."""
    loc, sku, _ = await _position(loaded)
    await loaded.write(
        "MATCH (:Location {id: $l})-[s:STOCKS]->(:Sku {id: $k}) SET s.safetyStock = s.onHand",
        {"l": loc, "k": sku},
    )
    assert await orders.create_order(loaded, **_create("OG-R", loc, sku, limit=5)) is False
    await loaded.write("CREATE (:Order {id: 'OG-R', version: 1})")
    before = (await _state(loaded, loc, sku))[0]

    def receipt(version: int, reserved: int, on_hand: int) -> dict[str, Any]:
        change = _change("OG-R", loc, sku, 5, version)
        change["stock"] = [{"location": loc, "sku": sku, "reserved": reserved, "onHand": on_hand}]
        return change

    # one more reserved than arrives: that one needs free stock, and there is none
    assert not await loaded.write(lifecycle.APPLY_CHANGE, receipt(1, 3, 2))
    assert (await _state(loaded, loc, sku))[0] == before
    assert await loaded.write(lifecycle.APPLY_CHANGE, receipt(1, 2, 2))
    after = (await _state(loaded, loc, sku))[0]
    assert (after["onHand"], after["reserved"]) == (before["onHand"] + 2, before["reserved"] + 2)
