"""Preorders on the real engine: a channel with ``sellInbound`` sells the units on-hand stock
cannot serve against inbound lines (a PREORDER fulfillment promised from the line's expected
date), reserved atomically against the line's remaining units; channels without it never see
or take inbound.

The network: the small network plus BOOT-42 (1 kg), 5 pairs on hand at DC-RENO (cut-off 14:00
Pacific, no processing days, UPS ground to San Francisco in 1 business day at 4.75 + 0.37/kg,
handling 1.25), and "next week's container", PO-1: 20 pairs expected at DC-RENO on Monday
2026-12-07. web may sell inbound; amazon may not.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from ordergraph.domain.errors import ErrorCode, OrderGraphError
from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.domain.routing.types import ServiceLevel
from ordergraph.graph import inbound as graph_inbound
from ordergraph.graph import orders as graph_orders
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import lifecycle
from ordergraph.services.availability import availability
from ordergraph.services.delivery import delivery_options
from ordergraph.services.inbound import InboundChange, receive_inbound, upsert_inbound
from ordergraph.services.network import load_network
from ordergraph.services.orders import Placement, place_order
from tests.conftest import small_network

# Monday 2026-11-30, 09:00 in Reno: before the cut-off, so on-hand units ship today
PLACED = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
SF = Address("94107", "US")


def container_network(on_hand: int = 5, inbound: int = 20) -> dict[str, Any]:
    doc = small_network()
    doc["skus"].append({"id": "BOOT-42", "name": "Boots", "weightKg": 1.0, "tags": []})
    doc["stock"].append({"location": "DC-RENO", "sku": "BOOT-42", "onHand": on_hand})
    doc["channels"] = [
        {"id": "web", "name": "Web store", "kind": "WEB", "sellInbound": True},
        {"id": "amazon", "name": "Amazon", "kind": "MARKETPLACE"},
    ]
    doc["inbound"] = [
        {"id": "PO-1", "location": "DC-RENO", "sku": "BOOT-42", "quantity": inbound,
         "expectedAt": "2026-12-07"},
    ]  # fmt: skip
    return doc


def boots(channel: str, quantity: int, external_id: str | None = None) -> OrderRequest:
    return OrderRequest(
        channel=channel,
        lines=(OrderLine("BOOT-42", quantity),),
        ship_to=SF,
        placed_at=PLACED,
        external_id=external_id,
    )


async def po(store: FalkorStore) -> tuple[int, int, int]:
    (line,) = (await graph_inbound.by_ids(store, ["PO-1"])).values()
    return line.quantity, line.received, line.preordered


async def reserved(store: FalkorStore) -> int:
    rows = await store.read(
        "MATCH (:Location {id: 'DC-RENO'})-[s:STOCKS]->(:Sku {id: 'BOOT-42'}) "
        "RETURN s.reserved AS reserved"
    )
    return int(rows[0]["reserved"])


async def test_units_beyond_on_hand_are_preorders_promised_from_the_container(
    store: FalkorStore,
) -> None:
    await load_network(store, container_network())
    placed = await place_order(store, boots("web", 8), now=PLACED)
    (order,) = await graph_orders.orders_by_id(store, [placed.order_id])
    assert order is not None
    ((line,),) = await graph_orders.lines_by_order(store, [placed.order_id])
    (fulfillments,) = await graph_orders.fulfillments_by_order(store, [placed.order_id])
    on_hand, preorder = fulfillments
    # 5 on hand ship today (Mon 11-30) and arrive Tue 12-01
    assert (on_hand.status.value, on_hand.lines[0].quantity) == ("OPEN", 5)
    assert on_hand.estimated_delivery == date(2026, 12, 1)
    # 3 are preorders: the container arrives Mon 12-07, ships that day (no processing days),
    # UPS ground 1 business day: Tue 12-08
    assert (preorder.status.value, preorder.lines[0].quantity) == ("PREORDER", 3)
    assert preorder.inbound_id == "PO-1" and preorder.expected_at == date(2026, 12, 7)
    assert preorder.ship_by == date(2026, 12, 7)
    assert preorder.estimated_delivery == date(2026, 12, 8)
    assert preorder.cost == 7.11  # handling 1.25 + lane 4.75 + 0.37 x 1 kg x 3
    # nothing is backordered; the order's promise is the preorder's
    assert (line.allocated, line.backordered) == (8, 0)
    assert order.status.value == "ALLOCATED" and order.promised_by == date(2026, 12, 8)
    # reserved: the 5 on hand; the line: 3 preordered, 17 left to sell
    assert await reserved(store) == 5
    assert await po(store) == (20, 0, 3)


async def test_a_channel_without_sell_inbound_never_takes_inbound(store: FalkorStore) -> None:
    await load_network(store, container_network())
    placed = await place_order(store, boots("amazon", 8), now=PLACED)
    ((line,),) = await graph_orders.lines_by_order(store, [placed.order_id])
    (fulfillments,) = await graph_orders.fulfillments_by_order(store, [placed.order_id])
    assert [f.status.value for f in fulfillments] == ["OPEN"]
    assert (line.allocated, line.backordered) == (5, 3)
    assert await po(store) == (20, 0, 0)


async def test_preorders_never_exceed_the_container(store: FalkorStore) -> None:
    await load_network(store, container_network(on_hand=0, inbound=20))
    placed = await place_order(store, boots("web", 26), now=PLACED)
    ((line,),) = await graph_orders.lines_by_order(store, [placed.order_id])
    assert (line.allocated, line.backordered) == (20, 6)
    assert await po(store) == (20, 0, 20)
    again = await place_order(store, boots("web", 1), now=PLACED)
    ((line,),) = await graph_orders.lines_by_order(store, [again.order_id])
    assert (line.allocated, line.backordered) == (0, 1)


async def test_many_concurrent_preorders_on_a_scarce_container(store: FalkorStore) -> None:
    """60 web orders of 1-2 pairs race for 15 inbound pairs and nothing on hand: exactly 15
    pairs are preordered, never more, and each order's units are either preordered or
    backordered."""
    await load_network(store, container_network(on_hand=0, inbound=15))
    quantities = [1 + i % 2 for i in range(60)]
    placed = await asyncio.gather(
        *(
            place_order(store, boots("web", q, f"race-{i}"), now=PLACED)
            for i, q in enumerate(quantities)
        )
    )
    lines = await graph_orders.lines_by_order(store, [p.order_id for p in placed])
    fulfillments = await graph_orders.fulfillments_by_order(store, [p.order_id for p in placed])
    preordered = sum(
        shipped.quantity
        for each in fulfillments
        for f in each
        if f.status.value == "PREORDER"
        for shipped in f.lines
    )
    assert preordered == 15
    assert await po(store) == (15, 0, 15)
    assert sum(line.allocated for (line,) in lines) == 15
    assert sum(line.backordered for (line,) in lines) == sum(quantities) - 15
    assert all(line.allocated + line.backordered == line.quantity for (line,) in lines)
    assert await reserved(store) == 0


async def order_events(store: FalkorStore, order_id: str) -> list[tuple[str, dict[str, Any]]]:
    (found,) = await graph_orders.events_by_order(store, [order_id])
    return [(e.type, dict(e.payload)) for e in found]


async def test_receiving_the_container_moves_preorders_to_on_hand_reservations(
    store: FalkorStore,
) -> None:
    """Nothing on hand; A preorders 6 then B 4 (10 of 20 preordered). 8 arrive: A's 6 arrive
    whole (OPEN, reserved on hand), B gets 2 of its 4 (still PREORDER, those 2 reserved for it).
    Then 5 more: B's last 2 arrive, it is OPEN; 3 units are free on hand."""
    await load_network(store, container_network(on_hand=0, inbound=20))
    a = await place_order(store, boots("web", 6, "A"), now=PLACED)
    b = await place_order(store, boots("web", 4, "B"), now=PLACED + timedelta(minutes=1))
    assert await po(store) == (20, 0, 10)
    await receive_inbound(store, "PO-1", 8, now=PLACED)
    assert await po(store) == (20, 8, 2)  # 10 preordered - 8 arrived
    assert await reserved(store) == 8
    ((fa,), (fb,)) = await graph_orders.fulfillments_by_order(store, [a.order_id, b.order_id])
    assert (fa.status.value, fb.status.value) == ("OPEN", "PREORDER")
    assert (await order_events(store, a.order_id))[-1] == (
        "PreorderReceived", {"fulfillment": fa.id, "inbound": "PO-1", "units": 6, "open": True}
    )  # fmt: skip
    assert (await order_events(store, b.order_id))[-1][1]["units"] == 2
    await receive_inbound(store, "PO-1", 5, now=PLACED)
    assert await po(store) == (20, 13, 0)
    assert await reserved(store) == 10
    ((fb,),) = await graph_orders.fulfillments_by_order(store, [b.order_id])
    assert fb.status.value == "OPEN"
    # the open preorder ships like any fulfillment
    released = await lifecycle.release(store, fa.id, now=PLACED)
    assert released.order.status is not None and released.order.status.value == "RELEASED"


