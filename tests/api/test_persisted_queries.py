"""Trusted documents: Apollo's automatic persisted queries (by hash, GET and POST), the analysis
cache a repeated document hits, and the production allow-list (http/documents.py)."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from ordergraph.app import create_app
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.http.documents import NOT_FOUND, read_allow_list, sha256
from ordergraph.schema import guard
from ordergraph.services.apikeys import create_key
from ordergraph.settings import Settings

QUERY = '{ availability(skus: ["SKU-1", "SKU-2"]) { sku available locations { available } } }'
WITH_VARIABLES = "query($s: [ID!]!) { availability(skus: $s) { sku available } }"


def persisted(digest: str, query: str | None = None, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
        "variables": variables,
    }
    if query is not None:
        body["query"] = query
    return body


async def client_for(
    store: FalkorStore, settings: Settings, budget: tuple[int, int] | None = None
) -> httpx.AsyncClient:
    app = create_app(settings, store=store)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test"
    )
    key, _ = await create_key(store, "shop", "storefront", channels=["web"], budget=budget)
    client.headers["Authorization"] = f"Bearer {key}"
    return client


@pytest.fixture
async def http(loaded: FalkorStore) -> AsyncIterator[httpx.AsyncClient]:
    async with await client_for(loaded, Settings(env="production")) as client:
        yield client


async def test_an_unknown_hash_is_not_found_then_the_query_registers_it(
    http: httpx.AsyncClient,
) -> None:
    digest = sha256(QUERY)
    missing = await http.post("/graphql", json=persisted(digest))
    assert missing.status_code == 200
    assert missing.json()["errors"] == [
        {"message": NOT_FOUND, "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
    first = await http.post("/graphql", json=persisted(digest, QUERY))
    assert first.status_code == 200 and "errors" not in first.json(), first.text
    by_hash = await http.post("/graphql", json=persisted(digest))
    assert by_hash.status_code == 200, by_hash.text
    assert by_hash.json()["data"] == first.json()["data"]
    extensions = orjson.dumps(persisted(digest)["extensions"]).decode()
    got = await http.get("/graphql", params={"extensions": extensions})
    assert got.status_code == 200, got.text
    assert got.json()["data"] == first.json()["data"]


async def test_variables_go_with_a_persisted_document(http: httpx.AsyncClient) -> None:
    digest = sha256(WITH_VARIABLES)
    await http.post("/graphql", json=persisted(digest, WITH_VARIABLES, s=["SKU-1"]))
    one = (await http.post("/graphql", json=persisted(digest, s=["SKU-1"]))).json()
    two = (await http.post("/graphql", json=persisted(digest, s=["SKU-1", "SKU-2"]))).json()
    assert [row["sku"] for row in one["data"]["availability"]] == ["SKU-1"]
    assert [row["sku"] for row in two["data"]["availability"]] == ["SKU-1", "SKU-2"]
    # the cost follows the variables: it is not cached from the first request
    assert (
        two["extensions"]["cost"]["requestedQueryCost"]
        == 2 * one["extensions"]["cost"]["requestedQueryCost"]
    )


async def test_a_hash_that_is_not_the_documents_is_refused_and_not_registered(
    http: httpx.AsyncClient,
) -> None:
    other = sha256(QUERY + " ")
    wrong = await http.post("/graphql", json=persisted(other, QUERY))
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    after = await http.post("/graphql", json=persisted(other))
    assert after.json()["errors"][0]["message"] == NOT_FOUND
    for bad in ({"version": 2, "sha256Hash": other}, {"version": 1, "sha256Hash": "abc"}, "x"):
        body = {"query": QUERY, "extensions": {"persistedQuery": bad}}
        refused = await http.post("/graphql", json=body)
        assert refused.status_code == 400 and "data" not in refused.json(), refused.text


async def test_the_guard_still_refuses_a_persisted_document_over_its_limits(
    http: httpx.AsyncClient, loaded: FalkorStore
) -> None:
    deep = "{ orders { nodes { " + "returns { order { " * 6 + "id" + " } }" * 6 + " } } }"
    digest = sha256(deep)
    for body in (persisted(digest, deep), persisted(digest), persisted(digest)):
        answer = (await http.post("/graphql", json=body)).json()
        assert answer.get("data") is None
        assert answer["errors"][0]["extensions"]["code"] == "MAX_DEPTH_EXCEEDED", answer
    costly = "{ orders(first: 100) { nodes { lines { sku } fulfillments { id } } } }"
    wide = "{ " + " ".join(f"a{i}: {costly[2:-2]}" for i in range(3)) + " }"
    settings = Settings(env="production", max_query_cost=100)
    async with await client_for(loaded, settings) as small:
        for body in (persisted(sha256(wide), wide), persisted(sha256(wide))):
            answer = (await small.post("/graphql", json=body)).json()
            assert answer["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED", answer


async def test_a_repeated_document_is_measured_and_validated_once_and_still_charged(
    loaded: FalkorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    shape, validate = guard.shape_problem, guard._validate

    def counted_shape(*args: Any) -> Any:
        calls.append("shape")
        return shape(*args)

    def counted_validate(*args: Any) -> Any:
        calls.append("validate")
        return validate(*args)

    monkeypatch.setattr(guard, "shape_problem", counted_shape)
    monkeypatch.setattr(guard, "_validate", counted_validate)
    document = QUERY.replace("available locations", "available  locations")  # new to the caches
    digest = sha256(document)
    async with await client_for(loaded, Settings(env="production"), budget=(1000, 1)) as http:
        first = (await http.post("/graphql", json=persisted(digest, document))).json()
        left = [first["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]]
        for _ in range(3):
            again = (await http.post("/graphql", json=persisted(digest))).json()
            assert again["data"] == first["data"]
            cost = again["extensions"]["cost"]
            assert cost["requestedQueryCost"] == first["extensions"]["cost"]["requestedQueryCost"]
            left.append(cost["throttleStatus"]["currentlyAvailable"])
    assert calls == ["shape", "validate"]  # the first request only
    actual = first["extensions"]["cost"]["actualQueryCost"]
    assert actual > 0
    for before, after in itertools.pairwise(left):
        assert after <= before - actual + 1  # every repeat is charged (1 point/s may refill)


def manifest(tmp_path: Path, *documents: str) -> Path:
    path = tmp_path / "trusted.json"
    operations = [{"id": sha256(d), "body": d, "name": None, "type": "query"} for d in documents]
    path.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
        )
    )
    return path


async def test_in_production_an_allow_list_runs_only_its_documents(
    loaded: FalkorStore, tmp_path: Path
) -> None:
    settings = Settings(env="production", trusted_documents=manifest(tmp_path, QUERY))
    async with await client_for(loaded, settings) as http:
        by_hash = await http.post("/graphql", json=persisted(sha256(QUERY)))
        assert by_hash.status_code == 200 and by_hash.json()["data"]["availability"]
        whole = await http.post("/graphql", json={"query": QUERY})
        assert whole.status_code == 200 and "errors" not in whole.json()
        for body in (
            {"query": "{ __typename }"},
            persisted(sha256(WITH_VARIABLES), WITH_VARIABLES),
        ):
            refused = await http.post("/graphql", json=body)
            assert refused.status_code == 400
            assert refused.json()["errors"][0]["extensions"]["code"] == (
                "PERSISTED_QUERY_NOT_ALLOWED"
            )
        unknown = await http.post("/graphql", json=persisted(sha256(WITH_VARIABLES)))
        assert unknown.json()["errors"][0]["message"] == NOT_FOUND


async def test_in_development_the_allow_list_is_known_and_other_documents_still_run(
    loaded: FalkorStore, tmp_path: Path
) -> None:
    settings = Settings(env="development", trusted_documents=manifest(tmp_path, QUERY))
    async with await client_for(loaded, settings) as http:
        assert (await http.post("/graphql", json=persisted(sha256(QUERY)))).json()["data"]
        assert (await http.post("/graphql", json={"query": "{ __typename }"})).json()["data"]


def test_an_allow_list_whose_ids_are_not_the_hashes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({sha256("{ a }"): "{ b }"}))
    with pytest.raises(ValueError, match="not the SHA-256"):
        read_allow_list(path)
    assert read_allow_list(manifest(tmp_path, QUERY)) == {sha256(QUERY): QUERY}
