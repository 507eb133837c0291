"""Cypher for idempotency keys of actions (services/idempotency.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ordergraph.graph.records.actions import ActionKeyRecord, result_param
from ordergraph.graph.store import GraphStore

ACTION = "a {.id, .tool, .digest, .claim, .result}"


async def claim(
    store: GraphStore, key: str, tool: str, digest: str, claim_id: str, at: str
) -> ActionKeyRecord:
    """The key's record; created with ``claim_id`` if it is new (one statement: of racing
    callers, exactly one creates it and sees its own claim)."""
    rows = await store.write(
        "MERGE (a:ActionKey {id: $id}) ON CREATE SET a.tool = $tool, a.digest = $digest, "
        f"a.claim = $claim, a.createdAt = $at RETURN {ACTION} AS a",
        {"id": key, "tool": tool, "digest": digest, "claim": claim_id, "at": at},
    )
    return ActionKeyRecord.from_row(rows[0]["a"])


async def finish(store: GraphStore, key: str, claim_id: str, result: Mapping[str, Any]) -> None:
    await store.write(
        "MATCH (a:ActionKey {id: $id}) WHERE a.claim = $claim SET a.result = $result "
        "RETURN a.id AS id",
        {"id": key, "claim": claim_id, "result": result_param(result)},
    )


async def release(store: GraphStore, key: str, claim_id: str) -> None:
    """Forget a claim whose action did nothing (refused or failed): the key may be used again."""
    await store.write(
        "MATCH (a:ActionKey {id: $id}) WHERE a.claim = $claim AND a.result IS NULL DELETE a",
        {"id": key, "claim": claim_id},
    )
