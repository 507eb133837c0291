"""The same store contract on Neo4j, when a server is given (it cannot be installed here)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from ordergraph.graph.neo4j import Neo4jStore
from ordergraph.services.availability import availability
from ordergraph.services.network import load_network

URI = os.environ.get("ORDERGRAPH_TEST_NEO4J_URI")
pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.skipif(
        not URI, reason="Neo4j tests need ORDERGRAPH_TEST_NEO4J_URI (and _USER, _PASSWORD); not set"
    ),
]


async def test_a_network_loads_and_answers_availability_on_neo4j(
    network_doc: dict[str, Any],
) -> None:
    store = Neo4jStore(
        URI or "",
        os.environ.get("ORDERGRAPH_TEST_NEO4J_USER", "neo4j"),
        os.environ.get("ORDERGRAPH_TEST_NEO4J_PASSWORD", ""),
        os.environ.get("ORDERGRAPH_TEST_NEO4J_DATABASE", "neo4j"),
    )
    try:
        await store.drop()
        await store.migrate()
        await load_network(store, network_doc)
        await load_network(store, network_doc)
        (item,) = await availability(store, ["SKU-1"])
        assert item.available == 38 + 95 + 5 + 3 + 8
    finally:
        await store.drop()
        await store.close()
