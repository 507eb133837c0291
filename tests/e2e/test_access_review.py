"""Review of object-level access and personal-data redaction, through a real server.

Each test is one defect found by attacking ``ordergraph serve`` with keys of every role:

- a partner acting on another location's fulfillment learned that it exists and where (a
  ``FORBIDDEN`` naming the location, where a missing id is ``NOT_FOUND``);
- order events carried the routing explanation (every candidate location, why each was
  rejected) to partners, for whom ``Order.routing`` is ``null``;
- ``RefundCreated`` named no location, so partners of the order saw the refunds of returns to
  other locations;
- a repeated ``orderCreate`` answered with the order's current ship-to, also after it was
  changed, i.e. personal data the storefront never sent;
- a subscription followed by a partner carried the same routing explanations (found at the
  same time as main's subscription guard, which now lets storefront and partner keys follow one
  order they read);
- an open ``orderEvents`` subscription outlived the revocation of its key;
- a second mutation in one document answered from the first one's reads (a partner that had
  just rejected still saw the ship-to);
- an order a storefront key placed under a channel's order id swallowed the channel's order.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

pytestmark = pytest.mark.slow

_numbers = itertools.count()

CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id shipTo { name line1 postalCode } personalDataRedacted events { type payload }
    fulfillments { id location { id } } }
  userErrors { code field message } } }"""

RELEASE = """mutation($id: ID!) { fulfillmentRelease(input: {fulfillmentId: $id})
  { userErrors { code } } }"""

SHIP = """mutation($id: ID!) { fulfillmentShip(input: {fulfillmentId: $id,
  trackingNumber: "1Z-REVIEW"}) { userErrors { code } } }"""

MOVES = {
    "fulfillmentRelease": "fulfillmentRelease(input: {fulfillmentId: $id})",
    "fulfillmentReject": 'fulfillmentReject(input: {fulfillmentId: $id, reason: "x"})',
    "fulfillmentShip": 'fulfillmentShip(input: {fulfillmentId: $id, trackingNumber: "1Z"})',
    "fulfillmentDeliver": "fulfillmentDeliver(input: {fulfillmentId: $id})",
}

EVENTS = """query($id: ID!) { order(id: $id) { id events { type payload } } }"""


def data(response: Any) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]  # type: ignore[no-any-return]


