"""The store floor's rules (domain/picking.py), pure: short picks, confirms, pack, hand-over."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ordergraph.domain import lifecycle as lc
from ordergraph.domain import picking
from ordergraph.domain.errors import ErrorCode, OrderGraphError
from ordergraph.domain.orders import FulfillmentStatus as F
from ordergraph.domain.orders import OrderStatus

AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def state(status: F = F.RELEASED, *, pickup: bool = False, **floor: object) -> lc.OrderState:
    lines = [
        lc.LineState("L1", "SKU-1", 3, 3, 0, 0, None, None, 0),
        lc.LineState("L2", "SKU-2", 1, 1, 0, 0, None, None, 1),
    ]
    f = lc.FulfillmentState("O-F1", "STORE-SF", status, {"L1": 3, "L2": 1}, AT, None)
    for name, value in floor.items():
        setattr(f, name, value)
    terms = lc.OrderTerms("web", pickup_at="STORE-SF" if pickup else None)
    return lc.OrderState("O", 4, 7, OrderStatus.ALLOCATED, terms, lines, [f])


def test_a_short_pick_takes_only_the_short_units_off_the_store() -> None:
    s = state()
    change, short = picking.short_pick(
        s, "O-F1", "SKU-1", 2, picking.ShortReason.MISSING, 3, AT, on_hand=5
    )
    assert short == 1
    assert change.ships == [lc.Ships("O-F1", "L1", 2)]
    assert change.stock == [lc.StockDelta("STORE-SF", "SKU-1", reserved=-1, on_hand=-1)]
    assert (s.line("L1").allocated, s.line("L1").backordered) == (2, 1)
    assert change.fulfillments == []  # the fulfillment stays with the store
    assert change.stages[0].picked == ("L1",) and change.stages[0].stage is None  # L2 to go
    (event,) = change.events
    assert event.type == "FulfillmentShortPicked" and event.payload["short"] == 1


def test_on_hand_never_goes_below_what_the_position_holds() -> None:
    change, _ = picking.short_pick(
        state(), "O-F1", "L1", 0, picking.ShortReason.DAMAGED, None, AT, on_hand=1
    )
    assert change.stock == [lc.StockDelta("STORE-SF", "SKU-1", reserved=-3, on_hand=-1)]


def test_nothing_left_to_pick_rejects_the_fulfillment() -> None:
    s = state()
    s.fulfillments[0].ships = {"L1": 3}
    change, _ = picking.short_pick(s, "O-F1", "L1", 0, picking.ShortReason.MISSING, 3, AT)
    assert [(m.id, m.status) for m in change.fulfillments] == [("O-F1", F.REJECTED)]


def test_a_stale_page_or_a_confirmed_line_is_refused_with_conflict() -> None:
    with pytest.raises(OrderGraphError, match="now asks for 3, not 4") as stale:
        picking.short_pick(state(), "O-F1", "L1", 1, picking.ShortReason.MISSING, 4, AT)
    assert stale.value.code == ErrorCode.CONFLICT
    with pytest.raises(OrderGraphError, match="already confirmed"):
        picking.confirm_line(state(picked=("L1",)), "O-F1", "L1", 3, AT)
    with pytest.raises(OrderGraphError, match="found must be 0 to 2"):
        picking.short_pick(state(), "O-F1", "L1", 3, picking.ShortReason.MISSING, 3, AT)


def test_confirming_the_last_line_makes_the_fulfillment_picked() -> None:
    change = picking.confirm_line(state(picked=("L2",)), "O-F1", "SKU-1", 3, AT)
    assert change.stages[0].stage == picking.PICKED
    assert change.order.version == 5  # guarded by the version read


def test_pack_then_ready_only_for_a_pickup_order() -> None:
    with pytest.raises(OrderGraphError, match="before packing"):
        picking.pack(state(), "O-F1", 1, AT)
    packed = picking.pack(state(stage=picking.PICKED), "O-F1", 2, AT)
    assert packed.stages[0].boxes == 2
    with pytest.raises(OrderGraphError, match="ship it instead"):
        picking.ready_for_pickup(state(stage=picking.PACKED), "O-F1", AT)
    ready = picking.ready_for_pickup(state(stage=picking.PACKED, pickup=True), "O-F1", AT)
    assert ready.events[0].type == "FulfillmentReadyForPickup"


def test_hand_over_checks_the_order_number_and_the_name() -> None:
    ready = {"stage": picking.READY, "pickup": True}
    with pytest.raises(OrderGraphError, match="order number"):
        picking.hand_over(state(**ready), "O-F1", "X", "Ada", "Ada", AT)  # type: ignore[arg-type]
    with pytest.raises(OrderGraphError, match="name does not match"):
        picking.hand_over(state(**ready), "O-F1", "o", "Bob", "Ada", AT)  # type: ignore[arg-type]
    change = picking.hand_over(state(**ready), "O-F1", " o ", "ADA", "Ada", AT)  # type: ignore[arg-type]
    assert [m.status for m in change.fulfillments] == [F.DELIVERED]
    assert [e.type for e in change.events] == ["FulfillmentShipped", "FulfillmentDelivered"]
    assert lc.StockDelta("STORE-SF", "SKU-1", reserved=-3, on_hand=-3) in change.stock


def test_an_open_fulfillment_is_picked_only_once_started() -> None:
    with pytest.raises(OrderGraphError, match="start picking first"):
        picking.confirm_line(state(F.OPEN), "O-F1", "L1", 3, AT)
