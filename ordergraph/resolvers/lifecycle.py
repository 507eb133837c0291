"""Mutations that move orders and fulfillments through their lifecycle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from ordergraph.domain.errors import NotFound, OrderGraphError
from ordergraph.domain.lifecycle import Change
from ordergraph.domain.picking import ShortReason
from ordergraph.graph import lifecycle as graph_lifecycle
from ordergraph.graph.store import GraphStore
from ordergraph.schema.context import Info
from ordergraph.schema.errors import ErrorCode, UserError, user_errors
from ordergraph.schema.inputs import OrderLineQuantityInput
from ordergraph.schema.lifecycle import (
    BackordersAllocatePayload,
    FulfillmentDeliverInput,
    FulfillmentDeliverPayload,
    FulfillmentRejectInput,
    FulfillmentRejectPayload,
    FulfillmentReleaseInput,
    FulfillmentReleasePayload,
    FulfillmentShipInput,
    FulfillmentShipPayload,
    FulfillmentShortPickInput,
    FulfillmentShortPickPayload,
    OrderCancelInput,
    OrderCancelPayload,
    OrderUpdateInput,
    OrderUpdatePayload,
)
from ordergraph.schema.order_inputs import to_address
from ordergraph.schema.orders import Fulfillment, Order, readable_order_by_id
from ordergraph.schema.permissions import principal
from ordergraph.services import labels, lifecycle, picking
from ordergraph.services.carrier_rates import carrier_accounts


async def _order(info: Info, order_id: str) -> Order | None:
    return await readable_order_by_id(info, order_id)  # the object check of order(id)


async def _fulfillment(info: Info, order_id: str, fulfillment_id: str) -> Fulfillment | None:
    for rec in await info.context.loaders.fulfillments.load(order_id):
        if rec.id == fulfillment_id:
            return Fulfillment.from_record(rec)
    return None


async def _run(info: Info, work: Awaitable[Change]) -> tuple[Change | None, list[UserError]]:
    try:
        return await work, []
    except OrderGraphError as exc:
        return None, user_errors(exc)
    finally:
        info.context.loaders.changed()  # the answer is read after the change


def _quantities(lines: list[OrderLineQuantityInput] | None) -> list[tuple[str, int]] | None:
    """The (sku, quantity) pairs of an input's optional line list."""
    return None if lines is None else [(str(x.sku), x.quantity) for x in lines]


P = TypeVar("P")
Work = Callable[[GraphStore, str], Awaitable[Change]]  # a use case on one fulfillment


async def _order_payload(info: Info, cls: Callable[..., P], work: Awaitable[Change]) -> P:
    """The payload of a change to an order: the order as this key reads it after, or errors."""
    change, errors = await _run(info, work)
    return cls(
        order=None if change is None else await _order(info, change.order_id), user_errors=errors
    )


async def fulfillment_payload(
    info: Info,
    cls: Callable[..., P],
    fulfillment_id: strawberry.ID,
    work: Work,
    *,
    acting: Callable[[GraphStore, str], Awaitable[str | None]] = (
        graph_lifecycle.fulfillment_location
    ),
) -> P:
    """Run ``work`` on a fulfillment the key may act on (at its ``acting`` location: where it
    ships from, unless told otherwise); the payload has the order and the fulfillment as they
    are after, or the errors."""
    store, fid = info.context.store, str(fulfillment_id)

    async def checked() -> Change:
        location = await acting(store, fid)
        if location is not None and not principal(info).may_act_at(location):
            # answered as if it did not exist: a partner learns nothing of another location's
            # fulfillments (not that the id exists, nor where)
            raise NotFound(f"no fulfillment {fid}", ("fulfillmentId",))
        return await work(store, fid)

    change, errors = await _run(info, checked())
    if change is None:
        return cls(order=None, fulfillment=None, user_errors=errors)
    return cls(
        order=await _order(info, change.order_id),
        fulfillment=await _fulfillment(info, change.order_id, fid),
        user_errors=[],
    )


