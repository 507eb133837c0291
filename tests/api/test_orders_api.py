"""orderCreate, routingPreview, deliveryOptions and order reads over HTTP on the real engine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient

ORDER = """id channel externalId status promisedBy shippingCost serviceLevel
  lines { sku quantity allocated backordered status }
  fulfillments { id status location { id } lines { sku quantity } carrier service shipBy estimatedDelivery cost }
  routing { feasible totalCost exact policy explanation backordered { sku quantity } }
  events { type sequence payload }"""

CREATE = f"""mutation($input: OrderCreateInput!) {{ orderCreate(input: $input) {{
  order {{ {ORDER} }} userErrors {{ field code message }} }} }}"""

MONDAY_MORNING_PT = "2026-11-23T17:00:00Z"  # 09:00 in San Francisco, before every cut-off


def order_input(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "channel": "web",
        "lines": [{"sku": "SKU-1", "quantity": 2}],
        "shipTo": {"postalCode": "94107", "country": "US", "name": "Ada", "city": "San Francisco"},
        "placedAt": MONDAY_MORNING_PT,
    }
    return {**base, **overrides}


async def stock(gql: GraphQLClient, sku: str) -> dict[str, dict[str, int]]:
    data = await gql(
        """query($s: [ID!]!) { availability(skus: $s) {
        locations { location { id } onHand reserved available } } }""",
        s=[sku],
    )
    return {
        p["location"]["id"]: {k: p[k] for k in ("onHand", "reserved", "available")}
        for p in data["availability"][0]["locations"]
    }


async def test_an_order_is_routed_reserved_promised_and_explained(gql: GraphQLClient) -> None:
    before = await stock(gql, "SKU-2")
    data = await gql(
        CREATE,
        input=order_input(lines=[{"sku": "SKU-1", "quantity": 3}, {"sku": "SKU-2", "quantity": 4}]),
    )
    payload = data["orderCreate"]
    assert payload["userErrors"] == []
    order = payload["order"]
    assert order["status"] == "ALLOCATED" and order["id"].startswith("OG-")
    (f,) = order["fulfillments"]
    assert f["location"]["id"] == "DC-RENO" and f["status"] == "OPEN"
    assert sorted((li["sku"], li["quantity"]) for li in f["lines"]) == [("SKU-1", 3), ("SKU-2", 4)]
    assert f["shipBy"] == "2026-11-23" and f["estimatedDelivery"] == order["promisedBy"]
    assert order["routing"]["exact"] is True and order["routing"]["feasible"] is True
    assert any("DC-RENO" in line for line in order["routing"]["explanation"])
    assert order["events"][0]["type"] == "OrderCreated" and order["events"][0]["sequence"] == 1
    after = await stock(gql, "SKU-2")
    assert after["DC-RENO"]["reserved"] == before["DC-RENO"]["reserved"] + 4
    assert after["DC-RENO"]["onHand"] == before["DC-RENO"]["onHand"]


async def test_the_same_external_id_returns_the_same_order_and_reserves_once(
    gql: GraphQLClient,
) -> None:
    first = await gql(CREATE, input=order_input(externalId="shop-1001"))
    again = await gql(CREATE, input=order_input(externalId="shop-1001"))
    assert first["orderCreate"]["order"]["id"] == again["orderCreate"]["order"]["id"]
    total_reserved = sum(p["reserved"] for p in (await stock(gql, "SKU-1")).values())
    assert total_reserved == 2
    found = await gql('{ orderByExternalId(channel: "web", externalId: "shop-1001") { id } }')
    assert found["orderByExternalId"]["id"] == first["orderCreate"]["order"]["id"]


async def test_what_cannot_ship_is_backordered_and_nothing_is_oversold(gql: GraphQLClient) -> None:
    data = await gql(CREATE, input=order_input(lines=[{"sku": "SKU-4", "quantity": 12}]))
    order = data["orderCreate"]["order"]
    assert order["status"] == "PARTIALLY_ALLOCATED"
    # a highValue SKU ships only from a secure location: the store's one watch is not a candidate
    assert order["lines"][0] == {
        "sku": "SKU-4",
        "quantity": 12,
        "allocated": 8,
        "backordered": 4,
        "status": "PARTIALLY_ALLOCATED",
    }
    assert order["routing"]["backordered"] == [{"sku": "SKU-4", "quantity": 4}]
    assert any("secure" in line for line in order["routing"]["explanation"])
    after = await stock(gql, "SKU-4")
    assert after["DC-NEWARK"] == {"onHand": 8, "reserved": 8, "available": 0}
    assert after["STORE-SF"] == {"onHand": 1, "reserved": 0, "available": 1}


async def test_routing_preview_returns_the_plan_and_reserves_nothing(gql: GraphQLClient) -> None:
    before = await stock(gql, "SKU-1")
    data = await gql(
        """query($input: OrderCreateInput!) { routingPreview(input: $input) {
        feasible totalCost promisedBy shipments { location { id } carrier service cost } explanation } }""",
        input=order_input(),
    )
    plan = data["routingPreview"]
    assert plan["feasible"] and plan["shipments"][0]["location"]["id"] == "DC-RENO"
    assert await stock(gql, "SKU-1") == before


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        (
            {"lines": [{"sku": "SKU-1", "quantity": 2}, {"sku": "NOPE", "quantity": 1}]},
            "UNKNOWN_SKU",
            ["input", "lines", "1", "sku"],
        ),
        (
            {"lines": [{"sku": "SKU-1", "quantity": 0}]},
            "INVALID_INPUT",
            ["input", "lines", "0", "quantity"],
        ),
        (
            {"lines": [{"sku": "SKU-1", "quantity": 10_000_000}]},
            "INVALID_INPUT",
            ["input", "lines", "0", "quantity"],
        ),
        ({"lines": [{"sku": "SKU-1", "quantity": 1}] * 101}, "INVALID_INPUT", ["input", "lines"]),
        ({"lines": []}, "INVALID_INPUT", ["input", "lines"]),
        (
            {"shipTo": {"postalCode": "00000", "country": "US"}},
            "UNSERVICEABLE_ADDRESS",
            ["input", "shipTo", "postalCode"],
        ),
        ({"shipTo": None}, "INVALID_INPUT", ["input", "shipTo"]),
        ({"channel": "fax"}, "UNKNOWN_CHANNEL", ["input", "channel"]),
        ({"shipTo": None, "pickupAt": "DC-RENO"}, "INVALID_INPUT", ["input", "pickupAt"]),
        ({"shipTo": None, "pickupAt": "NOWHERE"}, "UNKNOWN_LOCATION", ["input", "pickupAt"]),
        ({"policy": "RANDOM"}, "INVALID_INPUT", ["input", "policy"]),
        ({"placedAt": "2026-11-23T17:00:00"}, "INVALID_INPUT", ["input", "placedAt"]),
        (
            {"lines": [{"sku": "SKU-1", "quantity": 1, "unitPrice": "abc"}]},
            "INVALID_INPUT",
            ["input", "lines", "0", "unitPrice"],
        ),
    ],
)
async def test_bad_orders_are_user_errors_and_write_nothing(
    gql: GraphQLClient, overrides: dict[str, Any], code: str, field: list[str]
) -> None:
    data = await gql(CREATE, input=order_input(**overrides))
    payload = data["orderCreate"]
    assert payload["order"] is None
    assert (payload["userErrors"][0]["code"], payload["userErrors"][0]["field"]) == (code, field)
    listing = await gql("{ orders { edges { node { id } } } }")
    assert listing["orders"]["edges"] == []
    assert all(p["reserved"] == 0 for p in (await stock(gql, "SKU-1")).values())


async def test_click_and_collect_reserves_at_the_store_and_gives_a_ready_time(
    gql: GraphQLClient,
) -> None:
    data = await gql(CREATE, input=order_input(shipTo=None, pickupAt="STORE-SF"))
    order = data["orderCreate"]["order"]
    (f,) = order["fulfillments"]
    assert f["location"]["id"] == "STORE-SF" and f["carrier"] == "PICKUP"
    ready = await gql(
        f'{{ order(id: "{order["id"]}") {{ pickupAt {{ id }} fulfillments {{ readyBy }} }} }}'
    )
    assert ready["order"]["pickupAt"]["id"] == "STORE-SF"
    assert ready["order"]["fulfillments"][0]["readyBy"].startswith("2026-11-23T")
    assert (await stock(gql, "SKU-1"))["STORE-SF"]["reserved"] == 2


async def test_delivery_options_answer_per_service_level_and_pickup_store(
    gql: GraphQLClient,
) -> None:
    data = await gql(
        """query($input: DeliveryOptionsInput!) { deliveryOptions(input: $input) {
        kind serviceLevel pickupAt { id } shipsWhole shipments cost shipBy deliveryBy readyBy distanceKm } }""",
        input={
            "lines": [{"sku": "SKU-1", "quantity": 2}],
            "shipTo": {"postalCode": "94107", "country": "US"},
            "placedAt": MONDAY_MORNING_PT,
        },
    )
    options = data["deliveryOptions"]
    ship = {o["serviceLevel"]: o for o in options if o["kind"] == "SHIP"}
    assert set(ship) == {"STANDARD", "EXPRESS", "NEXT_DAY"}
    assert ship["STANDARD"]["cost"] <= ship["EXPRESS"]["cost"] <= ship["NEXT_DAY"]["cost"]
    assert ship["NEXT_DAY"]["deliveryBy"] == "2026-11-24"
    pickup = [o for o in options if o["kind"] == "PICKUP"]
    assert [o["pickupAt"]["id"] for o in pickup] == ["STORE-SF", "STORE-OAKLAND"]
    assert pickup[0]["distanceKm"] < pickup[1]["distanceKm"]
    assert all(o["shipsWhole"] for o in options)


async def test_orders_list_newest_first_with_filters_and_cursors(gql: GraphQLClient) -> None:
    ids = []
    for i, (channel, placed) in enumerate(
        [
            ("web", "2026-11-20T10:00:00Z"),
            ("amazon", "2026-11-21T10:00:00Z"),
            ("web", "2026-11-22T10:00:00Z"),
        ]
    ):
        data = await gql(
            CREATE, input=order_input(channel=channel, placedAt=placed, externalId=f"x{i}")
        )
        ids.append(data["orderCreate"]["order"]["id"])
    page1 = (
        await gql(
            "{ orders(first: 2) { edges { node { id } } pageInfo { hasNextPage endCursor } } }"
        )
    )["orders"]
    assert [e["node"]["id"] for e in page1["edges"]] == [ids[2], ids[1]]
    page2 = (
        await gql(
            "query($a: String) { orders(first: 2, after: $a) { edges { node { id } } pageInfo { hasNextPage } } }",
            a=page1["pageInfo"]["endCursor"],
        )
    )["orders"]
    assert [e["node"]["id"] for e in page2["edges"]] == [ids[0]] and not page2["pageInfo"][
        "hasNextPage"
    ]
    web = await gql(
        '{ orders(filter: {channel: "web", placedFrom: "2026-11-21T00:00:00Z"}) { nodes { id } } }'
    )
    assert [n["id"] for n in web["orders"]["nodes"]] == [ids[2]]


async def test_a_channel_that_rejects_partials_refuses_a_short_order_and_reserves_nothing(
    gql: GraphQLClient,
) -> None:
    data = await gql(
        CREATE,
        input=order_input(
            channel="b2b", lines=[{"sku": "SKU-1", "quantity": 1}, {"sku": "SKU-4", "quantity": 12}]
        ),
    )
    payload = data["orderCreate"]
    assert payload["order"] is None
    assert payload["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    assert all(p["reserved"] == 0 for p in (await stock(gql, "SKU-1")).values())
    ok = await gql(
        CREATE, input=order_input(channel="b2b", lines=[{"sku": "SKU-4", "quantity": 8}])
    )
    assert ok["orderCreate"]["order"]["status"] == "ALLOCATED"
