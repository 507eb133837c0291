"""Inventory feed use cases: ERP snapshots and WMS deltas applied in batches, and reconciliation.

``apply_snapshot`` and ``apply_deltas`` write rows checked by ``connectors.feeds`` in UNWIND
batches with progress, all or nothing as far as checks go: every problem of form, every
unknown location or SKU and every movement that would take on-hand below zero is reported
before anything is written. Snapshots set on-hand (and safety stock when given), never
``reserved``; positions left short of their reservations are reported. Stock that arrives goes
to waiting backorders first. ``reconcile_snapshot`` compares a snapshot with the OMS and writes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ordergraph.connectors.feeds import (  # re-exported for the schema layer
    DeltaRow,
    Discrepancy,
    FeedError,
    FeedFormat,
    FeedKind,
    FeedProblem,
    Position,
    Reconciliation,
    Shortfall,
    SnapshotRow,
    check_feed,
    feed_error,
    reconcile,
)
from ordergraph.graph import catalog
from ordergraph.graph import ingestion as q
from ordergraph.graph.store import GraphStore
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


async def reference_problems(
    store: GraphStore, rows: Sequence[SnapshotRow | DeltaRow]
) -> list[FeedProblem]:
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
    by_row = {r.row: r for r in rows}
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        answer = await q.set_stock_batch(store, [{"row": r.row, **r.record()} for r in batch])
        result.written += int(answer["n"])
        result.short += [
            Shortfall(
                by_row[s["row"]].location,
                by_row[s["row"]].sku,
                int(s["onHand"]),
                int(s["reserved"]),
                int(s["safetyStock"]),
                int(s["row"]),
            )
            for s in answer["short"]
        ]
        if progress is not None:
            progress("stock", len(batch), len(rows))
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
    for start in range(0, len(keys), 5000):
        for pos in await q.positions(store, keys[start : start + 5000]):
            moves = sums[(pos["location"], pos["sku"])]
            now_on_hand = int(pos["onHand"] or 0)
            total = sum(m.delta for m in moves)
            if now_on_hand + total < 0:
                problems += [
                    FeedProblem(
                        m.row,
                        "delta",
                        f"on-hand of {m.sku} at {m.location} is "
                        f"{now_on_hand}; the file's movements ({total:+d}) would take it "
                        "below zero",
                    )
                    for m in moves
                ]
    if problems:
        raise feed_error(sorted(problems, key=lambda p: p.row or 0), len(rows))
    result = FeedResult("delta", len(rows), 0)
    for start in range(0, len(keys), batch_size):
        batch = keys[start : start + batch_size]
        answer = await q.adjust_stock_batch(
            store,
            [
                {
                    "row": sums[k][0].row,
                    "location": k[0],
                    "sku": k[1],
                    "delta": sum(m.delta for m in sums[k]),
                }
                for k in batch
            ],
        )
        result.written += int(answer["n"]) - len(answer["refused"])
        result.refused += [
            FeedProblem(
                int(x["row"]), "delta", f"on-hand changed meanwhile to {x['onHand']}; not applied"
            )
            for x in answer["refused"]
        ]
        if progress is not None:
            progress("stock", sum(len(sums[k]) for k in batch), len(rows))
    cancelled_out = [m for k, m in sums.items() if sum(x.delta for x in m) == 0]
    if progress is not None and cancelled_out:  # rows whose movements summed to nothing
        progress("stock", sum(len(m) for m in cancelled_out), len(rows))
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
        Position(
            p["location"],
            p["sku"],
            int(p["onHand"] or 0),
            int(p["reserved"] or 0),
            int(p["safetyStock"] or 0),
        )
        for p in await q.positions_at(store, sorted(locations))
    ]
    return reconcile(rows, held, locations, skus)
