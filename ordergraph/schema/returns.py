"""GraphQL types and inputs for returns and refunds (API.md names)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import strawberry

from ordergraph.domain.returns import Disposition as DomainDisposition
from ordergraph.domain.returns import ReturnStatus as DomainReturnStatus
from ordergraph.schema.context import Info
from ordergraph.schema.errors import UserError
from ordergraph.schema.orders import Order, OrderLineQuantity
from ordergraph.schema.types import Location

Disposition = strawberry.enum(DomainDisposition, name="Disposition")
ReturnStatus = strawberry.enum(DomainReturnStatus, name="ReturnStatus")


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
    disposition: Disposition  # type: ignore[valid-type]
    at: datetime


@strawberry.type
class Return:
    id: strawberry.ID
    order_id: strawberry.Private[str]
    location_id: strawberry.Private[str]
    status: ReturnStatus  # type: ignore[valid-type]
    lines: list[OrderLineQuantity]
    received: list[ReceivedLine]
    reason: str | None
    created_at: datetime
    refund: Refund | None

    @strawberry.field
    async def order(self, info: Info) -> Order:
        rec = await info.context.loaders.order.load(self.order_id)
        assert rec is not None
        return Order.from_record(rec)

    @strawberry.field
    async def location(self, info: Info) -> Location:
        rec = await info.context.loaders.location.load(self.location_id)
        return Location.from_record(rec or {"id": self.location_id})

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Return:
        received = json.loads(rec.get("received") or "[]")
        return cls(
            id=strawberry.ID(rec["id"]),
            order_id=rec["orderId"],
            location_id=rec["locationId"],
            status=DomainReturnStatus(rec["status"]),
            lines=[
                OrderLineQuantity(sku=strawberry.ID(li["sku"]), quantity=int(li["quantity"]))
                for li in json.loads(rec["lines"])
            ],
            received=[
                ReceivedLine(
                    sku=strawberry.ID(r["sku"]),
                    quantity=int(r["quantity"]),
                    disposition=DomainDisposition(r["disposition"]),
                    at=datetime.fromisoformat(r["at"]),
                )
                for r in received
            ],
            reason=rec.get("reason"),
            created_at=datetime.fromisoformat(rec["createdAt"]),
            refund=Refund(
                amount=rec.get("refundAmount") or "0",
                currency=rec.get("refundCurrency"),
                status=rec.get("refundStatus") or "NONE",
            )
            if received
            else None,
        )


@strawberry.input
class ReturnReceiveLineInput:
    sku: strawberry.ID
    quantity: int
    disposition: Disposition  # type: ignore[valid-type]


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
