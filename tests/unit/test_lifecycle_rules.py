"""The order rules as tables: fulfillment transitions, status derivation, the partial policy,
keys, event builders and reconciliation. Pure: no engine."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from ordergraph.connectors.feeds import SnapshotRow
from ordergraph.domain import events, keys
from ordergraph.domain import lifecycle as lc
from ordergraph.domain.errors import InvalidTransition
from ordergraph.domain.lifecycle import FulfillmentState, LineState, OrderState, OrderTerms
from ordergraph.domain.orders import FulfillmentStatus as F
from ordergraph.domain.orders import OrderLine, OrderRequest, allows_partial
from ordergraph.domain.orders import OrderStatus as O
from ordergraph.domain.reconciliation import (
    MISSING_IN_FEED,
    MISSING_IN_OMS,
    ON_HAND_DIFFERS,
    UNKNOWN_LOCATION,
    UNKNOWN_SKU,
    Position,
    Reconciliation,
    Shortfall,
    reconcile,
)
from ordergraph.domain.status import line_status, order_status, status_after_allocation
from ordergraph.graph.records.lifecycle import event_params


@pytest.mark.parametrize(
    ("policy", "accepted"), [("REJECT", False), ("BACKORDER", True), (None, True)]
)
def test_only_a_reject_channel_refuses_a_partial_allocation(
    policy: str | None, accepted: bool
) -> None:
    assert allows_partial(policy) is accepted


# ---- event builders -------------------------------------------------------------------------

NEW_FULFILLMENT = {
    "location": "DC-RENO",
    "lines": [{"line": "OG-1-L1", "quantity": 2}],
    "props": {"id": "OG-1-F1", "status": "OPEN"},
}


def test_an_event_record_is_numbered_by_its_order_and_holds_compact_json() -> None:
    at = datetime(2026, 11, 23, 15, 0, 1, 500000, tzinfo=UTC)
    assert event_params(events.Event("OG-1", 3, "OrderUpdated", {"a": [1, 2]}, at)) == {
        "id": "OG-1-E3",
        "type": "OrderUpdated",
        "orderId": "OG-1",
        "sequence": 3,
        "at": "2026-11-23T15:00:01.500000+00:00",
        "atMs": 1795446001500,
        "pending": True,
        "payload": '{"a":[1,2]}',
    }


def test_order_created_payload() -> None:
    payload = events.order_created(
        status="PARTIALLY_ALLOCATED",
        channel="web",
        external_id="W-9",
        fulfillments=[NEW_FULFILLMENT],
        backordered=[("SKU-B", 1)],
        promised_by=date(2026, 11, 27),
    )
    assert payload == {
        "status": "PARTIALLY_ALLOCATED",
        "channel": "web",
        "externalId": "W-9",
        "fulfillments": [
            {"id": "OG-1-F1", "location": "DC-RENO", "lines": [{"line": "OG-1-L1", "quantity": 2}]}
        ],
        "backordered": [{"sku": "SKU-B", "quantity": 1}],
        "promisedBy": "2026-11-27",
    }


def test_allocation_backorder_update_and_ship_notice_payloads() -> None:
    assert events.allocated(
        fulfillments=[NEW_FULFILLMENT], backordered=[], promised_by=None, explanation=("why",)
    ) == {
        "fulfillments": [
            {"id": "OG-1-F1", "location": "DC-RENO", "lines": [{"line": "OG-1-L1", "quantity": 2}]}
        ],
        "backordered": [],
        "promisedBy": None,
        "explanation": ["why"],
    }
    assert events.order_backordered(lines=[("OG-1-L2", "SKU-B", 4)], explanation=()) == {
        "lines": [{"line": "OG-1-L2", "sku": "SKU-B", "quantity": 4}],
        "explanation": [],
    }
    assert events.order_updated(
        ship_to_postal_code="94107", service_level=None, quantities=[("SKU-A", 3)]
    ) == {"shipTo": "94107", "serviceLevel": None, "quantities": [{"sku": "SKU-A", "quantity": 3}]}
    payload = events.ship_notice_created("OG-1-F1", "DC-RENO", "ISA*00~")
    assert payload == {
        "fulfillment": "OG-1-F1",
        "location": "DC-RENO",
        "format": "X12 856",
        "asn": "ISA*00~",
    }
    assert json.loads(events.encode(payload)) == payload


# ---- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [("web", "W-1001"), ("1795446001500", "OG-0123456789"), ("b2b", "PO 7\u241fx"), ("", "")],
)
def test_a_joined_key_splits_back_into_its_parts(first: str, second: str) -> None:
    joined = keys.join_key(first, second)
    assert joined == first + "\u241f" + second
    assert keys.split_key(joined) == (first, second)


def test_a_key_without_the_separator_splits_into_itself_and_nothing() -> None:
    assert keys.split_key("1795446001500:OG-1") == ("1795446001500:OG-1", "")


def test_the_idempotency_key_of_an_order_is_its_channel_and_external_id() -> None:
    assert keys.channel_external_id("web", "W-1001") == "web\u241fW-1001"
    request = OrderRequest(channel="web", lines=(OrderLine("SKU-A", 1),), external_id="W-1001")
    assert request.channel_external_id == "web\u241fW-1001"
    assert OrderRequest(channel="web", lines=()).channel_external_id is None


# ---- status derivation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ordered", "allocated", "expected"),
    [
        (5, 0, O.BACKORDERED),
        (5, 1, O.PARTIALLY_ALLOCATED),
        (5, 4, O.PARTIALLY_ALLOCATED),
        (5, 5, O.ALLOCATED),
        (1, 1, O.ALLOCATED),
    ],
)
def test_status_after_allocation(ordered: int, allocated: int, expected: O) -> None:
    assert status_after_allocation(ordered, allocated) is expected


def line(
    quantity: int = 4, allocated: int = 4, backordered: int = 0, cancelled: int = 0
) -> LineState:
    return LineState(
        id="OG-1-L1",
        sku="SKU-A",
        quantity=quantity,
        allocated=allocated,
        backordered=backordered,
        cancelled=cancelled,
        unit_price=None,
        currency=None,
        position=1,
    )


@pytest.mark.parametrize(
    ("the_line", "shipped", "delivered", "expected"),
    [
        (line(cancelled=4, allocated=0), 0, 0, "CANCELLED"),
        (line(), 4, 4, "DELIVERED"),
        (line(), 4, 2, "SHIPPED"),
        (line(quantity=4, cancelled=1), 3, 3, "DELIVERED"),  # open units: 3
        (line(quantity=4, cancelled=1), 3, 0, "SHIPPED"),
        (line(), 2, 0, "ALLOCATED"),
        (line(allocated=0, backordered=4), 0, 0, "BACKORDERED"),
        (line(allocated=1, backordered=3), 0, 0, "PARTIALLY_ALLOCATED"),
    ],
)
def test_line_status(the_line: LineState, shipped: int, delivered: int, expected: str) -> None:
    assert line_status(the_line, shipped, delivered) == expected


def fulfillment(status: F, quantity: int = 4, fid: str = "OG-1-F1") -> FulfillmentState:
    return FulfillmentState(fid, "DC-RENO", status, {"OG-1-L1": quantity})


def order(the_line: LineState, *fulfillments: FulfillmentState) -> OrderState:
    return OrderState("OG-1", 1, 1, O.ALLOCATED, OrderTerms("web"), [the_line], list(fulfillments))


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (order(line(cancelled=4, allocated=0)), O.CANCELLED),
        (order(line(), fulfillment(F.DELIVERED)), O.DELIVERED),
        (order(line(), fulfillment(F.SHIPPED)), O.SHIPPED),
        (order(line(), fulfillment(F.DELIVERED, 2), fulfillment(F.SHIPPED, 2, "F2")), O.SHIPPED),
        (
            order(line(), fulfillment(F.SHIPPED, 1), fulfillment(F.OPEN, 3, "F2")),
            O.PARTIALLY_SHIPPED,
        ),
        (order(line(allocated=0, backordered=4)), O.BACKORDERED),
        (
            order(line(allocated=3, backordered=1), fulfillment(F.RELEASED, 3)),
            O.PARTIALLY_ALLOCATED,
        ),
        (order(line(), fulfillment(F.RELEASED)), O.RELEASED),
        (order(line(), fulfillment(F.RELEASED, 2), fulfillment(F.OPEN, 2, "F2")), O.ALLOCATED),
        (order(line(), fulfillment(F.OPEN)), O.ALLOCATED),
        # a rejected fulfillment holds nothing: the released one alone makes the order RELEASED
        (order(line(), fulfillment(F.REJECTED), fulfillment(F.RELEASED, 4, "F2")), O.RELEASED),
    ],
)
def test_order_status_is_derived_from_lines_and_fulfillments(
    state: OrderState, expected: O
) -> None:
    assert order_status(state) is expected


# ---- the fulfillment transition table -------------------------------------------------------

# DOMAIN.md, "Order lifecycle", written out by hand: OPEN -> RELEASED -> SHIPPED -> DELIVERED;
# a PREORDER (docs/channel-atp.md, "Preorders") becomes OPEN when it arrives, or is cancelled;
# OPEN and RELEASED may end REJECTED (by the location) or CANCELLED; the last three are final.
EXPECTED_MOVES = {
    (F.PREORDER, F.OPEN),
    (F.PREORDER, F.CANCELLED),
    (F.AWAITING_TRANSFER, F.OPEN),  # its transfer was received (docs/transfers.md)
    (F.AWAITING_TRANSFER, F.CANCELLED),
    (F.OPEN, F.RELEASED),
    (F.OPEN, F.REJECTED),
    (F.OPEN, F.CANCELLED),
    (F.RELEASED, F.SHIPPED),
    (F.RELEASED, F.REJECTED),
    (F.RELEASED, F.CANCELLED),
    (F.SHIPPED, F.DELIVERED),
}
ALL_PAIRS = [(a, b) for a in F for b in F]


def test_the_table_is_the_documented_lifecycle() -> None:
    assert set(lc.FULFILLMENT_TRANSITIONS) == set(F)
    table = {(a, b) for a, targets in lc.FULFILLMENT_TRANSITIONS.items() for b in targets}
    assert table == EXPECTED_MOVES
    assert {a for a, targets in lc.FULFILLMENT_TRANSITIONS.items() if not targets} == {
        F.DELIVERED,
        F.REJECTED,
        F.CANCELLED,
    }


@pytest.mark.parametrize(("current", "target"), sorted(EXPECTED_MOVES))
def test_every_allowed_move_passes(current: F, target: F) -> None:
    lc.check_fulfillment_move("OG-1-F1", current, target)  # no error


@pytest.mark.parametrize(
    ("current", "target"), [pair for pair in ALL_PAIRS if pair not in EXPECTED_MOVES]
)
def test_every_other_move_is_refused(current: F, target: F) -> None:
    with pytest.raises(InvalidTransition) as refused:
        lc.check_fulfillment_move("OG-1-F1", current, target)
    message = refused.value.message
    assert message.startswith(
        f"fulfillment OG-1-F1 is {current.value}; it cannot become {target.value}"
    )
    allowed = sorted(b.value for a, b in EXPECTED_MOVES if a == current)
    assert message.endswith(f"(allowed: {', '.join(allowed) or 'none'})")
    assert refused.value.field == ("fulfillmentId",)


# ---- reconciliation -------------------------------------------------------------------------


def test_reconcile_on_hand_made_positions() -> None:
    rows = [
        SnapshotRow(1, "DC", "A", 10),  # OMS 10: matches
        SnapshotRow(2, "DC", "B", 3),  # OMS 8, reserved 4, safety 1: differs by -5, short by 2
        SnapshotRow(3, "DC", "C", 6, safety_stock=2),  # OMS has none: missing in OMS
        SnapshotRow(4, "XX", "A", 1),  # unknown location
        SnapshotRow(5, "DC", "Z", 1),  # unknown SKU
        SnapshotRow(6, "DC", "D", 0, safety_stock=1),  # OMS reserves 2: short by 3 (safety 1)
    ]
    positions = [
        Position("DC", "A", on_hand=10, reserved=2, safety_stock=0),
        Position("DC", "B", on_hand=8, reserved=4, safety_stock=1),
        Position("DC", "D", on_hand=5, reserved=2, safety_stock=4),
        Position("DC", "E", on_hand=0, reserved=0, safety_stock=0),  # zero, unlisted: not reported
        Position("DC", "F", on_hand=0, reserved=1, safety_stock=0),  # reserved, unlisted
        Position("DC", "G", on_hand=7, reserved=0, safety_stock=0),  # held, unlisted
    ]
    report = reconcile(rows, positions, {"DC"}, {"A", "B", "C", "D", "E", "F", "G"})
    assert (report.rows, report.matching) == (6, 1)
    assert [
        (d.kind, d.location, d.sku, d.feed_on_hand, d.oms_on_hand, d.row, d.difference)
        for d in report.discrepancies
    ] == [
        (ON_HAND_DIFFERS, "DC", "B", 3, 8, 2, -5),
        (MISSING_IN_OMS, "DC", "C", 6, None, 3, 6),
        (UNKNOWN_LOCATION, "XX", "A", 1, None, 4, 1),
        (UNKNOWN_SKU, "DC", "Z", 1, None, 5, 1),
        (ON_HAND_DIFFERS, "DC", "D", 0, 5, 6, -5),
        (MISSING_IN_FEED, "DC", "F", None, 0, None, 0),
        (MISSING_IN_FEED, "DC", "G", None, 7, None, -7),
    ]
    assert report.shortfalls == (
        Shortfall("DC", "B", on_hand=3, reserved=4, safety_stock=1, row=2),
        Shortfall("DC", "D", on_hand=0, reserved=2, safety_stock=1, row=6),
    )
    assert [s.shortfall for s in report.shortfalls] == [2, 3]


def test_reconcile_an_empty_snapshot_reports_only_what_the_oms_holds() -> None:
    report = reconcile([], [Position("DC", "A", 0, 0, 5)], {"DC"}, {"A"})
    assert report == Reconciliation(0, 0, (), ())
