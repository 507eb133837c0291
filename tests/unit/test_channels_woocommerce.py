"""WooCommerce REST v3 orders -> canonical order."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ordergraph.connectors.canonical import (
    CANCELLED,
    NEXT_DAY,
    OPEN,
    STANDARD,
    Address,
    CanonicalLine,
    CanonicalOrder,
    ChannelParseError,
    Customer,
    to_order_input,
)
from ordergraph.connectors.channels import woocommerce
from ordergraph.domain.errors import ValidationError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "channels"


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return payload


@pytest.fixture
def processing() -> dict[str, Any]:
    return load("woocommerce_order_processing.json")


@pytest.fixture
def with_refunds() -> dict[str, Any]:
    return load("woocommerce_order_with_refund_objects.json")


def test_a_processing_order_reads_field_by_field(processing: dict[str, Any]) -> None:
    order = woocommerce.parse(processing, channel_id="woo-us")

    assert order == CanonicalOrder(
        channel="woo-us",
        external_id="727",
        number="727",
        created_at=datetime(2024, 5, 15, 5, 41, 9, tzinfo=UTC),
        currency="USD",
        customer=Customer(email="john.doe@example.com", name="John Doe", phone="(555) 555-5555"),
        ship_to=Address(
            country="US",
            name="John Doe",
            line1="969 Market",
            line2="Suite 300",
            city="San Francisco",
            region="CA",
            postal_code="94103",
        ),
        lines=(
            CanonicalLine(
                external_line_id="315",
                sku="WOO-SINGLE-1",
                title="Woo Single #1",
                quantity=2,
                ordered_quantity=2,
                unit_price=Decimal("3.00"),
                discount=Decimal("0.60"),
                tax=Decimal("0.41"),
            ),
            CanonicalLine(
                external_line_id="316",
                sku="Bar3",
                title="Ship Your Idea - Color: Black, Size: M",
                quantity=1,
                ordered_quantity=1,
                unit_price=Decimal("12.00"),
                discount=Decimal("0.00"),
                tax=Decimal("0.90"),
            ),
            CanonicalLine(
                external_line_id="317",
                sku="TEA-SAMPLER-3",
                title="Loose Leaf Tea Sampler",
                quantity=3,
                ordered_quantity=3,
                unit_price=Decimal("3.33"),
                discount=Decimal("0.00"),
                tax=Decimal("0.97"),
            ),
        ),
        service_level=STANDARD,
        notes="Please ring the bell twice.",
        status=OPEN,
        raw_status="processing",
    )


def test_subtotal_is_a_line_total_so_the_unit_price_divides_it_by_quantity(
    processing: dict[str, Any],
) -> None:
    single = woocommerce.parse(processing, channel_id="w").lines[0]

    # subtotal "6.00" for 2 units, total "5.40" after the coupon; "price": 2.7 is a float
    assert single.unit_price == Decimal("3.00")
    assert single.discount == Decimal("0.60")


def test_date_created_gmt_is_utc_although_it_carries_no_offset(
    processing: dict[str, Any],
) -> None:
    order = woocommerce.parse(processing, channel_id="w")

    assert order.created_at == datetime(2024, 5, 15, 5, 41, 9, tzinfo=UTC)  # local: 14th, 22:41


def test_an_order_without_date_created_gmt_is_refused_rather_than_guessed(
    processing: dict[str, Any],
) -> None:
    del processing["date_created_gmt"]

    with pytest.raises(ChannelParseError) as caught:
        woocommerce.parse(processing, channel_id="w")

    assert caught.value.path == "$.date_created_gmt"


def test_order_level_refunds_move_money_but_leave_every_unit_open(
    processing: dict[str, Any],
) -> None:
    order = woocommerce.parse(processing, channel_id="w")

    assert [line.quantity for line in order.lines] == [2, 1, 3]


def test_refund_objects_with_line_items_close_the_refunded_units(
    with_refunds: dict[str, Any],
) -> None:
    order = woocommerce.parse(with_refunds, channel_id="woo-de")

    album, grinder = order.lines
    assert (album.ordered_quantity, album.quantity) == (2, 0)  # two refunds of -1 each
    assert (grinder.ordered_quantity, grinder.quantity) == (1, 1)
    assert album.sku is None  # "" in the payload
    assert album.unit_price == Decimal("7.56")  # 15.13 / 2, half to even


def test_a_fully_refunded_line_without_a_sku_does_not_stop_routing(
    with_refunds: dict[str, Any],
) -> None:
    order_input = to_order_input(woocommerce.parse(with_refunds, channel_id="woo-de"))

    assert order_input["lines"] == [{"sku": "GRIND-ESP-01", "quantity": 1}]
    assert order_input["serviceLevel"] == NEXT_DAY
    assert order_input["placedAt"] == "2024-02-29T22:55:00+00:00"
    assert order_input["shipTo"] == {
        "name": "Lindqvist Design GmbH",
        "line1": "Friedrichstraße 43",
        "line2": None,
        "city": "Berlin",
        "region": "BE",
        "postalCode": "10117",
        "country": "DE",
    }


def test_a_registered_customer_keeps_its_id(with_refunds: dict[str, Any]) -> None:
    order = woocommerce.parse(with_refunds, channel_id="w")

    assert order.customer == Customer(
        email="greta@example.de", name="Greta Lindqvist", phone="+49 30 1234567", external_id="26"
    )
    assert order.notes is None  # customer_note ""


def test_a_refund_line_that_does_not_name_its_order_line_is_refused(
    with_refunds: dict[str, Any],
) -> None:
    with_refunds["refunds"][1]["line_items"][0]["meta_data"] = []

    with pytest.raises(ChannelParseError) as caught:
        woocommerce.parse(with_refunds, channel_id="w")

    assert caught.value.path == "$.refunds[1].line_items[0].meta_data"


def test_refunding_more_units_than_were_ordered_is_refused(with_refunds: dict[str, Any]) -> None:
    with_refunds["refunds"][1]["line_items"][0]["quantity"] = -2

    with pytest.raises(ChannelParseError) as caught:
        woocommerce.parse(with_refunds, channel_id="w")

    assert caught.value.path == "$.refunds[1].line_items[0].quantity"


@pytest.mark.parametrize("status", ["cancelled", "refunded", "failed"])
def test_cancelled_refunded_and_failed_orders_are_cancelled(
    processing: dict[str, Any], status: str
) -> None:
    processing["status"] = status

    order = woocommerce.parse(processing, channel_id="w")

    assert (order.status, order.raw_status) == (CANCELLED, status)
    assert all(line.quantity == 0 for line in order.lines)


def test_local_pickup_orders_have_nothing_to_ship(processing: dict[str, Any]) -> None:
    processing["shipping_lines"][0].update(method_id="local_pickup", method_title="Local pickup")

    order = woocommerce.parse(processing, channel_id="w")

    assert not any(line.requires_shipping for line in order.lines)
    with pytest.raises(ValidationError) as caught:
        to_order_input(order)
    assert caught.value.field == ("lines",)


def test_a_shipping_address_of_empty_strings_is_no_address(processing: dict[str, Any]) -> None:
    processing["shipping"] = {key: "" for key in processing["shipping"]}

    assert woocommerce.parse(processing, channel_id="w").ship_to is None


def test_a_shipping_address_without_country_is_refused(processing: dict[str, Any]) -> None:
    processing["shipping"]["country"] = ""

    with pytest.raises(ChannelParseError) as caught:
        woocommerce.parse(processing, channel_id="w")

    assert caught.value.path == "$.shipping.country"


def test_a_fractional_quantity_is_refused(processing: dict[str, Any]) -> None:
    processing["line_items"][2]["quantity"] = 1.5

    with pytest.raises(ChannelParseError) as caught:
        woocommerce.parse(processing, channel_id="w")

    assert caught.value.path == "$.line_items[2].quantity"
