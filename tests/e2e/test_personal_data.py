"""Personal data (the ship-to name and address) through real HTTP with real keys (issue #10, #6).

Storefront keys (a web shop's server, a chatbot) read their channel's orders without the
customer's name and address, one by one or in lists; the answer to their own ``orderCreate``
carries what they sent. A partner (a store, a 3PL) sees the ship-to of the orders it holds an
active fulfillment of, since it ships them; integration and admin keys see everything.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

pytestmark = pytest.mark.slow

_numbers = itertools.count()
NAME, STREET = "Grace Hopper", "42 Private Lane"

CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id personalDataRedacted shipTo { name line1 postalCode }
          fulfillments { id location { id } } }
  userErrors { code field message } } }"""

READ = """query($id: ID!) { order(id: $id) { id personalDataRedacted
  shipTo { name line1 line2 city region postalCode country } events { type payload } } }"""


def data(response: Any) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]  # type: ignore[no-any-return]


def order_input(**overrides: Any) -> dict[str, Any]:
    return {
        "channel": "web",
        "externalId": f"pii-{next(_numbers)}",
        "shipTo": {
            "name": NAME,
            "line1": STREET,
            "city": "San Francisco",
            "postalCode": "94107",
            "country": "US",
        },
        "lines": [{"sku": "SKU-1", "quantity": 1}],
        **overrides,
    }


def place(live: Any, role: str, **overrides: Any) -> dict[str, Any]:
    answer = data(live.gql(role, CREATE, input=order_input(**overrides)))["orderCreate"]
    assert answer["userErrors"] == [], answer
    return answer["order"]  # type: ignore[no-any-return]


def test_a_storefront_cannot_bulk_read_names_and_addresses(live: Any) -> None:
    for _ in range(3):
        place(live, "storefront")
    response = live.gql(
        "storefront",
        "{ orders(first: 100) { nodes { id personalDataRedacted shipTo { name line1 city } } } }",
    )
    nodes = data(response)["orders"]["nodes"]
    assert len(nodes) >= 3
    assert all(n["shipTo"] is None and n["personalDataRedacted"] for n in nodes)
    assert NAME not in response.text and STREET not in response.text


def test_a_storefront_reads_its_order_by_id_and_external_id_without_personal_data(
    live: Any,
) -> None:
    placed = place(live, "storefront")
    assert placed["shipTo"]["name"] == NAME  # the answer to its own create: what it sent
    for document, variables in (
        (READ, {"id": placed["id"]}),
        (
            """query($x: String!) { orderByExternalId(channel: "web", externalId: $x) {
             id personalDataRedacted shipTo { name } } }""",
            {"x": None},
        ),
    ):
        if "x" in variables:
            external = data(
                live.gql(
                    "admin", "query($id: ID!) { order(id: $id) { externalId } }", id=placed["id"]
                )
            )["order"]["externalId"]
            variables = {"x": external}
        response = live.gql("storefront", document, **variables)
        order = next(iter(data(response).values()))
        assert order["id"] == placed["id"] and order["shipTo"] is None
        assert order["personalDataRedacted"] is True
        assert NAME not in response.text and STREET not in response.text


def test_integration_and_admin_see_the_address(live: Any) -> None:
    placed = place(live, "storefront")
    for role in ("integration", "admin"):
        order = data(live.gql(role, READ, id=placed["id"]))["order"]
        assert order["shipTo"]["name"] == NAME and order["personalDataRedacted"] is False


def test_a_partner_sees_the_ship_to_of_its_active_fulfillments_only(live: Any) -> None:
    # two hazmat+secure orders: Reno holds one fulfillment of each
    placed = place(
        live, "admin", lines=[{"sku": "SKU-3", "quantity": 1}, {"sku": "SKU-4", "quantity": 1}]
    )
    reno = next(f["id"] for f in placed["fulfillments"] if f["location"]["id"] == "DC-RENO")
    newark = next(f["id"] for f in placed["fulfillments"] if f["location"]["id"] == "DC-NEWARK")
    order = data(live.gql("partner_reno", READ, id=placed["id"]))["order"]
    assert order["shipTo"]["name"] == NAME  # it ships this parcel
    listed = data(
        live.gql("partner_reno", "{ orders(first: 100) { nodes { id shipTo { name } } } }")
    )
    assert {"id": placed["id"], "shipTo": {"name": NAME}} in listed["orders"]["nodes"]
    # a partner that does not hold the order sees nothing of it
    assert data(live.gql("partner", READ, id=placed["id"])) == {"order": None}
    # once Reno has rejected its fulfillment, it no longer needs (nor sees) the address
    rejected = data(
        live.gql(
            "partner_reno",
            """mutation($id: ID!) { fulfillmentReject(input: {fulfillmentId: $id,
          reason: "no stock"}) { order { personalDataRedacted shipTo { name } }
          userErrors { code } } }""",
            id=reno,
        )
    )["fulfillmentReject"]
    assert rejected["userErrors"] == []
    response = live.gql("partner_reno", READ, id=placed["id"])
    after = data(response)["order"]
    assert after is None or (after["shipTo"] is None and after["personalDataRedacted"])
    assert NAME not in response.text
    assert newark  # Newark's fulfillment is untouched by Reno's rejection


def test_event_payloads_carry_no_address_for_a_storefront(live: Any) -> None:
    placed = place(live, "storefront")
    change = data(
        live.gql(
            "integration",
            """mutation($id: ID!) { orderUpdate(input: {orderId: $id, shipTo: {name: "Grace Hopper",
          line1: "7 Other Rd", city: "San Francisco", postalCode: "94110", country: "US"}}) {
          userErrors { code message } } }""",
            id=placed["id"],
        )
    )["orderUpdate"]
    assert change["userErrors"] == [], change
    response = live.gql("storefront", READ, id=placed["id"])
    order = data(response)["order"]
    assert any(e["type"] == "OrderUpdated" for e in order["events"])
    assert "94110" not in response.text and "7 Other Rd" not in response.text
