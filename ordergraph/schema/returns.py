"""GraphQL types and inputs for returns and refunds (API.md names)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from ordergraph.domain.returns import Disposition as DomainDisposition
from ordergraph.domain.returns import ReturnStatus as DomainReturnStatus
from ordergraph.graph.records.returns import ReturnRecord
from ordergraph.schema.context import Info
from ordergraph.schema.errors import UserError
from ordergraph.schema.inputs import OrderLineQuantityInput
from ordergraph.schema.orders import (
    Order,
    OrderLineQuantity,
    line_quantities,
    readable_order_by_id,
)
from ordergraph.schema.types import Location, location_of

# strawberry.enum registers the GraphQL enum on the class and returns that class; the plain
# aliases below let mypy see types (a call's result is a variable to it, not a type).
strawberry.enum(DomainDisposition, name="Disposition")
strawberry.enum(DomainReturnStatus, name="ReturnStatus")
Disposition = DomainDisposition
ReturnStatus = DomainReturnStatus


@strawberry.type(
    description="What is owed back for a return's received units; the payment system settles it."
)
class Refund:
    amount: str = strawberry.field(description="Decimal string.")
    currency: str | None
    status: str


@strawberry.type
class ReceivedLine:
    sku: strawberry.ID
    quantity: int
    disposition: Disposition
    at: datetime


@strawberry.type
class Return:
    id: strawberry.ID
    order_id: strawberry.Private[str]
    parent: strawberry.Private[Order]
    location_id: strawberry.Private[str]
    status: ReturnStatus
    lines: list[OrderLineQuantity]
    received: list[ReceivedLine]
    reason: str | None
    created_at: datetime
    refund: Refund | None
    tracking_number: str | None = strawberry.field(
        default=None,
        description="The return label's tracking number, when a carrier account bought one.",
    )
    label_url: str | None = strawberry.field(
        default=None, description="The return label bought with returnCreate (carrier accounts)."
    )
    label_format: str | None = strawberry.field(
        default=None, description="The label's file type, as the carrier names it (image/png)."
    )

    @strawberry.field(description="The order, as this key sees it (checked with the return).")
    def order(self) -> Order:
        return self.parent

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return await location_of(info, self.location_id)

    @classmethod
    def from_record(cls, rec: ReturnRecord, order: Order) -> Return:
        """A return of ``order``, which the caller may read (``readable_return`` checks both)."""
        return cls(
            id=strawberry.ID(rec.id),
            order_id=rec.order_id,
            parent=order,
            location_id=rec.location_id,
            status=rec.status,
            lines=line_quantities((line.sku, line.quantity) for line in rec.lines),
            received=[
                ReceivedLine(
                    sku=strawberry.ID(unit.sku),
                    quantity=unit.quantity,
                    disposition=unit.disposition,
                    at=unit.at,
                )
                for unit in rec.received
            ],
            reason=rec.reason,
            created_at=rec.created_at,
            refund=Refund(
                amount=str(rec.refund_amount),
                currency=rec.refund_currency,
                status=rec.refund_status or "NONE",
            )
            if rec.received
            else None,
            tracking_number=rec.tracking_number,
            label_url=rec.label_url,
            label_format=rec.label_format,
        )


async def readable_return(info: Info, rec: ReturnRecord | None) -> Return | None:
    """A return if this key may read it: the same check as its order's, and for a partner key
    only a return to one of its locations. None otherwise (its existence is not revealed)."""
    if rec is None:
        return None
    order = await readable_order_by_id(info, rec.order_id)
    if order is None or not order.viewer.sees_fulfillment_at(rec.location_id):
        return None
    return Return.from_record(rec, order)


@strawberry.input
class ReturnReceiveLineInput:
    sku: strawberry.ID
    quantity: int
    disposition: Disposition


@strawberry.input
class ReturnReceiveInput:
    return_id: strawberry.ID
    lines: list[ReturnReceiveLineInput]


@strawberry.type
class ReturnPayload:
    return_: Return | None = strawberry.field(name="return")
    user_errors: list[UserError]


@strawberry.type
class ReturnCreatePayload(ReturnPayload):
    pass


@strawberry.type
class ReturnReceivePayload(ReturnPayload):
    pass


@strawberry.input
class ReturnCreateInput:
    order_id: strawberry.ID
    lines: list[OrderLineQuantityInput]
    reason: str | None = None
    drop_off_at: strawberry.ID | None = strawberry.field(
        default=None,
        description="Where the customer brings it (e.g. a store: buy online, return in store).",
    )
