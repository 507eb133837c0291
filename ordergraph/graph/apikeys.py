"""Cypher for API keys. Only a key's SHA-256 hash is stored; the key is shown once, at creation."""

from __future__ import annotations

from ordergraph.graph.records.apikeys import ApiKeyRecord
from ordergraph.graph.store import GraphStore

KEY = (
    "k {.id, .name, .role, .channels, .locations, .createdAt, .revokedAt, .prefix,"
    " .budgetCapacity, .budgetRestore}"
)


async def create_key(store: GraphStore, record: ApiKeyRecord, digest: str) -> None:
    await store.write(
        "CREATE (k:ApiKey) SET k += $props RETURN k.id AS id",
        {"props": record.to_params() | {"hash": digest}},
    )


async def key_by_hash(store: GraphStore, digest: str) -> ApiKeyRecord | None:
    rows = await store.read(f"MATCH (k:ApiKey {{hash: $h}}) RETURN {KEY} AS k", {"h": digest})
    return ApiKeyRecord.from_row(rows[0]["k"]) if rows else None


async def key_by_id(store: GraphStore, key_id: str) -> ApiKeyRecord | None:
    rows = await store.read(f"MATCH (k:ApiKey {{id: $id}}) RETURN {KEY} AS k", {"id": key_id})
    return ApiKeyRecord.from_row(rows[0]["k"]) if rows else None


async def revoke_key(store: GraphStore, key_id: str, at: str) -> ApiKeyRecord | None:
    rows = await store.write(
        "MATCH (k:ApiKey {id: $id}) "
        f"SET k.revokedAt = coalesce(k.revokedAt, $at) RETURN {KEY} AS k",
        {"id": key_id, "at": at},
    )
    return ApiKeyRecord.from_row(rows[0]["k"]) if rows else None


async def list_keys(store: GraphStore) -> list[ApiKeyRecord]:
    return [
        ApiKeyRecord.from_row(r["k"])
        for r in await store.read(f"MATCH (k:ApiKey) RETURN {KEY} AS k ORDER BY k.createdAt")
    ]


async def known_scope(
    store: GraphStore, channels: list[str], locations: list[str]
) -> tuple[list[str], list[str]]:
    """Which of these channels and locations exist (for checking a new key's scope)."""
    rows = await store.read(
        "OPTIONAL MATCH (c:Channel) WHERE c.id IN $channels WITH collect(c.id) AS cs "
        "OPTIONAL MATCH (l:Location) WHERE l.id IN $locations "
        "RETURN cs AS channels, collect(l.id) AS locations",
        {"channels": channels, "locations": locations},
    )
    row = rows[0] if rows else {}
    return list(row.get("channels") or []), list(row.get("locations") or [])
