"""Inbound supply on the real engine: lines from the network file and ``upsert_inbound``,
moved dates and their events, receipts (partial, over-receipt refused, concurrent receipts of
one line), ``inbound_remaining`` and the ERP feed (all or nothing). Small network: DC-RENO holds
40 of SKU-1 (safety stock 2)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

from ordergraph.domain.errors import ErrorCode, NetworkFileError, OrderGraphError
from ordergraph.graph import catalog
from ordergraph.graph import inbound as graph_inbound
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import inbound
from ordergraph.services.inbound import InboundChange
from ordergraph.services.network import load_network

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PO = InboundChange("PO-991", location="DC-RENO", sku="SKU-1", quantity=10, expected_at="2026-12-15")


async def events(store: FalkorStore, inbound_id: str) -> list[dict[str, Any]]:
    rows = await store.read(
        "MATCH (:Inbound {id: $id})-[:HAS_EVENT]->(e:Event) "
        "RETURN e.id AS id, e.type AS type, e.sequence AS sequence, e.payload AS payload, "
        "e.pending AS pending, e.orderId AS orderId ORDER BY e.sequence",
        {"id": inbound_id},
    )
    return [{**r, "payload": orjson.loads(r["payload"])} for r in rows]


async def on_hand(store: FalkorStore, location: str = "DC-RENO", sku: str = "SKU-1") -> int:
    stock = await catalog.stock_level(store, location, sku)
    assert stock is not None
    return stock.on_hand


async def test_a_new_line_is_open_with_everything_still_to_arrive(loaded: FalkorStore) -> None:
    line = await inbound.upsert_inbound(loaded, PO, now=NOW)
    assert (line.id, line.kind, line.location, line.sku) == (
        "PO-991", "PURCHASE_ORDER", "DC-RENO", "SKU-1"
    )  # fmt: skip
    assert (line.quantity, line.received, line.to_receive, line.remaining) == (10, 0, 10, 10)
    assert line.expected_at == date(2026, 12, 15) and line.status == "OPEN"
    assert await events(loaded, "PO-991") == []  # creating is not moving
    assert await on_hand(loaded) == 40  # inbound is not on-hand


async def test_moving_the_date_appends_one_event_and_a_repeat_appends_none(
    loaded: FalkorStore,
) -> None:
    await inbound.upsert_inbound(loaded, PO, now=NOW)
    moved = await inbound.upsert_inbound(
        loaded, InboundChange("PO-991", expected_at="2026-12-22"), now=NOW
    )
    assert moved.expected_at == date(2026, 12, 22) and moved.quantity == 10
    again = await inbound.upsert_inbound(
        loaded, InboundChange("PO-991", expected_at="2026-12-22", quantity=12), now=NOW
    )
    assert again.quantity == 12
    (event,) = await events(loaded, "PO-991")
    assert event["type"] == "inbound.expected_date_changed"
    assert event["id"] == "INB:PO-991-E1" and event["sequence"] == 1
    assert event["pending"] is True and event["orderId"] is None
    assert event["payload"] == {
        "id": "PO-991", "kind": "PURCHASE_ORDER", "location": "DC-RENO", "sku": "SKU-1",
        "quantity": 10, "expectedAt": "2026-12-22", "from": "2026-12-15", "to": "2026-12-22",
    }  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        InboundChange("PO-1", "NOWHERE", "SKU-1", 5, "2026-12-15"),
        InboundChange("PO-1", "DC-RENO", "NOPE", 5, "2026-12-15"),
        InboundChange("PO-1", "DC-RENO", "SKU-1", 0, "2026-12-15"),
        InboundChange("PO-1", "DC-RENO", "SKU-1", -4, "2026-12-15"),
        InboundChange("PO-1", "DC-RENO", "SKU-1", 5, "2026-02-30"),
        InboundChange("PO-1", "DC-RENO", "SKU-1", 5, "next week"),
        InboundChange("PO-1", "DC-RENO", "SKU-1", 5),
    ],
)
async def test_a_bad_line_is_refused_and_nothing_is_written(
    loaded: FalkorStore, change: InboundChange
) -> None:
    # the codes each problem maps to are checked over the API (tests/api/test_inbound_api.py)
    with pytest.raises(NetworkFileError) as caught:
        await inbound.upsert_inbound(loaded, change, now=NOW)
    assert caught.value.problems
    assert await graph_inbound.by_ids(loaded, ["PO-1"]) == {}


async def test_a_receipt_turns_units_into_on_hand_partially_and_refuses_more_than_remain(
    loaded: FalkorStore,
) -> None:
    await inbound.upsert_inbound(loaded, PO, now=NOW)
    first = await inbound.receive_inbound(loaded, "PO-991", 4, now=NOW)
    assert (first.inbound.received, first.inbound.to_receive) == (4, 6)
    assert first.inbound.status == "PARTIALLY_RECEIVED"
    assert (first.stock.on_hand, first.stock.available) == (44, 42)  # 40 + 4, less 2 safety
    with pytest.raises(OrderGraphError) as caught:
        await inbound.receive_inbound(loaded, "PO-991", 7, now=NOW)
    assert caught.value.code == ErrorCode.INVALID_INPUT and caught.value.field == ("quantity",)
    assert "6 units of inbound PO-991 are still to arrive" in caught.value.message
    assert await on_hand(loaded) == 44  # the refused receipt changed nothing
    last = await inbound.receive_inbound(loaded, "PO-991", 6, now=NOW)
    assert (last.inbound.received, last.inbound.status, last.stock.on_hand) == (10, "RECEIVED", 50)
    got = await events(loaded, "PO-991")
    assert [(e["type"], e["sequence"], e["payload"]["received"]) for e in got] == [
        ("inbound.received", 1, 4),
        ("inbound.received", 2, 6),
    ]
    assert got[0]["payload"] == {
        "id": "PO-991", "kind": "PURCHASE_ORDER", "location": "DC-RENO", "sku": "SKU-1",
        "received": 4,
    }  # fmt: skip
    # a received line's quantity cannot fall below what came in
    with pytest.raises(OrderGraphError) as caught:
        await inbound.upsert_inbound(loaded, InboundChange("PO-991", quantity=9), now=NOW)
    assert caught.value.field == ("quantity",)


@pytest.mark.parametrize("quantity", [0, -1])
async def test_a_receipt_must_be_positive(loaded: FalkorStore, quantity: int) -> None:
    await inbound.upsert_inbound(loaded, PO, now=NOW)
    with pytest.raises(OrderGraphError) as caught:
        await inbound.receive_inbound(loaded, "PO-991", quantity, now=NOW)
    assert caught.value.field == ("quantity",)


async def test_an_unknown_line_cannot_be_received(loaded: FalkorStore) -> None:
    with pytest.raises(OrderGraphError) as caught:
        await inbound.receive_inbound(loaded, "PO-404", 1, now=NOW)
    assert caught.value.code == ErrorCode.NOT_FOUND


async def test_concurrent_receipts_of_one_line_never_receive_more_than_its_quantity(
    loaded: FalkorStore,
) -> None:
    await inbound.upsert_inbound(loaded, PO, now=NOW)  # 10 units

    async def receive(n: int) -> int:
        try:
            await inbound.receive_inbound(loaded, "PO-991", n, now=NOW)
        except OrderGraphError:
            return 0
        return n

    # two tasks, many receipts each: 7 + 3 + 6 + ... asked, at most 10 fit
    asks = [7, 6, 3, 4, 2, 5, 1, 6]
    got = await asyncio.gather(
        asyncio.gather(*(receive(n) for n in asks[0::2])),
        asyncio.gather(*(receive(n) for n in asks[1::2])),
    )
    accepted = sum(sum(part) for part in got)
    (line,) = (await graph_inbound.by_ids(loaded, ["PO-991"])).values()
    assert accepted == line.received <= 10
    assert await on_hand(loaded) == 40 + line.received
    assert len(await events(loaded, "PO-991")) == sum(1 for p in got for n in p if n)


async def test_two_tasks_racing_for_the_last_units_one_wins(loaded: FalkorStore) -> None:
    await inbound.upsert_inbound(loaded, PO, now=NOW)
    for _ in range(20):  # many rounds: each time, exactly one of two receipts of 6 of 10 fits
        await loaded.write("MATCH (i:Inbound {id: 'PO-991'}) SET i.received = 0")
        results = await asyncio.gather(
            inbound.receive_inbound(loaded, "PO-991", 6, now=NOW),
            inbound.receive_inbound(loaded, "PO-991", 6, now=NOW),
            return_exceptions=True,
        )
        assert sorted(type(r).__name__ for r in results) == ["Receipt", "ValidationError"]
    (line,) = (await graph_inbound.by_ids(loaded, ["PO-991"])).values()
    assert line.received == 6


async def test_inbound_remaining_sums_the_open_lines_of_a_position_earliest_first(
    loaded: FalkorStore,
) -> None:
    await inbound.upsert_inbound(loaded, PO, now=NOW)  # 10 on 15 Dec
    await inbound.upsert_inbound(
        loaded,
        InboundChange("TR-7", "DC-RENO", "SKU-1", 5, "2026-12-08", kind="TRANSFER"),
        now=NOW,
    )
    await inbound.upsert_inbound(
        loaded, InboundChange("PO-2", "DC-NEWARK", "SKU-1", 50, "2026-12-09"), now=NOW
    )
    await inbound.receive_inbound(loaded, "PO-991", 3, now=NOW)
    await loaded.write("MATCH (i:Inbound {id: 'PO-991'}) SET i.preordered = 2")  # ATP's count
    supply = await graph_inbound.inbound_remaining(
        loaded, [("DC-RENO", "SKU-1"), ("STORE-SF", "SKU-1")]
    )
    reno = supply[("DC-RENO", "SKU-1")]
    assert [line.id for line in reno.lines] == ["TR-7", "PO-991"]
    assert reno.remaining == 5 + (10 - 3 - 2)
    assert reno.earliest is not None and reno.earliest.id == "TR-7"
    assert supply[("STORE-SF", "SKU-1")].remaining == 0
    assert supply[("STORE-SF", "SKU-1")].earliest is None
    # a fully received line is no supply
    await inbound.receive_inbound(loaded, "TR-7", 5, now=NOW)
    (reno,) = (await graph_inbound.inbound_remaining(loaded, [("DC-RENO", "SKU-1")])).values()
    assert [line.id for line in reno.lines] == ["PO-991"] and reno.remaining == 5


async def test_the_network_file_loads_inbound_lines_and_a_reload_moves_their_dates(
    loaded: FalkorStore, network_doc: dict[str, Any]
) -> None:
    doc = {
        "inbound": [
            {"id": "PO-991", "location": "DC-RENO", "sku": "SKU-1", "quantity": 500,
             "expectedAt": "2026-12-15"},
            {"id": "TR-1", "location": "STORE-SF", "sku": "SKU-2", "quantity": 4,
             "expectedAt": "2026-12-03", "kind": "TRANSFER"},
        ]
    }  # fmt: skip
    assert (await load_network(loaded, doc))["inbound"] == 2
    assert (await load_network(loaded, doc))["inbound"] == 2  # idempotent
    assert await events(loaded, "PO-991") == []
    doc["inbound"][0]["expectedAt"] = "2026-12-18"
    await load_network(loaded, doc)
    stored = await graph_inbound.by_ids(loaded, ["PO-991", "TR-1"])
    assert stored["PO-991"].expected_at == date(2026, 12, 18)
    assert stored["TR-1"].kind == "TRANSFER" and stored["TR-1"].quantity == 4
    assert [e["type"] for e in await events(loaded, "PO-991")] == ["inbound.expected_date_changed"]


def test_a_network_file_cannot_set_received_units_or_name_unknown_positions() -> None:
    from ordergraph.connectors.network_file.parse import parse_network

    with pytest.raises(NetworkFileError) as caught:
        parse_network(
            {
                "inbound": [
                    {"id": "PO-1", "location": "X", "sku": "Y", "quantity": 3,
                     "expectedAt": "2026-12-15", "received": 1},
                    {"id": "PO-1", "location": "X", "sku": "Y", "quantity": 0,
                     "expectedAt": "15/12/2026", "kind": "DROPSHIP"},
                ]
            }
        )  # fmt: skip
    assert [(p.path, p.reason) for p in caught.value.problems] == [
        ("$.inbound[0].received", "received is runtime state, a network file cannot set it"),
        ("$.inbound[1].quantity", "must be between 1 and 1000000000, got 0"),
        ("$.inbound[1].expectedAt", "must be a date YYYY-MM-DD, got '15/12/2026'"),
        ("$.inbound[1].kind", 'must be one of PURCHASE_ORDER, TRANSFER, got "DROPSHIP"'),
        ("$.inbound[1].id", 'duplicate id "PO-1" (first at $.inbound[0])'),
        ("$.inbound[0].location", 'unknown location "X"'),
        ("$.inbound[0].sku", 'unknown sku "Y"'),
        ("$.inbound[1].location", 'unknown location "X"'),
        ("$.inbound[1].sku", 'unknown sku "Y"'),
    ]


async def test_a_receipt_racing_a_cut_in_quantity_never_leaves_more_received_than_ordered(
    loaded: FalkorStore,
) -> None:
    for n in range(10):  # 10 ordered: receive 8 while the ERP cuts the line to 5
        line_id = f"PO-{n}"
        await inbound.upsert_inbound(loaded, replace(PO, id=line_id), now=NOW)
        results = await asyncio.gather(
            inbound.receive_inbound(loaded, line_id, 8, now=NOW),
            inbound.upsert_inbound(loaded, InboundChange(line_id, quantity=5), now=NOW),
            return_exceptions=True,
        )
        assert sum(isinstance(r, OrderGraphError) for r in results) == 1, results
        (line,) = (await graph_inbound.by_ids(loaded, [line_id])).values()
        assert line.received <= line.quantity
        assert (line.received, line.quantity) in ((8, 10), (0, 5))


async def test_inbound_events_are_delivered_to_webhooks_like_order_events(
    loaded: FalkorStore,
) -> None:
    from ordergraph.services import events as event_service
    from tests.integration.test_webhooks import LOOPBACK, SECRET, Receiver, dispatcher, eventually

    async with Receiver() as receiver:
        await event_service.create_subscription(
            loaded,
            receiver.url(),
            SECRET,
            ["inbound.received", "inbound.expected_date_changed"],
            allow_private=LOOPBACK,
        )
        await inbound.upsert_inbound(loaded, PO)
        await inbound.upsert_inbound(loaded, InboundChange("PO-991", expected_at="2026-12-18"))
        await inbound.receive_inbound(loaded, "PO-991", 10)
        async with dispatcher(loaded):

            async def both() -> bool:
                return receiver.acked_ids() == {"INB:PO-991-E1", "INB:PO-991-E2"}

            await eventually(both)
    sent = {h.event["id"]: h.event for h in receiver.hits if h.acked}
    assert sent["INB:PO-991-E1"]["type"] == "inbound.expected_date_changed"
    assert sent["INB:PO-991-E2"]["payload"]["received"] == 10
    assert sent["INB:PO-991-E2"]["orderId"] is None
