"""Protected stock and the rules together on one position, over HTTP on the real engine, with
every number worked out by hand (docs/channel-atp.md)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient, small_network

PLACED = "2026-11-23T17:00:00Z"
FOREVER = "2099-12-31"

AVAILABILITY = """query($skus: [ID!]!, $channel: ID) {
  availability(skus: $skus, channel: $channel) {
    sku available locations { location { id } available explanation } } }"""

PROTECT = """mutation($input: StockProtectionSetInput!) { stockProtectionSet(input: $input) {
  stock { location sku onHand reserved available protections { channel remaining until } }
  userErrors { field code message } } }"""

CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id status lines { sku allocated backordered } fulfillments { location { id } } }
  userErrors { field code message } } }"""


@pytest.fixture
def network_doc() -> dict[str, Any]:
    """The small network; Amazon with a buffer of 2 and 80% of the shared stock; b2b holds 100
    of SKU-1 at DC-NEWARK (95 free) until 2099, and had 3 of SKU-1 at STORE-LA until 2020."""
    doc = small_network()
    doc["channels"] = [
        {**c, "bufferUnits": 2, "sharePercent": 80} if c["id"] == "amazon" else c
        for c in doc["channels"]
    ]
    doc["stockProtections"] = [
        {"location": "DC-NEWARK", "sku": "SKU-1", "channel": "b2b", "quantity": 100,
         "until": FOREVER},
        {"location": "STORE-LA", "sku": "SKU-1", "channel": "b2b", "quantity": 3,
         "until": "2020-01-31"},
    ]  # fmt: skip
    return doc


async def seen(gql: GraphQLClient, sku: str, channel: str | None) -> dict[str, int]:
    data = await gql(AVAILABILITY, skus=[sku], channel=channel)
    (item,) = data["availability"]
    return {"total": item["available"]} | {
        p["location"]["id"]: p["available"] for p in item["locations"]
    }


def order(channel: str, sku: str, quantity: int) -> dict[str, Any]:
    return {
        "channel": channel,
        "lines": [{"sku": sku, "quantity": quantity}],
        "shipTo": {"postalCode": "94107", "country": "US"},
        "placedAt": PLACED,
    }


async def test_protected_units_are_sold_only_by_their_channel(gql: GraphQLClient) -> None:
    web, b2b = await seen(gql, "SKU-1", "web"), await seen(gql, "SKU-1", "b2b")
    assert web["DC-NEWARK"] == 0 and b2b["DC-NEWARK"] == 95  # all 95 free units are b2b's
    assert web["STORE-LA"] == b2b["STORE-LA"] == 8  # that protection ended in 2020
    assert (await seen(gql, "SKU-1", None))["DC-NEWARK"] == 95  # no channel: no rules


async def test_stock_protection_set_holds_and_releases_units(gql: GraphQLClient) -> None:
    data = await gql(
        PROTECT,
        input={"location": "STORE-SF", "sku": "SKU-1", "channel": "pos", "quantity": 3},
    )
    payload = data["stockProtectionSet"]
    assert payload["userErrors"] == []
    assert payload["stock"]["protections"] == [{"channel": "pos", "remaining": 3, "until": None}]
    assert (await seen(gql, "SKU-1", "web"))["STORE-SF"] == 5 - 3
    assert (await seen(gql, "SKU-1", "pos"))["STORE-SF"] == 5
    again = await gql(
        PROTECT,
        input={"location": "STORE-SF", "sku": "SKU-1", "channel": "pos", "quantity": 0},
    )
    assert again["stockProtectionSet"]["stock"]["protections"] == []
    assert (await seen(gql, "SKU-1", "web"))["STORE-SF"] == 5


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"channel": "nope"}, "UNKNOWN_CHANNEL", ["input", "channel"]),
        ({"location": "NOWHERE"}, "UNKNOWN_LOCATION", ["input", "location"]),
        ({"sku": "NOPE"}, "UNKNOWN_SKU", ["input", "sku"]),
        ({"quantity": -1}, "INVALID_INPUT", ["input", "quantity"]),
    ],
)
async def test_bad_protections_are_user_errors(
    gql: GraphQLClient, change: dict[str, Any], code: str, field: list[str]
) -> None:
    base = {"location": "STORE-SF", "sku": "SKU-1", "channel": "pos", "quantity": 3}
    data = await gql(PROTECT, input=base | change)
    payload = data["stockProtectionSet"]
    assert payload["stock"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]


