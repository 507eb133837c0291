"""Root fields for outbound events: webhook subscriptions, dead letters, live order events.

The webhook fields are admin-only (``domain/access.py`` lists them for no other role);
``orderEvents`` is for admin and integration keys, which may read every order.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from ordergraph.domain.access import Role, redact_event
from ordergraph.domain.errors import NotFound, OrderGraphError, ValidationError
from ordergraph.domain.keys import join_key, split_key
from ordergraph.graph import events as reads
from ordergraph.graph.records.events import DeliveryRecord
from ordergraph.resolvers.orders import visible_order
from ordergraph.schema.context import Info
from ordergraph.schema.errors import user_errors
from ordergraph.schema.events import (
    WebhookDeadLetter,
    WebhookDeadLetterConnection,
    WebhookDeadLetterReplayInput,
    WebhookDeadLetterReplayPayload,
    WebhookSubscription,
    WebhookSubscriptionCreateInput,
    WebhookSubscriptionCreatePayload,
    WebhookSubscriptionDeleteInput,
    WebhookSubscriptionDeletePayload,
)
from ordergraph.schema.limits import MAX_INPUT_LIST, page_size
from ordergraph.schema.orders import OrderEvent
from ordergraph.schema.permissions import Forbidden, principal
from ordergraph.schema.problems import raise_as_graphql
from ordergraph.schema.types import connection, decode_cursor
from ordergraph.services import apikeys, events


def _cursor(rec: DeliveryRecord) -> str:
    """The keyset of the dead letters' order, newest failure first (``reads.dead_letters``)."""
    return join_key(rec.last_attempt_at_ms or 0, rec.id)


@strawberry.type
class EventQuery:
    @strawberry.field(description="Every webhook subscription (admin). Secrets are never returned.")
    async def webhook_subscriptions(self, info: Info) -> list[WebhookSubscription]:
        rows = await reads.subscriptions(info.context.store)
        return [WebhookSubscription.from_record(r) for r in rows]

    @strawberry.field(description="Deliveries that failed every attempt, newest first (admin).")
    async def webhook_dead_letters(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> WebhookDeadLetterConnection:
        with raise_as_graphql():
            size = page_size(50 if first is None else first)
            key = None
            if after:
                at, delivery_id = split_key(decode_cursor(after))
                if not delivery_id or not at.isdigit():
                    raise ValueError(f"not a cursor this API gave out: {after!r}")
                key = (int(at), delivery_id)
        rows = await reads.dead_letters(info.context.store, first=size, after=key)
        return connection(
            WebhookDeadLetterConnection, rows, size, _cursor, WebhookDeadLetter.from_record
        )


@strawberry.type
class EventMutation:
    @strawberry.mutation(
        description="Send order events to a URL, signed with a shared secret (admin)."
    )
    async def webhook_subscription_create(
        self, info: Info, input: WebhookSubscriptionCreateInput
    ) -> WebhookSubscriptionCreatePayload:
        try:
            rec = await events.create_subscription(
                info.context.store,
                input.url,
                input.secret,
                input.event_types,
                input.description,
                allow_private=info.context.settings.webhook_allow_private,
            )
        except OrderGraphError as exc:
            return WebhookSubscriptionCreatePayload(subscription=None, user_errors=user_errors(exc))
        return WebhookSubscriptionCreatePayload(
            subscription=WebhookSubscription.from_record(rec), user_errors=[]
        )

    @strawberry.mutation(
        description="Stop sending to a subscription and forget its deliveries (admin)."
    )
    async def webhook_subscription_delete(
        self, info: Info, input: WebhookSubscriptionDeleteInput
    ) -> WebhookSubscriptionDeletePayload:
        try:
            await events.delete_subscription(info.context.store, str(input.id))
        except OrderGraphError as exc:
            return WebhookSubscriptionDeletePayload(deleted_id=None, user_errors=user_errors(exc))
        return WebhookSubscriptionDeletePayload(deleted_id=input.id, user_errors=[])

    @strawberry.mutation(
        description="Send dead letters again, each with a fresh set of attempts (admin)."
    )
    async def webhook_dead_letter_replay(
        self, info: Info, input: WebhookDeadLetterReplayInput
    ) -> WebhookDeadLetterReplayPayload:
        try:
            replayed, problems = await events.replay_dead_letters(
                info.context.store, [str(i) for i in input.ids]
            )
        except OrderGraphError as exc:
            return WebhookDeadLetterReplayPayload(replayed=[], user_errors=user_errors(exc))
        return WebhookDeadLetterReplayPayload(
            replayed=[strawberry.ID(i) for i in replayed],
            user_errors=[e for p in problems for e in user_errors(p)],
        )


@strawberry.type
class EventSubscription:
    @strawberry.subscription(
        description="Order events as they are written, each once, oldest first: of one order "
        "(orderId) or of all orders, optionally of some types only."
    )
    async def order_events(
        self, info: Info, order_id: strawberry.ID | None = None, types: list[str] | None = None
    ) -> AsyncGenerator[OrderEvent, None]:
        since = events.now_ms()  # the window opens when the request arrives, not after the checks
        viewer = principal(info)
        personal = viewer.trusted()
        with raise_as_graphql():
            if types is not None and len(types) > MAX_INPUT_LIST:
                raise ValidationError(f"at most {MAX_INPUT_LIST} types", field=("types",))
            if order_id is not None:
                order = await visible_order(info, str(order_id))
                if order is None:
                    raise NotFound(f"no order {order_id!r}", ("orderId",))
                personal = not order.personal_data_redacted
            elif principal(info).role not in (Role.ADMIN, Role.INTEGRATION):
                raise Forbidden(
                    "this API key may follow the events of its own orders only; give orderId",
                    ("orderId",),
                )
        hub = info.context.extra.get("hub")  # one shared poll per process (services/live.py)
        stream = (
            hub.watch(
                order_id=None if order_id is None else str(order_id),
                types=types or None,
                since_ms=since,
            )
            if hub is not None
            else events.watch_events(
                info.context.store,
                order_id=None if order_id is None else str(order_id),
                types=types or None,
                poll_s=info.context.settings.webhook_poll_ms / 1000,
                since_ms=since,
            )
        )
        checked = time.monotonic()
        with raise_as_graphql():
            async for row in stream:
                if (
                    info.context.settings.auth
                    and time.monotonic() - checked > apikeys.CACHE_SECONDS
                ):
                    # a revoked key stops working within seconds: an open subscription too
                    if not await apikeys.key_active(info.context.store, viewer.key_id):
                        raise GraphQLError(
                            "this API key was revoked; the subscription ends",
                            extensions={"code": "UNAUTHENTICATED"},
                        )
                    checked = time.monotonic()
                if order_id is not None and not viewer.trusted():
                    # who sees the order's personal data is decided now, not when the stream
                    # opened (a partner that rejected its fulfillment no longer sees it)
                    info.context.loaders.changed()
                    now_seen = await visible_order(info, str(order_id))
                    if now_seen is None:
                        raise NotFound(f"no order {order_id!r}", ("orderId",))
                    personal = not now_seen.personal_data_redacted
                # the same view of each event as Order.events gives this key
                payload = redact_event(
                    row.payload,
                    viewer.sees_fulfillment_at,
                    personal,
                    routing=viewer.sees_routing(),
                )
                if payload is not None:
                    yield OrderEvent.from_record(row, payload)
