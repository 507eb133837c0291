"""Amazon: Selling Partner API Orders, as Amazon returns it (v0 and 2026-01-01).

Accepted bodies (``POST /ingest/amazon``; docs/connectors.md shows each):

1. **Orders v0, relayed as received**: a JSON array of the SP-API responses for one order, in
   any order: the ``getOrder`` response (``{"payload": Order}``), every ``getOrderItems`` page
   (``{"payload": {"AmazonOrderId", "OrderItems", "NextToken"?}}``), and, when a restricted data
   token allowed them, ``getOrderAddress``, ``getOrderBuyerInfo`` and ``getOrderItemsBuyerInfo``
   responses. A single ``getOrder`` or ``getOrderItems`` response alone is refused (the order
   needs both). Pages are complete when exactly one ``getOrderItems`` page has no ``NextToken``.
2. **Orders 2026-01-01**: the ``getOrder`` response ``{"order": Order}`` (camelCase, the items
   inside the order, per-unit prices, cancellation blocks), alone or as the one element of an
   array.
3. The older home-made envelope ``{"order": <getOrder payload>, "items": [OrderItem, ...]}``.

An ``{"errors": [...]}`` response anywhere is refused with Amazon's code and message.

Documentation relied on:

* The Orders v0 model (``GetOrderResponse``, ``GetOrderItemsResponse``, ``OrderItemsList``,
  ``GetOrderAddressResponse``, ``GetOrderBuyerInfoResponse``, ``GetOrderItemsBuyerInfoResponse``,
  ``Order``, ``OrderItem``, ``Address``, ``Money``, ``OrderStatus``,
  ``ShipmentServiceLevelCategory``, ``FulfillmentChannel``), as published in
  https://github.com/amzn/selling-partner-api-models/blob/main/models/orders-api-model/ordersV0.json
* The Orders 2026-01-01 model (``GetOrderResponse``, ``Order``, ``OrderItem``, ``ItemPrice``,
  ``ItemProceeds``, ``ItemCancellation``, ``OrderFulfillment``, ``CustomerAddress``), in
  models/orders-api-model/orders_2026-01-01.json of the same repository.
* getOrderItems (no prices while the order is Pending):
  https://developer-docs.amazon.com/sp-api/reference/getorderitems

Traps handled here:

* v0 ``ItemPrice`` is the LINE total: "the selling price of the item multiplied by the quantity
  ordered". The unit price is ``ItemPrice.Amount / QuantityOrdered``. ``ItemTax`` and
  ``PromotionDiscount`` are line totals too. Amounts are strings. 2026-01-01 has the unit price
  itself (``product.price.unitPrice``); its tax is the ``TAX`` proceeds breakdown (the ``ITEM``
  part of it when broken down: shipping tax is not the line's), its discount the ``DISCOUNT``
  breakdown (taken as a positive amount).
* A Pending order's items carry no prices at all; they read as 0.
* ``ShippingAddress`` is only returned for Unshipped, PartiallyShipped, Shipped and
  InvoiceUnconfirmed orders, and without a restricted data token its ``Name`` and
  ``AddressLine*`` are withheld: the ship-to is then None, or partial (city, region, postal code
  and country only). A ``getOrderAddress`` response (restricted data) replaces it.
* v0 ``OrderStatus`` ``Canceled`` (one L) means cancelled; 2026-01-01 says
  ``fulfillment.fulfillmentStatus`` ``CANCELLED``. A 2026-01-01 item with a
  ``cancellation.cancellationExecution`` is cancelled (nothing open); a ``cancellationRequest``
  alone is only the buyer asking.
* Orders Amazon fulfils (v0 ``FulfillmentChannel`` ``AFN``, 2026-01-01 ``fulfilledBy``
  ``AMAZON``) ship from Amazon's network: their lines do not ship from ours.
* ``ShipmentServiceLevelCategory`` is one of Expedited, FreeEconomy, NextDay, Priority, SameDay,
  SecondDay, Scheduled, Standard (2026-01-01: the same words in upper snake case).
* ``OrderTotal`` is optional (Pending orders); the currency then comes from the items.
* Items sold by measure (2026-01-01 ``measurement``) are not whole units and are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
    ChannelParseError,
    Customer,
    customer,
    service_level_from_text,
)
from ordergraph.connectors.channels.money import ZERO, unit_price
from ordergraph.connectors.channels.payload import Node, join_words

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
SERVICE_LEVELS_2026 = {
    "SAME_DAY": NEXT_DAY,
    "NEXT_DAY": NEXT_DAY,
    "SECOND_DAY": EXPRESS,
    "EXPEDITED": EXPRESS,
    "PRIORITY": EXPRESS,
    "STANDARD": STANDARD,
    "FREE_ECONOMY": STANDARD,
    "SCHEDULED": STANDARD,
}
AMAZON_FULFILLED = "AFN"


def parse(payload: Any, *, channel_id: str) -> CanonicalOrder:
    if isinstance(payload, list):
        return _relay(Node.items_of(payload, ()), channel_id)
    root = Node.root(payload)
    _refuse_errors(root)
    order = root.maybe_child("order")
    if order is not None and "items" not in root.data and "orderId" in order.data:
        return _parse_2026(order, channel_id)
    if "payload" in root.data:
        return _relay([root], channel_id)
    order = root.child("order")
    items = root.children("items", required=True)
    return _parse_v0(order, items, channel_id)


# ---- v0 responses relayed as received ------------------------------------------------------


@dataclass
class _Responses:
    order: Node | None = None
    pages: list[Node] = field(default_factory=list)  # getOrderItems payloads
    buyer_item_pages: list[Node] = field(default_factory=list)  # getOrderItemsBuyerInfo
    address: Node | None = None  # getOrderAddress payload
    buyer: Node | None = None  # getOrderBuyerInfo payload
    order_2026: Node | None = None


def _refuse_errors(response: Node) -> None:
    errors = response.children("errors")
    if errors:
        first = errors[0]
        raise ChannelParseError(
            f"Amazon answered with an error: {first.maybe_text('code') or '?'}: "
            f"{first.maybe_text('message') or ''}".rstrip(": "),
            first.path,
        )


def _relay(responses: list[Node], channel_id: str) -> CanonicalOrder:
    if not responses:
        raise ChannelParseError("expected the SP-API responses of one order, got an empty list")
    found = _Responses()
    for response in responses:
        _refuse_errors(response)
        order_2026 = response.maybe_child("order")
        if order_2026 is not None and "orderId" in order_2026.data:
            if found.order_2026 is not None:
                raise response.error("order", "a second getOrder response")
            found.order_2026 = order_2026
            continue
        body = response.child("payload")
        if "OrderItems" in body.data:
            items = body.children("OrderItems", required=True)
            buyer_info = bool(items) and all("QuantityOrdered" not in i.data for i in items)
            (found.buyer_item_pages if buyer_info else found.pages).append(body)
        elif "PurchaseDate" in body.data or "OrderStatus" in body.data:
            if found.order is not None:
                raise response.error("payload", "a second getOrder response")
            found.order = body
        elif "ShippingAddress" in body.data:
            found.address = body
        elif "BuyerEmail" in body.data or "BuyerName" in body.data:
            found.buyer = body
        else:
            raise response.error(
                "payload",
                "is not a getOrder, getOrderItems, getOrderAddress, getOrderBuyerInfo or "
                "getOrderItemsBuyerInfo payload",
            )
    if found.order_2026 is not None:
        if found.order or found.pages or found.address or found.buyer or found.buyer_item_pages:
            raise ChannelParseError(
                "a 2026-01-01 getOrder response carries the whole order; do not mix it with "
                "v0 responses"
            )
        return _parse_2026(found.order_2026, channel_id)
    if found.order is None:
        raise ChannelParseError(
            "no getOrder response: forward it with the getOrderItems pages",
            responses[0].at("payload"),
        )
    if not found.pages:
        raise found.order.error(
            "AmazonOrderId", "no getOrderItems response: forward every page with getOrder"
        )
    order_id = found.order.text("AmazonOrderId")
    for other in (*found.pages, *found.buyer_item_pages, found.address, found.buyer):
        if other is not None and other.text("AmazonOrderId") != order_id:
            raise other.error("AmazonOrderId", f"is not the order's {order_id}")
    items = _complete(found.pages, "getOrderItems")
    known = {item.text("OrderItemId") for item in items}
    for info in _complete(found.buyer_item_pages, "getOrderItemsBuyerInfo"):
        if info.text("OrderItemId") not in known:
            raise info.error("OrderItemId", "names no item of the order")
    return _parse_v0(found.order, items, channel_id, address=found.address, buyer=found.buyer)


def _complete(pages: list[Node], operation: str) -> list[Node]:
    """The items of every page; refused when a page was left out or sent twice."""
    if not pages:
        return []
    last = [page for page in pages if not page.maybe_text("NextToken")]
    if not last:
        raise pages[-1].error(
            "NextToken", f"the next {operation} page is missing: follow NextToken to the end"
        )
    if len(last) > 1:
        raise last[1].error("NextToken", f"is missing on two {operation} pages: a page is repeated")
    items: list[Node] = []
    seen: set[str] = set()
    for page in pages:
        for item in page.children("OrderItems", required=True):
            item_id = item.text("OrderItemId")
            if item_id in seen:
                raise item.error("OrderItemId", f"{item_id} is on two {operation} pages")
            seen.add(item_id)
            items.append(item)
    return items


# ---- v0 ------------------------------------------------------------------------------------


def _parse_v0(
    order: Node,
    items: list[Node],
    channel_id: str,
    *,
    address: Node | None = None,
    buyer: Node | None = None,
) -> CanonicalOrder:
    status = order.text("OrderStatus")
    cancelled = status == "Canceled"
    currency = _currency(order, items)
    category = order.maybe_text("ShipmentServiceLevelCategory")
    ships = order.maybe_text("FulfillmentChannel") != AMAZON_FULFILLED
    shipping = (address.maybe_child("ShippingAddress") if address else None) or order.maybe_child(
        "ShippingAddress"
    )
    return CanonicalOrder(
        channel=channel_id,
        external_id=order.text("AmazonOrderId"),
        number=order.maybe_text("SellerOrderId") or order.text("AmazonOrderId"),
        created_at=order.timestamp("PurchaseDate"),
        currency=currency,
        customer=_customer(buyer or order.maybe_child("BuyerInfo"), shipping),
        ship_to=_address(shipping),
        lines=tuple(_line(item, currency, cancelled=cancelled, ships=ships) for item in items),
        service_level=SERVICE_LEVELS.get(category or "")
        or service_level_from_text(category, order.maybe_text("ShipServiceLevel")),
        notes=None,
        status=CANCELLED if cancelled else OPEN,
        raw_status=status,
    )


def _line(item: Node, currency: str, *, cancelled: bool, ships: bool = True) -> CanonicalLine:
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
        requires_shipping=ships,
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
    money.check_currency("CurrencyCode", currency)
    return money.decimal("Amount")


def _customer(buyer: Node | None, address: Node | None) -> Customer | None:
    return customer(
        email=buyer.maybe_text("BuyerEmail") if buyer else None,
        name=buyer.maybe_text("BuyerName") if buyer else None,
        phone=address.maybe_text("Phone") if address else None,
    )


def _address(node: Node | None) -> Address | None:
    if node is None:
        return None
    return Address(
        country=node.country("CountryCode"),
        name=node.maybe_text("Name"),
        line1=node.maybe_text("AddressLine1"),
        line2=join_words(node.maybe_text("AddressLine2"), node.maybe_text("AddressLine3")),
        city=node.maybe_text("City"),
        region=node.maybe_text("StateOrRegion"),
        postal_code=node.maybe_text("PostalCode"),
    )


# ---- 2026-01-01 ----------------------------------------------------------------------------


def _parse_2026(order: Node, channel_id: str) -> CanonicalOrder:
    fulfillment = order.maybe_child("fulfillment")
    status = fulfillment.maybe_text("fulfillmentStatus") if fulfillment else None
    cancelled = status == "CANCELLED"
    ships = (fulfillment.maybe_text("fulfilledBy") if fulfillment else None) != "AMAZON"
    items = order.children("orderItems", required=True)
    currency = _currency_2026(order, items)
    level = fulfillment.maybe_text("fulfillmentServiceLevel") if fulfillment else None
    recipient = order.maybe_child("recipient")
    delivery = recipient.maybe_child("deliveryAddress") if recipient else None
    buyer = order.maybe_child("buyer")
    seller_number = next(
        (
            alias.maybe_text("aliasId")
            for alias in order.children("orderAliases")
            if alias.maybe_text("aliasType") == "SELLER_ORDER_ID"
        ),
        None,
    )
    return CanonicalOrder(
        channel=channel_id,
        external_id=order.text("orderId"),
        number=seller_number or order.text("orderId"),
        created_at=order.timestamp("createdTime"),
        currency=currency,
        customer=customer(
            email=buyer.maybe_text("buyerEmail") if buyer else None,
            name=buyer.maybe_text("buyerName") if buyer else None,
            phone=delivery.maybe_text("phone") if delivery else None,
        ),
        ship_to=_address_2026(delivery),
        lines=tuple(_line_2026(item, currency, cancelled=cancelled, ships=ships) for item in items),
        service_level=SERVICE_LEVELS_2026.get(level or "") or service_level_from_text(level),
        notes=None,
        status=CANCELLED if cancelled else OPEN,
        raw_status=status,
    )


def _line_2026(item: Node, currency: str, *, cancelled: bool, ships: bool) -> CanonicalLine:
    ordered = item.count("quantityOrdered")
    if item.maybe_child("measurement") is not None:
        raise item.error("measurement", "the item is sold by measure, not in whole units")
    product = item.child("product")
    price = product.maybe_child("price")
    unit = price.maybe_child("unitPrice") if price else None
    cancellation = item.maybe_child("cancellation")
    item_cancelled = cancellation is not None and (
        cancellation.maybe_child("cancellationExecution") is not None
    )
    fulfilled = item.maybe_child("fulfillment")
    done = fulfilled.maybe_count("quantityFulfilled") if fulfilled is not None else None
    if fulfilled is not None and done is not None and done > ordered:
        raise fulfilled.error("quantityFulfilled", f"{done} fulfilled of {ordered} ordered")
    tax, discount = _proceeds_2026(item, currency)
    return CanonicalLine(
        external_line_id=item.text("orderItemId"),
        sku=product.maybe_text("sellerSku"),
        title=product.maybe_text("title") or product.text("asin"),
        quantity=0 if cancelled or item_cancelled else ordered,
        ordered_quantity=ordered,
        unit_price=_money_2026(unit, currency) if unit is not None else ZERO,
        discount=discount,
        tax=tax,
        requires_shipping=ships,
    )


def _proceeds_2026(item: Node, currency: str) -> tuple[Decimal, Decimal]:
    """(tax on the item, discount) from the item's proceeds breakdowns."""
    proceeds = item.maybe_child("proceeds")
    tax, discount = ZERO, ZERO
    for part in proceeds.children("breakdowns") if proceeds else []:
        kind = part.maybe_text("type")
        if kind == "TAX":
            details = part.children("detailedBreakdowns")
            if details:
                tax += sum(
                    (
                        _money_2026(d.child("value"), currency)
                        for d in details
                        if d.maybe_text("subtype") == "ITEM"
                    ),
                    ZERO,
                )
            else:
                tax += _money_2026(part.child("subtotal"), currency)
        elif kind == "DISCOUNT":
            discount += abs(_money_2026(part.child("subtotal"), currency))
    return tax, discount


