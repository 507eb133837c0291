"""Inventory feed use cases: ERP snapshots and WMS deltas applied in batches, and reconciliation.

``apply_snapshot`` and ``apply_deltas`` write rows checked by ``connectors.feeds`` in UNWIND
batches with progress, all or nothing as far as checks go: every problem of form, every
unknown location or SKU and every movement that would take on-hand below zero is reported
before anything is written. Snapshots set on-hand (and safety stock when given), never
``reserved``; positions left short of their reservations are reported. A count below what is
reserved is accepted (the count is the physical truth) and the reservations it no longer backs
are re-routed or backordered (``services.shortfall``). Stock that arrives goes to waiting
backorders first. ``reconcile_snapshot`` compares a snapshot with the OMS and writes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ordergraph.connectors.feeds import (  # re-exported for the schema layer
    DeltaRow,
    FeedError,
    FeedFormat,
    FeedKind,
    FeedProblem,
    SnapshotRow,
    check_feed,
    feed_error,
)
from ordergraph.domain.reconciliation import (  # re-exported for the schema layer
    Discrepancy,
    FeedLine,
    Position,
    Reconciliation,
    Shortfall,
    reconcile,
)
from ordergraph.graph import catalog
from ordergraph.graph.store import GraphStore
from ordergraph.services import shortfall
from ordergraph.services.lifecycle import allocate_backorders
from ordergraph.services.network import Progress

__all__ = [
    "DeltaRow",
    "Discrepancy",
    "FeedError",
    "FeedProblem",
    "Reconciliation",
    "Shortfall",
    "SnapshotRow",
]


@dataclass
class FeedResult:
    kind: str
    rows: int
    written: int  # stock positions written
    refused: list[FeedProblem] = field(default_factory=list)  # deltas that lost a race
    short: list[Shortfall] = field(default_factory=list)  # now under reserved + safety stock
    backorders_served: list[str] = field(default_factory=list)
    rerouted: int = 0  # reserved units the counts no longer back that another location took
    backordered: int = 0  # ... that now wait for stock
    affected_orders: list[str] = field(default_factory=list)

    def settle(self, covered: list[shortfall.Covered]) -> None:
        for c in covered:
            self.rerouted += c.rerouted
            self.backordered += c.backordered
            self.affected_orders += [o for o in c.orders if o not in self.affected_orders]


async def reference_problems(store: GraphStore, rows: Sequence[FeedLine]) -> list[FeedProblem]:
    """Rows that name a location or SKU the graph does not know."""
    locations = await catalog.existing_ids(store, "Location", {r.location for r in rows})
    skus = await catalog.existing_ids(store, "Sku", {r.sku for r in rows})
    problems = [
        FeedProblem(r.row, "location", f"unknown location {r.location!r}")
        for r in rows
        if r.location not in locations
    ]
    problems += [
        FeedProblem(r.row, "sku", f"unknown SKU {r.sku!r}") for r in rows if r.sku not in skus
    ]
    return problems


async def check_references(store: GraphStore, rows: Sequence[SnapshotRow | DeltaRow]) -> None:
    """Every row names a known location and SKU, or ``FeedError`` lists those that do not."""
    problems = await reference_problems(store, rows)
    if problems:
        raise feed_error(sorted(problems, key=lambda p: p.row or 0), len(rows))


async def read_checked_feed(
    store: GraphStore, data: bytes, kind: FeedKind, fmt: FeedFormat
) -> list[SnapshotRow] | list[DeltaRow]:
    """A feed's rows, or ``FeedError`` with every problem: of form and of references alike."""
    rows, problems, count = check_feed(data, kind, fmt)
    if rows:
        problems += await reference_problems(store, rows)
    if problems:
        raise feed_error(sorted(problems, key=lambda p: p.row or 0), count)
    return rows


