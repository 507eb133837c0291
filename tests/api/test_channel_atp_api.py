"""Channel available-to-promise over HTTP on the real engine: sourcing rules as data, each rule
seen the same by availability, deliveryOptions and orderCreate (docs/channel-atp.md)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient, small_network

PLACED = "2026-11-23T17:00:00Z"  # a Monday morning in the US, before every cut-off

AVAILABILITY = """query($skus: [ID!]!, $channel: ID) {
  availability(skus: $skus, channel: $channel) {
    sku available locations { location { id } onHand reserved available explanation } } }"""

CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id status channelRulesVersion lines { sku allocated backordered }
          fulfillments { location { id } lines { sku quantity } } }
  userErrors { field code message } } }"""

UPSERT = """mutation($input: ChannelInput!) { channelUpsert(input: $input) {
  channel { id rulesVersion bufferUnits sharePercent allowBackorder partialPolicy
            sourcing { locations kinds excludeTags } }
  userErrors { field code message } } }"""

DELIVERY = """query($input: DeliveryOptionsInput!) { deliveryOptions(input: $input) {
  kind serviceLevel shipsWhole } }"""

AMAZON = {
    "id": "amazon",
    "name": "Amazon",
    "kind": "MARKETPLACE",
    "sourcing": {"locations": None, "kinds": ["WAREHOUSE"], "excludeTags": []},
    "bufferUnits": 2,
    "sharePercent": 80,
}


@pytest.fixture
def network_doc() -> dict[str, Any]:
    """The small network, Amazon selling only from warehouses, 80% of the shared stock, less a
    buffer of 2 per position."""
    doc = small_network()
    doc["channels"] = [c for c in doc["channels"] if c["id"] != "amazon"] + [AMAZON]
    return doc


def amazon_order(
    sku: str, quantity: int, postal_code: str, external_id: str | None = None
) -> dict[str, Any]:
    return {
        "channel": "amazon",
        "externalId": external_id,
        "lines": [{"sku": sku, "quantity": quantity}],
        "shipTo": {"postalCode": postal_code, "country": "US"},
        "placedAt": PLACED,
    }


async def by_location(gql: GraphQLClient, sku: str, channel: str | None) -> dict[str, Any]:
    data = await gql(AVAILABILITY, skus=[sku], channel=channel)
    (item,) = data["availability"]
    return {"total": item["available"]} | {p["location"]["id"]: p for p in item["locations"]}


async def test_without_a_channel_availability_is_the_free_stock_as_before(
    gql: GraphQLClient,
) -> None:
    seen = await by_location(gql, "SKU-1", None)
    assert seen["total"] == 38 + 95 + 5 + 3 + 8
    assert seen["DC-RENO"]["explanation"] == ["on hand 40 - reserved 0 - safety 2 = available 38"]


async def test_a_channel_without_rules_sees_what_it_saw_before(gql: GraphQLClient) -> None:
    assert (await by_location(gql, "SKU-1", "web"))["total"] == 38 + 95 + 5 + 3 + 8


async def test_amazon_sees_80_percent_less_2_of_each_warehouse_and_no_store(
    gql: GraphQLClient,
) -> None:
    seen = await by_location(gql, "SKU-1", "amazon")
    # DC-RENO: free 40 - 2 = 38, floor(38 * 0.8) = 30, less 2 = 28
    # DC-NEWARK: free 100 - 5 = 95, floor(95 * 0.8) = 76, less 2 = 74
    assert seen["DC-RENO"]["available"] == 28
    assert seen["DC-NEWARK"]["available"] == 74
    assert seen["STORE-SF"]["available"] == seen["STORE-LA"]["available"] == 0
    assert seen["total"] == 28 + 74
    assert seen["DC-RENO"]["explanation"] == [
        "on hand 40 - reserved 0 - safety 2 = free 38",
        "protected for other channels 0, own protected 0, shared 38",
        "share 80% of shared 38 = 30, less buffer 2 = 28",
        "available to amazon: own 0 + 28 = 28",
    ]
    assert seen["STORE-SF"]["explanation"][-1] == "outside channel amazon's sourcing: 0"


