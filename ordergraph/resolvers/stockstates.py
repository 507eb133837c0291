"""The ``stockStateSet`` mutation: damaged and quality-control units of a stock position."""

from __future__ import annotations

import strawberry

from ordergraph.resolvers.network import at_location, attempt
from ordergraph.schema.context import Info
from ordergraph.schema.stockstates import StockStateSetInput, StockStateSetPayload
from ordergraph.schema.types import StockLevel
from ordergraph.services import stockstates


@strawberry.type
class StockStateMutation:
    @strawberry.mutation(
        description="Set the damaged and quality-control units of a position: counts beside "
        "on-hand, never part of it and never available."
    )
    async def stock_state_set(self, info: Info, input: StockStateSetInput) -> StockStateSetPayload:
        rec, errors = await attempt(
            at_location(info, str(input.location)),
            lambda: stockstates.set_stock_states(
                info.context.store,
                str(input.location),
                str(input.sku),
                input.damaged,
                input.quality_control,
            ),
        )
        return StockStateSetPayload(
            stock=None if rec is None else StockLevel.from_record(rec), user_errors=errors
        )
