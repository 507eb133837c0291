"""ANSI X12: tokenizing with any delimiters, envelope checks, 850 parsing, 855/856 writing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ordergraph.connectors.x12.acknowledgement import build_855
from ordergraph.connectors.x12.envelope import (
    ControlNumbers,
    Endpoint,
    interchange_control,
    read_interchange,
)
from ordergraph.connectors.x12.purchase_order import (
    Party,
    PoLine,
    PurchaseOrder850,
    ServiceLevel,
    parse_850,
    service_level,
)
from ordergraph.connectors.x12.ship_notice import Asn, AsnLine, build_856
from ordergraph.connectors.x12.syntax import Delimiters, X12Error, render, tokenize
from ordergraph.domain.errors import ErrorCode, ValidationError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "x12"
OUR_ID = "ORDERGRAPHWMS"


def fixture(name: str) -> str:
    # bytes, not read_text(): universal newlines would turn the CRLF fixture into LF
    return (FIXTURES / name).read_bytes().decode("ascii")


def only_po(name: str) -> PurchaseOrder850:
    [po] = parse_850(fixture(name))
    return po


def x12_error(text: str) -> X12Error:
    with pytest.raises(X12Error) as caught:
        parse_850(text)
    return caught.value


def redelimit(text: str, delimiters: Delimiters) -> str:
    """The same interchange written with other delimiters (ISA11/ISA16 updated to match)."""
    _, segments = tokenize(text)
    rows = []
    for segment in segments:
        row = [segment.tag, *segment.elements]
        if segment.tag == "ISA":
            row[16] = delimiters.component
            row[11] = delimiters.repetition or row[11]
        rows.append(row)
    return render(rows, delimiters)


# -- tokenizer ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("po_4010.edi", Delimiters("*", ">", "~", None, "\n")),
        ("po_5010.edi", Delimiters("|", ":", "\n", "^", "")),
        ("two_pos_4010.edi", Delimiters("*", ">", "~", None, "\r\n")),
    ],
)
def test_reads_the_delimiters_from_the_isa_segment(name: str, expected: Delimiters) -> None:
    delimiters, _ = tokenize(fixture(name))
    assert delimiters == expected


def test_numbers_segments_from_isa_across_the_whole_interchange() -> None:
    _, segments = tokenize(fixture("two_pos_4010.edi"))
    assert [(s.position, s.tag) for s in segments[:3]] == [(1, "ISA"), (2, "GS"), (3, "ST")]
    assert [(s.position, s.tag) for s in segments[-3:]] == [(22, "SE"), (23, "GE"), (24, "IEA")]
    td5 = segments[4]
    assert (td5.position, td5.tag) == (5, "TD5")
    assert td5.elements == ("", "", "", "", "FEDEX PRIORITY OVERNIGHT")
    assert (td5.element(5), td5.element(12)) == ("FEDEX PRIORITY OVERNIGHT", "")


@pytest.mark.parametrize(
    ("name", "delimiters"),
    [
        ("po_4010.edi", Delimiters("^", "\\", "\n", None, "")),
        ("po_4010.edi", Delimiters("!", ">", "'", None, "\r\n")),
        ("po_4010.edi", Delimiters("\x1d", "\x1f", "\x1c", None, "")),
        ("po_4010.edi", Delimiters("|", ":", "~", None, "\n")),
        ("po_5010.edi", Delimiters("*", ">", "~", "^", "\n")),
        ("po_5010.edi", Delimiters("+", ":", "'", "!", "")),
    ],
    ids=[
        "caret-newline",
        "bang-quote-crlf",
        "control-chars",
        "pipe-tilde",
        "5010-star",
        "5010-plus",
    ],
)
def test_parses_the_same_order_whatever_the_delimiters(name: str, delimiters: Delimiters) -> None:
    original = only_po(name)
    [po] = parse_850(redelimit(fixture(name), delimiters))
    assert po == replace(original, envelope=replace(original.envelope, delimiters=delimiters))


def test_tolerates_a_byte_order_mark_and_blank_lines_before_isa() -> None:
    assert parse_850("\ufeff\r\n  " + fixture("po_4010.edi")) == parse_850(fixture("po_4010.edi"))


def test_refuses_to_render_a_value_holding_a_delimiter() -> None:
    with pytest.raises(X12Error, match=r"REF02 'A\*B' contains the delimiter '\*'"):
        render([("REF", "DP", "A*B")], Delimiters())


def test_drops_trailing_empty_elements_when_rendering() -> None:
    assert render([("TD5", "", "2", "UPSN", "", "")], Delimiters(line_break="\n")) == (
        "TD5**2*UPSN~\n"
    )


@pytest.mark.parametrize(
    ("element", "component", "segment", "repetition"),
    [("*", "*", "~", None), ("A", ">", "~", None), ("*", ">", "~", "~")],
)
def test_delimiters_must_be_distinct_non_alphanumeric_characters(
    element: str, component: str, segment: str, repetition: str | None
) -> None:
    with pytest.raises(X12Error):
        Delimiters(element, component, segment, repetition)


# -- envelopes ------------------------------------------------------------------------------

PO_4010 = fixture("po_4010.edi")
PO_5010 = fixture("po_5010.edi")
TWO_POS = fixture("two_pos_4010.edi")


@pytest.mark.parametrize(
    ("text", "segment", "tag", "message"),
    [
        pytest.param(
            PO_4010.replace("SE*23*0001~", "SE*22*0001~"),
            25,
            "SE",
            "segment 25 (SE): SE01 says 22 segments, the transaction set has 23",
            id="wrong SE count",
        ),
        pytest.param(
            PO_5010.replace("SE|18|4001", "SE|19|4001"),
            20,
            "SE",
            "segment 20 (SE): SE01 says 19 segments, the transaction set has 18",
            id="wrong SE count with a newline terminator",
        ),
        pytest.param(
            PO_4010.replace("SE*23*0001~", "SE*23*0002~"),
            25,
            "SE",
            "segment 25 (SE): SE02 '0002' does not match ST02 '0001' (segment 3)",
            id="ST and SE control numbers differ",
        ),
        pytest.param(
            PO_4010.replace("IEA*1*000000905~", "IEA*1*000000906~"),
            27,
            "IEA",
            "segment 27 (IEA): IEA02 '000000906' does not match ISA13 '000000905' (segment 1)",
            id="IEA control number differs from ISA13",
        ),
        pytest.param(
            PO_4010.replace("IEA*1*", "IEA*2*"),
            27,
            "IEA",
            "segment 27 (IEA): IEA01 says 2 functional groups, the interchange has 1",
            id="IEA group count",
        ),
        pytest.param(
            TWO_POS.replace("GE*2*77~", "GE*1*77~"),
            23,
            "GE",
            "segment 23 (GE): GE01 says 1 transaction sets, the group has 2",
            id="GE transaction set count",
        ),
        pytest.param(
            TWO_POS.replace("GE*2*77~", "GE*2*78~"),
            23,
            "GE",
            "segment 23 (GE): GE02 '78' does not match GS06 '77' (segment 2)",
            id="GE control number differs from GS06",
        ),
        pytest.param(
            PO_4010.replace("IEA*1*000000905~\n", ""),
            26,
            "GE",
            "segment 26 (GE): the interchange ends without an IEA segment",
            id="missing IEA",
        ),
        pytest.param(
            PO_4010.split("CTT")[0],
            23,
            "PID",
            "segment 23 (PID): the interchange ends inside transaction set 0001 (segment 3)",
            id="cut inside a transaction set",
        ),
        pytest.param(
            PO_4010.replace("SE*23*0001~\n", ""),
            25,
            "GE",
            "segment 25 (GE): transaction set 0001 (segment 3) has no SE before this GE",
            id="missing SE",
        ),
        pytest.param(
            PO_4010[:80],
            1,
            "ISA",
            "segment 1 (ISA): ISA is fixed width, 106 characters with its terminator;"
            " the text has only 80",
            id="truncated ISA",
        ),
        pytest.param(
            PO_4010.replace("BIGRETAILBUYER *", "BIGRETAILBUYER*"),
            1,
            "ISA",
            "segment 1 (ISA): ISA06 'BIGRETAILBUYER' is 14 characters, its fixed width is 15",
            id="unpadded ISA06",
        ),
        pytest.param(
            PO_4010[PO_4010.index("GS*") :],
            1,
            "ISA",
            "segment 1 (ISA): an interchange starts with ISA, not 'GS*'",
            id="no ISA",
        ),
        pytest.param(
            PO_4010.rstrip("~\n"),
            27,
            "IEA",
            "segment 27 (IEA): the text ends inside this segment, with no terminator '~'",
            id="unterminated last segment",
        ),
        pytest.param(
            PO_4010 + "GS*PO*X*Y*20240311*0932*906*X*004010~\n",
            28,
            "GS",
            "segment 28 (GS): data after the IEA segment",
            id="data after IEA",
        ),
        pytest.param(
            PO_4010.replace("*X*004010~", "*X*003060~"),
            2,
            "GS",
            "segment 2 (GS): GS08 '003060' is not a supported version ('004010', '005010')",
            id="unsupported version",
        ),
        pytest.param(
            PO_4010.replace("REF*DP*042~", "REF*DP*042~~"),
            6,
            "",
            "segment 6 (): empty segment (two terminators in a row)",
            id="empty segment",
        ),
    ],
)
def test_rejects_a_broken_envelope_naming_the_segment(
    text: str, segment: int, tag: str, message: str
) -> None:
    error = x12_error(text)
    assert (str(error), error.segment, error.tag) == (message, segment, tag)


def test_envelope_errors_are_validation_errors_with_the_invalid_input_code() -> None:
    error = x12_error(PO_4010.replace("SE*23*0001~", "SE*22*0001~"))
    assert isinstance(error, ValidationError)
    assert error.code is ErrorCode.INVALID_INPUT


@pytest.mark.parametrize(
    ("old", "new", "element"),
    [
        ("*905*X*004010~", "*{}*X*004010~", "GS06"),
        ("CTT*3*16~", "CTT*{}*16~", "CTT01"),
        ("SE*23*0001~", "SE*{}*0001~", "SE01"),
    ],
)
def test_a_numeric_element_of_thousands_of_digits_is_not_a_number(
    old: str, new: str, element: str
) -> None:  # int() refuses more than 4300 digits: it raised ValueError, not X12Error
    error = x12_error(PO_4010.replace(old, new.format("9" * 5000)))
    assert isinstance(error, ValidationError) and error.code is ErrorCode.INVALID_INPUT
    assert f"): {element} '9999" in str(error) and len(str(error)) < 600  # X12Error cuts it


def test_lists_the_control_numbers_of_every_transaction_set() -> None:
    assert interchange_control(TWO_POS) == (
        ControlNumbers(interchange=77, group=77, transaction=1),
        ControlNumbers(interchange=77, group=77, transaction=2),
    )


@pytest.mark.parametrize("bad", [0, 1_000_000_000])
def test_control_numbers_are_one_to_nine_digits(bad: int) -> None:
    with pytest.raises(ValidationError):
        ControlNumbers(interchange=bad, group=1, transaction=1)


# -- 850 ------------------------------------------------------------------------------------


def test_parses_every_field_of_a_4010_purchase_order() -> None:
    po = only_po("po_4010.edi")
    assert po.envelope.sender == Endpoint("ZZ", "BIGRETAILBUYER", "BIGRETAIL")
    assert po.envelope.receiver == Endpoint("ZZ", OUR_ID, "ORDERGRAPH")
    assert (po.envelope.interchange_version, po.envelope.group_version) == ("00401", "004010")
    assert po.envelope.usage == "P"
    assert (po.interchange_control, po.group_control, po.transaction_control) == (
        "000000905",
        "905",
        "0001",
    )
    assert (po.purpose, po.order_type, po.po_number, po.release_number, po.po_date) == (
        "00",
        "SA",
        "4500012345",
        None,
        date(2024, 3, 11),
    )
    assert po.currency == "USD"
    assert po.references == (("DP", "042"), ("IA", "VEND-7781"))
    assert po.reference("IA") == "VEND-7781"
    assert po.dates == (("002", date(2024, 3, 18)),)
    assert po.requested_delivery == date(2024, 3, 18)
    assert (po.carrier, po.routing, po.service_level_code) == ("UPSN", None, "ND")
    assert po.service_level is ServiceLevel.NEXT_DAY
    assert po.ship_to == Party(
        entity="ST",
        name="Jane Doe",
        id_qualifier="92",
        id="STORE-118",
        name_2="Attn Receiving",
        address_lines=("1200 Harbor Blvd", "Suite 4"),
        city="Portland",
        state="OR",
        postal_code="97201",
        country="US",
        contact="Jane Doe",
        phone="5035550142",
        email="jane.doe@example.com",
    )
    assert po.bill_to == Party(
        entity="BT",
        name="Big Retail Inc",
        id_qualifier="92",
        id="HQ-1",
        address_lines=("PO Box 800",),
        city="Bentonville",
        state="AR",
        postal_code="72712",
    )
    assert po.parties == (po.ship_to, po.bill_to)
    assert po.lines == (
        PoLine(
            line_number="1",
            quantity=Decimal("12"),
            unit="EA",
            unit_price=Decimal("19.99"),
            sku="SKU-RED-MUG",
            sku_qualifier="SK",
            product_ids=(("UP", "012345678905"), ("SK", "SKU-RED-MUG")),
            description="Red ceramic mug, 12 oz",
            position=17,
        ),
        PoLine(
            line_number="2",
            quantity=Decimal("3"),
            unit="CA",
            unit_price=Decimal("120.00"),
            sku="VP-TEA-24",
            sku_qualifier="VP",
            product_ids=(("VP", "VP-TEA-24"), ("BP", "BUY-0099")),
            description="Assorted tea case of 24",
            position=19,
        ),
        PoLine(
            line_number="3",
            quantity=Decimal("1"),
            unit="EA",
            unit_price=Decimal("249.5"),
            sku="BUY-7",
            sku_qualifier="IN",
            product_ids=(("UP", "098765432109"), ("IN", "BUY-7")),
            description="Kettle, stainless",
            position=22,
        ),
    )
    assert (po.line_count, po.position) == (3, 3)


def test_parses_a_5010_purchase_order_with_pipes_and_newline_terminators() -> None:
    po = only_po("po_5010.edi")
    assert po.envelope.sender == Endpoint("01", "123456789", "NORTHWINDCA")
    assert (po.envelope.interchange_version, po.envelope.group_version) == ("00501", "005010")
    assert po.envelope.usage == "T"
    assert (po.interchange_control, po.group_control, po.transaction_control) == (
        "000012001",
        "12001",
        "4001",
    )
    assert (po.order_type, po.po_number, po.release_number, po.po_date) == (
        "DS",
        "NW-88231",
        "REL-2",
        date(2024, 4, 2),
    )
    assert po.currency == "CAD"
    assert po.references == (("CO", "CUST-PO-77"),)
    assert po.requested_delivery == date(2024, 4, 10)
    assert (po.carrier, po.routing, po.service_level_code) == (None, "UPS 2ND DAY AIR", None)
    assert po.service_level is ServiceLevel.EXPRESS
    assert po.ship_to == Party(
        entity="ST",
        name="Marc Tremblay",
        address_lines=("455 Rue Sainte-Catherine O", "Apt 12"),
        city="Montreal",
        state="QC",
        postal_code="H3B 1A6",
        country="CA",
        contact="Marc Tremblay",
        email="marc@example.ca",
    )
    assert po.bill_to == Party(
        entity="BT", name="Northwind Outdoor Canada", id_qualifier="92", id="NW-CA"
    )
    assert po.lines == (
        PoLine(
            line_number="10",
            quantity=Decimal("2"),
            unit="EA",
            unit_price=Decimal("89.95"),
            sku="TENT-2P",
            sku_qualifier="VP",
            product_ids=(("UP", "012345678912"), ("VP", "TENT-2P")),
            description="Two-person tent",
            position=14,
        ),
        PoLine(
            line_number="20",
            quantity=Decimal("4.5"),
            unit="LB",
            unit_price=Decimal("3.2"),
            sku="BULK-TRAILMIX",
            sku_qualifier="BP",
            product_ids=(("BP", "BULK-TRAILMIX"),),
            description="Trail mix, bulk",
            requested_delivery=date(2024, 4, 12),
            position=16,
        ),
    )
    assert po.line_count == 2


def test_parses_both_purchase_orders_of_one_interchange() -> None:
    first, second = parse_850(TWO_POS)
    assert (first.po_number, first.transaction_control, first.position) == ("PO-A100", "0001", 3)
    assert (second.po_number, second.transaction_control, second.position) == (
        "PO-B200",
        "0002",
        13,
    )
    assert first.envelope == second.envelope
    assert first.envelope.group_version == "004010VICS"
    assert first.envelope.delimiters.line_break == "\r\n"
    assert (first.routing, first.service_level) == (
        "FEDEX PRIORITY OVERNIGHT",
        ServiceLevel.NEXT_DAY,
    )
    assert (second.carrier, second.service_level_code, second.service_level) == (
        "FDEG",
        "G2",
        ServiceLevel.STANDARD,
    )
    assert [(line.sku, line.quantity, line.unit_price) for line in first.lines] == [
        ("SKU-BLUE-CUP", Decimal("2"), Decimal("15")),
        ("SKU-POT", Decimal("1"), Decimal("42.10")),
    ]
    assert [(line.sku, line.position) for line in second.lines] == [("SKU-SPOON", 20)]
    assert first.bill_to is None
    assert second.ship_to is not None and second.ship_to.city == "Denver"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            PO_4010.replace("CTT*3*16~", "CTT*4*16~"),
            "segment 24 (CTT): CTT01 says 4 line items, the transaction set has 3 PO1 segments",
            id="CTT count",
        ),
        pytest.param(
            PO_4010.replace("PO1*3*1*EA", "PO1*2*1*EA"),
            "segment 22 (PO1): PO101 '2' repeats the line of segment 19",
            id="repeated line number",
        ),
        pytest.param(
            PO_4010.replace("**20240311~", "**20241311~"),
            "segment 4 (BEG): BEG05 '20241311' is not a CCYYMMDD date",
            id="impossible date",
        ),
        pytest.param(
            PO_4010.replace("ST*850*0001~", "ST*855*0001~"),
            "segment 3 (ST): transaction set 855 is not an 850 purchase order",
            id="not an 850",
        ),
        pytest.param(
            PO_4010.replace("BEG*00*SA*4500012345**20240311~", "NTE*GEN*no BEG here~"),
            "segment 3 (ST): transaction set 0001 has no BEG segment",
            id="no BEG",
        ),
    ],
)
def test_rejects_a_purchase_order_that_breaks_the_850_rules(text: str, message: str) -> None:
    assert str(x12_error(text)) == message


@pytest.mark.parametrize(
    ("code", "routing", "expected"),
    [
        ("ND", None, ServiceLevel.NEXT_DAY),
        ("ON", None, ServiceLevel.NEXT_DAY),
        ("SA", None, ServiceLevel.NEXT_DAY),
        ("SE", None, ServiceLevel.EXPRESS),
        ("3D", None, ServiceLevel.EXPRESS),
        ("G2", "NEXT DAY AIR", ServiceLevel.STANDARD),
        ("SD", "UPS Next Day Air Saver", ServiceLevel.NEXT_DAY),
        (None, "UPS 2ND DAY AIR", ServiceLevel.EXPRESS),
        (None, "FedEx Express Saver", ServiceLevel.EXPRESS),
        (None, "NXT DAY", ServiceLevel.NEXT_DAY),
        (None, "UPS GROUND", ServiceLevel.STANDARD),
        (None, None, ServiceLevel.STANDARD),
    ],
)
def test_maps_a_known_td512_code_first_then_the_td505_routing_text(
    code: str | None, routing: str | None, expected: ServiceLevel
) -> None:
    assert service_level(code, routing) is expected


# -- 855 ------------------------------------------------------------------------------------

WHEN = datetime(2024, 3, 11, 10, 5)


def test_writes_an_acknowledgement_in_the_release_and_delimiters_of_the_order() -> None:
    po = only_po("po_4010.edi")
    text = build_855(
        po,
        {"1": ("IA", 12), "2": ("IB", Decimal("3")), "3": ("IR", 0)},
        our_id=OUR_ID,
        controls=ControlNumbers(interchange=101, group=55, transaction=1),
        when=WHEN,
        order_reference="SO-1001",
    )
    assert text == (
        "ISA*00*          *00*          *ZZ*ORDERGRAPHWMS  *ZZ*BIGRETAILBUYER "
        "*240311*1005*U*00401*000000101*0*P*>~\n"
        "GS*PR*ORDERGRAPH*BIGRETAIL*20240311*1005*55*X*004010~\n"
        "ST*855*0001~\n"
        "BAK*00*AC*4500012345*20240311****SO-1001*20240311~\n"
        "PO1*1*12*EA*19.99**UP*012345678905*SK*SKU-RED-MUG~\n"
        "ACK*IA*12*EA~\n"
        "PO1*2*3*CA*120**VP*VP-TEA-24*BP*BUY-0099~\n"
        "ACK*IB*3*CA~\n"
        "PO1*3*1*EA*249.5**UP*098765432109*IN*BUY-7~\n"
        "ACK*IR*0*EA~\n"
        "CTT*3~\n"
        "SE*10*0001~\n"
        "GE*1*55~\n"
        "IEA*1*000000101~\n"
    )


def test_an_acknowledgement_round_trips_its_control_numbers_through_the_validator() -> None:
    po = only_po("po_5010.edi")
    controls = ControlNumbers(interchange=123456789, group=9, transaction=42)
    text = build_855(
        po,
        {"10": ("IA", 2), "20": ("IA", Decimal("4.5"))},
        our_id=OUR_ID,
        controls=controls,
        when=WHEN,
    )
    assert interchange_control(text) == (controls,)
    interchange = read_interchange(text)
    [group] = interchange.groups
    assert interchange.envelope(group) == po.envelope.reply()
    assert (group.functional_id, group.transaction_sets[0].code) == ("PR", "855")
    assert text.startswith("ISA|00|")
    assert text.splitlines()[3] == "BAK|00|AD|NW-88231|20240402|REL-2||||20240311"


@pytest.mark.parametrize(
    ("acks", "ack_type"),
    [
        ({"1": ("IA", 12), "2": ("IA", 3), "3": ("IA", 1)}, "AD"),
        ({"1": ("IA", 12), "2": ("IA", 2), "3": ("IA", 1)}, "AC"),
        ({"1": ("IA", 12), "2": ("IB", 3), "3": ("IA", 1)}, "AC"),
        ({"1": ("IR", 0), "2": ("IR", 0), "3": ("ID", 0)}, "RD"),
    ],
    ids=["all accepted", "quantity changed", "backordered", "all rejected"],
)
def test_picks_the_acknowledgement_type_from_the_line_statuses(
    acks: dict[str, tuple[str, int]], ack_type: str
) -> None:
    text = build_855(
        only_po("po_4010.edi"), acks, our_id=OUR_ID, controls=ControlNumbers(1, 1, 1), when=WHEN
    )
    [bak] = [s for s in tokenize(text)[1] if s.tag == "BAK"]
    assert bak.element(2) == ack_type


@pytest.mark.parametrize(
    ("acks", "message"),
    [
        ({"1": ("IA", 12), "2": ("IA", 3)}, "PO 4500012345: no acknowledgement for line(s) 3"),
        (
            {"1": ("IA", 12), "2": ("IA", 3), "3": ("IA", 1), "9": ("IA", 1)},
            "PO 4500012345 has no line '9'",
        ),
        ({"1": ("OK", 12), "2": ("IA", 3), "3": ("IA", 1)}, "'OK' is not a line status"),
    ],
    ids=["missing line", "unknown line", "unknown status"],
)
def test_an_acknowledgement_must_answer_every_line_with_a_known_status(
    acks: dict[str, tuple[str, int]], message: str
) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_855(
            only_po("po_4010.edi"), acks, our_id=OUR_ID, controls=ControlNumbers(1, 1, 1), when=WHEN
        )


def test_refuses_to_acknowledge_an_order_addressed_to_another_id() -> None:
    with pytest.raises(X12Error, match="was addressed to 'ORDERGRAPHWMS', not to 'OTHERWMS'"):
        build_855(
            only_po("po_4010.edi"),
            {"1": ("IA", 12), "2": ("IA", 3), "3": ("IA", 1)},
            our_id="OTHERWMS",
            controls=ControlNumbers(1, 1, 1),
            when=WHEN,
        )


def test_refuses_a_reference_that_would_break_the_segment() -> None:
    with pytest.raises(X12Error, match=r"BAK08 'SO\*1' contains the delimiter '\*'"):
        build_855(
            only_po("po_4010.edi"),
            {"1": ("IA", 12), "2": ("IA", 3), "3": ("IA", 1)},
            our_id=OUR_ID,
            controls=ControlNumbers(1, 1, 1),
            when=WHEN,
            order_reference="SO*1",
        )


# -- 856 ------------------------------------------------------------------------------------

SHIPPED = datetime(2024, 3, 12, 16, 30)


def asn(*lines: AsnLine) -> Asn:
    return Asn(
        po_number="4500012345",
        shipment_id="SHP-0042",
        ship_date=date(2024, 3, 12),
        carrier="UPSN",
        tracking_number="1Z999AA10123456784",
        lines=lines,
    )


def test_writes_a_ship_notice_with_a_shipment_order_item_hierarchy() -> None:
    po = only_po("po_4010.edi")
    text = build_856(
        asn(
            AsnLine("1", "SKU-RED-MUG", 12),
            AsnLine("2", "VP-TEA-24", 3, unit="CA", sku_qualifier="VP"),
        ),
        envelope=po.envelope.reply(),
        controls=ControlNumbers(interchange=102, group=56, transaction=2),
        when=SHIPPED,
    )
    assert text == (
        "ISA*00*          *00*          *ZZ*ORDERGRAPHWMS  *ZZ*BIGRETAILBUYER "
        "*240312*1630*U*00401*000000102*0*P*>~\n"
        "GS*SH*ORDERGRAPH*BIGRETAIL*20240312*1630*56*X*004010~\n"
        "ST*856*0002~\n"
        "BSN*00*SHP-0042*20240312*1630*0004~\n"
        "HL*1**S*1~\n"
        "TD5**2*UPSN~\n"
        "REF*CN*1Z999AA10123456784~\n"
        "DTM*011*20240312~\n"
        "HL*2*1*O*1~\n"
        "PRF*4500012345~\n"
        "HL*3*2*I*0~\n"
        "LIN*1*SK*SKU-RED-MUG~\n"
        "SN1*1*12*EA~\n"
        "HL*4*2*I*0~\n"
        "LIN*2*VP*VP-TEA-24~\n"
        "SN1*2*3*CA~\n"
        "CTT*4~\n"
        "SE*16*0002~\n"
        "GE*1*56~\n"
        "IEA*1*000000102~\n"
    )
    assert interchange_control(text) == (ControlNumbers(102, 56, 2),)


def test_a_ship_notice_adds_a_pack_level_per_carton() -> None:
    po = only_po("po_5010.edi")
    controls = ControlNumbers(interchange=7, group=8, transaction=9)
    text = build_856(
        asn(
            AsnLine("10", "TENT-2P", 1, carton="000123450000000017"),
            AsnLine("20", "BULK-TRAILMIX", Decimal("4.5"), unit="LB", carton="000123450000000024"),
            AsnLine("10", "TENT-2P", 1, carton="000123450000000017"),
        ),
        envelope=po.envelope.reply(),
        controls=controls,
        when=SHIPPED,
    )
    assert interchange_control(text) == (controls,)
    interchange = read_interchange(text)
    assert interchange.delimiters == po.envelope.delimiters
    assert interchange.groups[0].functional_id == "SH"
    body = interchange.groups[0].transaction_sets[0].body
    assert body[0].elements[-1] == "0001"
    hierarchy = [s.elements[:3] for s in body if s.tag == "HL"]
    assert hierarchy == [
        ("1", "", "S"),
        ("2", "1", "O"),
        ("3", "2", "P"),
        ("4", "3", "I"),
        ("5", "3", "I"),
        ("6", "2", "P"),
        ("7", "6", "I"),
    ]
    assert [s.elements for s in body if s.tag == "MAN"] == [
        ("GM", "000123450000000017"),
        ("GM", "000123450000000024"),
    ]
    assert [s.elements for s in body if s.tag == "CTT"] == [("7",)]


@pytest.mark.parametrize(
    "lines",
    [
        (),
        (AsnLine("1", "SKU-RED-MUG", 0),),
        (AsnLine("1", "SKU-RED-MUG", 1, carton="000123450000000017"), AsnLine("2", "X", 1)),
    ],
    ids=["no lines", "zero quantity", "some lines without a carton"],
)
def test_a_ship_notice_needs_positive_lines_packed_all_or_none(lines: tuple[AsnLine, ...]) -> None:
    with pytest.raises(ValidationError):
        asn(*lines)
