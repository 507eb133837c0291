"""GraphQL types for webhook subscriptions and their dead letters (live events reuse OrderEvent)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from ordergraph.graph.records.events import DeliveryRecord, SubscriptionRecord
from ordergraph.schema.errors import UserError
from ordergraph.schema.types import Connection
from ordergraph.services.events import shown_url


@strawberry.type(description="An endpoint that receives order events. Its secret is never shown.")
class WebhookSubscription:
    id: strawberry.ID
    url: str
    event_types: list[str] = strawberry.field(description="Empty: every event type.")
    active: bool
    description: str | None
    created_at: datetime = strawberry.field(
        description="Only events created from this instant on are sent to it."
    )

    @classmethod
    def from_record(cls, rec: SubscriptionRecord) -> WebhookSubscription:
        return cls(
            id=strawberry.ID(rec.id),
            url=shown_url(rec.url),
            event_types=list(rec.event_types),
            active=rec.active,
            description=rec.description,
            created_at=rec.created_at,
        )


@strawberry.input
class WebhookSubscriptionCreateInput:
    url: str = strawberry.field(description="An http(s) URL that answers 2xx to acknowledge.")
    event_types: list[str] | None = strawberry.field(
        default=None, description="Event types to send (e.g. OrderCreated); empty or null: all."
    )
    secret: str = strawberry.field(
        description="At least 16 characters; signs every delivery (X-OrderGraph-Signature)."
    )
    description: str | None = None


@strawberry.type
class WebhookSubscriptionCreatePayload:
    subscription: WebhookSubscription | None
    user_errors: list[UserError]


@strawberry.input
class WebhookSubscriptionDeleteInput:
    id: strawberry.ID


@strawberry.type
class WebhookSubscriptionDeletePayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type(
    description="A delivery that failed every attempt; replay it once the endpoint is fixed."
)
class WebhookDeadLetter:
    id: strawberry.ID = strawberry.field(
        description="The delivery: `<subscription id>|<event id>`."
    )
    event_id: strawberry.ID
    order_id: strawberry.ID | None
    type: str = strawberry.field(description="The event's type.")
    sequence: int
    subscription_id: strawberry.ID
    attempts: int
    last_error: str | None
    last_status_code: int | None
    last_attempt_at: datetime | None

    @classmethod
    def from_record(cls, rec: DeliveryRecord) -> WebhookDeadLetter:
        return cls(
            id=strawberry.ID(rec.id),
            event_id=strawberry.ID(rec.event_id),
            order_id=None if rec.order_id is None else strawberry.ID(rec.order_id),
            type=rec.event_type,
            sequence=rec.sequence,
            subscription_id=strawberry.ID(rec.subscription_id),
            attempts=rec.attempts,
            last_error=rec.last_error,
            last_status_code=rec.last_status_code,
            last_attempt_at=rec.last_attempt_at,
        )


@strawberry.type
class WebhookDeadLetterConnection(Connection[WebhookDeadLetter]):
    pass


@strawberry.input
class WebhookDeadLetterReplayInput:
    ids: list[strawberry.ID] = strawberry.field(description="Dead letter ids, at most 100.")


@strawberry.type
class WebhookDeadLetterReplayPayload:
    replayed: list[strawberry.ID] = strawberry.field(
        description="Queued again with a fresh set of attempts (outside their order's sequence)."
    )
    user_errors: list[UserError]
