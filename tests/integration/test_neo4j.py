"""The same store contract on Neo4j, when a server is given (it cannot be installed here)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ordergraph.graph.neo4j import Neo4jStore
from ordergraph.services.availability import availability
from ordergraph.services.network import load_network
from tests.integration.test_channel_atp_orders import three_channels_race_keeping_every_rule

URI = os.environ.get("ORDERGRAPH_TEST_NEO4J_URI")
pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.skipif(
        not URI, reason="Neo4j tests need ORDERGRAPH_TEST_NEO4J_URI (and _USER, _PASSWORD); not set"
    ),
]


@pytest.fixture
async def neo4j() -> AsyncIterator[Neo4jStore]:
    """An emptied, migrated Neo4j database; emptied again afterwards."""
    store = Neo4jStore(
        URI or "",
        os.environ.get("ORDERGRAPH_TEST_NEO4J_USER", "neo4j"),
        os.environ.get("ORDERGRAPH_TEST_NEO4J_PASSWORD", ""),
        os.environ.get("ORDERGRAPH_TEST_NEO4J_DATABASE", "neo4j"),
    )
    try:
        await store.drop()
        await store.migrate()
        yield store
    finally:
        await store.drop()
        await store.close()


async def test_a_network_loads_and_answers_availability_on_neo4j(
    neo4j: Neo4jStore, network_doc: dict[str, Any]
) -> None:
    await load_network(neo4j, network_doc)
    await load_network(neo4j, network_doc)
    (item,) = await availability(neo4j, ["SKU-1"])
    assert item.available == 38 + 95 + 5 + 3 + 8


async def test_three_channels_racing_keep_every_rule_on_neo4j(neo4j: Neo4jStore) -> None:
    """The channel ATP race of test_channel_atp_orders.py: on Neo4j (read committed), the
    reservation statement's write lock is what keeps two channels from one unit."""
    await three_channels_race_keeping_every_rule(neo4j)