async def test_cancelling_gives_preorder_units_back_to_the_container(store: FalkorStore) -> None:
    """web orders 8 with 5 on hand: 5 reserved, 3 preordered. Cancelling the order releases
    both: reserved 0, preordered 0 (20 left to sell again)."""
    await load_network(store, container_network())
    placed = await place_order(store, boots("web", 8), now=PLACED)
    await lifecycle.cancel_order(store, placed.order_id, now=PLACED)
    assert await reserved(store) == 0
    assert await po(store) == (20, 0, 0)
    (fulfillments,) = await graph_orders.fulfillments_by_order(store, [placed.order_id])
    assert [f.status.value for f in fulfillments] == ["CANCELLED", "CANCELLED"]
    (order,) = await graph_orders.orders_by_id(store, [placed.order_id])
    assert order is not None and order.status.value == "CANCELLED"


async def test_cancelling_units_of_a_preorder_half_arrived(store: FalkorStore) -> None:
    """Nothing on hand; a preorder of 6; 4 arrive (reserved for it). Cancelling 3 units gives
    back the 2 still to arrive (preordered 2 -> 0) and 1 of the arrived (reserved 4 -> 3); the
    3 left have all arrived, so the preorder is OPEN."""
    await load_network(store, container_network(on_hand=0, inbound=20))
    placed = await place_order(store, boots("web", 6), now=PLACED)
    await receive_inbound(store, "PO-1", 4, now=PLACED)
    assert (await po(store), await reserved(store)) == ((20, 4, 2), 4)
    await lifecycle.cancel_order(store, placed.order_id, [("BOOT-42", 3)], now=PLACED)
    assert (await po(store), await reserved(store)) == ((20, 4, 0), 3)
    ((f,),) = await graph_orders.fulfillments_by_order(store, [placed.order_id])
    assert (f.status.value, f.lines[0].quantity) == ("OPEN", 3)


