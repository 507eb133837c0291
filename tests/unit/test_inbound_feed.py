"""Reading the ERP's inbound feed (pure): CSV and JSON give the same rows, every problem is
reported with its row and field, a line may be listed once."""

from __future__ import annotations

from datetime import date

import pytest

from ordergraph.connectors.feeds import FeedError
from ordergraph.connectors.inbound import InboundRow, read_inbound_feed

CSV = b"ID,Location,SKU,Quantity,Expected_At,Kind\nPO-1,DC-RENO,SKU-1,500,2026-12-15,\n"
JSON = (
    b'[{"id": "PO-1", "location": "DC-RENO", "sku": "SKU-1", "quantity": 500,'
    b' "expectedAt": "2026-12-15"}]'
)


def problems(data: bytes, fmt: str = "csv") -> list[str]:
    with pytest.raises(FeedError) as caught:
        read_inbound_feed(data, fmt)  # type: ignore[arg-type]
    return [str(p) for p in caught.value.problems]


def test_csv_and_json_read_the_same_line() -> None:
    expected = [InboundRow(1, "PO-1", "DC-RENO", "SKU-1", 500, date(2026, 12, 15))]
    assert read_inbound_feed(CSV, "csv") == expected
    assert read_inbound_feed(JSON, "json") == expected
    assert expected[0].kind == "PURCHASE_ORDER"


def test_every_bad_row_is_reported_with_its_field() -> None:
    data = (
        b"id,location,sku,quantity,expectedAt,kind\n"
        b"PO-1,DC-RENO,SKU-1,0,2026-12-15,\n"
        b"PO-2,DC-RENO,SKU-1,5,tomorrow,\n"
        b"PO-3,DC-RENO,SKU-1,5,2026-12-15,SHIP\n"
        b"PO-4,DC-RENO,SKU-1,5,2026-12-15,TRANSFER\n"
        b"PO-4,STORE-SF,SKU-1,2,2026-12-16,TRANSFER\n"
        b",DC-RENO,SKU-1,5,2026-12-15,\n"
    )
    assert problems(data) == [
        "row 1, quantity: must be between 1 and 1000000000, got 0",
        "row 2, expectedAt: must be a date YYYY-MM-DD, got 'tomorrow'",
        "row 3, kind: must be one of PURCHASE_ORDER, TRANSFER",
        "row 5, id: repeats the line of row 4",
        "row 6, id: is missing",
    ]


def test_a_header_without_a_required_column_is_refused_as_a_whole() -> None:
    assert problems(b"id,location,sku,quantity\nPO-1,DC-RENO,SKU-1,5\n") == [
        "file, expectedAt: column is missing"
    ]
    assert problems(b'[{"id": "PO-1", "location": "DC-RENO", "sku": "SKU-1", "quantity": 5, '
                    b'"expectedAt": "2026-12-15", "received": 2}]', "json") == [
        "row 1, received: is not a field of an inbound row "
        "(id, location, sku, quantity, expectedAt, kind)"
    ]  # fmt: skip
