"""Subscriptions over a real websocket with real keys (issue #10 finding 3): the same role checks
as queries, a cap per connection and per key, and one shared poll of the graph per process
however many subscriptions are open."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.live import LiveServer

pytestmark = pytest.mark.slow

ALL_EVENTS = "subscription { orderEvents { type } }"


async def open_ws(live: LiveServer, role: str) -> ClientConnection:
    ws = await connect(
        live.url.replace("http", "ws") + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
    )
    await ws.send(
        json.dumps(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {live.keys[role]}"}}
        )
    )
    ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert ack["type"] == "connection_ack", ack
    return ws


async def subscribe_many(
    ws: ClientConnection, count: int, start: int = 0, query: str = ALL_EVENTS
) -> dict[str, Any]:
    """Send ``count`` subscribes; the refused ones answer ``error`` at once: {id: payload}."""
    for i in range(start, start + count):
        await ws.send(json.dumps({"id": str(i), "type": "subscribe", "payload": {"query": query}}))
    refused: dict[str, Any] = {}
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        except TimeoutError:
            break
        if message["type"] == "error":
            refused[message["id"]] = message["payload"]
        elif message["type"] == "next" and message["payload"].get("errors"):
            refused[message["id"]] = message["payload"]["errors"]
    return refused


def graph_reads(live: LiveServer) -> float:
    response = live.get("/metrics", "admin")
    assert response.status_code == 200, response.text
    text = response.text
    match = re.search(r'ordergraph_graph_query_seconds_count\{kind="read"\} ([0-9.e+]+)', text)
    return float(match.group(1)) if match else 0.0


PLACE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id } userErrors { code } } }"""


def place(live: LiveServer, role: str, channel: str, external_id: str) -> str:
    answer = live.gql(
        role,
        PLACE,
        input={
            "channel": channel,
            "externalId": external_id,
            "shipTo": {"postalCode": "94107", "country": "US"},
            "lines": [{"sku": "SKU-1", "quantity": 1}],
        },
    ).json()
    return str(answer["data"]["orderCreate"]["order"]["id"])


def test_a_storefront_key_follows_only_its_own_orders(live: LiveServer) -> None:
    own = place(live, "storefront", "web", "sub-own-1")
    other = place(live, "storefront_amazon", "amazon", "sub-other-1")
    one = "subscription($id: ID!) { orderEvents(orderId: $id) { type } }"

    async def run() -> tuple[dict[str, Any], Any, Any]:
        ws = await open_ws(live, "storefront")
        try:
            every = await subscribe_many(ws, 3)  # all orders: refused
            await ws.send(
                json.dumps(
                    {
                        "id": "own",
                        "type": "subscribe",
                        "payload": {"query": one, "variables": {"id": own}},
                    }
                )
            )
            await ws.send(
                json.dumps(
                    {
                        "id": "other",
                        "type": "subscribe",
                        "payload": {"query": one, "variables": {"id": other}},
                    }
                )
            )
            answers: dict[str, Any] = {}
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline and len(answers) < 2:
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
                except TimeoutError:
                    continue
                answers.setdefault(message["id"], message)
            return every, answers.get("own"), answers.get("other")
        finally:
            await ws.close()

    # the subscription window opens when it starts: cancel the own order so an event comes
    every, own_first, other_first = asyncio.run(run())
    assert len(every) == 3
    assert {p[0]["extensions"]["code"] for p in every.values()} == {"FORBIDDEN"}
    # another channel's order is not revealed: the same answer as an id that does not exist
    assert other_first is not None and other_first["type"] in ("error", "next"), other_first
    errors = (
        other_first["payload"]
        if other_first["type"] == "error"
        else (other_first["payload"].get("errors"))
    )
    assert errors and "no order" in errors[0]["message"], other_first
    # its own order is accepted: no error came back for it within the window
    if own_first is not None:
        assert own_first["type"] == "next" and not own_first["payload"].get("errors"), own_first


def test_subscriptions_are_capped_per_connection_and_polls_are_shared(live: LiveServer) -> None:
    async def run() -> tuple[dict[str, Any], float, float]:
        idle_before = graph_reads(live)
        await asyncio.sleep(2.0)
        idle = graph_reads(live) - idle_before
        ws = await open_ws(live, "integration")
        try:
            refused = await subscribe_many(ws, 60)
            before = graph_reads(live)
            await asyncio.sleep(2.0)
            busy = graph_reads(live) - before
        finally:
            await ws.close()
        return refused, idle, busy

    refused, idle, busy = asyncio.run(run())
    assert len(refused) == 50  # 10 per connection
    codes = {p[0]["extensions"]["code"] for p in refused.values()}
    assert codes == {"TOO_MANY_SUBSCRIPTIONS"}
    # ten subscriptions add one poll loop (every 200 ms: ~10 reads in 2 s), not ten
    assert busy - idle <= 20, (busy, idle)


def test_subscriptions_are_capped_per_key(live: LiveServer) -> None:
    async def run() -> int:
        sockets = [await open_ws(live, "integration") for _ in range(6)]
        try:
            refused = 0
            for n, ws in enumerate(sockets):
                refused += len(await subscribe_many(ws, 10, start=n * 10))
            return refused
        finally:
            for ws in sockets:
                await ws.close()

    assert asyncio.run(run()) == 60 - 50  # 50 per key per server process
