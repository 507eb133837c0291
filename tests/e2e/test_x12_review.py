"""Review of X12 850 intake and the 855, through a real ``ordergraph serve`` (auth on, the
integration key): hostile envelopes and values answered 4xx with a reason (never a 5xx, never a
database down), cancellations and replacements that do what the partner asked and no more."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import network
from tests.e2e.test_x12_live import CHANNEL, PARTNER, acks, lines_of, order, po850, send

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def partner(live: Any) -> Any:
    """The live server, with the partner's channel ``x12:<ISA06>`` in its graph."""

    async def add_channel() -> None:
        store = FalkorStore(live.engine_url, live.graph)
        try:
            await network.load_network(store, {"channels": [{"id": CHANNEL}]})
        finally:
            await store.close()

    asyncio.run(add_channel())
    return live


def as_5010(text: str) -> str:
    """The same interchange in release 005010, ISA11 (repetition separator) ``^``."""
    return text.replace("*U*00401*", "*^*00501*").replace("*X*004010~", "*X*005010~")


def test_a_blank_isa06_or_isa08_is_refused_and_the_database_stays_up(partner: Any) -> None:
    good = po850("REV-BLANK-1", "PO1*1*1*EA*9**SK*SKU-1")
    for padded in (PARTNER.ljust(15), "ORDERGRAPHWMS".ljust(15)):
        answer = send(partner, good.replace(padded, " " * 15))
        assert answer.status_code == 422, answer.text
        assert "is blank" in answer.json()["reason"]
    after = send(partner, good)  # the graph still answers
    assert after.status_code == 200, after.text
    assert lines_of(order(partner, "REV-BLANK-1")) == {"SKU-1": (1, 0)}


def test_a_separator_inside_an_echoed_element_fails_that_po_not_the_server(
    partner: Any,
) -> None:
    cases = {
        "REV-SEP-1": po850("REV-SEP-1", "PO1*1*2*EA*9**SK*SKU-1*UP*12>3"),  # ISA16 '>'
        "REV-SEP>2": po850("REV-SEP>2", "PO1*1*2*EA*9**SK*SKU-1"),
        "REV-SEP^3": as_5010(po850("REV-SEP^3", "PO1*1*2*EA*9**SK*SKU-1")),  # ISA11 '^'
        "REV-SEP-5": po850("REV-SEP-5", "PO1*1*2*EA*9**SK*SKU-1*UP*12\r3"),  # a line break
        "REV-SEP\n6": po850("REV-SEP\n6", "PO1*1*2*EA*9**SK*SKU-1"),
    }
    for number, text in cases.items():
        answer = send(partner, text)
        assert answer.status_code == 422, (number, answer.status_code, answer.text)
        assert "separator" in answer.json()["reason"], answer.text
        assert order(partner, number) is None
    plain = send(partner, as_5010(po850("REV-SEP-4", "PO1*1*2*EA*9**SK*SKU-1")))
    assert plain.status_code == 200, plain.text
    assert acks(plain.text) == [("BAK", "AD"), ("1", "IA", "2", "EA")]


@pytest.mark.parametrize(
    ("old", "new"),
    [("GE*1*", "GE*\u00b9*"), ("CTT*1", "CTT*\u00b9"), ("SE*9*", "SE*\u2079*")],
)
def test_superscript_digits_in_counts_are_a_422_not_a_500(partner: Any, old: str, new: str) -> None:
    text = po850("REV-DIGIT-1", "PO1*1*2*EA*9**SK*SKU-1")
    assert old in text
    answer = send(partner, text.replace(old, new, 1))
    assert answer.status_code == 422, answer.text
    assert "INTERNAL" not in answer.text


def test_a_superscript_pack_refuses_that_line_alone(partner: Any) -> None:
    answer = send(
        partner,
        po850("REV-DIGIT-2", "PO1*1*2*CA*9**SK*SKU-1/PO4*\u00b2", "PO1*2*1*EA*9**SK*SKU-3"),
    )
    assert answer.status_code == 200, answer.text
    assert acks(answer.text) == [("BAK", "AC"), ("1", "IR", "2", "CA"), ("2", "IA", "1", "EA")]
    assert lines_of(order(partner, "REV-DIGIT-2")) == {"SKU-3": (1, 0)}