def _currency_2026(order: Node, items: list[Node]) -> str:
    proceeds = order.maybe_child("proceeds")
    total = proceeds.maybe_child("grandTotal") if proceeds else None
    if total is not None:
        return total.currency("currencyCode")
    for item in items:
        product = item.maybe_child("product")
        price = product.maybe_child("price") if product else None
        unit = price.maybe_child("unitPrice") if price else None
        if unit is not None:
            return unit.currency("currencyCode")
    raise order.error("proceeds", "is missing, and no item has a price to take the currency from")


def _money_2026(money: Node, currency: str) -> Decimal:
    money.check_currency("currencyCode", currency)
    return money.decimal("amount")


def _address_2026(node: Node | None) -> Address | None:
    if node is None:
        return None
    return Address(
        country=node.country("countryCode", "delivery address"),
        name=node.maybe_text("name") or node.maybe_text("companyName"),
        line1=node.maybe_text("addressLine1"),
        line2=join_words(node.maybe_text("addressLine2"), node.maybe_text("addressLine3")),
        city=node.maybe_text("city"),
        region=node.maybe_text("stateOrRegion"),
        postal_code=node.maybe_text("postalCode"),
    )


def order_id_of(payload: Mapping[str, Any]) -> str | None:
    """The order id an SP-API ORDER_CHANGE notification names, else None."""
    inner = payload.get("Payload") if payload.get("NotificationType") == "ORDER_CHANGE" else None
    change = inner.get("OrderChangeNotification") if isinstance(inner, Mapping) else None
    found = change.get("AmazonOrderId") if isinstance(change, Mapping) else None
    return found if isinstance(found, str) and found.strip() else None
