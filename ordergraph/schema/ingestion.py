"""GraphQL types for ingestion: stored failures and their replay, and inventory reconciliation."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from ordergraph.graph.records.ingestion import IngestionFailureRecord
from ordergraph.schema.errors import UserError
from ordergraph.schema.types import Connection
from ordergraph.services.feeds import Discrepancy, Reconciliation, Shortfall
from ordergraph.services.ingestion import Outcome


@strawberry.enum(description="What became of a payload.")
class IngestionStatus(Enum):
    PLACED = "placed"
    DUPLICATE = "duplicate"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    IGNORED = "ignored"
    FAILED = "failed"
    NOT_FOUND = "not_found"


@strawberry.enum
class IngestionFailureStatus(Enum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


@strawberry.type
class HttpHeader:
    name: str
    value: str


@strawberry.type(
    description="A channel payload that could not become an order, kept as received "
    "until a replay succeeds."
)
class IngestionFailure:
    id: strawberry.ID
    channel: str = strawberry.field(description="The ingestion channel (shopify, x12, ...).")
    topic: str | None = strawberry.field(description="The webhook topic, if the channel sent one.")
    external_id: str | None = strawberry.field(description="The channel's order id, if read.")
    status: IngestionFailureStatus
    reason: str
    code: str = strawberry.field(
        description="An ErrorCode value (UNKNOWN_SKU, INVALID_INPUT, "
        "...), or INTERNAL for an unexpected fault (see the server log)."
    )
    attempts: int = strawberry.field(description="Deliveries and replays so far.")
    received_at: datetime
    last_attempt_at: datetime | None
    resolved_at: datetime | None
    order_ids: list[strawberry.ID] = strawberry.field(
        description="Orders placed from it (by the replay that resolved it, or before the failure)."
    )
    content_type: str | None
    headers: list[HttpHeader] = strawberry.field(description="The headers kept with the payload.")
    body: str = strawberry.field(description="The raw body (base64 when it was not UTF-8).")
    body_encoding: str

    @classmethod
    def from_record(cls, rec: IngestionFailureRecord) -> IngestionFailure:
        return cls(
            id=strawberry.ID(rec.id),
            channel=rec.channel,
            topic=rec.topic,
            external_id=rec.external_id,
            status=IngestionFailureStatus(rec.status),
            reason=rec.reason,
            code=rec.code,
            attempts=rec.attempts,
            received_at=rec.received_at,
            last_attempt_at=rec.last_attempt_at,
            resolved_at=rec.resolved_at,
            order_ids=[strawberry.ID(i) for i in rec.order_ids],
            content_type=rec.content_type,
            headers=[HttpHeader(name=k, value=v) for k, v in sorted(rec.headers.items())],
            body=rec.stored_body,
            body_encoding=rec.body_encoding,
        )


@strawberry.type
class IngestionFailureConnection(Connection[IngestionFailure]):
    pass


@strawberry.input
class IngestionReplayInput:
    ids: list[strawberry.ID] = strawberry.field(description="Failure ids, at most 100.")


@strawberry.type(description="What one replay did.")
class IngestionReplayResult:
    id: strawberry.ID
    status: IngestionStatus
    order_ids: list[strawberry.ID]
    reason: str | None
    code: str | None
    attempts: int | None
    acknowledgement: str | None = strawberry.field(
        description="X12: the 855 acknowledgement(s) of this run, to forward to the partner."
    )

    @classmethod
    def from_outcome(cls, failure_id: str, outcome: Outcome) -> IngestionReplayResult:
        return cls(
            id=strawberry.ID(failure_id),
            status=IngestionStatus(outcome.status),
            order_ids=[strawberry.ID(i) for i in outcome.order_ids],
            reason=outcome.reason,
            code=outcome.code,
            attempts=outcome.attempts,
            acknowledgement=outcome.reply,
        )


@strawberry.type
class IngestionReplayPayload:
    results: list[IngestionReplayResult]
    user_errors: list[UserError]


@strawberry.input
class InventorySnapshotRowInput:
    location: strawberry.ID
    sku: strawberry.ID
    on_hand: int
    safety_stock: int | None = None


@strawberry.enum
class DiscrepancyKind(Enum):
    ON_HAND_DIFFERS = "ON_HAND_DIFFERS"
    MISSING_IN_OMS = "MISSING_IN_OMS"
    MISSING_IN_FEED = "MISSING_IN_FEED"
    UNKNOWN_LOCATION = "UNKNOWN_LOCATION"
    UNKNOWN_SKU = "UNKNOWN_SKU"


@strawberry.type(description="A position where the feed and the OMS disagree.")
class StockDiscrepancy:
    kind: DiscrepancyKind
    location: strawberry.ID
    sku: strawberry.ID
    feed_on_hand: int | None = strawberry.field(description="Null: the feed does not list it.")
    oms_on_hand: int | None = strawberry.field(description="Null: the OMS has no such position.")
    difference: int = strawberry.field(description="Feed less OMS; a missing side counts as 0.")
    row: int | None = strawberry.field(description="The feed row (1 = the first).")

    @classmethod
    def of(cls, d: Discrepancy) -> StockDiscrepancy:
        return cls(
            kind=DiscrepancyKind(d.kind),
            location=strawberry.ID(d.location),
            sku=strawberry.ID(d.sku),
            feed_on_hand=d.feed_on_hand,
            oms_on_hand=d.oms_on_hand,
            difference=d.difference,
            row=d.row,
        )


@strawberry.type(description="A position whose new on-hand would not cover reserved + safety.")
class StockShortfall:
    location: strawberry.ID
    sku: strawberry.ID
    on_hand: int = strawberry.field(description="As the snapshot would set it.")
    reserved: int
    safety_stock: int
    shortfall: int
    row: int

    @classmethod
    def of(cls, s: Shortfall) -> StockShortfall:
        return cls(
            location=strawberry.ID(s.location),
            sku=strawberry.ID(s.sku),
            on_hand=s.on_hand,
            reserved=s.reserved,
            safety_stock=s.safety_stock,
            shortfall=s.shortfall,
            row=s.row,
        )


@strawberry.type(description="How a snapshot compares with the OMS; nothing is written.")
class InventoryReconciliation:
    rows: int
    matching: int = strawberry.field(description="Rows whose on-hand equals the OMS's.")
    discrepancies: list[StockDiscrepancy]
    shortfalls: list[StockShortfall]

    @classmethod
    def of(cls, r: Reconciliation) -> InventoryReconciliation:
        return cls(
            rows=r.rows,
            matching=r.matching,
            discrepancies=[StockDiscrepancy.of(d) for d in r.discrepancies],
            shortfalls=[StockShortfall.of(s) for s in r.shortfalls],
        )
