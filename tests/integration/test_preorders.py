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

from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.graph import inbound as graph_inbound
from ordergraph.graph import orders as graph_orders
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import lifecycle
from ordergraph.services.inbound import InboundChange, receive_inbound, upsert_inbound
from ordergraph.services.network import load_network
from ordergraph.services.orders import place_order
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
