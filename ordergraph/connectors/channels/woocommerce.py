"""WooCommerce: the REST API v3 order (``GET /wp-json/wc/v3/orders/<id>``, order webhooks).

Documentation relied on:

* Order properties, line items, shipping lines, refunds, and the JSON response example:
  https://woocommerce.github.io/woocommerce-rest-api-docs/#orders
  (source: woocommerce/woocommerce-rest-api-docs, source/includes/wp-api-v3/_orders.md)
* Order refunds, refund line items: https://developer.woocommerce.com/docs/apis/rest-api/v3/order-refunds/
  (source: woocommerce/woocommerce-rest-api-docs, source/includes/wp-api-v3/_order-refunds.md)

Traps handled here:

* ``date_created`` is in the *site's* timezone with no offset; ``date_created_gmt`` is UTC, also
  without an offset (``"2017-03-22T19:28:02"``). Only the GMT field is read; an order without it
  is refused rather than placed at a guessed time.
* ``line_items[].subtotal`` (before discounts) and ``total`` (after) are LINE totals: the unit
  price is subtotal / quantity and the discount is subtotal - total. ``price`` is a JSON float in
  the docs' own example and is not read.
* ``sku`` is ``""`` for products without one.
* The order's ``refunds`` list carries only ``{id, reason, total}`` with a negative total: money,
  not units. Refund *objects* from ``/orders/<id>/refunds`` carry ``line_items`` whose
  ``quantity`` is negative and whose link to the order line is the ``_refunded_item_id`` meta
  value; when a refund entry has ``line_items`` they reduce the open quantity.
* Status ``cancelled``, ``refunded``, ``failed`` (and ``trash``) means nothing is to ship.
* The shipping address is an object of empty strings when the order ships nowhere; a
  ``local_pickup`` shipping method means the buyer collects.
* ``customer_id`` is 0 for guests.
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
from ordergraph.connectors.channels.money import unit_price
from ordergraph.connectors.channels.payload import Node, billing_customer, join_words

CANCELLED_STATUSES = frozenset({"cancelled", "refunded", "failed", "trash"})
PICKUP_METHODS = frozenset({"local_pickup", "pickup_location"})
REFUNDED_ITEM_KEY = "_refunded_item_id"


def parse(payload: Mapping[str, Any], *, channel_id: str) -> CanonicalOrder:
    order = Node.root(payload)
    status = order.text("status")
    cancelled = status in CANCELLED_STATUSES
    shipping_lines = order.children("shipping_lines")
    method_ids = [line.maybe_text("method_id") for line in shipping_lines]
    pickup = bool(method_ids) and all(method in PICKUP_METHODS for method in method_ids)
    refunded = _refunded_quantities(order)
    return CanonicalOrder(
        channel=channel_id,
        external_id=order.ident("id"),
        number=order.maybe_ident("number"),
        created_at=order.timestamp("date_created_gmt", naive_is_utc=True),
        currency=order.currency("currency"),
        customer=billing_customer(order, "billing"),
        ship_to=_address(order.maybe_child("shipping")),
        lines=tuple(
            _line(item, refunded, cancelled=cancelled, pickup=pickup)
            for item in order.children("line_items", required=True)
        ),
        service_level=service_level_from_text(
            *method_ids, *(line.maybe_text("method_title") for line in shipping_lines)
        ),
        notes=order.maybe_text("customer_note"),
        status=CANCELLED if cancelled else OPEN,
        raw_status=status,
    )


def _line(
    item: Node, refunded: Mapping[str, tuple[int, Node]], *, cancelled: bool, pickup: bool
) -> CanonicalLine:
    line_id = item.ident("id")
    ordered = item.count("quantity")
    units_refunded, refund_line = refunded.get(line_id, (0, item))
    if units_refunded > ordered:
        raise refund_line.error(
            "quantity", f"refunds {units_refunded} units of line {line_id}, which has {ordered}"
        )
    subtotal = item.decimal("subtotal")
    return CanonicalLine(
        external_line_id=line_id,
        sku=item.maybe_text("sku"),
        title=item.text("name"),
        quantity=0 if cancelled else ordered - units_refunded,
        ordered_quantity=ordered,
        unit_price=unit_price(subtotal, ordered),
        discount=subtotal - item.decimal("total"),
        tax=item.decimal("total_tax"),
        requires_shipping=not pickup,
    )


def _refunded_quantities(order: Node) -> dict[str, tuple[int, Node]]:
    """Units refunded per order line id, from refund objects that list their line items."""
    totals: dict[str, tuple[int, Node]] = {}
    for refund in order.children("refunds"):
        for refund_line in refund.children("line_items"):
            line_id = _refunded_item_id(refund_line)
            quantity = refund_line.get("quantity")
            if isinstance(quantity, bool) or not isinstance(quantity, int):
                raise refund_line.error("quantity", "expected a whole number of units")
            totals[line_id] = (
                totals.get(line_id, (0, refund_line))[0] + abs(quantity),
                refund_line,
            )
    return totals


def _refunded_item_id(refund_line: Node) -> str:
    for meta in refund_line.children("meta_data"):
        if meta.get("key") == REFUNDED_ITEM_KEY:
            return meta.ident("value")
    raise refund_line.error("meta_data", f"has no {REFUNDED_ITEM_KEY} naming the refunded line")


def _address(node: Node | None) -> Address | None:
    if node is None or all(not isinstance(v, str) or not v.strip() for v in node.data.values()):
        return None
    country = node.maybe_country("country")
    if country is None:
        raise node.error("country", "is missing from the shipping address")
    return Address(
        country=country,
        name=join_words(node.maybe_text("first_name"), node.maybe_text("last_name"))
        or node.maybe_text("company"),
        line1=node.maybe_text("address_1"),
        line2=node.maybe_text("address_2"),
        city=node.maybe_text("city"),
        region=node.maybe_text("state"),
        postal_code=node.maybe_text("postcode"),
    )
