"""Shopify Admin REST orders (orders/create, orders/updated webhook bodies) -> canonical order."""

from __future__ import annotations

import copy
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
    STANDARD,
    Address,
    CanonicalLine,
    CanonicalOrder,
    ChannelParseError,
    Customer,
    to_order_input,
)
from ordergraph.connectors.channels import shopify
from ordergraph.domain.errors import ErrorCode, ValidationError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "channels"


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return payload


@pytest.fixture
def refunded() -> dict[str, Any]:
    return load("shopify_order_partially_refunded.json")


def test_a_partially_refunded_order_in_a_foreign_presentment_currency_reads_field_by_field(
    refunded: dict[str, Any],
) -> None:
    order = shopify.parse(refunded, channel_id="shopify-ca")

    assert order == CanonicalOrder(
        channel="shopify-ca",
        external_id="5730412331234",
        number="#1042",
        created_at=datetime(2024, 3, 9, 3, 15, 3, tzinfo=UTC),
        currency="USD",
        customer=Customer(
            email="ada@example.com",
            name="Ada Lovelace",
            phone="+15145550123",
            external_id="7012345678901",
        ),
        ship_to=Address(
            country="CA",
            name="Ada Lovelace",
            line1="1 Rue Sainte-Catherine O",
            line2="Apt 5",
            city="Montréal",
            region="QC",
            postal_code="H3B 1A7",
        ),
        lines=(
            CanonicalLine(
                external_line_id="13884545400001",
                sku="MCS-NAVY-M",
                title="Merino Crew Sweater - Navy / M",
                quantity=2,
                ordered_quantity=3,
                unit_price=Decimal("80.00"),
                discount=Decimal("24.00"),
                tax=Decimal("32.35"),
                requires_shipping=True,
            ),
            CanonicalLine(
                external_line_id="13884545400002",
                sku="WHS-GREY",
                title="Wool Hiking Socks - Grey",
                quantity=2,
                ordered_quantity=2,
                unit_price=Decimal("12.50"),
                discount=Decimal("0"),
                tax=Decimal("0"),
                requires_shipping=True,
            ),
            CanonicalLine(
                external_line_id="13884545400003",
                sku=None,
                title="Gift Card - $50",
                quantity=1,
                ordered_quantity=1,
                unit_price=Decimal("50.00"),
                discount=Decimal("0"),
                tax=Decimal("0"),
                requires_shipping=False,
            ),
            CanonicalLine(
                external_line_id="13884545400004",
                sku=None,
                title="Tip",
                quantity=1,
                ordered_quantity=1,
                unit_price=Decimal("5.00"),
                discount=Decimal("0"),
                tax=Decimal("0"),
                requires_shipping=False,
            ),
        ),
        service_level=EXPRESS,
        notes="Leave with the concierge",
        status=OPEN,
        raw_status="partially_refunded",
    )


def test_amounts_come_from_shop_money_never_from_presentment_money(
    refunded: dict[str, Any],
) -> None:
    sweater = shopify.parse(refunded, channel_id="s").lines[0]

    assert sweater.unit_price == Decimal("80.00")  # presentment_money says 73.60 EUR
    assert sweater.discount == Decimal("24.00")  # presentment 22.08


def test_shop_money_in_a_currency_other_than_the_shop_currency_is_refused(
    refunded: dict[str, Any],
) -> None:
    refunded["line_items"][1]["price_set"]["shop_money"]["currency_code"] = "EUR"

    with pytest.raises(ChannelParseError) as caught:
        shopify.parse(refunded, channel_id="s")

    assert caught.value.path == "$.line_items[1].price_set.shop_money.currency_code"


def test_refunded_units_reduce_the_open_quantity_but_not_the_ordered_one(
    refunded: dict[str, Any],
) -> None:
    sweater = shopify.parse(refunded, channel_id="s").lines[0]

    assert (sweater.ordered_quantity, sweater.quantity) == (3, 2)


def test_refunds_are_counted_even_when_current_quantity_is_absent(
    refunded: dict[str, Any],
) -> None:
    del refunded["line_items"][0]["current_quantity"]

    assert shopify.parse(refunded, channel_id="s").lines[0].quantity == 2


def test_units_removed_by_an_order_edit_are_not_open(refunded: dict[str, Any]) -> None:
    refunded["line_items"][1]["current_quantity"] = 1

    assert shopify.parse(refunded, channel_id="s").lines[1].quantity == 1


def test_refunding_more_units_than_were_ordered_is_refused(refunded: dict[str, Any]) -> None:
    refunded["refunds"][0]["refund_line_items"][0]["quantity"] = 4

    with pytest.raises(ChannelParseError) as caught:
        shopify.parse(refunded, channel_id="s")

    assert caught.value.path == "$.refunds[0].refund_line_items[0].quantity"


