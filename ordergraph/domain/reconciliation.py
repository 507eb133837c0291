"""Reconciliation: where a stock snapshot (an ERP/WMS count) and the OMS disagree.

Pure: the snapshot's rows and the OMS's positions at its locations in, a report out; nothing is
written. A discrepancy names its kind (``ON_HAND_DIFFERS``, ``MISSING_IN_OMS``,
``MISSING_IN_FEED``, ``UNKNOWN_LOCATION``, ``UNKNOWN_SKU``); a shortfall is a position whose
counted on-hand would not cover what is reserved plus safety stock. The feed formats that produce
the rows are in ``connectors.feeds``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

ON_HAND_DIFFERS = "ON_HAND_DIFFERS"
MISSING_IN_OMS = "MISSING_IN_OMS"
MISSING_IN_FEED = "MISSING_IN_FEED"
UNKNOWN_LOCATION = "UNKNOWN_LOCATION"
UNKNOWN_SKU = "UNKNOWN_SKU"


@dataclass(frozen=True)
class Position:
    location: str
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int


@dataclass(frozen=True)
class Discrepancy:
    kind: str
    location: str
    sku: str
    feed_on_hand: int | None  # None: the feed does not list the position
    oms_on_hand: int | None  # None: the OMS has no such position
    row: int | None = None

    @property
    def difference(self) -> int:
        """Feed less OMS, a missing side counting as zero."""
        return (self.feed_on_hand or 0) - (self.oms_on_hand or 0)


@dataclass(frozen=True)
class Shortfall:
    """A position whose new on-hand would not cover what is reserved plus safety stock."""

    location: str
    sku: str
    on_hand: int  # as the snapshot would set it
    reserved: int
    safety_stock: int
    row: int

    @property
    def shortfall(self) -> int:
        return self.reserved + self.safety_stock - self.on_hand


@dataclass(frozen=True)
class Reconciliation:
    rows: int
    matching: int
    discrepancies: tuple[Discrepancy, ...]
    shortfalls: tuple[Shortfall, ...]


class FeedLine(Protocol):
    """A feed row that names a position (snapshot, delta and inbound rows all do)."""

    @property
    def row(self) -> int: ...
    @property
    def location(self) -> str: ...
    @property
    def sku(self) -> str: ...


class CountedRow(FeedLine, Protocol):
    """A snapshot row as ``reconcile`` reads it (``connectors.feeds.SnapshotRow`` is one)."""

    @property
    def on_hand(self) -> int: ...
    @property
    def safety_stock(self) -> int | None: ...
    @property
    def damaged(self) -> int | None: ...  # None: the stored count is kept
    @property
    def quality_control(self) -> int | None: ...


def reconcile(
    rows: Sequence[CountedRow],
    positions: Iterable[Position],
    known_locations: set[str],
    known_skus: set[str],
) -> Reconciliation:
    """Where a snapshot and the OMS disagree, and which reservations the snapshot would break.

    ``positions`` are the OMS's positions at the snapshot's locations. A position the feed does
    not list is reported only when the OMS holds or reserves units there: a zero position and
    no position mean the same.
    """
    oms = {(p.location, p.sku): p for p in positions}
    listed: set[tuple[str, str]] = set()
    found: list[Discrepancy] = []
    short: list[Shortfall] = []
    matching = 0
    for r in rows:
        key = (r.location, r.sku)
        listed.add(key)
        if r.location not in known_locations:
            found.append(Discrepancy(UNKNOWN_LOCATION, r.location, r.sku, r.on_hand, None, r.row))
            continue
        if r.sku not in known_skus:
            found.append(Discrepancy(UNKNOWN_SKU, r.location, r.sku, r.on_hand, None, r.row))
            continue
        position = oms.get(key)
        if position is None:
            found.append(Discrepancy(MISSING_IN_OMS, r.location, r.sku, r.on_hand, None, r.row))
            reserved, safety = 0, r.safety_stock or 0
        else:
            if position.on_hand == r.on_hand:
                matching += 1
            else:
                found.append(
                    Discrepancy(
                        ON_HAND_DIFFERS, r.location, r.sku, r.on_hand, position.on_hand, r.row
                    )
                )
            reserved = position.reserved
            safety = position.safety_stock if r.safety_stock is None else r.safety_stock
        if r.on_hand < reserved + safety:
            short.append(Shortfall(r.location, r.sku, r.on_hand, reserved, safety, r.row))
    for key in sorted(oms):
        p = oms[key]
        if key not in listed and (p.on_hand or p.reserved):
            found.append(Discrepancy(MISSING_IN_FEED, p.location, p.sku, None, p.on_hand))
    return Reconciliation(len(rows), matching, tuple(found), tuple(short))
