"""Inbound supply over the API on the real engine: ``inboundUpsert``, ``inboundReceive`` and
the ``inbound`` list through GraphQL, the ERP's inbound feed through ``POST /feeds/inbound``
(all or nothing) and ``ordergraph feed inbound``. Small network: DC-RENO holds 40 of SKU-1
(safety stock 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from ordergraph.graph import events as graph_events
from ordergraph.graph import inbound as graph_inbound
from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from tests.conftest import GraphQLClient
from tests.integration.test_ingestion_cli import cli

LINE = "id kind location sku quantity received preordered toReceive remaining expectedAt status"
UPSERT = f"""mutation($input: InboundUpsertInput!) {{ inboundUpsert(input: $input) {{
  inbound {{ {LINE} }} userErrors {{ field code message }} }} }}"""
RECEIVE = f"""mutation($input: InboundReceiveInput!) {{ inboundReceive(input: $input) {{
  inbound {{ {LINE} }} stock {{ onHand reserved available }} userErrors {{ field code message }}
}} }}"""
LIST = """query($location: ID, $sku: ID, $first: Int, $after: String) {
  inbound(location: $location, sku: $sku, first: $first, after: $after) {
    nodes { id quantity expectedAt } pageInfo { hasNextPage endCursor } } }"""
PO = {"id": "PO-991", "location": "DC-RENO", "sku": "SKU-1", "quantity": 10,
      "expectedAt": "2026-12-15"}  # fmt: skip


async def test_a_line_is_created_moved_received_in_part_and_listed(
    gql: GraphQLClient, loaded: FalkorStore
) -> None:
    created = (await gql(UPSERT, input=PO))["inboundUpsert"]
    assert created == {
        "inbound": {"id": "PO-991", "kind": "PURCHASE_ORDER", "location": "DC-RENO",
                    "sku": "SKU-1", "quantity": 10, "received": 0, "preordered": 0,
                    "toReceive": 10, "remaining": 10, "expectedAt": "2026-12-15",
                    "status": "OPEN"},
        "userErrors": [],
    }  # fmt: skip
    moved = await gql(UPSERT, input={"id": "PO-991", "expectedAt": "2026-12-22"})
    assert moved["inboundUpsert"]["inbound"]["expectedAt"] == "2026-12-22"
    got = (await gql(RECEIVE, input={"id": "PO-991", "quantity": 4}))["inboundReceive"]
    assert got["userErrors"] == []
    assert got["inbound"]["received"] == 4 and got["inbound"]["status"] == "PARTIALLY_RECEIVED"
    assert got["stock"] == {"onHand": 44, "reserved": 0, "available": 42}
    over = (await gql(RECEIVE, input={"id": "PO-991", "quantity": 7}))["inboundReceive"]
    assert over["inbound"] is None and over["stock"] is None
    assert [(e["field"], e["code"]) for e in over["userErrors"]] == [
        (["input", "quantity"], "INVALID_INPUT")
    ]
    await gql(UPSERT, input={"id": "TR-1", "location": "STORE-SF", "sku": "SKU-1", "quantity": 3,
                             "expectedAt": "2026-12-04", "kind": "TRANSFER"})  # fmt: skip
    everything = (await gql(LIST))["inbound"]["nodes"]
    assert [n["id"] for n in everything] == ["PO-991", "TR-1"]
    reno = (await gql(LIST, location="DC-RENO", sku="SKU-1"))["inbound"]["nodes"]
    assert reno == [{"id": "PO-991", "quantity": 10, "expectedAt": "2026-12-22"}]
    first = (await gql(LIST, first=1))["inbound"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await gql(LIST, first=1, after=first["pageInfo"]["endCursor"]))["inbound"]
    assert [n["id"] for n in rest["nodes"]] == ["TR-1"]
    # the events of the move and the receipt, as the webhook and subscription feeds read them
    found = await graph_events.events_since(
        loaded, 0, order_id=None, types=None, after=None, limit=10
    )
    assert [(e.id, e.type, e.order_id, e.payload.get("to")) for e in found] == [
        ("INB:PO-991-E1", "inbound.expected_date_changed", None, "2026-12-22"),
        ("INB:PO-991-E2", "inbound.received", None, None),
    ]


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"location": "NOWHERE"}, "UNKNOWN_LOCATION", ["input", "location"]),
        ({"sku": "NOPE"}, "UNKNOWN_SKU", ["input", "sku"]),
        ({"quantity": 0}, "INVALID_INPUT", ["input", "quantity"]),
        ({"quantity": -5}, "INVALID_INPUT", ["input", "quantity"]),
        ({"expectedAt": "2026-13-01"}, "INVALID_INPUT", ["input", "expectedAt"]),
        ({"expectedAt": "soon"}, "INVALID_INPUT", ["input", "expectedAt"]),
    ],
)
async def test_a_bad_line_is_a_user_error_with_its_code(
    gql: GraphQLClient, fields: dict[str, Any], code: str, field: list[str]
) -> None:
    payload = (await gql(UPSERT, input={**PO, **fields}))["inboundUpsert"]
    assert payload["inbound"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert (await gql(LIST))["inbound"]["nodes"] == []


async def test_an_existing_line_cannot_move_to_another_position(gql: GraphQLClient) -> None:
    await gql(UPSERT, input=PO)
    payload = (await gql(UPSERT, input={**PO, "location": "DC-NEWARK"}))["inboundUpsert"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_INPUT", ["input", "location"])
    ]


async def test_receiving_an_unknown_line_is_not_found(gql: GraphQLClient) -> None:
    payload = (await gql(RECEIVE, input={"id": "PO-404", "quantity": 1}))["inboundReceive"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("NOT_FOUND", ["input", "id"])
    ]


# ---- the ERP's inbound feed -----------------------------------------------------------------


FEED = (
    b"id,location,sku,quantity,expected_at,kind\n"
    b"PO-991,DC-RENO,SKU-1,500,2026-12-15,PURCHASE_ORDER\n"
    b"TR-7,STORE-SF,SKU-2,6,2026-12-08,TRANSFER\n"
    b"PO-992,DC-NEWARK,SKU-1,40,2026-12-20,\n"
)


async def test_an_inbound_feed_creates_lines_and_a_second_one_moves_a_date(
    http: httpx.AsyncClient, loaded: FalkorStore
) -> None:
    answer = await http.post("/feeds/inbound", content=FEED, headers={"Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "applied", "kind": "inbound", "rows": 3, "written": 3,
                             "created": 3, "moved": 0, "refused": []}  # fmt: skip
    stored = await graph_inbound.by_ids(loaded, ["PO-991", "TR-7", "PO-992"])
    assert stored["PO-992"].kind == "PURCHASE_ORDER"  # the default of an empty cell
    assert (stored["TR-7"].kind, stored["TR-7"].quantity) == ("TRANSFER", 6)
    answer = await http.post(
        "/feeds/inbound",
        json=[{"id": "PO-991", "location": "DC-RENO", "sku": "SKU-1", "quantity": 480,
               "expectedAt": "2026-12-19"}],
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["moved"] == 1 and answer.json()["created"] == 0
    line = (await graph_inbound.by_ids(loaded, ["PO-991"]))["PO-991"]
    assert (line.quantity, line.expected_at.isoformat()) == (480, "2026-12-19")
    rows = await loaded.read(
        "MATCH (:Inbound {id: 'PO-991'})-[:HAS_EVENT]->(e:Event) RETURN e.type AS t"
    )
    assert [r["t"] for r in rows] == ["inbound.expected_date_changed"]


async def test_one_bad_row_refuses_the_whole_inbound_feed(
    http: httpx.AsyncClient, loaded: FalkorStore
) -> None:
    bad = FEED + (
        b"PO-993,MARS,SKU-1,5,2026-12-20,\n"
        b"PO-994,DC-RENO,SKU-1,0,2026-12-20,\n"
        b"PO-995,DC-RENO,SKU-1,5,2026-12-32,\n"
        b"PO-991,DC-RENO,SKU-1,5,2026-12-20,CONTAINER\n"
    )
    answer = await http.post("/feeds/inbound", content=bad, headers={"Content-Type": "text/csv"})
    assert answer.status_code == 422, answer.text
    assert [(p["row"], p["field"]) for p in answer.json()["problems"]] == [
        (4, "location"),
        (5, "quantity"),
        (6, "expectedAt"),
        (7, "kind"),
    ]
    assert await graph_inbound.by_ids(loaded, ["PO-991", "TR-7", "PO-992"]) == {}


async def test_an_inbound_feed_cannot_cut_a_line_below_what_was_received(
    http: httpx.AsyncClient, loaded: FalkorStore, gql: GraphQLClient
) -> None:
    await gql(UPSERT, input=PO)
    await gql(RECEIVE, input={"id": "PO-991", "quantity": 8})
    answer = await http.post(
        "/feeds/inbound",
        json=[
            {"id": "PO-9", "location": "DC-RENO", "sku": "SKU-1", "quantity": 5,
             "expectedAt": "2026-12-20"},
            {"id": "PO-991", "location": "DC-RENO", "sku": "SKU-1", "quantity": 6,
             "expectedAt": "2026-12-20"},
        ],
    )  # fmt: skip
    assert answer.status_code == 422
    assert answer.json()["problems"] == [
        {"row": 2, "field": "quantity",
         "reason": "must be at least the 8 received and 0 preordered units, got 6"}
    ]  # fmt: skip
    assert "PO-9" not in await graph_inbound.by_ids(loaded, ["PO-9"])


def test_the_cli_applies_an_inbound_feed(
    engine: EmbeddedEngine, loaded: FalkorStore, tmp_path: Path
) -> None:
    feed = tmp_path / "inbound.csv"
    feed.write_bytes(FEED)
    done = cli(engine, loaded, "feed", "inbound", "--quiet", str(feed))
    assert done.returncode == 0, done.stderr
    assert "inbound inbound.csv: 3 rows, 3 lines written (3 new" in done.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": "PO-1", "location": "DC-RENO", "sku": "SKU-1", "quantity": 1}]')
    done = cli(engine, loaded, "feed", "inbound", "--quiet", str(bad))
    assert done.returncode != 0
    assert "expectedAt" in done.stdout + done.stderr


def test_ordergraph_load_writes_the_inbound_section(
    engine: EmbeddedEngine, loaded: FalkorStore, tmp_path: Path
) -> None:
    doc = tmp_path / "network.json"
    doc.write_text(
        '{"inbound": [{"id": "PO-991", "location": "DC-RENO", "sku": "SKU-1", "quantity": 500,'
        ' "expectedAt": "2026-12-15"}]}'
    )
    done = cli(engine, loaded, "load", str(doc))
    assert done.returncode == 0, done.stderr
    assert "inbound: 1" in done.stdout
