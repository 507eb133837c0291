"""The record boundary of graph/ (issue #9): a record reads a hand-made stored row, writes back
the same properties, and the one JSON codec of stored properties fails clearly on a bad value."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ordergraph.domain.access import Principal, Role
from ordergraph.domain.orders import FulfillmentStatus, OrderStatus
from ordergraph.domain.returns import Disposition, ReturnState, ReturnStatus
from ordergraph.graph.records import codec
from ordergraph.graph.records.apikeys import ApiKeyRecord
from ordergraph.graph.records.events import EventRecord
from ordergraph.graph.records.ingestion import IngestionFailureRecord, StoredPayload
from ordergraph.graph.records.orders import (
    FulfillmentRecord,
    LineRecord,
    OrderRecord,
    ShippedLine,
    ShipTo,
)
from ordergraph.graph.records.returns import ReceivedUnit, ReturnLine, ReturnRecord

KEY_ROW = {
    "id": "key_1a2b3c",
    "name": "Reno 3PL",
    "role": "partner",
    "channels": [],
    "locations": ["DC-RENO"],
    "prefix": "og_AbCdEfG",
    "createdAt": "2026-12-01T09:30:00.123456+00:00",
    "revokedAt": None,
    "budgetCapacity": 500,
    "budgetRestore": 25,
}


def test_an_api_key_record_reads_a_stored_row() -> None:
    rec = ApiKeyRecord.from_row(KEY_ROW)
    assert rec.id == "key_1a2b3c"
    assert rec.role is Role.PARTNER
    assert (rec.channels, rec.locations) == ((), ("DC-RENO",))
    assert rec.created_at == datetime(2026, 12, 1, 9, 30, 0, 123456, tzinfo=UTC)
    assert rec.revoked_at is None and rec.active
    assert rec.budget == (500, 25)
    assert rec.principal() == Principal(
        "key_1a2b3c", Role.PARTNER, frozenset(), frozenset({"DC-RENO"}), (500, 25)
    )


def test_an_api_key_record_writes_the_properties_it_reads() -> None:
    rec = ApiKeyRecord.from_row(KEY_ROW)
    stored = {k: v for k, v in KEY_ROW.items() if v is not None}
    assert rec.to_params() == stored
    assert ApiKeyRecord.from_row(rec.to_params()) == rec


def test_a_revoked_key_without_its_own_budget() -> None:
    row = KEY_ROW | {"revokedAt": "2026-12-02T10:00:00+00:00", "budgetCapacity": None}
    rec = ApiKeyRecord.from_row(row)
    assert rec.revoked_at == datetime(2026, 12, 2, 10, tzinfo=UTC) and not rec.active
    assert rec.budget is None  # half a budget is the role's
    assert "budgetCapacity" not in rec.to_params()
    assert rec.to_params()["revokedAt"] == "2026-12-02T10:00:00+00:00"


def test_the_codec_round_trips_json_kept_in_a_string_property() -> None:
    value = [{"sku": "SKU-A", "quantity": 2, "disposition": "RESTOCK"}, {"note": "ü €"}]
    text = codec.encode(value)
    assert isinstance(text, str)
    assert codec.decode(text, "Return", "RT-1", "received") == value
    assert codec.decode_list(text, "Return", "RT-1", "received") == value


def test_the_codec_reads_an_absent_value_as_the_default() -> None:
    assert codec.decode(None, "Return", "RT-1", "received", default=[]) == []
    assert codec.decode("", "Return", "RT-1", "received", default={}) == {}
    assert codec.decode_list(None, "Return", "RT-1", "received") == []


@pytest.mark.parametrize(
    ("stored", "why"),
    [
        ('[{"sku": "SKU-A", "quantity": 2', "not valid JSON"),
        ("not json", "not valid JSON"),
        (42, "a int, not a JSON string"),
    ],
)
def test_a_corrupt_stored_value_is_a_clear_error(stored: object, why: str) -> None:
    with pytest.raises(codec.CorruptProperty) as corrupt:
        codec.decode(stored, "Return", "RT-1", "lines")
    assert str(corrupt.value).startswith(f"Return RT-1: stored property 'lines' is {why}")
    assert (corrupt.value.label, corrupt.value.node_id, corrupt.value.prop) == (
        "Return",
        "RT-1",
        "lines",
    )


def test_a_stored_value_of_the_wrong_shape_is_corrupt() -> None:
    with pytest.raises(codec.CorruptProperty, match="'lines' is a JSON dict, not a list"):
        codec.decode_list('{"sku": "SKU-A"}', "Return", "RT-1", "lines")


# ---- returns: the JSON lists in Return.lines and Return.received -----------------------------

RETURN_ROW = {
    "id": "RT-0123456789",
    "orderId": "OG-1",
    "locationId": "DC-RENO",
    "status": "PARTIALLY_RECEIVED",
    "reason": "size",
    "createdAt": "2026-11-30T10:00:00+00:00",
    "receivedAt": "2026-12-01T15:30:00+00:00",
    "lines": '[{"sku": "SKU-A", "quantity": 3}, {"sku": "SKU-B", "quantity": 1}]',
    "received": '[{"sku": "SKU-A", "quantity": 2, "disposition": "RESTOCK",'
    ' "at": "2026-12-01T15:30:00+00:00"}]',
    "refundAmount": "39.98",
    "refundCurrency": "USD",
    "refundStatus": "PENDING",
}


def test_a_return_record_reads_a_stored_row() -> None:
    rec = ReturnRecord.from_row(RETURN_ROW)
    assert (rec.id, rec.order_id, rec.location_id) == ("RT-0123456789", "OG-1", "DC-RENO")
    assert rec.status is ReturnStatus.PARTIALLY_RECEIVED
    assert rec.created_at == datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert rec.received_at == datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    assert rec.lines == (ReturnLine("SKU-A", 3), ReturnLine("SKU-B", 1))
    assert rec.received == (
        ReceivedUnit("SKU-A", 2, Disposition.RESTOCK, datetime(2026, 12, 1, 15, 30, tzinfo=UTC)),
    )
    assert (rec.refund_amount, rec.refund_currency, rec.refund_status) == (
        Decimal("39.98"),
        "USD",
        "PENDING",
    )


def test_a_return_record_writes_the_properties_it_reads() -> None:
    rec = ReturnRecord.from_row(RETURN_ROW)
    params = rec.to_params()
    assert {k: v for k, v in params.items() if k not in ("lines", "received")} == {
        k: v for k, v in RETURN_ROW.items() if k not in ("lines", "received")
    }
    assert json.loads(params["lines"]) == json.loads(RETURN_ROW["lines"])
    assert json.loads(params["received"]) == json.loads(RETURN_ROW["received"])
    assert ReturnRecord.from_row(params) == rec


def test_a_new_return_has_nothing_received_and_no_refund() -> None:
    row = RETURN_ROW | {
        "status": "REQUESTED",
        "receivedAt": None,
        "received": "[]",
        "refundAmount": "0",
        "refundCurrency": None,
        "refundStatus": None,
    }
    rec = ReturnRecord.from_row(row)
    assert (rec.received, rec.received_at, rec.refund_amount) == ((), None, Decimal("0"))
    assert ReturnRecord.from_row(row | {"received": None}).received == ()


def test_a_refund_total_that_is_not_an_amount_counts_as_zero() -> None:
    for stored in ("lots", "NaN", "-5", None):  # an older version's, not finite, negative, none
        assert ReturnRecord.from_row(RETURN_ROW | {"refundAmount": stored}).refund_amount == 0


def test_the_domain_sees_the_record_as_its_return_state() -> None:
    state = ReturnRecord.from_row(RETURN_ROW).state()
    assert state == ReturnState(
        id="RT-0123456789",
        order_id="OG-1",
        location="DC-RENO",
        status=ReturnStatus.PARTIALLY_RECEIVED,
        lines=(("SKU-A", 3), ("SKU-B", 1)),
        received=(
            ReceivedUnit(
                "SKU-A", 2, Disposition.RESTOCK, datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
            ),
        ),
        refund_amount=Decimal("39.98"),
        refund_currency="USD",
    )
    assert state.received_of("SKU-A") == 2 and state.received_of("SKU-B") == 0


@pytest.mark.parametrize(
    ("prop", "stored", "words"),
    [
        ("lines", '[{"sku": "SKU-A", "quantity": 3}', "not valid JSON"),
        ("lines", '{"sku": "SKU-A", "quantity": 3}', "a JSON dict, not a list"),
        ("lines", '["SKU-A"]', "a list holding 'SKU-A'"),
        ("lines", '[{"sku": "SKU-A"}]', "a list holding {'sku': 'SKU-A'}"),
        ("received", '[{"sku": "SKU-A", "quantity": 1, "disposition": "LOST", "at": ""}]', "LOST"),
    ],
)
def test_a_corrupt_return_is_a_clear_error(prop: str, stored: str, words: str) -> None:
    with pytest.raises(codec.CorruptProperty) as corrupt:
        ReturnRecord.from_row(RETURN_ROW | {prop: stored})
    assert str(corrupt.value).startswith(f"Return RT-0123456789: stored property {prop!r} is ")
    assert words in str(corrupt.value)


def test_what_the_return_rules_write_reads_back_as_a_record() -> None:
    """The properties the graph writes for the rules' typed values are what the record reads."""
    from ordergraph.domain.lifecycle import FulfillmentState, LineState, OrderState, OrderTerms
    from ordergraph.domain.orders import FulfillmentStatus, OrderStatus
    from ordergraph.domain.returns import create, receive
    from ordergraph.graph.records.returns import receipt_params

    at = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    order = OrderState(
        "OG-1",
        7,
        3,
        OrderStatus.SHIPPED,
        OrderTerms("web"),
        [LineState("OG-1-L1", "SKU-A", 4, 4, 0, 0, "19.99", "USD", 1)],
        [FulfillmentState("OG-1-F1", "DC-RENO", FulfillmentStatus.SHIPPED, {"OG-1-L1": 4})],
    )
    [new] = create(order, "RT-1", [("SKU-A", 3)], "DC-RENO", "size", [], at).new_returns
    stored = ReturnRecord.requested(new).to_params()
    created = ReturnRecord.from_row(stored)
    assert (created.status, created.lines, created.received) == (
        ReturnStatus.REQUESTED,
        (ReturnLine("SKU-A", 3),),
        (),
    )
    [update] = receive(order, created.state(), [("SKU-A", 2, Disposition.DAMAGED)], at).returns
    received = ReturnRecord.from_row(stored | receipt_params(update))
    assert received.received == (ReceivedUnit("SKU-A", 2, Disposition.DAMAGED, at),)
    assert (received.status, received.received_at) == (ReturnStatus.PARTIALLY_RECEIVED, at)
    assert (received.refund_amount, received.refund_status) == (Decimal("39.98"), "PENDING")


