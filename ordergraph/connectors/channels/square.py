"""Square: the Orders API ``Order`` object (RetrieveOrder, order.created / order.updated).

Square line items name a catalog *item variation* (``catalog_object_id``), not a SKU; ``parse``
takes ``catalog``, a mapping from variation id to SKU, built from the Catalog API. A line whose
variation is not in it, or an ad hoc line with no variation, has no SKU.

Documentation relied on:

* Order, OrderLineItem, Money, as published in Square's SDK reference (square/square-python-sdk,
  doc/models/order.md, order-line-item.md, money.md)
* OrderReturnLineItem: https://developer.squareup.com/reference/square/objects/OrderReturnLineItem
* Working with monetary amounts (smallest currency unit):
  https://developer.squareup.com/docs/build-basics/working-with-monetary-amounts
* Orders API, how it works (line items, fulfillments):
  https://developer.squareup.com/docs/orders-api/how-it-works

Traps handled here:

* ``quantity`` is a decimal STRING (``"2"``); lines sold by measure have fractions
  (``"1.70000"``), which cannot be routed as units and are refused.
* ``Money.amount`` is an integer in the currency's smallest unit: cents for USD, yen for JPY (no
  minor unit), fils for KWD (three).
* ``base_price_money`` is one unit; ``total_tax_money`` and ``total_discount_money`` are the line's.
* Returns of a sale live in ``returns[].return_line_items``, each naming the sold line by
  ``source_line_item_uid``; they reduce that line's open quantity. (Square usually records a
  return on a separate return order whose ``returns[].source_order_id`` names the sale; returns
  naming another order are ignored.)
* ``state`` ``CANCELED`` (one L) means cancelled. Fulfillments in state CANCELED or FAILED are
  ignored.
* Only SHIPMENT (and local DELIVERY) fulfillments ship; PICKUP, DIGITAL and the rest do not. A
  fulfillment applies to every line unless ``line_item_application`` is ``ENTRY_LIST``, when
  ``entries[].line_item_uid`` name its lines. Gift-card lines never ship.
* The address is ``recipient.address``: ``locality`` is the city,
  ``administrative_district_level_1`` the state, ``country`` the ISO code.
* The Order object documents no order-level note; ``shipment_details.shipping_note`` is read
  (and an order ``note``, should one appear).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
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
from ordergraph.connectors.channels.money import ZERO, from_minor_units
from ordergraph.connectors.channels.payload import Node, units_left

SHIPPING_DETAILS = {"SHIPMENT": "shipment_details", "DELIVERY": "delivery_details"}
DETAILS = {**SHIPPING_DETAILS, "PICKUP": "pickup_details"}
DEAD_FULFILLMENT_STATES = frozenset({"CANCELED", "FAILED"})


def parse(
    payload: Mapping[str, Any], *, channel_id: str, catalog: Mapping[str, str]
) -> CanonicalOrder:
    order = Node.root(payload)
    order_id = order.text("id")
    state = order.maybe_text("state")
    cancelled = state == "CANCELED"
    items = order.children("line_items", required=True)
    currency = _currency(order, items)
    shipping = _shipping_fulfillments(order)
    shipped_uids = _shipped_line_uids(shipping, items)
    details = shipping[0][1] if shipping else None
    recipient = details.maybe_child("recipient") if details else None
    returned = _returned_quantities(order, order_id)
    return CanonicalOrder(
        channel=channel_id,
        external_id=order_id,
        number=None,
        created_at=order.timestamp("created_at"),
        currency=currency,
        customer=_customer(order, recipient or _any_recipient(order)),
        ship_to=_address(recipient),
        lines=tuple(
            _line(item, currency, catalog, returned, cancelled=cancelled, shipped=shipped_uids)
            for item in items
        ),
        service_level=service_level_from_text(
            details.maybe_text("shipping_type") if details else None,
            details.maybe_text("carrier") if details else None,
        ),
        notes=order.maybe_text("note")
        or (details.maybe_text("shipping_note") if details else None),
        status=CANCELLED if cancelled else OPEN,
        raw_status=state,
    )


def _line(
    item: Node,
    currency: str,
    catalog: Mapping[str, str],
    returned: Mapping[str, tuple[int, Node]],
    *,
    cancelled: bool,
    shipped: set[str],
) -> CanonicalLine:
    uid = item.text("uid")
    ordered = _units(item, "quantity")
    open_units = units_left(ordered, uid, returned.get(uid, (0, item)), verb="returns")
    variation = item.maybe_text("catalog_object_id")
    return CanonicalLine(
        external_line_id=uid,
        sku=catalog.get(variation) if variation is not None else None,
        title=item.maybe_text("name") or item.text("variation_name"),
        quantity=0 if cancelled else open_units,
        ordered_quantity=ordered,
        unit_price=_money(item, "base_price_money", currency),
        discount=_money(item, "total_discount_money", currency),
        tax=_money(item, "total_tax_money", currency),
        requires_shipping=uid in shipped and item.maybe_text("item_type") != "GIFT_CARD",
    )


def _units(node: Node, key: str) -> int:
    """A quantity sent as a decimal string; it must be a whole, non-negative number."""
    raw = node.text(key)
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise node.error(key, f"is not a decimal number: {raw!r}") from None
    if not number.is_finite() or number < 0 or number != number.to_integral_value():
        raise node.error(key, f"is not a whole, non-negative number of units: {raw!r}")
    return int(number)


def _money(node: Node, key: str, currency: str) -> Decimal:
    money = node.maybe_child(key)
    if money is None:
        return ZERO
    money.check_currency("currency", currency)
    amount = money.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise money.error("amount", "expected a whole number of the currency's smallest unit")
    return from_minor_units(amount, currency)


def _currency(order: Node, items: list[Node]) -> str:
    for node, key in [(order, "total_money")] + [(item, "base_price_money") for item in items]:
        money = node.maybe_child(key)
        if money is not None:
            return money.currency("currency")
    raise order.error("total_money", "is missing, and no line has a price to take it from")


def _shipping_fulfillments(order: Node) -> list[tuple[Node, Node]]:
    """Live fulfillments that ship, each with its shipment or delivery details."""
    found = []
    for fulfillment in order.children("fulfillments"):
        kind = fulfillment.maybe_text("type")
        if kind not in SHIPPING_DETAILS:
            continue
        if fulfillment.maybe_text("state") in DEAD_FULFILLMENT_STATES:
            continue
        details = fulfillment.maybe_child(SHIPPING_DETAILS[kind])
        if details is None:
            raise fulfillment.error(SHIPPING_DETAILS[kind], f"is missing from a {kind} fulfillment")
        found.append((fulfillment, details))
    return found


def _shipped_line_uids(shipping: list[tuple[Node, Node]], items: list[Node]) -> set[str]:
    uids: set[str] = set()
    for fulfillment, _ in shipping:
        if fulfillment.maybe_text("line_item_application") == "ENTRY_LIST":
            uids.update(entry.text("line_item_uid") for entry in fulfillment.children("entries"))
        else:
            uids.update(item.text("uid") for item in items)
    return uids


def _returned_quantities(order: Node, order_id: str) -> dict[str, tuple[int, Node]]:
    totals: dict[str, tuple[int, Node]] = {}
    for order_return in order.children("returns"):
        source = order_return.maybe_text("source_order_id")
        if source is not None and source != order_id:
            continue
        for return_line in order_return.children("return_line_items"):
            uid = return_line.maybe_text("source_line_item_uid")
            if uid is None:
                continue  # an unlinked return (a custom amount) names no sold line
            units = _units(return_line, "quantity")
            totals[uid] = (totals.get(uid, (0, return_line))[0] + units, return_line)
    return totals


def _any_recipient(order: Node) -> Node | None:
    """The recipient of the first live fulfillment of any kind (a pickup names one too)."""
    for fulfillment in order.children("fulfillments"):
        if fulfillment.maybe_text("state") in DEAD_FULFILLMENT_STATES:
            continue
        key = DETAILS.get(fulfillment.maybe_text("type") or "")
        details = fulfillment.maybe_child(key) if key else None
        recipient = details.maybe_child("recipient") if details else None
        if recipient is not None:
            return recipient
    return None


def _customer(order: Node, recipient: Node | None) -> Customer | None:
    return customer(
        email=recipient.maybe_text("email_address") if recipient else None,
        name=recipient.maybe_text("display_name") if recipient else None,
        phone=recipient.maybe_text("phone_number") if recipient else None,
        external_id=order.maybe_text("customer_id"),
    )


def _address(recipient: Node | None) -> Address | None:
    address = recipient.maybe_child("address") if recipient else None
    if recipient is None or address is None:
        return None
    return Address(
        country=address.country("country"),
        name=recipient.maybe_text("display_name"),
        line1=address.maybe_text("address_line_1"),
        line2=address.maybe_text("address_line_2"),
        city=address.maybe_text("locality"),
        region=address.maybe_text("administrative_district_level_1"),
        postal_code=address.maybe_text("postal_code"),
    )
