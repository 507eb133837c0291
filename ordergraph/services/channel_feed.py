"""The channel stock feed out: what each marketplace should be told it can sell, per SKU.

- ``channel_availability``: a channel's number per SKU (its ATP, ``domain.atp.channel_atp``
  through ``availability.position_number``, summed over the active locations of its sourcing) and
  the SKU's stock version, read in one statement.
- ``ChannelFeed``: the loop (one per graph at a time: a ``services.leases.LeasedLoop``) that every
  poll (``settings.channel_feed_poll_ms``, 1 s) reads the SKUs whose stock version moved since
  their numbers were last published (or all of them, batch by batch, when a channel's rules
  version or the UTC day changed), recomputes every channel's number for them, and appends one
  ``channel.availability_changed`` event per (channel, SKU) whose number changed, storing the
  numbers in the same statement (``graph/channel_feed.py``). The webhook dispatcher delivers the
  events. Many changes within one poll give one event; a decrease is published in the first
  poll after it, so a listing is above our ATP for at most one poll plus the delivery.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ordergraph.domain.channel_feed import changes
from ordergraph.domain.errors import ValidationError
from ordergraph.graph import catalog
from ordergraph.graph import channel_feed as q
from ordergraph.graph.records.catalog import ChannelRecord, LocationRecord, StockRecord
from ordergraph.graph.store import GraphStore
from ordergraph.services.availability import (
    MAX_SKUS,
    check_known,
    position_number,
    sales_channel,
)
from ordergraph.services.events import running
from ordergraph.services.leases import LeasedLoop
from ordergraph.settings import Settings

Positions = Iterable[tuple[LocationRecord, StockRecord]]


def channel_totals(
    channel: ChannelRecord, positions: Positions, today: date
) -> defaultdict[str, int]:
    """``channel``'s number per SKU: its ATP summed over the positions (0 outside sourcing)."""
    totals: defaultdict[str, int] = defaultdict(int)
    for place, stock in positions:
        totals[stock.sku] += position_number(channel, place, stock, today)
    return totals


@dataclass(frozen=True, slots=True)
class ChannelSkuAvailability:
    sku: str
    available: int  # the channel's ATP across its sourcing
    stock_version: int  # the SKU's stock version the number was computed at


async def channel_availability(
    store: GraphStore,
    channel_id: str,
    skus: Sequence[str] | None,
    *,
    first: int,
    after: str | None,
    now: datetime | None = None,
) -> list[ChannelSkuAvailability]:
    """Up to ``first + 1`` SKUs by id after ``after`` (the catalog's, or those of ``skus``),
    each with ``channel_id``'s number and its stock version."""
    if skus is None:
        wanted = [k.id for k in await catalog.sku_page(store, first=first, after=after)]
    else:
        asked = sorted({s.strip() for s in skus})
        if len(asked) > MAX_SKUS:
            raise ValidationError(f"at most {MAX_SKUS} SKUs per request", field=("skus",))
        wanted = [s for s in asked if after is None or s > after][: first + 1]
    if not wanted:
        return []
    read = await catalog.availability(store, wanted, [], channel_id)
    check_known(dict.fromkeys(read.unknown_skus))
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    totals = channel_totals(sales_channel(read.channel, channel_id), read.positions, today)
    return [ChannelSkuAvailability(s, totals[s], read.versions.get(s, 0)) for s in wanted]


async def publish_moved(store: GraphStore, *, batch: int = 500, now: datetime | None = None) -> int:
    """One poll of the feed: the SKUs whose stock version moved (up to ``batch``), every
    channel's number for them, the changed ones appended as events. How many events."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    channels = await q.channels(store)
    rules = q.rules_key(channels, at.date())
    moved = await q.moved(store, batch, rules)
    if not moved:
        return 0
    read = await catalog.availability(store, [m.sku for m in moved], [], None)
    totals = {c.id: channel_totals(c, read.positions, at.date()) for c in channels}
    rows = []
    for m in moved:
        version = read.versions.get(m.sku)
        if version is None:  # deleted since
            continue
        numbers = {c.id: totals[c.id][m.sku] for c in channels}
        told = None if m.version is None else m.available
        rows.append(q.Publication(m.sku, version, rules, numbers, changes(told, numbers)))
    return await q.publish(store, rows, at)


class ChannelFeed(LeasedLoop):
    """The publishing loop; only the holder of the graph's ``channel-feed`` lease publishes."""

    lease_name = "channel-feed"

    async def work(self) -> int:
        return await publish_moved(self.store)


@contextlib.asynccontextmanager
async def publishing(store: GraphStore, settings: Settings) -> AsyncIterator[ChannelFeed]:
    """Run the feed loop for the duration of the block (the app's lifespan)."""
    feed = ChannelFeed(store, settings.channel_feed_poll_ms / 1000)
    async with running(feed, "channel-feed"):
        yield feed
