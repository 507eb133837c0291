"""Channel orders through a real ``ordergraph serve`` (auth on, real keys): a WooCommerce order
pulled over its REST API (unsigned) with an integration key on a signed channel, a BigCommerce
webhook pulled from a store API on 127.0.0.1, and Amazon SP-API responses as a relay forwards
them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import network
from tests.channel_api import ChannelAPI, Reply, channel_api
from tests.conftest import FIXTURES
from tests.live import LiveServer

PULL = FIXTURES / "channels" / "pull"
BC_BASE = "/stores/s1x2y3/v2/orders/4107"


def doc(name: str) -> Any:
    return json.loads((PULL / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def store_api() -> Iterator[ChannelAPI]:
    with channel_api() as api:
        yield api


@pytest.fixture(scope="module")
def server(
    engine: Any, tmp_path_factory: pytest.TempPathFactory, store_api: ChannelAPI
) -> Iterator[LiveServer]:
    live = LiveServer.start(
        engine.url,
        tmp_path_factory.mktemp("channels-live"),
        env={
            "ORDERGRAPH_WOOCOMMERCE_WEBHOOK_SECRET": "wc-live-secret",
            "ORDERGRAPH_BIGCOMMERCE_STORE_HASH": "s1x2y3",
            "ORDERGRAPH_BIGCOMMERCE_ACCESS_TOKEN": "bc-live-token",
            "ORDERGRAPH_BIGCOMMERCE_API_URL": store_api.url,
            "ORDERGRAPH_PULL_RETRY_BASE_MS": "20",
            "ORDERGRAPH_PULL_TIMEOUT_MS": "2000",
        },
    )

    async def add_channels() -> None:
        store = FalkorStore(engine.url, live.graph)
        try:
            await network.load_network(
                store, {"channels": [{"id": "woocommerce"}, {"id": "bigcommerce"}]}
            )
        finally:
            await store.close()

    asyncio.run(add_channels())
    yield live
    live.stop()


def test_a_pulled_woocommerce_order_needs_an_integration_key_not_a_signature(
    server: LiveServer,
) -> None:
    body = json.dumps(
        {
            "order": doc("woocommerce_order_5120.json"),
            "refunds": doc("woocommerce_refunds_5120.json"),
        }
    ).encode()
    headers = {"Content-Type": "application/json"}

    assert (
        server.post("/ingest/woocommerce", None, content=body, headers=headers).status_code == 401
    )
    forbidden = server.post("/ingest/woocommerce", "storefront", content=body, headers=headers)
    assert forbidden.status_code == 403
    placed = server.post("/ingest/woocommerce", "integration", content=body, headers=headers)
    assert placed.status_code == 200, placed.text
    assert placed.json()["status"] == "placed"
    order = server.gql(
        "admin",
        """query($id: ID!) { order(id: $id) {
        lines { sku quantity } } }""",
        id=placed.json()["orderId"],
    ).json()
    lines = {line["sku"]: line["quantity"] for line in order["data"]["order"]["lines"]}
    assert lines == {"SKU-1": 2, "SKU-2": 2}  # one refunded napkin set is not shipped


def test_a_bigcommerce_webhook_is_pulled_from_the_store_api(
    server: LiveServer, store_api: ChannelAPI
) -> None:
    store_api.answer(
        BC_BASE,
        Reply(429, {"status": 429}, headers={"X-Rate-Limit-Time-Reset-Ms": "100"}),
        Reply(200, doc("bigcommerce_order_4107.json")),
    )
    store_api.answer(f"{BC_BASE}/products", Reply(200, doc("bigcommerce_products_4107.json")))
    store_api.answer(
        f"{BC_BASE}/shipping_addresses", Reply(200, doc("bigcommerce_shipping_addresses_4107.json"))
    )
    webhook = (PULL / "bigcommerce_webhook_order_created.json").read_bytes()

    answer = server.post("/ingest/bigcommerce", "integration", content=webhook)

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "placed"
    assert len(store_api.calls(BC_BASE)) == 2
    assert store_api.calls(BC_BASE)[-1].headers["x-auth-token"] == "bc-live-token"


def test_amazon_sp_api_responses_as_relayed_are_placed(server: LiveServer) -> None:
    relay = [
        doc(name)
        for name in (
            "amazon_v0_get_order.json",
            "amazon_v0_items_page1.json",
            "amazon_v0_items_page2.json",
            "amazon_v0_items_buyer_info.json",
            "amazon_v0_address.json",
        )
    ]
    answer = server.post("/ingest/amazon", "integration", json=relay)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "placed"

    missing_page = server.post("/ingest/amazon", "integration", json=relay[:2])
    assert missing_page.status_code == 422
    assert missing_page.json()["code"] == "INVALID_INPUT"
    assert missing_page.json()["reason"].startswith("$[1].payload.NextToken: the next")
    assert missing_page.json()["failureId"].startswith("IF-")
