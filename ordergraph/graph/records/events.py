"""The records of order events and of their way out: ``:Event``, ``:WebhookSubscription``,
``:Delivery`` and the dispatcher's ``:Lease`` (graph/events.py and docs/events.md say how they
are used).

Events are written by the lifecycle (``graph.records.lifecycle.event_params`` gives their
properties); ``EventRecord`` is how every read path sees them: ``Order.events``, the
``orderEvents`` stream and the webhook deliveries. Its payload is a JSON map kept in the string
property ``payload``, decoded by ``codec``; the fan-out reads events as ``PendingEvent``, without
the payload, so that one corrupt payload cannot stop every other event from going out.

A subscription's secret is written with it (``SubscriptionRecord.to_params``) and read back only
as the ``Endpoint`` a delivery is signed for: no other record holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ordergraph.graph.records import codec
from ordergraph.graph.records.catalog import maybe

LABEL = "Event"

__all__ = [
    "LABEL",
    "AttemptResult",
    "DeliveryRecord",
    "DeliveryStatus",
    "DueDelivery",
    "Endpoint",
    "EventRecord",
    "LeaseRecord",
    "PendingEvent",
    "SubscriptionRecord",
    "instant",
]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _datetime(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def instant(ms: int) -> datetime:
    """The UTC instant of epoch milliseconds ``ms`` (what the ``...Ms`` properties hold)."""
    return datetime.fromtimestamp(ms / 1000, UTC)


# ---- events --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: str
    order_id: str | None  # None: an event of no order (an inbound line's)
    sequence: int  # 1, 2, ... within its order
    type: str
    at: datetime
    at_ms: int | None  # epoch ms of ``at`` (absent from an event projection that omits it)
    payload: Mapping[str, Any]  # decoded; an absent payload is the empty map

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> EventRecord:
        return cls(
            id=row["id"],
            order_id=row["orderId"],
            sequence=int(row["sequence"]),
            type=row["type"],
            at=datetime.fromisoformat(row["at"]),
            at_ms=_int(row.get("atMs")),
            payload=_payload(row["id"], row.get("payload")),
        )


def _payload(event_id: object, text: object) -> dict[str, Any]:
    """The stored payload map (absent: empty); JSON of another shape is corrupt."""
    value = codec.decode(text, LABEL, event_id, "payload", default={})
    if not isinstance(value, dict):
        raise codec.CorruptProperty(
            LABEL, event_id, "payload", f"a JSON {type(value).__name__}, not a map"
        )
    return value


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event not yet fanned out to the subscriptions: what the fan-out needs of it."""

    id: str
    order_id: str | None
    sequence: int  # 0 when not stored
    type: str
    at_ms: int  # 0 when not stored
    stream: str | None = None  # what it is ordered within when it is of no order (a feed's)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PendingEvent:
        return cls(
            id=row["id"],
            order_id=row.get("orderId"),
            sequence=int(row.get("sequence") or 0),
            type=row["type"],
            at_ms=int(row.get("atMs") or 0),
            stream=row.get("stream"),
        )


# ---- subscriptions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    id: str
    url: str  # as stored: the API shows it redacted
    event_types: tuple[str, ...]  # empty: every type
    active: bool  # true unless stored false
    description: str | None
    created_at: datetime
    created_at_ms: int  # 0 when not stored: it then receives every event

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SubscriptionRecord:
        return cls(
            id=row["id"],
            url=row["url"],
            event_types=tuple(row.get("eventTypes") or ()),
            active=row.get("active") is not False,
            description=row.get("description"),
            created_at=datetime.fromisoformat(row["createdAt"]),
            created_at_ms=int(row.get("createdAtMs") or 0),
        )

    def to_params(self, secret: str) -> dict[str, Any]:
        """The properties to store, with the ``secret`` that signs its deliveries."""
        props: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "eventTypes": list(self.event_types),
            "secret": secret,
            "active": self.active,
            "createdAt": self.created_at.isoformat(),
            "createdAtMs": self.created_at_ms,
        }
        if self.description:
            props["description"] = self.description
        return props


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a subscription's deliveries go and the secret they are signed with."""

    id: str  # the subscription's
    url: str
    secret: str = field(repr=False)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Endpoint:
        return cls(id=row["id"], url=row["url"], secret=row["secret"])


# ---- deliveries ----------------------------------------------------------------------------