def order_input(**overrides: Any) -> dict[str, Any]:
    return {
        "channel": "web",
        "externalId": f"review-{next(_numbers)}",
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


def place(live: Any, role: str, order: dict[str, Any]) -> dict[str, Any]:
    answer = data(live.gql(role, CREATE, input=order))["orderCreate"]
    assert answer["userErrors"] == [], answer
    return answer["order"]  # type: ignore[no-any-return]


def split_order(live: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """A web order shipping SKU-3 from Reno and SKU-4 from Newark."""
    order = place(
        live,
        "admin",
        order_input(lines=[{"sku": "SKU-3", "quantity": 1}, {"sku": "SKU-4", "quantity": 1}]),
    )
    where = {f["location"]["id"]: f["id"] for f in order["fulfillments"]}
    assert set(where) == {"DC-RENO", "DC-NEWARK"}, where
    return order, where


@pytest.mark.parametrize("move", sorted(MOVES))
def test_a_partner_cannot_tell_another_locations_fulfillment_from_a_missing_one(
    live: Any, move: str
) -> None:
    order, where = split_order(live)
    document = (
        f"mutation($id: ID!) {{ {MOVES[move]} {{ order {{ id }} fulfillment {{ id }} "
        "userErrors { code field message } } }"
    )
    missing = data(live.gql("partner", document, id=f"{order['id']}-F9"))[move]
    response = live.gql("partner", document, id=where["DC-RENO"])
    theirs = data(response)[move]
    assert theirs["order"] is None and theirs["fulfillment"] is None
    assert (
        [(e["code"], e["field"]) for e in theirs["userErrors"]]
        == [(e["code"], e["field"]) for e in missing["userErrors"]]
        == [("NOT_FOUND", ["input", "fulfillmentId"])]
    )
    assert theirs["userErrors"][0]["message"] == missing["userErrors"][0]["message"].replace(
        f"{order['id']}-F9", where["DC-RENO"]
    )
    assert "DC-RENO" not in response.text
    # nothing changed
    seen = data(
        live.gql(
            "admin",
            "query($id: ID!) { order(id: $id) { fulfillments { id status } } }",
            id=order["id"],
        )
    )["order"]["fulfillments"]
    assert {f["id"]: f["status"] for f in seen}[where["DC-RENO"]] == "OPEN"


def test_a_partner_does_not_read_the_routing_explanation_in_order_events(live: Any) -> None:
    order, where = split_order(live)
    response = live.gql(
        "partner_reno",
        """mutation($id: ID!) { fulfillmentReject(input: {fulfillmentId: $id, reason: "no"}) {
          order { routing { explanation } events { type payload } } userErrors { code } } }""",
        id=where["DC-RENO"],
    )
    answer = data(response)["fulfillmentReject"]
    assert answer["userErrors"] == [] and answer["order"]["routing"] is None
    # what the partner must not learn: the admin's view names the other candidates
    full = data(live.gql("admin", EVENTS, id=order["id"]))["order"]["events"]
    rerouted = [e for e in full if e["type"] in ("OrderBackordered", "OrderRerouted")]
    assert rerouted and "DC-NEWARK" in json.dumps(rerouted[0]["payload"]["explanation"])
    read = live.gql("partner_reno", EVENTS, id=order["id"])
    for text, events in (
        (response.text, answer["order"]["events"]),
        (read.text, data(read)["order"]["events"]),
    ):
        assert "DC-NEWARK" not in text
        assert all("explanation" not in e["payload"] for e in events), events
        assert any(e["type"] in ("OrderBackordered", "OrderRerouted") for e in events)


def test_a_partner_does_not_see_the_refund_of_a_return_to_another_location(live: Any) -> None:
    order, where = split_order(live)
    for fid in where.values():
        assert data(live.gql("admin", RELEASE, id=fid))["fulfillmentRelease"]["userErrors"] == []
        assert data(live.gql("admin", SHIP, id=fid))["fulfillmentShip"]["userErrors"] == []
    made = data(
        live.gql(
            "integration",
            """mutation($o: ID!) { returnCreate(input: {orderId: $o,
              lines: [{sku: "SKU-4", quantity: 1}]}) {
              return { id location { id } } userErrors { code message } } }""",
            o=order["id"],
        )
    )["returnCreate"]
    assert made["userErrors"] == [] and made["return"]["location"]["id"] != "DC-RENO", made
    return_id = made["return"]["id"]
    received = data(
        live.gql(
            "integration",
            """mutation($r: ID!) { returnReceive(input: {returnId: $r,
              lines: [{sku: "SKU-4", quantity: 1, disposition: RESTOCK}]}) {
              userErrors { code message } } }""",
            r=return_id,
        )
    )["returnReceive"]
    assert received["userErrors"] == []
    full = data(live.gql("admin", EVENTS, id=order["id"]))["order"]["events"]
    assert any(e["type"] == "RefundCreated" for e in full)
    response = live.gql("partner_reno", EVENTS, id=order["id"])
    events = data(response)["order"]["events"]
    assert any(e["type"] == "FulfillmentShipped" for e in events)  # it reads its own work
    assert return_id not in response.text
    assert all(
        e["type"] not in ("ReturnCreated", "ReturnReceived", "RefundCreated") for e in events
    ), events


def test_a_repeated_order_create_does_not_echo_a_ship_to_changed_since(live: Any) -> None:
    body = order_input()
    first = place(live, "storefront", body)
    assert first["shipTo"]["name"] == "Ada Lovelace"  # its own body, echoed
    updated = data(
        live.gql(
            "integration",
            """mutation($id: ID!) { orderUpdate(input: {orderId: $id, shipTo: {name: "New Name",
              line1: "9 Hidden Rd", city: "Oakland", postalCode: "94612", country: "US"}}) {
              userErrors { code message } } }""",
            id=first["id"],
        )
    )["orderUpdate"]
    assert updated["userErrors"] == []
    response = live.gql("storefront", CREATE, input=body)
    again = data(response)["orderCreate"]
    assert again["userErrors"] == [] and again["order"]["id"] == first["id"]  # still idempotent
    for secret in ("New Name", "9 Hidden Rd", "Oakland", "94612"):
        assert secret not in response.text
    assert all("shipTo" not in e["payload"] for e in again["order"]["events"])


PROTOCOL = Subprotocol("graphql-transport-ws")
FOLLOW = "subscription($orderId: ID) { orderEvents(orderId: $orderId) { id type payload } }"


async def subscribe(live: Any, role: str, order_id: str) -> dict[str, Any] | None:
    """The first message of an orderEvents subscription, or None if it stays open and quiet."""
    url = live.url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[PROTOCOL], additional_headers=live.headers(role)) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": FOLLOW, "variables": {"orderId": order_id}},
                }
            )
        )
        try:
            return json.loads(await asyncio.wait_for(ws.recv(), 2))  # type: ignore[no-any-return]
        except TimeoutError:
            return None


