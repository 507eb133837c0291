"""Root fields of inbound supply: the ``inbound`` list, ``inboundUpsert`` and ``inboundReceive``."""

from __future__ import annotations

import strawberry

from ordergraph.resolvers.catalog import _page_args
from ordergraph.resolvers.network import attempt
from ordergraph.schema.context import Info
from ordergraph.schema.inbound import (
    Inbound,
    InboundConnection,
    InboundReceiveInput,
    InboundReceivePayload,
    InboundUpsertInput,
    InboundUpsertPayload,
)
from ordergraph.schema.permissions import require_location
from ordergraph.schema.problems import raise_as_graphql
from ordergraph.schema.types import StockLevel, connection
from ordergraph.services import inbound


def _opt(value: strawberry.ID | None) -> str | None:
    return None if value is None else str(value)


@strawberry.type
class InboundQuery:
    @strawberry.field(description="Inbound lines ordered by id; filter by location and SKU.")
    async def inbound(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        location: strawberry.ID | None = None,
        sku: strawberry.ID | None = None,
    ) -> InboundConnection:
        size, key = _page_args(first, after)
        with raise_as_graphql():
            rows = await inbound.inbound_page(
                info.context.store, first=size, after=key, location=_opt(location), sku=_opt(sku)
            )
        return connection(InboundConnection, rows, size, lambda r: r.id, Inbound.from_record)


@strawberry.type
class InboundMutation:
    @strawberry.mutation(
        description="Create an inbound line or move its quantity or expected date "
        "(a moved date appends inbound.expected_date_changed)."
    )
    async def inbound_upsert(self, info: Info, input: InboundUpsertInput) -> InboundUpsertPayload:
        change = inbound.InboundChange(
            id=str(input.id),
            location=_opt(input.location),
            sku=_opt(input.sku),
            quantity=input.quantity,
            expected_at=input.expected_at,
            kind=None if input.kind is None else input.kind.value,
        )
        rec, errors = await attempt(
            inbound.upsert_inbound(
                info.context.store,
                change,
                may_act_at=lambda location: require_location(info, location, ("location",)),
            )
        )
        return InboundUpsertPayload(
            inbound=None if rec is None else Inbound.from_record(rec), user_errors=errors
        )

    @strawberry.mutation(
        description="Receive units of an inbound line into on-hand at its location (partial "
        "receipts are fine; more than is still to arrive is refused)."
    )
    async def inbound_receive(
        self, info: Info, input: InboundReceiveInput
    ) -> InboundReceivePayload:
        receipt, errors = await attempt(
            inbound.receive_inbound(
                info.context.store,
                str(input.id),
                input.quantity,
                may_act_at=lambda location: require_location(info, location, ("id",)),
            )
        )
        if receipt is None:
            return InboundReceivePayload(inbound=None, stock=None, user_errors=errors)
        return InboundReceivePayload(
            inbound=Inbound.from_record(receipt.inbound),
            stock=StockLevel.from_record(receipt.stock),
            user_errors=errors,
        )
