"""Orders for the store app's tests, placed through the live server's API as a shop would."""

from __future__ import annotations

from typing import Any

UPSERT = """mutation($id: ID!, $cost: Float!) {
  locationUpsert(input: {id: $id, handlingCost: $cost, pickup: true, acceptsReturns: true}) {
    userErrors { message } } }"""
CREATE = """mutation($input: OrderCreateInput!) {
  orderCreate(input: $input) {
    order { id fulfillments { id location { id } } } userErrors { code message } } }"""


def stores_first(live: Any) -> None:
    """Cheap handling at the SF and Oakland stores: SF orders ship from STORE-SF, and its short
    units from STORE-OAKLAND (tests/integration/test_short_pick.py does the same)."""
    for location, cost in (("STORE-SF", 0.5), ("STORE-OAKLAND", 0.6)):
        answer = live.gql("admin", UPSERT, id=location, cost=cost).json()
        assert answer["data"]["locationUpsert"]["userErrors"] == [], answer


def place(live: Any, sku: str, units: int, **where: Any) -> tuple[str, str]:
    """A web order (``shipTo`` or ``pickupAt``+``pickupName``): (order id, its fulfillment at
    STORE-SF)."""
    doc = {"channel": "web", "lines": [{"sku": sku, "quantity": units}], **where}
    answer = live.gql("storefront", CREATE, input=doc).json()
    result = answer["data"]["orderCreate"]
    assert result["userErrors"] == [], result
    (f,) = result["order"]["fulfillments"]
    assert f["location"]["id"] == "STORE-SF", result
    return result["order"]["id"], f["id"]


def delivered(live: Any, fulfillment_id: str) -> None:
    """Release, ship and deliver a fulfillment through the API (admin), so that it can be
    returned."""
    for step, extra in (
        ("fulfillmentRelease", ""),
        ("fulfillmentShip", ', trackingNumber: "T-1"'),
        ("fulfillmentDeliver", ""),
    ):
        answer = live.gql(
            "admin",
            f'mutation {{ {step}(input: {{fulfillmentId: "{fulfillment_id}"{extra}}}) '
            "{ userErrors { message } } }",
        ).json()
        assert answer["data"][step]["userErrors"] == [], answer


SF = {"shipTo": {"name": "Ada Lovelace", "postalCode": "94107", "country": "US"}}
