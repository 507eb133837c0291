"""eBay Sell Fulfillment API getOrder -> canonical order."""

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
from ordergraph.connectors.channels import ebay
from ordergraph.domain.errors import ValidationError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "channels"


@pytest.fixture
def payload() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (FIXTURES / "ebay_order_not_started.json").read_text(encoding="utf-8")
    )
    return loaded


def test_an_order_not_yet_started_reads_field_by_field(payload: dict[str, Any]) -> None:
    order = ebay.parse(payload, channel_id="ebay-us")

    assert order == CanonicalOrder(
        channel="ebay-us",
        external_id="04-11137-68131",
        number="04-11137-68131",
        created_at=datetime(2024, 7, 19, 21, 9, 2, 768000, tzinfo=UTC),
        currency="USD",
        customer=Customer(
            email="a9c1f3e2b7d4@members.ebay.com",
            name="Sam Carter",
            phone="4155550199",
            external_id="trailrunner_77",
        ),
        ship_to=Address(
            country="US",
            name="Sam Carter",
            line1="2145 Hamilton Ave",
            line2="Apt 12",
            city="San Jose",
            region="CA",
            postal_code="95125-5905",
        ),
        lines=(
            CanonicalLine(
                external_line_id="10057581456901",
                sku="TENT-2P-GRN",
                title="Ultralight 2-Person Backpacking Tent - Green",
                quantity=2,
                ordered_quantity=2,
                unit_price=Decimal("129.99"),
                discount=Decimal("26.00"),
                tax=Decimal("21.06"),
            ),
            CanonicalLine(
                external_line_id="10057581456902",
                sku="STOVE-TI-01",
                title="Titanium Canister Camp Stove",
                quantity=0,
                ordered_quantity=1,
                unit_price=Decimal("49.99"),
                discount=Decimal("0"),
                tax=Decimal("4.50"),
            ),
        ),
        service_level=EXPRESS,
        notes=None,
        status=OPEN,
        raw_status="NOT_STARTED",
    )


def test_line_item_cost_is_the_line_total_and_the_discount_is_what_the_promotion_took(
    payload: dict[str, Any],
) -> None:
    tent = ebay.parse(payload, channel_id="e").lines[0]

    assert tent.unit_price == Decimal("129.99")  # lineItemCost 259.98 for 2
    assert tent.discount == Decimal("26.00")  # 259.98 - discountedLineItemCost 233.98


def test_applied_promotions_give_the_discount_when_no_discounted_cost_is_returned(
    payload: dict[str, Any],
) -> None:
    del payload["lineItems"][0]["discountedLineItemCost"]

    assert ebay.parse(payload, channel_id="e").lines[0].discount == Decimal("26.00")


def test_converted_from_values_are_ignored(payload: dict[str, Any]) -> None:
    stove = ebay.parse(payload, channel_id="e").lines[1]

    assert stove.unit_price == Decimal("49.99")  # not convertedFromValue 46.21 EUR


def test_seller_collected_and_ebay_collected_taxes_add_up(payload: dict[str, Any]) -> None:
    payload["lineItems"][0]["taxes"] = [
        {"amount": {"value": "1.50", "currency": "USD"}, "taxType": "GST"}
    ]

    assert ebay.parse(payload, channel_id="e").lines[0].tax == Decimal("22.56")


def test_a_line_refunded_in_full_is_no_longer_open(payload: dict[str, Any]) -> None:
    order_input = to_order_input(ebay.parse(payload, channel_id="ebay-us"))

    assert order_input["lines"] == [{"sku": "TENT-2P-GRN", "quantity": 2}]
    assert order_input["placedAt"] == "2024-07-19T21:09:02.768000+00:00"


def test_a_partial_refund_moves_money_but_leaves_the_units_open(
    payload: dict[str, Any],
) -> None:
    payload["lineItems"][1]["refunds"][0]["amount"]["value"] = "10.00"

    assert ebay.parse(payload, channel_id="e").lines[1].quantity == 1


