"""API keys: create (shown once), verify (by hash, cached briefly), revoke."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ordergraph.domain.access import Principal, Role
from ordergraph.domain.errors import NotFound, ValidationError
from ordergraph.graph import apikeys as q
from ordergraph.graph.store import GraphStore, Row

PREFIX = "og_"
CACHE_SECONDS = 5.0  # a revoked key stops working within this long on every server


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_key(
    store: GraphStore,
    name: str,
    role: str,
    channels: Iterable[str] = (),
    locations: Iterable[str] = (),
) -> tuple[str, Row]:
    """A new key: the plaintext (returned once, never stored) and its record."""
    try:
        parsed = Role(role)
    except ValueError:
        raise ValidationError(
            f"role must be one of {', '.join(r.value for r in Role)}", field=("role",)
        ) from None
    if not name.strip() or len(name) > 100:
        raise ValidationError("name must be 1 to 100 characters", field=("name",))
    channels, locations = sorted(set(channels)), sorted(set(locations))
    if parsed == Role.STOREFRONT and not channels:
        raise ValidationError("a storefront key needs its channels", field=("channels",))
    if parsed == Role.PARTNER and not locations:
        raise ValidationError("a partner key needs its locations", field=("locations",))
    key = PREFIX + secrets.token_urlsafe(32)
    record = {
        "id": "key_" + secrets.token_hex(6),
        "name": name.strip(),
        "role": parsed.value,
        "channels": channels,
        "locations": locations,
        "hash": digest(key),
        "prefix": key[:10],
        "createdAt": datetime.now(UTC).isoformat(),
    }
    await q.create_key(store, record)
    return key, {k: v for k, v in record.items() if k != "hash"}


async def revoke_key(store: GraphStore, key_id: str) -> Row:
    row = await q.revoke_key(store, key_id, datetime.now(UTC).isoformat())
    if row is None:
        raise NotFound(f"no API key {key_id}", ("id",))
    return row


class KeyCache:
    """Verified keys for a few seconds, so that a request costs no extra graph read."""

    def __init__(self, store: GraphStore, ttl: float = CACHE_SECONDS) -> None:
        self.store, self.ttl = store, ttl
        self._seen: dict[str, tuple[float, Principal | None]] = {}

    async def principal(self, key: str) -> Principal | None:
        h = digest(key)
        now = time.monotonic()
        hit = self._seen.get(h)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        row = await q.key_by_hash(self.store, h)
        found = None if row is None or row.get("revokedAt") else to_principal(row)
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[h] = (now, found)
        return found


def to_principal(row: dict[str, Any]) -> Principal:
    return Principal(
        row["id"],
        Role(row["role"]),
        frozenset(row.get("channels") or ()),
        frozenset(row.get("locations") or ()),
    )
