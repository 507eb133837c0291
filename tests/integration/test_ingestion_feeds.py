"""Reading inventory feeds (pure): CSV and JSON, every problem with its row, and the comparison
of a snapshot with the OMS's positions."""

from __future__ import annotations

import pytest

from ordergraph.connectors.feeds import (
    DeltaRow,
    FeedError,
    SnapshotRow,
    detect_format,
    read_feed,
)
from ordergraph.domain.reconciliation import (
    MISSING_IN_FEED,
    MISSING_IN_OMS,
    ON_HAND_DIFFERS,
    UNKNOWN_LOCATION,
    UNKNOWN_SKU,
    Position,
    reconcile,
)
from tests.conftest import FIXTURES

FEEDS = FIXTURES / "feeds"


def problems(data: bytes, kind: str = "snapshot", fmt: str = "csv") -> list[str]:
    with pytest.raises(FeedError) as caught:
        read_feed(data, kind, fmt)  # type: ignore[arg-type]
    return [str(p) for p in caught.value.problems]


def test_csv_and_json_snapshots_read_the_same_rows() -> None:
    csv_rows = read_feed((FEEDS / "snapshot_small.csv").read_bytes(), "snapshot", "csv")
    json_rows = read_feed((FEEDS / "snapshot_small.json").read_bytes(), "snapshot", "json")
    assert csv_rows == json_rows
    assert csv_rows[1] == SnapshotRow(2, "DC-RENO", "SKU-4", 6, None)


def test_header_names_ignore_case_and_underscores_and_a_bom_and_blank_lines_are_fine() -> None:
    rows = read_feed(
        b"\xef\xbb\xbfLOCATION,Sku,on_hand\r\nDC-RENO,SKU-1,3\r\n\r\n", "snapshot", "csv"
    )
    assert rows == [SnapshotRow(1, "DC-RENO", "SKU-1", 3)]


def test_every_bad_row_is_reported_with_its_number_and_field() -> None:
    assert problems((FEEDS / "snapshot_bad.csv").read_bytes()) == [
        "row 2, onHand: must be between 0 and 1000000000, got -4",
        "row 5, sku: repeats the position of row 1 (DC-RENO, SKU-1)",
        "row 6, onHand: must be a whole number, got 'ten'",
    ]


def test_a_header_that_lacks_or_misspells_a_column_is_refused_as_a_whole() -> None:
    assert problems(b"location,sku,onHnd\nA,B,1\n") == [
        "file, onHnd: unknown column (expected location, sku, onHand, safetyStock, damaged, "
        "qualityControl)",
        "file, onHand: column is missing",
    ]
    assert problems(b"") == ["file: the file is empty (a header row is needed)"]
    assert problems(b"location,sku,onHand\nA,B,1,9\n") == [
        "row 1: has 1 more cells than the header"
    ]


def test_json_rows_must_be_objects_with_known_keys() -> None:
    assert problems(
        b'[{"location": "A", "sku": "B", "onHand": 1.5, "bin": "X"}, 3]', fmt="json"
    ) == [
        "row 1, onHand: must be a whole number, got 1.5",
        "row 1, bin: is not a field of a snapshot row (location, sku, onHand, safetyStock, "
        "damaged, qualityControl)",
        "row 2: expected an object",
    ]
    assert problems(b"{oops", fmt="json")[0].startswith("file: not valid JSON")


def test_deltas_may_repeat_a_position_but_not_be_zero() -> None:
    rows = read_feed((FEEDS / "delta_small.json").read_bytes(), "delta", "json")
    assert rows[0] == DeltaRow(1, "DC-RENO", "SKU-1", -3, "damaged in putaway")
    assert problems(b"location,sku,delta\nA,B,0\n", "delta") == ["row 1, delta: must not be zero"]


def test_the_format_comes_from_the_content_type_then_the_name_then_the_content() -> None:
    assert detect_format("application/json; charset=utf-8", "x.csv", b"a") == "json"
    assert detect_format(None, "stock.CSV", b"[") == "csv"
    assert detect_format(None, None, b"  [{}]") == "json"
    assert detect_format("application/octet-stream", None, b"location,sku") == "csv"


def test_reconcile_lists_differences_missing_positions_unknown_ids_and_shortfalls() -> None:
    rows = [
        SnapshotRow(1, "DC", "A", 10),  # same
        SnapshotRow(2, "DC", "B", 3),  # differs, and 3 < 4 reserved + 1 safety
        SnapshotRow(3, "DC", "C", 7, safety_stock=9),  # missing in OMS; 7 < 0 + 9
        SnapshotRow(4, "MARS", "A", 1),
        SnapshotRow(5, "DC", "Z", 1),
    ]
    oms = [
        Position("DC", "A", 10, 2, 0),
        Position("DC", "B", 8, 4, 1),
        Position("DC", "D", 5, 0, 0),
        Position("DC", "E", 0, 0, 0),
    ]
    report = reconcile(rows, oms, {"DC"}, {"A", "B", "C", "D", "E"})
    assert report.rows == 5 and report.matching == 1
    assert [
        (d.kind, d.sku, d.feed_on_hand, d.oms_on_hand, d.difference) for d in report.discrepancies
    ] == [
        (ON_HAND_DIFFERS, "B", 3, 8, -5),
        (MISSING_IN_OMS, "C", 7, None, 7),
        (UNKNOWN_LOCATION, "A", 1, None, 1),
        (UNKNOWN_SKU, "Z", 1, None, 1),
        (MISSING_IN_FEED, "D", None, 5, -5),  # E holds nothing: no disagreement
    ]
    assert [(s.sku, s.shortfall, s.row) for s in report.shortfalls] == [("B", 2, 2), ("C", 2, 3)]