async def test_a_late_container_re_promises_its_preorders(store: FalkorStore) -> None:
    """The container slips from Mon 12-07 to Thu 12-10: the preorder now ships Thu 12-10 and
    arrives Fri 12-11 (1 business day); the order is promised 12-11 and says why in an
    OrderRepromised event. The on-hand fulfillment keeps its dates."""
    await load_network(store, container_network())
    placed = await place_order(store, boots("web", 8), now=PLACED)
    await upsert_inbound(store, InboundChange("PO-1", expected_at="2026-12-10"), now=PLACED)
    (fulfillments,) = await graph_orders.fulfillments_by_order(store, [placed.order_id])
    on_hand, preorder = fulfillments
    assert on_hand.estimated_delivery == date(2026, 12, 1)
    assert (preorder.expected_at, preorder.ship_by, preorder.estimated_delivery) == (
        date(2026, 12, 10), date(2026, 12, 10), date(2026, 12, 11)
    )  # fmt: skip
    (order,) = await graph_orders.orders_by_id(store, [placed.order_id])
    assert order is not None and order.promised_by == date(2026, 12, 11) and order.version == 2
    assert (await order_events(store, placed.order_id))[-1] == (
        "OrderRepromised",
        {"fulfillment": preorder.id, "inbound": "PO-1", "expectedAt": "2026-12-10",
         "from": "2026-12-08", "to": "2026-12-11"},
    )  # fmt: skip
    # a change that keeps the date re-promises nothing
    await upsert_inbound(store, InboundChange("PO-1", quantity=25), now=PLACED)
    (order,) = await graph_orders.orders_by_id(store, [placed.order_id])
    assert order is not None and order.version == 2


