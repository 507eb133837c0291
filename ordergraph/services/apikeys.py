"""API keys: create (shown once), verify (by hash, cached briefly), revoke."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from ordergraph.domain.access import Principal, Role
from ordergraph.domain.errors import ErrorCode, NotFound, ValidationError
from ordergraph.graph import apikeys as q
from ordergraph.graph.records.apikeys import ApiKeyRecord
from ordergraph.graph.store import GraphStore

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
    budget: tuple[int, int] | None = None,
) -> tuple[str, ApiKeyRecord]:
    """A new key: the plaintext (returned once, never stored) and its record. ``budget``:
    (bucket size, points restored per second), instead of its role's default."""
    try:
        parsed = Role(role)
    except ValueError:
        raise ValidationError(
            f"role must be one of {', '.join(r.value for r in Role)}", field=("role",)
        ) from None
    if not name.strip() or len(name) > 100:
        raise ValidationError("name must be 1 to 100 characters", field=("name",))
    channels, locations = sorted(set(channels)), sorted(set(locations))
    await check_scope(store, parsed, channels, locations)
    if budget is not None:
        capacity, restore = budget
        if not (1 <= capacity <= 10**9 and 1 <= restore <= 10**9):
            raise ValidationError(
                "a budget's size and restore rate must each be 1 to 1,000,000,000 points",
                field=("budget",),
            )
    key = PREFIX + secrets.token_urlsafe(32)
    record = ApiKeyRecord(
        id="key_" + secrets.token_hex(6),
        name=name.strip(),
        role=parsed,
        channels=tuple(channels),
        locations=tuple(locations),
        prefix=key[:10],
        created_at=datetime.now(UTC),
        budget=budget,
    )
    await q.create_key(store, record, digest(key))
    return key, record


MAX_SCOPE = 100  # channels or locations named by one key


async def check_scope(
    store: GraphStore, role: Role, channels: list[str], locations: list[str]
) -> None:
    """A key's scope is what its role uses, and names only what exists (issue #10, #8 and #18).

    A storefront key names its channels (one at least) and no location; a partner key names its
    locations (one at least) and no channel; integration and admin keys reach everything and
    name neither. A scope the role would ignore is refused rather than silently dropped.
    """
    if role == Role.STOREFRONT and not channels:
        raise ValidationError("a storefront key needs its channels", field=("channels",))
    if role == Role.PARTNER and not locations:
        raise ValidationError("a partner key needs its locations", field=("locations",))
    if channels and role != Role.STOREFRONT:
        raise ValidationError(
            f"a {role.value} key is not limited by channels (only storefront keys are); "
            "leave channels out",
            field=("channels",),
        )
    if locations and role != Role.PARTNER:
        raise ValidationError(
            f"a {role.value} key is not limited by locations (only partner keys are); "
            "leave locations out",
            field=("locations",),
        )
    for name, ids in (("channels", channels), ("locations", locations)):
        if len(ids) > MAX_SCOPE:
            raise ValidationError(f"at most {MAX_SCOPE} {name} per key", field=(name,))
        if any(not i.strip() or len(i) > 200 for i in ids):
            raise ValidationError(f"{name} must be ids of 1 to 200 characters", field=(name,))
    known_channels, known_locations = await q.known_scope(store, channels, locations)
    for kind, asked, known, code in (
        ("channel", channels, known_channels, ErrorCode.UNKNOWN_CHANNEL),
        ("location", locations, known_locations, ErrorCode.UNKNOWN_LOCATION),
    ):
        unknown = sorted(set(asked) - set(known))
        if unknown:
            plural = "s" if len(unknown) > 1 else ""
            raise ValidationError(
                f"unknown {kind}{plural}: {', '.join(unknown)}", code, (f"{kind}s",)
            )


async def key_active(store: GraphStore, key_id: str) -> bool:
    """The key exists and is not revoked (a long-lived request, e.g. a subscription, asks
    again now and then)."""
    record = await q.key_by_id(store, key_id)
    return record is not None and record.active


async def principal_by_id(store: GraphStore, key_id: str) -> Principal | None:
    """The caller an active key makes, by the key's id (a browser session holds the id, never
    the key itself); None when the key is unknown or revoked."""
    record = await q.key_by_id(store, key_id)
    return record.principal() if record is not None and record.active else None


async def revoke_key(store: GraphStore, key_id: str) -> ApiKeyRecord:
    record = await q.revoke_key(store, key_id, datetime.now(UTC).isoformat())
    if record is None:
        raise NotFound(f"no API key {key_id}", ("id",))
    return record


async def list_keys(store: GraphStore) -> list[ApiKeyRecord]:
    """Every key, oldest first."""
    return await q.list_keys(store)


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
        record = await q.key_by_hash(self.store, h)
        found = record.principal() if record is not None and record.active else None
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[h] = (now, found)
        return found
