"""WooCommerce: the REST API v3 order (``GET /wp-json/wc/v3/orders/<id>``, order webhooks).

Accepted bodies (``POST /ingest/woocommerce``; docs/connectors.md shows each):

1. The order, as the order webhooks and ``GET /orders/<id>`` send it.
2. ``{"order": <the order>, "refunds": <GET /wp-json/wc/v3/orders/<id>/refunds>}``: the order
   with its refund objects, which say which lines were refunded (the order itself does not).

An order whose ``refunds`` summary is not empty but whose refund objects are not known (a plain
webhook, no envelope) is refused: the refunded units cannot be told apart, and shipping them
would ship what the buyer was paid back for. With store credentials configured the service
fetches the refunds first (``connectors.pull.woocommerce``).

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
  value (the v4 refunds schema instead says ``line_item_id`` with a positive ``quantity``; both
  are read). Every refund the order's summary lists must be among the refund objects, else the
  refunds were fetched before the latest one and are refused as stale. A refund of money only
  has no ``line_items`` and leaves the units open.
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
from ordergraph.connectors.channels.payload import (
    Node,
    billing_customer,
    named_address,
    units_left,
)

CANCELLED_STATUSES = frozenset({"cancelled", "refunded", "failed", "trash"})
PICKUP_METHODS = frozenset({"local_pickup", "pickup_location"})
REFUNDED_ITEM_KEY = "_refunded_item_id"


def is_envelope(payload: object) -> bool:
    return isinstance(payload, Mapping) and isinstance(payload.get("order"), Mapping)


def needs_refunds(payload: object) -> bool:
    """Whether ``payload`` is a bare order listing refunds whose lines are not known."""
    if not isinstance(payload, Mapping) or is_envelope(payload):
        return False
    status = payload.get("status")  # any JSON value: a dict or list is not hashable
    if isinstance(status, str) and status in CANCELLED_STATUSES:
        return False
    refunds = payload.get("refunds")
    return isinstance(refunds, list) and any(
        not (isinstance(r, Mapping) and "line_items" in r) for r in refunds
    )


def parse(payload: Mapping[str, Any], *, channel_id: str) -> CanonicalOrder:
    root = Node.root(payload)
    if is_envelope(payload):
        order = root.child("order")
        refunds = root.children("refunds", required=True)
        _check_refunds_cover(order, refunds)
    else:
        order = root
        refunds = order.children("refunds")
    status = order.text("status")
    cancelled = status in CANCELLED_STATUSES
    if not cancelled and not is_envelope(payload):
        for refund in refunds:
            if "line_items" not in refund.data:
                raise refund.error(
                    "id",
                    "a refund whose refunded lines are not known: send the order with its "
                    "refunds ({order, refunds: GET /orders/<id>/refunds}) or configure "
                    "ORDERGRAPH_WOOCOMMERCE_URL and its keys so they are fetched",
                )
    shipping_lines = order.children("shipping_lines")
    method_ids = [line.maybe_text("method_id") for line in shipping_lines]
    pickup = bool(method_ids) and all(method in PICKUP_METHODS for method in method_ids)
    refunded = _refunded_quantities(refunds, order)
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
    open_units = units_left(ordered, line_id, refunded.get(line_id, (0, item)))
    subtotal = item.decimal("subtotal")
    return CanonicalLine(
        external_line_id=line_id,
        sku=item.maybe_text("sku"),
        title=item.text("name"),
        quantity=0 if cancelled else open_units,
        ordered_quantity=ordered,
        unit_price=unit_price(subtotal, ordered),
        discount=subtotal - item.decimal("total"),
        tax=item.decimal("total_tax"),
        requires_shipping=not pickup,
    )


def _check_refunds_cover(order: Node, refunds: list[Node]) -> None:
    """Every refund the order lists is among the refund objects sent with it."""
    have = {refund.ident("id") for refund in refunds}
    for listed in order.children("refunds"):
        refund_id = listed.ident("id")
        if refund_id not in have:
            raise listed.error(
                "id", f"refund {refund_id} is not among the refunds sent with the order (stale?)"
            )
    order_id = order.ident("id")
    for refund in refunds:
        parent = refund.maybe_ident("order_id")
        if parent is not None and parent != order_id:
            raise refund.error("order_id", f"is not the order's id {order_id}")


def _refunded_quantities(refunds: list[Node], order: Node) -> dict[str, tuple[int, Node]]:
    """Units refunded per order line id, from refund objects that list their line items."""
    totals: dict[str, tuple[int, Node]] = {}
    others = {
        line.ident("id")
        for key in ("shipping_lines", "fee_lines")
        for line in order.children(key)
        if line.maybe_ident("id") is not None
    }
    lines = {item.maybe_ident("id") for item in order.children("line_items")}
    for refund in refunds:
        for refund_line in refund.children("line_items"):
            line_id = _refunded_item_id(refund_line)
            if line_id in others:  # v4 lists refunded shipping and fees with the products
                continue
            if line_id not in lines:
                raise refund_line.error("line_item_id", f"refunds line {line_id}, not on the order")
            quantity = refund_line.get("quantity")
            if isinstance(quantity, bool) or not isinstance(quantity, int):
                raise refund_line.error("quantity", "expected a whole number of units")
            totals[line_id] = (
                totals.get(line_id, (0, refund_line))[0] + abs(quantity),
                refund_line,
            )
    return totals


def _refunded_item_id(refund_line: Node) -> str:
    direct = refund_line.maybe_ident("line_item_id")
    if direct is not None and direct != "0":
        return direct
    for meta in refund_line.children("meta_data"):
        if meta.get("key") == REFUNDED_ITEM_KEY:
            return meta.ident("value")
    raise refund_line.error("meta_data", f"has no {REFUNDED_ITEM_KEY} naming the refunded line")


def _address(node: Node | None) -> Address | None:
    if node is None or all(not isinstance(v, str) or not v.strip() for v in node.data.values()):
        return None
    return named_address(
        node, country="country", line1="address_1", line2="address_2", postal_code="postcode"
    )
