"""Inbound supply: purchase orders and transfers on their way to a location.

An inbound line brings ``quantity`` units of one SKU to one location, expected on
``expected_at`` (the location's local date). It is received in one or more receipts; each
receipt turns units into on-hand at the location. Units of an inbound line that are neither
received nor already sold as preorders are its ``remaining`` supply, the number a channel that
sells inbound stock may promise from (DOMAIN.md, "Channel available-to-promise").

    quantity = received + (to receive)         to receive = quantity - received
    remaining = max(0, quantity - received - preordered)

The rules here are pure; the graph keeps the counts and changes them in one statement each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

PURCHASE_ORDER, TRANSFER = "PURCHASE_ORDER", "TRANSFER"
INBOUND_KINDS = (PURCHASE_ORDER, TRANSFER)
DEFAULT_KIND = PURCHASE_ORDER
MAX_QUANTITY = 1_000_000_000

RECEIVED_EVENT = "inbound.received"
DATE_CHANGED_EVENT = "inbound.expected_date_changed"


class InboundStatus(StrEnum):
    OPEN = "OPEN"  # nothing received yet
    PARTIALLY_RECEIVED = "PARTIALLY_RECEIVED"
    RECEIVED = "RECEIVED"  # every unit received


def to_receive(quantity: int, received: int) -> int:
    """Units still to arrive: what a receipt may take at most."""
    return max(0, quantity - received)


def remaining(quantity: int, received: int, preordered: int) -> int:
    """Units neither received nor sold as preorders: inbound supply a channel may still sell."""
    return max(0, quantity - received - preordered)


def status(quantity: int, received: int) -> InboundStatus:
    if received <= 0:
        return InboundStatus.OPEN
    return InboundStatus.RECEIVED if received >= quantity else InboundStatus.PARTIALLY_RECEIVED


def parse_expected_date(text: object) -> date:
    """An ISO-8601 calendar date (``2026-12-15``); ``ValueError`` for anything else."""
    if not isinstance(text, str) or len(text) != 10:
        raise ValueError(f"must be a date YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"must be a date YYYY-MM-DD, got {text!r}") from None


def quantity_problem(quantity: int, received: int, preordered: int) -> str | None:
    """Why an inbound line's quantity cannot become ``quantity`` now, or None."""
    if quantity <= 0:
        return f"must be positive, got {quantity}"
    if quantity < received + preordered:
        return (
            f"must be at least the {received} received and {preordered} preordered units, "
            f"got {quantity}"
        )
    return None


@dataclass(frozen=True, slots=True)
class Line:
    """What an inbound event says of its line."""

    id: str
    kind: str
    location: str
    sku: str
    quantity: int
    expected_at: date

    def shown(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "location": self.location,
            "sku": self.sku,
            "quantity": self.quantity,
            "expectedAt": self.expected_at.isoformat(),
        }


def received_payload(line: Line, quantity: int) -> dict[str, Any]:
    """The payload of ``inbound.received``: the line (its id, kind, location and SKU) and the
    units this receipt turned into on-hand (``received``)."""
    return {
        "id": line.id,
        "kind": line.kind,
        "location": line.location,
        "sku": line.sku,
        "received": quantity,
    }


def date_changed_payload(line: Line, before: date) -> dict[str, Any]:
    """The payload of ``inbound.expected_date_changed``: the line as it is now, and the date it
    had (``from``) and has (``to``)."""
    return {**line.shown(), "from": before.isoformat(), "to": line.expected_at.isoformat()}
