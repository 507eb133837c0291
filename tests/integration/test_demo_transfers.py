"""The demo network shows transfer-then-pickup (docs/transfers.md): a pickup at a demo store of
a SKU the store does not hold is served by a transfer from its nearest DC."""

from __future__ import annotations

from datetime import UTC, datetime

from ordergraph.domain.orders import OrderLine, OrderRequest
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.network import load_network
from ordergraph.services.orders import place_order
from ordergraph.tools.demo.network import generate_network


async def test_a_demo_store_takes_a_pickup_it_cannot_stock_by_transfer(store: FalkorStore) -> None:
    doc = generate_network()
    await load_network(store, doc)
    lane = doc["transferLanes"][0]
    held = {(s["location"], s["sku"]) for s in doc["stock"] if s["onHand"] > s["safetyStock"]}
    sku = next(
        k["id"]
        for k in doc["skus"]
        if (lane["from"], k["id"]) in held
        and (lane["to"], k["id"]) not in held
        and not set(k.get("tags") or ()) & {"hazmat", "highValue"}
    )
    placed = await place_order(
        store,
        OrderRequest(
            channel="web",
            lines=(OrderLine(sku, 1),),
            pickup_at=lane["to"],
            placed_at=datetime(2026, 12, 7, 15, 0, tzinfo=UTC),
        ),
    )
    assert placed.plan is not None
    [shipment] = placed.plan.shipments
    assert (shipment.location_id, shipment.via) == (lane["from"], lane["to"])
    assert shipment.carrier == "TRANSFER"
