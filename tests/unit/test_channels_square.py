"""Square Orders API Order objects -> canonical order."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ordergraph.connectors.canonical import (
    CANCELLED,
    EXPRESS,
    OPEN,
    Address,
    CanonicalLine,
    CanonicalOrder,
    ChannelParseError,
    Customer,
    to_order_input,
)
from ordergraph.connectors.channels import square
from ordergraph.domain.errors import ErrorCode, ValidationError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "channels"
CATALOG = {
    "W62UWFY35CWMYGVWK6TWJDNI": "DRIP-CER-WHT",
    "AAGN6CZZRWVZ2BJW3VJ3JJHV": "FILTER-100",
    "KQ3MX5YB7TRLYV2GTW4HPMVS": "MATCHA-TIN-80",
}


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return payload


@pytest.fixture
def shipment() -> dict[str, Any]:
    return load("square_order_shipment_with_return.json")


def test_a_shipment_order_with_a_return_reads_field_by_field(shipment: dict[str, Any]) -> None:
    order = square.parse(shipment, channel_id="square-nyc", catalog=CATALOG)

    assert order == CanonicalOrder(
        channel="square-nyc",
        external_id="CAISENgvlJ6jLWAzERDzjyHVybY",
        number=None,
        created_at=datetime(2024, 8, 30, 23, 59, 58, 123000, tzinfo=UTC),
        currency="USD",
        customer=Customer(
            email="mina.park@example.com",
            name="Mina Park",
            phone="+1 212-555-0142",
            external_id="JDKYHBWT1D4F8MFH63DBMEN8Y4",
        ),
        ship_to=Address(
            country="US",
            name="Mina Park",
            line1="500 Electric Ave",
            line2="Suite 600",
            city="New York",
            region="NY",
            postal_code="10003",
        ),
        lines=(
            CanonicalLine(
                external_line_id="8uSwfzvUImn3IRrvciqlXC",
                sku="DRIP-CER-WHT",
                title="Ceramic Pour-Over Dripper",
                quantity=2,
                ordered_quantity=2,
                unit_price=Decimal("28.00"),
                discount=Decimal("5.60"),
                tax=Decimal("4.62"),
            ),
            CanonicalLine(
                external_line_id="v8ZuEXpOJpb0bazLuvrLDB",
                sku="FILTER-100",
                title="Paper Filters",
                quantity=2,
                ordered_quantity=3,
                unit_price=Decimal("6.50"),
                discount=Decimal("0.00"),
                tax=Decimal("1.73"),
            ),
            CanonicalLine(
                external_line_id="Qm4nVv7GgYq2lQ9cK1wB3d",
                sku=None,
                title="eGift Card",
                quantity=1,
                ordered_quantity=1,
                unit_price=Decimal("25.00"),
                discount=Decimal("0.00"),
                tax=Decimal("0.00"),
                requires_shipping=False,
            ),
        ),
        service_level=EXPRESS,
        notes="Fragile - ceramics inside",
        status=OPEN,
        raw_status="OPEN",
    )


def test_cents_become_decimals_with_two_places(shipment: dict[str, Any]) -> None:
    line = square.parse(shipment, channel_id="s", catalog=CATALOG).lines[0]

    assert str(line.unit_price) == "28.00"  # base_price_money.amount 2800


def test_yen_have_no_minor_unit_and_pickup_orders_do_not_ship() -> None:
    order = square.parse(load("square_order_pickup_jpy.json"), channel_id="sq-jp", catalog=CATALOG)

    (line,) = order.lines
    assert order.currency == "JPY"
    assert (line.unit_price, line.tax) == (Decimal("1500"), Decimal("240"))
    assert (line.sku, line.quantity, line.requires_shipping) == ("MATCHA-TIN-80", 2, False)
    assert order.ship_to is None
    assert order.customer == Customer(name="Sato Ken", phone="+81 90-1234-5678")
    with pytest.raises(ValidationError):
        to_order_input(order)


def test_returned_units_are_no_longer_open(shipment: dict[str, Any]) -> None:
    filters = square.parse(shipment, channel_id="s", catalog=CATALOG).lines[1]

    assert (filters.ordered_quantity, filters.quantity) == (3, 2)


def test_returns_recorded_against_another_order_are_ignored(shipment: dict[str, Any]) -> None:
    shipment["returns"][0]["source_order_id"] = "SOME-OTHER-SALE"

    assert square.parse(shipment, channel_id="s", catalog=CATALOG).lines[1].quantity == 3


def test_the_order_input_ships_open_catalog_lines(shipment: dict[str, Any]) -> None:
    order_input = to_order_input(square.parse(shipment, channel_id="square-nyc", catalog=CATALOG))

    assert order_input["lines"] == [
        {"sku": "DRIP-CER-WHT", "quantity": 2},
        {"sku": "FILTER-100", "quantity": 2},
    ]
    assert order_input["shipTo"]["postalCode"] == "10003"
    assert order_input["serviceLevel"] == "EXPRESS"


def test_a_variation_missing_from_the_catalog_is_an_unknown_sku(
    shipment: dict[str, Any],
) -> None:
    order = square.parse(shipment, channel_id="s", catalog={"W62UWFY35CWMYGVWK6TWJDNI": "DRIP"})

    assert order.lines[1].sku is None
    with pytest.raises(ValidationError) as caught:
        to_order_input(order)
    assert caught.value.code == ErrorCode.UNKNOWN_SKU
    assert caught.value.field == ("lines", "1", "sku")


def test_an_entry_list_fulfillment_ships_only_the_lines_it_names(
    shipment: dict[str, Any],
) -> None:
    fulfillment = shipment["fulfillments"][0]
    fulfillment["line_item_application"] = "ENTRY_LIST"
    fulfillment["entries"] = [
        {"uid": "e1", "line_item_uid": "8uSwfzvUImn3IRrvciqlXC", "quantity": "2"}
    ]

    order = square.parse(shipment, channel_id="s", catalog=CATALOG)

    assert [line.requires_shipping for line in order.lines] == [True, False, False]


def test_a_canceled_shipment_ships_nothing(shipment: dict[str, Any]) -> None:
    shipment["fulfillments"][0]["state"] = "CANCELED"

    order = square.parse(shipment, channel_id="s", catalog=CATALOG)

    assert order.ship_to is None
    assert not any(line.requires_shipping for line in order.lines)


def test_a_canceled_order_is_cancelled(shipment: dict[str, Any]) -> None:
    shipment["state"] = "CANCELED"

    order = square.parse(shipment, channel_id="s", catalog=CATALOG)

    assert (order.status, order.raw_status) == (CANCELLED, "CANCELED")
    assert [line.quantity for line in order.lines] == [0, 0, 0]


def test_a_quantity_sold_by_measure_cannot_be_routed_as_units(shipment: dict[str, Any]) -> None:
    shipment["line_items"][1]["quantity"] = "1.70000"

    with pytest.raises(ChannelParseError) as caught:
        square.parse(shipment, channel_id="s", catalog=CATALOG)

    assert caught.value.path == "$.line_items[1].quantity"


def test_a_whole_quantity_written_with_decimals_is_accepted(shipment: dict[str, Any]) -> None:
    shipment["line_items"][0]["quantity"] = "2.00000"

    assert square.parse(shipment, channel_id="s", catalog=CATALOG).lines[0].quantity == 2


@pytest.mark.parametrize("quantity", [2, "-1", "two", ""])
def test_quantities_must_be_non_negative_decimal_strings(
    shipment: dict[str, Any], quantity: object
) -> None:
    shipment["line_items"][0]["quantity"] = quantity

    with pytest.raises(ChannelParseError) as caught:
        square.parse(shipment, channel_id="s", catalog=CATALOG)

    assert caught.value.path == "$.line_items[0].quantity"


def test_money_in_major_units_is_refused(shipment: dict[str, Any]) -> None:
    shipment["line_items"][0]["base_price_money"]["amount"] = "28.00"

    with pytest.raises(ChannelParseError) as caught:
        square.parse(shipment, channel_id="s", catalog=CATALOG)

    assert caught.value.path == "$.line_items[0].base_price_money.amount"


def test_returning_more_units_than_were_sold_is_refused(shipment: dict[str, Any]) -> None:
    shipment["returns"][0]["return_line_items"][0]["quantity"] = "4"

    with pytest.raises(ChannelParseError) as caught:
        square.parse(shipment, channel_id="s", catalog=CATALOG)

    assert caught.value.path == "$.returns[0].return_line_items[0].quantity"


def test_a_shipment_without_details_is_refused(shipment: dict[str, Any]) -> None:
    del shipment["fulfillments"][0]["shipment_details"]

    with pytest.raises(ChannelParseError) as caught:
        square.parse(shipment, channel_id="s", catalog=CATALOG)

    assert caught.value.path == "$.fulfillments[0].shipment_details"
