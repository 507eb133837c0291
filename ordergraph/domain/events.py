"""Order events: the event a decision makes and the payload of each kind, built in one place.

An event is stored as ``(:Event {id, type, orderId, sequence, at, atMs, pending, payload})`` with
the payload as compact JSON text (``encode``); webhooks and the API decode it. The payload
builders below are the public event contract (API.md, "Events") for the kinds the services
emit; the lifecycle and returns rules (``domain.lifecycle``, ``domain.returns``) build theirs
next to the decisions.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

Payload = dict[str, Any]


# Delivered only where asked for by name: a subscription (webhook or orderEvents) without
# types gets every order and inbound event, but not the channel feed's high-volume numbers.
NAMED_ONLY = frozenset({"channel.availability_changed"})


def selected(event_type: str, types: Collection[str] | None) -> bool:
    """Whether a subscription to ``types`` (none or empty: every type but ``NAMED_ONLY``)
    receives an event of ``event_type``."""
    return event_type in types if types else event_type not in NAMED_ONLY


def encode(payload: Mapping[str, Any]) -> str:
    """A payload as stored: compact JSON."""
    return json.dumps(dict(payload), separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Event:
    """The ``sequence``-th event of an order, as a decision makes it (``OG-...-E<sequence>``);
    ``graph.records.lifecycle.event_params`` gives the properties it is stored with."""

    order_id: str
    sequence: int
    type: str
    payload: Payload
    at: datetime

    @property
    def id(self) -> str:
        return f"{self.order_id}-E{self.sequence}"


def shipments(fulfillments: Iterable[Mapping[str, Any]]) -> list[Payload]:
    """New fulfillments as events show them: ``{id, location, lines}``.

    ``fulfillments`` are the create parameters (``{location, lines, props: {id, ...}}``).
    """
    return [
        {"id": f["props"]["id"], "location": f["location"], "lines": f["lines"]}
        | ({"kind": f["props"]["kind"]} if "kind" in f["props"] else {})  # docs/transfers.md
        for f in fulfillments
    ]


def units(quantities: Iterable[tuple[str, int]]) -> list[Payload]:
    """``(sku, quantity)`` pairs as ``[{sku, quantity}]``."""
    return [{"sku": sku, "quantity": quantity} for sku, quantity in quantities]


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def order_created(
    *,
    status: str,
    channel: str,
    external_id: str | None,
    fulfillments: Iterable[Mapping[str, Any]],
    backordered: Iterable[tuple[str, int]],
    promised_by: date | None,
) -> Payload:
    """``OrderCreated``: how the new order was allocated."""
    return {
        "status": status,
        "channel": channel,
        "externalId": external_id,
        "fulfillments": shipments(fulfillments),
        "backordered": units(backordered),
        "promisedBy": _day(promised_by),
    }


def allocated(
    *,
    fulfillments: Iterable[Mapping[str, Any]],
    backordered: Iterable[tuple[str, int]],
    promised_by: date | None,
    explanation: Sequence[str],
) -> Payload:
    """``OrderRerouted`` / ``BackorderAllocated``: waiting units routed to new fulfillments."""
    return {
        "fulfillments": shipments(fulfillments),
        "backordered": units(backordered),
        "promisedBy": _day(promised_by),
        "explanation": list(explanation),
    }


def wave_released(*, method: str, alone: bool) -> Payload:
    """``OrderReleasedFromHold``: a batch wave routed the held order (issue #18); ``alone``
    when its stock moved before the write and it was routed alone over what was left."""
    return {"method": method, "routedAlone": alone}


def replanned(*, reason: str, saving: float, before: float, after: float) -> Payload:
    """``AllocationReoptimised``: open fulfillments re-planned jointly (issue #18)."""
    return {
        "reason": reason,
        "saving": round(saving, 2),
        "costBefore": round(before, 2),
        "costAfter": round(after, 2),
    }


def order_backordered(
    *, lines: Iterable[tuple[str, str, int]], explanation: Sequence[str]
) -> Payload:
    """``OrderBackordered``: ``(line id, sku, quantity)`` that no location could take."""
    return {
        "lines": [
            {"line": line, "sku": sku, "quantity": quantity} for line, sku, quantity in lines
        ],
        "explanation": list(explanation),
    }


def order_updated(
    *,
    ship_to_postal_code: str | None,
    service_level: str | None,
    quantities: Iterable[tuple[str, int]],
) -> Payload:
    """``OrderUpdated``: what the update asked for (``None``: left as it was)."""
    return {
        "shipTo": ship_to_postal_code,
        "serviceLevel": service_level,
        "quantities": units(quantities),
    }


def ship_notice_created(fulfillment_id: str, location: str, asn: str) -> Payload:
    """``ShipNoticeCreated``: the X12 856 of a shipped fulfillment, with its location (a partner
    sees only its own locations' ship notices)."""
    return {"fulfillment": fulfillment_id, "location": location, "format": "X12 856", "asn": asn}
