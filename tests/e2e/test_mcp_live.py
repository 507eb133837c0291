"""The MCP server as users reach it: over streamable HTTP at /mcp of a real ``ordergraph serve``
(bearer keys of every role, tests/live.py), and over stdio (``ordergraph mcp`` as a subprocess
over the same graph), with the SDK's own client; answers compared with GraphQL's; the scripted
shopper conversation; refusals at the HTTP edge."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Any

import httpx
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from tests.live import LiveServer
from tests.mcp.conftest import TOOLS

AVAILABILITY = """query($skus: [ID!]!, $near: NearInput) { availability(skus: $skus, near: $near) {
  sku available locations { location { id } available distanceKm } } }"""
CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id status fulfillments { id } } userErrors { code message } } }"""
ORDER = """query($id: ID!) { order(id: $id) { id status promisedBy
  fulfillments { id status location { id } trackingNumber } } }"""
STEP = """mutation($id: ID!) {{ {name}(input: {{fulfillmentId: $id{extra}}}) {{
  userErrors {{ code message }} }} }}"""
SHIP_TO = {"name": "Ada", "line1": "1 Main St", "postalCode": "94107", "country": "US"}


@asynccontextmanager
async def over_http(live: LiveServer, role: str | None) -> AsyncIterator[Client]:
    headers = live.headers(role)
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(f"{live.url}/mcp", http_client=http)) as client,
    ):
        yield client


def over_stdio(live: LiveServer, role: str) -> Client:
    env = {
        **os.environ,
        "ORDERGRAPH_FALKORDB_URL": live.engine_url,
        "ORDERGRAPH_GRAPH": live.graph,
        "ORDERGRAPH_MCP_KEY": live.keys[role],
    }
    return Client(
        StdioServerParameters(command=sys.executable, args=["-m", "ordergraph.cli", "mcp"], env=env)
    )


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def gql(live: LiveServer, role: str, document: str, **variables: Any) -> dict[str, Any]:
    body = live.gql(role, document, **variables).json()
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]
    return found


async def test_over_http_a_storefront_lists_the_tools_and_availability_matches_graphql(
    live: LiveServer,
) -> None:
    async with over_http(live, "storefront") as client:
        assert {t.name for t in (await client.list_tools()).tools} == TOOLS
        told = data(
            await client.call_tool(
                "check_availability", {"skus": ["SKU-1"], "near": {"postal_code": "94107"}}
            )
        )
    graph = gql(live, "storefront", AVAILABILITY, skus=["SKU-1"], near={"postalCode": "94107"})
    (item,) = told["items"]
    (same,) = graph["availability"]
    assert item["available_total"] == same["available"]
    assert item["pickup_stores"][0]["location"] == same["locations"][0]["location"]["id"]


async def test_over_http_every_call_needs_a_good_key(live: LiveServer) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    for headers in ({}, {"Authorization": "Bearer og_not_a_key"}):
        response = httpx.post(
            f"{live.url}/mcp",
            json=body,
            headers={**headers, "Accept": "application/json, text/event-stream"},
        )
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_over_http_a_partner_key_may_not_act_for_a_shopper(live: LiveServer) -> None:
    async with over_http(live, "partner") as client:
        result = await client.call_tool(
            "cancel_order_lines", {"order_id": "OG-X", "idempotency_key": "k-000001"}
        )
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["error"]["code"] == "FORBIDDEN"


async def test_over_stdio_ordergraph_mcp_answers_as_graphql(live: LiveServer) -> None:
    async with over_stdio(live, "storefront") as client:
        assert {t.name for t in (await client.list_tools()).tools} == TOOLS
        found = data(await client.call_tool("find_products", {"query": "trail boots"}))
        told = data(await client.call_tool("check_availability", {"skus": ["SKU-2"]}))
    assert found["products"][0]["sku"] == "SKU-2"
    graph = gql(live, "storefront", AVAILABILITY, skus=["SKU-2"])
    assert told["items"][0]["available_total"] == graph["availability"][0]["available"]


