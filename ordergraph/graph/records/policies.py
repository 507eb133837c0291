"""The records of routing policies (docs/routing-policies.md).

``(:RoutingPolicy {key, id, version, state, channels, body, digest, createdAt, createdBy,
activatedAt, activatedBy, forced, retiredAt})``: one immutable version of a policy document
(``key`` = ``id|version``); only ``state`` and the dates of its moves change. ``body`` is the
normalised document as JSON text. ``(:RoutingPolicyHead {id, latest, eventSeq})`` counts the
versions of one id and carries its events: ``(:RoutingPolicyHead)-[:HAS_EVENT]->(:Event)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ordergraph.graph.records import codec

__all__ = ["FIELDS", "RoutingPolicyRecord"]

LABEL = "RoutingPolicy"
FIELDS = (
    "id",
    "version",
    "state",
    "channels",
    "body",
    "digest",
    "createdAt",
    "createdBy",
    "activatedAt",
    "activatedBy",
    "forced",
    "retiredAt",
)


def _instant(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class RoutingPolicyRecord:
    id: str
    version: int
    state: str  # DRAFT, ACTIVE or RETIRED
    channels: tuple[str, ...]
    body: Mapping[str, Any]  # the normalised document (``documents.parse_policy`` reads it)
    digest: str
    created_at: datetime | None
    created_by: str | None = None
    activated_at: datetime | None = None
    activated_by: str | None = None
    forced: bool = False
    retired_at: datetime | None = None
    shipped: bool = False  # one of the four documents in code, never stored

    @property
    def key(self) -> str:
        return f"{self.id}|{self.version}"

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RoutingPolicyRecord:
        key = f"{row['id']}|{row['version']}"
        body = codec.decode(row.get("body"), LABEL, key, "body", default={})
        if not isinstance(body, Mapping):
            raise codec.CorruptProperty(LABEL, key, "body", "not a JSON object")
        return cls(
            id=str(row["id"]),
            version=int(row["version"]),
            state=str(row["state"]),
            channels=tuple(str(c) for c in row.get("channels") or ()),
            body=body,
            digest=str(row.get("digest") or ""),
            created_at=_instant(row.get("createdAt")),
            created_by=row.get("createdBy"),
            activated_at=_instant(row.get("activatedAt")),
            activated_by=row.get("activatedBy"),
            forced=bool(row.get("forced")),
            retired_at=_instant(row.get("retiredAt")),
        )

    def to_params(self) -> dict[str, Any]:
        """The properties of a new version (``version`` is the statement's to set)."""
        return {
            "id": self.id,
            "state": self.state,
            "channels": list(self.channels),
            "body": codec.encode(dict(self.body)),
            "digest": self.digest,
            "createdAt": None if self.created_at is None else self.created_at.isoformat(),
            "createdBy": self.created_by,
        }