def test_a_partner_following_an_order_gets_the_same_view_as_order_events(live: Any) -> None:
    """A partner may follow one order it reads (orderEvents with orderId): the stream is
    redacted as Order.events is, so a re-route's explanation (naming the other candidates) is
    not in it; a storefront of another channel gets "no order"."""
    order, where = split_order(live)
    url = live.url.replace("http://", "ws://") + "/graphql"

    async def follow() -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        async with connect(
            url, subprotocols=[PROTOCOL], additional_headers=live.headers("partner_reno")
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": FOLLOW, "variables": {"orderId": order["id"]}},
                    }
                )
            )
            await asyncio.sleep(2.0)  # the subscribe message is read: its window is open
            rejected = await asyncio.to_thread(
                live.gql,
                "admin",
                """mutation($id: ID!) { fulfillmentReject(input: {fulfillmentId: $id,
                  reason: "no"}) { userErrors { code } } }""",
                id=where["DC-RENO"],
            )
            assert data(rejected)["fulfillmentReject"]["userErrors"] == []
            try:
                while True:
                    got.append(json.loads(await asyncio.wait_for(ws.recv(), 3)))
            except TimeoutError:
                pass
        return got

    got = asyncio.run(follow())
    events = [m["payload"]["data"]["orderEvents"] for m in got if m["type"] == "next"]
    kinds = [e["type"] for e in events]
    assert "FulfillmentRejected" in kinds and any(
        k in kinds for k in ("OrderBackordered", "OrderRerouted")
    ), got
    assert "DC-NEWARK" not in json.dumps(got)
    assert all("explanation" not in e["payload"] for e in events), events
    other = asyncio.run(subscribe(live, "storefront_amazon", order["id"]))
    assert other is not None and other["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"


X12_PARTNER = "7775550042"


def test_a_partner_does_not_see_another_locations_ship_notice(live: Any) -> None:
    """An X12 order split between Reno and Newark: Newark's 856 (its tracking number, carrier
    and shipment) is Newark's work, not Reno's."""
    from ordergraph.graph.falkordb import FalkorStore
    from ordergraph.services import network

    channel = f"x12:{X12_PARTNER}"

    async def add_channel() -> None:
        store = FalkorStore(live.engine_url, live.graph)
        try:
            await network.load_network(store, {"channels": [{"id": channel}]})
        finally:
            await store.close()

    asyncio.run(add_channel())
    control = 900 + next(_numbers)
    body = [
        f"BEG*00*SA*REVIEW{control}**20240501",
        "TD5**2*UPSN*********G2",
        "N1*ST*Ana Lima",
        "N3*500 Howard St",
        "N4*San Francisco*CA*94107*US",
        "PO1*1*1*EA*9**SK*SKU-3",
        "PO1*2*1*EA*9**SK*SKU-4",
        "CTT*2",
    ]
    text = (
        "~\n".join(
            [
                f"ISA*00*          *00*          *08*{X12_PARTNER.ljust(15)}*ZZ*"
                f"{'ORDERGRAPHWMS'.ljust(15)}*240501*0805*U*00401*{control:09d}*0*P*>",
                f"GS*PO*PARTNER*ORDERGRAPH*20240501*0805*{control}*X*004010",
                "ST*850*0001",
                *body,
                f"SE*{len(body) + 2}*0001",
                f"GE*1*{control}",
                f"IEA*1*{control:09d}",
            ]
        )
        + "~\n"
    )
    sent = live.post(
        "/ingest/x12", "integration", content=text, headers={"Content-Type": "application/edi-x12"}
    )
    assert sent.status_code == 200, sent.text
    found = data(
        live.gql(
            "admin",
            """query($c: ID!, $x: String!) { orderByExternalId(channel: $c, externalId: $x) {
              id fulfillments { id location { id } } } }""",
            c=channel,
            x=f"REVIEW{control}",
        )
    )["orderByExternalId"]
    where = {f["location"]["id"]: f["id"] for f in found["fulfillments"]}
    assert set(where) == {"DC-RENO", "DC-NEWARK"}, where
    newark = where["DC-NEWARK"]
    assert data(live.gql("admin", RELEASE, id=newark))["fulfillmentRelease"]["userErrors"] == []
    assert data(live.gql("admin", SHIP, id=newark))["fulfillmentShip"]["userErrors"] == []
    full = data(live.gql("admin", EVENTS, id=found["id"]))["order"]["events"]
    assert any(e["type"] == "ShipNoticeCreated" for e in full)  # Newark's 856 exists
    response = live.gql("partner_reno", EVENTS, id=found["id"])
    events = data(response)["order"]["events"]
    assert events and newark not in response.text and "1Z-REVIEW" not in response.text, events


def test_a_second_mutation_in_one_request_answers_from_fresh_reads(live: Any) -> None:
    """Release then reject in one document: the reject's answer is read after the reject (the
    partner no longer sees the ship-to, and the fulfillment is REJECTED), not from the first
    answer's reads."""
    order = place(live, "admin", order_input(lines=[{"sku": "SKU-3", "quantity": 1}]))
    [fid] = [f["id"] for f in order["fulfillments"] if f["location"]["id"] == "DC-RENO"]
    response = live.gql(
        "partner_reno",
        """mutation($id: ID!) {
          a: fulfillmentRelease(input: {fulfillmentId: $id}) {
            order { shipTo { name } } fulfillment { status } userErrors { code } }
          b: fulfillmentReject(input: {fulfillmentId: $id, reason: "x"}) {
            order { shipTo { name } personalDataRedacted fulfillments { status } }
            fulfillment { status } userErrors { code } } }""",
        id=fid,
    )
    answer = data(response)
    assert answer["a"]["fulfillment"] == {"status": "RELEASED"}
    assert answer["a"]["order"]["shipTo"] == {"name": "Ada Lovelace"}  # active: it ships it
    assert answer["b"]["userErrors"] == []
    assert answer["b"]["fulfillment"] == {"status": "REJECTED"}
    assert answer["b"]["order"]["shipTo"] is None
    assert answer["b"]["order"]["personalDataRedacted"] is True
    assert answer["b"]["order"]["fulfillments"] == [{"status": "REJECTED"}]


def test_a_storefront_order_does_not_swallow_the_channels_order_of_that_id(live: Any) -> None:
    """A storefront key of channel amazon places an order under an Amazon order id first (its
    own ship-to); the channel's order with that id, ingested later, must not be taken as a
    repeat of it (it would never be placed, and the storefront's parcel would ship)."""
    pulled = Path(__file__).parents[1] / "fixtures" / "channels" / "pull"
    doc = json.loads((pulled / "amazon_2026_order.json").read_text(encoding="utf-8"))
    external = f"114-{next(_numbers):07d}-7654321"
    doc["order"]["orderId"] = external
    squat = place(
        live,
        "storefront_amazon",
        order_input(
            channel="amazon",
            externalId=external,
            shipTo={
                "name": "Mallory",
                "line1": "666 Drop St",
                "city": "Oakland",
                "postalCode": "94612",
                "country": "US",
            },
            lines=[{"sku": "SKU-1", "quantity": 3}, {"sku": "SKU-3", "quantity": 2}],
        ),
    )
    answer = live.post("/ingest/amazon", "integration", json=doc)
    assert answer.json()["status"] not in ("duplicate", "unchanged", "updated"), answer.text
    assert answer.status_code == 422 and answer.json()["code"] == "CONFLICT", answer.text
    assert answer.json()["failureId"].startswith("IF-")  # kept for an operator and a replay
    found = data(
        live.gql(
            "admin",
            """query($x: String!) { orderByExternalId(channel: "amazon", externalId: $x) {
              id shipTo { name } status } }""",
            x=external,
        )
    )["orderByExternalId"]
    assert found["id"] == squat["id"] and found["shipTo"] == {"name": "Mallory"}  # untouched


def test_an_open_order_events_subscription_ends_when_its_key_is_revoked(live: Any) -> None:
    """ "A revoked key stops working within seconds": a subscription opened with it too, instead
    of streaming every order's events (with personal data) for as long as the socket lives."""
    made = data(
        live.gql(
            "admin",
            """mutation { apiKeyCreate(input: {name: "review erp", role: "integration"}) {
              key apiKey { id } userErrors { code message } } }""",
        )
    )["apiKeyCreate"]
    assert made["userErrors"] == [], made
    url = live.url.replace("http://", "ws://") + "/graphql"

    async def follow() -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        headers = {"Authorization": f"Bearer {made['key']}"}
        async with connect(url, subprotocols=[PROTOCOL], additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
            subscription = 'subscription { orderEvents(types: ["OrderCreated"]) { id payload } }'
            await ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": subscription}})
            )
            await asyncio.sleep(2.0)  # the subscribe message is read: its window is open
            await asyncio.to_thread(place, live, "admin", order_input())
            got.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))  # live: it follows
            revoked = await asyncio.to_thread(
                live.gql,
                "admin",
                """mutation($id: ID!) { apiKeyRevoke(id: $id) { userErrors { code } } }""",
                id=made["apiKey"]["id"],
            )
            assert data(revoked)["apiKeyRevoke"]["userErrors"] == []
            await asyncio.sleep(6)  # past the key cache (5 s)
            await asyncio.to_thread(place, live, "admin", order_input())
            try:
                while True:
                    got.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
            except (TimeoutError, ConnectionClosed):
                pass
        return got

    got = asyncio.run(follow())
    assert got[0]["type"] == "next" and got[0]["payload"]["data"]["orderEvents"]["id"]
    after = got[1:]
    assert not any(m.get("payload", {}).get("data") for m in after), after
    codes = [e["extensions"]["code"] for m in after for e in m.get("payload", {}).get("errors", [])]
    assert codes == ["UNAUTHENTICATED"], after  # it ends, saying why


