"""The returns rules as tables: the return status transitions, what may be returned, and what a
receipt restocks and refunds. Pure: no engine; expected values worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ordergraph.domain.errors import InvalidTransition, ValidationError
from ordergraph.domain.lifecycle import (
    FulfillmentState,
    LineState,
    OrderState,
    OrderTerms,
    StockDelta,
)
from ordergraph.domain.orders import FulfillmentStatus as F
from ordergraph.domain.orders import OrderStatus as O
from ordergraph.domain.returns import (
    RETURN_TRANSITIONS,
    Disposition,
    NewReturn,
    ReceivedUnit,
    ReturnReceipt,
    ReturnState,
    check_return_move,
    create,
    receive,
    returnable,
)
from ordergraph.domain.returns import ReturnStatus as R

AT = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

# DOMAIN.md, "Returns", written out by hand: every receipt takes at least one unit, so a return
# leaves REQUESTED at its first receipt and never comes back; RECEIVED (every unit in) is final.
EXPECTED_MOVES = {
    (R.REQUESTED, R.PARTIALLY_RECEIVED),
    (R.REQUESTED, R.RECEIVED),
    (R.PARTIALLY_RECEIVED, R.PARTIALLY_RECEIVED),
    (R.PARTIALLY_RECEIVED, R.RECEIVED),
}
ALL_PAIRS = [(a, b) for a in R for b in R]


def test_the_table_is_the_documented_return_lifecycle() -> None:
    assert set(RETURN_TRANSITIONS) == set(R)
    table = {(a, b) for a, targets in RETURN_TRANSITIONS.items() for b in targets}
    assert table == EXPECTED_MOVES


@pytest.mark.parametrize(("current", "target"), sorted(EXPECTED_MOVES))
def test_every_allowed_move_passes(current: R, target: R) -> None:
    check_return_move("OG-1-R1", current, target)  # no error


@pytest.mark.parametrize(
    ("current", "target"), [pair for pair in ALL_PAIRS if pair not in EXPECTED_MOVES]
)
def test_every_other_move_is_refused(current: R, target: R) -> None:
    with pytest.raises(InvalidTransition) as refused:
        check_return_move("OG-1-R1", current, target)
    if current == R.RECEIVED:
        assert refused.value.message == "return OG-1-R1 was received in full already"
    else:
        allowed = ", ".join(sorted(b.value for a, b in EXPECTED_MOVES if a == current))
        assert refused.value.message == (
            f"return OG-1-R1 is {current.value}; it cannot become {target.value} "
            f"(allowed: {allowed})"
        )
    assert refused.value.field == ("returnId",)


# ---- an order with 3 units of SKU-A shipped (of 4) and 2 of SKU-B delivered -----------------


def shipped_order() -> OrderState:
    lines = [
        LineState("OG-1-L1", "SKU-A", 4, 4, 0, 0, "19.99", "USD", 1),
        LineState("OG-1-L2", "SKU-B", 2, 2, 0, 0, None, "USD", 2),  # no price
    ]
    fulfillments = [
        FulfillmentState("OG-1-F1", "DC-RENO", F.SHIPPED, {"OG-1-L1": 3}),
        FulfillmentState("OG-1-F2", "DC-RENO", F.OPEN, {"OG-1-L1": 1}),
        FulfillmentState("OG-1-F3", "STORE-SF", F.DELIVERED, {"OG-1-L2": 2}),
    ]
    return OrderState("OG-1", 7, 3, O.SHIPPED, OrderTerms("web"), lines, fulfillments)


def requested(sku: str = "SKU-A", quantity: int = 3, status: R = R.REQUESTED) -> ReturnState:
    return ReturnState(
        id="OG-1-R1",
        order_id="OG-1",
        location="DC-RENO",
        status=status,
        lines=((sku, quantity),),
        received=(),
        refund_amount=Decimal("0"),
        refund_currency=None,
    )


def test_only_shipped_units_less_earlier_returns_are_returnable() -> None:
    state = shipped_order()
    assert returnable(state, "SKU-A", []) == 3  # the open fulfillment's unit has not shipped
    assert returnable(state, "SKU-B", []) == 2
    assert returnable(state, "SKU-A", [requested(quantity=2)]) == 1
    with pytest.raises(InvalidTransition, match="only 1 unit"):
        create(state, "OG-1-R2", [("SKU-A", 2)], "DC-RENO", None, [requested(quantity=2)], AT)
    with pytest.raises(ValidationError, match="at least one line"):
        create(state, "OG-1-R2", [], "DC-RENO", None, [], AT)


def test_a_new_return_is_requested_with_its_lines_and_an_event() -> None:
    change = create(
        shipped_order(), "OG-1-R1", [("SKU-A", 1), ("SKU-A", 1)], "DC-RENO", "size", [], AT
    )
    [new] = change.new_returns
    assert new == NewReturn(
        id="OG-1-R1",
        order_id="OG-1",
        location="DC-RENO",
        reason="size",
        created_at=AT,
        lines=(("SKU-A", 2),),
    )
    assert new.status == R.REQUESTED
    [event] = change.events
    assert (event.id, event.type) == ("OG-1-E4", "ReturnCreated")  # eventSeq was 3
    assert event.payload == {
        "return": "OG-1-R1",
        "location": "DC-RENO",
        "lines": [{"sku": "SKU-A", "quantity": 2}],
        "reason": "size",
    }


def test_a_partial_receipt_restocks_and_refunds_what_came_back() -> None:
    change = receive(shipped_order(), requested(), [("SKU-A", 2, Disposition.RESTOCK)], AT)
    [ret] = change.returns
    assert ret == ReturnReceipt(
        id="OG-1-R1",
        status=R.PARTIALLY_RECEIVED,
        received=(ReceivedUnit("SKU-A", 2, Disposition.RESTOCK, AT),),
        received_at=AT,
        refund_amount=Decimal("39.98"),  # 2 x 19.99
        refund_currency="USD",
        refund_status="PENDING",
        returned=(("OG-1-L1", 2),),
    )
    assert change.stock == [StockDelta("DC-RENO", "SKU-A", reserved=0, on_hand=2)]
    assert [e.type for e in change.events] == ["ReturnReceived", "RefundCreated"]


def test_the_last_units_make_it_received_and_damaged_ones_are_not_restocked() -> None:
    earlier = [ReceivedUnit("SKU-A", 2, Disposition.RESTOCK, AT)]
    ret = ReturnState(
        "OG-1-R1",
        "OG-1",
        "DC-RENO",
        R.PARTIALLY_RECEIVED,
        (("SKU-A", 3),),
        tuple(earlier),
        Decimal("39.98"),
        "USD",
    )
    change = receive(shipped_order(), ret, [("SKU-A", 1, Disposition.DAMAGED)], AT)
    [row] = change.returns
    assert row.status == R.RECEIVED
    assert row.refund_amount == Decimal("59.97")  # 39.98 + 19.99
    assert row.received == (*earlier, ReceivedUnit("SKU-A", 1, Disposition.DAMAGED, AT))
    assert change.stock == []
    refund = change.events[1].payload
    assert (refund["amount"], refund["total"], refund["unpriced"]) == ("19.99", "59.97", [])


def test_an_unpriced_line_is_received_without_a_refund() -> None:
    change = receive(
        shipped_order(), requested("SKU-B", 2), [("SKU-B", 2, Disposition.REFURBISH)], AT
    )
    refund = change.events[1].payload
    assert (refund["amount"], refund["unpriced"]) == ("0", ["SKU-B"])
    assert change.returns[0].status == R.RECEIVED
    assert change.returns[0].refund_amount == Decimal("0")


def test_a_received_return_and_too_many_units_are_refused() -> None:
    with pytest.raises(InvalidTransition, match="received in full already"):
        receive(
            shipped_order(), requested(status=R.RECEIVED), [("SKU-A", 1, Disposition.RESTOCK)], AT
        )
    with pytest.raises(InvalidTransition, match="expects 3 more unit"):
        receive(shipped_order(), requested(), [("SKU-A", 4, Disposition.RESTOCK)], AT)
    with pytest.raises(ValidationError, match="no line for SKU-B"):
        receive(shipped_order(), requested(), [("SKU-B", 1, Disposition.RESTOCK)], AT)


def test_a_receipt_counts_the_returned_units_of_every_line_it_takes_back() -> None:
    ret = ReturnState(
        "OG-1-R1",
        "OG-1",
        "DC-RENO",
        R.REQUESTED,
        (("SKU-A", 3), ("SKU-B", 2)),
        (),
        Decimal("0"),
        None,
    )
    got = [("SKU-A", 1, Disposition.RESTOCK), ("SKU-B", 2, Disposition.REFURBISH)]
    change = receive(shipped_order(), ret, got, AT)
    [row] = change.returns
    assert row.returned == (("OG-1-L1", 1), ("OG-1-L2", 2))  # both lines, not the first only
    assert all(not hasattr(line, "returned") for line in change.lines)  # the receipt's, typed
