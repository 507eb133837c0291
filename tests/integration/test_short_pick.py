"""Short picks on a real engine: only the short units leave the store and are re-routed; two
associates on one line: the second is refused; the store floor's steps through hand-over."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from ordergraph.domain.errors import OrderGraphError
from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.domain.picking import ShortReason
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import picking
from ordergraph.services.network import load_network
from ordergraph.services.orders import place_order
from tests.integration.test_concurrency import invariants

PLACED = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


@pytest.fixture
async def stores_first(store: FalkorStore, network_doc: dict[str, Any]) -> FalkorStore:
    """The small network with cheap store handling: SF orders ship from STORE-SF, and from
    STORE-OAKLAND when SF cannot."""
    cheap = {"STORE-SF": 0.5, "STORE-OAKLAND": 0.6}
    locations = [
        {**loc, "handlingCost": cheap.get(loc["id"], loc["handlingCost"])}
        for loc in network_doc["locations"]
    ]
    await load_network(store, {**network_doc, "locations": locations})
    return store


async def _store_order(store: FalkorStore, units: int = 3, **extra: object) -> tuple[str, str]:
    """An order that STORE-SF fulfils (ship to SF, or pickup there): (order id, fulfillment)."""
    request = OrderRequest(
        channel="web",
        lines=(OrderLine("SKU-1", units),),
        placed_at=PLACED,
        **extra,  # type: ignore[arg-type]
    )
    if "pickup_at" not in extra:
        request = OrderRequest(
            channel="web",
            lines=request.lines,
            placed_at=PLACED,
            ship_to=Address("94107", "US", name="Ada Lovelace"),
        )
    placed = await place_order(store, request)
    rows = await store.read(
        "MATCH (o:Order {id: $id})-[:HAS_FULFILLMENT]->(f:Fulfillment)-[:FROM]->(l:Location) "
        "RETURN f.id AS f, l.id AS l",
        {"id": placed.order_id},
    )
    assert [r["l"] for r in rows] == ["STORE-SF"], rows
    return placed.order_id, rows[0]["f"]


async def _stock(store: FalkorStore, location: str, sku: str) -> tuple[int, int]:
    rows = await store.read(
        "MATCH (:Location {id: $l})-[s:STOCKS]->(:Sku {id: $k}) "
        "RETURN s.onHand AS onHand, s.reserved AS reserved",
        {"l": location, "k": sku},
    )
    return rows[0]["onHand"], rows[0]["reserved"]


async def test_a_short_pick_reroutes_only_the_short_unit(stores_first: FalkorStore) -> None:
    order_id, fid = await _store_order(stores_first, 3)
    before = await _stock(stores_first, "STORE-SF", "SKU-1")
    await picking.start_picking(stores_first, fid)
    outcome = await picking.short_pick(
        stores_first, fid, "SKU-1", 2, ShortReason.MISSING, expected=3
    )
    assert outcome.short == 1
    rows = await stores_first.read(
        "MATCH (o:Order {id: $id})-[:HAS_FULFILLMENT]->(f:Fulfillment)-[sh:SHIPS]->(ol:OrderLine) "
        "MATCH (f)-[:FROM]->(l:Location) RETURN f.id AS f, l.id AS l, f.status AS status, "
        "sh.quantity AS q ORDER BY f",
        {"id": order_id},
    )
    assert rows[0] == {"f": fid, "l": "STORE-SF", "status": "RELEASED", "q": 2}
    moved = rows[1:]
    assert len(moved) == 1 and moved[0]["q"] == 1 and moved[0]["l"] != "STORE-SF"
    assert outcome.rerouted == ((moved[0]["l"], 1),) and outcome.backordered == 0
    on_hand, reserved = await _stock(stores_first, "STORE-SF", "SKU-1")
    assert (on_hand, reserved) == (before[0] - 1, before[1] - 1)  # the missing unit is gone
    await invariants(stores_first)


async def test_a_pickup_orders_short_unit_is_backordered_not_sent_elsewhere(
    stores_first: FalkorStore,
) -> None:
    order_id, fid = await _store_order(stores_first, 2, pickup_at="STORE-SF", pickup_name="Ada")
    outcome = await picking.short_pick(stores_first, fid, "SKU-1", 1, ShortReason.DAMAGED)
    assert outcome.rerouted == () and outcome.backordered == 1
    rows = await stores_first.read(
        "MATCH (o:Order {id: $id})-[:HAS_LINE]->(ol:OrderLine) "
        "RETURN ol.backordered AS b, ol.allocated AS a, o.status AS s",
        {"id": order_id},
    )
    assert rows == [{"b": 1, "a": 1, "s": "PARTIALLY_ALLOCATED"}]
    await invariants(stores_first)


async def test_two_associates_short_picking_one_line_at_once_only_one_wins(
    stores_first: FalkorStore,
) -> None:
    _, fid = await _store_order(stores_first, 3)
    await picking.start_picking(stores_first, fid)
    results = await asyncio.gather(
        picking.short_pick(stores_first, fid, "SKU-1", 2, ShortReason.MISSING, expected=3),
        picking.short_pick(stores_first, fid, "SKU-1", 2, ShortReason.MISSING, expected=3),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, OrderGraphError)]
    assert len(errors) == 1 and errors[0].code.value == "CONFLICT"
    assert "already confirmed" in errors[0].message or "changed" in errors[0].message
    await invariants(stores_first)


async def test_pick_pack_ready_and_hand_over_at_the_counter(stores_first: FalkorStore) -> None:
    order_id, fid = await _store_order(
        stores_first, 2, pickup_at="STORE-SF", pickup_name="Ada Lovelace"
    )
    before = await _stock(stores_first, "STORE-SF", "SKU-1")
    with pytest.raises(OrderGraphError, match="start picking first"):
        await picking.confirm_line(stores_first, fid, "SKU-1")
    await picking.start_picking(stores_first, fid)
    with pytest.raises(OrderGraphError, match="before packing"):
        await picking.pack(stores_first, fid, 1)
    await picking.confirm_line(stores_first, fid, "SKU-1", expected=2)
    with pytest.raises(OrderGraphError, match="already confirmed"):
        await picking.confirm_line(stores_first, fid, "SKU-1", expected=2)
    await picking.pack(stores_first, fid, 1)
    await picking.ready_for_pickup(stores_first, fid)
    with pytest.raises(OrderGraphError, match="name does not match"):
        await picking.hand_over(stores_first, fid, order_id, "Grace Hopper")
    with pytest.raises(OrderGraphError, match="order number does not match"):
        await picking.hand_over(stores_first, fid, "ORD-NOPE", "Ada Lovelace")
    await picking.hand_over(stores_first, fid, order_id.lower(), "  ada   LOVELACE ")
    rows = await stores_first.read(
        "MATCH (o:Order {id: $id})-[:HAS_FULFILLMENT]->(f:Fulfillment) "
        "RETURN o.status AS o, f.status AS f, f.stage AS stage, f.boxes AS boxes",
        {"id": order_id},
    )
    assert rows == [{"o": "DELIVERED", "f": "DELIVERED", "stage": "READY", "boxes": 1}]
    assert await _stock(stores_first, "STORE-SF", "SKU-1") == (before[0] - 2, before[1] - 2)
    events = await stores_first.read(
        "MATCH (:Order {id: $id})-[:HAS_EVENT]->(e:Event) RETURN e.type AS t ORDER BY e.sequence",
        {"id": order_id},
    )
    kinds = [e["t"] for e in events]
    assert "FulfillmentReadyForPickup" in kinds and kinds[-1] == "FulfillmentDelivered"