# ---- ingestion failures: headers as a JSON map, the body as text or base64 -------------------

FAILURE_ROW = {
    "id": "IF-abc",
    "channel": "shopify",
    "topic": "orders/create",
    "externalId": None,
    "status": "OPEN",
    "reason": "unknown SKU NOPE",
    "code": "UNKNOWN_SKU",
    "attempts": 2,
    "receivedAt": "2026-12-01T09:00:00+00:00",
    "receivedAtMs": 1796115600000,
    "lastAttemptAt": "2026-12-01T09:05:00+00:00",
    "resolvedAt": None,
    "orderIds": [],
    "contentType": "application/json",
    "headers": '{"x-shopify-topic": "orders/create"}',
    "body": '{"id": 1}',
    "bodyEncoding": "utf-8",
}


def test_an_ingestion_failure_record_reads_a_stored_row() -> None:
    rec = IngestionFailureRecord.from_row(FAILURE_ROW)
    assert (rec.id, rec.channel, rec.topic, rec.status, rec.attempts) == (
        "IF-abc",
        "shopify",
        "orders/create",
        "OPEN",
        2,
    )
    assert rec.received_at == datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert rec.received_at_ms == 1796115600000
    assert rec.last_attempt_at == datetime(2026, 12, 1, 9, 5, tzinfo=UTC)
    assert rec.resolved_at is None and rec.order_ids == ()
    assert rec.headers == {"x-shopify-topic": "orders/create"}
    assert (rec.body, rec.stored_body, rec.body_encoding) == (b'{"id": 1}', '{"id": 1}', "utf-8")


