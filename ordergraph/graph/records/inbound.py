"""The records of inbound supply: the ``:Inbound`` node of a purchase-order or transfer line,
and the inbound supply of one stock position (``inbound_remaining``).

``(:Inbound {id, kind, location, sku, quantity, received, preordered, expectedAt, createdAt,
updatedAt, eventSeq})``: ``location`` and ``sku`` are the business keys of the position it
brings stock to (they never change once created), ``expectedAt`` an ISO date,
``preordered`` the units sold against it as preorders (0 until preorders exist). Its events hang
off it: ``(:Inbound)-[:HAS_EVENT]->(:Event)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ordergraph.domain import inbound as rules
from ordergraph.graph.records.catalog import LaneRecord, LocationRecord

__all__ = ["HeldPreorder", "InboundRecord", "InboundSupply", "PreorderOffer"]

FIELDS = (
    "id",
    "kind",
    "location",
    "sku",
    "quantity",
    "received",
    "preordered",
    "expectedAt",
    "createdAt",
    "updatedAt",
)


@dataclass(frozen=True, slots=True)
class InboundRecord:
    id: str
    kind: str  # PURCHASE_ORDER or TRANSFER
    location: str
    sku: str
    quantity: int
    received: int
    preordered: int
    expected_at: date
    created_at: str | None = None  # ISO instants
    updated_at: str | None = None

    @property
    def to_receive(self) -> int:
        return rules.to_receive(self.quantity, self.received)

    @property
    def remaining(self) -> int:
        """Neither received nor preordered: what a channel may still sell as preorders."""
        return rules.remaining(self.quantity, self.received, self.preordered)

    @property
    def status(self) -> rules.InboundStatus:
        return rules.status(self.quantity, self.received)

    @property
    def line(self) -> rules.Line:
        return rules.Line(
            self.id, self.kind, self.location, self.sku, self.quantity, self.expected_at
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> InboundRecord:
        return cls(
            id=row["id"],
            kind=row.get("kind") or rules.DEFAULT_KIND,
            location=row["location"],
            sku=row["sku"],
            quantity=int(row.get("quantity") or 0),
            received=int(row.get("received") or 0),
            preordered=int(row.get("preordered") or 0),
            expected_at=date.fromisoformat(row["expectedAt"]),
            created_at=row.get("createdAt"),
            updated_at=row.get("updatedAt"),
        )

    def to_params(self) -> dict[str, Any]:
        """The fields a change sets (``received`` and ``preordered`` are the graph's own):
        the properties an event shows of the line."""
        return self.line.shown()

    @classmethod
    def new(
        cls, id: str, kind: str, location: str, sku: str, quantity: int, expected_at: date
    ) -> InboundRecord:
        """A line as a change asks for it (nothing received or preordered yet)."""
        return cls(id, kind, location, sku, quantity, 0, 0, expected_at)


@dataclass(frozen=True, slots=True)
class InboundSupply:
    """The inbound supply of one stock position: its open lines, earliest expected first."""

    location: str
    sku: str
    lines: tuple[InboundRecord, ...]

    @property
    def remaining(self) -> int:
        """``inboundRemaining(l, s)``: units neither received nor preordered."""
        return sum(line.remaining for line in self.lines)

    @property
    def earliest(self) -> InboundRecord | None:
        """The first line expected that still has remaining units (preorders promise from it)."""
        return next((line for line in self.lines if line.remaining > 0), None)


@dataclass(frozen=True, slots=True)
class InboundWrite:
    """What the upsert statement did to one line: whether it was written (``ok``; a line that
    changed since it was read, or whose quantity fell below what is received and preordered,
    is not), whether it was new, whether its expected date moved (an event was appended), and
    the line as it now is."""

    ok: bool
    created: bool
    moved: bool
    inbound: InboundRecord

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> InboundWrite:
        return cls(
            ok=bool(row["ok"]),
            created=bool(row["created"]),
            moved=bool(row["moved"]),
            inbound=InboundRecord.from_row(row["i"]),
        )


@dataclass(frozen=True, slots=True)
class PreorderOffer:
    """An inbound line with units left to sell, its location and that location's lanes to the
    ship-to region (what a preorder against it needs to be promised)."""

    line: InboundRecord
    location: LocationRecord
    lanes: tuple[LaneRecord, ...]

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PreorderOffer:
        return cls(
            InboundRecord.from_row(row["i"]),
            LocationRecord.from_row(row["location"]),
            tuple(LaneRecord.from_row(lane) for lane in row["lanes"] or ()),
        )


@dataclass(frozen=True, slots=True)
class HeldPreorder:
    """A PREORDER fulfillment sold against an inbound line, as re-promising it needs: its order,
    its promise and lane's transit days, and the location it ships from."""

    order_id: str
    fulfillment_id: str
    estimated_delivery: date | None
    transit_days: int
    location: LocationRecord

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> HeldPreorder:
        delivery = row.get("estimatedDelivery")
        return cls(
            order_id=str(row["order"]),
            fulfillment_id=str(row["fulfillment"]),
            estimated_delivery=None if delivery is None else date.fromisoformat(delivery),
            transit_days=int(row.get("transitDays") or 0),
            location=LocationRecord.from_row(row["location"]),
        )
