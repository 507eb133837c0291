"""ERP/WMS inventory feeds: snapshots (absolute on-hand) and deltas (movements), CSV or JSON.

Pure: bytes in, checked rows out. Comparing a snapshot with the OMS's positions is a domain rule
(``domain.reconciliation``).

* A snapshot row is ``location, sku, onHand[, safetyStock, damaged, qualityControl]``
  (damaged and quality-control units are counts beside on-hand, never part of it: moving units
  into or out of those states is a row that sets both numbers); a delta row is
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
from typing import Any, Literal, overload

import orjson

from ordergraph.connectors.jsontext import json_problem, not_utf8
from ordergraph.domain.errors import ErrorCode, OrderGraphError, problem_list

SNAPSHOT: Literal["snapshot"] = "snapshot"
DELTA: Literal["delta"] = "delta"
INBOUND: Literal["inbound"] = "inbound"  # inbound lines: read by connectors.inbound
FeedKind = Literal["snapshot", "delta"]
ColumnsKind = Literal["snapshot", "delta", "inbound"]
FeedFormat = Literal["csv", "json"]

MAX_ON_HAND = 1_000_000_000
MAX_ID_LENGTH = 100
MAX_REASON = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EXTRA = "\0extra"  # CSV cells beyond the header, counted
_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # kind -> (required, optional)
    SNAPSHOT: (("location", "sku", "onHand"), ("safetyStock", "damaged", "qualityControl")),
    DELTA: (("location", "sku", "delta"), ("reason",)),
    INBOUND: (("id", "location", "sku", "quantity", "expectedAt"), ("kind",)),
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
        return problem_list(self.message, self.problems)


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
    damaged: int | None = None  # None: the stored count is kept
    quality_control: int | None = None


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


@overload
def read_feed(data: bytes, kind: Literal["snapshot"], fmt: FeedFormat) -> list[SnapshotRow]: ...
@overload
def read_feed(data: bytes, kind: Literal["delta"], fmt: FeedFormat) -> list[DeltaRow]: ...
@overload
def read_feed(
    data: bytes, kind: FeedKind, fmt: FeedFormat
) -> list[SnapshotRow] | list[DeltaRow]: ...
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
    data: bytes, kind: ColumnsKind, fmt: FeedFormat
) -> tuple[list[dict[str, Any] | None], list[FeedProblem]]:
    if fmt == "json":
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            return [], [FeedProblem(None, None, json_problem(data, exc))]
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
    except UnicodeDecodeError:
        return [], [FeedProblem(None, None, not_utf8(data) or "not UTF-8 text")]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _csv_records(reader, kind)
    except csv.Error as exc:  # a cell over csv's field limit, a stray quote...
        why = (
            f"a cell is longer than {csv.field_size_limit():,} characters"
            if "field limit" in str(exc)
            else "the CSV cannot be read there (check its quoting)"
        )
        return [], [FeedProblem(reader.line_num or None, None, why)]


def _csv_records(
    reader: Any, kind: ColumnsKind
) -> tuple[list[dict[str, Any] | None], list[FeedProblem]]:
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
    damaged = _count(row, rec, "damaged", problems, low=0, required=False)
    checking = _count(row, rec, "qualityControl", problems, low=0, required=False)
    _no_other_keys(row, rec, SNAPSHOT, problems)
    if len(problems) > before or location is None or sku is None or on_hand is None:
        return None
    return SnapshotRow(row, location, sku, on_hand, safety, damaged, checking)


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
    row: int, rec: Mapping[str, Any], kind: ColumnsKind, problems: list[FeedProblem]
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
                    f"is not a field of {'an' if kind == INBOUND else 'a'} {kind} row "
                    f"({', '.join((*required, *optional))})",
                )
            )


# The readers other feeds of the same formats share (connectors.inbound): the records of a file
# (CSV cells or JSON objects by column, with the problems of the file as a whole), and the
# checks of one field.
read_records = _records
numbered = _numbered
ident = _ident
count = _count
no_other_keys = _no_other_keys