def boots_network() -> dict[str, Any]:
    """docs/channel-atp.md's worked example with next week's container: DC-RENO holds 150
    pairs of BOOT-42 (safety 2), 100 protected for b2b and 15 for pos; Amazon (warehouses only,
    buffer 2, share 80%) may sell inbound, the web store may not; PO-1 brings 60 pairs on
    Monday 2026-12-07."""
    doc = container_network()
    doc["stock"] = [r for r in doc["stock"] if r["sku"] != "BOOT-42"] + [
        {"location": "DC-RENO", "sku": "BOOT-42", "onHand": 150, "safetyStock": 2}
    ]
    doc["channels"] = [
        {"id": "amazon", "name": "Amazon", "kind": "MARKETPLACE", "sellInbound": True,
         "sourcing": {"kinds": ["WAREHOUSE"]}, "bufferUnits": 2, "sharePercent": 80},
        {"id": "b2b", "name": "Wholesale", "kind": "B2B", "allowBackorder": False},
        {"id": "pos", "name": "Stores", "kind": "POS"},
        {"id": "web", "name": "Web store", "kind": "WEB"},
    ]  # fmt: skip
    doc["stockProtections"] = [
        {"location": "DC-RENO", "sku": "BOOT-42", "channel": "b2b", "quantity": 100,
         "until": "2027-01-31"},
        {"location": "DC-RENO", "sku": "BOOT-42", "channel": "pos", "quantity": 15},
    ]  # fmt: skip
    doc["inbound"][0]["quantity"] = 60
    return doc


async def seen_by_channel(store: FalkorStore) -> dict[str, tuple[int, int, date | None, int]]:
    """Per channel, at DC-RENO: (available, preorder, preorderDate) and the SKU's preorder."""
    seen = {}
    for channel in ("amazon", "web", "b2b", "pos"):
        (sku,) = await availability(store, ["BOOT-42"], channel=channel, now=PLACED)
        (reno,) = [p for p in sku.locations if p.location.id == "DC-RENO"]
        seen[channel] = (reno.available, reno.preorder, reno.preorder_date, sku.preorder)
    return seen


async def test_buffer_share_protected_and_inbound_on_one_position(store: FalkorStore) -> None:
    """A web order reserves 8: free 150 - 8 - 2 = 140, protected 115, shared 25. Amazon's ATP
    is floor(25 x 80%) - 2 = 18, and it may preorder the container's 60.

    Amazon orders 25: 18 from stock, 7 as preorders (53 left in the container). Free is now
    122, shared 7: Amazon sees floor(7 x 80%) - 2 = 3 and 53 to preorder (first shipping Mon
    12-07); the web store sees 7 and no preorders; b2b 107, pos 22, neither preorders."""
    await load_network(store, boots_network())
    await place_order(store, boots("web", 8), now=PLACED)
    assert await seen_by_channel(store) == {
        "amazon": (18, 60, date(2026, 12, 7), 60),
        "web": (25, 0, None, 0),
        "b2b": (125, 0, None, 0),
        "pos": (40, 0, None, 0),
    }
    placed = await place_order(store, boots("amazon", 25), now=PLACED)
    (fulfillments,) = await graph_orders.fulfillments_by_order(store, [placed.order_id])
    assert [(f.status.value, f.lines[0].quantity, f.estimated_delivery) for f in fulfillments] == [
        ("OPEN", 18, date(2026, 12, 1)),
        ("PREORDER", 7, date(2026, 12, 8)),
    ]
    (order,) = await graph_orders.orders_by_id(store, [placed.order_id])
    assert order is not None and order.promised_by == date(2026, 12, 8)
    assert await reserved(store) == 26
    assert await po(store) == (60, 0, 7)
    assert await seen_by_channel(store) == {
        "amazon": (3, 53, date(2026, 12, 7), 53),
        "web": (7, 0, None, 0),
        "b2b": (107, 0, None, 0),
        "pos": (22, 0, None, 0),
    }
    (sku,) = await availability(store, ["BOOT-42"], channel="amazon", now=PLACED)
    (reno,) = [p for p in sku.locations if p.location.id == "DC-RENO"]
    assert reno.explanation[-1] == (
        "preorder 53 from inbound (not yet received nor preordered): PO-1 53 on 2026-12-07; "
        "ships from 2026-12-07 (PO-1 expected 2026-12-07)"
    )
    # without a channel: the free stock, no preorders
    (sku,) = await availability(store, ["BOOT-42"], now=PLACED)
    assert sku.preorder == 0


