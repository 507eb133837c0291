"""The record of a return (``:Return``): its requested lines and received units are JSON lists
kept in the string properties ``lines`` and ``received``, decoded and encoded by ``codec``.

The domain's values become properties here only: ``ReturnRecord.requested`` is the record of a
``NewReturn``; ``receipt_params`` the properties a ``ReturnReceipt`` sets on its return, and
``returned_params`` the ``returned`` counts it sets on the order's lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple, TypeVar

from ordergraph.domain.money import amount_problem
from ordergraph.domain.returns import (
    Disposition,
    NewReturn,
    ReceivedUnit,
    ReturnReceipt,
    ReturnState,
    ReturnStatus,
)
from ordergraph.graph.records import codec
from ordergraph.graph.records.catalog import LocationRecord

LABEL = "Return"
T = TypeVar("T")


class ReturnLine(NamedTuple):
    """Units of one SKU asked back (a ``(sku, quantity)`` pair, as the domain reads it)."""

    sku: str
    quantity: int


__all__ = [
    "LABEL",
    "ReceivedUnit",
    "ReturnLine",
    "ReturnPlaces",
    "ReturnRecord",
    "receipt_params",
    "returned_params",
]


@dataclass(frozen=True, slots=True)
class ReturnRecord:
    id: str
    order_id: str
    location_id: str
    status: ReturnStatus
    reason: str | None
    created_at: datetime
    received_at: datetime | None
    lines: tuple[ReturnLine, ...]
    received: tuple[ReceivedUnit, ...]
    refund_amount: Decimal  # what received units are owed so far (0 before any)
    refund_currency: str | None
    refund_status: str | None  # PENDING once something is owed; None before
    # the return label, when a carrier account bought one (docs/carriers.md)
    tracking_number: str | None = None
    label_url: str | None = None
    label_format: str | None = None

    @classmethod
    def requested(cls, new: NewReturn) -> ReturnRecord:
        """The record of a return the rules just created."""
        return cls(
            id=new.id,
            order_id=new.order_id,
            location_id=new.location,
            status=new.status,
            reason=new.reason,
            created_at=new.created_at,
            received_at=None,
            lines=tuple(ReturnLine(sku, quantity) for sku, quantity in new.lines),
            received=(),
            refund_amount=Decimal("0"),
            refund_currency=None,
            refund_status=None,
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ReturnRecord:
        rid = row["id"]
        received_at = row.get("receivedAt")
        return cls(
            id=rid,
            order_id=row["orderId"],
            location_id=row["locationId"],
            status=ReturnStatus(row["status"]),
            reason=row.get("reason"),
            created_at=datetime.fromisoformat(row["createdAt"]),
            received_at=datetime.fromisoformat(received_at) if received_at else None,
            lines=tuple(
                _item(rid, "lines", item, _line)
                for item in codec.decode_list(row.get("lines"), LABEL, rid, "lines")
            ),
            received=tuple(
                _item(rid, "received", item, _unit)
                for item in codec.decode_list(row.get("received"), LABEL, rid, "received")
            ),
            refund_amount=_stored_amount(row.get("refundAmount")),
            refund_currency=row.get("refundCurrency"),
            refund_status=row.get("refundStatus"),
            tracking_number=row.get("trackingNumber"),
            label_url=row.get("labelUrl"),
            label_format=row.get("labelFormat"),
        )

    def to_params(self) -> dict[str, Any]:
        """The properties to store (what ``from_row`` reads back)."""
        return {
            "id": self.id,
            "orderId": self.order_id,
            "locationId": self.location_id,
            "status": self.status.value,
            "reason": self.reason,
            "createdAt": self.created_at.isoformat(),
            "receivedAt": None if self.received_at is None else self.received_at.isoformat(),
            "lines": codec.encode([{"sku": s, "quantity": q} for s, q in self.lines]),
            "received": _stored_received(self.received),
            "refundAmount": str(self.refund_amount),
            "refundCurrency": self.refund_currency,
            "refundStatus": self.refund_status,
        }

    def state(self) -> ReturnState:
        """The domain's view of this return, for the rules that receive it."""
        return ReturnState(
            id=self.id,
            order_id=self.order_id,
            location=self.location_id,
            status=self.status,
            lines=self.lines,
            received=self.received,
            refund_amount=self.refund_amount,
            refund_currency=self.refund_currency,
        )


@dataclass(frozen=True, slots=True)
class ReturnPlaces:
    """The locations a return may go to, and the point the order was delivered to (``(lat,
    lon)``; None when neither its pickup store nor its region has one)."""

    locations: tuple[LocationRecord, ...]
    origin: tuple[float, float] | None

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> ReturnPlaces:
        """``rows`` of ``graph/returns.py: RETURN_PLACES``: a location each, every one with the
        same ``pickup`` and ``region`` points (the pickup store's first)."""
        origin = None
        for point in (rows[0]["pickup"], rows[0]["region"]) if rows else ():
            if point and point.get("lat") is not None:
                origin = (float(point["lat"]), float(point["lon"]))
                break
        return cls(tuple(LocationRecord.from_row(row["location"]) for row in rows), origin)


def receipt_params(receipt: ReturnReceipt) -> dict[str, Any]:
    """The properties a receipt sets on its return (the rest of ``to_params`` stays)."""
    return {
        "status": receipt.status.value,
        "received": _stored_received(receipt.received),
        "receivedAt": receipt.received_at.isoformat(),
        "refundAmount": str(receipt.refund_amount),
        "refundCurrency": receipt.refund_currency,
        "refundStatus": receipt.refund_status,
    }


def returned_params(receipt: ReturnReceipt) -> list[dict[str, Any]]:
    """The ``OrderLine.returned`` counts a receipt sets, as ``{id, props}`` line updates."""
    return [{"id": line_id, "props": {"returned": n}} for line_id, n in receipt.returned]


def _stored_received(units: tuple[ReceivedUnit, ...]) -> str:
    """Received units as the stored ``received`` JSON list."""
    return codec.encode(
        [
            {
                "sku": u.sku,
                "quantity": u.quantity,
                "disposition": u.disposition.value,
                "at": u.at.isoformat(),
            }
            for u in units
        ]
    )


def _line(item: Mapping[str, Any]) -> ReturnLine:
    return ReturnLine(str(item["sku"]), int(item["quantity"]))


def _unit(item: Mapping[str, Any]) -> ReceivedUnit:
    return ReceivedUnit(
        sku=str(item["sku"]),
        quantity=int(item["quantity"]),
        disposition=Disposition(item["disposition"]),
        at=datetime.fromisoformat(item["at"]),
    )


def _item(return_id: str, prop: str, item: object, read: Callable[[Mapping[str, Any]], T]) -> T:
    """One item of a stored list, read by ``read``; an item of another shape is corrupt."""
    if not isinstance(item, Mapping):
        raise codec.CorruptProperty(LABEL, return_id, prop, f"a list holding {item!r}")
    try:
        return read(item)
    except (KeyError, TypeError, ValueError) as exc:
        raise codec.CorruptProperty(
            LABEL, return_id, prop, f"a list holding {dict(item)!r} ({exc!r})"
        ) from None


def _stored_amount(value: Any) -> Decimal:
    """A refund total as stored; one that is not an amount (an older version's) counts as 0."""
    try:
        amount = Decimal(str(value or "0"))
    except InvalidOperation:
        return Decimal("0")
    return amount if amount_problem(amount) is None else Decimal("0")
