"""An action's idempotency key as stored: ``(:ActionKey {id, tool, digest, claim, result})``.

``id`` joins the API key's id and the caller's idempotency key; ``digest`` is the SHA-256 of the
tool and its arguments; ``result`` the action's answer (JSON, through ``codec``) once it is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ordergraph.graph.records import codec

ACTION_KEY = "ActionKey"


@dataclass(frozen=True, slots=True)
class ActionKeyRecord:
    id: str
    tool: str
    digest: str
    claim: str
    result: Mapping[str, Any] | None  # None while the first call is still running

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ActionKeyRecord:
        result = codec.decode(row.get("result"), ACTION_KEY, row["id"], "result")
        if result is not None and not isinstance(result, Mapping):
            raise codec.CorruptProperty(ACTION_KEY, row["id"], "result", "not a JSON map")
        return cls(
            id=row["id"],
            tool=str(row.get("tool") or ""),
            digest=str(row.get("digest") or ""),
            claim=str(row.get("claim") or ""),
            result=result,
        )


def result_param(result: Mapping[str, Any]) -> str:
    return codec.encode(dict(result))
