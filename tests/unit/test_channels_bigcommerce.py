"""BigCommerce V2 order + products + shipping addresses -> canonical order."""

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
from ordergraph.connectors.channels import bigcommerce

FIXTURES = Path(__file__).parents[1] / "fixtures" / "channels"


@pytest.fixture
def payload() -> dict[str, Any]:
    path = FIXTURES / "bigcommerce_order_awaiting_fulfillment.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def test_an_order_awaiting_fulfillment_reads_field_by_field(payload: dict[str, Any]) -> None:
    order = bigcommerce.parse(payload, channel_id="bc-us")

    assert order == CanonicalOrder(
        channel="bc-us",
        external_id="118",
        number="118",
        created_at=datetime(2024, 4, 12, 23, 4, 31, tzinfo=UTC),
        currency="USD",
        customer=Customer(
            email="janedoe@example.com", name="Jane Doe", phone="512-555-0147", external_id="11"
        ),
        ship_to=Address(
            country="US",
            name="Jane Doe",
            line1="455 Lamar Blvd",
            line2="Unit 2",
            city="Austin",
            region="Texas",
            postal_code="78703",
        ),
        lines=(
            CanonicalLine(
                external_line_id="25",
                sku="S-GREE",
                title="Fog Linen Chambray Towel - Beige Stripe",
                quantity=2,
                ordered_quantity=3,
                unit_price=Decimal("54.0000"),
                discount=Decimal("16.2000"),
                tax=Decimal("13.3650"),
                requires_shipping=True,
            ),
            CanonicalLine(
                external_line_id="26",
                sku="EBOOK-LINEN",
                title="Linen Care Guide (e-book)",
                quantity=1,
                ordered_quantity=1,
                unit_price=Decimal("9.0000"),
                discount=Decimal("0"),
                tax=Decimal("0"),
                requires_shipping=False,
            ),
        ),
        service_level=EXPRESS,
        notes="Gate code 4417",
        status=OPEN,
        raw_status="Awaiting Fulfillment",
    )


def test_the_rfc_2822_creation_date_is_converted_to_utc(payload: dict[str, Any]) -> None:
    order = bigcommerce.parse(payload, channel_id="b")

    assert order.created_at == datetime(2024, 4, 12, 23, 4, 31, tzinfo=UTC)  # 18:04:31 -0500


def test_an_iso_creation_date_is_refused_with_its_path(payload: dict[str, Any]) -> None:
    payload["order"]["date_created"] = "2024-04-12T18:04:31-05:00"

    with pytest.raises(ChannelParseError) as caught:
        bigcommerce.parse(payload, channel_id="b")

    assert caught.value.path == "$.order.date_created"


def test_the_transactional_currency_wins_over_the_display_currency(
    payload: dict[str, Any],
) -> None:
    assert bigcommerce.parse(payload, channel_id="b").currency == "USD"  # currency_code is EUR


def test_the_display_currency_is_used_when_no_transactional_currency_is_given(
    payload: dict[str, Any],
) -> None:
    del payload["order"]["default_currency_code"]

    assert bigcommerce.parse(payload, channel_id="b").currency == "EUR"


def test_refunded_units_are_not_open_and_digital_products_do_not_ship(
    payload: dict[str, Any],
) -> None:
    order_input = to_order_input(bigcommerce.parse(payload, channel_id="bc-us"))

    assert order_input["lines"] == [{"sku": "S-GREE", "quantity": 2}]
    assert order_input["serviceLevel"] == "EXPRESS"
    assert order_input["shipTo"]["country"] == "US"  # from country_iso2, not "United States"


@pytest.mark.parametrize(
    ("status_id", "status"), [(4, "Refunded"), (5, "Cancelled"), (6, "Declined")]
)
def test_refunded_cancelled_and_declined_orders_are_cancelled(
    payload: dict[str, Any], status_id: int, status: str
) -> None:
    payload["order"].update(status_id=status_id, status=status)

    order = bigcommerce.parse(payload, channel_id="b")

    assert (order.status, order.raw_status) == (CANCELLED, status)
    assert [line.quantity for line in order.lines] == [0, 0]


def test_more_refunded_than_ordered_is_refused(payload: dict[str, Any]) -> None:
    payload["products"][0]["quantity_refunded"] = 4

    with pytest.raises(ChannelParseError) as caught:
        bigcommerce.parse(payload, channel_id="b")

    assert caught.value.path == "$.products[0].quantity_refunded"


def test_an_order_with_no_shipping_address_has_no_ship_to(payload: dict[str, Any]) -> None:
    payload["shipping_addresses"] = []

    order = bigcommerce.parse(payload, channel_id="b")

    assert order.ship_to is None
    assert order.service_level == "STANDARD"


def test_a_shipping_address_without_an_iso_country_is_refused(payload: dict[str, Any]) -> None:
    payload["shipping_addresses"][0]["country_iso2"] = "United States"

    with pytest.raises(ChannelParseError) as caught:
        bigcommerce.parse(payload, channel_id="b")

    assert caught.value.path == "$.shipping_addresses[0].country_iso2"


def test_the_products_list_is_mandatory(payload: dict[str, Any]) -> None:
    del payload["products"]

    with pytest.raises(ChannelParseError) as caught:
        bigcommerce.parse(payload, channel_id="b")

    assert caught.value.path == "$.products"


def test_a_money_string_that_is_not_a_number_is_refused(payload: dict[str, Any]) -> None:
    payload["products"][1]["price_ex_tax"] = "nine"

    with pytest.raises(ChannelParseError) as caught:
        bigcommerce.parse(payload, channel_id="b")

    assert caught.value.path == "$.products[1].price_ex_tax"
