"""The rules of inbound lines (pure): what is still to arrive, what is left to sell, status,
and the checks of a quantity and a date; and the records built on them."""

from __future__ import annotations

from datetime import date

import pytest

from ordergraph.domain.inbound import (
    InboundStatus,
    parse_expected_date,
    quantity_problem,
    remaining,
    status,
    to_receive,
)
from ordergraph.graph.records.inbound import InboundRecord, InboundSupply


def test_what_is_to_receive_and_what_remains_to_sell() -> None:
    # 10 ordered, 3 received, 2 sold as preorders: 7 still to arrive, 5 still to sell
    assert to_receive(10, 3) == 7
    assert remaining(10, 3, 2) == 5
    assert remaining(10, 9, 4) == 0  # never below zero


def test_status_follows_the_receipts() -> None:
    assert status(10, 0) == InboundStatus.OPEN
    assert status(10, 4) == InboundStatus.PARTIALLY_RECEIVED
    assert status(10, 10) == InboundStatus.RECEIVED


def test_a_quantity_must_be_positive_and_cover_what_is_received_and_preordered() -> None:
    assert quantity_problem(5, 0, 0) is None
    assert quantity_problem(0, 0, 0) == "must be positive, got 0"
    assert quantity_problem(6, 4, 3) == (
        "must be at least the 4 received and 3 preordered units, got 6"
    )
    assert quantity_problem(7, 4, 3) is None


@pytest.mark.parametrize("text", ["2026-02-30", "15/12/2026", "2026-12-15T00:00:00Z", 20261215, ""])
def test_an_expected_date_is_an_iso_calendar_date(text: object) -> None:
    with pytest.raises(ValueError, match="must be a date YYYY-MM-DD"):
        parse_expected_date(text)
    assert parse_expected_date("2026-12-15") == date(2026, 12, 15)


def line(line_id: str, quantity: int, received: int, preordered: int, day: int) -> InboundRecord:
    return InboundRecord(
        line_id, "PURCHASE_ORDER", "DC", "SKU", quantity, received, preordered, date(2026, 12, day)
    )


def test_the_supply_of_a_position_sums_its_lines_and_promises_from_the_first_with_units() -> None:
    supply = InboundSupply("DC", "SKU", (line("PO-1", 10, 4, 6, 8), line("PO-2", 20, 0, 5, 15)))
    assert supply.remaining == 0 + 15
    assert supply.earliest is not None and supply.earliest.id == "PO-2"
    assert InboundSupply("DC", "SKU", ()).remaining == 0
