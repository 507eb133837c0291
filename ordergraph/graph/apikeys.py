"""Cypher for API keys. Only a key's SHA-256 hash is stored; the key is shown once, at creation."""

from __future__ import annotations

from typing import Any

from ordergraph.graph.store import GraphStore, Row

KEY = "k {.id, .name, .role, .channels, .locations, .createdAt, .revokedAt, .prefix}"


async def create_key(store: GraphStore, props: dict[str, Any]) -> None:
    await store.write("CREATE (k:ApiKey) SET k += $props RETURN k.id AS id", {"props": props})


async def key_by_hash(store: GraphStore, digest: str) -> Row | None:
    rows = await store.read(f"MATCH (k:ApiKey {{hash: $h}}) RETURN {KEY} AS k", {"h": digest})
    return rows[0]["k"] if rows else None


async def revoke_key(store: GraphStore, key_id: str, at: str) -> Row | None:
    rows = await store.write(
        f"MATCH (k:ApiKey {{id: $id}}) SET k.revokedAt = coalesce(k.revokedAt, $at) RETURN {KEY} AS k",
        {"id": key_id, "at": at},
    )
    return rows[0]["k"] if rows else None


async def list_keys(store: GraphStore) -> list[Row]:
    return [
        r["k"] for r in await store.read(f"MATCH (k:ApiKey) RETURN {KEY} AS k ORDER BY k.createdAt")
    ]