def test_a_stored_payload_writes_what_the_failure_record_reads() -> None:
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    for body, encoding in ((b'{"id": 1}', "utf-8"), (b"\xff\xfe ISA*00", "base64")):
        stored = StoredPayload("x12", None, None, {"x-a": "1"}, body, at)
        params = stored.to_params()
        assert params["bodyEncoding"] == encoding and "topic" not in params
        assert stored.receipt_params() == {
            "channel": "x12",
            "receivedAt": at.isoformat(),
            "receivedAtMs": 1796115600000,
        }
        rec = IngestionFailureRecord.from_row(params | {"id": "IF-1"})
        assert (rec.body, rec.headers, rec.received_at) == (body, {"x-a": "1"}, at)
        assert rec.stored_body == params["body"]


@pytest.mark.parametrize(
    ("prop", "stored", "words"),
    [
        ("headers", '{"x-a": "1"', "'headers' is not valid JSON"),
        ("headers", '["x-a"]', "'headers' is not a JSON object"),
        ("body", "not base64!", "'body' is not valid base64"),
    ],
)
def test_a_corrupt_failure_is_a_clear_error(prop: str, stored: str, words: str) -> None:
    row = FAILURE_ROW | {prop: stored, "bodyEncoding": "base64" if prop == "body" else "utf-8"}
    with pytest.raises(
        codec.CorruptProperty, match=f"^IngestionFailure IF-abc: stored property {words}"
    ):
        IngestionFailureRecord.from_row(row)


