"""An X12 error quoting a value of the document cuts that value only: however long the value a
partner sent, the message still names the segment and says what is wrong with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ordergraph.connectors.x12 import order as x12_order
from ordergraph.connectors.x12.purchase_order import parse_850, read_850s
from ordergraph.connectors.x12.syntax import SHOWN, X12Error, shown

PO_4010 = (Path(__file__).parents[1] / "fixtures" / "x12" / "po_4010.edi").read_text()
HUGE = "9" * 5000


def test_a_value_is_shown_as_its_repr_cut_to_a_few_characters() -> None:
    assert shown("PO-1") == "'PO-1'"
    cut = shown(HUGE)
    assert len(cut) <= SHOWN and cut.startswith("'999") and "more characters)" in cut


@pytest.mark.parametrize(
    ("old", "new", "start", "end"),
    [
        ("*905*X*004010~", "*{}*X*004010~", "segment 2 (GS): GS06 '999", "is not a number"),
        ("CTT*3*16~", "CTT*{}*16~", "segment 24 (CTT): CTT01 '999", "is not a number"),
        ("DTM*002*20240318~", "DTM*002*{}~", "segment 7 (DTM): DTM02 '999", "CCYYMMDD date"),
        (
            "GS*PO*BIGRETAIL*ORDERGRAPH*20240311*0932*905*X*004010~",
            "GS*PO*BIGRETAIL*ORDERGRAPH*20240311*0932*905*X*{}~",
            "segment 2 (GS): GS08 '999",
            "is not a supported version ('004010', '005010')",
        ),
    ],
)
def test_an_envelope_or_850_error_keeps_its_end_after_a_huge_value(
    old: str, new: str, start: str, end: str
) -> None:
    with pytest.raises(X12Error) as caught:
        parse_850(PO_4010.replace(old, new.format(HUGE)))
    message = str(caught.value)
    assert message.startswith(start) and message.endswith(end)
    assert len(message) < 200


def test_a_line_refused_for_a_huge_unit_says_why() -> None:
    [po] = read_850s(PO_4010.replace("PO1*3*1*EA*", f"PO1*3*1*{HUGE}*"))
    assert not isinstance(po, X12Error)
    [refused] = [v.error for v in x12_order.verdicts(po) if v.line.line_number == "3"]
    assert refused is not None
    assert refused.message.startswith("PO 4500012345 line 3: unit '999")
    assert refused.message.endswith(
        "has no pack size (send it in PO401, or order in EA, EACH, PC, UN)"
    )
