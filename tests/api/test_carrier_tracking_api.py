"""Tracking back in: signed EasyPost tracker webhooks replayed against the app move the promise
once, keep the original for the KPI, flag exceptions and deliver through the deliver use case."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta

import httpx
import orjson
import pytest

from ordergraph.app import create_app
from ordergraph.connectors.carriers.easypost import sign
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.tracking import original_promises
from ordergraph.settings import Settings
from tests.carrier_server import FakeEasyPost, easypost_server, headers_of, tracker_event
from tests.conftest import GraphQLClient

SECRET = "whsec-test"
CREATE = """mutation { orderCreate(input: {channel: "web", externalId: "TRK-1",
  lines: [{sku: "SKU-1", quantity: 2}], placedAt: "2026-03-02T15:00:00Z",
  shipTo: {postalCode: "94105", country: "US"}}) {
  order { id promisedBy fulfillments { id estimatedDelivery } } userErrors { code } } }"""
BUY = """mutation($id: ID!) { fulfillmentLabelBuy(input: {fulfillmentId: $id}) {
  fulfillment { trackingNumber } userErrors { message } } }"""
RELEASE = """mutation($id: ID!) { fulfillmentRelease(input: {fulfillmentId: $id}) {
  userErrors { message } } }"""
SHIP = """mutation($id: ID!, $t: String!) { fulfillmentShip(input: {fulfillmentId: $id,
  trackingNumber: $t}) { userErrors { message } } }"""
ORDER = """query($id: ID!) { order(id: $id) { status promisedBy originalPromisedBy
  fulfillments { status estimatedDelivery } events { type payload } } }"""


@pytest.fixture
def fake() -> Iterator[FakeEasyPost]:
    with easypost_server() as server:
        yield server


@pytest.fixture
async def http(loaded: FalkorStore, fake: FakeEasyPost) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings.from_env(
        {
            "ORDERGRAPH_AUTH": "off",
            "ORDERGRAPH_CARRIER_EASYPOST_API_KEY": fake.api_key,
            "ORDERGRAPH_CARRIER_EASYPOST_URL": fake.url,
            "ORDERGRAPH_CARRIER_EASYPOST_WEBHOOK_KEY": SECRET,
        }
    )
    app = create_app(settings, store=loaded)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test"
    ) as client:
        yield client


async def post(
    http: httpx.AsyncClient, event: dict[str, object], secret: str = SECRET
) -> httpx.Response:
    body = orjson.dumps(event)
    return await http.post(
        "/carriers/easypost/tracking", content=body, headers=dict(headers_of(sign(secret, body)))
    )


async def test_a_late_delivery_sequence_moves_the_promise_once(
    http: httpx.AsyncClient, loaded: FalkorStore
) -> None:
    gql = GraphQLClient(http)
    order = (await gql(CREATE))["orderCreate"]["order"]
    [f] = order["fulfillments"]
    tracking = (await gql(BUY, id=f["id"]))["fulfillmentLabelBuy"]["fulfillment"]["trackingNumber"]
    assert (await gql(RELEASE, id=f["id"]))["fulfillmentRelease"]["userErrors"] == []
    assert (await gql(SHIP, id=f["id"], t=tracking))["fulfillmentShip"]["userErrors"] == []
    promised = date.fromisoformat(order["promisedBy"])
    estimate = date.fromisoformat(f["estimatedDelivery"])
    late = (estimate + timedelta(days=3)).isoformat() + "T00:00:00Z"
    on_time = estimate.isoformat() + "T00:00:00Z"

    replay = [
        tracker_event(tracking, "in_transit", eta=on_time, event_id="evt_1"),
        tracker_event(tracking, "in_transit", eta=late, event_id="evt_2"),
        tracker_event(tracking, "in_transit", eta=late, event_id="evt_2"),  # a retry
        tracker_event(tracking, "failure", eta=late, event_id="evt_3"),
        tracker_event(tracking, "out_for_delivery", eta=late, event_id="evt_4"),
    ]
    answers = [(await post(http, e)).json()["events"] for e in replay]
    assert answers == [["applied"], ["applied"], ["duplicate"], ["applied"], ["applied"]]
    forged = await post(http, tracker_event(tracking, "delivered", event_id="evt_x"), "wrong")
    assert forged.status_code == 401
    unknown = await http.post("/carriers/nope/tracking", content=b"{}")
    assert unknown.status_code == 404

    state = (await gql(ORDER, id=order["id"]))["order"]
    changed = [e for e in state["events"] if e["type"] == "order.promise_changed"]
    assert len(changed) == 1
    assert date.fromisoformat(state["promisedBy"]) == estimate + timedelta(days=3) > promised
    assert state["fulfillments"][0]["estimatedDelivery"] == late[:10]
    assert state["originalPromisedBy"] == promised.isoformat()
    kept = await original_promises(loaded, order["id"])
    assert kept["original"] == promised.isoformat() and kept["current"] == late[:10]
    assert sum(e["type"] == "fulfillment.tracking_updated" for e in state["events"]) == 4

    done = await post(http, tracker_event(tracking, "delivered", eta=late, event_id="evt_5"))
    assert done.json()["events"] == ["applied"]
    state = (await gql(ORDER, id=order["id"]))["order"]
    assert state["fulfillments"][0]["status"] == "DELIVERED"
    assert state["status"] == "DELIVERED"
    assert len([e for e in state["events"] if e["type"] == "order.promise_changed"]) == 1


async def test_a_body_that_is_not_a_notification_is_refused(http: httpx.AsyncClient) -> None:
    body = b"not json"
    answer = await http.post(
        "/carriers/easypost/tracking", content=body, headers=dict(headers_of(sign(SECRET, body)))
    )
    assert answer.status_code == 400
    unknown = await post(http, tracker_event("NOPE", "in_transit"))
    assert unknown.json()["events"] == ["unknown"]