async def test_buffer_share_and_protection_on_one_position(gql: GraphQLClient) -> None:
    """SKU-3 only at DC-RENO: on hand 150, safety 2; a web order reserves 8 (free 140); then
    b2b holds 100 and pos 15 (protected 115, shared 25)."""
    setup = """mutation { a: inventorySet(input: {location: "DC-RENO", sku: "SKU-3", onHand: 150,
      safetyStock: 2}) { userErrors { code } }
      b: inventorySet(input: {location: "DC-NEWARK", sku: "SKU-3", onHand: 0}) {
      userErrors { code } } }"""
    await gql(setup)
    first = await gql(CREATE, input=order("web", "SKU-3", 8))
    assert first["orderCreate"]["order"]["lines"][0]["allocated"] == 8
    for channel, units in (("b2b", 100), ("pos", 15)):
        await gql(
            PROTECT,
            input={"location": "DC-RENO", "sku": "SKU-3", "channel": channel, "quantity": units,
                   "until": FOREVER},
        )  # fmt: skip

    async def atp(channel: str) -> int:
        return (await seen(gql, "SKU-3", channel))["DC-RENO"]

    # amazon: floor(25 * 0.8) = 20, less 2 = 18; b2b: 100 + 25; pos: 15 + 25; web: 25
    assert [await atp(c) for c in ("amazon", "b2b", "pos", "web")] == [18, 125, 40, 25]
    data = await gql(AVAILABILITY, skus=["SKU-3"], channel="amazon")
    assert data["availability"][0]["locations"][0]["explanation"] == [
        "on hand 150 - reserved 8 - safety 2 = free 140",
        "protected for other channels 115, own protected 0, shared 25",
        "share 80% of shared 25 = 20, less buffer 2 = 18",
        "available to amazon: own 0 + 18 = 18",
    ]

    # Amazon asks for 19: 18 allocated, 1 backordered
    got = await gql(CREATE, input=order("amazon", "SKU-3", 19))
    assert got["orderCreate"]["order"]["lines"][0] == {
        "sku": "SKU-3",
        "allocated": 18,
        "backordered": 1,
    }
    # free 122, protected 115, shared 7: amazon floor(5.6) - 2 = 3, web 7, b2b 107, pos 22
    assert [await atp(c) for c in ("amazon", "b2b", "pos", "web")] == [3, 107, 22, 7]

    # b2b takes its 100 first, then 7 shared: its protection is spent, pos keeps its 15
    placed = await gql(CREATE, input=order("b2b", "SKU-3", 107))
    assert placed["orderCreate"]["userErrors"] == []
    # free 15, all of them pos's
    assert [await atp(c) for c in ("amazon", "b2b", "pos", "web")] == [0, 0, 15, 0]
    refused = await gql(CREATE, input=order("b2b", "SKU-3", 1))  # b2b may not backorder
    assert refused["orderCreate"]["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    assert (await gql(CREATE, input=order("pos", "SKU-3", 15)))["orderCreate"]["userErrors"] == []
    assert [await atp(c) for c in ("amazon", "b2b", "pos", "web")] == [0, 0, 0, 0]


async def test_backorders_served_by_new_stock_leave_protected_units_alone(
    gql: GraphQLClient,
) -> None:
    """SKU-4 (highValue) ships only from DC-NEWARK, 8 free: a web order for 12 gets 8 and
    waits for 4. Then b2b protects 3 and 5 more arrive: the web order gets 5 - 3 = 2."""
    data = await gql(CREATE, input=order("web", "SKU-4", 12) | {"shipTo": {
        "postalCode": "10001", "country": "US"}})  # fmt: skip
    assert data["orderCreate"]["order"]["lines"][0]["backordered"] == 4
    await gql(
        PROTECT,
        input={"location": "DC-NEWARK", "sku": "SKU-4", "channel": "b2b", "quantity": 3},
    )
    await gql("""mutation { inventoryAdjust(input: {location: "DC-NEWARK", sku: "SKU-4",
      delta: 5}) { userErrors { code } } }""")
    order_id = data["orderCreate"]["order"]["id"]
    after = await gql(
        """query($id: ID!) { order(id: $id) { lines { allocated backordered } } }""", id=order_id
    )
    assert after["order"]["lines"] == [{"allocated": 10, "backordered": 2}]
    assert (await seen(gql, "SKU-4", "b2b"))["DC-NEWARK"] == 3
    assert (await seen(gql, "SKU-4", "web"))["DC-NEWARK"] == 0
