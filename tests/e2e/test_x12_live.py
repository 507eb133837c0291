"""X12 850s through a real ``ordergraph serve`` (auth on, an integration key): each PO line is
judged alone, BEG01 decides what a PO does to an order, and the 855 tells what the order holds.

The partner is channel ``x12:<ISA06>``; its Channel node is written into the server's graph
before the test, as a network file would."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from ordergraph.connectors.x12.envelope import read_interchange
from ordergraph.connectors.x12.syntax import Segment
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import network

pytestmark = pytest.mark.slow

PARTNER = "7775550001"
CHANNEL = f"x12:{PARTNER}"
_controls = itertools.count(101)

ORDER = """query($c: ID!, $x: String!) { orderByExternalId(channel: $c, externalId: $x) {
  id status lines { sku quantity cancelled unitPrice } } }"""


@pytest.fixture(scope="module")
def partner(live: Any) -> Any:
    async def add_channel() -> None:
        store = FalkorStore(live.engine_url, live.graph)
        try:
            await network.load_network(store, {"channels": [{"id": CHANNEL}]})
        finally:
            await store.close()

    asyncio.run(add_channel())
    return live


def po850(number: str, *lines: str, purpose: str = "00", country: str = "US") -> str:
    """One interchange with one 850 to San Francisco; ``lines`` are PO1 loops ('/' between
    their segments)."""
    control = next(_controls)
    body = [
        f"BEG*{purpose}*SA*{number}**20240501",
        "TD5**2*UPSN*********G2",
        "N1*ST*Ana Lima",
        "N3*500 Howard St",
        f"N4*San Francisco*CA*94107*{country}",
    ]
    for line in lines:
        body += line.split("/")
    body.append(f"CTT*{sum(line.count('PO1*') for line in lines)}")
    segments = [
        f"ISA*00*          *00*          *08*{PARTNER.ljust(15)}*ZZ*{'ORDERGRAPHWMS'.ljust(15)}"
        f"*240501*0805*U*00401*{control:09d}*0*P*>",
        f"GS*PO*PARTNER*ORDERGRAPH*20240501*0805*{control}*X*004010",
        "ST*850*0001",
        *body,
        f"SE*{len(body) + 2}*0001",
        f"GE*1*{control}",
        f"IEA*1*{control:09d}",
    ]
    return "~\n".join(segments) + "~\n"


def send(live: Any, text: str) -> Any:
    return live.post(
        "/ingest/x12", "integration", content=text, headers={"Content-Type": "application/edi-x12"}
    )


def acks(text: str) -> list[tuple[str, ...]]:
    """(PO101, ACK01, ACK02, ACK03) of each line of the 855, and BAK02 first as ('BAK', type)."""
    [group] = read_interchange(text).groups
    [ts] = group.transaction_sets
    out: list[tuple[str, ...]] = []
    po1: Segment | None = None
    for segment in ts.body:
        if segment.tag == "BAK":
            out.append(("BAK", segment.element(2)))
        elif segment.tag == "PO1":
            po1 = segment
        elif segment.tag == "ACK" and po1 is not None:
            out.append((po1.element(1), *segment.elements[:3]))
    return out


def order(live: Any, number: str) -> dict[str, Any]:
    answer = live.gql("admin", ORDER, c=CHANNEL, x=number)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()["data"]["orderByExternalId"]
    return found


def lines_of(found: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {line["sku"]: (line["quantity"], line["cancelled"]) for line in found["lines"]}


def test_cases_with_a_pack_size_and_dozens_are_ordered_in_eaches(partner: Any) -> None:
    answer = send(
        partner,
        po850(
            "X12-CASE-1",
            "PO1*1*3*CA*24**VP*SKU-1/PO4*12",  # 3 cases of 12 at 24.00 a case
            "PO1*2*2*DZ*6**SK*SKU-3",
            "PO1*3*1*BX*5**SK*SKU-2",  # a box of an unknown size: this line only is refused
            country="USA",  # N404 as some partners write it
        ),
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-ordergraph-status"] == "placed"
    assert "unit 'BX' has no pack size" in answer.headers["x-ordergraph-reason"]
    assert acks(answer.text) == [
        ("BAK", "AC"),
        ("1", "IA", "3", "CA"),
        ("2", "IA", "2", "DZ"),
        ("3", "IR", "1", "BX"),
    ]
    placed = order(partner, "X12-CASE-1")
    assert lines_of(placed) == {"SKU-1": (36, 0), "SKU-3": (24, 0)}
    assert {line["sku"]: line["unitPrice"] for line in placed["lines"]}["SKU-1"] == "2"


def test_one_bad_line_is_refused_and_the_others_are_placed(partner: Any) -> None:
    answer = send(
        partner,
        po850(
            "X12-MIXED-1",
            "PO1*1*2*EA*9**SK*NOT-A-SKU",  # unknown SKU
            "PO1*2*two*EA*9**SK*SKU-1",  # not a quantity
            "PO1*3*1.5*EA*9**SK*SKU-3",  # not whole units
            "PO1*4*0*EA*9**SK*SKU-3",  # 0 in an original
            "PO1*5*1*EA***UP*000000000000*VP*VENDOR-9*BP*SKU-5",  # our SKU is the buyer's id
            "PO1*6*2*EA***SK*SKU-1",  # no unit price
        ),
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-ordergraph-status"] == "placed"
    assert acks(answer.text) == [
        ("BAK", "AC"),
        ("1", "IR", "2", "EA"),
        ("2", "IR", "0", "EA"),
        ("3", "IR", "1.5", "EA"),
        ("4", "IR", "0", "EA"),
        ("5", "IA", "1", "EA"),
        ("6", "IA", "2", "EA"),
    ]
    assert lines_of(order(partner, "X12-MIXED-1")) == {"SKU-5": (1, 0), "SKU-1": (2, 0)}
    reason = answer.headers["x-ordergraph-reason"]
    assert "line 1: unknown SKU" in reason and "PO102 'two' is not a number" in reason


def test_a_po_whose_every_line_is_refused_fails_and_is_kept_for_replay(partner: Any) -> None:
    answer = send(partner, po850("X12-NONE-1", "PO1*1*2*EA*9**SK*NOT-A-SKU"))
    assert answer.status_code == 422
    assert answer.headers["x-ordergraph-code"] == "UNKNOWN_SKU"
    assert answer.headers["x-ordergraph-failure-id"].startswith("IF-")
    assert acks(answer.text) == [("BAK", "RD"), ("1", "IR", "2", "EA")]
    assert order(partner, "X12-NONE-1") is None


def test_a_resent_po_is_acknowledged_with_what_the_order_holds(partner: Any) -> None:
    first = send(partner, po850("X12-RESEND-1", "PO1*1*2*EA*9**SK*SKU-1", "PO1*2*1*EA*9**SK*SKU-3"))
    assert first.status_code == 200 and acks(first.text)[0] == ("BAK", "AD")
    again = send(partner, po850("X12-RESEND-1", "PO1*1*5*EA*9**SK*SKU-1", "PO1*2*1*EA*9**SK*SKU-3"))
    assert again.status_code == 200, again.text
    assert again.headers["x-ordergraph-status"] == "unchanged"
    assert "the order is unchanged" in again.headers["x-ordergraph-reason"]
    assert acks(again.text) == [("BAK", "AC"), ("1", "IQ", "2", "EA"), ("2", "IA", "1", "EA")]
    assert lines_of(order(partner, "X12-RESEND-1")) == {"SKU-1": (2, 0), "SKU-3": (1, 0)}
    duplicate = send(
        partner,
        po850("X12-RESEND-1", "PO1*1*2*EA*9**SK*SKU-1", "PO1*2*1*EA*9**SK*SKU-3", purpose="07"),
    )
    assert duplicate.headers["x-ordergraph-status"] == "duplicate"
    assert acks(duplicate.text)[0] == ("BAK", "AD")


def test_a_replacement_cancels_its_zero_lines_and_lowers_quantities(partner: Any) -> None:
    lines = ("PO1*1*4*EA*9**SK*SKU-1", "PO1*2*2*EA*9**SK*SKU-3", "PO1*3*1*EA*9**SK*SKU-2")
    assert send(partner, po850("X12-REPLACE-1", *lines)).status_code == 200
    answer = send(
        partner,
        po850(
            "X12-REPLACE-1",
            "PO1*1*3*EA*9**SK*SKU-1",  # one unit fewer
            "PO1*2*0*EA*9**SK*SKU-3",  # cancelled in the replacement
            "PO1*3*4*EA*9**SK*SKU-2",  # more: not added
            purpose="05",
        ),
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-ordergraph-status"] == "updated"
    assert acks(answer.text) == [
        ("BAK", "AC"),
        ("1", "IA", "3", "EA"),
        ("2", "ID", "0", "EA"),
        ("3", "IQ", "1", "EA"),
    ]
    assert lines_of(order(partner, "X12-REPLACE-1")) == {
        "SKU-1": (4, 1),
        "SKU-3": (2, 2),
        "SKU-2": (1, 0),
    }


def test_a_cancellation_po_cancels_the_order(partner: Any) -> None:
    assert send(partner, po850("X12-CANCEL-1", "PO1*1*2*EA*9**SK*SKU-1")).status_code == 200
    answer = send(partner, po850("X12-CANCEL-1", "PO1*1*2*EA*9**SK*SKU-1", purpose="01"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-ordergraph-status"] == "updated"
    assert acks(answer.text) == [("BAK", "AC"), ("1", "ID", "0", "EA")]
    cancelled = order(partner, "X12-CANCEL-1")
    assert cancelled["status"] == "CANCELLED" and lines_of(cancelled) == {"SKU-1": (2, 2)}
    again = send(partner, po850("X12-CANCEL-1", "PO1*1*2*EA*9**SK*SKU-1", purpose="01"))
    assert again.headers["x-ordergraph-status"] == "duplicate"


def test_a_purpose_we_do_not_handle_is_refused_with_its_reason(partner: Any) -> None:
    answer = send(partner, po850("X12-CHANGE-1", "PO1*1*2*EA*9**SK*SKU-1", purpose="04"))
    assert answer.status_code == 422
    assert "BEG01 '04' is not a purpose we handle" in answer.headers["x-ordergraph-reason"]
    assert acks(answer.text) == [("BAK", "RD"), ("1", "IR", "2", "EA")]
    assert order(partner, "X12-CHANGE-1") is None


def test_a_replacement_cancels_a_sku_it_leaves_out_but_not_one_whose_line_it_garbled(
    partner: Any,
) -> None:
    lines = ("PO1*1*2*EA*9**SK*SKU-1", "PO1*2*2*EA*9**SK*SKU-3", "PO1*3*1*EA*9**SK*SKU-2")
    assert send(partner, po850("X12-REPLACE-2", *lines)).status_code == 200
    answer = send(
        partner,
        po850(
            "X12-REPLACE-2",
            "PO1*1*2*EA*9**SK*SKU-1",
            "PO1*2*1*KG*9**SK*SKU-2",  # refused (no pack size): SKU-2 stays as it was
            purpose="05",
        ),  # SKU-3 is no longer on the PO
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-ordergraph-status"] == "updated"
    assert acks(answer.text) == [("BAK", "AC"), ("1", "IA", "2", "EA"), ("2", "IR", "1", "KG")]
    assert lines_of(order(partner, "X12-REPLACE-2")) == {
        "SKU-1": (2, 0),
        "SKU-3": (2, 2),
        "SKU-2": (1, 0),
    }
