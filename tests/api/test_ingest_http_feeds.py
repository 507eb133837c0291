"""``POST /feeds/inventory/{snapshot|delta}``: CSV or JSON, API keys, all-or-nothing checks."""

from __future__ import annotations

import httpx

from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.apikeys import create_key
from tests.conftest import FIXTURES

FEEDS = FIXTURES / "feeds"


async def stock(store: FalkorStore) -> dict[tuple[str, str], tuple[int, int, int]]:
    rows = await store.read(
        "MATCH (l:Location)-[s:STOCKS]->(k:Sku) RETURN l.id AS l, k.id AS k, "
        "s.onHand AS o, s.reserved AS r, s.safetyStock AS ss"
    )
    return {(r["l"], r["k"]): (r["o"], r["r"], r["ss"]) for r in rows}


async def test_a_csv_snapshot_sets_on_hand_and_safety_stock_and_creates_new_positions(
    http: httpx.AsyncClient, loaded: FalkorStore
) -> None:
    answer = await http.post(
        "/feeds/inventory/snapshot",
        content=(FEEDS / "snapshot_small.csv").read_bytes(),
        headers={"Content-Type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() | {"shortfalls": None} == {
        "status": "applied",
        "kind": "snapshot",
        "rows": 4,
        "written": 4,
        "refused": [],
        "shortfalls": None,
        "backordersServed": [],
        "rerouted": 0,
        "backordered": 0,
        "affectedOrders": [],
    }
    after = await stock(loaded)
    assert after[("DC-RENO", "SKU-1")] == (35, 0, 2)
    assert after[("DC-RENO", "SKU-4")] == (6, 0, 0)  # a new position
    assert after[("STORE-SF", "SKU-1")] == (5, 0, 0)  # safety stock kept when not given
    assert after[("STORE-SF", "SKU-2")] == (0, 0, 0)


async def test_a_json_snapshot_is_the_same_as_the_csv(
    http: httpx.AsyncClient, loaded: FalkorStore
) -> None:
    answer = await http.post(
        "/feeds/inventory/snapshot",
        content=(FEEDS / "snapshot_small.json").read_bytes(),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200 and answer.json()["written"] == 4
    assert (await stock(loaded))[("DC-RENO", "SKU-4")] == (6, 0, 0)


async def test_a_feed_with_bad_rows_lists_every_one_and_changes_nothing(
    http: httpx.AsyncClient, loaded: FalkorStore
) -> None:
    before = await stock(loaded)
    answer = await http.post(
        "/feeds/inventory/snapshot",
        content=(FEEDS / "snapshot_bad.csv").read_bytes(),
        headers={"Content-Type": "text/csv"},
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["status"] == "invalid" and body["problemCount"] == 5
    assert [(p["row"], p["field"]) for p in body["problems"]] == [
        (2, "onHand"),
        (3, "sku"),
        (4, "location"),
        (5, "sku"),
        (6, "onHand"),
    ]
    assert "unknown SKU 'SKU-9'" in body["problems"][1]["reason"]
    assert "repeats the position of row 1" in body["problems"][3]["reason"]
    assert await stock(loaded) == before


async def test_deltas_are_summed_per_position_and_one_below_zero_refuses_the_file(
    http: httpx.AsyncClient, loaded: FalkorStore
) -> None:
    answer = await http.post(
        "/feeds/inventory/delta",
        content=(FEEDS / "delta_small.json").read_bytes(),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["written"] == 2
    after = await stock(loaded)
    assert after[("DC-RENO", "SKU-1")][0] == 40 - 3 + 10
    assert after[("STORE-LA", "SKU-2")] == (4, 0, 0)
    too_much = b"location,sku,delta\nSTORE-SF,SKU-4,-2\nSTORE-SF,SKU-1,1\n"
    refused = await http.post(
        "/feeds/inventory/delta", content=too_much, headers={"Content-Type": "text/csv"}
    )
    assert refused.status_code == 422
    assert refused.json()["problems"] == [
        {
            "row": 1,
            "field": "delta",
            "reason": "on-hand of SKU-4 at STORE-SF is 1; the file's movements (-2) would take it below zero",
        }
    ]
    assert await stock(loaded) == after


async def test_feeds_need_a_key_that_may_change_that_stock(
    http: httpx.AsyncClient, loaded: FalkorStore
) -> None:
    body = (FEEDS / "snapshot_small.csv").read_bytes()
    anonymous = await http.post(
        "/feeds/inventory/snapshot", content=body, headers={"Authorization": ""}
    )
    assert anonymous.status_code == 401
    shop, _ = await create_key(loaded, "shop", "storefront", channels=["web"])
    assert (
        await http.post(
            "/feeds/inventory/snapshot", content=body, headers={"Authorization": f"Bearer {shop}"}
        )
    ).status_code == 403
    store_sf, _ = await create_key(loaded, "sf wms", "partner", locations=["STORE-SF"])
    elsewhere = await http.post(
        "/feeds/inventory/snapshot", content=body, headers={"Authorization": f"Bearer {store_sf}"}
    )
    assert elsewhere.status_code == 403 and "DC-RENO" in elsewhere.json()["reason"]
    own = b"location,sku,onHand\nSTORE-SF,SKU-1,9\n"
    assert (
        await http.post(
            "/feeds/inventory/snapshot",
            content=own,
            headers={"Authorization": f"Bearer {store_sf}"},
        )
    ).status_code == 200
    assert (await stock(loaded))[("STORE-SF", "SKU-1")][0] == 9
    assert (await http.post("/feeds/inventory/nonsense", content=own)).status_code == 404


async def states(store: FalkorStore, location: str, sku: str) -> tuple[int, int, int]:
    rows = await store.read(
        "MATCH (:Location {id: $l})-[s:STOCKS]->(:Sku {id: $k}) "
        "RETURN s.onHand AS o, s.damaged AS d, s.qualityControl AS q",
        {"l": location, "k": sku},
    )
    return rows[0]["o"], rows[0]["d"] or 0, rows[0]["q"] or 0


async def test_a_snapshot_feed_sets_damaged_and_quality_control_beside_on_hand(
    http: httpx.AsyncClient, loaded: FalkorStore
) -> None:
    # the WMS found 3 of Reno's 40 socks damaged and sent 1 to QC: on-hand 36, 3 damaged, 1 QC
    answer = await http.post(
        "/feeds/inventory/snapshot",
        content=b"location,sku,on_hand,damaged,quality_control\nDC-RENO,SKU-1,36,3,1\n",
        headers={"Content-Type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text
    assert await states(loaded, "DC-RENO", "SKU-1") == (36, 3, 1)
    # a later snapshot without those columns keeps them
    answer = await http.post(
        "/feeds/inventory/snapshot",
        json=[{"location": "DC-RENO", "sku": "SKU-1", "onHand": 37}],
    )
    assert answer.status_code == 200, answer.text
    assert await states(loaded, "DC-RENO", "SKU-1") == (37, 3, 1)
    # one bad count refuses the whole file: the good row before it is not applied either
    answer = await http.post(
        "/feeds/inventory/snapshot",
        json=[
            {"location": "DC-RENO", "sku": "SKU-1", "onHand": 30, "damaged": 0},
            {"location": "STORE-SF", "sku": "SKU-1", "onHand": 5, "qualityControl": -1},
        ],
    )
    assert answer.status_code == 422
    assert answer.json()["problems"] == [
        {"row": 2, "field": "qualityControl", "reason": "must be between 0 and 1000000000, got -1"}
    ]
    assert await states(loaded, "DC-RENO", "SKU-1") == (37, 3, 1)
