"""Preorders over GraphQL on the real engine: a channel that sells inbound sees an inbound
line as preorder availability, orderCreate places what stock cannot serve as a PREORDER
fulfillment of that line, and a receipt turns it into an OPEN one (docs/channel-atp.md,
"Preorders"). Small network plus BOOT-42, 4 pairs on hand at DC-RENO only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient, small_network

PLACED = "2027-02-22T17:00:00Z"  # Monday 09:00 in Reno, before its cut-off
AVAILABILITY = """query($channel: ID) { availability(skus: ["BOOT-42"], channel: $channel) {
  available preorder preorderDate
  locations { location { id } available preorder preorderDate explanation } } }"""
CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id status promisedBy lines { allocated backordered }
          fulfillments { id status inboundId expectedAt estimatedDelivery
                         lines { quantity } } }
  userErrors { field code message } } }"""
RECEIVE = """mutation($input: InboundReceiveInput!) { inboundReceive(input: $input) {
  inbound { received preordered remaining } stock { onHand reserved available }
  userErrors { code } } }"""
ORDER = """query($id: ID!) { order(id: $id) { fulfillments { id status arrived } } }"""


@pytest.fixture
def network_doc() -> dict[str, Any]:
    doc = small_network()
    doc["skus"].append({"id": "BOOT-42", "name": "Boots", "weightKg": 1.0, "tags": []})
    doc["stock"].append({"location": "DC-RENO", "sku": "BOOT-42", "onHand": 4})
    doc["channels"] = [
        {**c, "sellInbound": True} if c["id"] == "web" else c for c in doc["channels"]
    ]
    doc["inbound"] = [
        {"id": "PO-7", "location": "DC-RENO", "sku": "BOOT-42", "quantity": 10,
         "expectedAt": "2027-03-01"},
    ]  # fmt: skip
    return doc


async def test_a_preorder_is_shown_placed_and_received(gql: GraphQLClient) -> None:
    web = (await gql(AVAILABILITY, channel="web"))["availability"][0]
    assert (web["available"], web["preorder"], web["preorderDate"]) == (4, 10, "2027-03-01")
    (reno,) = web["locations"]
    assert (reno["location"]["id"], reno["preorder"]) == ("DC-RENO", 10)
    assert reno["explanation"][-1].startswith("preorder 10 from inbound")
    amazon = (await gql(AVAILABILITY, channel="amazon"))["availability"][0]
    assert (amazon["preorder"], amazon["preorderDate"]) == (0, None)

    created = (
        await gql(
            CREATE,
            input={
                "channel": "web",
                "lines": [{"sku": "BOOT-42", "quantity": 6}],
                "shipTo": {"postalCode": "94107", "country": "US"},
                "placedAt": PLACED,
            },
        )
    )["orderCreate"]
    assert created["userErrors"] == []
    order = created["order"]
    assert order["lines"] == [{"allocated": 6, "backordered": 0}]
    on_hand, preorder = order["fulfillments"]
    assert (on_hand["status"], on_hand["lines"], on_hand["inboundId"]) == (
        "OPEN", [{"quantity": 4}], None
    )  # fmt: skip
    # PO-7 arrives Monday 03-01 and ships that day; UPS ground to SF: Tuesday 03-02
    assert preorder == {
        "id": preorder["id"], "status": "PREORDER", "inboundId": "PO-7",
        "expectedAt": "2027-03-01", "estimatedDelivery": "2027-03-02",
        "lines": [{"quantity": 2}],
    }  # fmt: skip
    assert order["promisedBy"] == "2027-03-02"
    web = (await gql(AVAILABILITY, channel="web"))["availability"][0]
    assert (web["available"], web["preorder"]) == (0, 8)

    got = (await gql(RECEIVE, input={"id": "PO-7", "quantity": 10}))["inboundReceive"]
    assert got["userErrors"] == []
    assert got["inbound"] == {"received": 10, "preordered": 0, "remaining": 0}
    assert got["stock"] == {"onHand": 14, "reserved": 6, "available": 8}
    after = (await gql(ORDER, id=order["id"]))["order"]["fulfillments"]
    assert [(f["status"], f["arrived"]) for f in after] == [("OPEN", 0), ("OPEN", 2)]