def test_a_canceled_order_is_cancelled(payload: dict[str, Any]) -> None:
    payload["cancelStatus"] = {
        "cancelState": "CANCELED",
        "cancelledDate": "2024-07-19T22:00:00.000Z",
        "cancelRequests": [],
    }

    order = ebay.parse(payload, channel_id="e")

    assert (order.status, order.raw_status) == (CANCELLED, "CANCELED")
    assert [line.quantity for line in order.lines] == [0, 0]


def test_a_pending_cancellation_request_leaves_the_order_open(payload: dict[str, Any]) -> None:
    payload["cancelStatus"]["cancelState"] = "IN_PROGRESS"

    order = ebay.parse(payload, channel_id="e")

    assert (order.status, order.raw_status) == (OPEN, "IN_PROGRESS")


def test_global_shipping_program_orders_ship_to_the_hub_not_the_final_destination(
    payload: dict[str, Any],
) -> None:
    instruction = payload["fulfillmentStartInstructions"][0]
    instruction["ebaySupportedFulfillment"] = True
    instruction["shippingStep"]["shipTo"] = {
        "fullName": "Sam Carter",
        "contactAddress": {
            "addressLine1": "Reference #1234567890",
            "addressLine2": "1850 Airport Exchange Blvd #200",
            "city": "Erlanger",
            "stateOrProvince": "KY",
            "postalCode": "41025-2501",
            "countryCode": "US",
        },
    }
    instruction["finalDestinationAddress"] = {
        "addressLine1": "12 Quay Street",
        "city": "Manchester",
        "postalCode": "M3 3JE",
        "countryCode": "GB",
    }

    ship_to = ebay.parse(payload, channel_id="e").ship_to

    assert ship_to is not None
    assert (ship_to.country, ship_to.postal_code) == ("US", "41025-2501")


def test_digital_orders_have_nothing_to_ship(payload: dict[str, Any]) -> None:
    payload["fulfillmentStartInstructions"] = [{"fulfillmentInstructionsType": "DIGITAL"}]

    order = ebay.parse(payload, channel_id="e")

    assert order.ship_to is None
    assert not any(line.requires_shipping for line in order.lines)
    with pytest.raises(ValidationError):
        to_order_input(order)


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("USPSGroundAdvantage", "STANDARD"),
        ("UPSGround", "STANDARD"),
        ("USPSPriorityExpress", "EXPRESS"),
        ("UPS2ndDay", "EXPRESS"),
        ("UPSNextDay", "NEXT_DAY"),
        ("FedExStandardOvernight", "NEXT_DAY"),
    ],
)
def test_shipping_service_codes_map_to_service_levels(
    payload: dict[str, Any], code: str, level: str
) -> None:
    payload["fulfillmentStartInstructions"][0]["shippingStep"]["shippingServiceCode"] = code

    assert ebay.parse(payload, channel_id="e").service_level == level


def test_an_amount_in_another_currency_is_refused(payload: dict[str, Any]) -> None:
    payload["lineItems"][0]["ebayCollectAndRemitTaxes"][0]["amount"]["currency"] = "CAD"

    with pytest.raises(ChannelParseError) as caught:
        ebay.parse(payload, channel_id="e")

    assert caught.value.path == "$.lineItems[0].ebayCollectAndRemitTaxes[0].amount.currency"


def test_a_line_without_a_cost_is_refused(payload: dict[str, Any]) -> None:
    del payload["lineItems"][1]["lineItemCost"]

    with pytest.raises(ChannelParseError) as caught:
        ebay.parse(payload, channel_id="e")

    assert caught.value.path == "$.lineItems[1].lineItemCost"


def test_a_ship_to_without_a_country_is_refused(payload: dict[str, Any]) -> None:
    contact = payload["fulfillmentStartInstructions"][0]["shippingStep"]["shipTo"]
    del contact["contactAddress"]["countryCode"]

    with pytest.raises(ChannelParseError) as caught:
        ebay.parse(payload, channel_id="e")

    assert caught.value.path == (
        "$.fulfillmentStartInstructions[0].shippingStep.shipTo.contactAddress.countryCode"
    )
