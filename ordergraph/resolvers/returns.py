"""Root fields for returns: create (routed to the best return location), receive, read."""

from __future__ import annotations

import strawberry

from ordergraph.domain.errors import OrderGraphError
from ordergraph.domain.returns import Disposition
from ordergraph.schema.context import Info
from ordergraph.schema.errors import user_errors
from ordergraph.schema.permissions import principal
from ordergraph.schema.returns import (
    Return,
    ReturnCreateInput,
    ReturnCreatePayload,
    ReturnReceiveInput,
    ReturnReceivePayload,
    readable_return,
)
from ordergraph.services import labels, picking, returns
from ordergraph.services.carrier_rates import carrier_accounts


async def _return(info: Info, return_id: str) -> Return | None:
    """Every return a caller gets passes the object check of ``readable_return``."""
    return await readable_return(info, await returns.find_return(info.context.store, return_id))


@strawberry.type
class ReturnQuery:
    @strawberry.field(name="return", description="A return by its id.")
    async def return_(self, info: Info, id: strawberry.ID) -> Return | None:
        return await _return(info, str(id))


@strawberry.type
class ReturnMutation:
    @strawberry.mutation(
        description="Ask to return shipped units; routed to the best return location. With a "
        "carrier account, buys the return label (trackingNumber, labelUrl on the Return)."
    )
    async def return_create(self, info: Info, input: ReturnCreateInput) -> ReturnCreatePayload:
        try:
            return_id, label_error = await labels.create_return_labelled(
                info.context.store,
                carrier_accounts(info.context.settings),
                str(input.order_id),
                [(str(ln.sku), ln.quantity) for ln in input.lines],
                input.reason,
                None if input.drop_off_at is None else str(input.drop_off_at),
            )
        except OrderGraphError as exc:
            return ReturnCreatePayload(return_=None, user_errors=user_errors(exc))
        info.context.loaders.changed()  # the answer is read after the change
        return ReturnCreatePayload(
            return_=await _return(info, return_id),
            user_errors=[] if label_error is None else user_errors(label_error),
        )

    @strawberry.mutation(
        description="Receive returned units: restock, damaged or refurbish; records the refund."
    )
    async def return_receive(self, info: Info, input: ReturnReceiveInput) -> ReturnReceivePayload:
        try:
            await picking.receive_at(  # a partner receives only returns coming to its locations
                info.context.store,
                principal(info),
                str(input.return_id),
                [
                    (
                        str(ln.sku),
                        ln.quantity,
                        Disposition(
                            ln.disposition.value
                            if hasattr(ln.disposition, "value")
                            else ln.disposition
                        ),
                    )
                    for ln in input.lines
                ],
            )
        except OrderGraphError as exc:
            return ReturnReceivePayload(return_=None, user_errors=user_errors(exc))
        info.context.loaders.changed()
        return ReturnReceivePayload(
            return_=await _return(info, str(input.return_id)), user_errors=[]
        )