def test_total_discount_is_read_when_the_line_has_no_discount_allocations() -> None:
    order = shopify.parse(load("shopify_order_cancelled.json"), channel_id="s")

    assert order.lines[0].discount == Decimal("1300")
    assert order.lines[0].tax == Decimal("1064")


def test_a_cancelled_order_is_cancelled_with_nothing_left_open() -> None:
    order = shopify.parse(load("shopify_order_cancelled.json"), channel_id="shopify-jp")

    assert order.status == CANCELLED
    assert order.raw_status == "voided"
    assert order.created_at == datetime(2024, 4, 1, 14, 30, tzinfo=UTC)
    assert order.currency == "JPY"
    assert order.lines[0].unit_price == Decimal("6500")
    assert [(line.quantity, line.ordered_quantity) for line in order.lines] == [(0, 2)]
    assert order.lines[0].sku is None  # "" means no SKU
    assert order.service_level == STANDARD
    assert order.customer == Customer(phone="+81312345678")
    assert order.ship_to is not None and order.ship_to.region == "JP-13"


def test_a_cancelled_order_cannot_be_routed() -> None:
    order = shopify.parse(load("shopify_order_cancelled.json"), channel_id="s")

    with pytest.raises(ValidationError) as caught:
        to_order_input(order)

    assert caught.value.field == ("status",)


def test_the_order_input_carries_only_open_lines_that_ship(refunded: dict[str, Any]) -> None:
    order_input = to_order_input(shopify.parse(refunded, channel_id="shopify-ca"))

    assert order_input == {
        "channel": "shopify-ca",
        "externalId": "5730412331234",
        "lines": [{"sku": "MCS-NAVY-M", "quantity": 2}, {"sku": "WHS-GREY", "quantity": 2}],
        "shipTo": {
            "name": "Ada Lovelace",
            "line1": "1 Rue Sainte-Catherine O",
            "line2": "Apt 5",
            "city": "Montréal",
            "region": "QC",
            "postalCode": "H3B 1A7",
            "country": "CA",
        },
        "serviceLevel": "EXPRESS",
        "placedAt": "2024-03-09T03:15:03+00:00",
    }


@pytest.mark.parametrize("blank", [None, ""])
def test_an_open_line_to_ship_without_a_sku_is_an_unknown_sku(
    refunded: dict[str, Any], blank: str | None
) -> None:
    refunded["line_items"][1]["sku"] = blank
    order = shopify.parse(refunded, channel_id="s")

    with pytest.raises(ValidationError) as caught:
        to_order_input(order)

    assert caught.value.code == ErrorCode.UNKNOWN_SKU
    assert caught.value.field == ("lines", "1", "sku")


def test_a_shipping_line_for_overnight_delivery_asks_for_next_day(
    refunded: dict[str, Any],
) -> None:
    refunded["shipping_lines"][0].update(code="UPS_NEXT_DAY_AIR", title="UPS Next Day Air®")

    assert shopify.parse(refunded, channel_id="s").service_level == "NEXT_DAY"


def test_an_order_without_shipping_address_has_no_ship_to(refunded: dict[str, Any]) -> None:
    refunded["shipping_address"] = None

    assert shopify.parse(refunded, channel_id="s").ship_to is None


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda p: p.pop("created_at"), "$.created_at"),
        (lambda p: p.pop("currency"), "$.currency"),
        (lambda p: p["line_items"][2].pop("id"), "$.line_items[2].id"),
        (lambda p: p["line_items"][0].update(quantity=-1), "$.line_items[0].quantity"),
        (lambda p: p["line_items"][0].update(quantity="3"), "$.line_items[0].quantity"),
        (lambda p: p.update(created_at="yesterday"), "$.created_at"),
        (lambda p: p["shipping_address"].pop("country_code"), "$.shipping_address.country_code"),
        (
            lambda p: p["refunds"][0]["refund_line_items"][0].pop("line_item_id"),
            "$.refunds[0].refund_line_items[0].line_item_id",
        ),
    ],
)
def test_a_malformed_payload_names_the_json_path_at_fault(
    refunded: dict[str, Any], change: Any, path: str
) -> None:
    payload = copy.deepcopy(refunded)
    change(payload)

    with pytest.raises(ChannelParseError) as caught:
        shopify.parse(payload, channel_id="s")

    assert caught.value.path == path
    assert caught.value.code == ErrorCode.INVALID_INPUT
    assert str(caught.value).startswith(path)
