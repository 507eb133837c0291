"""Damaged and quality-control units: set by ``stockStateSet`` and by snapshot feeds, shown on
the stock and availability types, and never available (availability, deliveryOptions and
orderCreate ignore them). Feeds setting them: tests/api/test_ingest_http_feeds.py. Real engine,
small network (tests/fixtures/network_small.json)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient

SET = """mutation($input: StockStateSetInput!) { stockStateSet(input: $input) {
  stock { location sku onHand reserved safetyStock available damaged qualityControl }
  userErrors { field code message } } }"""
AVAILABILITY = """query($s: [ID!]!) { availability(skus: $s) { sku available
  locations { location { id } onHand reserved available damaged qualityControl } } }"""
CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { status lines { sku allocated backordered } fulfillments { location { id } } }
  userErrors { code } } }"""
MONDAY_MORNING_PT = "2026-11-23T17:00:00Z"


def order(quantity: int, sku: str = "SKU-DMG") -> dict[str, Any]:
    return {
        "channel": "web",
        "lines": [{"sku": sku, "quantity": quantity}],
        "shipTo": {"postalCode": "94107", "country": "US"},
        "placedAt": MONDAY_MORNING_PT,
    }


async def positions(gql: GraphQLClient, sku: str) -> tuple[int, dict[str, dict[str, int]]]:
    (item,) = (await gql(AVAILABILITY, s=[sku]))["availability"]
    return item["available"], {
        p["location"]["id"]: {k: v for k, v in p.items() if k != "location"}
        for p in item["locations"]
    }


async def test_damaged_and_quality_control_units_are_shown_but_never_available(
    gql: GraphQLClient,
) -> None:
    # STORE-SF holds 5 of SKU-1, no safety stock: 2 damaged and 1 in QC leave all 5 available
    data = await gql(SET, input={"location": "STORE-SF", "sku": "SKU-1", "damaged": 2,
                                 "qualityControl": 1})  # fmt: skip
    assert data["stockStateSet"] == {
        "stock": {"location": "STORE-SF", "sku": "SKU-1", "onHand": 5, "reserved": 0,
                  "safetyStock": 0, "available": 5, "damaged": 2, "qualityControl": 1},
        "userErrors": [],
    }  # fmt: skip
    total, places = await positions(gql, "SKU-1")
    assert places["STORE-SF"] == {
        "onHand": 5, "reserved": 0, "available": 5, "damaged": 2, "qualityControl": 1
    }  # fmt: skip
    assert total == 38 + 95 + 5 + 3 + 8  # as before: the states take nothing from available
    # a null keeps the other count
    data = await gql(SET, input={"location": "STORE-SF", "sku": "SKU-1", "damaged": 0})
    assert data["stockStateSet"]["stock"]["damaged"] == 0
    assert data["stockStateSet"]["stock"]["qualityControl"] == 1


async def test_an_order_cannot_take_damaged_or_quality_control_units(gql: GraphQLClient) -> None:
    await gql('mutation { skuUpsert(input: {id: "SKU-DMG", name: "Dented kettle"}) { userErrors '
              "{ code } } }")  # fmt: skip
    # a position that holds only damaged and QC units: created by stockStateSet, on-hand 0
    await gql(SET, input={"location": "DC-RENO", "sku": "SKU-DMG", "damaged": 10,
                          "qualityControl": 5})  # fmt: skip
    total, places = await positions(gql, "SKU-DMG")
    assert total == 0
    assert places == {
        "DC-RENO": {"onHand": 0, "reserved": 0, "available": 0, "damaged": 10,
                    "qualityControl": 5}
    }  # fmt: skip
    options = await gql(
        """query($input: DeliveryOptionsInput!) { deliveryOptions(input: $input) {
        shipsWhole shipments } }""",
        input={"lines": [{"sku": "SKU-DMG", "quantity": 1}],
               "shipTo": {"postalCode": "94107", "country": "US"}},
    )  # fmt: skip
    assert not any(o["shipsWhole"] for o in options["deliveryOptions"])
    placed = (await gql(CREATE, input=order(1)))["orderCreate"]
    assert placed["order"]["status"] == "BACKORDERED"
    assert placed["order"]["fulfillments"] == []
    # 2 sellable units beside the 15 others: an order of 3 gets exactly 2
    await gql('mutation { inventorySet(input: {location: "DC-RENO", sku: "SKU-DMG", onHand: 2})'
              " { userErrors { code } } }")  # fmt: skip
    _, places = await positions(gql, "SKU-DMG")
    # the waiting backorder of 1 took one of the 2 as soon as they arrived
    assert places["DC-RENO"] == {
        "onHand": 2, "reserved": 1, "available": 1, "damaged": 10, "qualityControl": 5
    }  # fmt: skip
    placed = (await gql(CREATE, input=order(3)))["orderCreate"]
    assert placed["order"]["status"] == "PARTIALLY_ALLOCATED"
    assert placed["order"]["lines"] == [{"sku": "SKU-DMG", "allocated": 1, "backordered": 2}]
    _, places = await positions(gql, "SKU-DMG")
    assert places["DC-RENO"] == {
        "onHand": 2, "reserved": 2, "available": 0, "damaged": 10, "qualityControl": 5
    }  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"location": "NOWHERE", "sku": "SKU-1", "damaged": 1}, "UNKNOWN_LOCATION", "location"),
        ({"location": "DC-RENO", "sku": "NOPE", "damaged": 1}, "UNKNOWN_SKU", "sku"),
        ({"location": "DC-RENO", "sku": "SKU-1", "damaged": -1}, "INVALID_INPUT", "damaged"),
        (
            {"location": "DC-RENO", "sku": "SKU-1", "qualityControl": -3},
            "INVALID_INPUT",
            "qualityControl",
        ),
        ({"location": "DC-RENO", "sku": "SKU-1"}, "INVALID_INPUT", "damaged"),
    ],
)
async def test_bad_stock_states_are_user_errors_and_change_nothing(
    gql: GraphQLClient, fields: dict[str, Any], code: str, field: str
) -> None:
    data = await gql(SET, input=fields)
    (error,) = data["stockStateSet"]["userErrors"]
    assert (error["code"], error["field"]) == (code, ["input", field])
    assert data["stockStateSet"]["stock"] is None
    _, places = await positions(gql, "SKU-1")
    assert places["DC-RENO"]["damaged"] == 0 and places["DC-RENO"]["qualityControl"] == 0
