"""Records of the store floor: one piece of open work at a store (graph/picking.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ordergraph.graph.records.orders import FulfillmentRecord


@dataclass(frozen=True)
class WorkItem:
    """An open (OPEN or RELEASED) fulfillment at a store, with what the queue shows of its
    order: whether the customer collects it there, when it was placed, what was promised."""

    fulfillment: FulfillmentRecord
    order_id: str
    pickup: bool
    placed_at: datetime
    promised_by: date | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> WorkItem:
        f = FulfillmentRecord.from_row(row["f"], [li for li in row["lines"] if li["quantity"]])
        promised = row.get("promisedBy")
        return cls(
            fulfillment=f,
            order_id=row["orderId"],
            pickup=row.get("pickupAt") == f.location_id,
            placed_at=datetime.fromisoformat(row["placedAt"]),
            promised_by=None if promised is None else date.fromisoformat(promised),
        )

    @property
    def due(self) -> str:
        """The promise the store works to, as a sortable ISO string: a pickup's ready-by, else
        the ship-by date, else the order's promise; oldest first."""
        f = self.fulfillment
        if self.pickup and f.ready_by is not None:
            return f.ready_by.isoformat()
        if f.ship_by is not None:
            return f.ship_by.isoformat()
        return self.promised_by.isoformat() if self.promised_by else "9999"
