"""The canonical order, its order input, and the shared payload and money readers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from ordergraph.connectors.canonical import (
    CANCELLED,
    EXPRESS,
    NEXT_DAY,
    STANDARD,
    Address,
    CanonicalLine,
    CanonicalOrder,
    ChannelParseError,
    customer,
    json_path,
    service_level_from_text,
    to_order_input,
)
from ordergraph.connectors.channels.money import from_minor_units, minor_units, unit_price
from ordergraph.connectors.channels.payload import Node
from ordergraph.domain.errors import ErrorCode, ValidationError

PLACED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def line(
    line_id: str = "1", sku: str | None = "SKU-1", quantity: int = 1, ships: bool = True
) -> CanonicalLine:
    return CanonicalLine(
        external_line_id=line_id,
        sku=sku,
        title=f"Item {line_id}",
        quantity=quantity,
        ordered_quantity=max(quantity, 1),
        unit_price=Decimal("9.99"),
        discount=Decimal(0),
        tax=Decimal(0),
        requires_shipping=ships,
    )


def order(*lines: CanonicalLine, **changes: Any) -> CanonicalOrder:
    fields: dict[str, Any] = {
        "channel": "web",
        "external_id": "A-1",
        "number": "#1",
        "created_at": PLACED,
        "currency": "USD",
        "customer": None,
        "ship_to": Address(country="GB", postal_code="SW1A 1AA"),
        "lines": lines or (line(),),
    }
    return CanonicalOrder(**(fields | changes))


def test_the_order_input_keeps_shippable_lines_with_open_units_in_order() -> None:
    order_input = to_order_input(
        order(
            line("1", "A", 2),
            line("2", None, 1, ships=False),
            line("3", None, 0),
            line("4", "B", 1),
        )
    )

    assert order_input == {
        "channel": "web",
        "externalId": "A-1",
        "lines": [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}],
        "shipTo": {
            "name": None,
            "line1": None,
            "line2": None,
            "city": None,
            "region": None,
            "postalCode": "SW1A 1AA",
            "country": "GB",
        },
        "serviceLevel": "STANDARD",
        "placedAt": "2024-01-02T03:04:05+00:00",
    }


def test_a_line_to_ship_without_sku_is_reported_at_its_index() -> None:
    with pytest.raises(ValidationError) as caught:
        to_order_input(order(line("1", "A"), line("2", None)))

    assert caught.value.code == ErrorCode.UNKNOWN_SKU
    assert caught.value.field == ("lines", "1", "sku")
    assert "line 2" in str(caught.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": CANCELLED}, ("status",)),
        ({"lines": (line(quantity=0),)}, ("lines",)),
        ({"lines": (line(ships=False),)}, ("lines",)),
        ({"ship_to": None}, ("shipTo",)),
    ],
)
def test_orders_with_nothing_to_route_are_invalid_input(
    changes: dict[str, Any], field: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as caught:
        to_order_input(order(**changes))

    assert caught.value.code == ErrorCode.INVALID_INPUT
    assert caught.value.field == field


def test_created_at_must_be_utc() -> None:
    with pytest.raises(ValueError, match="UTC"):
        order(created_at=datetime(2024, 1, 2, 3, 4, 5))
    with pytest.raises(ValueError, match="UTC"):
        order(created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))))


def test_an_open_quantity_above_the_ordered_quantity_is_a_bug() -> None:
    with pytest.raises(ValueError, match="open quantity"):
        CanonicalLine("1", "A", "A", 3, 2, Decimal(1), Decimal(0), Decimal(0))


def test_money_must_be_decimal_never_float() -> None:
    with pytest.raises(TypeError, match="unit_price"):
        CanonicalLine("1", "A", "A", 1, 1, 9.99, Decimal(0), Decimal(0))  # type: ignore[arg-type]


def test_countries_are_iso_alpha_2() -> None:
    with pytest.raises(ValueError, match="alpha-2"):
        Address(country="United States")


def test_a_customer_with_nothing_known_is_no_customer() -> None:
    assert customer() is None
    assert customer(email="a@example.com") is not None


@pytest.mark.parametrize(
    ("texts", "level"),
    [
        (("Standard Shipping",), STANDARD),
        ((None, ""), STANDARD),
        (("Express Shipping (2-3 business days)",), EXPRESS),
        (("Expedited",), EXPRESS),
        (("UPS 2nd Day Air®",), EXPRESS),
        (("USPS Priority Mail",), EXPRESS),
        (("UPS Next Day Air",), NEXT_DAY),
        (("fedex_standard_overnight",), NEXT_DAY),
        (("Same-Day Courier",), NEXT_DAY),
        (("Express", "Overnight"), NEXT_DAY),
    ],
)
def test_shipping_method_words_pick_the_service_level(
    texts: tuple[str | None, ...], level: str
) -> None:
    assert service_level_from_text(*texts) == level


def test_json_paths_render_keys_and_indexes() -> None:
    assert json_path(("line_items", "2", "price_set", "shop_money")) == (
        "$.line_items[2].price_set.shop_money"
    )
    assert json_path(()) == "$"
    assert ChannelParseError("is missing", ("a", "0")).path == "$.a[0]"


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ChannelParseError, match="JSON object"):
        Node.root(["not", "an", "order"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("19.99", Decimal("19.99")),
        (19, Decimal(19)),
        (19.99, Decimal("19.99")),
        (0.1, Decimal("0.1")),
        ("-10.00", Decimal("-10.00")),
    ],
)
def test_decimals_are_read_from_strings_and_json_numbers_without_float_error(
    raw: object, expected: Decimal
) -> None:
    assert Node({"amount": raw}).decimal("amount") == expected


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "1,00", True, [1]])
def test_values_that_are_not_finite_decimals_are_refused(raw: object) -> None:
    with pytest.raises(ChannelParseError) as caught:
        Node({"amount": raw}, ("items", "0")).decimal("amount")

    assert caught.value.path == "$.items[0].amount"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-08T22:15:03-05:00", datetime(2024, 3, 9, 3, 15, 3, tzinfo=UTC)),
        ("2024-06-03T17:42:09Z", datetime(2024, 6, 3, 17, 42, 9, tzinfo=UTC)),
        ("2015-08-04T19:09:02.768Z", datetime(2015, 8, 4, 19, 9, 2, 768000, tzinfo=UTC)),
    ],
)
def test_iso_timestamps_are_converted_to_utc(raw: str, expected: datetime) -> None:
    moment = Node({"at": raw}).timestamp("at")

    assert moment == expected
    assert moment.utcoffset() == timedelta(0)


def test_a_timestamp_without_offset_is_refused_unless_documented_as_utc() -> None:
    node = Node({"at": "2017-03-22T19:28:02"})

    with pytest.raises(ChannelParseError, match="no UTC offset"):
        node.timestamp("at")
    assert node.timestamp("at", naive_is_utc=True) == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tue, 05 Mar 2019 21:36:58 +0000", datetime(2019, 3, 5, 21, 36, 58, tzinfo=UTC)),
        ("Fri, 12 Apr 2024 18:04:31 -0500", datetime(2024, 4, 12, 23, 4, 31, tzinfo=UTC)),
        ("Tue, 05 Mar 2019 21:36:58 -0000", datetime(2019, 3, 5, 21, 36, 58, tzinfo=UTC)),
    ],
)
def test_rfc_2822_timestamps_are_converted_to_utc(raw: str, expected: datetime) -> None:
    assert Node({"at": raw}).rfc2822_timestamp("at") == expected


@pytest.mark.parametrize("raw", [-1, 1.0, "1", True])
def test_counts_are_non_negative_json_integers(raw: object) -> None:
    with pytest.raises(ChannelParseError):
        Node({"quantity": raw}).count("quantity")


def test_blank_strings_read_as_missing() -> None:
    node = Node({"sku": "  ", "name": " Ada "})

    assert node.maybe_text("sku") is None
    assert node.maybe_text("name") == "Ada"


def test_identifiers_may_be_json_integers_but_not_booleans() -> None:
    assert Node({"id": 5730412331234}).ident("id") == "5730412331234"
    with pytest.raises(ChannelParseError):
        Node({"id": True}).ident("id")


@pytest.mark.parametrize(
    ("currency", "places"), [("USD", 2), ("eur", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3)]
)
def test_minor_units_follow_iso_4217(currency: str, places: int) -> None:
    assert minor_units(currency) == places


def test_minor_unit_amounts_become_decimals() -> None:
    assert from_minor_units(1999, "USD") == Decimal("19.99")
    assert from_minor_units(1500, "JPY") == Decimal("1500")
    assert from_minor_units(12345, "KWD") == Decimal("12.345")


@pytest.mark.parametrize(
    ("total", "quantity", "expected"),
    [
        ("79.98", 2, "39.99"),
        ("29.99", 3, "10.00"),
        ("15.13", 2, "7.56"),
        ("3000", 4, "750.00"),
        ("0.00", 0, "0"),
    ],
)
def test_unit_prices_divide_line_totals_to_at_least_cents(
    total: str, quantity: int, expected: str
) -> None:
    assert unit_price(Decimal(total), quantity) == Decimal(expected)
