"""order_status and explain_routing (with the shopper's proof), delivery_options, and the
actions with their idempotency keys and refusals, in process, compared with GraphQL."""

from __future__ import annotations

from typing import Any

import pytest

from ordergraph.services.apikeys import create_key
from tests.mcp.conftest import Ask

CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id status } userErrors { code message field } } }"""
ORDER = """query($id: ID!) { order(id: $id) {
  id status promisedBy pickupAt { id }
  lines { sku quantity }
  fulfillments { id status location { id } carrier trackingNumber estimatedDelivery }
  routing { policy explanation shipments { location { id } carrier service } }
  events { type payload } } }"""
OPTIONS = """query($input: DeliveryOptionsInput!) { deliveryOptions(input: $input) {
  kind serviceLevel pickupAt { id } shipsWhole shipments cost deliveryBy readyBy } }"""
MOVE = """mutation($id: ID!) { fulfillmentRelease(input: {fulfillmentId: $id}) {
  userErrors { code message } } }"""
SHIP = """mutation($id: ID!) { fulfillmentShip(input: {fulfillmentId: $id, carrier: "UPS",
  trackingNumber: "1Z999"}) { userErrors { code message } } }"""
DELIVER = """mutation($id: ID!) { fulfillmentDeliver(input: {fulfillmentId: $id}) {
  userErrors { code message } } }"""
SHIP_TO = {
    "name": "Ada Shopper",
    "line1": "1 Main St",
    "city": "San Francisco",
    "postalCode": "94107",
    "country": "US",
}
PROOF = {"postal_code": "94107"}


async def place(ask: Ask, **input: Any) -> str:
    data = await ask.gql("storefront", CREATE, input={"channel": "web", **input})
    payload = data["orderCreate"]
    assert payload["userErrors"] == [], payload
    order_id: str = payload["order"]["id"]
    return order_id


async def shipped_order(ask: Ask) -> str:
    order_id = await place(ask, lines=[{"sku": "SKU-1", "quantity": 2}], shipTo=SHIP_TO)
    order = (await ask.gql("integration", ORDER, id=order_id))["order"]
    for f in order["fulfillments"]:
        for step in (MOVE, SHIP, DELIVER):
            data = await ask.gql("integration", step, id=f["id"])
            assert all(v["userErrors"] == [] for v in data.values()), data
    return order_id


async def test_order_status_needs_the_shoppers_postal_code_and_then_matches_graphql(
    ask: Ask,
) -> None:
    order_id = await place(ask, lines=[{"sku": "SKU-1", "quantity": 2}], shipTo=SHIP_TO)
    without = await ask.refused("storefront", "order_status", order_id=order_id)
    assert without["code"] == "FORBIDDEN" and "postal code" in without["message"]
    wrong = await ask.refused(
        "storefront", "order_status", order_id=order_id, verification={"postal_code": "10001"}
    )
    unknown = await ask.refused(
        "storefront", "order_status", order_id="OG-NOPE", verification={"postal_code": "10001"}
    )
    assert wrong["code"] == unknown["code"] == "NOT_FOUND"
    assert wrong["message"].replace(order_id, "X") == unknown["message"].replace("OG-NOPE", "X")
    # another shop's key, even with the right postal code, learns nothing
    other = await ask.refused(
        "storefront_amazon", "order_status", order_id=order_id, verification=PROOF
    )
    assert other["code"] == "NOT_FOUND"

    seen = await ask.ok("storefront", "order_status", order_id=order_id, verification=PROOF)
    graph = (await ask.gql("storefront", ORDER, id=order_id))["order"]
    assert seen["status"] == graph["status"] and seen["promised_by"] == graph["promisedBy"]
    assert [(s["fulfillment_id"], s["location"], s["status"]) for s in seen["shipments"]] == [
        (f["id"], f["location"]["id"], f["status"]) for f in graph["fulfillments"]
    ]
    assert seen["personal_data_redacted"] is True and seen["ship_to_postal_code"] is None
    assert any("promised by" in line for line in seen["explanation"])
    # a back-office key needs no proof and sees the ship-to, as over GraphQL
    back = await ask.ok("integration", "order_status", order_id=order_id)
    assert back["ship_to_postal_code"] == "94107" and back["personal_data_redacted"] is False


async def test_order_status_by_channel_and_external_id(ask: Ask) -> None:
    order_id = await place(
        ask, externalId="W-100", lines=[{"sku": "SKU-2", "quantity": 1}], shipTo=SHIP_TO
    )
    seen = await ask.ok(
        "storefront", "order_status", channel="web", external_id="W-100", verification=PROOF
    )
    assert seen["order_id"] == order_id and seen["external_id"] == "W-100"
    refused = await ask.refused(
        "storefront", "order_status", channel="amazon", external_id="W-100", verification=PROOF
    )
    assert refused["code"] == "FORBIDDEN"


async def test_explain_routing_is_the_stored_decision_in_words(ask: Ask) -> None:
    order_id = await place(ask, lines=[{"sku": "SKU-1", "quantity": 2}], shipTo=SHIP_TO)
    told = await ask.ok("storefront", "explain_routing", order_id=order_id, verification=PROOF)
    routing = (await ask.gql("storefront", ORDER, id=order_id))["order"]["routing"]
    assert told["explanation"] == routing["explanation"] and told["policy"] == routing["policy"]
    assert [s["location"] for s in told["shipments"]] == [
        s["location"]["id"] for s in routing["shipments"]
    ]
    partner = await ask.refused("partner", "explain_routing", order_id=order_id)
    assert partner["code"] == "FORBIDDEN"


async def test_delivery_options_match_graphql_and_answer_by_a_date(ask: Ask) -> None:
    lines = [{"sku": "SKU-1", "quantity": 1}]
    told = await ask.ok(
        "storefront",
        "delivery_options",
        lines=lines,
        near={"postal_code": "94107", "country": "US"},
        channel="web",
        wanted_by="2999-01-01",
    )
    graph = await ask.gql(
        "storefront",
        OPTIONS,
        input={"channel": "web", "lines": lines, "near": {"postalCode": "94107", "country": "US"}},
    )
    same = [
        (o["kind"], o["serviceLevel"], (o["pickupAt"] or {}).get("id"), o["cost"], o["deliveryBy"])
        for o in graph["deliveryOptions"]
    ]
    assert [
        (o["kind"], o["service_level"], o["pickup_store"], o["cost"], o["delivery_by"])
        for o in told["options"]
    ] == same
    assert {o["kind"] for o in told["options"]} == {"SHIP", "PICKUP"}
    assert all(o["in_time"] is True for o in told["options"])
    past = await ask.ok(
        "storefront",
        "delivery_options",
        lines=lines,
        near={"postal_code": "94107"},
        wanted_by="2000-01-01",
    )
    assert all(o["in_time"] is False for o in past["options"])


async def test_cancel_is_idempotent_recorded_and_refused_after_release(ask: Ask) -> None:
    order_id = await place(ask, lines=[{"sku": "SKU-1", "quantity": 3}], shipTo=SHIP_TO)
    args = {
        "order_id": order_id,
        "lines": [{"sku": "SKU-1", "quantity": 1}],
        "verification": PROOF,
        "idempotency_key": "cancel-0001",
    }
    first = await ask.ok("storefront", "cancel_order_lines", **args)
    again = await ask.ok("storefront", "cancel_order_lines", **args)
    assert first["replayed"] is False and again["replayed"] is True
    assert {k: v for k, v in first.items() if k != "replayed"} == {
        k: v for k, v in again.items() if k != "replayed"
    }
    assert first["cancelled"] == [{"sku": "SKU-1", "quantity": 1}]
    order = (await ask.gql("integration", ORDER, id=order_id))["order"]
    assert sum(1 for e in order["events"] if e["type"] == "OrderLinesCancelled") == 1
    (event,) = [e for e in order["events"] if e["type"] == "OrderLinesCancelled"]
    assert event["payload"]["by"]["via"] == "mcp"
    assert event["payload"]["by"]["role"] == "storefront"
    assert event["payload"]["by"]["keyId"].startswith("key_")
    assert event["payload"]["by"]["idempotencyKey"] == "cancel-0001"

    tampered = await ask.refused(
        "storefront", "cancel_order_lines", **{**args, "lines": [{"sku": "SKU-1", "quantity": 2}]}
    )
    assert tampered["code"] == "CONFLICT" and "other arguments" in tampered["message"]

    for f in order["fulfillments"]:
        await ask.gql("integration", MOVE, id=f["id"])
    late = await ask.refused(
        "storefront", "cancel_order_lines", **{**args, "idempotency_key": "cancel-0002"}
    )
    assert late["code"] == "INVALID_TRANSITION" and "released" in late["message"]
    after = (await ask.gql("integration", ORDER, id=order_id))["order"]
    assert after["lines"] == order["lines"]  # nothing changed


async def test_actions_need_the_shoppers_proof_and_a_key_that_may_act(ask: Ask) -> None:
    order_id = await place(ask, lines=[{"sku": "SKU-1", "quantity": 1}], shipTo=SHIP_TO)
    args = {"order_id": order_id, "idempotency_key": "cancel-0003"}
    assert (await ask.refused("storefront", "cancel_order_lines", **args))["code"] == "FORBIDDEN"
    wrong = await ask.refused(
        "storefront", "cancel_order_lines", **args, verification={"postal_code": "10001"}
    )
    assert wrong["code"] == "NOT_FOUND"
    other = await ask.refused("storefront_amazon", "cancel_order_lines", **args, verification=PROOF)
    assert other["code"] == "NOT_FOUND"
    partner = await ask.refused("partner", "cancel_order_lines", **args)
    assert partner["code"] == "FORBIDDEN"
    order = (await ask.gql("integration", ORDER, id=order_id))["order"]
    assert order["status"] != "CANCELLED"


async def test_change_pickup_store_moves_a_pickup_order(ask: Ask) -> None:
    order_id = await place(ask, lines=[{"sku": "SKU-1", "quantity": 1}], pickupAt="STORE-SF")
    # a pickup order has no postal code: a storefront cannot prove it (docs/mcp.md)
    refused = await ask.refused(
        "storefront",
        "change_pickup_store",
        order_id=order_id,
        store="STORE-OAKLAND",
        verification=PROOF,
        idempotency_key="pickup-0001",
    )
    assert refused["code"] == "NOT_FOUND"
    moved = await ask.ok(
        "integration",
        "change_pickup_store",
        order_id=order_id,
        store="STORE-OAKLAND",
        idempotency_key="pickup-0001",
    )
    assert moved["pickup_at"] == "STORE-OAKLAND"
    order = (await ask.gql("integration", ORDER, id=order_id))["order"]
    assert order["pickupAt"]["id"] == "STORE-OAKLAND"
    live = [f for f in order["fulfillments"] if f["status"] == "OPEN"]
    assert [f["location"]["id"] for f in live] == ["STORE-OAKLAND"]
    same = await ask.refused(
        "integration",
        "change_pickup_store",
        order_id=order_id,
        store="STORE-OAKLAND",
        idempotency_key="pickup-0002",
    )
    assert same["code"] == "INVALID_INPUT"
    nowhere = await ask.refused(
        "integration",
        "change_pickup_store",
        order_id=order_id,
        store="DC-RENO",
        idempotency_key="pickup-0003",
    )
    assert nowhere["code"] == "INVALID_INPUT" and "pickup store" in nowhere["message"]


async def test_start_return_after_delivery_names_where_to_bring_it(ask: Ask) -> None:
    order_id = await shipped_order(ask)
    started = await ask.ok(
        "storefront",
        "start_return",
        order_id=order_id,
        lines=[{"sku": "SKU-1", "quantity": 1}],
        reason="too small",
        drop_off="STORE-SF",
        verification=PROOF,
        idempotency_key="ret-00001",
    )
    assert started["return_id"].startswith("RT-") and started["return_location"] == "STORE-SF"
    assert started["drop_off"] is True and started["return_id"] in started["instructions"]
    order = (await ask.gql("integration", ORDER, id=order_id))["order"]
    (event,) = [e for e in order["events"] if e["type"] == "ReturnCreated"]
    assert event["payload"]["by"]["via"] == "mcp"


@pytest.mark.parametrize("tool", ["find_products"])
async def test_an_over_budget_burst_is_throttled(ask: Ask, tool: str) -> None:
    secret, _ = await create_key(ask.store, "tiny", "storefront", channels=["web"], budget=(50, 1))
    ask.keys["tiny"] = secret
    answers = [await ask.call("tiny", tool, query="socks") for _ in range(8)]
    errors = [a.structured_content["error"]["code"] for a in answers if a.is_error]  # type: ignore[index]
    assert not answers[0].is_error
    assert errors and set(errors) == {"THROTTLED"}
    assert sum(1 for a in answers if not a.is_error) <= 5


async def test_racing_calls_with_one_key_act_once(ask: Ask) -> None:
    import asyncio

    order_id = await place(ask, lines=[{"sku": "SKU-1", "quantity": 4}], shipTo=SHIP_TO)
    args = {
        "order_id": order_id,
        "lines": [{"sku": "SKU-1", "quantity": 1}],
        "verification": PROOF,
        "idempotency_key": "race-00001",
    }
    answers = await asyncio.gather(
        *(ask.call("storefront", "cancel_order_lines", **args) for _ in range(4))
    )
    done = [a.structured_content for a in answers if not a.is_error]
    busy = [a.structured_content["error"]["code"] for a in answers if a.is_error]  # type: ignore[index]
    assert done and set(busy) <= {"CONFLICT"}
    assert sum(1 for d in done if d and not d["replayed"]) <= 1
    order = (await ask.gql("integration", ORDER, id=order_id))["order"]
    assert [e["type"] for e in order["events"]].count("OrderLinesCancelled") == 1


async def test_a_partner_sees_only_its_own_shipments_of_an_order(ask: Ask) -> None:
    order_id = await place(ask, lines=[{"sku": "SKU-1", "quantity": 1}], pickupAt="STORE-SF")
    seen = await ask.ok("partner", "order_status", order_id=order_id)
    assert {s["location"] for s in seen["shipments"]} == {"STORE-SF"}
    far = await place(ask, lines=[{"sku": "SKU-1", "quantity": 1}], pickupAt="STORE-LA")
    assert (await ask.refused("partner", "order_status", order_id=far))["code"] == "NOT_FOUND"


async def test_guessing_postal_codes_locks_the_order_and_reveals_nothing(ask: Ask) -> None:
    order_id = await place(ask, lines=[{"sku": "SKU-1", "quantity": 1}], shipTo=SHIP_TO)
    wrong = [
        await ask.refused(
            "storefront",
            "order_status",
            order_id=order_id,
            verification={"postal_code": f"9410{n}"},
        )
        for n in (0, 1, 2, 3, 4)
    ]
    assert {w["code"] for w in wrong} == {"NOT_FOUND"}
    # the right code no longer helps for a while, and an unknown order locks the same way
    locked = await ask.refused("storefront", "order_status", order_id=order_id, verification=PROOF)
    assert locked["code"] == "FORBIDDEN" and "too many" in locked["message"]
    for n in range(5):
        await ask.refused(
            "storefront",
            "order_status",
            order_id="OG-NOPE",
            verification={"postal_code": f"1000{n}"},
        )
    ghost = await ask.refused("storefront", "order_status", order_id="OG-NOPE", verification=PROOF)
    assert ghost["message"] == locked["message"]
    # back-office keys are not locked out
    assert (await ask.ok("integration", "order_status", order_id=order_id))["order_id"] == order_id