async def test_orders_and_delivery_options_get_what_availability_shows_and_no_more(
    gql: GraphQLClient,
) -> None:
    # SKU-4 is highValue: only DC-NEWARK (secure) ships it; 8 free, for Amazon 6 - 2 = 4
    assert (await by_location(gql, "SKU-4", "amazon"))["total"] == 4
    options = await gql(
        DELIVERY,
        input={k: v for k, v in amazon_order("SKU-4", 5, "10001").items() if k != "externalId"},
    )
    assert options["deliveryOptions"] and not any(
        o["shipsWhole"] for o in options["deliveryOptions"]
    )
    whole = await gql(
        DELIVERY,
        input={
            "lines": [{"sku": "SKU-4", "quantity": 5}],
            "shipTo": {"postalCode": "10001", "country": "US"},
            "placedAt": PLACED,
        },
    )
    assert all(o["shipsWhole"] for o in whole["deliveryOptions"])  # no channel: no rules

    data = await gql(
        CREATE,
        input=amazon_order("SKU-4", 5, "10001", external_id="AMZ-1"),
    )
    order = data["orderCreate"]["order"]
    assert order["lines"] == [{"sku": "SKU-4", "allocated": 4, "backordered": 1}]
    assert order["channelRulesVersion"] == 1
    # the share applies to what is free now: 8 - 4 = 4, floor(4 * 0.8) = 3, less 2 = 1
    assert (await by_location(gql, "SKU-4", "amazon"))["total"] == 1
    # the web channel has no rules: 8 - 4 reserved = 4 at the DC (the store's watch is not
    # secure, but availability shows it: it is stock, routing decides where a SKU may ship from)
    web = await by_location(gql, "SKU-4", "web")
    assert web["DC-NEWARK"]["available"] == 4


async def test_channel_upsert_versions_the_rules_and_orders_record_the_version(
    gql: GraphQLClient,
) -> None:
    same = await gql(UPSERT, input={**AMAZON, "sourcing": {"kinds": ["WAREHOUSE"]}})
    assert same["channelUpsert"]["userErrors"] == []
    assert same["channelUpsert"]["channel"]["rulesVersion"] == 1  # the same rules again
    changed = await gql(UPSERT, input={**AMAZON, "bufferUnits": 5, "allowBackorder": False})
    channel = changed["channelUpsert"]["channel"]
    assert channel["rulesVersion"] == 2
    assert (channel["bufferUnits"], channel["allowBackorder"], channel["partialPolicy"]) == (
        5,
        False,
        "REJECT",
    )
    assert channel["sourcing"] == {"locations": None, "kinds": ["WAREHOUSE"], "excludeTags": []}
    # DC-RENO for Amazon now: floor(38 * 0.8) = 30, less 5 = 25
    assert (await by_location(gql, "SKU-1", "amazon"))["DC-RENO"]["available"] == 25
    data = await gql(
        CREATE,
        input=amazon_order("SKU-1", 1, "94107"),
    )
    order = data["orderCreate"]["order"]
    assert order["channelRulesVersion"] == 2
    assert order["fulfillments"][0]["location"]["id"] in ("DC-RENO", "DC-NEWARK")
    # a channel that may not backorder refuses what it cannot ship whole
    refused = await gql(
        CREATE,
        input=amazon_order("SKU-4", 5, "10001"),
    )
    assert refused["orderCreate"]["order"] is None
    assert refused["orderCreate"]["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"sharePercent": 150}, "INVALID_INPUT", ["input", "sharePercent"]),
        ({"sharePercent": -1}, "INVALID_INPUT", ["input", "sharePercent"]),
        ({"bufferUnits": -1}, "INVALID_INPUT", ["input", "bufferUnits"]),
        ({"sourcing": {"kinds": ["CASTLE"]}}, "INVALID_INPUT", ["input", "sourcing", "kinds"]),
        (
            {"sourcing": {"locations": ["DC-NOWHERE"]}},
            "UNKNOWN_LOCATION",
            ["input", "sourcing", "locations", "0"],
        ),
        ({"partialPolicy": "REJECT", "allowBackorder": True}, "INVALID_INPUT", None),
    ],
)
async def test_bad_rules_are_user_errors_and_change_nothing(
    gql: GraphQLClient, change: dict[str, Any], code: str, field: list[str] | None
) -> None:
    data = await gql(UPSERT, input={**AMAZON, **change})
    payload = data["channelUpsert"]
    assert payload["channel"] is None
    (error,) = payload["userErrors"]
    assert error["code"] == code
    if field is not None:
        assert error["field"] == field
    assert (await by_location(gql, "SKU-1", "amazon"))["DC-RENO"]["available"] == 28


async def test_channel_upsert_changes_only_the_fields_given(gql: GraphQLClient) -> None:
    data = await gql(
        UPSERT.replace("rulesVersion", "rulesVersion name"), input={"id": "b2b", "sharePercent": 50}
    )
    channel = data["channelUpsert"]["channel"]
    # the small network's b2b portal may not backorder: that, and its name, are kept
    assert (channel["name"], channel["partialPolicy"], channel["sharePercent"]) == (
        "B2B portal",
        "REJECT",
        50,
    )
    assert channel["rulesVersion"] == 2
    kept = await gql(UPSERT, input={"id": "amazon", "sourcing": {"excludeTags": ["hazmat"]}})
    amazon = kept["channelUpsert"]["channel"]
    assert (amazon["bufferUnits"], amazon["sharePercent"]) == (2, 80)
    assert amazon["sourcing"] == {"locations": None, "kinds": None, "excludeTags": ["hazmat"]}
    back = await gql(UPSERT, input={"id": "b2b", "allowBackorder": True})
    assert back["channelUpsert"]["channel"]["partialPolicy"] == "BACKORDER"