async def apply_snapshot(
    store: GraphStore,
    rows: Sequence[SnapshotRow],
    *,
    progress: Progress | None = None,
    batch_size: int = 2000,
) -> FeedResult:
    """Absolute on-hand (and safety stock when given) per position; reserved is kept."""
    await check_references(store, rows)
    result = FeedResult("snapshot", len(rows), 0)
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        written, short = await catalog.set_stock_counts(store, batch)
        result.written += written
        result.short += [
            Shortfall(p.location, p.sku, p.on_hand, p.reserved, p.safety_stock, row)
            for row, p in short
        ]
        if progress is not None:
            progress("stock", len(batch), len(rows))
    unbacked = {(s.location, s.sku) for s in result.short if s.on_hand < s.reserved}
    result.settle(await shortfall.cover_all(store, unbacked))
    result.backorders_served = await _serve_backorders(store, {r.sku for r in rows})
    return result


async def apply_deltas(
    store: GraphStore,
    rows: Sequence[DeltaRow],
    *,
    progress: Progress | None = None,
    batch_size: int = 2000,
) -> FeedResult:
    """Movements, summed per position; refused as a whole if any would go below zero."""
    await check_references(store, rows)
    sums: dict[tuple[str, str], list[DeltaRow]] = {}
    for r in rows:
        sums.setdefault((r.location, r.sku), []).append(r)
    keys = [k for k, moves in sums.items() if sum(m.delta for m in moves) != 0]
    problems: list[FeedProblem] = []
    unbacked: set[tuple[str, str]] = set()  # would be left below their reservations
    for start in range(0, len(keys), 5000):
        for pos in await catalog.positions(store, keys[start : start + 5000]):
            moves = sums[(pos.location, pos.sku)]
            total = sum(m.delta for m in moves)
            if total < 0 and pos.on_hand + total < pos.reserved:
                unbacked.add((pos.location, pos.sku))
            if pos.on_hand + total < 0:
                problems += [
                    FeedProblem(
                        m.row,
                        "delta",
                        f"on-hand of {m.sku} at {m.location} is "
                        f"{pos.on_hand}; the file's movements ({total:+d}) would take it "
                        "below zero",
                    )
                    for m in moves
                ]
    if problems:
        raise feed_error(sorted(problems, key=lambda p: p.row or 0), len(rows))
    result = FeedResult("delta", len(rows), 0)
    for start in range(0, len(keys), batch_size):
        batch = keys[start : start + batch_size]
        written, refused = await catalog.adjust_stock_moves(
            store, [(sums[k][0].row, *k, sum(m.delta for m in sums[k])) for k in batch]
        )
        result.written += written - len(refused)
        result.refused += [
            FeedProblem(row, "delta", f"on-hand changed meanwhile to {p.on_hand}; not applied")
            for row, p in refused
        ]
        if progress is not None:
            progress("stock", sum(len(sums[k]) for k in batch), len(rows))
    cancelled_out = [m for k, m in sums.items() if sum(x.delta for x in m) == 0]
    if progress is not None and cancelled_out:  # rows whose movements summed to nothing
        progress("stock", sum(len(m) for m in cancelled_out), len(rows))
    result.settle(await shortfall.cover_all(store, unbacked))  # re-read: they may have moved
    grown = {k[1] for k in keys if sum(m.delta for m in sums[k]) > 0}
    result.backorders_served = await _serve_backorders(store, grown)
    return result


async def _serve_backorders(store: GraphStore, skus: set[str]) -> list[str]:
    """Stock that arrived goes to waiting backorders first (bounded, first come first served)."""
    if not skus:
        return []
    return await allocate_backorders(store, sorted(skus) if len(skus) <= 1000 else None)


async def reconcile_snapshot(store: GraphStore, rows: Sequence[SnapshotRow]) -> Reconciliation:
    """Where a snapshot and the OMS disagree, and what reservations it would break (reads only)."""
    locations = await catalog.existing_ids(store, "Location", {r.location for r in rows})
    skus = await catalog.existing_ids(store, "Sku", {r.sku for r in rows})
    held = [
        Position(p.location, p.sku, p.on_hand, p.reserved, p.safety_stock)
        for p in await catalog.positions_at(store, sorted(locations))
    ]
    return reconcile(rows, held, locations, skus)
