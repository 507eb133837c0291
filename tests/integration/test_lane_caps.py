"""Daily booking caps per carrier and location: more concurrent orders than a carrier's cap
at a location; the cap is never exceeded and the rest route elsewhere (real FalkorDB)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from ordergraph.connectors.carriers.easypost import EasyPost
from ordergraph.domain.errors import OrderGraphError
from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.graph.catalog import locations_by_id
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.orders import capacity_used, fulfillments_by_order
from ordergraph.services.carrier_rates import RateShopper
from ordergraph.services.network import load_network, upsert_location
from ordergraph.services.orders import place_order
from tests.carrier_server import easypost_server

PLACED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday, before the cut-off


def order(n: int) -> OrderRequest:
    return OrderRequest(
        channel="web",
        lines=(OrderLine("SKU-1", 1),),
        ship_to=Address("94105", "US"),
        placed_at=PLACED,
        external_id=f"CAP-{n}",
    )


async def first_choice(store: FalkorStore) -> tuple[str, str]:
    placed = await place_order(store, order(0))
    assert placed.plan is not None
    [shipment] = placed.plan.shipments
    return shipment.location_id, shipment.carrier


async def test_a_carrier_cap_is_never_exceeded_and_the_rest_route_elsewhere(
    store: FalkorStore, network_doc: dict[str, Any]
) -> None:
    await load_network(store, network_doc)
    location, carrier = await first_choice(store)  # the lane table's choice, uncapped
    for loc in network_doc["locations"]:
        if loc["id"] == location:
            loc["carrierCapacity"] = [{"carrier": carrier, "dailyCapacity": 3}]
    await load_network(store, network_doc)

    placements = await asyncio.gather(*(place_order(store, order(n)) for n in range(1, 11)))
    shipped = [
        (f.location_id, f.carrier)
        for fulfillments in await fulfillments_by_order(store, [p.order_id for p in placements])
        for f in fulfillments
    ]
    assert len(shipped) == 10  # every order placed and allocated
    assert shipped.count((location, carrier)) == 3  # the cap, never more
    assert all(s != (location, carrier) for s in shipped if shipped.count(s) > 3)
    day = PLACED.date().isoformat()
    used = await capacity_used(store, [f"{location}|{carrier}|{day}"])
    assert used == {f"{location}|{carrier}|{day}": 3}


async def test_a_bad_carrier_capacity_is_a_network_file_error(
    store: FalkorStore, network_doc: dict[str, Any]
) -> None:
    network_doc["locations"][0]["carrierCapacity"] = [{"carrier": "UPS", "dailyCapacity": -1}]
    with pytest.raises(OrderGraphError, match="carrierCapacity"):
        await load_network(store, network_doc)


async def test_a_partial_location_upsert_keeps_the_caps_and_an_empty_list_clears_them(
    store: FalkorStore, network_doc: dict[str, Any]
) -> None:
    network_doc["locations"][0]["carrierCapacity"] = [
        {"carrier": "UPS", "dailyCapacity": 5},
        {"carrier": "FEDEX", "dailyCapacity": 0},
    ]
    await load_network(store, network_doc)
    lid = network_doc["locations"][0]["id"]
    renamed = await upsert_location(store, {"id": lid, "name": "Renamed"})
    assert renamed.carrier_caps == (("UPS", 5), ("FEDEX", 0))
    [stored] = await locations_by_id(store, [lid])
    assert stored is not None and stored.carrier_caps == (("UPS", 5), ("FEDEX", 0))
    await upsert_location(store, {"id": lid, "carrierCapacity": []})
    [stored] = await locations_by_id(store, [lid])
    assert stored is not None and stored.carrier_caps == () and stored.name == "Renamed"


async def test_a_full_carrier_is_not_chosen_live_either(
    store: FalkorStore, network_doc: dict[str, Any]
) -> None:
    await load_network(store, network_doc)
    location, _ = await first_choice(store)
    for loc in network_doc["locations"]:
        loc["carrierCapacity"] = [{"carrier": "USPS", "dailyCapacity": 0}]
    await load_network(store, network_doc)
    with easypost_server(behaviour="partial") as fake:  # offers USPS alone
        rates = RateShopper({"ep": EasyPost(fake.api_key, base_url=fake.url, name="ep")})
        placed = await place_order(store, order(99), rates=rates)
    assert placed.plan is not None
    assert all(s.carrier != "USPS" for s in placed.plan.shipments)
    assert any("from the table" in e for e in placed.plan.explanation)
    assert placed.plan.shipments[0].location_id == location
