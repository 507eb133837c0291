"""ERP/WMS inventory feeds: snapshots (absolute on-hand) and deltas (movements), CSV or JSON.

Pure: bytes in, checked rows out, and the comparison of a snapshot with the OMS's positions.

* A snapshot row is ``location, sku, onHand[, safetyStock]``; a delta row is
  ``location, sku, delta[, reason]``. CSV has a header naming those columns (any case, ``_``
  ignored: ``on_hand`` is ``onHand``); JSON is a list of objects with those keys.
* Every problem is collected, each naming its row (1 is the first row after the CSV header, or
  the first object of the JSON list), the field and why; ``FeedError`` carries them all. A feed
  is applied only when it has none (all or nothing, like the network loader).
* A snapshot may list a position once; a delta feed may move one position several times.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from ordergraph.domain.errors import ErrorCode, OrderGraphError

SNAPSHOT: Literal["snapshot"] = "snapshot"
DELTA: Literal["delta"] = "delta"
FeedKind = Literal["snapshot", "delta"]
FeedFormat = Literal["csv", "json"]

MAX_ON_HAND = 1_000_000_000
MAX_ID_LENGTH = 100
MAX_REASON = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EXTRA = "\0extra"  # CSV cells beyond the header, counted
_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # kind -> (required, optional)
    SNAPSHOT: (("location", "sku", "onHand"), ("safetyStock",)),
    DELTA: (("location", "sku", "delta"), ("reason",)),
}


@dataclass(frozen=True)
class FeedProblem:
    row: int | None  # None: the file as a whole (header, encoding, JSON syntax)
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        return f"{where}{', ' + self.field if self.field else ''}: {self.reason}"


@dataclass
class FeedError(OrderGraphError):
    """A feed with problems; nothing of it was applied."""

    problems: list[FeedProblem] = field(default_factory=list)

    def __str__(self) -> str:
        shown = "\n".join(f"  {p}" for p in self.problems[:50])
        more = len(self.problems) - 50
        return f"{self.message}\n{shown}" + (f"\n  ... and {more} more" if more > 0 else "")


def feed_error(problems: list[FeedProblem], rows: int) -> FeedError:
    bad = len({p.row for p in problems})
    what = "the file" if all(p.row is None for p in problems) else f"{bad} of {rows} rows"
    return FeedError(
        f"feed rejected, nothing applied: {what} with problems",
        ErrorCode.INVALID_INPUT,
        problems=problems,
    )


@dataclass(frozen=True)
class SnapshotRow:
    row: int
    location: str
    sku: str
    on_hand: int
    safety_stock: int | None = None

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"location": self.location, "sku": self.sku, "onHand": self.on_hand}
        if self.safety_stock is not None:
            out["safetyStock"] = self.safety_stock
        return out


@dataclass(frozen=True)
class DeltaRow:
    row: int
    location: str
    sku: str
    delta: int
    reason: str | None = None


# ---- reading --------------------------------------------------------------------------------


def detect_format(content_type: str | None, name: str | None, data: bytes) -> FeedFormat:
    """JSON or CSV, from the content type, else the file name, else the first character."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind.endswith("json"):
        return "json"
    if kind in ("text/csv", "application/csv"):
        return "csv"
    if name and name.lower().endswith(".json"):
        return "json"
    if name and name.lower().endswith(".csv"):
        return "csv"
    return "json" if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{") else "csv"


def read_feed(data: bytes, kind: FeedKind, fmt: FeedFormat) -> list[SnapshotRow] | list[DeltaRow]:
    """Every row of a feed, checked; raises ``FeedError`` listing every problem."""
    rows, problems, count = check_feed(data, kind, fmt)
    if problems:
        raise feed_error(problems, count)
    return rows


def check_feed(
    data: bytes, kind: FeedKind, fmt: FeedFormat
) -> tuple[list[SnapshotRow] | list[DeltaRow], list[FeedProblem], int]:
    """The good rows, the problems of the others, and how many rows there were."""
    records, problems = _records(data, kind, fmt)
    if any(p.row is None for p in problems):
        return [], problems, len(records)
    rows, more = check_records(records, kind)
    return rows, sorted(problems + more, key=_by_row), len(records)


def rows_from_records(
    records: Sequence[Mapping[str, Any]], kind: FeedKind
) -> list[SnapshotRow] | list[DeltaRow]:
    """Check records (dicts keyed by the column names) and type them; ``FeedError`` if bad."""
    rows, problems = check_records(records, kind)
    if problems:
        raise feed_error(problems, len(records))
    return rows


def check_records(
    records: Sequence[Mapping[str, Any] | None], kind: FeedKind
) -> tuple[list[SnapshotRow] | list[DeltaRow], list[FeedProblem]]:
    problems: list[FeedProblem] = []
    if kind == SNAPSHOT:
        snapshot = [r for r in (_snapshot(i, rec, problems) for i, rec in _numbered(records)) if r]
        seen: dict[tuple[str, str], int] = {}
        for row in snapshot:
            first = seen.setdefault((row.location, row.sku), row.row)
            if first != row.row:
                problems.append(
                    FeedProblem(
                        row.row,
                        "sku",
                        f"repeats the position of row {first} ({row.location}, {row.sku})",
                    )
                )
        return snapshot, sorted(problems, key=_by_row)
    deltas = [r for r in (_delta(i, rec, problems) for i, rec in _numbered(records)) if r]
    return deltas, problems


def _by_row(problem: FeedProblem) -> int:
    return problem.row or 0


def _numbered(
    records: Sequence[Mapping[str, Any] | None],
) -> Iterable[tuple[int, Mapping[str, Any]]]:
    """(row number, record); None stands for a row already reported (not a JSON object)."""
    return ((i, rec) for i, rec in enumerate(records, start=1) if rec is not None)


def _records(
    data: bytes, kind: FeedKind, fmt: FeedFormat
) -> tuple[list[dict[str, Any] | None], list[FeedProblem]]:
    if fmt == "json":
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            return [], [FeedProblem(None, None, f"not valid JSON: {exc}")]
        if isinstance(doc, dict) and isinstance(doc.get("rows"), list):
            doc = doc["rows"]
        if not isinstance(doc, list):
            return [], [FeedProblem(None, None, "expected a JSON list of objects")]
        problems = [
            FeedProblem(i, None, "expected an object")
            for i, rec in enumerate(doc, start=1)
            if not isinstance(rec, dict)
        ]
        return [rec if isinstance(rec, dict) else None for rec in doc], problems
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [FeedProblem(None, None, f"not UTF-8 text: {exc}")]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return [], [FeedProblem(None, None, "the file is empty (a header row is needed)")]
    required, optional = _COLUMNS[kind]
    names = {_squash(c): c for c in (*required, *optional)}
    columns: list[str | None] = [names.get(_squash(h)) for h in header]
    problems = [
        FeedProblem(
            None,
            h,
            f"unknown column (expected {', '.join(required)}{''.join(', ' + o for o in optional)})",
        )
        for h, c in zip(header, columns, strict=True)
        if c is None and h.strip()
    ]
    problems += [FeedProblem(None, c, "column is missing") for c in required if c not in columns]
    if problems:
        return [], problems
    records: list[dict[str, Any] | None] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, e.g. at the end of the file
        record: dict[str, Any] = {}
        for column, cell in zip(columns, cells, strict=False):
            if column is not None and cell.strip() != "":
                record[column] = cell.strip()
        if len(cells) > len(header):
            record[_EXTRA] = len(cells) - len(header)
        records.append(record)
    return records, []


def _squash(name: str) -> str:
    return name.strip().replace("_", "").replace(" ", "").lower()


def _snapshot(row: int, rec: Mapping[str, Any], problems: list[FeedProblem]) -> SnapshotRow | None:
    before = len(problems)
    location, sku = _ident(row, rec, "location", problems), _ident(row, rec, "sku", problems)
    on_hand = _count(row, rec, "onHand", problems, low=0)
    safety = _count(row, rec, "safetyStock", problems, low=0, required=False)
    _no_other_keys(row, rec, SNAPSHOT, problems)
    if len(problems) > before or location is None or sku is None or on_hand is None:
        return None
    return SnapshotRow(row, location, sku, on_hand, safety)


def _delta(row: int, rec: Mapping[str, Any], problems: list[FeedProblem]) -> DeltaRow | None:
    before = len(problems)
    location, sku = _ident(row, rec, "location", problems), _ident(row, rec, "sku", problems)
    delta = _count(row, rec, "delta", problems, low=-MAX_ON_HAND)
    if delta == 0:
        problems.append(FeedProblem(row, "delta", "must not be zero"))
    reason = rec.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        problems.append(
            FeedProblem(row, "reason", f"must be text of at most {MAX_REASON} characters")
        )
    _no_other_keys(row, rec, DELTA, problems)
    if len(problems) > before or location is None or sku is None or delta is None:
        return None
    return DeltaRow(row, location, sku, delta, (reason.strip() or None) if reason else None)


def _ident(row: int, rec: Mapping[str, Any], key: str, problems: list[FeedProblem]) -> str | None:
    value = rec.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.append(FeedProblem(row, key, "is missing"))
        return None
    if not isinstance(value, str):
        problems.append(FeedProblem(row, key, f"must be text, got {value!r}"))
        return None
    value = value.strip()
    if len(value) > MAX_ID_LENGTH or _CONTROL.search(value):
        problems.append(
            FeedProblem(row, key, f"must be at most {MAX_ID_LENGTH} printable characters")
        )
        return None
    return value


def _count(
    row: int,
    rec: Mapping[str, Any],
    key: str,
    problems: list[FeedProblem],
    *,
    low: int,
    required: bool = True,
) -> int | None:
    value = rec.get(key)
    if value is None:
        if required:
            problems.append(FeedProblem(row, key, "is missing"))
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,12}", value.strip()):
        number = int(value)
    if number is None:
        problems.append(FeedProblem(row, key, f"must be a whole number, got {value!r}"))
        return None
    if not low <= number <= MAX_ON_HAND:
        problems.append(
            FeedProblem(row, key, f"must be between {low} and {MAX_ON_HAND}, got {number}")
        )
        return None
    return number


def _no_other_keys(
    row: int, rec: Mapping[str, Any], kind: FeedKind, problems: list[FeedProblem]
) -> None:
    if _EXTRA in rec:
        problems.append(FeedProblem(row, None, f"has {rec[_EXTRA]} more cells than the header"))
    required, optional = _COLUMNS[kind]
    for key in rec:
        if key not in required and key not in optional and key != _EXTRA:
            problems.append(
                FeedProblem(
                    row,
                    str(key),
                    f"is not a field of a {kind} row ({', '.join((*required, *optional))})",
                )
            )


# ---- comparing a snapshot with the OMS ------------------------------------------------------

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


def reconcile(
    rows: Sequence[SnapshotRow],
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
