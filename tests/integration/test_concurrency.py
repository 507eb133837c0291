"""Many writers, scarce stock, one real engine: nobody oversells and nothing is counted twice."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from typing import Any

from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.network import load_network
from ordergraph.services.orders import place_order

PLACED = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def scarce_network(doc: dict[str, Any]) -> dict[str, Any]:
    """The small network with SKU-2 scarce: 2 + 3 + 3 + 4 sellable units in four locations."""
    stock = [row for row in doc["stock"] if row["sku"] != "SKU-2"]
    stock += [
        {"location": "DC-RENO", "sku": "SKU-2", "onHand": 3, "safetyStock": 1},
        {"location": "DC-NEWARK", "sku": "SKU-2", "onHand": 3},
        {"location": "STORE-SF", "sku": "SKU-2", "onHand": 3},
        {"location": "STORE-OAKLAND", "sku": "SKU-2", "onHand": 5, "safetyStock": 1},
    ]
    return {**doc, "stock": stock}


async def invariants(store: FalkorStore) -> None:
    """reserved == the open SHIPS quantities, per stock position, and never more than on hand."""
    rows = await store.read("""
        MATCH (l:Location)-[s:STOCKS]->(k:Sku)
        OPTIONAL MATCH (l)<-[:FROM]-(f:Fulfillment)-[sh:SHIPS]->(ol:OrderLine {sku: k.id})
        WHERE f.status IN ['OPEN', 'RELEASED']
        RETURN l.id AS l, k.id AS k, s.onHand AS onHand, s.reserved AS reserved,
               s.safetyStock AS safety, toInteger(coalesce(sum(sh.quantity), 0)) AS shipped""")
    for row in rows:
        assert row["reserved"] == row["shipped"], row
        assert row["reserved"] <= row["onHand"] - row["safety"], row


async def test_concurrent_orders_for_scarce_stock_sell_exactly_what_is_sellable(
    store: FalkorStore, network_doc: dict[str, Any]
) -> None:
    await load_network(store, scarce_network(network_doc))
    rng = random.Random(11)
    requests = [
        OrderRequest(
            channel="web",
            lines=(OrderLine("SKU-2", rng.randint(1, 3)),),
            ship_to=Address(rng.choice(["94107", "90012", "10001", "60601"]), "US"),
            placed_at=PLACED,
            external_id=f"race-{i}",
        )
        for i in range(40)
    ]
    placements = await asyncio.gather(*(place_order(store, r) for r in requests))
    assert all(p.created for p in placements)

    allocated = await store.read(
        "MATCH (o:Order)-[:HAS_LINE]->(ol:OrderLine) "
        "RETURN toInteger(sum(ol.allocated)) AS allocated, toInteger(sum(ol.backordered)) AS back, "
        "count(DISTINCT o) AS orders"
    )
    demand = sum(r.lines[0].quantity for r in requests)
    assert allocated[0]["orders"] == 40
    assert allocated[0]["allocated"] == 2 + 3 + 3 + 4
    assert allocated[0]["back"] == demand - 12
    left = await store.read(
        "MATCH (l:Location)-[s:STOCKS]->(:Sku {id: 'SKU-2'}) "
        "RETURN toInteger(sum(s.onHand - s.reserved - s.safetyStock)) AS available"
    )
    assert left[0]["available"] == 0
    await invariants(store)


async def test_concurrent_repeats_of_one_external_id_make_one_order(
    store: FalkorStore, network_doc: dict[str, Any]
) -> None:
    await load_network(store, network_doc)
    request = OrderRequest(
        channel="amazon",
        lines=(OrderLine("SKU-1", 2),),
        ship_to=Address("94107", "US"),
        placed_at=PLACED,
        external_id="AMZ-1",
    )
    placements = await asyncio.gather(*(place_order(store, request) for _ in range(25)))
    assert len({p.order_id for p in placements}) == 1
    assert sum(p.created for p in placements) == 1
    orders = await store.read("MATCH (o:Order) RETURN count(o) AS n")
    assert orders[0]["n"] == 1
    reserved = await store.read(
        "MATCH (:Location)-[s:STOCKS]->(:Sku {id: 'SKU-1'}) RETURN toInteger(sum(s.reserved)) AS r"
    )
    assert reserved[0]["r"] == 2
    await invariants(store)
