"""Amazon SP-API Orders v0 (getOrder + getOrderItems) -> canonical order."""

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
from ordergraph.connectors.channels import amazon
from ordergraph.domain.errors import ValidationError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "channels"


@pytest.fixture
def payload() -> dict[str, Any]:
    path = FIXTURES / "amazon_order_unshipped_restricted_address.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def test_an_unshipped_order_without_restricted_data_reads_field_by_field(
    payload: dict[str, Any],
) -> None:
    order = amazon.parse(payload, channel_id="amazon-us")

    assert order == CanonicalOrder(
        channel="amazon-us",
        external_id="113-5472418-9912345",
        number="113-5472418-9912345",
        created_at=datetime(2024, 6, 3, 17, 42, 9, tzinfo=UTC),
        currency="USD",
        customer=Customer(email="5k7q2mz9xyr4h1t@marketplace.amazon.com"),
        ship_to=Address(
            country="US",
            name=None,
            line1=None,
            line2=None,
            city="SEATTLE",
            region="WA",
            postal_code="98109-5210",
        ),
        lines=(
            CanonicalLine(
                external_line_id="68828574383266",
                sku="KB-MX-BRN",
                title="Mechanical Keyboard, Brown Switches, Full Size",
                quantity=2,
                ordered_quantity=2,
                unit_price=Decimal("39.99"),
                discount=Decimal("5.00"),
                tax=Decimal("7.20"),
            ),
            CanonicalLine(
                external_line_id="68828574383267",
                sku="CABLE-USBC-1M",
                title="USB-C to USB-C Cable, 1 m",
                quantity=1,
                ordered_quantity=1,
                unit_price=Decimal("12.99"),
                discount=Decimal("0.00"),
                tax=Decimal("1.17"),
            ),
        ),
        service_level=EXPRESS,
        notes=None,
        status=OPEN,
        raw_status="Unshipped",
    )


def test_item_price_is_the_line_total_so_it_is_divided_by_the_quantity(
    payload: dict[str, Any],
) -> None:
    keyboard = amazon.parse(payload, channel_id="a").lines[0]

    assert keyboard.unit_price == Decimal("39.99")  # ItemPrice.Amount "79.98" for 2


def test_a_partial_address_still_routes_on_postal_code_and_country(
    payload: dict[str, Any],
) -> None:
    order_input = to_order_input(amazon.parse(payload, channel_id="amazon-us"))

    assert order_input["shipTo"] == {
        "name": None,
        "line1": None,
        "line2": None,
        "city": "SEATTLE",
        "region": "WA",
        "postalCode": "98109-5210",
        "country": "US",
    }
    assert order_input["lines"] == [
        {"sku": "KB-MX-BRN", "quantity": 2},
        {"sku": "CABLE-USBC-1M", "quantity": 1},
    ]


def test_a_full_address_from_a_restricted_data_token_is_read_whole(
    payload: dict[str, Any],
) -> None:
    payload["order"]["ShippingAddress"].update(
        Name="Jordan Rivera",
        AddressLine1="410 Terry Ave N",
        AddressLine2="Floor 7",
        Phone="+1 206-555-0100",
    )

    order = amazon.parse(payload, channel_id="a")

    assert order.ship_to == Address(
        country="US",
        name="Jordan Rivera",
        line1="410 Terry Ave N",
        line2="Floor 7",
        city="SEATTLE",
        region="WA",
        postal_code="98109-5210",
    )
    assert order.customer is not None and order.customer.phone == "+1 206-555-0100"


def test_a_pending_order_has_no_address_and_cannot_be_routed_yet(
    payload: dict[str, Any],
) -> None:
    payload["order"]["OrderStatus"] = "Pending"
    del payload["order"]["ShippingAddress"]

    order = amazon.parse(payload, channel_id="a")

    assert order.ship_to is None
    with pytest.raises(ValidationError) as caught:
        to_order_input(order)
    assert caught.value.field == ("shipTo",)


def test_items_of_a_pending_order_have_no_prices_and_read_as_zero(
    payload: dict[str, Any],
) -> None:
    for item in payload["items"]:
        for key in ("ItemPrice", "ItemTax", "PromotionDiscount"):
            item.pop(key, None)

    line = amazon.parse(payload, channel_id="a").lines[0]

    assert (line.unit_price, line.tax, line.discount) == (Decimal(0), Decimal(0), Decimal(0))


def test_without_order_total_or_item_prices_there_is_no_currency(
    payload: dict[str, Any],
) -> None:
    del payload["order"]["OrderTotal"]
    for item in payload["items"]:
        del item["ItemPrice"]

    with pytest.raises(ChannelParseError) as caught:
        amazon.parse(payload, channel_id="a")

    assert caught.value.path == "$.order.OrderTotal"


def test_the_currency_falls_back_to_the_item_prices(payload: dict[str, Any]) -> None:
    del payload["order"]["OrderTotal"]

    assert amazon.parse(payload, channel_id="a").currency == "USD"


def test_a_canceled_order_is_cancelled_with_nothing_open(payload: dict[str, Any]) -> None:
    payload["order"]["OrderStatus"] = "Canceled"
    for item in payload["items"]:
        item["QuantityOrdered"] = 0
        del item["ItemPrice"]

    order = amazon.parse(payload, channel_id="a")

    assert (order.status, order.raw_status) == (CANCELLED, "Canceled")
    assert [(line.quantity, line.unit_price) for line in order.lines] == [(0, Decimal(0))] * 2


@pytest.mark.parametrize(
    ("category", "level"),
    [
        ("Standard", "STANDARD"),
        ("FreeEconomy", "STANDARD"),
        ("Scheduled", "STANDARD"),
        ("Expedited", "EXPRESS"),
        ("SecondDay", "EXPRESS"),
        ("Priority", "EXPRESS"),
        ("NextDay", "NEXT_DAY"),
        ("SameDay", "NEXT_DAY"),
    ],
)
def test_shipment_service_level_categories_map_to_service_levels(
    payload: dict[str, Any], category: str, level: str
) -> None:
    payload["order"]["ShipmentServiceLevelCategory"] = category

    assert amazon.parse(payload, channel_id="a").service_level == level


def test_an_item_price_in_another_currency_is_refused(payload: dict[str, Any]) -> None:
    payload["items"][1]["ItemPrice"]["CurrencyCode"] = "CAD"

    with pytest.raises(ChannelParseError) as caught:
        amazon.parse(payload, channel_id="a")

    assert caught.value.path == "$.items[1].ItemPrice.CurrencyCode"


def test_more_shipped_than_ordered_is_refused(payload: dict[str, Any]) -> None:
    payload["items"][0]["QuantityShipped"] = 3

    with pytest.raises(ChannelParseError) as caught:
        amazon.parse(payload, channel_id="a")

    assert caught.value.path == "$.items[0].QuantityShipped"


def test_a_purchase_date_without_offset_is_refused(payload: dict[str, Any]) -> None:
    payload["order"]["PurchaseDate"] = "2024-06-03T17:42:09"

    with pytest.raises(ChannelParseError) as caught:
        amazon.parse(payload, channel_id="a")

    assert caught.value.path == "$.order.PurchaseDate"


def test_the_items_list_is_mandatory(payload: dict[str, Any]) -> None:
    del payload["items"]

    with pytest.raises(ChannelParseError) as caught:
        amazon.parse(payload, channel_id="a")

    assert caught.value.path == "$.items"
