"""Pure checks behind the X12 review: values that FalkorDB's unique constraints cannot take
(its engine crashes on an empty id, or one with outer white space) are refused before a write."""

from __future__ import annotations

import pytest

from ordergraph.connectors.x12.purchase_order import parse_850
from ordergraph.domain.network import id_problem
from tests.e2e.test_x12_live import po850


@pytest.mark.parametrize("value", [" DC-1", "DC-1 ", "DC-1\t", ""])
def test_an_id_with_outer_white_space_or_none_is_refused(value: str) -> None:
    assert id_problem(value) is not None


def test_an_inner_space_is_a_fine_id() -> None:
    assert id_problem("DC 1") is None


def test_the_po_number_loses_its_padding() -> None:
    [po] = parse_850(po850(" REV-1 \t", "PO1*1*1*EA*9**SK*SKU-1"))
    assert po.po_number == "REV-1"
