"""The MCP server in process, over the real engine, with API keys made as an admin makes them,
and the same questions asked through GraphQL (``Ask.gql``) to compare."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.types import CallToolResult

from ordergraph.app import create_app
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.mcp.guard import Deps
from ordergraph.mcp.server import build_server, key_caller
from ordergraph.services.apikeys import KeyCache, create_key
from ordergraph.services.budgets import Budgets
from ordergraph.services.tracking import ProofAttempts
from ordergraph.settings import Settings

# the tool names of the contract (API.md), written out: the tests check the server against them
TOOLS = {
    "find_products",
    "check_availability",
    "delivery_options",
    "order_status",
    "explain_routing",
    "cancel_order_lines",
    "change_pickup_store",
    "start_return",
}
KEYS: dict[str, dict[str, Any]] = {
    "storefront": {"role": "storefront", "channels": ["web"]},
    "storefront_amazon": {"role": "storefront", "channels": ["amazon"]},
    "partner": {"role": "partner", "locations": ["STORE-SF"]},
    "integration": {"role": "integration"},
    "admin": {"role": "admin"},
}


class Ask:
    """Tool calls through the SDK's client, one client per key, and GraphQL with the same key."""

    def __init__(self, store: FalkorStore, keys: dict[str, str], http: httpx.AsyncClient) -> None:
        self.store, self.keys, self.http = store, keys, http
        self.settings = Settings(auth=True)
        self.budgets = Budgets(lambda: store)
        self.cache = KeyCache(store)
        self.attempts = ProofAttempts()  # one per server process, as the app holds it

    def server(self, who: str) -> Any:
        caller = key_caller(self.cache, self.keys[who])
        deps = Deps(lambda: self.store, self.settings, self.budgets, caller, self.attempts)
        return build_server(deps)

    def client(self, who: str) -> Client:
        """A client to use in ``async with`` (in the test's own task)."""
        return Client(self.server(who))

    async def call(self, who: str, tool: str, **arguments: Any) -> CallToolResult:
        async with self.client(who) as client:
            return await client.call_tool(tool, arguments)

    async def ok(self, who: str, tool: str, **arguments: Any) -> dict[str, Any]:
        result = await self.call(who, tool, **arguments)
        assert not result.is_error, result.content
        assert result.structured_content is not None
        return result.structured_content

    async def refused(self, who: str, tool: str, **arguments: Any) -> dict[str, Any]:
        result = await self.call(who, tool, **arguments)
        assert result.is_error, result.structured_content
        assert result.structured_content is not None, result.content
        error: dict[str, Any] = result.structured_content["error"]
        return error

    async def gql(self, who: str, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.keys[who]}"},
        )
        body = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
async def ask(loaded: FalkorStore) -> AsyncIterator[Ask]:
    keys = {}
    for name, spec in KEYS.items():
        secret, _ = await create_key(
            loaded,
            f"test {name}",
            spec["role"],
            channels=spec.get("channels", ()),
            locations=spec.get("locations", ()),
        )
        keys[name] = secret
    app = create_app(Settings(auth=True), store=loaded)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test"
    ) as http:
        yield Ask(loaded, keys, http)
