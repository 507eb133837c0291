"""The record of an API key (``:ApiKey``). The key's hash is written, never read back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ordergraph.domain.access import Principal, Role


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: str
    name: str
    role: Role
    channels: tuple[str, ...]
    locations: tuple[str, ...]
    prefix: str  # the key's first characters, to recognise it
    created_at: datetime
    revoked_at: datetime | None = None
    budget: tuple[int, int] | None = None  # its own (bucket size, restore/s); None: its role's

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ApiKeyRecord:
        capacity, restore = row.get("budgetCapacity"), row.get("budgetRestore")
        revoked = row.get("revokedAt")
        return cls(
            id=row["id"],
            name=row["name"],
            role=Role(row["role"]),
            channels=tuple(row.get("channels") or ()),
            locations=tuple(row.get("locations") or ()),
            prefix=row.get("prefix") or "",
            created_at=datetime.fromisoformat(row["createdAt"]),
            revoked_at=datetime.fromisoformat(revoked) if revoked else None,
            budget=(int(capacity), int(restore)) if capacity and restore else None,
        )

    def to_params(self) -> dict[str, Any]:
        """The properties to store (without the hash, which ``graph.apikeys`` adds)."""
        props: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "channels": list(self.channels),
            "locations": list(self.locations),
            "prefix": self.prefix,
            "createdAt": self.created_at.isoformat(),
        }
        if self.revoked_at is not None:
            props["revokedAt"] = self.revoked_at.isoformat()
        if self.budget is not None:
            props["budgetCapacity"], props["budgetRestore"] = self.budget
        return props

    def principal(self) -> Principal:
        """The caller this key makes."""
        return Principal(
            self.id, self.role, frozenset(self.channels), frozenset(self.locations), self.budget
        )
