"""Transfer-then-pickup (issue #18, docs/transfers.md) end to end through GraphQL on the real
engine: a pickup the store cannot serve from its own stock is served by a TRANSFER from a DC
over a transfer lane; its promise is the transfer's arrival plus the store's processing; the
transfer ships and is received, and the pickup is then ready; the customer sees one pickup."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from ordergraph.app import create_app
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.apikeys import create_key
from ordergraph.services.lifecycle import update_order
from ordergraph.settings import Settings
from tests.conftest import GraphQLClient, small_network
from tests.integration.test_correctness_findings import assert_reservations_explained


@pytest.fixture
def network_doc() -> dict[str, Any]:
    """The small network, with STORE-SF taking one processing day, and transfer lanes to it:
    from DC-RENO (2 transit days, its own 12:00 cut-off where the DC's is 14:00) and from
    STORE-LA (1 transit day, dearer)."""
    doc = small_network()
    for loc in doc["locations"]:
        if loc["id"] == "STORE-SF":
            loc["processingDays"] = 1
    doc["transferLanes"] = [
        {"from": "DC-RENO", "to": "STORE-SF", "transitDays": 2, "cutoff": "12:00",
         "baseCost": 4.0, "costPerKg": 0.1},
        {"from": "STORE-LA", "to": "STORE-SF", "carrier": "FLEET", "service": "VAN",
         "transitDays": 1, "baseCost": 9.0, "costPerKg": 0.1},
    ]  # fmt: skip
    return doc


async def _client(loaded: FalkorStore, role: str, **scope: Any) -> httpx.AsyncClient:
    app = create_app(Settings(env="production"), store=loaded)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test"
    )
    key, _ = await create_key(loaded, role, role, **scope)
    client.headers["Authorization"] = f"Bearer {key}"
    return client


@pytest.fixture
async def ops(loaded: FalkorStore) -> Any:
    client = await _client(loaded, "integration")
    yield GraphQLClient(client)
    await client.aclose()


@pytest.fixture
async def shop(loaded: FalkorStore) -> Any:
    client = await _client(loaded, "storefront", channels=["web"])
    yield GraphQLClient(client)
    await client.aclose()


CREATE = """
mutation($input: OrderCreateInput!) {
  orderCreate(input: $input) {
    order { id status promisedBy shippingCost
            routing { explanation shipments { location { id } carrier estimatedDelivery } } }
    userErrors { code field message }
  }
}"""

ORDER = """
query($id: ID!) {
  order(id: $id) {
    id status promisedBy
    fulfillments { id kind status location { id } toLocation { id } transferId pickupId
                   shipBy estimatedDelivery readyBy lines { sku quantity } }
    routing { shipments { location { id } carrier service } }
    events { type payload }
  }
}"""

MOVE = """
mutation($id: ID!) {{
  {name}(input: {{fulfillmentId: $id{extra}}}) {{
    fulfillment {{ id status }}
    order {{ status }}
    userErrors {{ code message }}
  }}
}}"""


async def _move(gql: GraphQLClient, name: str, fid: str, extra: str = "") -> dict[str, Any]:
    data = await gql(MOVE.format(name=name, extra=extra), id=fid)
    return data[name]  # type: ignore[no-any-return]


async def _ship(gql: GraphQLClient, fid: str, tracking: str) -> None:
    assert (await _move(gql, "fulfillmentRelease", fid))["userErrors"] == []
    shipped = await _move(gql, "fulfillmentShip", fid, f', trackingNumber: "{tracking}"')
    assert shipped["userErrors"] == []


async def _stock(store: FalkorStore, location: str, sku: str) -> tuple[int, int]:
    rows = await store.read(
        "MATCH (:Location {id: $l})-[s:STOCKS]->(:Sku {id: $k}) RETURN s.onHand AS h, "
        "s.reserved AS r",
        {"l": location, "k": sku},
    )
    return (rows[0]["h"], rows[0]["r"]) if rows else (0, 0)


def _pickup(placed_at: str, quantity: int = 1, **more: Any) -> dict[str, Any]:
    return {
        "channel": "web",
        "lines": [{"sku": "SKU-5", "quantity": quantity}],
        "pickupAt": "STORE-SF",
        "placedAt": placed_at,
        **more,
    }


async def _place(gql: GraphQLClient, placed_at: str, quantity: int = 1) -> dict[str, Any]:
    data = await gql(CREATE, input=_pickup(placed_at, quantity))
    payload = data["orderCreate"]
    assert payload["userErrors"] == []
    return payload["order"]  # type: ignore[no-any-return]


async def _fulfillments(gql: GraphQLClient, order_id: str) -> dict[str, dict[str, Any]]:
    order = (await gql(ORDER, id=order_id))["order"]
    return {f["kind"]: f for f in order["fulfillments"]}


async def test_a_pickup_the_store_cannot_stock_comes_by_transfer_then_is_picked_up(
    loaded: FalkorStore, ops: GraphQLClient
) -> None:
    # Monday 2026-12-07 10:00 in San Francisco, before the lane's 12:00 cut-off at Reno: the
    # transfer ships that day, arrives two business days later (Wednesday 12-09), and the
    # store's one processing day makes it ready on Thursday 12-10 at 10:00 local (18:00 UTC)
    order = await _place(ops, "2026-12-07T18:00:00Z")
    assert order["status"] == "ALLOCATED"
    assert order["promisedBy"] == "2026-12-10"
    # Reno's handling 1.25 + lane 4.00 + 0.10/kg x 4 kg + the store's handling 3.50
    assert order["shippingCost"] == pytest.approx(9.15)
    words = " ".join(order["routing"]["explanation"])
    assert "Transfer from DC-RENO to STORE-SF" in words
    assert "STORE-SF holds none of the requested units" in words
    found = await _fulfillments(ops, order["id"])
    transfer, pickup = found["TRANSFER"], found["PICKUP"]
    assert transfer["location"]["id"] == "DC-RENO"
    assert transfer["toLocation"]["id"] == "STORE-SF"
    assert (transfer["status"], transfer["shipBy"]) == ("OPEN", "2026-12-07")
    assert transfer["estimatedDelivery"] == "2026-12-09"  # arrival at the store
    assert transfer["pickupId"] == pickup["id"] and pickup["transferId"] == transfer["id"]
    assert pickup["location"]["id"] == "STORE-SF"
    assert pickup["status"] == "AWAITING_TRANSFER"
    assert pickup["readyBy"].startswith("2026-12-10T18:00:00")
    assert pickup["lines"] == [{"sku": "SKU-5", "quantity": 1}]
    # reserved at the source, nothing at the store
    assert await _stock(loaded, "DC-RENO", "SKU-5") == (6, 1)
    assert await _stock(loaded, "STORE-SF", "SKU-5") == (0, 0)
    await assert_reservations_explained(loaded)

    # the pickup cannot be worked on before its transfer arrives; a transfer is received,
    # not delivered
    early = await _move(ops, "fulfillmentRelease", pickup["id"])
    assert early["userErrors"][0]["code"] == "INVALID_TRANSITION"
    assert (await _move(ops, "fulfillmentRelease", transfer["id"]))["userErrors"] == []
    shipped = await _move(ops, "fulfillmentShip", transfer["id"], ', trackingNumber: "TR-1"')
    assert shipped["fulfillment"]["status"] == "SHIPPED"
    assert shipped["order"]["status"] == "ALLOCATED"  # the customer's pickup has not shipped
    assert await _stock(loaded, "DC-RENO", "SKU-5") == (5, 0)
    wrong = await _move(ops, "fulfillmentDeliver", transfer["id"])
    assert wrong["userErrors"][0]["code"] == "INVALID_TRANSITION"
    assert "transferReceive" in wrong["userErrors"][0]["message"]

    received = await _move(ops, "transferReceive", transfer["id"])
    assert received["userErrors"] == []
    assert received["fulfillment"]["status"] == "DELIVERED"
    assert await _stock(loaded, "STORE-SF", "SKU-5") == (1, 1)  # on hand, held for the pickup
    await assert_reservations_explained(loaded)
    found = await _fulfillments(ops, order["id"])
    assert found["PICKUP"]["status"] == "OPEN"  # ready to pick
    again = await _move(ops, "transferReceive", transfer["id"])
    assert again["userErrors"][0]["code"] == "INVALID_TRANSITION"

    assert (await _move(ops, "fulfillmentRelease", pickup["id"]))["order"]["status"] == "RELEASED"
    handed = await _move(ops, "fulfillmentShip", pickup["id"], ', trackingNumber: "PICKUP-1"')
    assert handed["order"]["status"] == "SHIPPED"
    collected = await _move(ops, "fulfillmentDeliver", pickup["id"])
    assert collected["order"]["status"] == "DELIVERED"
    assert await _stock(loaded, "STORE-SF", "SKU-5") == (0, 0)
    events = [e["type"] for e in (await ops(ORDER, id=order["id"]))["order"]["events"]]
    assert events == [
        "OrderCreated",
        "TransferReleased",
        "TransferShipped",
        "TransferReceived",
        "FulfillmentReleased",
        "FulfillmentShipped",
        "FulfillmentDelivered",
    ]


async def test_the_pickup_store_receives_its_incoming_transfer_with_its_own_key(
    loaded: FalkorStore, ops: GraphQLClient
) -> None:
    order = await _place(ops, "2026-12-07T18:00:00Z")
    transfer = (await _fulfillments(ops, order["id"]))["TRANSFER"]
    store_client = await _client(loaded, "partner", locations=["STORE-SF"])
    other_client = await _client(loaded, "partner", locations=["STORE-LA"])
    store, other = GraphQLClient(store_client), GraphQLClient(other_client)
    try:
        seen = (await store(ORDER, id=order["id"]))["order"]["fulfillments"]
        assert sorted(f["kind"] for f in seen) == ["PICKUP", "TRANSFER"]  # incoming, and its own
        early = await _move(store, "transferReceive", transfer["id"])
        assert early["userErrors"][0]["code"] == "INVALID_TRANSITION"  # not shipped yet
        await _ship(ops, transfer["id"], "TR-9")
        refused = await _move(other, "transferReceive", transfer["id"])
        assert refused["userErrors"][0]["code"] == "NOT_FOUND"
        received = await _move(store, "transferReceive", transfer["id"])
        assert received["userErrors"] == []
        assert received["fulfillment"]["status"] == "DELIVERED"
    finally:
        await store_client.aclose()
        await other_client.aclose()


async def test_the_transfer_lanes_cutoff_decides_the_day_it_ships(ops: GraphQLClient) -> None:
    # Monday 13:00 in Reno: past the lane's 12:00 cut-off though before the DC's own 14:00, so
    # it ships Tuesday 12-08, arrives Thursday 12-10, ready Friday 12-11
    order = await _place(ops, "2026-12-07T21:00:00Z")
    assert order["promisedBy"] == "2026-12-11"
    transfer = (await _fulfillments(ops, order["id"]))["TRANSFER"]
    assert (transfer["shipBy"], transfer["estimatedDelivery"]) == ("2026-12-08", "2026-12-10")


async def test_the_storefront_sees_one_pickup(
    loaded: FalkorStore, ops: GraphQLClient, shop: GraphQLClient
) -> None:
    order = await _place(ops, "2026-12-07T18:00:00Z")
    transfer = (await _fulfillments(ops, order["id"]))["TRANSFER"]
    await _ship(ops, transfer["id"], "TR-2")
    seen = (await shop(ORDER, id=order["id"]))["order"]
    assert [f["kind"] for f in seen["fulfillments"]] == ["PICKUP"]
    assert seen["fulfillments"][0]["location"]["id"] == "STORE-SF"
    assert seen["routing"]["shipments"] == [
        {"location": {"id": "STORE-SF"}, "carrier": "PICKUP", "service": "PICKUP"}
    ]
    assert seen["promisedBy"] == "2026-12-10"
    assert not any(e["type"].startswith("Transfer") for e in seen["events"])
    created = next(e for e in seen["events"] if e["type"] == "OrderCreated")
    assert [f["location"] for f in created["payload"]["fulfillments"]] == ["STORE-SF"]
    # ops see both
    assert len((await ops(ORDER, id=order["id"]))["order"]["fulfillments"]) == 2
    # and before placing, the shop's preview is one pickup too; ops' preview names the transfer
    preview = "query($input: OrderCreateInput!) { routingPreview(input: $input) { shipments { location { id } carrier } } }"
    shop_input = {k: v for k, v in _pickup("2026-12-07T18:00:00Z").items() if k != "placedAt"}
    shown = (await shop(preview, input=shop_input))["routingPreview"]["shipments"]
    assert shown == [{"location": {"id": "STORE-SF"}, "carrier": "PICKUP"}]
    planned = (await ops(preview, input=shop_input))["routingPreview"]["shipments"]
    assert planned == [{"location": {"id": "DC-RENO"}, "carrier": "TRANSFER"}]


async def test_a_cancel_before_the_transfer_ships_gives_the_stock_back_to_the_source(
    loaded: FalkorStore, ops: GraphQLClient
) -> None:
    order = await _place(ops, "2026-12-07T18:00:00Z", quantity=2)
    assert await _stock(loaded, "DC-RENO", "SKU-5") == (6, 2)
    data = await ops(
        "mutation($id: ID!) { orderCancel(input: {orderId: $id}) { order { status } "
        "userErrors { code message } } }",
        id=order["id"],
    )
    assert data["orderCancel"]["userErrors"] == []
    assert data["orderCancel"]["order"]["status"] == "CANCELLED"
    assert await _stock(loaded, "DC-RENO", "SKU-5") == (6, 0)
    found = await _fulfillments(ops, order["id"])
    assert found["TRANSFER"]["status"] == "CANCELLED"
    assert found["PICKUP"]["status"] == "CANCELLED"
    await assert_reservations_explained(loaded)


async def test_units_cancelled_after_the_transfer_shipped_arrive_as_free_store_stock(
    loaded: FalkorStore, ops: GraphQLClient
) -> None:
    order = await _place(ops, "2026-12-07T18:00:00Z", quantity=2)
    transfer = (await _fulfillments(ops, order["id"]))["TRANSFER"]
    await _ship(ops, transfer["id"], "TR-4")
    data = await ops(
        "mutation($id: ID!) { orderCancel(input: {orderId: $id, lines: "
        '[{sku: "SKU-5", quantity: 1}]}) { userErrors { code message } } }',
        id=order["id"],
    )
    assert data["orderCancel"]["userErrors"] == []
    assert await _stock(loaded, "DC-RENO", "SKU-5") == (4, 0)  # both units left on the truck
    assert (await _move(ops, "transferReceive", transfer["id"]))["userErrors"] == []
    # both arrive; one is held for the pickup, the cancelled one is the store's to sell
    assert await _stock(loaded, "STORE-SF", "SKU-5") == (2, 1)
    pickup = (await _fulfillments(ops, order["id"]))["PICKUP"]
    assert (pickup["status"], pickup["lines"]) == ("OPEN", [{"sku": "SKU-5", "quantity": 1}])
    await assert_reservations_explained(loaded)


async def test_a_lost_transfer_reroutes_only_what_the_customer_still_wants(
    loaded: FalkorStore, ops: GraphQLClient
) -> None:
    order = await _place(ops, "2026-12-07T18:00:00Z", quantity=2)
    transfer = (await _fulfillments(ops, order["id"]))["TRANSFER"]
    await _ship(ops, transfer["id"], "TR-5")
    await ops(
        "mutation($id: ID!) { orderCancel(input: {orderId: $id, lines: "
        '[{sku: "SKU-5", quantity: 1}]}) { userErrors { code } } }',
        id=order["id"],
    )
    lost = await ops(
        "mutation($id: ID!) { fulfillmentReject(input: {fulfillmentId: $id}) "
        "{ order { lines { quantity allocated backordered cancelled } } "
        "userErrors { code message } } }",
        id=transfer["id"],
    )
    payload = lost["fulfillmentReject"]
    assert payload["userErrors"] == []
    line = payload["order"]["lines"][0]
    assert line == {"quantity": 2, "allocated": 1, "backordered": 0, "cancelled": 1}
    assert await _stock(loaded, "STORE-LA", "SKU-5") == (2, 1)  # one unit by another transfer
    await assert_reservations_explained(loaded)


async def test_a_count_below_the_sources_reservation_reroutes_the_transfer(
    loaded: FalkorStore, ops: GraphQLClient
) -> None:
    order = await _place(ops, "2026-12-07T18:00:00Z")
    data = await ops(
        'mutation { inventorySet(input: {location: "DC-RENO", sku: "SKU-5", onHand: 0}) '
        "{ userErrors { code message } } }"
    )
    assert data["inventorySet"]["userErrors"] == []
    seen = (await ops(ORDER, id=order["id"]))["order"]["fulfillments"]
    live = sorted(
        (f["kind"], f["location"]["id"], f["status"])
        for f in seen
        if f["status"] not in ("REJECTED", "CANCELLED")
    )
    assert live == [("PICKUP", "STORE-SF", "AWAITING_TRANSFER"), ("TRANSFER", "STORE-LA", "OPEN")]
    await assert_reservations_explained(loaded)


async def test_a_transfer_lost_in_transit_is_rerouted_by_another_transfer(
    loaded: FalkorStore, ops: GraphQLClient
) -> None:
    order = await _place(ops, "2026-12-07T18:00:00Z")
    transfer = (await _fulfillments(ops, order["id"]))["TRANSFER"]
    await _ship(ops, transfer["id"], "TR-3")
    lost = await ops(
        'mutation($id: ID!) { fulfillmentReject(input: {fulfillmentId: $id, reason: "lost"}) '
        "{ userErrors { code message } } }",
        id=transfer["id"],
    )
    assert lost["fulfillmentReject"]["userErrors"] == []
    order_now = (await ops(ORDER, id=order["id"]))["order"]
    live = [f for f in order_now["fulfillments"] if f["status"] not in ("REJECTED", "CANCELLED")]
    kinds = sorted((f["kind"], f["location"]["id"], f["status"]) for f in live)
    # Reno is excluded now: STORE-LA's transfer lane serves it
    assert kinds == [("PICKUP", "STORE-SF", "AWAITING_TRANSFER"), ("TRANSFER", "STORE-LA", "OPEN")]
    assert await _stock(loaded, "STORE-LA", "SKU-5") == (2, 1)
    assert await _stock(loaded, "DC-RENO", "SKU-5") == (5, 0)  # the lost unit left Reno
    assert "OrderRerouted" in [e["type"] for e in order_now["events"]]
    await assert_reservations_explained(loaded)


async def test_a_transfer_pickup_moves_to_a_store_that_holds_the_stock(
    loaded: FalkorStore, ops: GraphQLClient
) -> None:
    order = await _place(ops, "2026-12-07T18:00:00Z")
    # the shopper's change of store (MCP change_pickup_store) is this use case
    await update_order(loaded, order["id"], pickup_at="STORE-LA")
    seen = (await ops(ORDER, id=order["id"]))["order"]["fulfillments"]
    live = [f for f in seen if f["status"] != "CANCELLED"]
    assert [(f["kind"], f["status"], f["location"]["id"]) for f in live] == [
        ("PICKUP", "OPEN", "STORE-LA")
    ]
    assert await _stock(loaded, "DC-RENO", "SKU-5") == (6, 0)  # the transfer's units back
    assert await _stock(loaded, "STORE-LA", "SKU-5") == (2, 1)
    await assert_reservations_explained(loaded)


async def test_concurrent_transfer_placements_never_oversell_the_source(
    loaded: FalkorStore, ops: GraphQLClient
) -> None:
    # Reno holds 6 tents with a safety stock of 1, LA 2: at most 7 units by transfer
    orders = await asyncio.gather(
        *(
            ops(CREATE, input=_pickup("2026-12-07T18:00:00Z", externalId=f"race-{i}"))
            for i in range(10)
        )
    )
    statuses = sorted(o["orderCreate"]["order"]["status"] for o in orders)
    assert statuses.count("ALLOCATED") == 7
    assert statuses.count("BACKORDERED") == 3
    assert await _stock(loaded, "DC-RENO", "SKU-5") == (6, 5)
    assert await _stock(loaded, "STORE-LA", "SKU-5") == (2, 2)
    await assert_reservations_explained(loaded)


async def test_transfer_lanes_are_upserted_and_checked(gql: GraphQLClient) -> None:
    upsert = """
    mutation($input: TransferLaneInput!) {
      transferLaneUpsert(input: $input) {
        transferLane { from to carrier service transitDays cutoff baseCost }
        userErrors { code field message }
      }
    }"""
    made = await gql(
        upsert,
        input={"from": "DC-NEWARK", "to": "STORE-SF", "transitDays": 4, "baseCost": 7.5},
    )
    lane = made["transferLaneUpsert"]["transferLane"]
    assert lane == {
        "from": "DC-NEWARK",
        "to": "STORE-SF",
        "carrier": "TRANSFER",
        "service": "TRANSFER",
        "transitDays": 4,
        "cutoff": None,
        "baseCost": 7.5,
    }
    bad = await gql(
        upsert,
        input={"from": "DC-NEWARK", "to": "NOWHERE", "transitDays": 1, "baseCost": 1.0,
               "cutoff": "25:00"},
    )  # fmt: skip
    errors = bad["transferLaneUpsert"]["userErrors"]
    assert bad["transferLaneUpsert"]["transferLane"] is None
    assert sorted((e["code"], e["field"]) for e in errors) == [
        ("INVALID_INPUT", ["input", "cutoff"]),
        ("UNKNOWN_LOCATION", ["input", "to"]),
    ]
    messages = " ".join(e["message"] for e in errors)
    assert "NOWHERE" in messages and "25:00" in messages
    # the new lane serves a pickup of watches, which STORE-SF (not secure) may not hand out
    data = await gql(
        CREATE,
        input={"channel": "web", "lines": [{"sku": "SKU-4", "quantity": 2}],
               "pickupAt": "STORE-SF", "placedAt": "2026-12-07T18:00:00Z"},
    )  # fmt: skip
    routing = data["orderCreate"]["order"]["routing"]
    assert [s["location"]["id"] for s in routing["shipments"]] == ["DC-NEWARK"]
