"""Shopify: the Admin REST ``Order`` resource, the body of orders/create and orders/updated.

Documentation relied on:

* Order resource, properties of the order and of ``line_items``, ``shipping_address``,
  ``shipping_lines``: https://shopify.dev/docs/api/admin-rest/latest/resources/order
* Refund resource, ``refund_line_items``:
  https://shopify.dev/docs/api/admin-rest/2024-10/resources/refund
* Webhook topics (orders/create, orders/updated carry the Order resource):
  https://shopify.dev/docs/api/webhooks/latest
* ``fulfillable_quantity`` = quantity - max(refunded, fulfilled) - pending - open fulfilled:
  https://community.shopify.com/c/Shopify-APIs-SDKs/Best-Way-to-get-Products-cancelled-refunded-from-Order-webhook/m-p/1128743

Traps handled here:

* ``currency`` is the shop's currency, ``presentment_currency`` the one the buyer saw. Amounts are
  read from ``*_set.shop_money`` (checked against ``currency``), else from the plain field, which
  is also in shop currency; ``presentment_money`` is never read.
* ``line_items[].price`` is the price of ONE unit before discounts.
* ``total_discount`` is only set by draft orders, scripts or the API; the docs recommend
  ``discount_allocations``, which are used whenever the list is present.
* ``sku`` may be null or ``""``; both mean no SKU.
* Gift cards and tips have ``requires_shipping: false``: kept on the order, not shipped.
* Open quantity is ``quantity`` less the units in ``refunds[].refund_line_items`` (restock types
  cancel, return and no_restock all mean the unit is not to be shipped), and never more than
  ``current_quantity`` (quantity less units removed by order edits) when that is present.
  ``fulfillable_quantity`` also subtracts fulfilled units, so it is not used.
* ``refund_line_items[].subtotal`` arrives as a JSON float in Shopify's own examples; only
  quantities are read from refunds.
* ``cancelled_at`` set means the order is cancelled.
* ``shipping_address.country`` is a country *name*; the ISO code is ``country_code``. The region is
  ``province_code``, falling back to ``province``; the postal code is ``zip``.
* ``customer`` may be absent (POS orders) or stripped of contact data (protected customer data);
  the order's own ``email`` and ``phone`` come first.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ordergraph.connectors.canonical import (
    CANCELLED,
    OPEN,
    Address,
    CanonicalLine,
    CanonicalOrder,
    Customer,
    customer,
    service_level_from_text,
)
from ordergraph.connectors.channels.money import ZERO
from ordergraph.connectors.channels.payload import Node, join_words, units_left


def parse(payload: Mapping[str, Any], *, channel_id: str) -> CanonicalOrder:
    order = Node.root(payload)
    currency = order.currency("currency")
    cancelled = order.maybe_text("cancelled_at") is not None
    refunded = _refunded_quantities(order)
    shipping_lines = order.children("shipping_lines")
    return CanonicalOrder(
        channel=channel_id,
        external_id=order.ident("id"),
        number=order.maybe_text("name"),
        created_at=order.timestamp("created_at"),
        currency=currency,
        customer=_customer(order),
        ship_to=_address(order.maybe_child("shipping_address")),
        lines=tuple(
            _line(item, currency, refunded, cancelled=cancelled)
            for item in order.children("line_items", required=True)
        ),
        service_level=service_level_from_text(
            *(line.maybe_text("code") for line in shipping_lines),
            *(line.maybe_text("title") for line in shipping_lines),
        ),
        notes=order.maybe_text("note"),
        status=CANCELLED if cancelled else OPEN,
        raw_status=order.maybe_text("financial_status"),
    )


def _line(
    item: Node, currency: str, refunded: Mapping[str, tuple[int, Node]], *, cancelled: bool
) -> CanonicalLine:
    line_id = item.ident("id")
    ordered = item.count("quantity")
    open_quantity = units_left(ordered, line_id, refunded.get(line_id, (0, item)))
    current = item.maybe_count("current_quantity")
    if current is not None:
        open_quantity = min(open_quantity, current)
    allocations = item.children("discount_allocations")
    if "discount_allocations" in item.data:
        discount = sum((_money(a, "amount", currency) for a in allocations), ZERO)
    else:
        discount = _money(item, "total_discount", currency, default=ZERO)
    return CanonicalLine(
        external_line_id=line_id,
        sku=item.maybe_text("sku"),
        title=item.maybe_text("name") or item.text("title"),
        quantity=0 if cancelled else open_quantity,
        ordered_quantity=ordered,
        unit_price=_money(item, "price", currency),
        discount=discount,
        tax=sum((_money(t, "price", currency) for t in item.children("tax_lines")), ZERO),
        requires_shipping=item.flag("requires_shipping", default=True),
    )


def _refunded_quantities(order: Node) -> dict[str, tuple[int, Node]]:
    """Units refunded per line item id, with the last refund line seen (for error paths)."""
    totals: dict[str, tuple[int, Node]] = {}
    for refund in order.children("refunds"):
        for refund_line in refund.children("refund_line_items"):
            line_id = refund_line.ident("line_item_id")
            units = refund_line.count("quantity")
            totals[line_id] = (totals.get(line_id, (0, refund_line))[0] + units, refund_line)
    return totals


def _money(node: Node, key: str, currency: str, *, default: Decimal | None = None) -> Decimal:
    """``key`` in shop currency: ``<key>_set.shop_money.amount`` if present, else ``key``."""
    money_set = node.maybe_child(f"{key}_set")
    shop_money = money_set.maybe_child("shop_money") if money_set is not None else None
    if shop_money is not None:
        code = shop_money.currency("currency_code")
        if code != currency:
            raise shop_money.error(
                "currency_code", f"shop money in {code} on an order in shop currency {currency}"
            )
        return shop_money.decimal("amount")
    if default is not None and node.get(key) is None:
        return default
    return node.decimal(key)


def _customer(order: Node) -> Customer | None:
    person = order.maybe_child("customer")
    return customer(
        email=order.maybe_text("email")
        or order.maybe_text("contact_email")
        or (person.maybe_text("email") if person else None),
        name=join_words(person.maybe_text("first_name"), person.maybe_text("last_name"))
        if person
        else None,
        phone=order.maybe_text("phone") or (person.maybe_text("phone") if person else None),
        external_id=person.maybe_ident("id") if person else None,
    )


def _address(node: Node | None) -> Address | None:
    if node is None:
        return None
    return Address(
        country=node.country("country_code"),
        name=node.maybe_text("name")
        or join_words(node.maybe_text("first_name"), node.maybe_text("last_name")),
        line1=node.maybe_text("address1"),
        line2=node.maybe_text("address2"),
        city=node.maybe_text("city"),
        region=node.maybe_text("province_code") or node.maybe_text("province"),
        postal_code=node.maybe_text("zip"),
    )
