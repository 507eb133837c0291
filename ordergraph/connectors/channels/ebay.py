"""eBay: the Sell Fulfillment API ``Order`` (``GET /sell/fulfillment/v1/order/{orderId}``).

An ``ORDER_CONFIRMATION`` notification names the order only; ``connectors.pull`` fetches it.

Documentation relied on:

* Order (``buyerCheckoutNotes``, ``cancelStatus``, ``creationDate`` in UTC):
  https://developer.ebay.com/api-docs/sell/fulfillment/types/sel:Order
* LineItem: https://developer.ebay.com/api-docs/sell/fulfillment/types/sel:LineItem
* Amount (``value`` vs ``convertedFromValue``):
  https://developer.ebay.com/api-docs/sell/fulfillment/types/sel:Amount
* CancelStateEnum: https://developer.ebay.com/api-docs/sell/fulfillment/types/sel:CancelStateEnum
* FulfillmentStartInstruction (``shippingStep``, ``finalDestinationAddress``):
  https://developer.ebay.com/api-docs/sell/fulfillment/types/sel:FulfillmentStartInstruction
* Handling unfulfilled line items:
  https://developer.ebay.com/api-docs/sell/static/orders/handling-unfulfilled-lineitems.html

Traps handled here:

* ``lineItemCost`` is the LINE total ("the single unit price multiplied by the quantity"); the
  unit price is lineItemCost / quantity. ``discountedLineItemCost`` (only present when a promotion
  applied) is the line after discounts, so discount = lineItemCost - discountedLineItemCost,
  else the sum of ``appliedPromotions[].discountAmount``.
* Every ``Amount`` has ``value`` in ``currency`` (the converted amount when eBay converted) and
  may also have ``convertedFromValue`` / ``convertedFromCurrency`` (the buyer's original); only
  ``value`` is read, and its currency must be the order's.
* Tax is ``taxes[]`` plus ``ebayCollectAndRemitTaxes[]`` (US sales tax, VAT, GST that eBay
  collects); both were charged on the line.
* ``refunds[]`` on a line carry money, not units: a line refunded for at least its discounted
  cost is taken as fully refunded (open quantity 0); smaller refunds leave it open.
* ``cancelStatus.cancelState`` ``CANCELED`` means cancelled; ``IN_PROGRESS`` is only a request.
* ``buyer.username`` becomes an immutable user id for some US buyers from September 2025; either
  way it is the customer's external id.
* The ship-to is ``fulfillmentStartInstructions[0].shippingStep.shipTo``. For the Global Shipping
  Program / eBay International Shipping it is eBay's domestic hub, which is where the seller
  ships; ``finalDestinationAddress`` is the buyer's and is not used.
* Instructions other than ``SHIP_TO`` (``DIGITAL``, ``PREPARE_FOR_PICKUP``,
  ``FULFILLED_BY_EBAY``) mean the seller ships nothing.
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
from ordergraph.connectors.channels.money import ZERO, unit_price
from ordergraph.connectors.channels.payload import Node

SHIP_TO = "SHIP_TO"


def parse(payload: Mapping[str, Any], *, channel_id: str) -> CanonicalOrder:
    order = Node.root(payload)
    cancel = order.maybe_child("cancelStatus")
    cancel_state = cancel.maybe_text("cancelState") if cancel else None
    cancelled = cancel_state == "CANCELED"
    instructions = order.children("fulfillmentStartInstructions")
    instruction = instructions[0] if instructions else None
    kind = instruction.maybe_text("fulfillmentInstructionsType") if instruction else None
    ships = kind in (None, SHIP_TO)
    step = instruction.maybe_child("shippingStep") if instruction else None
    ship_to = step.maybe_child("shipTo") if step else None
    items = order.children("lineItems", required=True)
    currency = _currency(order, items)
    fulfillment_status = order.maybe_text("orderFulfillmentStatus")
    return CanonicalOrder(
        channel=channel_id,
        external_id=order.text("orderId"),
        number=order.text("orderId"),
        created_at=order.timestamp("creationDate"),
        currency=currency,
        customer=_customer(order, ship_to),
        ship_to=_address(ship_to) if ships else None,
        lines=tuple(_line(item, currency, cancelled=cancelled, ships=ships) for item in items),
        service_level=service_level_from_text(
            step.maybe_text("shippingServiceCode") if step else None
        ),
        notes=order.maybe_text("buyerCheckoutNotes"),
        status=CANCELLED if cancelled else OPEN,
        raw_status=fulfillment_status if cancel_state in (None, "NONE_REQUESTED") else cancel_state,
    )


def _line(item: Node, currency: str, *, cancelled: bool, ships: bool) -> CanonicalLine:
    ordered = item.count("quantity")
    cost = _amount(item.child("lineItemCost"), currency)
    discounted = item.maybe_child("discountedLineItemCost")
    if discounted is not None:
        discount = cost - _amount(discounted, currency)
    else:
        discount = sum(
            (
                _amount(promotion.child("discountAmount"), currency)
                for promotion in item.children("appliedPromotions")
            ),
            ZERO,
        )
    tax = sum(
        (
            _amount(levy.child("amount"), currency)
            for key in ("taxes", "ebayCollectAndRemitTaxes")
            for levy in item.children(key)
        ),
        ZERO,
    )
    refunded = sum((_amount(r.child("amount"), currency) for r in item.children("refunds")), ZERO)
    fully_refunded = refunded > 0 and refunded >= cost - discount
    return CanonicalLine(
        external_line_id=item.text("lineItemId"),
        sku=item.maybe_text("sku"),
        title=item.text("title"),
        quantity=0 if cancelled or fully_refunded else ordered,
        ordered_quantity=ordered,
        unit_price=unit_price(cost, ordered),
        discount=discount,
        tax=tax,
        requires_shipping=ships,
    )


def _currency(order: Node, items: list[Node]) -> str:
    summary = order.maybe_child("pricingSummary")
    total = summary.maybe_child("total") if summary else None
    if total is not None:
        return total.currency("currency")
    if items:
        return items[0].child("lineItemCost").currency("currency")
    raise order.error("pricingSummary", "is missing, and no line has a cost to take it from")


def _amount(amount: Node, currency: str) -> Decimal:
    amount.check_currency("currency", currency)
    return amount.decimal("value")


def _customer(order: Node, ship_to: Node | None) -> Customer | None:
    buyer = order.maybe_child("buyer")
    registration = buyer.maybe_child("buyerRegistrationAddress") if buyer else None
    phone = ship_to.maybe_child("primaryPhone") if ship_to else None
    return customer(
        email=(ship_to.maybe_text("email") if ship_to else None)
        or (registration.maybe_text("email") if registration else None),
        name=(registration.maybe_text("fullName") if registration else None)
        or (ship_to.maybe_text("fullName") if ship_to else None),
        phone=phone.maybe_text("phoneNumber") if phone else None,
        external_id=buyer.maybe_text("username") if buyer else None,
    )


def _address(ship_to: Node | None) -> Address | None:
    if ship_to is None:
        return None
    contact = ship_to.child("contactAddress")
    return Address(
        country=contact.country("countryCode"),
        name=ship_to.maybe_text("fullName") or ship_to.maybe_text("companyName"),
        line1=contact.maybe_text("addressLine1"),
        line2=contact.maybe_text("addressLine2"),
        city=contact.maybe_text("city"),
        region=contact.maybe_text("stateOrProvince"),
        postal_code=contact.maybe_text("postalCode"),
    )