# ---- orders: the order, its lines and fulfillments as the read side sees them ---------------

ORDER_ROW = {
    "id": "OG-1",
    "channel": "web",
    "externalId": "1001",
    "status": "ALLOCATED",
    "placedAt": "2026-12-01T09:00:00+00:00",
    "placedAtMs": 1796115600000,
    "serviceLevel": "EXPRESS",
    "pickupAt": None,
    "shipToName": "Ada Lovelace",
    "shipToLine1": "1 Main St",
    "shipToLine2": None,
    "shipToCity": "Reno",
    "shipToRegion": "NV",
    "shipToPostalCode": "89501",
    "shipToCountry": "US",
    "promisedBy": "2026-12-04",
    "shippingCost": 7.5,
    "version": 3,
    "routing": '{"policy": "cheapest", "shipments": [], "backordered": []}',
    "currency": "USD",
}


def test_an_order_record_reads_a_stored_row() -> None:
    rec = OrderRecord.from_row(ORDER_ROW)
    assert (rec.id, rec.channel, rec.external_id) == ("OG-1", "web", "1001")
    assert rec.status is OrderStatus.ALLOCATED
    assert rec.placed_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert rec.placed_at_ms == 1796115600000
    assert rec.service_level.value == "EXPRESS"
    assert rec.ship_to == ShipTo("Ada Lovelace", "1 Main St", None, "Reno", "NV", "89501", "US")
    assert (rec.promised_by, rec.shipping_cost, rec.version) == (date(2026, 12, 4), 7.5, 3)
    assert rec.routing == {"policy": "cheapest", "shipments": [], "backordered": []}


def test_an_order_record_without_the_optional_properties() -> None:
    row = {k: ORDER_ROW[k] for k in ("id", "channel", "status", "placedAt")}
    rec = OrderRecord.from_row(row | {"shipToCity": "Reno", "routing": ""})
    assert rec.ship_to is None  # no postal code: no address
    assert (rec.service_level.value, rec.version) == ("STANDARD", 1)
    assert (rec.external_id, rec.pickup_at, rec.promised_by, rec.routing) == (
        None,
        None,
        None,
        None,
    )
    assert rec.placed_at_ms is None
    no_country = OrderRecord.from_row(ORDER_ROW | {"shipToCountry": None})
    assert no_country.ship_to is not None and no_country.ship_to.country == ""


@pytest.mark.parametrize(
    ("stored", "words"),
    [('{"policy": "cheapest"', "not valid JSON"), ('["cheapest"]', "a JSON list, not a map")],
)
def test_a_corrupt_routing_plan_is_a_clear_error(stored: str, words: str) -> None:
    with pytest.raises(
        codec.CorruptProperty, match=f"^Order OG-1: stored property 'routing' is {words}"
    ):
        OrderRecord.from_row(ORDER_ROW | {"routing": stored})


LINE_ROW = {
    "id": "OG-1-L2",
    "sku": "SKU-A",
    "quantity": 3,
    "allocated": 2,
    "backordered": 1,
    "cancelled": 1,
    "unitPrice": "19.99",
    "currency": "USD",
    "status": "BACKORDERED",
    "position": 2,
}


def test_a_line_record_reads_a_stored_row() -> None:
    rec = LineRecord.from_row(LINE_ROW)
    assert (rec.id, rec.sku, rec.quantity, rec.allocated, rec.backordered, rec.cancelled) == (
        "OG-1-L2",
        "SKU-A",
        3,
        2,
        1,
        1,
    )
    assert (rec.unit_price, rec.currency, rec.status, rec.position) == (
        "19.99",
        "USD",
        "BACKORDERED",
        2,
    )
    assert rec.open == 2


