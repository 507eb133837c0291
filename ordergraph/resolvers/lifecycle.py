"""Mutations that move orders and fulfillments through their lifecycle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry

from ordergraph.domain.errors import OrderGraphError
from ordergraph.domain.lifecycle import Change
from ordergraph.schema.context import Info
from ordergraph.schema.errors import UserError, user_errors
from ordergraph.schema.inputs import AddressInput, OrderLineQuantityInput
from ordergraph.schema.order_inputs import to_address
from ordergraph.schema.orders import Fulfillment, Order, ServiceLevel
from ordergraph.schema.permissions import require_location
from ordergraph.services import asn, lifecycle


@strawberry.input
class OrderCancelInput:
    order_id: strawberry.ID
    lines: list[OrderLineQuantityInput] | None = strawberry.field(
        default=None, description="Units to cancel; none = the whole order."
    )
    reason: str | None = None


@strawberry.input
class OrderUpdateInput:
    order_id: strawberry.ID
    lines: list[OrderLineQuantityInput] | None = strawberry.field(
        default=None,
        description="New total quantity per SKU (lower cancels, higher backorders and routes).",
    )
    ship_to: AddressInput | None = None
    service_level: ServiceLevel | None = None  # type: ignore[valid-type]


@strawberry.input
class FulfillmentReleaseInput:
    fulfillment_id: strawberry.ID


@strawberry.input
class FulfillmentRejectInput:
    fulfillment_id: strawberry.ID
    reason: str | None = None


@strawberry.input
class FulfillmentShipInput:
    fulfillment_id: strawberry.ID
    carrier: str | None = None
    tracking_number: str


@strawberry.input
class FulfillmentDeliverInput:
    fulfillment_id: strawberry.ID
    delivered_at: datetime | None = None


@strawberry.type
class OrderCancelPayload:
    order: Order | None
    user_errors: list[UserError]


@strawberry.type
class OrderUpdatePayload:
    order: Order | None
    user_errors: list[UserError]


@strawberry.type
class FulfillmentPayload:
    order: Order | None
    fulfillment: Fulfillment | None
    user_errors: list[UserError]


@strawberry.type
class FulfillmentReleasePayload(FulfillmentPayload):
    pass


@strawberry.type
class FulfillmentRejectPayload(FulfillmentPayload):
    pass


@strawberry.type
class FulfillmentShipPayload(FulfillmentPayload):
    pass


@strawberry.type
class FulfillmentDeliverPayload(FulfillmentPayload):
    pass


@strawberry.type
class BackordersAllocatePayload:
    allocated_orders: list[strawberry.ID]
    user_errors: list[UserError]


async def _order(info: Info, order_id: str) -> Order | None:
    rec = await info.context.loaders.order.load(order_id)
    return Order.from_record(rec) if rec else None


async def _fulfillment(info: Info, order_id: str, fulfillment_id: str) -> Fulfillment | None:
    for rec in await info.context.loaders.fulfillments.load(order_id):
        if rec["id"] == fulfillment_id:
            return Fulfillment.from_record(rec)
    return None


async def _run(work: Awaitable[Change]) -> tuple[Change | None, list[UserError]]:
    try:
        return await work, []
    except OrderGraphError as exc:
        return None, user_errors(exc)


async def _fulfillment_payload(
    info: Info, cls: type, fid: str, work: Callable[[], Awaitable[Change]]
):  # type: ignore[no-untyped-def]
    async def checked() -> Change:
        rows = await info.context.store.read(
            "MATCH (f:Fulfillment {id: $id}) RETURN f.locationId AS location", {"id": fid}
        )
        if rows:
            require_location(info, rows[0]["location"], ("fulfillmentId",))
        return await work()

    change, errors = await _run(checked())
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
        lines = None if input.lines is None else [(str(l.sku), l.quantity) for l in input.lines]
        change, errors = await _run(
            lifecycle.cancel_order(info.context.store, str(input.order_id), lines, input.reason)
        )
        if change is not None:
            await lifecycle.allocate_backorders(
                info.context.store, sorted({r["sku"] for r in change.stock})
            )
        return OrderCancelPayload(
            order=None if change is None else await _order(info, change.order_id),
            user_errors=errors,
        )

    @strawberry.mutation(description="Change quantities, address or service level before release.")
    async def order_update(self, info: Info, input: OrderUpdateInput) -> OrderUpdatePayload:
        change, errors = await _run(
            lifecycle.update_order(
                info.context.store,
                str(input.order_id),
                quantities=None
                if input.lines is None
                else [(str(l.sku), l.quantity) for l in input.lines],
                ship_to=to_address(input.ship_to),
                service_level=input.service_level,
            )
        )
        return OrderUpdatePayload(
            order=None if change is None else await _order(info, change.order_id),
            user_errors=errors,
        )

    @strawberry.mutation(description="Hand a fulfillment to its location to pick and pack.")
    async def fulfillment_release(
        self, info: Info, input: FulfillmentReleaseInput
    ) -> FulfillmentReleasePayload:
        fid = str(input.fulfillment_id)
        return await _fulfillment_payload(
            info, FulfillmentReleasePayload, fid, lambda: lifecycle.release(info.context.store, fid)
        )

    @strawberry.mutation(
        description="The location cannot fulfil: re-route its lines, or backorder them."
    )
    async def fulfillment_reject(
        self, info: Info, input: FulfillmentRejectInput
    ) -> FulfillmentRejectPayload:
        fid = str(input.fulfillment_id)
        return await _fulfillment_payload(
            info,
            FulfillmentRejectPayload,
            fid,
            lambda: lifecycle.reject(info.context.store, fid, input.reason),
        )

    @strawberry.mutation(
        description="Shipped, with tracking: consumes the reservation and the on-hand stock."
    )
    async def fulfillment_ship(
        self, info: Info, input: FulfillmentShipInput
    ) -> FulfillmentShipPayload:
        fid = str(input.fulfillment_id)
        async def ship_then_notice() -> Change:
            change = await lifecycle.ship(info.context.store, fid, input.tracking_number,
                                          input.carrier)
            await asn.ship_notice(info.context.store, fid)  # X12 partners get their 856
            return change

        return await _fulfillment_payload(info, FulfillmentShipPayload, fid, ship_then_notice)

    @strawberry.mutation(description="Delivered to the customer.")
    async def fulfillment_deliver(
        self, info: Info, input: FulfillmentDeliverInput
    ) -> FulfillmentDeliverPayload:
        fid = str(input.fulfillment_id)
        return await _fulfillment_payload(
            info,
            FulfillmentDeliverPayload,
            fid,
            lambda: lifecycle.deliver(info.context.store, fid, input.delivered_at),
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
                        field=["limit"], code="INVALID_INPUT", message="limit must be 1 to 500"
                    )
                ],
            )  # type: ignore[arg-type]
        try:
            served = await lifecycle.allocate_backorders(
                info.context.store, None if skus is None else [str(s) for s in skus], limit=limit
            )
        except OrderGraphError as exc:
            return BackordersAllocatePayload(allocated_orders=[], user_errors=user_errors(exc))
        return BackordersAllocatePayload(
            allocated_orders=[strawberry.ID(i) for i in served], user_errors=[]
        )
