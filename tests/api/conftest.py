"""Fixtures of the API tests that several files share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from ordergraph.app import create_app
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.http.ingest import ingest_routes
from ordergraph.services.apikeys import create_key
from ordergraph.settings import Settings


@pytest.fixture
async def http(loaded: FalkorStore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(env="production"), store=loaded)
    app.router.routes[0:0] = ingest_routes(app.state.ordergraph, secrets={})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test"
    ) as client:
        key, _ = await create_key(loaded, "erp", "integration")
        client.headers["Authorization"] = f"Bearer {key}"
        yield client
