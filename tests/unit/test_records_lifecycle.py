"""The lifecycle's side of the record boundary (graph/records/lifecycle.py): the order state the
rules read from a hand-made ORDER_STATE row, and the properties a typed Change writes, read back
by the records that read them; and where a return may go (``ReturnPlaces``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ordergraph.domain import events
from ordergraph.domain import lifecycle as lc
from ordergraph.domain.orders import Address
from ordergraph.domain.orders import FulfillmentStatus as F
from ordergraph.domain.orders import OrderStatus as O
from ordergraph.domain.routing.types import PlannedShipment, ServiceLevel
from ordergraph.graph.records.events import EventRecord
from ordergraph.graph.records.lifecycle import (
    change_params,
    event_params,
    new_fulfillment_params,
    order_state,
)
from ordergraph.graph.records.orders import FulfillmentRecord, ShippedLine
from ordergraph.graph.records.returns import ReturnPlaces

AT = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)

ORDER = {
    "id": "OG-1",
    "channel": "web",
    "status": "ALLOCATED",
    "placedAt": "2026-12-01T09:00:00+00:00",
    "serviceLevel": "EXPRESS",
    "shipToName": "Ada Lovelace",
    "shipToPostalCode": "89501",
    "shipToCountry": "US",
    "version": 4,
    "eventSeq": 6,
    "policy": "fastest",
    "region": "US-NV",
    "placedBy": "storefront",
}


def fulfillment(fid: str, status: str, ships: list[tuple[str, str, int]]) -> dict[str, object]:
    return {
        "f": {
            "id": fid,
            "status": status,
            "locationId": "DC-RENO",
            "estimatedDelivery": "2026-12-05",
            "createdAt": "2026-12-01T09:00:00+00:00",
        },
        "ships": [{"line": line, "sku": sku, "quantity": n} for line, sku, n in ships],
    }


def test_the_order_state_reads_the_row_with_lines_by_position_and_fulfillments_by_number() -> None:
    row = {
        "o": ORDER,
        "lines": [
            {"id": "OG-1-L2", "sku": "SKU-B", "quantity": 1, "position": 2, "returned": 1},
            {"id": "OG-1-L1", "sku": "SKU-A", "quantity": 3, "allocated": 3, "position": 1},
        ],
        "fulfillments": [
            fulfillment("OG-1-F10", "OPEN", [("OG-1-L2", "SKU-B", 1)]),
            fulfillment("OG-1-F2", "SHIPPED", [("OG-1-L1", "SKU-A", 3)]),
        ],
    }
    state = order_state(row)
    assert (state.id, state.version, state.event_seq, state.status) == ("OG-1", 4, 6, O.ALLOCATED)
    assert state.terms == lc.OrderTerms(
        channel="web",
        service_level=ServiceLevel.EXPRESS,
        ship_to=Address("89501", "US", "Ada Lovelace"),
        policy="fastest",
        region="US-NV",
        placed_by="storefront",
    )
    assert [(line.id, line.allocated, line.returned) for line in state.lines] == [
        ("OG-1-L1", 3, 0),
        ("OG-1-L2", 0, 1),
    ]
    assert [f.id for f in state.fulfillments] == ["OG-1-F2", "OG-1-F10"]
    shipped = state.fulfillments[0]
    assert (shipped.status, shipped.ships, shipped.estimated_delivery) == (
        F.SHIPPED,
        {"OG-1-L1": 3},
        date(2026, 12, 5),
    )
    assert shipped.created_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert state.next_fulfillment_number() == 11


def test_an_order_state_without_the_optional_properties() -> None:
    row = {"o": {k: ORDER[k] for k in ("id", "channel", "status", "placedAt")}}
    state = order_state(row | {"lines": [], "fulfillments": []})
    assert (state.version, state.event_seq) == (1, 0)
    assert state.terms == lc.OrderTerms("web")  # standard service, no address, placed by a channel


def test_a_change_writes_stock_in_lock_order_moves_lines_order_and_events() -> None:
    change = lc.Change("OG-1", 4)
    change.reserve("DC-RENO", "SKU-B", reserved=-1, on_hand=-1)
    change.reserve("DC-AUS", "SKU-A", reserved=-2)
    change.reserve("DC-RENO", "SKU-B", reserved=-1, on_hand=-1)
    change.move(lc.FulfillmentMove("OG-1-F1", F.SHIPPED, AT, tracking_number="1Z9", carrier="UPS"))
    change.move(lc.FulfillmentMove("OG-1-F2", F.REJECTED, AT, "no stock"))
    change.move(lc.FulfillmentMove("OG-1-F3", F.CANCELLED, AT))
    change.ships.append(lc.Ships("OG-1-F3", "OG-1-L1", 0))
    change.lines.append(lc.LineUpdate("OG-1-L1", 3, 1, 2, 0, "PARTIALLY_ALLOCATED"))
    change.order = lc.OrderUpdate(O.SHIPPED, 5, 7, AT, date(2026, 12, 5))
    change.event(
        lc.OrderState("OG-1", 4, 6, O.ALLOCATED, lc.OrderTerms("web"), [], []), "X", {}, AT
    )
    params = change_params(change)
    assert params["stock"] == [
        {"location": "DC-AUS", "sku": "SKU-A", "reserved": -2, "onHand": 0},
        {"location": "DC-RENO", "sku": "SKU-B", "reserved": -2, "onHand": -2},
    ]
    at = AT.isoformat()
    assert params["fulfillments"] == [
        {
            "id": "OG-1-F1",
            "props": {
                "status": "SHIPPED",
                "shippedAt": at,
                "trackingNumber": "1Z9",
                "carrier": "UPS",
            },
        },
        {
            "id": "OG-1-F2",
            "props": {"status": "REJECTED", "rejectedAt": at, "rejectReason": "no stock"},
        },
        {"id": "OG-1-F3", "props": {"status": "CANCELLED", "cancelledAt": at}},
    ]
    assert params["ships"] == [{"fulfillment": "OG-1-F3", "line": "OG-1-L1", "quantity": 0}]
    assert params["lines"] == [
        {
            "id": "OG-1-L1",
            "props": {
                "quantity": 3,
                "allocated": 1,
                "backordered": 2,
                "cancelled": 0,
                "status": "PARTIALLY_ALLOCATED",
            },
        }
    ]
    assert params["order"] == {
        "status": "SHIPPED",
        "version": 5,
        "eventSeq": 7,
        "updatedAt": at,
        "promisedBy": "2026-12-05",
    }
    assert [e["id"] for e in params["events"]] == ["OG-1-E7"]
    assert (params["orderId"], params["version"], params["locationIds"]) == ("OG-1", 4, [])


def test_a_new_address_writes_every_part_so_that_the_missing_ones_are_removed() -> None:
    change = lc.Change("OG-1", 4)
    change.order.ship_to = Address("94107", "US", city="San Francisco")
    change.order.service_level = ServiceLevel.NEXT_DAY
    assert change_params(change)["order"] == {
        "shipToPostalCode": "94107",
        "shipToCountry": "US",
        "shipToName": None,
        "shipToLine1": None,
        "shipToLine2": None,
        "shipToCity": "San Francisco",
        "shipToRegion": None,
        "serviceLevel": "NEXT_DAY",
    }


def test_a_new_fulfillment_writes_what_the_fulfillment_record_reads() -> None:
    shipment = PlannedShipment(
        "DC-RENO", (("SKU-A", 2),), "UPS", "Ground", 3, 8.5, date(2026, 12, 2), date(2026, 12, 5)
    )
    new = lc.NewFulfillment("OG-1-F3", shipment, (("OG-1-L1", 2),), AT)
    [params] = new_fulfillment_params(new)
    assert (params["location"], params["lines"]) == (
        "DC-RENO",
        [{"line": "OG-1-L1", "quantity": 2}],
    )
    assert "readyBy" not in params["props"]  # not a pickup: left out, not stored as null
    assert params["props"]["createdAt"] == AT.isoformat()
    rec = FulfillmentRecord.from_row(
        params["props"], [{"line": "OG-1-L1", "sku": "SKU-A", "quantity": 2}]
    )
    assert (rec.id, rec.location_id, rec.status) == ("OG-1-F3", "DC-RENO", F.OPEN)
    assert (rec.carrier, rec.service, rec.cost) == ("UPS", "Ground", 8.5)
    assert (rec.ship_by, rec.estimated_delivery) == (date(2026, 12, 2), date(2026, 12, 5))
    assert rec.lines == (ShippedLine("OG-1-L1", "SKU-A", 2),)
    change = lc.Change("OG-1", 4, new_fulfillments=[new])
    assert change_params(change)["locationIds"] == ["DC-RENO"]


def test_a_rerouted_transfer_writes_the_transfer_and_its_pickup() -> None:
    shipment = PlannedShipment(
        "DC-RENO", (("SKU-A", 2),), "TRANSFER", "TRANSFER", 2, 9.0, date(2026, 12, 7),
        date(2026, 12, 10), datetime(2026, 12, 10, 18, tzinfo=UTC), via="STORE-SF",
        arrives=date(2026, 12, 9),
    )  # fmt: skip
    new = lc.NewFulfillment("OG-1-F3", shipment, (("OG-1-L1", 2),), AT)
    transfer, pickup = new_fulfillment_params(new)
    assert new.pickup_id == "OG-1-F4"
    t = FulfillmentRecord.from_row(transfer["props"], [])
    p = FulfillmentRecord.from_row(pickup["props"], [])
    assert (t.id, t.kind.value, t.location_id, t.to_location, t.pickup_id) == (
        "OG-1-F3", "TRANSFER", "DC-RENO", "STORE-SF", "OG-1-F4",
    )  # fmt: skip
    assert t.estimated_delivery == date(2026, 12, 9)  # its arrival at the store
    assert (p.id, p.kind.value, p.status, p.location_id, p.transfer_id) == (
        "OG-1-F4", "PICKUP", F.AWAITING_TRANSFER, "STORE-SF", "OG-1-F3",
    )  # fmt: skip
    assert p.estimated_delivery == date(2026, 12, 10)
    assert pickup["lines"] == transfer["lines"] == [{"line": "OG-1-L1", "quantity": 2}]
    change = lc.Change("OG-1", 4, new_fulfillments=[new])
    assert change_params(change)["locationIds"] == ["DC-RENO", "STORE-SF"]


def test_an_event_writes_what_the_event_record_reads() -> None:
    event = events.Event("OG-1", 3, "FulfillmentShipped", {"fulfillment": "OG-1-F1"}, AT)
    rec = EventRecord.from_row(event_params(event))
    assert (rec.id, rec.order_id, rec.sequence, rec.type) == (
        "OG-1-E3",
        "OG-1",
        3,
        "FulfillmentShipped",
    )
    assert (rec.at, rec.at_ms, rec.payload) == (AT, int(AT.timestamp() * 1000), event.payload)


def test_return_places_measure_from_the_pickup_store_before_the_region() -> None:
    store = {"id": "STORE-SF", "lat": 37.78, "lon": -122.41, "tags": ["hazmat"]}
    rows = [
        {"location": store, "pickup": {"lat": 37.7, "lon": -122.4}, "region": {"lat": 1, "lon": 2}},
        {"location": {"id": "DC-RENO"}, "pickup": {"lat": 37.7, "lon": -122.4}, "region": None},
    ]
    places = ReturnPlaces.from_rows(rows)
    assert [loc.id for loc in places.locations] == ["STORE-SF", "DC-RENO"]
    assert places.locations[0].tags == frozenset({"hazmat"})
    assert places.origin == (37.7, -122.4)
    no_pickup = [row | {"pickup": None} for row in rows]
    assert ReturnPlaces.from_rows(no_pickup).origin == (1.0, 2.0)
    nowhere = [row | {"pickup": {"lat": None, "lon": None}, "region": None} for row in rows]
    assert ReturnPlaces.from_rows(nowhere).origin is None
    assert ReturnPlaces.from_rows([]) == ReturnPlaces((), None)