async def test_delivery_options_offer_the_preorder_that_order_create_then_places(
    store: FalkorStore,
) -> None:
    """After the web order of 8 and Amazon's 25, Amazon asks for 10: stock covers 3 (its ATP),
    so the STANDARD ship option does not ship whole; the PREORDER option sends the 3 now and 7
    from the container, delivered by Tue 12-08. orderCreate gives exactly that."""
    await load_network(store, boots_network())
    await place_order(store, boots("web", 8), now=PLACED)
    await place_order(store, boots("amazon", 25), now=PLACED)
    options = await delivery_options(
        store,
        (OrderLine("BOOT-42", 10),),
        channel="amazon",
        ship_to=SF,
        near=None,
        placed_at=PLACED,
        now=PLACED,
    )
    standard = {o.kind: o for o in options if o.service_level == ServiceLevel.STANDARD}
    assert standard["SHIP"].ships_whole is False
    pre = standard["PREORDER"]
    assert (pre.ships_whole, pre.shipments, pre.delivery_by) == (True, 2, date(2026, 12, 8))
    placed = await place_order(store, boots("amazon", 10), now=PLACED)
    (order,) = await graph_orders.orders_by_id(store, [placed.order_id])
    assert order is not None and order.promised_by == pre.delivery_by
    (fulfillments,) = await graph_orders.fulfillments_by_order(store, [placed.order_id])
    assert [(f.status.value, f.lines[0].quantity) for f in fulfillments] == [
        ("OPEN", 3), ("PREORDER", 7)
    ]  # fmt: skip
    # the web store, which does not sell inbound, is offered no preorder
    options = await delivery_options(
        store, (OrderLine("BOOT-42", 10),), channel="web", ship_to=SF, near=None,
        placed_at=PLACED, now=PLACED,
    )  # fmt: skip
    assert all(o.kind != "PREORDER" for o in options)


async def test_a_channel_that_takes_no_partial_orders_may_complete_one_with_preorders(
    store: FalkorStore,
) -> None:
    """b2b takes no partial orders. Once it may sell inbound: free 150 - 2 = 148, protected
    115, shared 33, so its ATP is own 100 + 33 = 133. An order of 140 is whole: 133 from stock,
    7 preorders. One of 200 (more than 133 + the container's 53 left) is refused whole and
    takes nothing."""
    doc = boots_network()
    doc["channels"][1]["sellInbound"] = True
    await load_network(store, doc)
    placed = await place_order(store, boots("b2b", 140), now=PLACED)
    (fulfillments,) = await graph_orders.fulfillments_by_order(store, [placed.order_id])
    assert [(f.status.value, f.lines[0].quantity) for f in fulfillments] == [
        ("OPEN", 133), ("PREORDER", 7)
    ]  # fmt: skip
    with pytest.raises(OrderGraphError) as refused:
        await place_order(store, boots("b2b", 200), now=PLACED)
    assert refused.value.code == ErrorCode.INSUFFICIENT_STOCK
    assert await po(store) == (60, 0, 7)
    assert await reserved(store) == 133


async def test_an_order_with_a_preorder_waiting_is_not_released(store: FalkorStore) -> None:
    """8 = 5 on hand + 3 preordered: releasing the on-hand fulfillment leaves the order
    ALLOCATED (its preorder still waits); a preorder cannot be released, shipped or rejected
    before it arrives."""
    await load_network(store, container_network())
    placed = await place_order(store, boots("web", 8), now=PLACED)
    ((on_hand, preorder),) = await graph_orders.fulfillments_by_order(store, [placed.order_id])
    change = await lifecycle.release(store, on_hand.id, now=PLACED)
    assert change.order.status is not None and change.order.status.value == "ALLOCATED"
    with pytest.raises(OrderGraphError) as refused:
        await lifecycle.release(store, preorder.id, now=PLACED)
    assert refused.value.code == ErrorCode.INVALID_TRANSITION
    assert "PREORDER" in refused.value.message