def test_a_partner_following_an_order_loses_its_personal_data_once_it_rejects(
    live: Any,
) -> None:
    """The personal-data decision of a followed order is the one of now, not of when the
    subscription opened: after Reno rejects, a new ship-to is not streamed to Reno."""
    order = place(live, "admin", order_input(lines=[{"sku": "SKU-3", "quantity": 1}]))
    [fid] = [f["id"] for f in order["fulfillments"] if f["location"]["id"] == "DC-RENO"]
    url = live.url.replace("http://", "ws://") + "/graphql"

    async def follow() -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        async with connect(
            url, subprotocols=[PROTOCOL], additional_headers=live.headers("partner_reno")
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": FOLLOW, "variables": {"orderId": order["id"]}},
                    }
                )
            )
            await asyncio.sleep(2.0)  # the subscribe message is read: its window is open
            rejected = await asyncio.to_thread(
                live.gql,
                "partner_reno",
                """mutation($id: ID!) { fulfillmentReject(input: {fulfillmentId: $id,
                  reason: "no"}) { userErrors { code } } }""",
                id=fid,
            )
            assert data(rejected)["fulfillmentReject"]["userErrors"] == []
            updated = await asyncio.to_thread(
                live.gql,
                "integration",
                """mutation($id: ID!) { orderUpdate(input: {orderId: $id, shipTo: {
                  name: "New Name", line1: "9 Hidden Rd", city: "Oakland",
                  postalCode: "94612", country: "US"}}) { userErrors { code message } } }""",
                id=order["id"],
            )
            assert data(updated)["orderUpdate"]["userErrors"] == [], updated.text
            try:
                while True:
                    got.append(json.loads(await asyncio.wait_for(ws.recv(), 3)))
            except TimeoutError:
                pass
        return got

    got = asyncio.run(follow())
    events = [m["payload"]["data"]["orderEvents"] for m in got if m["type"] == "next"]
    assert "OrderUpdated" in [e["type"] for e in events], got
    assert "94612" not in json.dumps(got)
    assert all("shipTo" not in e["payload"] for e in events), events
