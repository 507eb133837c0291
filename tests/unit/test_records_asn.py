"""The records of X12 ship notices (graph/records/asn.py): the partner record an 850's order
keeps in ``Order.x12`` reads what was always stored, writes it back, and fails clearly when the
stored text is not one; a shipment row reads as the 856 needs it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from ordergraph.graph.records import codec
from ordergraph.graph.records.asn import PartnerRecord, ShipmentRecord, ShippedLine

# As services.asn.partner_record has always written it.
STORED = json.dumps(
    {
        "sender": ["ZZ", "ACME", "ACMEAPP"],
        "receiver": ["ZZ", "ORDERGRAPH", "OG"],
        "interchangeVersion": "00401",
        "groupVersion": "004010",
        "usage": "T",
        "poNumber": "PO-778",
        "delimiters": ["*", ">", "~", None, "\n"],
        "lines": {"SKU-A": "1", "SKU-B": "2"},
    }
)


def test_a_partner_record_reads_what_an_850s_order_keeps() -> None:
    rec = PartnerRecord.from_row({"id": "OG-1", "x12": STORED})
    assert rec is not None
    assert (rec.sender, rec.receiver) == (("ZZ", "ACME", "ACMEAPP"), ("ZZ", "ORDERGRAPH", "OG"))
    assert (rec.interchange_version, rec.group_version, rec.usage) == ("00401", "004010", "T")
    assert rec.po_number == "PO-778"
    assert rec.delimiters == ("*", ">", "~", None, "\n")
    assert rec.lines == {"SKU-A": "1", "SKU-B": "2"}
    assert rec.skus_by_line == {"1": "SKU-A", "2": "SKU-B"}


def test_a_partner_record_writes_the_text_it_reads() -> None:
    rec = PartnerRecord.decode(STORED, "OG-1")
    assert rec is not None
    assert rec.to_params() == {"x12": STORED}
    assert PartnerRecord.from_row({"id": "OG-1", **rec.to_params()}) == rec


def test_an_order_without_a_partner_record_has_none() -> None:
    assert PartnerRecord.from_row({"id": "OG-1", "x12": None}) is None
    assert PartnerRecord.decode("", "OG-1") is None


def test_a_partner_record_without_lines_names_no_line() -> None:
    stored = json.loads(STORED)
    del stored["lines"]
    rec = PartnerRecord.decode(json.dumps(stored), "OG-1")
    assert rec is not None and rec.lines == {} and rec.skus_by_line == {}


@pytest.mark.parametrize(
    ("stored", "words"),
    [
        ('{"sender": ["ZZ"', "not valid JSON"),
        ('["ZZ", "ACME"]', "a JSON list, not a map"),
        (json.dumps({"sender": ["ZZ", "ACME", "APP"]}), "not a partner record"),
        (STORED.replace('"*", ">", "~", null, "\\n"', '"*"'), "not a partner record"),
    ],
)
def test_a_corrupt_partner_record_is_a_clear_error(stored: str, words: str) -> None:
    with pytest.raises(
        codec.CorruptProperty, match=f"^Order OG-1: stored property 'x12' is {words}"
    ):
        PartnerRecord.from_row({"id": "OG-1", "x12": stored})


SHIPMENT_ROW = {
    "order": "OG-1",
    "x12": STORED,
    "location": "DC-RENO",
    "carrier": "ups",
    "tracking": "1Z999",
    "shippedAt": "2026-12-03T23:30:00-08:00",
    "asn": None,
    "lines": [
        {"line": "OG-1-L2", "sku": "SKU-B", "quantity": 1},
        {"line": "OG-1-L1", "sku": "SKU-A", "quantity": 2},
    ],
}


def test_a_shipment_record_reads_a_shipped_fulfillment() -> None:
    rec = ShipmentRecord.from_row(SHIPMENT_ROW)
    assert (rec.order, rec.location, rec.carrier, rec.tracking) == (
        "OG-1",
        "DC-RENO",
        "ups",
        "1Z999",
    )
    assert rec.partner == PartnerRecord.decode(STORED, "OG-1")
    assert rec.shipped_at == datetime(2026, 12, 4, 7, 30, tzinfo=UTC)
    assert rec.shipped_at is not None
    assert rec.shipped_at.date() == date(2026, 12, 3)  # the day where it shipped
    assert rec.asn is None
    assert rec.lines == (ShippedLine("OG-1-L1", "SKU-A", 2), ShippedLine("OG-1-L2", "SKU-B", 1))


def test_a_shipment_of_an_order_not_from_an_850_has_no_partner() -> None:
    row = SHIPMENT_ROW | {"x12": None, "shippedAt": None, "carrier": None, "lines": []}
    rec = ShipmentRecord.from_row(row)
    assert rec.partner is None and rec.shipped_at is None and rec.carrier is None
    assert rec.lines == ()


def test_a_shipment_with_a_corrupt_partner_record_names_its_order() -> None:
    with pytest.raises(codec.CorruptProperty, match=r"^Order OG-1: stored property 'x12'"):
        ShipmentRecord.from_row(SHIPMENT_ROW | {"x12": "{"})
