"""Records of the operations console's reads (graph/console.py): a location's load, the order
lines and fulfillments the exception queue lists, and the digest that tells it something
changed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ordergraph.graph.records.catalog import LocationRecord
from ordergraph.graph.records.orders import FulfillmentRecord

__all__ = ["BackorderedLine", "ExceptionDigest", "LateFulfillment", "LocationLoad"]


@dataclass(frozen=True, slots=True)
class LocationLoad:
    """A location with what it holds and owes: units on hand and reserved, fulfillments still
    to ship from it, and the SKUs it stocks with nothing available (stock-outs)."""

    location: LocationRecord
    on_hand: int
    reserved: int
    open_shipments: int
    stock_outs: tuple[str, ...]

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LocationLoad:
        return cls(
            location=LocationRecord.from_row(row["l"]),
            on_hand=int(row.get("onHand") or 0),
            reserved=int(row.get("reserved") or 0),
            open_shipments=int(row.get("open") or 0),
            stock_outs=tuple(sorted(str(s) for s in row.get("out") or ())),
        )


@dataclass(frozen=True, slots=True)
class BackorderedLine:
    """An order line with units still waiting for stock, and how often its units were
    rejected by a location (``rejections``: its rejected fulfillments)."""

    order_id: str
    placed_at: datetime
    line_id: str
    sku: str
    backordered: int
    rejections: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> BackorderedLine:
        return cls(
            order_id=row["orderId"],
            placed_at=datetime.fromisoformat(row["placedAt"]),
            line_id=row["lineId"],
            sku=row["sku"],
            backordered=int(row["backordered"] or 0),
            rejections=int(row["rejections"] or 0),
        )


@dataclass(frozen=True, slots=True)
class LateFulfillment:
    """A fulfillment past its ship-by day (not shipped) or its delivery day (not delivered)."""

    order_id: str
    fulfillment: FulfillmentRecord

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LateFulfillment:
        return cls(row["orderId"], FulfillmentRecord.from_row(row["f"], row["lines"]))


@dataclass(frozen=True, slots=True)
class ExceptionDigest:
    """What changes when an ingestion failure or a dead letter comes or goes (the live queue
    re-renders when it does; order exceptions arrive as order events)."""

    failures: int
    failures_seen: int  # the newest failure's receivedAtMs plus every attempt: a repeat counts
    dead: int
    dead_seen: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ExceptionDigest:
        return cls(
            int(row.get("failures") or 0),
            int(row.get("failuresSeen") or 0),
            int(row.get("dead") or 0),
            int(row.get("deadSeen") or 0),
        )
