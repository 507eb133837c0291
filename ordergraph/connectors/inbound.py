"""The ERP's inbound feed: purchase-order and transfer lines, CSV or JSON.

Pure: bytes in, checked rows out, read by the machinery of ``connectors.feeds`` (the same
header rules, row numbers and problems; all or nothing). A row is
``id, location, sku, quantity, expectedAt[, kind]``: it creates the line ``id`` or moves its
quantity and expected date (an ISO date, ``2026-12-15``); ``kind`` is PURCHASE_ORDER (the
default) or TRANSFER. A file may list a line once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ordergraph.connectors.feeds import (
    INBOUND,
    FeedFormat,
    FeedProblem,
    count,
    feed_error,
    ident,
    no_other_keys,
    numbered,
    read_records,
)
from ordergraph.domain.inbound import DEFAULT_KIND, INBOUND_KINDS, parse_expected_date


@dataclass(frozen=True)
class InboundRow:
    row: int
    id: str
    location: str
    sku: str
    quantity: int
    expected_at: date
    kind: str = DEFAULT_KIND


def check_inbound_feed(
    data: bytes, fmt: FeedFormat
) -> tuple[list[InboundRow], list[FeedProblem], int]:
    """The good rows, the problems of the others, and how many rows there were."""
    records, problems = read_records(data, INBOUND, fmt)
    if any(p.row is None for p in problems):
        return [], problems, len(records)
    rows = [r for r in (_line(i, rec, problems) for i, rec in numbered(records)) if r]
    first: dict[str, int] = {}
    for row in rows:
        seen = first.setdefault(row.id, row.row)
        if seen != row.row:
            problems.append(FeedProblem(row.row, "id", f"repeats the line of row {seen}"))
    return rows, sorted(problems, key=lambda p: p.row or 0), len(records)


def read_inbound_feed(data: bytes, fmt: FeedFormat) -> list[InboundRow]:
    """Every row of an inbound feed, checked; ``FeedError`` listing every problem."""
    rows, problems, total = check_inbound_feed(data, fmt)
    if problems:
        raise feed_error(problems, total)
    return rows


def _line(row: int, rec: Mapping[str, Any], problems: list[FeedProblem]) -> InboundRow | None:
    before = len(problems)
    line_id = ident(row, rec, "id", problems)
    location, sku = ident(row, rec, "location", problems), ident(row, rec, "sku", problems)
    quantity = count(row, rec, "quantity", problems, low=1)
    expected: date | None = None
    if rec.get("expectedAt") is None:
        problems.append(FeedProblem(row, "expectedAt", "is missing"))
    else:
        try:
            expected = parse_expected_date(_text(rec["expectedAt"]))
        except ValueError as exc:
            problems.append(FeedProblem(row, "expectedAt", str(exc)))
    kind = _text(rec.get("kind") or DEFAULT_KIND)
    if kind not in INBOUND_KINDS:
        problems.append(FeedProblem(row, "kind", f"must be one of {', '.join(INBOUND_KINDS)}"))
    no_other_keys(row, rec, INBOUND, problems)
    if (
        len(problems) > before
        or line_id is None
        or location is None
        or sku is None
        or quantity is None
        or expected is None
    ):
        return None
    return InboundRow(row, line_id, location, sku, quantity, expected, str(kind))


def _text(value: object) -> object:
    return value.strip() if isinstance(value, str) else value