async def test_an_order_with_a_preorder_waiting_cannot_be_updated_and_says_why(
    store: FalkorStore,
) -> None:
    await load_network(store, container_network())
    placed = await place_order(store, boots("web", 8), now=PLACED)
    with pytest.raises(OrderGraphError) as refused:
        await lifecycle.update_order(
            store, placed.order_id, service_level=ServiceLevel.EXPRESS, now=PLACED
        )
    assert refused.value.code == ErrorCode.INVALID_TRANSITION
    assert "preorders waiting for inbound" in refused.value.message, refused.value.message
    assert await po(store) == (20, 0, 3)  # nothing moved: still 3 of 20 preordered


async def preorder_invariants(store: FalkorStore) -> tuple[int, int, int, int]:
    """(reserved, open units + arrived preorder units, preordered, preorder units to arrive)
    at DC-RENO for BOOT-42: the first two and the last two must be equal."""
    rows = await store.read(
        "MATCH (f:Fulfillment)-[sh:SHIPS]->(ol:OrderLine {sku: 'BOOT-42'}) "
        "WHERE f.status IN ['OPEN', 'RELEASED', 'PREORDER'] "
        "RETURN f.id AS id, f.status AS status, coalesce(f.arrived, 0) AS arrived, "
        "sum(sh.quantity) AS units"
    )
    held = sum(r["units"] for r in rows if r["status"] != "PREORDER")
    arrived = sum(r["arrived"] for r in rows if r["status"] == "PREORDER")
    waiting = sum(r["units"] - r["arrived"] for r in rows if r["status"] == "PREORDER")
    return await reserved(store), held + arrived, (await po(store))[2], waiting


async def test_orders_receipts_and_cancels_racing_keep_the_counts(store: FalkorStore) -> None:
    """Nothing on hand, a container of 30. 24 orders of 1-2 pairs race with 4 receipts of 3;
    then cancels of every third order race with 12 more orders and 3 more receipts. After
    each phase: reserved = open units + arrived preorder units, preordered = preorder units
    still to arrive, received + preordered <= 30, and every line's units add up."""
    await load_network(store, container_network(on_hand=0, inbound=30))
    first = [boots("web", 1 + i % 2, f"a-{i}") for i in range(24)]
    done = await asyncio.gather(
        *(place_order(store, r, now=PLACED) for r in first),
        *(receive_inbound(store, "PO-1", 3, now=PLACED) for _ in range(4)),
    )
    placed = [p.order_id for p in done if isinstance(p, Placement)]
    assert len(placed) == 24
    held, covered, preordered, waiting = await preorder_invariants(store)
    assert (held, preordered) == (covered, waiting)
    quantity, received, preordered = await po(store)
    assert received == 12 and received + preordered <= quantity
    await asyncio.gather(
        *(lifecycle.cancel_order(store, oid, now=PLACED) for oid in placed[::3]),
        *(place_order(store, boots("web", 1, f"b-{i}"), now=PLACED) for i in range(12)),
        *(receive_inbound(store, "PO-1", 3, now=PLACED) for _ in range(3)),
    )
    held, covered, preordered, waiting = await preorder_invariants(store)
    assert (held, preordered) == (covered, waiting)
    quantity, received, preordered = await po(store)
    assert received == 21 and received + preordered <= quantity
    rows = await store.read(
        "MATCH (o:Order)-[:HAS_LINE]->(ol:OrderLine) RETURN ol.quantity AS q, "
        "ol.allocated AS a, ol.backordered AS b, ol.cancelled AS c"
    )
    assert all(r["a"] + r["b"] + r["c"] == r["q"] for r in rows)


async def test_a_network_reload_that_moves_the_container_re_promises(store: FalkorStore) -> None:
    """A reload re-promises on the server's clock, so the container is far ahead of it: Mon
    2030-03-04, moved by the file to Thu 2030-03-07, delivered Fri 2030-03-08."""
    doc = container_network()
    doc["inbound"][0]["expectedAt"] = "2030-03-04"
    await load_network(store, doc)
    placed = await place_order(store, boots("web", 8), now=PLACED)
    doc["inbound"][0]["expectedAt"] = "2030-03-07"
    await load_network(store, doc)
    ((_, preorder),) = await graph_orders.fulfillments_by_order(store, [placed.order_id])
    assert (preorder.expected_at, preorder.estimated_delivery) == (
        date(2030, 3, 7), date(2030, 3, 8)
    )  # fmt: skip
    assert (await order_events(store, placed.order_id))[-1][0] == "OrderRepromised"
