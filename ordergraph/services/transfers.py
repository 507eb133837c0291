"""Transfers (docs/transfers.md): the store receives a TRANSFER, and its pickup is ready.

Placing, shipping, rejecting and cancelling a transfer are the ordinary use cases
(``services.orders``, ``services.lifecycle``): a TRANSFER is a fulfillment. Receiving is its
own: the units go on hand at the store and are held there for the pickup in the same guarded
statement that moves the transfer to DELIVERED and the pickup to OPEN.
"""

from __future__ import annotations

from datetime import datetime

from ordergraph.domain import lifecycle as lc
from ordergraph.domain.errors import ValidationError
from ordergraph.graph import lifecycle as q
from ordergraph.graph.store import GraphStore
from ordergraph.services.lifecycle import order_of_fulfillment, run


async def receive(
    store: GraphStore,
    fulfillment_id: str,
    received_at: datetime | None = None,
    *,
    now: datetime | None = None,
) -> lc.Change:
    """The pickup store received the shipped TRANSFER ``fulfillment_id``."""
    if received_at is not None and received_at.tzinfo is None:
        raise ValidationError("receivedAt needs a time zone", field=("receivedAt",))
    order_id = await order_of_fulfillment(store, fulfillment_id)

    async def decide(state: lc.OrderState, at: datetime) -> lc.Change:
        change = lc.receive(state, fulfillment_id, received_at or at)
        # the store may never have held the SKU: its position exists before the guard locks it
        await q.ensure_positions(store, [(s.location, s.sku) for s in change.stock])
        return change

    return await run(store, order_id, decide, now)
