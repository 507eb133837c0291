"""A tracked fulfillment as a carrier notification sees it, and one the tracking poller asks
about (services/carrier_tracking.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ordergraph.domain.orders import FulfillmentStatus


def _day(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class TrackedRecord:
    order_id: str
    version: int
    event_seq: int
    promised_by: date | None
    fulfillment_id: str
    status: FulfillmentStatus
    estimated_delivery: date | None
    seen: frozenset[str]  # the carrier event ids already applied
    other_estimates: tuple[date, ...]  # the order's other live fulfillments

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> TrackedRecord:
        return cls(
            order_id=row["order"],
            version=int(row.get("version") or 1),
            event_seq=int(row.get("eventSeq") or 0),
            promised_by=_day(row.get("promisedBy")),
            fulfillment_id=row["fulfillment"],
            status=FulfillmentStatus(row["status"]),
            estimated_delivery=_day(row.get("estimatedDelivery")),
            seen=frozenset(str(x) for x in row.get("seen") or []),
            other_estimates=tuple(
                d for d in (_day(x) for x in row.get("others") or []) if d is not None
            ),
        )


@dataclass(frozen=True, slots=True)
class TrackingWrite:
    """One carrier event applied: the fulfillment's tracking state, maybe a moved promise, and
    the order events it appends (type, payload JSON), under the order's version."""

    order_id: str
    version: int
    fulfillment_id: str
    event_id: str
    status: str
    carrier_status: str
    at: str
    at_ms: int
    exception: str | None
    estimated_delivery: date | None
    promised_by: date | None
    events: tuple[tuple[str, str], ...]
    first_sequence: int

    def to_params(self) -> dict[str, Any]:
        return {
            "order": self.order_id,
            "version": self.version,
            "id": self.fulfillment_id,
            "eventId": self.event_id,
            "status": self.status,
            "carrierStatus": self.carrier_status,
            "at": self.at,
            "atMs": self.at_ms,
            "exception": self.exception,
            "eta": None if self.estimated_delivery is None else self.estimated_delivery.isoformat(),
            "promise": None if self.promised_by is None else self.promised_by.isoformat(),
            "events": [
                {
                    "id": f"{self.order_id}-E{self.first_sequence + n}",
                    "type": kind,
                    "sequence": self.first_sequence + n,
                    "payload": payload,
                }
                for n, (kind, payload) in enumerate(self.events)
            ],
            "seq": self.first_sequence + len(self.events) - 1,
        }


@dataclass(frozen=True, slots=True)
class PollDue:
    """A shipped fulfillment due for a tracking poll, and the account that bought its label."""

    fulfillment_id: str
    tracking_number: str
    carrier: str
    adapter: str
    polled_at_ms: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PollDue:
        return cls(
            fulfillment_id=row["fulfillment"],
            tracking_number=str(row["tracking"]),
            carrier=str(row.get("carrier") or ""),
            adapter=str(row["adapter"]),
            polled_at_ms=int(row.get("polledAtMs") or 0),
        )
