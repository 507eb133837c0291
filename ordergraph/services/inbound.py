"""Inbound supply use cases: create or move a purchase-order or transfer line, receive it into
on-hand, list lines, and apply the ERP's inbound feed.

Each change is checked first (the network file's rules for a line, ``domain.inbound`` for the
counts), then written by one statement that appends its event (``graph.inbound``). A line that
changed between the read and the write is read again and the change retried; received units go
to waiting backorders first, as any stock that arrives does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ordergraph.connectors.feeds import FeedError, FeedFormat, FeedProblem, feed_error
from ordergraph.connectors.inbound import InboundRow, check_inbound_feed
from ordergraph.domain.errors import ErrorCode, OrderGraphError, ValidationError
from ordergraph.domain.inbound import quantity_problem
from ordergraph.graph import inbound as lines
from ordergraph.graph.records.catalog import StockRecord
from ordergraph.graph.records.inbound import InboundRecord
from ordergraph.graph.store import GraphStore
from ordergraph.services.feeds import reference_problems
from ordergraph.services.network import Progress, check_network, serve_backorders
from ordergraph.services.preorders import repromise

__all__ = ["FeedError", "FeedProblem", "InboundRow"]

ATTEMPTS = 3  # a line changed by someone else between our read and our write: read again
MAX_PAGE = 100


@dataclass(frozen=True)
class InboundChange:
    """What ``inboundUpsert`` asks: the line's id and the fields given (None: keep / required
    for a new line)."""

    id: str
    location: str | None = None
    sku: str | None = None
    quantity: int | None = None
    expected_at: str | None = None  # ISO date text, checked here
    kind: str | None = None


@dataclass(frozen=True)
class Receipt:
    inbound: InboundRecord
    stock: StockRecord  # the position it was received into, after backorders took their share


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


async def _checked(
    store: GraphStore, change: InboundChange, stored: InboundRecord | None
) -> InboundRecord:
    """The line ``change`` asks for over the stored one, checked as a network-file record."""
    if stored is not None:
        for name, asked, kept in (
            ("location", change.location, stored.location),
            ("sku", change.sku, stored.sku),
        ):
            if asked is not None and asked != kept:
                raise ValidationError(
                    f"inbound {stored.id} brings stock to {stored.location} ({stored.sku}); its "
                    f"{name} cannot change",
                    field=(name,),
                )
    given = {
        "id": change.id,
        "location": change.location,
        "sku": change.sku,
        "quantity": change.quantity,
        "expectedAt": change.expected_at,
        "kind": change.kind,
    }
    doc = {
        **(stored.to_params() if stored else {}),
        **{k: v for k, v in given.items() if v is not None},
    }
    network = await check_network(store, {"inbound": [doc]})
    line = InboundRecord.from_row(network.inbound[0])
    if stored is not None:
        why = quantity_problem(line.quantity, stored.received, stored.preordered)
        if why:
            raise ValidationError(f"quantity {why}", field=("quantity",))
    return line


async def upsert_inbound(
    store: GraphStore,
    change: InboundChange,
    *,
    may_act_at: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> InboundRecord:
    """Create a line, or change its quantity, expected date or kind (a moved date appends
    ``inbound.expected_date_changed`` in the same statement). ``may_act_at`` checks the caller
    may change stock at the line's location (the stored one for an existing line; raises if
    not)."""
    for _ in range(ATTEMPTS):
        stored = (await lines.by_ids(store, [change.id])).get(change.id)
        if may_act_at is not None:
            if stored is not None:
                _hidden(
                    may_act_at, stored.location, f"inbound id {change.id!r} is taken", change.id
                )
            if change.location is not None:
                may_act_at(change.location)
        line = await _checked(store, change, stored)
        wrote = await lines.upsert(store, [line], {line.id: stored} if stored else {}, _now(now))
        if not wrote:  # its location or SKU went between the check and the write
            raise ValidationError(
                f"unknown location {line.location!r} or SKU {line.sku!r}", ErrorCode.NOT_FOUND
            )
        if wrote[0].ok:
            if wrote[0].moved:
                await repromise(store, wrote[0].inbound, now=now)
            return wrote[0].inbound
    raise ValidationError(
        f"inbound {change.id} keeps changing; try again", ErrorCode.CONFLICT, ("id",)
    )


def _hidden(may_act_at: Callable[[str], None], location: str, said: str, inbound_id: str) -> None:
    """``may_act_at`` for a stored line: refused without naming its location or SKU (a line at
    another location is none of this caller's business), as ``NOT_FOUND`` for a receipt, like
    a line that does not exist (docs/security.md, review 2026-12-04)."""
    try:
        may_act_at(location)
    except OrderGraphError as exc:
        if exc.code != ErrorCode.FORBIDDEN:
            raise
        code = ErrorCode.NOT_FOUND if said.startswith("no ") else ErrorCode.CONFLICT
        why = said if code == ErrorCode.NOT_FOUND else f"{said} by a line this key may not change"
        raise ValidationError(why, code, ("id",)) from None


async def receive_inbound(
    store: GraphStore,
    inbound_id: str,
    quantity: int,
    *,
    may_act_at: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> Receipt:
    """Turn ``quantity`` units of the line into on-hand at its location (a partial receipt is
    fine; more than is still to arrive is refused and nothing changes). ``may_act_at`` checks
    the caller may change stock at the line's location (raises if not)."""
    if quantity <= 0:
        raise ValidationError(f"quantity must be positive, got {quantity}", field=("quantity",))
    line = (await lines.by_ids(store, [inbound_id])).get(inbound_id)
    if line is None:
        raise ValidationError(f"no inbound {inbound_id!r}", ErrorCode.NOT_FOUND, ("id",))
    if may_act_at is not None:
        _hidden(may_act_at, line.location, f"no inbound {inbound_id!r}", inbound_id)
    done = await lines.receive(store, line, quantity, _now(now))
    if done is None:
        raise ValidationError(f"no inbound {inbound_id!r}", ErrorCode.NOT_FOUND, ("id",))
    ok, to_receive, line, stock = done
    if not ok:
        raise ValidationError(
            f"{to_receive} units of inbound {inbound_id} are still to arrive; "
            f"cannot receive {quantity}",
            field=("quantity",),
        )
    return Receipt(line, await serve_backorders(store, stock))


async def inbound_page(
    store: GraphStore,
    *,
    first: int,
    after: str | None,
    location: str | None = None,
    sku: str | None = None,
) -> list[InboundRecord]:
    """Lines by id (``first + 1`` so the caller knows if more follow)."""
    if not 0 <= first <= MAX_PAGE:
        raise ValidationError(f"first must be between 0 and {MAX_PAGE}", field=("first",))
    return await lines.page(store, first=first, after=after, location=location, sku=sku)


# ---- the ERP's inbound feed ------------------------------------------------------------------


@dataclass
class InboundFeedResult:
    rows: int
    written: int = 0
    created: int = 0
    moved: int = 0  # lines whose expected date moved (each with its event)
    refused: list[FeedProblem] = field(default_factory=list)  # lines that changed meanwhile


def _line(row: InboundRow) -> InboundRecord:
    return InboundRecord.new(row.id, row.kind, row.location, row.sku, row.quantity, row.expected_at)


async def read_checked_inbound_feed(
    store: GraphStore,
    data: bytes,
    fmt: FeedFormat,
    may_act_at: Callable[[str], bool] | None = None,
) -> list[InboundRow]:
    """A feed's rows, or ``FeedError`` with every problem: of form, of references (unknown
    locations and SKUs), and of lines it cannot change (another position, or a quantity below
    what is received and preordered). Rows at a location the caller may not act at
    (``may_act_at``) are not compared with the stored lines: the caller refuses them after,
    and nothing of another location's line is said."""
    rows, problems, total = check_inbound_feed(data, fmt)
    if rows:
        problems += await reference_problems(store, rows)
        mine = [r for r in rows if may_act_at is None or may_act_at(r.location)]
        problems += await _change_problems(store, mine)
    if problems:
        raise feed_error(sorted(problems, key=lambda p: p.row or 0), total)
    return rows


async def _change_problems(store: GraphStore, rows: Sequence[InboundRow]) -> list[FeedProblem]:
    stored = await lines.by_ids(store, [r.id for r in rows])
    problems = []
    for r in rows:
        line = stored.get(r.id)
        if line is None:
            continue
        if (line.location, line.sku) != (r.location, r.sku):
            problems.append(  # without naming them: the line may be another location's
                FeedProblem(
                    r.row,
                    "location",
                    f"inbound {r.id} already brings another SKU or to another location; its "
                    "location and SKU cannot change",
                )
            )
            continue
        why = quantity_problem(r.quantity, line.received, line.preordered)
        if why:
            problems.append(FeedProblem(r.row, "quantity", why))
    return problems


async def apply_inbound_feed(
    store: GraphStore,
    rows: Sequence[InboundRow],
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    batch_size: int = 2000,
) -> InboundFeedResult:
    """Create or move every line of a checked feed, a batch per statement. The checks are made
    again first (all or nothing); a line changed by someone else between the read and the
    write of its batch is not written and is listed in ``refused``."""
    problems = await reference_problems(store, rows) + await _change_problems(store, rows)
    if problems:
        raise feed_error(sorted(problems, key=lambda p: p.row or 0), len(rows))
    result = InboundFeedResult(len(rows))
    at = _now(now)
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        stored = await lines.by_ids(store, [r.id for r in batch])
        wrote = {
            w.inbound.id: w
            for w in await lines.upsert(store, [_line(r) for r in batch], stored, at)
        }
        for r in batch:
            done = wrote.get(r.id)
            if done is None or not done.ok:
                result.refused.append(
                    FeedProblem(r.row, "id", f"inbound {r.id} changed meanwhile; not applied")
                )
                continue
            result.written += 1
            result.created += done.created
            result.moved += done.moved
            if done.moved:
                await repromise(store, done.inbound, now=at)
        if progress is not None:
            progress("inbound", len(batch), len(rows))
    return result
