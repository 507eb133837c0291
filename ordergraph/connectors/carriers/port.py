"""The carrier port: what routing, labels and tracking need from any carrier API.

One adapter per multi-carrier API (``easypost.py``) and the lane table (``lanes.py``), the
always-available fallback. Every adapter answers the same typed values, so services never see a
carrier's own JSON. docs/carriers.md describes the port and the choice of API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

__all__ = [
    "Carrier",
    "CarrierError",
    "Label",
    "Place",
    "Rate",
    "RateQuery",
    "RateSource",
    "SignatureError",
    "TrackingEvent",
    "TrackingStatus",
]


class CarrierError(Exception):
    """A carrier API failed, answered an error, or answered what we cannot read."""


class SignatureError(CarrierError):
    """A tracking notification whose signature does not verify."""


class RateSource(StrEnum):
    LIVE = "live"  # answered by the carrier API for this request
    CACHED = "cached"  # answered by the carrier API earlier, still within the rate TTL
    TABLE = "table"  # the lane table of the network file


class TrackingStatus(StrEnum):
    """Our words for a shipment's progress; each adapter maps its carrier's words onto these."""

    PRE_TRANSIT = "PRE_TRANSIT"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    FAILED_ATTEMPT = "FAILED_ATTEMPT"
    EXCEPTION = "EXCEPTION"
    RETURNED_TO_SENDER = "RETURNED_TO_SENDER"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class Place:
    """One end of a shipment: a location (``ref`` = its id) or a ship-to (``ref`` = its region)."""

    ref: str
    postal_code: str
    country: str
    name: str = ""
    street: str = ""
    city: str = ""
    state: str = ""


@dataclass(frozen=True, slots=True)
class RateQuery:
    origin: Place
    destination: Place
    weight_kg: float
    reference: str = ""  # our reference, echoed by the carrier where its API takes one
    is_return: bool = False  # a return label: the parcel travels destination -> origin


@dataclass(frozen=True, slots=True)
class Rate:
    """One price for one carrier service. ``rate_id``/``shipment_id`` are the carrier's own ids
    (empty for the lane table), needed to buy this rate's label."""

    carrier: str
    service: str
    amount: float
    currency: str
    transit_days: int | None
    source: RateSource
    adapter: str
    rate_id: str = ""
    shipment_id: str = ""


@dataclass(frozen=True, slots=True)
class Label:
    carrier: str
    service: str
    tracking_number: str
    label_url: str
    label_format: str
    cost: float
    adapter: str
    shipment_id: str
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    """One notification about one shipment, in our words."""

    event_id: str
    tracking_number: str
    status: TrackingStatus
    carrier_status: str
    occurred_at: datetime | None
    estimated_delivery: date | None
    detail: str = ""


@runtime_checkable
class Carrier(Protocol):
    """A carrier API. ``rates`` may take as long as the API does: callers bound it."""

    @property
    def name(self) -> str: ...

    async def rates(self, query: RateQuery) -> list[Rate]:
        """Every rate the API offers for the query (possibly fewer than asked: partial answers
        are answers). Raises ``CarrierError`` on any failure."""
        ...

    async def buy_label(self, rate: Rate, *, idempotency_key: str) -> Label:
        """Buy the label of ``rate``. The same key never buys twice: a retry answers the label
        already bought."""
        ...

    async def void_label(self, label: Label) -> bool:
        """Ask for the label's refund; True when the carrier accepted the request."""
        ...

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Whether a tracking notification carries this account's valid signature."""
        ...

    def parse_tracking(self, body: bytes) -> list[TrackingEvent]:
        """The tracking events a (verified) notification body carries; ``CarrierError`` when
        it is not one."""
        ...

    async def track(
        self, tracking_number: str, *, carrier: str = "", timeout_s: float = 5.0
    ) -> TrackingEvent | None:
        """The shipment's tracking now, as one event (for accounts without webhooks: the
        poller, services/carrier_tracking.py); None when the API knows nothing of it yet. The
        event id names the state answered, so the same state twice is the same event. At most
        ``timeout_s`` per HTTP phase; ``CarrierError`` on any failure."""
        ...
