"""The fast path of plain leaf fields (schema/execution.py) answers what graphql-core's own path
answers: the same data and the same errors, on documents over the real app and engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from ordergraph.app import create_app
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.schema.execution import FastLeaves, plain_leaf
from ordergraph.settings import Settings

DOCUMENTS = [
    (
        """{ availability(skus: ["SKU-1", "SKU-2"], near: {postalCode: "94107"}) {
      sku available preorder preorderDate locations {
        location { id name kind lat lon postalCode country timezone cutoff processingDays
                   handlingCost dailyCapacity tags shipFromStore pickup active acceptsReturns }
        onHand reserved available distanceKm damaged qualityControl preorder explanation } } }""",
        {},
    ),
    (
        """query($s: [ID!]!) { availability(skus: $s, channel: "amazon") {
      sku available locations { location { id } available explanation } } }""",
        {"s": ["SKU-3"]},
    ),
    ("""{ locations(first: 3) { edges { cursor node { id kind tags } } } }""", {}),
    ("""{ sku(id: "SKU-1") { id name weightKg tags } a: sku(id: "NOPE") { id } }""", {}),
    ("""{ availability(skus: ["NOPE"]) { sku } }""", {}),  # an error, as data and errors
]


@pytest.fixture
async def both(loaded: FalkorStore) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(Settings(auth=False), store=loaded)
    [graphql] = [r.endpoint.app for r in app.routes if getattr(r, "path", "") == "/graphql"][:1]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test"
    ) as http:
        yield http, graphql.schema


async def answer(http: httpx.AsyncClient, document: str, variables: dict[str, Any]) -> Any:
    response = await http.post("/graphql", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    body.pop("extensions", None)  # the cost budget left, which each request spends
    return body


@pytest.mark.parametrize(("document", "variables"), DOCUMENTS)
async def test_the_fast_path_answers_what_graphql_core_answers(
    both: tuple[httpx.AsyncClient, Any], document: str, variables: dict[str, Any]
) -> None:
    http, schema = both
    assert schema.execution_context_class is FastLeaves
    fast = await answer(http, document, variables)
    schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    try:
        plain = await answer(http, document, variables)
    finally:
        schema.execution_context_class = FastLeaves
    assert fast == plain
    assert fast.get("data") or fast.get("errors")


def test_only_plain_leaves_take_the_fast_path(both: tuple[httpx.AsyncClient, Any]) -> None:
    _, schema = both
    types = schema._schema.type_map
    location_availability = types["LocationAvailability"].fields
    assert plain_leaf(location_availability["onHand"]) is not None
    assert plain_leaf(location_availability["distanceKm"]) is not None
    assert plain_leaf(location_availability["explanation"]) is None  # a resolver
    assert plain_leaf(location_availability["location"]) is None  # an object
    assert plain_leaf(types["Location"].fields["tags"]) is None  # a list
    assert plain_leaf(types["Location"].fields["kind"]) is not None  # an enum
    assert plain_leaf(types["Query"].fields["availability"]) is None
