"""Cypher for the channel stock feed out (docs/channel-atp.md, "Channel stock feeds out").

What each channel was last told it can sell of a SKU is kept on the ``Sku`` node, beside the
stock version it was computed at:

- ``k.stockVersion``: moved by every statement that changes one of the SKU's positions
  (``fragments.BUMP_STOCK_VERSION``);
- ``k.feedVersion``: the stock version the published numbers were computed at (absent: never
  published);
- ``k.feedChannels`` and ``k.feedAvailable``: parallel lists, a channel id and the number it
  was last told.

Publishing writes those and appends one ``channel.availability_changed`` ``Event`` per
(channel, SKU) whose number changed, in one statement; the webhook dispatcher fans the events
out like any other (``pending = true``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ordergraph.domain.channel_feed import CHANNEL_AVAILABILITY_CHANGED, Change
from ordergraph.domain.events import encode
from ordergraph.graph.catalog import CHANNEL
from ordergraph.graph.records.catalog import ChannelRecord
from ordergraph.graph.store import GraphStore


async def stock_versions(store: GraphStore, skus: Sequence[str]) -> dict[str, int]:
    """The stock version of each SKU asked for that is in the catalog (0: never written)."""
    rows = await store.read(
        "UNWIND $skus AS sku MATCH (k:Sku {id: sku}) "
        "RETURN k.id AS sku, coalesce(k.stockVersion, 0) AS version",
        {"skus": list(skus)},
    )
    return {row["sku"]: int(row["version"]) for row in rows}


async def channels(store: GraphStore) -> list[ChannelRecord]:
    """Every stored channel, by id."""
    rows = await store.read(f"MATCH (ch:Channel) RETURN {CHANNEL} AS ch ORDER BY ch.id")
    return [ChannelRecord.from_row(row["ch"]) for row in rows]


@dataclass(frozen=True, slots=True)
class Published:
    """What the channels were last told of one SKU whose stock version moved since."""

    sku: str
    version: int | None  # the stock version it was computed at; None: never published
    available: Mapping[str, int]  # channel -> the number it was told


# ``$rules``: the channels' rule versions and the day (``rules_key``): a rules change, a new
# channel or a new day (a protection ends) makes every SKU's numbers due again.
MOVED = """
MATCH (k:Sku)
WHERE coalesce(k.stockVersion, 0) <> coalesce(k.feedVersion, -1)
   OR coalesce(k.feedRules, '') <> $rules
RETURN k.id AS sku, k.feedVersion AS version, k.feedChannels AS channels,
       k.feedAvailable AS available
ORDER BY k.id LIMIT $limit
"""


def rules_key(channels: Sequence[ChannelRecord], today: date) -> str:
    """What else the numbers depend on: each channel's rules version, and the day."""
    return ",".join(f"{c.id}:{c.rules_version}" for c in channels) + "@" + today.isoformat()


async def moved(store: GraphStore, limit: int, rules: str) -> list[Published]:
    """SKUs whose stock version, or ``rules``, is not the one last published (at most
    ``limit``, by id)."""
    rows = await store.read(MOVED, {"limit": limit, "rules": rules})
    return [
        Published(
            sku=row["sku"],
            version=None if row["version"] is None else int(row["version"]),
            available=dict(
                zip(row["channels"] or [], (int(n) for n in row["available"] or []), strict=True)
            ),
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class Publication:
    """The numbers of one SKU at one stock version and rules key, and the changes to announce."""

    sku: str
    version: int
    rules: str
    available: Mapping[str, int]
    changes: Sequence[Change]

    def to_params(self, at: datetime) -> dict[str, Any]:
        at_ms = int(at.timestamp() * 1000)
        return {
            "sku": self.sku,
            "version": self.version,
            "rules": self.rules,
            "channels": list(self.available),
            "available": list(self.available.values()),
            "events": [
                {
                    # delivered in order per (subscription, channel, SKU); the id and the
                    # sequence (the SKU's publication count) are set by PUBLISH
                    "stream": f"CHA:{c.channel}|{self.sku}",
                    "type": CHANNEL_AVAILABILITY_CHANGED,
                    "at": at.isoformat(),
                    "atMs": at_ms,
                    "pending": True,
                    "payload": encode(c.payload(self.sku, self.version)),
                }
                for c in self.changes
            ],
        }


# A row is written only when its stock version is newer than the one published, or the same
# with another rules key (never backwards, and the same numbers twice append nothing):
# restart-safe and idempotent. ``feedSeq`` counts the SKU's publications: its events' sequence.
PUBLISH = """
UNWIND $rows AS r
MATCH (k:Sku {id: r.sku})
SET k._lock = true
WITH k, r, k.feedVersion IS NULL OR k.feedVersion < r.version
           OR (k.feedVersion = r.version AND coalesce(k.feedRules, '') <> r.rules) AS ok
FOREACH (_ IN CASE WHEN ok THEN [1] ELSE [] END |
  SET k.feedVersion = r.version, k.feedRules = r.rules, k.feedChannels = r.channels,
      k.feedAvailable = r.available, k.feedSeq = coalesce(k.feedSeq, 0) + 1
  FOREACH (e IN r.events |
    CREATE (ev:Event)
    SET ev += e, ev.sequence = k.feedSeq, ev.id = e.stream + '-S' + toString(k.feedSeq)))
REMOVE k._lock
RETURN toInteger(sum(CASE WHEN ok THEN size(r.events) ELSE 0 END)) AS events
"""


async def publish(store: GraphStore, rows: Sequence[Publication], at: datetime) -> int:
    """Store the numbers and append their events, in one statement; how many events."""
    if not rows:
        return 0
    answer = await store.write(PUBLISH, {"rows": [r.to_params(at) for r in rows]})
    return int(answer[0]["events"] or 0) if answer else 0