class DeliveryStatus(StrEnum):
    WAITING = "WAITING"  # an earlier event of its stream is not settled yet
    READY = "READY"  # send when ``next_at_ms`` is due
    DELIVERED = "DELIVERED"
    DEAD = "DEAD"  # failed every attempt: a dead letter


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One event for one subscription (id ``<subscription>|<event>``)."""

    id: str
    subscription_id: str
    event_id: str
    order_id: str | None
    event_type: str  # "" when not stored
    sequence: int  # the event's; 0 when not stored
    stream: str  # ``<subscription>|<order>``: its deliveries go out in sequence order
    status: DeliveryStatus
    attempts: int
    next_at_ms: int | None  # when READY: not before this
    created_at_ms: int | None
    last_error: str | None = None
    last_status_code: int | None = None
    last_attempt_at: datetime | None = None
    last_attempt_at_ms: int | None = None
    replay: bool = False  # sent again from the dead letters, outside its stream's order

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> DeliveryRecord:
        return cls(
            id=row["id"],
            subscription_id=row["subscriptionId"],
            event_id=row["eventId"],
            order_id=row.get("orderId"),
            event_type=row.get("eventType") or "",
            sequence=int(row.get("sequence") or 0),
            stream=row.get("stream") or "",
            status=DeliveryStatus(row["status"]),
            attempts=int(row.get("attempts") or 0),
            next_at_ms=_int(row.get("nextAtMs")),
            created_at_ms=_int(row.get("createdAtMs")),
            last_error=row.get("lastError"),
            last_status_code=_int(row.get("lastStatusCode")),
            last_attempt_at=_datetime(row.get("lastAttemptAt")),
            last_attempt_at_ms=_int(row.get("lastAttemptAtMs")),
            replay=bool(row.get("replay")),
        )

    def to_params(self) -> dict[str, Any]:
        """The properties to store; those without a value are left out (``replay`` too unless
        set: the graph tells a stream's own deliveries by ``replay IS NULL``)."""
        last_at = self.last_attempt_at
        props: dict[str, Any] = {
            "id": self.id,
            "subscriptionId": self.subscription_id,
            "eventId": self.event_id,
            "orderId": self.order_id,
            "eventType": self.event_type,
            "sequence": self.sequence,
            "stream": self.stream,
            "status": self.status.value,
            "attempts": self.attempts,
            "nextAtMs": self.next_at_ms,
            "createdAtMs": self.created_at_ms,
            "lastError": self.last_error,
            "lastStatusCode": self.last_status_code,
            "lastAttemptAt": None if last_at is None else last_at.isoformat(),
            "lastAttemptAtMs": self.last_attempt_at_ms,
            "replay": True if self.replay else None,
        }
        return {key: value for key, value in props.items() if value is not None}


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one attempt does to its delivery, written back by ``graph.events.record_results``
    only if the delivery still has the ``before`` attempts it was read with."""

    id: str  # the delivery's
    before: int
    status: DeliveryStatus
    attempts: int
    next_at_ms: int | None
    error: str | None
    code: int | None  # the HTTP status, when there was an answer
    at_ms: int

    @property
    def final(self) -> bool:
        """Settled: its stream's next delivery may go."""
        return self.status is not DeliveryStatus.READY

    def to_params(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "before": self.before,
            "status": self.status.value,
            "attempts": self.attempts,
            "nextAtMs": self.next_at_ms,
            "error": self.error,
            "code": self.code,
            "at": instant(self.at_ms).isoformat(),
            "atMs": self.at_ms,
            "final": self.final,
        }


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A delivery whose time has come, with what sending it takes. ``event`` or ``endpoint``
    is None when it cannot be sent: ``problem`` says why."""

    delivery: DeliveryRecord
    event: EventRecord | None
    endpoint: Endpoint | None
    problem: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> DueDelivery:
        endpoint = maybe(row["s"], Endpoint.from_row)
        try:
            event = maybe(row["e"], EventRecord.from_row)
        except codec.CorruptProperty as exc:
            return cls(DeliveryRecord.from_row(row["d"]), None, endpoint, str(exc))
        problem = (
            "the event or the subscription is gone" if event is None or endpoint is None else None
        )
        return cls(DeliveryRecord.from_row(row["d"]), event, endpoint, problem)


# ---- the dispatcher's lease ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    """Which process dispatches, until when (epoch ms; 0: handed over)."""

    owner: str | None
    until_ms: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LeaseRecord:
        return cls(owner=row.get("owner"), until_ms=int(row.get("untilMs") or 0))
