"""Root field of the operations KPIs (ops and admin keys: domain/access.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from ordergraph.schema.context import Info
from ordergraph.schema.kpis import Kpis
from ordergraph.schema.problems import raise_as_graphql
from ordergraph.services import kpis


@strawberry.type
class KpiQuery:
    @strawberry.field(
        description="Operations KPIs of the orders placed in [from, to), of one channel when "
        "given (docs/kpis.md). A window spans at most 366 days."
    )
    async def kpis(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        channel: str | None = None,
    ) -> Kpis:
        with raise_as_graphql():
            found = await kpis.live_kpis(info.context.store, from_, to, channel)
        return Kpis.from_record(found)
