"""A live server for the console's tests (tests/browser/test_console.py,
tests/e2e/test_console_security.py): tests/live.py's server with the Shopify and WooCommerce
webhook secrets set and their channels in the network, so that channel orders can be POSTed to
/ingest/{channel} over real HTTP."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.store import Row
from ordergraph.services import network
from tests.api.test_ingest_http import SECRETS, body_of, woo_headers, woo_order
from tests.live import LiveServer

ENV = {
    "ORDERGRAPH_SHOPIFY_WEBHOOK_SECRET": SECRETS["shopify"],
    "ORDERGRAPH_WOOCOMMERCE_WEBHOOK_SECRET": SECRETS["woocommerce"],
}


def console_server(engine_url: str, log_dir: Path) -> LiveServer:
    server = LiveServer.start(engine_url, log_dir, env=ENV)

    async def channels() -> None:
        store = FalkorStore(engine_url, server.graph)
        try:
            await network.load_network(
                store, {"channels": [{"id": "shopify"}, {"id": "woocommerce"}]}
            )
        finally:
            await store.close()

    asyncio.run(channels())
    return server


def graph(live: LiveServer, query: str, *, write: bool = False, **params: Any) -> list[Row]:
    """Rows straight from the live server's graph (a check of what an action did, or a change
    made behind the server's back)."""

    async def run() -> list[Row]:
        store = FalkorStore(live.engine_url, live.graph)
        try:
            return await (store.write if write else store.read)(query, params)
        finally:
            await store.close()

    with ThreadPoolExecutor(1) as pool:  # beside any event loop the caller runs
        return pool.submit(asyncio.run, run()).result(30)


def failed_woo_order(live: LiveServer) -> str:
    """POST the WooCommerce order whose TEA-SAMPLER-3 the network lacks: its failure's id."""
    body = body_of(woo_order())
    failed = live.post("/ingest/woocommerce", content=body, headers=woo_headers(body))
    assert failed.status_code == 422 and failed.json()["code"] == "UNKNOWN_SKU", failed.text
    return str(failed.json()["failureId"])
