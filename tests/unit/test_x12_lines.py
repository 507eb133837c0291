"""X12 850 lines one by one: units and packs in eaches, quantities, SKUs among the product ids,
BEG01 purposes, and the 855 line statuses from what the order holds (connectors.x12.order)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ordergraph.connectors.ingest import CHANNELS, DecodeContext
from ordergraph.connectors.x12 import order as x12_order
from ordergraph.connectors.x12.acknowledgement import LineAck, build_855
from ordergraph.connectors.x12.envelope import ControlNumbers
from ordergraph.connectors.x12.order import HeldLine, X12Lines
from ordergraph.connectors.x12.purchase_order import PoLine, PurchaseOrder850, parse_850, read_850s
from ordergraph.connectors.x12.syntax import X12Error, tokenize
from ordergraph.domain.errors import ErrorCode, ValidationError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "x12"
PO_4010 = (FIXTURES / "po_4010.edi").read_bytes().decode("ascii")
TWO_POS = (FIXTURES / "two_pos_4010.edi").read_bytes().decode("ascii")
WHEN = datetime(2024, 3, 11, 10, 5)


def with_lines(*lines: str, purpose: str = "00") -> str:
    """po_4010.edi with these PO1 loops ('/' between segments) in place of its three."""
    head, rest = PO_4010.split("PO1*1*", 1)
    tail = rest[rest.index("CTT*") :]
    segments = [s for line in lines for s in line.split("/")]
    body = "".join(f"{s}~\n" for s in segments)
    text = head + body + f"CTT*{sum(s.startswith('PO1*') for s in segments)}" + tail[5:]
    text = text.replace("CTT*1*16~", "CTT*1~").replace("CTT*2*16~", "CTT*2~")
    text = text.replace("BEG*00*", f"BEG*{purpose}*")
    count = text[text.index("ST*850") : text.index("SE*")].count("~")
    return text.replace("SE*23*0001", f"SE*{count + 1}*0001")


def only(text: str) -> PurchaseOrder850:
    [po] = parse_850(text)
    return po


# -- reading ----------------------------------------------------------------------------------


def test_reads_the_pack_size_of_a_line_from_po4() -> None:
    po = only(
        with_lines(
            "PO1*1*3*CA*24**VP*V-1/PO4*12",
            "PO1*2*1*CA*24**VP*V-2/PO4*4*12*OZ***********6",  # 4 inner packs of 6
            "PO1*3*1*CA*24**VP*V-3",
        )
    )
    assert [line.pack for line in po.lines] == [12, 24, None]
    assert all(line.problem is None for line in po.lines)


@pytest.mark.parametrize(
    ("po1", "problem"),
    [
        ("PO1*2*three*EA*1**SK*S", "segment 18 (PO1): PO102 'three' is not a number"),
        ("PO1*2*-2*EA*1**SK*S", "PO102 (quantity) '-2' is negative"),
        ("PO1*2**EA*1**SK*S", "PO102 (quantity) is missing"),
        ("PO1*2*1*EA*-1**SK*S", "PO104 (unit price) '-1' is negative"),
        ("PO1*2*1*CA*1**SK*S/PO4*0", "PO401 (pack) '0' is not a positive whole number"),
    ],
    ids=["not a number", "negative", "missing", "negative price", "zero pack"],
)
def test_a_bad_line_is_kept_with_its_problem_and_the_others_are_read(
    po1: str, problem: str
) -> None:
    po = only(with_lines("PO1*1*2*EA*1**SK*A", po1, "PO1*3*0*EA*1**SK*B"))
    assert [line.problem for line in po.lines] == [None, problem, None]
    assert [line.quantity for line in po.lines][::2] == [2, 0]  # 0 is read: a replacement's


def test_one_broken_po_of_an_interchange_does_not_hide_the_others() -> None:
    text = TWO_POS.replace("BEG*00*SA*PO-A100**20240501~", "NTE*GEN*no BEG~")
    first, second = read_850s(text)
    assert isinstance(first, X12Error) and "has no BEG segment" in str(first)
    assert isinstance(second, PurchaseOrder850) and second.po_number == "PO-B200"
    with pytest.raises(X12Error, match="has no BEG segment"):
        parse_850(text)
    decoded = CHANNELS["x12"].decode(text.encode(), None, DecodeContext())
    assert [d.error is not None for d in decoded] == [True, False]


def test_reads_every_po_of_every_group_with_newline_terminators() -> None:
    second_group = TWO_POS[TWO_POS.index("ST*850*0002") : TWO_POS.index("GE*")]
    text = TWO_POS.replace("ST*850*0002" + second_group[len("ST*850*0002") :], "")
    text = text.replace(
        "GE*2*77~",
        "GE*1*77~\nGS*PO*HOMEGOODS*ORDERGRAPH*20240501*0805*78*X*004010~\n"
        + second_group
        + "GE*1*78~",
    ).replace("IEA*1*", "IEA*2*")
    text = text.replace("~", "~\r\n").replace("\r\n\n", "\r\n")
    assert [po.po_number for po in parse_850(text)] == ["PO-A100", "PO-B200"]
    assert [po.group_control for po in parse_850(text)] == ["77", "78"]


def test_a_three_letter_north_american_country_is_read_as_its_two_letter_code() -> None:
    po = only(PO_4010.replace("N4*Portland*OR*97201~", "N4*Portland*OR*97201*USA~"))
    assert po.ship_to is not None and po.ship_to.country == "US"


# -- each line in eaches ----------------------------------------------------------------------


def line(unit: str, quantity: str = "2", pack: int | None = None, price: str = "24") -> PoLine:
    return PoLine(
        "1", Decimal(quantity), unit, Decimal(price), "SKU-1", "SK", (("SK", "SKU-1"),), pack=pack
    )


def po_of(*lines: PoLine, purpose: str = "00") -> PurchaseOrder850:
    base = only(PO_4010)
    numbered = tuple(replace(ln, line_number=str(i)) for i, ln in enumerate(lines, start=1))
    return replace(base, lines=numbered, purpose=purpose)


@pytest.mark.parametrize(
    ("unit", "quantity", "pack", "eaches", "each_price"),
    [
        ("EA", "2", None, 2, "24"),
        ("EACH", "2", None, 2, "24"),
        ("UN", "2", None, 2, "24"),
        ("CA", "3", 12, 36, "2"),
        ("BX", "1", 6, 6, "4"),
        ("DZ", "2", None, 24, "2"),
        ("PR", "3", None, 6, "12"),
        ("DZ", "1", 10, 10, "2.4"),  # the partner's PO4 wins over the standard size
        ("CA", "0.5", 12, 6, "2"),
    ],
)
def test_units_with_a_known_pack_size_are_ordered_in_eaches(
    unit: str, quantity: str, pack: int | None, eaches: int, each_price: str
) -> None:
    [verdict] = x12_order.verdicts(po_of(line(unit, quantity, pack)))
    assert verdict.error is None
    assert (verdict.eaches, verdict.unit_price) == (eaches, Decimal(each_price))


@pytest.mark.parametrize(
    ("unit", "quantity", "purpose", "message", "code"),
    [
        ("CA", "3", "00", "unit 'CA' has no pack size", ErrorCode.INVALID_INPUT),
        ("LB", "4.5", "00", "unit 'LB' has no pack size", ErrorCode.INVALID_INPUT),
        ("EA", "1.5", "00", "1.5 EA is not a whole number of units", ErrorCode.INVALID_INPUT),
        ("EA", "0", "00", "quantity 0 (only a replacement", ErrorCode.INVALID_INPUT),
        ("EA", "0", "07", "quantity 0 (only a replacement", ErrorCode.INVALID_INPUT),
    ],
)
def test_a_line_that_cannot_be_read_in_eaches_is_refused_alone(
    unit: str, quantity: str, purpose: str, message: str, code: ErrorCode
) -> None:
    good, bad = x12_order.verdicts(po_of(line("EA"), line(unit, quantity), purpose=purpose))
    assert good.error is None and good.eaches == 2
    assert bad.error is not None and message in bad.error.message
    assert bad.error.code is code and bad.error.field[:2] == ("lines", "1")


def test_a_replacement_may_set_a_line_to_zero() -> None:
    [verdict] = x12_order.verdicts(po_of(line("EA", "0"), purpose="05"))
    assert verdict.error is None and verdict.eaches == 0


def test_the_sku_is_the_first_product_id_the_catalog_knows_whatever_their_order() -> None:
    sent = replace(line("EA"), product_ids=(("UP", "0001"), ("VP", "V-9"), ("BP", "SKU-5")))
    [verdict] = x12_order.verdicts(po_of(sent))
    assert verdict.candidates == ("V-9", "SKU-5", "0001")  # ours, the buyer's, then barcodes
    [chosen] = x12_order.resolve([verdict], frozenset({"SKU-5", "0001"}), po_of(sent))
    assert chosen.candidates == ("SKU-5",)
    [unknown] = x12_order.resolve([verdict], frozenset(), po_of(sent))
    assert unknown.error is not None and unknown.error.code is ErrorCode.UNKNOWN_SKU
    assert "unknown SKU (UP 0001, VP V-9, BP SKU-5)" in unknown.error.message


def test_a_cancellation_is_a_cancelled_order_and_other_purposes_are_refused() -> None:
    cancelled = x12_order.to_canonical(po_of(line("EA"), purpose="01"), [])
    assert cancelled.status == "CANCELLED"
    for purpose in ("04", "06", "ZZ"):
        with pytest.raises(ValidationError, match=f"BEG01 '{purpose}' is not a purpose"):
            x12_order.to_canonical(po_of(line("EA"), purpose=purpose), [])


# -- the 855 from what the order holds --------------------------------------------------------


def lines_info(po: PurchaseOrder850, rejected: tuple[str, ...] = ()) -> X12Lines:
    skus = {ln.line_number: ln.sku or "" for ln in po.lines if ln.line_number not in rejected}
    return X12Lines(skus=skus, rejected={n: "refused" for n in rejected})


@pytest.mark.parametrize(
    ("sent", "purpose", "held", "expected"),
    [
        (line("EA", "2"), "00", HeldLine("SKU-1", 2, 0), ("IA", 2, "EA")),
        (line("EA", "5"), "00", HeldLine("SKU-1", 2, 0), ("IQ", 2, "EA")),  # a resend of 5
        (line("EA", "2"), "00", HeldLine("SKU-1", 2, 2), ("IB", 2, "EA")),
        (line("EA", "2"), "00", HeldLine("SKU-1", 2, 1), ("BP", 2, "EA")),
        (line("EA", "0"), "05", HeldLine("SKU-1", 0, 0), ("ID", 0, "EA")),
        (line("EA", "2"), "01", HeldLine("SKU-1", 0, 0), ("ID", 0, "EA")),
        (line("CA", "3", 12), "00", HeldLine("SKU-1", 36, 0), ("IA", 3, "CA")),
        (line("CA", "3", 12), "00", HeldLine("SKU-1", 24, 0), ("IQ", 2, "CA")),
        (line("CA", "3", 12), "00", HeldLine("SKU-1", 30, 0), ("IQ", 30, "EA")),
        (line("EA", "2"), "00", HeldLine("SKU-OTHER", 2, 0), ("IR", 2, "EA")),
    ],
)
def test_each_line_is_acknowledged_with_what_the_order_holds(
    sent: PoLine, purpose: str, held: HeldLine, expected: tuple[str, int, str]
) -> None:
    po = po_of(sent, purpose=purpose)
    assert x12_order.acknowledgements(po, lines_info(po), [held]) == {"1": expected}


def test_a_sku_on_two_lines_is_shared_out_in_line_order() -> None:
    po = po_of(line("EA", "2"), line("EA", "3"))
    acks = x12_order.acknowledgements(po, lines_info(po), [HeldLine("SKU-1", 4, 0)])
    assert acks == {"1": ("IA", 2, "EA"), "2": ("IQ", 2, "EA")}


def test_refused_lines_and_pos_without_an_order_are_rejected_with_the_quantity_sent() -> None:
    po = po_of(line("EA", "2"), line("CA", "3"))
    held = [HeldLine("SKU-1", 2, 0)]
    assert x12_order.acknowledgements(po, lines_info(po, ("2",)), held) == {
        "1": ("IA", 2, "EA"),
        "2": ("IR", 3, "CA"),
    }
    assert x12_order.acknowledgements(po, lines_info(po), None) == {
        "1": ("IR", 2, "EA"),
        "2": ("IR", 3, "CA"),
    }


def test_the_855_writes_the_unit_acknowledged_and_a_deleted_po_is_acknowledged() -> None:
    po = only(PO_4010)
    acks: dict[str, LineAck] = {"1": ("IA", 12, "EA"), "2": ("IQ", 30, "EA"), "3": ("ID", 0)}
    text = build_855(po, acks, our_id="ORDERGRAPHWMS", controls=ControlNumbers(1, 1, 1), when=WHEN)
    segments = tokenize(text)[1]
    assert [s.elements[:3] for s in segments if s.tag == "ACK"] == [
        ("IA", "12", "EA"),
        ("IQ", "30", "EA"),  # line 2 was ordered in cases
        ("ID", "0", "EA"),
    ]
    assert next(s for s in segments if s.tag == "BAK").element(2) == "AC"
    deleted: dict[str, LineAck] = {n: ("ID", 0) for n in ("1", "2", "3")}
    text = build_855(
        po, deleted, our_id="ORDERGRAPHWMS", controls=ControlNumbers(1, 1, 1), when=WHEN
    )
    assert next(s for s in tokenize(text)[1] if s.tag == "BAK").element(2) == "AC"
