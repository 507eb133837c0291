"""GraphQL types for webhook subscriptions and their dead letters (live events reuse OrderEvent)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from ordergraph.schema.errors import UserError
from ordergraph.schema.types import Connection


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
    def from_record(cls, rec: dict[str, Any]) -> WebhookSubscription:
        return cls(
            id=strawberry.ID(rec["id"]),
            url=rec["url"],
            event_types=list(rec.get("eventTypes") or []),
            active=rec.get("active") is not False,
            description=rec.get("description"),
            created_at=datetime.fromisoformat(rec["createdAt"]),
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
    def from_record(cls, rec: dict[str, Any]) -> WebhookDeadLetter:
        order = rec.get("orderId")
        last = rec.get("lastAttemptAt")
        return cls(
            id=strawberry.ID(rec["id"]),
            event_id=strawberry.ID(rec["eventId"]),
            order_id=None if order is None else strawberry.ID(order),
            type=rec.get("eventType") or "",
            sequence=int(rec.get("sequence") or 0),
            subscription_id=strawberry.ID(rec["subscriptionId"]),
            attempts=int(rec.get("attempts") or 0),
            last_error=rec.get("lastError"),
            last_status_code=rec.get("lastStatusCode"),
            last_attempt_at=None if last is None else datetime.fromisoformat(last),
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
