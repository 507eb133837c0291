"""Root field of re-optimisation: ``allocationReoptimise`` (ops and admin keys)."""

from __future__ import annotations

import strawberry

from ordergraph.domain.errors import OrderGraphError
from ordergraph.schema.allocation import (
    AllocationChange,
    AllocationReoptimiseInput,
    AllocationReoptimisePayload,
)
from ordergraph.schema.context import Info
from ordergraph.schema.errors import user_errors
from ordergraph.services import reoptimise


@strawberry.type
class AllocationMutation:
    @strawberry.mutation(
        description="Re-plan open allocations jointly (stock arrived closer, capacity freed, "
        "a cheaper consolidation) and apply what saves more than the threshold, each change "
        "through the guarded statements with an AllocationReoptimised event. docs/allocation.md"
    )
    async def allocation_reoptimise(
        self, info: Info, input: AllocationReoptimiseInput
    ) -> AllocationReoptimisePayload:
        try:
            report = await reoptimise.reoptimise(
                info.context.store,
                channel=None if input.channel is None else str(input.channel),
                threshold=input.threshold,
                limit=input.limit,
            )
        except OrderGraphError as exc:
            return AllocationReoptimisePayload(
                considered=0, changes=[], saving=0.0, left_alone=0, user_errors=user_errors(exc)
            )
        return AllocationReoptimisePayload(
            considered=report.considered,
            changes=[
                AllocationChange(
                    order_id=strawberry.ID(a.order_id),
                    reason=a.reason,
                    saving=a.saving,
                    cost_before=a.cost_before,
                    cost_after=a.cost_after,
                )
                for a in report.applied
            ],
            saving=report.saving,
            left_alone=report.left_alone,
            user_errors=[],
        )
