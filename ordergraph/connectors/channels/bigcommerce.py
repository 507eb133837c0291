"""BigCommerce: a V2 order with its products and shipping addresses.

The payload is ``{"order": GET /v2/orders/{id}, "products": GET /v2/orders/{id}/products,
"shipping_addresses": GET /v2/orders/{id}/shipping_addresses}``: V2 returns the three as
separate resources (the order itself only links to the other two). BigCommerce webhooks
(``store/order/*``) carry only the order id: ``connectors.pull`` fetches the three resources and
hands this envelope to ``parse``.

Documentation relied on:

* Orders V2, the order object and its currency fields:
  https://developer.bigcommerce.com/api-reference/YXBpOjIzMjI3NDE-orders-v2
* Order products: https://developer.bigcommerce.com/api-reference/orders/orders-api/order-products/getanorderproduct
* ``date_created`` is RFC 2822:
  https://docs.alokai.com/bigcommerce/api-reference/bigcommerce-api.order.date_created.html
* Status ids (0 Incomplete, 4 Refunded, 5 Cancelled, 6 Declined):
  https://support.yotpo.com/docs/bigcommerce-order-statuses-not-supported-by-yotpo

Traps handled here:

* ``date_created`` is an RFC 2822 string (``"Tue, 05 Mar 2019 21:36:58 +0000"``), not ISO 8601.
* ``currency_code`` is the *display* currency; amounts are in the transactional currency,
  ``default_currency_code``. The latter is used, ``currency_code`` only when it is absent.
* Money fields are strings with four decimals (``"54.0000"``).
* ``price_ex_tax`` is one unit excluding tax; ``total_tax`` is the whole line's tax; discounts
  are the sum of ``applied_discounts[].amount``.
* ``quantity_refunded`` units are no longer open. ``type: "digital"`` products do not ship.
* The shipping address country code is ``country_iso2``; ``country`` is a name. The region is
  ``state`` (a name such as "Texas") and the postal code ``zip``.
* An order can ship to several addresses (each product names its ``order_address_id``); the
  canonical order has one ship-to, the first address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ordergraph.connectors.canonical import (
    CANCELLED,
    OPEN,
    Address,
    CanonicalLine,
    CanonicalOrder,
    service_level_from_text,
)
from ordergraph.connectors.channels.money import ZERO
from ordergraph.connectors.channels.payload import (
    Node,
    billing_customer,
    named_address,
    units_left,
)

CANCELLED_STATUS_IDS = frozenset({4, 5, 6})  # Refunded, Cancelled, Declined
CANCELLED_STATUS_NAMES = frozenset({"refunded", "cancelled", "declined"})


def parse(payload: Mapping[str, Any], *, channel_id: str) -> CanonicalOrder:
    root = Node.root(payload)
    order = root.child("order")
    status_id = order.get("status_id")
    status_name = order.maybe_text("status")
    if status_id is not None:
        cancelled = order.count("status_id") in CANCELLED_STATUS_IDS
    elif status_name is not None:
        cancelled = status_name.lower() in CANCELLED_STATUS_NAMES
    else:
        raise order.error("status_id", "is missing")
    currency = order.maybe_currency("default_currency_code") or order.currency("currency_code")
    addresses = root.children("shipping_addresses")
    first_address = addresses[0] if addresses else None
    return CanonicalOrder(
        channel=channel_id,
        external_id=order.ident("id"),
        number=order.ident("id"),
        created_at=order.rfc2822_timestamp("date_created"),
        currency=currency,
        customer=billing_customer(order, "billing_address"),
        ship_to=_address(first_address),
        lines=tuple(
            _line(product, cancelled=cancelled)
            for product in root.children("products", required=True)
        ),
        service_level=service_level_from_text(
            *(address.maybe_text("shipping_method") for address in addresses)
        ),
        notes=order.maybe_text("customer_message"),
        status=CANCELLED if cancelled else OPEN,
        raw_status=status_name,
    )


def _line(product: Node, *, cancelled: bool) -> CanonicalLine:
    line_id = product.ident("id")
    ordered = product.count("quantity")
    refunded = (product.maybe_count("quantity_refunded") or 0, product)
    open_units = units_left(ordered, line_id, refunded, key="quantity_refunded")
    discounts = product.children("applied_discounts")
    return CanonicalLine(
        external_line_id=line_id,
        sku=product.maybe_text("sku"),
        title=product.text("name"),
        quantity=0 if cancelled else open_units,
        ordered_quantity=ordered,
        unit_price=product.decimal("price_ex_tax"),
        discount=sum((discount.decimal("amount") for discount in discounts), ZERO),
        tax=product.maybe_decimal("total_tax") or ZERO,
        requires_shipping=product.maybe_text("type") != "digital",
    )


def _address(node: Node | None) -> Address | None:
    if node is None:
        return None
    return named_address(
        node, country="country_iso2", line1="street_1", line2="street_2", postal_code="zip"
    )
