"""Routing a pickup order over the store's own stock and transfers to it (docs/transfers.md):
pure, on the domain's candidates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ordergraph.domain import promise
from ordergraph.domain.routing.engine import route
from ordergraph.domain.routing.types import (
    CHEAPEST,
    FASTEST,
    Candidate,
    LineRequest,
    RoutingRequest,
    ServiceLevel,
    SkuInfo,
    TransferLane,
)
from ordergraph.domain.transfers import customer_event, customer_plan

LA = "America/Los_Angeles"
PLACED = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # Monday 10:00 in Los Angeles
SKUS = {"TENT": SkuInfo("TENT", 4.0)}


def lane(transit: int, base: float, cutoff: str | None = None) -> TransferLane:
    return TransferLane(
        "STORE", "TRANSFER", "TRANSFER", transit, base, 0.0, cutoff, LA, "US", 1, 2.0
    )


def site(
    location_id: str, units: int, *transfers: TransferLane, kind: str = "WAREHOUSE"
) -> Candidate:
    return Candidate(
        location_id=location_id, kind=kind, timezone=LA, country="US", cutoff="14:00",
        processing_days=0, handling_cost=1.0, capacity_left=None, tags=frozenset(),
        active=True, pickup=kind == "STORE", available={"TENT": units}, lanes=(),
        transfers=transfers,
    )  # fmt: skip


def pickup(quantity: int = 1) -> RoutingRequest:
    return RoutingRequest(
        (LineRequest("TENT", quantity),), SKUS, ServiceLevel.STANDARD, PLACED, pickup_at="STORE"
    )


def test_the_stores_own_stock_wins_when_it_has_enough() -> None:
    plan = route(pickup(), [site("STORE", 3, kind="STORE"), site("DC-NEAR", 9, lane(1, 1.0))])
    assert [(s.location_id, s.via) for s in plan.shipments] == [("STORE", None)]


def test_a_store_without_stock_is_served_by_transfer_then_pickup() -> None:
    plan = route(pickup(), [site("STORE", 0, kind="STORE"), site("DC-NEAR", 9, lane(2, 3.0))])
    [shipment] = plan.shipments
    assert (shipment.location_id, shipment.via) == ("DC-NEAR", "STORE")
    assert shipment.ship_by == date(2026, 12, 7)
    assert shipment.arrives == date(2026, 12, 9)  # two business days
    assert shipment.estimated_delivery == date(2026, 12, 10)  # + the store's processing day
    assert shipment.ready_by == datetime(2026, 12, 10, 18, 0, tzinfo=UTC)  # 10:00 local
    assert plan.promised_by == date(2026, 12, 10)
    assert shipment.cost == pytest.approx(1.0 + 3.0 + 2.0)
    assert any("holds none of the requested units" in line for line in plan.explanation)


def test_the_policy_chooses_between_a_cheap_slow_and_a_dear_fast_transfer() -> None:
    candidates = [site("DC-CHEAP", 5, lane(4, 2.0)), site("DC-FAST", 5, lane(1, 12.0))]
    cheapest = route(pickup(), candidates, CHEAPEST)
    fastest = route(pickup(), candidates, FASTEST)
    assert [s.location_id for s in cheapest.shipments] == ["DC-CHEAP"]
    assert [s.location_id for s in fastest.shipments] == ["DC-FAST"]
    assert fastest.promised_by is not None and cheapest.promised_by is not None
    assert fastest.promised_by < cheapest.promised_by


def test_what_the_store_lacks_comes_by_transfer_and_the_promise_waits_for_it() -> None:
    plan = route(pickup(3), [site("STORE", 1, kind="STORE"), site("DC", 9, lane(2, 3.0))])
    # one shipment from the DC is cheaper than the store's unit plus a transfer of two
    assert [(s.location_id, s.units) for s in plan.shipments] == [("DC", 3)]
    assert any("holds 1 of the 3 units" in line for line in plan.explanation)


def test_the_lanes_own_cutoff_moves_the_ship_day() -> None:
    late = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)  # 13:00 local: past 12:00, before 14:00
    request = RoutingRequest(
        (LineRequest("TENT", 1),), SKUS, ServiceLevel.STANDARD, late, pickup_at="STORE"
    )
    [own] = route(request, [site("DC", 9, lane(2, 3.0))]).shipments
    [lanes] = route(request, [site("DC", 9, lane(2, 3.0, cutoff="12:00"))]).shipments
    assert (own.ship_by, lanes.ship_by) == (date(2026, 12, 7), date(2026, 12, 8))


def test_ready_after_transfer_skips_the_stores_closed_days() -> None:
    saturday = date(2026, 12, 12)
    ready = promise.ready_after_transfer(saturday, LA, 0, "US")
    assert ready == datetime(2026, 12, 14, 18, 0, tzinfo=UTC)  # Monday 10:00 local
    with pytest.raises(ValueError):
        promise.ready_after_transfer(saturday, LA, -1, "US")


def test_the_customer_sees_the_transfer_as_the_pickup_at_the_store() -> None:
    plan = route(pickup(), [site("DC", 9, lane(2, 3.0))])
    [seen] = customer_plan(plan).shipments
    assert (seen.location_id, seen.carrier, seen.via) == ("STORE", "PICKUP", None)
    assert seen.estimated_delivery == plan.shipments[0].estimated_delivery
    assert customer_event("TransferShipped", {"fulfillment": "F1"}) is None
    created = {"fulfillments": [{"id": "F1", "kind": "TRANSFER"}, {"id": "F2", "kind": "PICKUP"}]}
    assert customer_event("OrderCreated", created) == {
        "fulfillments": [{"id": "F2", "kind": "PICKUP"}]
    }
