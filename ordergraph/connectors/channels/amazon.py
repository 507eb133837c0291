"""Amazon: Selling Partner API Orders v0, an order with its items.

The payload is ``{"order": <getOrder payload>, "items": <getOrderItems payload.OrderItems>}``:
the order and its items come from two calls.

Documentation relied on:

* The Orders v0 model (``Order``, ``OrderItem``, ``Address``, ``Money``, ``OrderStatus``,
  ``ShipmentServiceLevelCategory``), as published in
  https://github.com/amzn/selling-partner-api-models/blob/main/models/orders-api-model/ordersV0.json
* getOrderItems (no prices while the order is Pending):
  https://developer-docs.amazon.com/sp-api/reference/getorderitems

Traps handled here:

* ``ItemPrice`` is the LINE total: "the selling price of the item multiplied by the quantity
  ordered". The unit price is ``ItemPrice.Amount / QuantityOrdered``. ``ItemTax`` and
  ``PromotionDiscount`` are line totals too. Amounts are strings.
* A Pending order's items carry no prices at all; they read as 0.
* ``ShippingAddress`` is only returned for Unshipped, PartiallyShipped, Shipped and
  InvoiceUnconfirmed orders, and without a restricted data token its ``Name`` and
  ``AddressLine*`` are withheld: the ship-to is then None, or partial (city, region, postal code
  and country only).
* ``OrderStatus`` ``Canceled`` (one L) means cancelled.
* ``ShipmentServiceLevelCategory`` is one of Expedited, FreeEconomy, NextDay, Priority, SameDay,
  SecondDay, Scheduled, Standard.
* ``OrderTotal`` is optional (Pending orders); the currency then comes from the items.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ordergraph.connectors.canonical import (
    CANCELLED,
    EXPRESS,
    NEXT_DAY,
    OPEN,
    STANDARD,
    Address,
    CanonicalLine,
    CanonicalOrder,
    Customer,
    customer,
    service_level_from_text,
)
from ordergraph.connectors.channels.money import ZERO, unit_price
from ordergraph.connectors.channels.payload import Node

SERVICE_LEVELS = {
    "SameDay": NEXT_DAY,
    "NextDay": NEXT_DAY,
    "SecondDay": EXPRESS,
    "Expedited": EXPRESS,
    "Priority": EXPRESS,
    "Standard": STANDARD,
    "FreeEconomy": STANDARD,
    "Scheduled": STANDARD,
}


def parse(payload: Mapping[str, Any], *, channel_id: str) -> CanonicalOrder:
    root = Node.root(payload)
    order = root.child("order")
    items = root.children("items", required=True)
    status = order.text("OrderStatus")
    cancelled = status == "Canceled"
    currency = _currency(order, items)
    category = order.maybe_text("ShipmentServiceLevelCategory")
    return CanonicalOrder(
        channel=channel_id,
        external_id=order.text("AmazonOrderId"),
        number=order.maybe_text("SellerOrderId") or order.text("AmazonOrderId"),
        created_at=order.timestamp("PurchaseDate"),
        currency=currency,
        customer=_customer(order),
        ship_to=_address(order.maybe_child("ShippingAddress")),
        lines=tuple(_line(item, currency, cancelled=cancelled) for item in items),
        service_level=SERVICE_LEVELS.get(category or "")
        or service_level_from_text(category, order.maybe_text("ShipServiceLevel")),
        notes=None,
        status=CANCELLED if cancelled else OPEN,
        raw_status=status,
    )


def _line(item: Node, currency: str, *, cancelled: bool) -> CanonicalLine:
    ordered = item.count("QuantityOrdered")
    shipped = item.maybe_count("QuantityShipped") or 0
    if shipped > ordered:
        raise item.error("QuantityShipped", f"{shipped} shipped of {ordered} ordered")
    line_total = _money(item, "ItemPrice", currency)
    return CanonicalLine(
        external_line_id=item.text("OrderItemId"),
        sku=item.maybe_text("SellerSKU"),
        title=item.maybe_text("Title") or item.text("ASIN"),
        quantity=0 if cancelled else ordered,
        ordered_quantity=ordered,
        unit_price=unit_price(line_total, ordered),
        discount=_money(item, "PromotionDiscount", currency),
        tax=_money(item, "ItemTax", currency),
    )


def _currency(order: Node, items: list[Node]) -> str:
    total = order.maybe_child("OrderTotal")
    if total is not None:
        return total.currency("CurrencyCode")
    for item in items:
        price = item.maybe_child("ItemPrice")
        if price is not None:
            return price.currency("CurrencyCode")
    raise order.error("OrderTotal", "is missing, and no item has a price to take the currency from")


def _money(item: Node, key: str, currency: str) -> Decimal:
    money = item.maybe_child(key)
    if money is None:
        return ZERO
    code = money.currency("CurrencyCode")
    if code != currency:
        raise money.error("CurrencyCode", f"{code} on an order in {currency}")
    return money.decimal("Amount")


def _customer(order: Node) -> Customer | None:
    buyer = order.maybe_child("BuyerInfo")
    address = order.maybe_child("ShippingAddress")
    return customer(
        email=buyer.maybe_text("BuyerEmail") if buyer else None,
        name=buyer.maybe_text("BuyerName") if buyer else None,
        phone=address.maybe_text("Phone") if address else None,
    )


def _address(node: Node | None) -> Address | None:
    if node is None:
        return None
    country = node.maybe_country("CountryCode")
    if country is None:
        raise node.error("CountryCode", "is missing from the shipping address")
    return Address(
        country=country,
        name=node.maybe_text("Name"),
        line1=node.maybe_text("AddressLine1"),
        line2=node.maybe_text("AddressLine2"),
        city=node.maybe_text("City"),
        region=node.maybe_text("StateOrRegion"),
        postal_code=node.maybe_text("PostalCode"),
    )
