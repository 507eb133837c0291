"""GraphQL types of re-optimisation (issue #18, docs/allocation.md)."""

from __future__ import annotations

import strawberry

from ordergraph.schema.errors import UserError


@strawberry.input(
    description="Re-plan the open (not yet released) fulfillments of one channel's orders, or "
    "every channel's, jointly; apply a change only when it saves more than the threshold."
)
class AllocationReoptimiseInput:
    channel: strawberry.ID | None = None
    threshold: float = strawberry.field(
        description="The least saving (in the network's cost unit) a change must make."
    )
    limit: int = strawberry.field(default=200, description="Orders considered, 1 to 500.")


@strawberry.type(description="One order re-planned: why, and what it saves.")
class AllocationChange:
    order_id: strawberry.ID
    reason: str
    saving: float
    cost_before: float
    cost_after: float


@strawberry.type
class AllocationReoptimisePayload:
    considered: int = strawberry.field(description="Orders whose fulfillments were all open.")
    changes: list[AllocationChange]
    saving: float
    left_alone: int = strawberry.field(
        description="Planned changes not made: the order or its stock moved before the write, "
        "or the change needed units another order holds."
    )
    user_errors: list[UserError]