@pytest.mark.parametrize(
    "cancel_line",
    ["PO1*1*0*EA*9**SK*SKU-1", "PO1*1*2*CA*9**SK*SKU-1", "PO1*1*2*EA*9**UP*000000000017"],
    ids=["zero-quantity", "case-without-pack", "upc-only"],
)
def test_a_cancellation_cancels_the_order_whatever_its_lines_say(
    partner: Any, cancel_line: str
) -> None:
    number = f"REV-CANCEL-{cancel_line.split('*')[2]}-{cancel_line.split('*')[3]}"
    number += "-U" if "UP" in cancel_line else ""
    assert send(partner, po850(number, "PO1*1*2*EA*9**SK*SKU-1")).status_code == 200
    answer = send(partner, po850(number, cancel_line, purpose="01"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-ordergraph-status"] == "updated"
    cancelled = order(partner, number)
    assert cancelled["status"] == "CANCELLED", cancelled
    assert lines_of(cancelled) == {"SKU-1": (2, 2)}
    assert acks(answer.text) == [("BAK", "AC"), ("1", "ID", "0", cancel_line.split("*")[3])]


def test_a_line_over_the_quantity_limit_is_refused_alone(partner: Any) -> None:
    answer = send(
        partner,
        po850(
            "REV-BIG-1",
            "PO1*1*2*EA*9**SK*SKU-1",
            "PO1*2*500*CA*48**SK*SKU-3/PO4*24",  # 12,000 eaches: over what one line may hold
        ),
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-ordergraph-status"] == "placed"
    assert "at most 10000" in answer.headers["x-ordergraph-reason"]
    assert acks(answer.text) == [("BAK", "AC"), ("1", "IA", "2", "EA"), ("2", "IR", "500", "CA")]
    assert lines_of(order(partner, "REV-BIG-1")) == {"SKU-1": (2, 0)}


def test_a_replacement_line_the_catalog_cannot_read_keeps_the_units_of_its_po_line(
    partner: Any,
) -> None:
    first = ("PO1*1*4*EA*9**UP*000000000017*VP*SKU-1", "PO1*2*1*EA*9**SK*SKU-3")
    assert send(partner, po850("REV-REPL-1", *first)).status_code == 200
    for _ in range(2):  # and again: the second replacement still knows line 1
        answer = send(
            partner,
            po850(
                "REV-REPL-1",
                "PO1*1*4*EA*9**UP*000000000017",  # the UPC only: no SKU of ours
                "PO1*2*1*EA*9**SK*SKU-3",
                purpose="05",
            ),
        )
        assert answer.status_code == 200, answer.text
        assert acks(answer.text) == [("BAK", "AC"), ("1", "IR", "4", "EA"), ("2", "IA", "1", "EA")]
        assert lines_of(order(partner, "REV-REPL-1")) == {"SKU-1": (4, 0), "SKU-3": (1, 0)}


def interchange_of(count: int, lines: int = 1) -> str:
    """One interchange with ``count`` 850s of ``lines`` lines each (SKU-1, 1 each)."""
    sets = []
    for i in range(1, count + 1):
        body = [f"BEG*00*SA*REV-MANY-{count}-{i}**20240501", "N1*ST*Ana Lima"]
        body += ["N3*500 Howard St", "N4*San Francisco*CA*94107"]
        body += [f"PO1*{n}*1*EA*9**SK*SKU-1" for n in range(1, lines + 1)]
        sets += [f"ST*850*{i:04d}", *body, f"SE*{len(body) + 2}*{i:04d}"]
    isa = (
        f"ISA*00*          *00*          *08*{PARTNER.ljust(15)}*ZZ*{'ORDERGRAPHWMS'.ljust(15)}"
        "*240501*0805*U*00401*000000777*0*P*>"
    )
    gs = "GS*PO*PARTNER*ORDERGRAPH*20240501*0805*777*X*004010"
    return "~\n".join([isa, gs, *sets, f"GE*{count}*777", "IEA*1*000000777"]) + "~\n"


def test_an_interchange_of_too_many_pos_is_refused_before_any_is_placed(partner: Any) -> None:
    text = interchange_of(30_000)  # about 4.5 MB: under the payload limit
    answer = send(partner, text)
    assert answer.status_code == 422, answer.text[:300]
    assert "at most 1000" in answer.json()["reason"]
    assert order(partner, "REV-MANY-30000-1") is None


def test_a_po_of_too_many_lines_fails_alone(partner: Any) -> None:
    answer = send(partner, interchange_of(1, lines=150_000))  # about 3.6 MB
    assert answer.status_code == 422, answer.text[:300]
    assert "a purchase order holds at most 1000" in answer.json()["reason"]
    assert order(partner, "REV-MANY-1-1") is None


def test_a_10_mb_interchange_is_refused_unread(partner: Any) -> None:
    answer = send(partner, interchange_of(1) + "X" * (10 * 1024 * 1024))
    assert answer.status_code == 413, answer.text[:300]
    assert partner.get("/readyz").status_code == 200


def test_a_po_number_sent_with_trailing_spaces_is_the_same_po(partner: Any) -> None:
    first = send(partner, po850("REV-PAD-1", "PO1*1*2*EA*9**SK*SKU-1"))
    assert first.status_code == 200, first.text
    again = send(partner, po850("REV-PAD-1  ", "PO1*1*2*EA*9**SK*SKU-1"))  # X12: not significant
    assert again.status_code == 200, again.text
    assert again.headers["x-ordergraph-status"] == "duplicate"
    assert "BAK*00*AD*REV-PAD-1*" in again.text
    assert lines_of(order(partner, "REV-PAD-1")) == {"SKU-1": (2, 0)}


CREATE = """mutation($x: String!) { orderCreate(input: {channel: "web", externalId: $x,
  shipTo: {name: "A", line1: "1 Main", city: "SF", postalCode: "94107", country: "US"},
  lines: [{sku: "SKU-1", quantity: 1}]}) { order { id } userErrors { code field } } }"""


@pytest.mark.parametrize("external_id", ["REV-WEB-1 ", " REV-WEB-2", "REV-WEB-3\t"])
def test_an_external_id_with_outer_spaces_is_a_user_error_and_the_database_stays_up(
    partner: Any, external_id: str
) -> None:
    # FalkorDB's unique constraint crashes the engine on a value with outer whitespace
    answer = partner.gql("storefront", CREATE, x=external_id)
    assert answer.status_code == 200, answer.text
    payload = answer.json()["data"]["orderCreate"]
    assert payload["order"] is None
    assert payload["userErrors"][0]["code"] == "INVALID_INPUT", payload
    assert partner.gql("storefront", CREATE, x=external_id.strip()).json()["data"]["orderCreate"][
        "order"
    ]


FULFILLMENTS = """query($c: ID!, $x: String!) { orderByExternalId(channel: $c, externalId: $x) {
  fulfillments { id } } }"""
RELEASE = """mutation($f: ID!) { fulfillmentRelease(input: {fulfillmentId: $f}) {
  userErrors { code } } }"""
SHIP = """mutation($f: ID!) { fulfillmentShip(input: {fulfillmentId: $f, trackingNumber: "1Z1",
  carrier: "UPSN"}) { userErrors { code } } }"""


def ship_everything(live: Any, number: str) -> None:
    found = live.gql("admin", FULFILLMENTS, c=CHANNEL, x=number).json()["data"]
    for fulfillment in found["orderByExternalId"]["fulfillments"]:
        for document in (RELEASE, SHIP):
            done = live.gql("admin", document, f=fulfillment["id"]).json()["data"]
            assert not next(iter(done.values()))["userErrors"], done


@pytest.mark.parametrize(
    ("purpose", "line"), [("01", "PO1*1*2*EA*9**SK*SKU-1"), ("05", "PO1*1*0*EA*9**SK*SKU-1")]
)
def test_a_cancellation_of_shipped_units_is_not_acknowledged_as_done(
    partner: Any, purpose: str, line: str
) -> None:
    number = f"REV-SHIPPED-{purpose}"
    assert send(partner, po850(number, "PO1*1*2*EA*9**SK*SKU-1")).status_code == 200
    ship_everything(partner, number)
    answer = send(partner, po850(number, line, purpose=purpose))
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-ordergraph-status"] == "unchanged"  # not a "duplicate" of a cancel
    assert "SKU-1: 2 units shipped" in answer.headers["x-ordergraph-reason"]
    bak, *lines = acks(answer.text)
    assert bak == ("BAK", "AC")  # not AD: the cancellation did not happen
    assert lines == [("1", "IQ" if purpose == "05" else "IA", "2", "EA")]
    assert lines_of(order(partner, number)) == {"SKU-1": (2, 0)}


async def test_ordergraph_ingest_answers_hostile_files_without_a_traceback(
    engine: Any, loaded: Any, tmp_path: Any
) -> None:
    from tests.integration.test_ingestion_cli import cli

    await network.load_network(loaded, {"channels": [{"id": CHANNEL}]})
    files = {
        "padded.edi": po850("REV-CLI-1   ", "PO1*1*1*EA*9**SK*SKU-1"),
        "blank.edi": po850("REV-CLI-2", "PO1*1*1*EA*9**SK*SKU-1").replace(
            PARTNER.ljust(15), " " * 15
        ),
        "huge.edi": interchange_of(70_000),  # about 10 MB: the CLI has no payload limit
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    done = cli(engine, loaded, "ingest", "x12", *(str(tmp_path / name) for name in files))
    assert done.returncode == 1, done.stderr
    assert done.stdout.strip() == "failed: 2, placed: 1", done.stdout
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "ISA06 (interchange sender id) is blank" in done.stderr
    assert "send at most 1000 in one" in done.stderr


def test_a_replacement_without_lines_is_refused_not_taken_as_cancelling_every_line(
    partner: Any,
) -> None:
    assert send(partner, po850("REV-EMPTY-1", "PO1*1*2*EA*9**SK*SKU-1")).status_code == 200
    for purpose in ("05", "00"):  # header only: the PO1 loop is mandatory in an 850
        answer = send(partner, po850("REV-EMPTY-1", purpose=purpose))
        assert answer.status_code == 422, answer.text
        assert "at least one PO1" in answer.json()["reason"]
    assert lines_of(order(partner, "REV-EMPTY-1")) == {"SKU-1": (2, 0)}
    cancel = send(partner, po850("REV-EMPTY-1", purpose="01"))  # a cancellation may list none
    assert cancel.status_code == 200, cancel.text
    assert order(partner, "REV-EMPTY-1")["status"] == "CANCELLED"


def test_a_body_of_two_interchanges_places_the_pos_of_both(partner: Any) -> None:
    first = po850("REV-TWO-1", "PO1*1*1*EA*9**SK*SKU-1")
    second = as_5010(po850("REV-TWO-2", "PO1*1*2*EA*9**SK*SKU-3")).replace("*", "|")
    answer = send(partner, first + second)  # a VAN mailbox file holds them one after the other
    assert answer.status_code == 200, answer.text
    assert answer.text.count("ISA*") == 1 and answer.text.count("ISA|") == 1  # one 855 each
    assert lines_of(order(partner, "REV-TWO-1")) == {"SKU-1": (1, 0)}
    assert lines_of(order(partner, "REV-TWO-2")) == {"SKU-3": (2, 0)}
    junk = send(partner, po850("REV-TWO-3", "PO1*1*1*EA*9**SK*SKU-1") + "GS*PO~")
    assert junk.status_code == 422 and "after the IEA" in junk.json()["reason"]
