"""The shared checks of channel payloads (connectors/channels/payload.py) that every parser's
address, money and line reading goes through."""

from __future__ import annotations

import pytest

from ordergraph.connectors.canonical import ChannelParseError
from ordergraph.connectors.channels.payload import Node, units_left


def test_an_address_without_its_country_is_an_error_on_the_country_field() -> None:
    address = Node.root({"ship_to": {"city": "Reno"}}).child("ship_to")
    with pytest.raises(ChannelParseError) as caught:
        address.country("country_code")
    assert caught.value.path == "$.ship_to.country_code"
    assert caught.value.message.endswith("is missing from the shipping address")
    with pytest.raises(ChannelParseError, match="is missing from the delivery address"):
        address.country("countryCode", "delivery address")
    assert Node.root({"c": "us"}).country("c") == "US"


def test_money_in_another_currency_than_the_orders_is_an_error() -> None:
    money = Node.root({"amount": "3.50", "currency": "eur"})
    money.check_currency("currency", "EUR")
    with pytest.raises(ChannelParseError, match=r"\$\.currency: EUR on an order in USD"):
        money.check_currency("currency", "USD")


def test_units_left_are_those_ordered_less_those_taken_back() -> None:
    refund = Node.root({"refunds": [{"quantity": 5}]}).children("refunds")[0]
    assert units_left(4, "L1", (1, refund)) == 3
    assert units_left(4, "L1", (4, refund)) == 0
    with pytest.raises(ChannelParseError) as caught:
        units_left(4, "L1", (5, refund), verb="returns")
    assert caught.value.path == "$.refunds[0].quantity"
    assert caught.value.message.endswith("returns 5 units of line L1, which has 4")
