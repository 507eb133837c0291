"""One order as a caller may see it: "where is my order?" for assistants and support bots.

The object check is the one GraphQL applies (``Principal.order_access``: channel, fulfillment
locations, personal data). A storefront key speaks for whoever is typing, so it must also prove
the order is the shopper's (the postal code it ships to, ``domain.access.proves_order``) before
anything of it is shown; a wrong proof answers exactly as an unknown order, so a guess learns
nothing of whether the order exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordergraph.domain.access import Principal, proves_order
from ordergraph.domain.errors import ErrorCode, NotFound, OrderGraphError, ValidationError
from ordergraph.domain.keys import channel_external_id
from ordergraph.graph import orders as reads
from ordergraph.graph.records.orders import FulfillmentRecord, LineRecord, OrderRecord
from ordergraph.graph.store import GraphStore


@dataclass(frozen=True)
class OrderView:
    order: OrderRecord
    lines: tuple[LineRecord, ...]
    fulfillments: tuple[FulfillmentRecord, ...]  # those this caller may see
    personal: bool  # the caller sees the ship-to


class ProofNeeded(OrderGraphError):
    pass


def _unknown(order_id: str | None) -> NotFound:
    what = f"order {order_id}" if order_id else "order"
    return NotFound(
        f"no {what} matches what was given (check the order number and the postal code)",
        ("order_id",),
    )


async def order_id_of(
    store: GraphStore,
    who: Principal,
    order_id: str | None,
    channel: str | None,
    external_id: str | None,
) -> str:
    """The order id named by its id, or by its channel and the channel's id for it."""
    if order_id:
        return order_id
    if not channel or not external_id:
        raise ValidationError("give order_id, or channel and external_id", field=("order_id",))
    if who.limited_to_channels(channel):
        raise ValidationError(
            f"this API key may not use channel {channel}", ErrorCode.FORBIDDEN, ("channel",)
        )
    found = await reads.order_ids_by(store, None, channel_external_id(channel, external_id))
    if found is None:
        raise _unknown(None)
    return found


async def order_view(
    store: GraphStore, who: Principal, order_id: str, postal_code: str | None
) -> OrderView:
    """The order as ``who`` may see it; ``NotFound`` when it may not (or the proof is wrong)."""
    if who.needs_proof() and not postal_code:
        raise ProofNeeded(
            "to look up an order for a shopper, give the postal code it ships to "
            "(verification.postal_code)",
            ErrorCode.FORBIDDEN,
            ("verification",),
        )
    (rec,) = await reads.orders_by_id(store, [order_id])
    if rec is None:
        raise _unknown(order_id)
    (lines,) = await reads.lines_by_order(store, [order_id])
    (fulfillments,) = await reads.fulfillments_by_order(store, [order_id])
    personal = who.order_access(
        rec.channel, [(f.location_id, f.status.value) for f in fulfillments]
    )
    if personal is None:
        raise _unknown(order_id)
    if who.needs_proof() and not proves_order(
        postal_code, None if rec.ship_to is None else rec.ship_to.postal_code
    ):
        raise _unknown(order_id)
    seen = tuple(f for f in fulfillments if who.sees_fulfillment_at(f.location_id))
    return OrderView(rec, tuple(lines), seen, personal)
