"""Object-level access through real HTTP against a real server with real keys (issue #10: #2, #18).

Every object reachable by id (an order, a return) and every nested path to an order (a return's
order, an order's returns, a fulfillment mutation's answer) passes the same check as
``order(id)``: a storefront sees its channels' orders, a partner the orders it holds a
fulfillment of, and a partner sees only its own locations' work (fulfillments, routing
shipments, event payloads, returns).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

pytestmark = pytest.mark.slow

_numbers = itertools.count()

CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id channel fulfillments { id location { id } } } userErrors { code field message } } }"""

RELEASE = """mutation($id: ID!) { fulfillmentRelease(input: {fulfillmentId: $id})
  { userErrors { code } } }"""

SHIP = """mutation($id: ID!) { fulfillmentShip(input: {fulfillmentId: $id,
  trackingNumber: "1Z-SECRET"}) { userErrors { code } } }"""

RETURN_CREATE = """mutation($order: ID!, $sku: ID!) { returnCreate(input: {orderId: $order,
  lines: [{sku: $sku, quantity: 1}], reason: "too small"}) {
  return { id } userErrors { code message } } }"""

RETURN_READ = """query($id: ID!) { return(id: $id) { id status location { id }
  order { id shipTo { name line1 } fulfillments { trackingNumber location { id } } } } }"""

ORDER_DEEP = """query($id: ID!) { order(id: $id) { id
  fulfillments { id location { id } }
  routing { shipments { location { id } } explanation }
  events { type payload }
  returns { id location { id } order { id fulfillments { location { id } } } } } }"""


def data(response: Any) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]  # type: ignore[no-any-return]


def place(live: Any, role: str, **overrides: Any) -> dict[str, Any]:
    order = {
        "channel": "web",
        "externalId": f"obj-{next(_numbers)}",
        "shipTo": {
            "name": "Ada Lovelace",
            "line1": "1 Secret St",
            "city": "San Francisco",
            "postalCode": "94107",
            "country": "US",
        },
        "lines": [{"sku": "SKU-1", "quantity": 1}],
        **overrides,
    }
    answer = data(live.gql(role, CREATE, input=order))["orderCreate"]
    assert answer["userErrors"] == [], answer
    return answer["order"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def returned(live: Any) -> dict[str, Any]:
    """A web order shipped from Reno and Newark, with a return of its hazmat unit."""
    order = place(
        live, "admin", lines=[{"sku": "SKU-3", "quantity": 1}, {"sku": "SKU-4", "quantity": 1}]
    )
    assert {f["location"]["id"] for f in order["fulfillments"]} == {"DC-RENO", "DC-NEWARK"}
    for f in order["fulfillments"]:
        assert (
            data(live.gql("admin", RELEASE, id=f["id"]))["fulfillmentRelease"]["userErrors"] == []
        )
        assert data(live.gql("admin", SHIP, id=f["id"]))["fulfillmentShip"]["userErrors"] == []
    made = data(live.gql("integration", RETURN_CREATE, order=order["id"], sku="SKU-3"))
    assert made["returnCreate"]["userErrors"] == [], made
    return {"order": order, "return": made["returnCreate"]["return"]["id"]}


@pytest.mark.parametrize("role", ["storefront_amazon", "partner"])
def test_a_return_of_another_channels_or_locations_order_is_not_revealed(
    live: Any, returned: dict[str, Any], role: str
) -> None:
    response = live.gql(role, RETURN_READ, id=returned["return"])
    assert data(response) == {"return": None}
    assert "1Z-SECRET" not in response.text and "Secret St" not in response.text


def test_the_orders_own_callers_read_the_return(live: Any, returned: dict[str, Any]) -> None:
    for role in ("storefront", "integration", "admin"):
        found = data(live.gql(role, RETURN_READ, id=returned["return"]))["return"]
        assert found is not None and found["order"]["id"] == returned["order"]["id"], role


def test_a_partner_sees_a_return_only_at_its_location_and_only_its_own_fulfillments(
    live: Any, returned: dict[str, Any]
) -> None:
    found = data(live.gql("partner_reno", RETURN_READ, id=returned["return"]))["return"]
    if found is not None:  # routed to Reno: Reno sees it, with its own fulfillment only
        assert found["location"]["id"] == "DC-RENO"
        assert [f["location"]["id"] for f in found["order"]["fulfillments"]] == ["DC-RENO"]


def test_a_partner_reading_a_split_order_sees_nothing_of_the_other_location(
    live: Any, returned: dict[str, Any]
) -> None:
    order_id = returned["order"]["id"]
    full = data(live.gql("admin", ORDER_DEEP, id=order_id))["order"]
    assert "DC-NEWARK" in str(full)  # the other location is in the order, for admins
    response = live.gql("partner_reno", ORDER_DEEP, id=order_id)
    seen = data(response)["order"]
    assert seen is not None and [f["location"]["id"] for f in seen["fulfillments"]] == ["DC-RENO"]
    assert "DC-NEWARK" not in response.text  # not in routing, events nor returns
    assert len(seen["events"]) >= 1


def test_a_partners_fulfillment_mutation_answers_only_with_its_own_work(live: Any) -> None:
    order = place(
        live, "admin", lines=[{"sku": "SKU-3", "quantity": 1}, {"sku": "SKU-4", "quantity": 1}]
    )
    reno = next(f["id"] for f in order["fulfillments"] if f["location"]["id"] == "DC-RENO")
    response = live.gql(
        "partner_reno",
        """mutation($id: ID!) { fulfillmentRelease(input: {fulfillmentId: $id}) {
          order { id fulfillments { location { id } } routing { explanation
            shipments { location { id } } } events { payload } }
          fulfillment { status } userErrors { code } } }""",
        id=reno,
    )
    answer = data(response)["fulfillmentRelease"]
    assert answer["userErrors"] == [] and answer["fulfillment"] == {"status": "RELEASED"}
    assert "DC-NEWARK" not in response.text


def test_order_by_external_id_of_another_channel_is_refused_with_a_clear_error(live: Any) -> None:
    theirs = place(live, "storefront_amazon", channel="amazon")
    response = live.gql(
        "storefront",
        """query($x: String!) { orderByExternalId(channel: "amazon", externalId: $x) { id } }""",
        x="obj-nope",
    )
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert theirs["id"] not in response.text


@pytest.mark.parametrize(
    "document",
    [
        '{ availability(skus: ["SKU-1"], channel: "amazon") { sku available } }',
        """{ deliveryOptions(input: {channel: "amazon", lines: [{sku: "SKU-1", quantity: 1}],
             shipTo: {postalCode: "94107", country: "US"}}) { kind } }""",
        """{ routingPreview(input: {channel: "amazon", lines: [{sku: "SKU-1", quantity: 1}],
             shipTo: {postalCode: "94107", country: "US"}}) { feasible } }""",
        '{ orders(filter: {channel: "amazon"}) { nodes { id } } }',
    ],
)
def test_a_storefront_cannot_ask_about_a_channel_outside_its_scope(
    live: Any, document: str
) -> None:
    body = live.gql("storefront", document).json()
    assert body.get("data") in (None, {}) or all(v is None for v in body["data"].values()), body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN" and "amazon" in error["message"]


def test_a_storefront_still_asks_about_its_own_channel(live: Any) -> None:
    rows = data(
        live.gql(
            "storefront", '{ availability(skus: ["SKU-1"], channel: "web") { sku available } }'
        )
    )
    assert rows["availability"][0]["sku"] == "SKU-1"
