"""GraphQL types of inbound supply: purchase-order and transfer lines, their inputs and
payloads (API.md names: ``inboundUpsert``, ``inboundReceive``)."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from ordergraph.graph.records.inbound import InboundRecord
from ordergraph.schema.errors import UserError
from ordergraph.schema.types import Connection, StockLevel


@strawberry.enum(description="What brings the units: a supplier's purchase order or a transfer.")
class InboundKind(Enum):
    PURCHASE_ORDER = "PURCHASE_ORDER"
    TRANSFER = "TRANSFER"


@strawberry.enum
class InboundStatus(Enum):
    OPEN = "OPEN"
    PARTIALLY_RECEIVED = "PARTIALLY_RECEIVED"
    RECEIVED = "RECEIVED"


@strawberry.type(
    description="A purchase-order or transfer line: units of one SKU on their way to a location."
)
class Inbound:
    id: strawberry.ID
    kind: InboundKind
    location_id: strawberry.ID = strawberry.field(name="location")
    sku: strawberry.ID
    quantity: int
    received: int
    preordered: int = strawberry.field(description="Units already sold as preorders.")
    to_receive: int = strawberry.field(description="Units still to arrive: quantity - received.")
    remaining: int = strawberry.field(
        description="Units neither received nor preordered: the inbound supply still to sell."
    )
    expected_at: date = strawberry.field(description="The location's local date they are due.")
    status: InboundStatus
    updated_at: str | None

    @classmethod
    def from_record(cls, rec: InboundRecord) -> Inbound:
        return cls(
            id=strawberry.ID(rec.id),
            kind=InboundKind(rec.kind),
            location_id=strawberry.ID(rec.location),
            sku=strawberry.ID(rec.sku),
            quantity=rec.quantity,
            received=rec.received,
            preordered=rec.preordered,
            to_receive=rec.to_receive,
            remaining=rec.remaining,
            expected_at=rec.expected_at,
            status=InboundStatus(rec.status.value),
            updated_at=rec.updated_at,
        )


@strawberry.type
class InboundConnection(Connection[Inbound]):
    pass


@strawberry.input(
    description="Create an inbound line, or move the quantity, expected date or kind of one "
    "(location and SKU are required for a new line and cannot change)."
)
class InboundUpsertInput:
    id: strawberry.ID
    location: strawberry.ID | None = None
    sku: strawberry.ID | None = None
    quantity: int | None = None
    expected_at: str | None = strawberry.field(
        default=None, description="ISO date, YYYY-MM-DD (a bad date is a userError)."
    )
    kind: InboundKind | None = None


@strawberry.input(description="Receive units of an inbound line into on-hand at its location.")
class InboundReceiveInput:
    id: strawberry.ID
    quantity: int


@strawberry.type
class InboundUpsertPayload:
    inbound: Inbound | None
    user_errors: list[UserError]


@strawberry.type
class InboundReceivePayload:
    inbound: Inbound | None
    stock: StockLevel | None = strawberry.field(
        description="The position the units were received into (after backorders took theirs)."
    )
    user_errors: list[UserError]