def test_a_line_record_without_its_counts() -> None:
    rec = LineRecord.from_row({"id": "OG-1-L1", "sku": "SKU-B", "quantity": 1})
    assert (rec.allocated, rec.backordered, rec.cancelled, rec.position) == (0, 0, 0, 0)
    assert (rec.unit_price, rec.currency, rec.status) == (None, None, "ALLOCATED")


FULFILLMENT_ROW = {
    "id": "FF-1",
    "status": "SHIPPED",
    "carrier": "UPS",
    "service": "Ground",
    "shipBy": "2026-12-02",
    "estimatedDelivery": "2026-12-05",
    "readyBy": None,
    "cost": 8.456,
    "trackingNumber": "1Z999",
    "locationId": "DC-RENO",
    "createdAt": "2026-12-01T09:00:00+00:00",
    "asn": "ISA*00*...~",
}


def test_a_fulfillment_record_reads_a_stored_row_and_its_lines() -> None:
    shipped = [
        {"line": "OG-1-L2", "sku": "SKU-B", "quantity": 1},
        {"line": "OG-1-L1", "sku": "SKU-A", "quantity": 2},
    ]
    rec = FulfillmentRecord.from_row(FULFILLMENT_ROW, shipped)
    assert (rec.id, rec.location_id, rec.status) == ("FF-1", "DC-RENO", FulfillmentStatus.SHIPPED)
    assert rec.lines == (ShippedLine("OG-1-L1", "SKU-A", 2), ShippedLine("OG-1-L2", "SKU-B", 1))
    assert (rec.carrier, rec.service, rec.cost) == ("UPS", "Ground", 8.456)
    assert (rec.ship_by, rec.estimated_delivery) == (date(2026, 12, 2), date(2026, 12, 5))
    assert (rec.ready_by, rec.tracking_number, rec.asn) == (None, "1Z999", "ISA*00*...~")


def test_a_fulfillment_record_without_the_optional_properties() -> None:
    row = {
        "id": "FF-2",
        "status": "OPEN",
        "locationId": "STORE-SF",
        "readyBy": "2026-12-01T17:00:00+00:00",
    }
    rec = FulfillmentRecord.from_row(row)
    assert rec.lines == ()
    assert (rec.carrier, rec.cost, rec.ship_by, rec.estimated_delivery, rec.asn) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert rec.ready_by == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


EVENT_ROW = {
    "id": "OG-1-E2",
    "orderId": "OG-1",
    "sequence": 2,
    "type": "FulfillmentShipped",
    "at": "2026-12-01T09:00:00+00:00",
    "atMs": 1796115600000,
    "payload": '{"location": "DC-RENO", "lines": [{"sku": "SKU-A", "quantity": 2}]}',
}


def test_an_event_record_reads_a_stored_row() -> None:
    rec = EventRecord.from_row(EVENT_ROW)
    assert (rec.id, rec.order_id, rec.sequence, rec.type) == (
        "OG-1-E2",
        "OG-1",
        2,
        "FulfillmentShipped",
    )
    assert rec.at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert rec.at_ms == 1796115600000
    assert rec.payload == {"location": "DC-RENO", "lines": [{"sku": "SKU-A", "quantity": 2}]}


def test_an_event_record_without_its_instant_in_ms_or_a_payload() -> None:
    row = {k: v for k, v in EVENT_ROW.items() if k not in ("atMs", "payload")}
    rec = EventRecord.from_row(row)
    assert (rec.at_ms, rec.payload) == (None, {})
    assert EventRecord.from_row(EVENT_ROW | {"payload": ""}).payload == {}


@pytest.mark.parametrize(
    ("stored", "words"),
    [
        ('{"location": "DC-RENO"', "not valid JSON"),
        ('["DC-RENO"]', "a JSON list, not a map"),
        ("7", "a JSON int, not a map"),
    ],
)
def test_a_corrupt_event_payload_is_a_clear_error(stored: str, words: str) -> None:
    with pytest.raises(
        codec.CorruptProperty, match=f"^Event OG-1-E2: stored property 'payload' is {words}"
    ):
        EventRecord.from_row(EVENT_ROW | {"payload": stored})
