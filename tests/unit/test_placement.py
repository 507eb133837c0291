"""Placing an order, in its pure parts: the partial-order rule and the ``OrderCreated`` event
(domain/orders.py), and the properties the create statement writes (graph/orders.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ordergraph.domain.errors import InsufficientStock
from ordergraph.domain.orders import (
    Address,
    OrderLine,
    OrderRequest,
    OrderStatus,
    created_event,
    refuse_partial,
    ship_lines,
)
from ordergraph.domain.routing.types import PlannedShipment, RoutingPlan
from ordergraph.graph import orders as q
from ordergraph.graph.records.lifecycle import event_params
from ordergraph.graph.records.orders import FulfillmentRecord, LineRecord, ShippedLine

AT = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
SHIPMENT = PlannedShipment(
    location_id="DC-RENO",
    lines=(("SKU-A", 2),),
    carrier="UPS",
    service="GROUND",
    transit_days=3,
    cost=7.5,
    ship_by=date(2026, 12, 4),
    estimated_delivery=date(2026, 12, 7),
)
WHOLE = RoutingPlan((SHIPMENT,), (), 7.456, date(2026, 12, 7), ("why",), "CHEAPEST", True)
SHORT = RoutingPlan((SHIPMENT,), (("SKU-B", 1),), 7.5, date(2026, 12, 7), (), "CHEAPEST", True)
REQUEST = OrderRequest(
    channel="web",
    lines=(OrderLine("SKU-A", 2, Decimal("19.90"), "USD"), OrderLine("SKU-B", 1)),
    ship_to=Address("94107", "US", name="Ada"),
    external_id="W-9",
    placed_at=AT,
)


@pytest.mark.parametrize("policy", [None, "BACKORDER"])
def test_a_channel_that_backorders_takes_a_short_plan(policy: str | None) -> None:
    refuse_partial(SHORT, policy, "web")


def test_a_channel_that_rejects_partial_orders_takes_only_a_whole_plan() -> None:
    refuse_partial(WHOLE, "REJECT", "b2b")
    with pytest.raises(InsufficientStock, match="channel b2b does not accept partial orders"):
        refuse_partial(SHORT, "REJECT", "b2b")


def test_a_skus_units_fill_its_lines_first_to_last_over_the_shipments() -> None:
    first = replace(SHIPMENT, lines=(("SKU-A", 3), ("SKU-B", 1)))
    second = replace(SHIPMENT, location_id="DC-AUSTIN", lines=(("SKU-A", 2),))
    plan = replace(WHOLE, shipments=(first, second))
    needs = [("L1", "SKU-A", 2), ("L2", "SKU-B", 1), ("L3", "SKU-A", 4)]
    assert ship_lines(plan, needs) == [[("L1", 2), ("L3", 1), ("L2", 1)], [("L3", 2)]]


def test_order_created_is_the_first_event_and_tells_how_the_order_was_allocated() -> None:
    fulfillment = q.fulfillment_params("OG-1-F1", SHIPMENT, [("OG-1-L1", 2)], AT.isoformat())
    at = datetime(2026, 12, 4, 16, 0, tzinfo=timezone(timedelta(hours=1)))
    event = event_params(
        created_event("OG-1", REQUEST, OrderStatus.PARTIALLY_ALLOCATED, [fulfillment], SHORT, at)
    )
    assert (event["id"], event["type"], event["sequence"], event["at"]) == (
        "OG-1-E1",
        "OrderCreated",
        1,
        "2026-12-04T15:00:00+00:00",
    )
    payload = json.loads(event["payload"])
    assert (payload["status"], payload["externalId"], payload["promisedBy"]) == (
        "PARTIALLY_ALLOCATED",
        "W-9",
        "2026-12-07",
    )
    assert [f["id"] for f in payload["fulfillments"]] == ["OG-1-F1"]
    assert payload["backordered"] == [{"sku": "SKU-B", "quantity": 1}]


def test_a_new_order_is_written_without_its_absent_properties() -> None:
    props = q.order_properties(
        "OG-1",
        REQUEST,
        WHOLE,
        status=OrderStatus.ALLOCATED,
        region="US-941",
        body_digest="d1",
        placed_by=None,
        at=AT,
    )
    assert props["channelExternalId"] == REQUEST.channel_external_id
    assert (props["placedAtMs"], props["shippingCost"], props["currency"]) == (
        1796396400000,
        7.46,
        "USD",
    )
    assert (props["shipToName"], props["shipToPostalCode"], props["bodyDigest"]) == (
        "Ada",
        "94107",
        "d1",
    )
    assert json.loads(props["routing"]) == WHOLE.to_record()
    assert not {"placedBy", "pickupAt", "shipToLine1"} & set(props)
    assert None not in props.values()


def test_a_new_line_and_fulfillment_are_written_as_the_read_side_reads_them() -> None:
    line = q.line_properties("OG-1-L2", 2, REQUEST.lines[1], 0, OrderStatus.BACKORDERED)
    assert line == {
        "id": "OG-1-L2",
        "position": 2,
        "sku": "SKU-B",
        "quantity": 1,
        "allocated": 0,
        "backordered": 1,
        "cancelled": 0,
        "status": "BACKORDERED",
    }
    assert LineRecord.from_row(line).open == 1
    made = q.fulfillment_params("OG-1-F1", SHIPMENT, [("OG-1-L1", 2)], AT.isoformat())
    assert (made["location"], made["lines"]) == ("DC-RENO", [{"line": "OG-1-L1", "quantity": 2}])
    assert made["props"] == {
        "id": "OG-1-F1",
        "status": "OPEN",
        "carrier": "UPS",
        "service": "GROUND",
        "shipBy": "2026-12-04",
        "estimatedDelivery": "2026-12-07",
        "cost": 7.5,
        "locationId": "DC-RENO",
        "createdAt": "2026-12-04T15:00:00+00:00",
    }
    read = FulfillmentRecord.from_row(made["props"], [{"sku": "SKU-A", **made["lines"][0]}])
    assert (read.ready_by, read.lines) == (None, (ShippedLine("OG-1-L1", "SKU-A", 2),))
