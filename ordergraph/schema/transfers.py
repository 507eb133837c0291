"""GraphQL types of transfers (docs/transfers.md): transfer lanes and receiving a transfer."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import strawberry

from ordergraph.schema.errors import UserError
from ordergraph.schema.inputs import LaneInput
from ordergraph.schema.lifecycle import FulfillmentPayload


@strawberry.input(
    description="A transfer lane from a location to a pickup store: its own transit days and, "
    "optionally, its own cut-off at the source (the source's when null)."
)
class TransferLaneInput:
    from_: strawberry.ID = strawberry.field(name="from")
    to: strawberry.ID
    transit_days: int
    base_cost: float
    cost_per_kg: float = 0.0
    carrier: str = "TRANSFER"
    service: str = "TRANSFER"
    cutoff: str | None = None

    FIELDS: ClassVar[dict[str, str]] = {**LaneInput.FIELDS, "cutoff": "cutoff"}


@strawberry.type
class TransferLane:
    from_: strawberry.ID = strawberry.field(name="from")
    to: strawberry.ID
    carrier: str
    service: str
    transit_days: int
    base_cost: float
    cost_per_kg: float
    cutoff: str | None


@strawberry.type
class TransferLaneUpsertPayload:
    transfer_lane: TransferLane | None
    user_errors: list[UserError]


@strawberry.input
class TransferReceiveInput:
    fulfillment_id: strawberry.ID
    received_at: datetime | None = None


@strawberry.type
class TransferReceivePayload(FulfillmentPayload):
    pass
