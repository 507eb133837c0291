"""The committed SDL is what the code serves: clients diff it, so it must not drift."""

from __future__ import annotations

from pathlib import Path

from ordergraph.resolvers.root import schema

SDL = Path(__file__).parents[2] / "schema.graphql"


def test_schema_graphql_matches_the_code() -> None:
    assert SDL.read_text() == schema().as_str() + "\n", (
        "schema.graphql is stale: run `ordergraph export-schema` and commit the result"
    )


def test_the_contract_names_of_api_md_are_present() -> None:
    sdl = SDL.read_text()
    for name in (
        "availability(skus: [ID!]!, channel: ID = null, near: NearInput = null, radiusKm: Float = null): [SkuAvailability!]!",
        "locations(first: Int = 50, after: String = null, kind: LocationKind = null): LocationConnection!",
        "inventorySet(input: InventorySetInput!): InventorySetPayload!",
        "inventoryAdjust(input: InventoryAdjustInput!): InventoryAdjustPayload!",
        "locationUpsert(input: LocationInput!): LocationUpsertPayload!",
    ):
        assert name in sdl, name
