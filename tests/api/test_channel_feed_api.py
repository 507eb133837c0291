"""Who may read ``channelAvailability``: admin and integration keys for any channel, a
storefront key only for its own channels, a partner key not at all."""

from __future__ import annotations

import httpx
import pytest

from ordergraph.app import create_app
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.apikeys import create_key
from ordergraph.settings import Settings

QUERY = """query($channel: ID!) { channelAvailability(channel: $channel, skus: ["SKU-2"]) {
  edges { node { sku available } } } }"""


@pytest.mark.parametrize(
    ("role", "scoped", "asked", "allowed"),
    [
        ("admin", [], "amazon", True),
        ("integration", [], "amazon", True),
        ("storefront", ["amazon"], "amazon", True),
        ("storefront", ["web"], "amazon", False),
        ("partner", ["DC-RENO"], "amazon", False),
    ],
)
async def test_who_may_read_a_channels_numbers(
    loaded: FalkorStore, role: str, scoped: list[str], asked: str, allowed: bool
) -> None:
    scope = {"locations": scoped} if role == "partner" else {"channels": scoped}
    key, _ = await create_key(loaded, "k", role, **scope)
    app = create_app(Settings(auth=True), store=loaded)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://t",
        headers={"Authorization": f"Bearer {key}"},
    ) as http:
        got = await http.post("/graphql", json={"query": QUERY, "variables": {"channel": asked}})
        body = got.json()
    if allowed:
        assert "errors" not in body, body
        assert body["data"]["channelAvailability"]["edges"][0]["node"]["sku"] == "SKU-2"
    else:
        assert body.get("errors"), body
        assert not (body.get("data") or {}).get("channelAvailability")
