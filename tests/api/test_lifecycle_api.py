"""Every transition over HTTP on the real engine, legal and illegal, with stock checked after each:
reserved always equals the open fulfillment quantities, and on-hand only drops on shipment."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_orders_api import CREATE, order_input, stock
from tests.conftest import GraphQLClient
from tests.integration.test_concurrency import invariants

F = "fulfillment { id status trackingNumber location { id } }"
ORDER = "order { id status promisedBy lines { sku quantity allocated backordered cancelled status } fulfillments { id status location { id } lines { sku quantity } estimatedDelivery } events { type sequence payload } }"
ERR = "userErrors { field code message }"


async def place(gql: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    data = await gql(CREATE, input=order_input(**overrides))
    assert data["orderCreate"]["userErrors"] == []
    return data["orderCreate"]["order"]  # type: ignore[no-any-return]


async def mutate(
    gql: GraphQLClient, name: str, input_: dict[str, Any], fields: str = f"{ORDER} {ERR}"
) -> dict[str, Any]:
    type_ = name[0].upper() + name[1:] + "Input"
    data = await gql(f"mutation($i: {type_}!) {{ {name}(input: $i) {{ {fields} }} }}", i=input_)
    return data[name]  # type: ignore[no-any-return]


@pytest.fixture
async def engine_store(client: Any) -> Any:
    return client._transport.app.state.ordergraph.store  # the store behind the app under test


async def test_release_ship_deliver_moves_stock_only_on_shipment(
    gql: GraphQLClient, engine_store: Any
) -> None:
    order = await place(gql, lines=[{"sku": "SKU-2", "quantity": 3}])
    fid = order["fulfillments"][0]["id"]
    before = (await stock(gql, "SKU-2"))["DC-RENO"]

    released = await mutate(gql, "fulfillmentRelease", {"fulfillmentId": fid}, f"{ORDER} {F} {ERR}")
    assert released["userErrors"] == [] and released["fulfillment"]["status"] == "RELEASED"
    assert released["order"]["status"] == "RELEASED"
    assert (await stock(gql, "SKU-2"))["DC-RENO"] == before
    await invariants(engine_store)

    shipped = await mutate(
        gql,
        "fulfillmentShip",
        {"fulfillmentId": fid, "trackingNumber": "1Z999", "carrier": "UPS"},
        f"{ORDER} {F} {ERR}",
    )
    assert shipped["fulfillment"]["trackingNumber"] == "1Z999"
    assert shipped["order"]["status"] == "SHIPPED"
    after = (await stock(gql, "SKU-2"))["DC-RENO"]
    assert after == {
        "onHand": before["onHand"] - 3,
        "reserved": before["reserved"] - 3,
        "available": before["available"],
    }
    await invariants(engine_store)

    delivered = await mutate(
        gql, "fulfillmentDeliver", {"fulfillmentId": fid}, f"{ORDER} {F} {ERR}"
    )
    assert delivered["order"]["status"] == "DELIVERED"
    assert [e["type"] for e in delivered["order"]["events"]] == [
        "OrderCreated",
        "FulfillmentReleased",
        "FulfillmentShipped",
        "FulfillmentDelivered",
    ]
    assert [e["sequence"] for e in delivered["order"]["events"]] == [1, 2, 3, 4]
    assert (await stock(gql, "SKU-2"))["DC-RENO"] == after


@pytest.mark.parametrize(
    ("steps", "illegal"),
    [
        ([], ("fulfillmentShip", {"trackingNumber": "T"})),  # OPEN -> SHIPPED skips release
        ([], ("fulfillmentDeliver", {})),  # OPEN -> DELIVERED
        (["release", "ship"], ("fulfillmentRelease", {})),  # SHIPPED -> RELEASED
        (["release", "ship"], ("fulfillmentReject", {})),  # SHIPPED -> REJECTED
        (["release", "ship", "deliver"], ("fulfillmentShip", {"trackingNumber": "T"})),
        (["reject"], ("fulfillmentRelease", {})),  # REJECTED is final
    ],
)
async def test_illegal_moves_are_invalid_transition_and_change_nothing(
    gql: GraphQLClient, engine_store: Any, steps: list[str], illegal: tuple[str, dict[str, Any]]
) -> None:
    order = await place(gql, lines=[{"sku": "SKU-2", "quantity": 1}])
    fid = order["fulfillments"][0]["id"]
    for step in steps:
        name, extra = {
            "release": ("fulfillmentRelease", {}),
            "ship": ("fulfillmentShip", {"trackingNumber": "T1"}),
            "deliver": ("fulfillmentDeliver", {}),
            "reject": ("fulfillmentReject", {"reason": "short"}),
        }[step]
        assert (await mutate(gql, name, {"fulfillmentId": fid, **extra}))["userErrors"] == []
    before_order = (
        await gql(f'{{ order(id: "{order["id"]}") {{ status version events {{ type }} }} }}')
    )["order"]
    before_stock = await stock(gql, "SKU-2")
    name, extra = illegal
    payload = await mutate(gql, name, {"fulfillmentId": fid, **extra})
    assert payload["order"] is None
    assert payload["userErrors"][0]["code"] == "INVALID_TRANSITION"
    assert (await gql(f'{{ order(id: "{order["id"]}") {{ status version events {{ type }} }} }}'))[
        "order"
    ] == before_order
    assert await stock(gql, "SKU-2") == before_stock
    await invariants(engine_store)


async def test_a_rejection_reroutes_to_the_next_best_location_and_says_so(
    gql: GraphQLClient, engine_store: Any
) -> None:
    order = await place(gql, lines=[{"sku": "SKU-1", "quantity": 2}])
    first = order["fulfillments"][0]
    assert first["location"]["id"] == "DC-RENO"
    payload = await mutate(
        gql,
        "fulfillmentReject",
        {"fulfillmentId": first["id"], "reason": "damaged"},
        f"{ORDER} {F} {ERR}",
    )
    assert payload["userErrors"] == []
    assert payload["fulfillment"]["status"] == "REJECTED"
    new = [f for f in payload["order"]["fulfillments"] if f["status"] == "OPEN"]
    assert len(new) == 1 and new[0]["location"]["id"] != "DC-RENO"
    assert new[0]["lines"] == [{"sku": "SKU-1", "quantity": 2}]
    assert payload["order"]["status"] == "ALLOCATED"
    assert payload["order"]["promisedBy"] == new[0]["estimatedDelivery"]
    kinds = [e["type"] for e in payload["order"]["events"]]
    assert kinds == ["OrderCreated", "FulfillmentRejected", "OrderRerouted"]
    rerouted = payload["order"]["events"][2]["payload"]
    assert rerouted["fulfillments"][0]["location"] == new[0]["location"]["id"]
    assert any("DC-RENO" not in line for line in rerouted["explanation"])
    levels = await stock(gql, "SKU-1")
    assert levels["DC-RENO"]["reserved"] == 0
    assert levels[new[0]["location"]["id"]]["reserved"] == 2
    await invariants(engine_store)


async def test_when_nobody_else_can_serve_the_lines_wait_as_backorders_until_stock_arrives(
    gql: GraphQLClient, engine_store: Any
) -> None:
    order = await place(gql, lines=[{"sku": "SKU-4", "quantity": 2}])  # only DC-NEWARK is secure
    fid = order["fulfillments"][0]["id"]
    payload = await mutate(gql, "fulfillmentReject", {"fulfillmentId": fid, "reason": "lost"})
    assert payload["order"]["status"] == "BACKORDERED"
    assert payload["order"]["lines"][0]["backordered"] == 2
    assert [e["type"] for e in payload["order"]["events"]][-2:] == [
        "FulfillmentRejected",
        "OrderBackordered",
    ]
    await invariants(engine_store)

    # stock arrives at another secure location: the waiting order takes it, first come first served
    await gql(
        """mutation { locationUpsert(input: {id: "DC-RENO", tags: ["hazmat", "secure"]}) { userErrors { code } } }"""
    )
    data = await gql("""mutation { inventorySet(input: {location: "DC-RENO", sku: "SKU-4", onHand: 5}) {
        stock { onHand reserved available } userErrors { code } } }""")
    assert data["inventorySet"]["stock"] == {"onHand": 5, "reserved": 2, "available": 3}
    after = (
        await gql(
            f'{{ order(id: "{order["id"]}") {{ status lines {{ backordered allocated }} events {{ type }} }} }}'
        )
    )["order"]
    assert after["status"] == "ALLOCATED" and after["lines"][0] == {
        "backordered": 0,
        "allocated": 2,
    }
    assert after["events"][-1]["type"] == "BackorderAllocated"
    await invariants(engine_store)


async def test_backorders_are_served_first_come_first_served(
    gql: GraphQLClient, engine_store: Any
) -> None:
    await gql(
        'mutation { inventorySet(input: {location: "DC-NEWARK", sku: "SKU-4", onHand: 0}) { userErrors { code } } }'
    )
    early = await place(
        gql, lines=[{"sku": "SKU-4", "quantity": 2}], placedAt="2026-11-20T10:00:00Z"
    )
    late = await place(
        gql, lines=[{"sku": "SKU-4", "quantity": 2}], placedAt="2026-11-21T10:00:00Z"
    )
    assert early["status"] == late["status"] == "BACKORDERED"
    await gql(
        'mutation { inventoryAdjust(input: {location: "DC-NEWARK", sku: "SKU-4", delta: 2}) { userErrors { code } } }'
    )
    statuses = {}
    for o in (early, late):
        statuses[o["id"]] = (await gql(f'{{ order(id: "{o["id"]}") {{ status }} }}'))["order"][
            "status"
        ]
    assert statuses == {early["id"]: "ALLOCATED", late["id"]: "BACKORDERED"}
    # running the job again changes nothing: safe to run twice
    again = await gql("mutation { backordersAllocate { allocatedOrders userErrors { code } } }")
    assert again["backordersAllocate"]["allocatedOrders"] == []
    await invariants(engine_store)


async def test_cancel_lines_then_the_rest_releases_every_reservation(
    gql: GraphQLClient, engine_store: Any
) -> None:
    order = await place(
        gql, lines=[{"sku": "SKU-1", "quantity": 3}, {"sku": "SKU-2", "quantity": 2}]
    )
    partial = await mutate(
        gql,
        "orderCancel",
        {
            "orderId": order["id"],
            "lines": [{"sku": "SKU-1", "quantity": 2}],
            "reason": "customer changed mind",
        },
    )
    assert partial["userErrors"] == []
    line1 = partial["order"]["lines"][0]
    assert (line1["quantity"], line1["cancelled"], line1["allocated"]) == (3, 2, 1)
    assert (await stock(gql, "SKU-1"))["DC-RENO"]["reserved"] == 1
    await invariants(engine_store)
    whole = await mutate(gql, "orderCancel", {"orderId": order["id"]})
    assert whole["order"]["status"] == "CANCELLED"
    assert all(f["status"] == "CANCELLED" for f in whole["order"]["fulfillments"])
    assert all(p["reserved"] == 0 for p in (await stock(gql, "SKU-1")).values())
    assert all(p["reserved"] == 0 for p in (await stock(gql, "SKU-2")).values())
    again = await mutate(gql, "orderCancel", {"orderId": order["id"]})
    assert again["userErrors"][0]["code"] == "INVALID_TRANSITION"
    await invariants(engine_store)


async def test_a_shipped_order_cannot_be_cancelled(gql: GraphQLClient) -> None:
    order = await place(gql)
    fid = order["fulfillments"][0]["id"]
    await mutate(gql, "fulfillmentRelease", {"fulfillmentId": fid})
    await mutate(gql, "fulfillmentShip", {"fulfillmentId": fid, "trackingNumber": "T"})
    payload = await mutate(gql, "orderCancel", {"orderId": order["id"]})
    assert payload["userErrors"][0]["code"] == "INVALID_TRANSITION"
    unknown = await mutate(gql, "orderCancel", {"orderId": "OG-NOPE"})
    assert unknown["userErrors"][0]["code"] == "NOT_FOUND"


async def test_an_update_before_release_reroutes_what_changed(
    gql: GraphQLClient, engine_store: Any
) -> None:
    order = await place(gql, lines=[{"sku": "SKU-1", "quantity": 2}])
    payload = await mutate(
        gql,
        "orderUpdate",
        {
            "orderId": order["id"],
            "serviceLevel": "NEXT_DAY",
            "shipTo": {"postalCode": "10001", "country": "US"},
            "lines": [{"sku": "SKU-1", "quantity": 4}],
        },
    )
    assert payload["userErrors"] == []
    updated = payload["order"]
    live = [f for f in updated["fulfillments"] if f["status"] == "OPEN"]
    assert [f["location"]["id"] for f in live] == ["DC-NEWARK"]
    assert live[0]["lines"] == [{"sku": "SKU-1", "quantity": 4}]
    assert updated["lines"][0]["quantity"] == 4
    assert (await stock(gql, "SKU-1"))["DC-RENO"]["reserved"] == 0
    assert "OrderUpdated" in [e["type"] for e in updated["events"]]
    await invariants(engine_store)
    fid = live[0]["id"]
    await mutate(gql, "fulfillmentRelease", {"fulfillmentId": fid})
    late = await mutate(gql, "orderUpdate", {"orderId": order["id"], "serviceLevel": "STANDARD"})
    assert late["userErrors"][0]["code"] == "INVALID_TRANSITION"


@pytest.mark.parametrize(
    ("name", "input_", "field"),
    [
        ("orderCancel", {"reason": "x" * 501}, ["input", "reason"]),
        ("orderCancel", {"lines": [{"sku": "SKU-1", "quantity": 1}] * 101}, ["input", "lines"]),
        (
            "orderCancel",
            {"lines": [{"sku": "SKU-1", "quantity": -3}]},
            ["input", "lines", "0", "quantity"],
        ),
        (
            "orderUpdate",
            {"lines": [{"sku": "SKU-1", "quantity": 10_000_001}]},
            ["input", "lines", "0", "quantity"],
        ),
        (
            "orderUpdate",
            {"shipTo": {"postalCode": "94107", "country": "US", "line1": "a\u0000b"}},
            ["input", "shipTo", "line1"],
        ),
        (
            "returnCreate",
            {"lines": [{"sku": "SKU-1", "quantity": 0}]},
            ["input", "lines", "0", "quantity"],
        ),
    ],
)
async def test_hostile_lifecycle_input_is_a_user_error_and_changes_nothing(
    gql: GraphQLClient, engine_store: Any, name: str, input_: dict[str, Any], field: list[str]
) -> None:
    order = await place(gql, lines=[{"sku": "SKU-1", "quantity": 2}])
    before = await gql(
        f'{{ order(id: "{order["id"]}") {{ status version lines {{ quantity cancelled }} }} }}'
    )
    fields = "userErrors { field code }" if name == "returnCreate" else f"order {{ id }} {ERR}"
    payload = await mutate(gql, name, {"orderId": order["id"], **input_}, fields)
    assert payload["userErrors"][0]["field"] == field
    assert payload["userErrors"][0]["code"] == "INVALID_INPUT"
    after = await gql(
        f'{{ order(id: "{order["id"]}") {{ status version lines {{ quantity cancelled }} }} }}'
    )
    assert after == before
    await invariants(engine_store)


@pytest.mark.parametrize("limit", [0, 501])
async def test_backorders_allocate_out_of_range_limit_is_a_user_error(
    gql: GraphQLClient, limit: int
) -> None:
    # pins the answer while the code became the ErrorCode member (was a bare string): same output
    data = await gql(
        "mutation($limit: Int!) { backordersAllocate(limit: $limit) "
        "{ allocatedOrders userErrors { field code message } } }",
        limit=limit,
    )
    assert data["backordersAllocate"] == {
        "allocatedOrders": [],
        "userErrors": [
            {"field": ["limit"], "code": "INVALID_INPUT", "message": "limit must be 1 to 500"}
        ],
    }
