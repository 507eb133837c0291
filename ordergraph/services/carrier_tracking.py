"""Tracking back in (issue #17, docs/carriers.md): a carrier's tracking events applied to the
fulfillment that carries the tracking number.

Each carrier event is applied once (its id is kept on the fulfillment), under the order's
version, in one statement: the fulfillment's tracking status (failed attempts, exceptions and
returns to sender are flagged as its ``trackingException``, the exception queue), a
``fulfillment.tracking_updated`` event, and, when the carrier's ETA is later than the estimate,
the moved estimate and promise with one ``order.promise_changed`` event (``domain.tracking``).
Delivered goes through the existing deliver use case.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from ordergraph.connectors.carriers.port import TrackingEvent, TrackingStatus
from ordergraph.domain.errors import ErrorCode, OrderGraphError
from ordergraph.domain.events import encode
from ordergraph.domain.orders import FulfillmentStatus
from ordergraph.domain.tracking import move_promise
from ordergraph.graph import tracking as q
from ordergraph.graph.records.tracking import TrackingWrite
from ordergraph.graph.store import GraphStore
from ordergraph.services import lifecycle

EXCEPTIONS = frozenset(
    {TrackingStatus.FAILED_ATTEMPT, TrackingStatus.EXCEPTION, TrackingStatus.RETURNED_TO_SENDER}
)
ATTEMPTS = 5


def _event_id(event: TrackingEvent) -> str:
    if event.event_id:
        return event.event_id
    when = event.occurred_at.isoformat() if event.occurred_at else ""
    return f"{event.tracking_number}:{event.carrier_status}:{when}"


async def apply_event(
    store: GraphStore, adapter: str, event: TrackingEvent, *, now: datetime | None = None
) -> str:
    """``applied``, ``duplicate`` or ``unknown`` (no fulfillment has the tracking number)."""
    now = now or datetime.now(UTC)
    event_id = f"{adapter}:{_event_id(event)}"
    for _ in range(ATTEMPTS):
        rec = await q.tracked(store, event.tracking_number)
        if rec is None:
            return "unknown"
        if event_id in rec.seen:
            return "duplicate"
        move = move_promise(
            event.estimated_delivery, rec.estimated_delivery, rec.other_estimates, rec.promised_by
        )
        at = event.occurred_at or now
        events = [
            (
                "fulfillment.tracking_updated",
                encode(
                    {
                        "fulfillmentId": rec.fulfillment_id,
                        "status": event.status.value,
                        "carrierStatus": event.carrier_status,
                        "detail": event.detail,
                        "estimatedDelivery": None
                        if event.estimated_delivery is None
                        else event.estimated_delivery.isoformat(),
                    }
                ),
            )
        ]
        if move is not None and move.promised_by is not None:
            events.append(
                (
                    "order.promise_changed",
                    encode(
                        {
                            "fulfillmentId": rec.fulfillment_id,
                            "promisedBy": move.promised_by.isoformat(),
                            "previousPromisedBy": None
                            if rec.promised_by is None
                            else rec.promised_by.isoformat(),
                            "estimatedDelivery": move.estimated_delivery.isoformat(),
                            "reason": "carrier ETA",
                        }
                    ),
                )
            )
        write = TrackingWrite(
            order_id=rec.order_id,
            version=rec.version,
            fulfillment_id=rec.fulfillment_id,
            event_id=event_id,
            status=event.status.value,
            carrier_status=event.carrier_status,
            at=at.isoformat(),
            at_ms=int(at.timestamp() * 1000),
            exception=event.status.value if event.status in EXCEPTIONS else None,
            estimated_delivery=None if move is None else move.estimated_delivery,
            promised_by=None if move is None else move.promised_by,
            events=tuple(events),
            first_sequence=rec.event_seq + 1,
        )
        if await q.apply_tracking(store, write):
            break
    else:
        raise OrderGraphError(
            "the order kept changing while tracking was applied", ErrorCode.CONFLICT
        )
    if event.status is TrackingStatus.DELIVERED and rec.status is FulfillmentStatus.SHIPPED:
        await lifecycle.deliver(store, rec.fulfillment_id, event.occurred_at, now=now)
    return "applied"


async def apply_events(
    store: GraphStore, adapter: str, events: Sequence[TrackingEvent], *, now: datetime | None = None
) -> list[str]:
    return [await apply_event(store, adapter, event, now=now) for event in events]