async def test_ordergraph_mcp_refuses_to_start_without_a_good_key(live: LiveServer) -> None:
    import subprocess

    env = {
        **os.environ,
        "ORDERGRAPH_FALKORDB_URL": live.engine_url,
        "ORDERGRAPH_GRAPH": live.graph,
        "ORDERGRAPH_MCP_KEY": "og_revoked_or_made_up",
    }
    done = subprocess.run(
        [sys.executable, "-m", "ordergraph.cli", "mcp"],
        env=env,
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2 and b"unknown or revoked API key" in done.stderr
    assert done.stdout == b""


async def test_a_scripted_shopper_conversation_over_http(live: LiveServer) -> None:
    """Find by words, ask near a ZIP, ask for a date, order (GraphQL), ask where it is, return."""
    async with over_http(live, "storefront") as shop:
        # "do you have merino socks?"
        found = data(await shop.call_tool("find_products", {"query": "merino socks"}))
        sku = found["products"][0]["sku"]
        assert sku == "SKU-1"
        # "can I get them near 94107?"
        near = data(
            await shop.call_tool(
                "check_availability", {"skus": [sku], "near": {"postal_code": "94107"}}
            )
        )
        assert near["items"][0]["status"] == "in_stock" and near["items"][0]["available"] > 0
        # "can I get them by Friday next week?"
        today = date.today()
        friday = today + timedelta(days=(4 - today.weekday()) % 7 + 7)
        options = data(
            await shop.call_tool(
                "delivery_options",
                {
                    "lines": [{"sku": sku, "quantity": 1}],
                    "ship_to": {"postal_code": "94107", "country": "US"},
                    "channel": "web",
                    "wanted_by": friday.isoformat(),
                },
            )
        )
        ship = [o for o in options["options"] if o["kind"] == "SHIP"]
        assert ship
        for option in ship:
            assert option["in_time"] is (date.fromisoformat(option["delivery_by"]) <= friday)
        assert any(o["in_time"] for o in ship)  # a business week is enough from Reno to SF
        # the storefront places the order through GraphQL, as it does today
        placed = gql(
            live,
            "storefront",
            CREATE,
            input={"channel": "web", "lines": [{"sku": sku, "quantity": 1}], "shipTo": SHIP_TO},
        )["orderCreate"]
        assert placed["userErrors"] == []
        order_id = placed["order"]["id"]
        # the warehouse ships and the carrier delivers (integration key, GraphQL)
        for f in placed["order"]["fulfillments"]:
            for name, extra in (
                ("fulfillmentRelease", ""),
                ("fulfillmentShip", ', trackingNumber: "1Z42"'),
                ("fulfillmentDeliver", ""),
            ):
                step = gql(live, "integration", STEP.format(name=name, extra=extra), id=f["id"])
                assert step[name]["userErrors"] == []
        # "where is my order?": first without proof, then with the postal code
        refused = await shop.call_tool("order_status", {"order_id": order_id})
        assert refused.is_error
        status = data(
            await shop.call_tool(
                "order_status", {"order_id": order_id, "verification": {"postal_code": "94107"}}
            )
        )
        graph = gql(live, "storefront", ORDER, id=order_id)["order"]
        assert status["status"] == graph["status"] == "DELIVERED"
        assert [s["tracking_number"] for s in status["shipments"]] == [
            f["trackingNumber"] for f in graph["fulfillments"]
        ]
        assert any("1Z42" in line for line in status["explanation"])
        # "I want to return it"
        key = str(uuid.uuid4())
        args = {
            "order_id": order_id,
            "lines": [{"sku": sku, "quantity": 1}],
            "reason": "wrong size",
            "verification": {"postal_code": "94107"},
            "idempotency_key": key,
        }
        started = data(await shop.call_tool("start_return", args))
        assert started["return_id"].startswith("RT-") and started["return_location"]
        # a retry (lost answer) gets the same return, not a second one
        again = data(await shop.call_tool("start_return", args))
        assert again["return_id"] == started["return_id"] and again["replayed"] is True
        tampered = await shop.call_tool("start_return", {**args, "reason": "changed my mind"})
        assert tampered.is_error and tampered.structured_content is not None
        assert tampered.structured_content["error"]["code"] == "CONFLICT"


KEY_CREATE = """mutation($input: ApiKeyCreateInput!) { apiKeyCreate(input: $input) {
  key userErrors { code message } } }"""


async def test_over_http_a_burst_past_the_keys_budget_is_throttled_and_shared_with_graphql(
    live: LiveServer,
) -> None:
    made = gql(
        live,
        "admin",
        KEY_CREATE,
        input={
            "name": "tiny shop bot",
            "role": "storefront",
            "channels": ["web"],
            "budget": {"maximumAvailable": 60, "restoreRate": 1},
        },
    )["apiKeyCreate"]
    assert made["userErrors"] == []
    live.keys["tiny"] = made["key"]
    async with over_http(live, "tiny") as client:
        answers = [await client.call_tool("find_products", {"query": "socks"}) for _ in range(10)]
    codes = [
        a.structured_content["error"]["code"] if a.is_error and a.structured_content else None
        for a in answers
    ]
    assert codes[0] is None and "THROTTLED" in codes
    assert codes.count(None) <= 6  # 60 points, 10 a call, 1 point a second back
    # the same bucket as /graphql: the key's GraphQL is throttled too
    body = live.gql("tiny", AVAILABILITY, skus=["SKU-1"]).json()
    assert body["errors"][0]["extensions"]["code"] in ("THROTTLED", "MAX_COST_EXCEEDED")


async def test_hostile_bodies_to_mcp_get_clear_refusals_and_no_traceback(live: LiveServer) -> None:
    headers = {
        **live.headers("storefront"),
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
    }
    call = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"%s","arguments":%s}}'
    for body, status in (
        (b"\x00\xff" * 1000 + b"[" * 5000, 400),
        (b"[" * 10000 + b"]" * 10000, 400),
        (b"", 400),
        (b"x" * (2 << 20), 413),
        ((call % ("nope", "{}")).encode(), 200),
        ((call % ("find_products", '{"query": 123}')).encode(), 200),
        ((call % ("find_products", '{"query": "a\\u0000b"}')).encode(), 200),
        ((call % ("check_availability", '{"skus": ["S"], "near": {"lat": 1e400}}')).encode(), 200),
    ):
        response = httpx.post(f"{live.url}/mcp", content=body, headers=headers, timeout=30)
        assert response.status_code == status, (body[:80], response.text[:300])
        if status == 200:
            assert response.json()["result"]["isError"] is True
    for method in ("GET", "DELETE"):
        assert httpx.request(method, f"{live.url}/mcp", headers=headers).status_code == 405
    assert "Traceback" not in live.log()


