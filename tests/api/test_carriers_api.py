"""Carriers through GraphQL: orderCreate prices live, fulfillmentLabelBuy buys one label,
orderCancel voids it (a local EasyPost; the app configured from the environment's shape)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from ordergraph.app import create_app
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.settings import Settings
from tests.carrier_server import FakeEasyPost, easypost_server
from tests.conftest import GraphQLClient

CREATE = """mutation($ext: String!) { orderCreate(input: {channel: "web", externalId: $ext,
  lines: [{sku: "SKU-1", quantity: 2}], placedAt: "2026-03-02T15:00:00Z",
  shipTo: {postalCode: "94105", country: "US", name: "A. Shopper"}}) {
  order { id fulfillments { id carrier service } routing { explanation } } userErrors { code } } }"""
BUY = """mutation($id: ID!) { fulfillmentLabelBuy(input: {fulfillmentId: $id}) {
  fulfillment { id trackingNumber labelUrl labelFormat labelVoided }
  userErrors { code message } } }"""
CANCEL = """mutation($id: ID!) { orderCancel(input: {orderId: $id}) { userErrors { code } } }"""
FULFILLMENT = """query($id: ID!) { order(id: $id) { fulfillments { labelVoided status } } }"""


@pytest.fixture
def fake() -> Iterator[FakeEasyPost]:
    with easypost_server() as server:
        yield server


@pytest.fixture
async def carriers_gql(loaded: FalkorStore, fake: FakeEasyPost) -> AsyncIterator[GraphQLClient]:
    settings = Settings.from_env(
        {
            "ORDERGRAPH_AUTH": "off",
            "ORDERGRAPH_CARRIER_EASYPOST_API_KEY": fake.api_key,
            "ORDERGRAPH_CARRIER_EASYPOST_URL": fake.url,
        }
    )
    app = create_app(settings, store=loaded)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test"
    ) as http:
        yield GraphQLClient(http)


async def test_order_label_and_cancel_through_graphql(
    carriers_gql: GraphQLClient, fake: FakeEasyPost
) -> None:
    created = (await carriers_gql(CREATE, ext="API-1"))["orderCreate"]
    assert created["userErrors"] == []
    order = created["order"]
    assert any("live (easypost)" in line for line in order["routing"]["explanation"])
    [fulfillment] = order["fulfillments"]
    assert (fulfillment["carrier"], fulfillment["service"]) == ("USPS", "Priority")
    bought = [
        (await carriers_gql(BUY, id=fulfillment["id"]))["fulfillmentLabelBuy"] for _ in range(2)
    ]
    assert bought[0]["userErrors"] == [] and bought[0] == bought[1]
    label = bought[0]["fulfillment"]
    assert label["trackingNumber"] and label["labelFormat"] == "image/png"
    assert label["labelUrl"].startswith(fake.url) and label["labelVoided"] is False
    assert fake.buys == 1
    assert (await carriers_gql(CANCEL, id=order["id"]))["orderCancel"]["userErrors"] == []
    after = (await carriers_gql(FULFILLMENT, id=order["id"]))["order"]["fulfillments"]
    assert after == [{"labelVoided": True, "status": "CANCELLED"}]
    assert fake.refunds == 1


async def test_without_accounts_a_label_is_a_user_error(gql: GraphQLClient) -> None:
    created = (await gql(CREATE, ext="API-2"))["orderCreate"]["order"]
    assert not any("carrier rates" in line for line in created["routing"]["explanation"])
    answer = (await gql(BUY, id=created["fulfillments"][0]["id"]))["fulfillmentLabelBuy"]
    assert answer["fulfillment"] is None
    assert answer["userErrors"][0]["code"] == "INVALID_INPUT"