@strawberry.type
class LifecycleMutation:
    @strawberry.mutation(
        description="Cancel a whole order, or units of its lines; releases their stock."
    )
    async def order_cancel(self, info: Info, input: OrderCancelInput) -> OrderCancelPayload:
        lines = _quantities(input.lines)
        return await _order_payload(
            info,
            OrderCancelPayload,
            labels.cancel_order_voiding(
                info.context.store,
                carrier_accounts(info.context.settings),
                str(input.order_id),
                lines,
                input.reason,
            ),
        )

    @strawberry.mutation(description="Change quantities, address or service level before release.")
    async def order_update(self, info: Info, input: OrderUpdateInput) -> OrderUpdatePayload:
        quantities = _quantities(input.lines)
        return await _order_payload(
            info,
            OrderUpdatePayload,
            lifecycle.update_order(
                info.context.store,
                str(input.order_id),
                quantities=quantities,
                ship_to=to_address(input.ship_to),
                service_level=input.service_level,
            ),
        )

    @strawberry.mutation(description="Hand a fulfillment to its location to pick and pack.")
    async def fulfillment_release(
        self, info: Info, input: FulfillmentReleaseInput
    ) -> FulfillmentReleasePayload:
        return await fulfillment_payload(
            info, FulfillmentReleasePayload, input.fulfillment_id, lifecycle.release
        )

    @strawberry.mutation(
        description="The location cannot fulfil: re-route its lines, or backorder them."
    )
    async def fulfillment_reject(
        self, info: Info, input: FulfillmentRejectInput
    ) -> FulfillmentRejectPayload:
        return await fulfillment_payload(
            info,
            FulfillmentRejectPayload,
            input.fulfillment_id,
            lambda store, fid: lifecycle.reject(store, fid, input.reason),
        )

    @strawberry.mutation(
        description="Some units of a line were not found (or are damaged) at pick: only those "
        "are taken off the fulfillment, out of the location's reservation and on-hand, and "
        "re-routed without this location (or backordered); the rest stays."
    )
    async def fulfillment_short_pick(
        self, info: Info, input: FulfillmentShortPickInput
    ) -> FulfillmentShortPickPayload:
        async def short(store: GraphStore, fid: str) -> Change:
            outcome = await picking.short_pick(
                store, fid, str(input.sku), input.found, ShortReason(input.reason), input.expected
            )
            return outcome.change

        return await fulfillment_payload(
            info, FulfillmentShortPickPayload, input.fulfillment_id, short
        )

    @strawberry.mutation(
        description="Shipped, with tracking: consumes the reservation and the on-hand stock."
    )
    async def fulfillment_ship(
        self, info: Info, input: FulfillmentShipInput
    ) -> FulfillmentShipPayload:
        return await fulfillment_payload(
            info,
            FulfillmentShipPayload,
            input.fulfillment_id,
            lambda store, fid: labels.ship_labelled(
                store,
                carrier_accounts(info.context.settings),
                fid,
                input.tracking_number,
                input.carrier,
            ),
        )

    @strawberry.mutation(description="Delivered to the customer.")
    async def fulfillment_deliver(
        self, info: Info, input: FulfillmentDeliverInput
    ) -> FulfillmentDeliverPayload:
        return await fulfillment_payload(
            info,
            FulfillmentDeliverPayload,
            input.fulfillment_id,
            lambda store, fid: lifecycle.deliver(store, fid, input.delivered_at),
        )

    @strawberry.mutation(
        description="Allocate waiting backorders from available stock, oldest first (bounded)."
    )
    async def backorders_allocate(
        self, info: Info, skus: list[strawberry.ID] | None = None, limit: int = 50
    ) -> BackordersAllocatePayload:
        if not 0 < limit <= 500:
            return BackordersAllocatePayload(
                allocated_orders=[],
                user_errors=[
                    UserError(
                        field=["limit"],
                        code=ErrorCode.INVALID_INPUT,
                        message="limit must be 1 to 500",
                    )
                ],
            )
        try:
            served = await lifecycle.allocate_backorders(
                info.context.store, None if skus is None else [str(s) for s in skus], limit=limit
            )
        except OrderGraphError as exc:
            return BackordersAllocatePayload(allocated_orders=[], user_errors=user_errors(exc))
        return BackordersAllocatePayload(
            allocated_orders=[strawberry.ID(i) for i in served], user_errors=[]
        )