ROUTING = """query($id: ID!) { order(id: $id) { status pickupAt { id }
  routing { explanation shipments { location { id } } } lines { sku cancelled } } }"""


async def test_over_http_the_other_tools_answer_as_graphql(live: LiveServer) -> None:
    placed = gql(
        live,
        "storefront",
        CREATE,
        input={"channel": "web", "lines": [{"sku": "SKU-1", "quantity": 2}], "shipTo": SHIP_TO},
    )["orderCreate"]
    order_id = placed["order"]["id"]
    pickup = gql(
        live,
        "storefront",
        CREATE,
        input={
            "channel": "web",
            "lines": [{"sku": "SKU-1", "quantity": 1}],
            "pickupAt": "STORE-SF",
        },
    )["orderCreate"]["order"]["id"]
    proof = {"postal_code": "94107"}
    async with over_http(live, "storefront") as shop:
        told = data(
            await shop.call_tool("explain_routing", {"order_id": order_id, "verification": proof})
        )
        cancelled = data(
            await shop.call_tool(
                "cancel_order_lines",
                {
                    "order_id": order_id,
                    "lines": [{"sku": "SKU-1", "quantity": 1}],
                    "verification": proof,
                    "idempotency_key": str(uuid.uuid4()),
                },
            )
        )
    graph = gql(live, "storefront", ROUTING, id=order_id)["order"]
    assert told["explanation"] == graph["routing"]["explanation"]
    assert cancelled["cancelled"] == [{"sku": "SKU-1", "quantity": 1}]
    assert graph["lines"] == [{"sku": "SKU-1", "cancelled": 1}]
    async with over_http(live, "integration") as desk:
        moved = data(
            await desk.call_tool(
                "change_pickup_store",
                {
                    "order_id": pickup,
                    "store": "STORE-OAKLAND",
                    "idempotency_key": str(uuid.uuid4()),
                },
            )
        )
    assert moved["pickup_at"] == "STORE-OAKLAND"
    assert (
        gql(live, "integration", ROUTING, id=pickup)["order"]["pickupAt"]["id"] == "STORE-OAKLAND"
    )
