"""The policy of actions a shopper asks for through an assistant (the MCP tools): narrower than
what a back-office key may do, so that a chat can never undo work a store or warehouse started.

- units can be cancelled only while every fulfillment shipping that SKU is still OPEN (not
  released to the floor): after release, it is the location's to stop, not the shopper's;
- a pickup order's store can be changed while nothing of it is released, to another pickup
  store; an order shipped to an address has no pickup store to change.

Every action records who asked (``actor``): the API key's id, its role and the entry point.
"""

from __future__ import annotations

from collections.abc import Sequence

from ordergraph.domain.errors import InvalidTransition, ValidationError
from ordergraph.domain.lifecycle import OrderState
from ordergraph.domain.orders import FulfillmentStatus as F

VIA_MCP = "mcp"


def actor(
    key_id: str, role: str, via: str = VIA_MCP, idempotency_key: str | None = None
) -> dict[str, str]:
    """Who asked for a change, as its events record it (payload ``by``)."""
    who = {"keyId": key_id, "role": role, "via": via}
    if idempotency_key is not None:
        who["idempotencyKey"] = idempotency_key
    return who


def check_cancel_before_release(state: OrderState, lines: Sequence[tuple[str, int]] | None) -> None:
    skus = {sku for sku, _ in lines} if lines is not None else {ln.sku for ln in state.lines}
    by_id = {line.id: line.sku for line in state.lines}
    for f in state.fulfillments:
        ships = {by_id.get(line_id) for line_id, n in f.ships.items() if n > 0}
        if f.status in (F.RELEASED, F.SHIPPED, F.DELIVERED) and ships & skus:
            raise InvalidTransition(
                f"order {state.id} cannot be cancelled here: fulfillment {f.id} was already "
                f"{f.status.value.lower()} at its location; ask the store or contact support",
                ("orderId",),
            )


def check_pickup_change(state: OrderState, store_id: str) -> None:
    if state.terms.pickup_at is None:
        raise ValidationError(
            f"order {state.id} ships to an address; it has no pickup store to change",
            field=("orderId",),
        )
    if state.terms.pickup_at == store_id:
        raise ValidationError(
            f"order {state.id} is already picked up at {store_id}", field=("store",)
        )
    for f in state.fulfillments:
        if f.status not in (F.OPEN, F.REJECTED, F.CANCELLED, F.AWAITING_TRANSFER):
            raise InvalidTransition(
                f"order {state.id} cannot move to another store: fulfillment {f.id} is already "
                f"{f.status.value.lower()}",
                ("orderId",),
            )


def explain_status(
    status: str,
    promised_by: str | None,
    shipments: Sequence[tuple[str, str, str | None, str | None, str | None]],
    backordered: Sequence[tuple[str, int]],
    pickup_at: str | None,
) -> list[str]:
    """An order's state in plain words: ``shipments`` are (location, status, carrier,
    tracking number, estimated delivery), only the live ones; ``backordered`` (sku, units)."""
    words = [f"The order is {status.lower().replace('_', ' ')}."]
    if promised_by:
        words.append(f"It is promised by {promised_by}.")
    if len(shipments) > 1:
        places = ", ".join(sorted({s[0] for s in shipments}))
        words.append(
            f"It comes in {len(shipments)} shipments (from {places}): no single location "
            "held every item, or splitting was faster or cheaper."
        )
    for location, state, carrier, tracking, eta in shipments:
        if tracking:
            words.append(
                f"The parcel from {location} is {state.lower()} with {carrier or 'the carrier'}, "
                f"tracking {tracking}" + (f", expected {eta}." if eta else ".")
            )
        elif pickup_at:
            words.append(f"Items from {location} are {state.lower()} for pickup at {pickup_at}.")
        else:
            words.append(
                f"The shipment from {location} is {state.lower()}"
                + (f", expected {eta}." if eta else ".")
            )
    for sku, units in backordered:
        words.append(
            f"{units} unit(s) of {sku} are waiting for stock (backordered): they ship as soon as "
            "stock arrives, which can delay the order."
        )
    return words
