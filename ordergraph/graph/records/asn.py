"""The records of X12 856 ship notices: the trading partner's record kept on an ``:Order``
placed from an 850 (``x12``, a JSON map in a string property, read and written through ``codec``)
and the shipment of one ``:Fulfillment`` that its 856 is built from.

The stored map keeps the keys it has always had (``interchangeVersion``, ``poNumber``, ...), so
records written before this module still read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ordergraph.graph.records import codec
from ordergraph.graph.records.orders import ORDER, ShippedLine

PROP = "x12"

__all__ = ["PROP", "PartnerRecord", "ShipmentRecord", "ShippedLine", "Side"]

# One side of the exchange: (ISA qualifier, ISA id, GS application id).
Side = tuple[str, str, str]
# element, component, segment, repetition (None before release 00402), line break
DelimiterChars = tuple[str, str, str, str | None, str]


@dataclass(frozen=True, slots=True)
class PartnerRecord:
    """What an order placed from an 850 keeps of its partner for the 856 of its shipments: the
    envelope (its sides as the 850 had them, releases, usage, delimiters), the PO number, and the
    PO101 line number each SKU was ordered on."""

    sender: Side
    receiver: Side
    interchange_version: str  # ISA12
    group_version: str  # GS08
    usage: str  # ISA15
    po_number: str
    delimiters: DelimiterChars
    lines: Mapping[str, str]  # SKU -> PO101

    @property
    def skus_by_line(self) -> dict[str, str]:
        """PO101 -> SKU: which SKU each PO line was given (the other way round from ``lines``)."""
        return {number: sku for sku, number in self.lines.items()}

    def encode(self) -> str:
        """The JSON text stored in ``Order.x12``."""
        return codec.encode(
            {
                "sender": list(self.sender),
                "receiver": list(self.receiver),
                "interchangeVersion": self.interchange_version,
                "groupVersion": self.group_version,
                "usage": self.usage,
                "poNumber": self.po_number,
                "delimiters": list(self.delimiters),
                "lines": dict(self.lines),
            }
        )

    def to_params(self) -> dict[str, Any]:
        """The order's property to store (what ``from_row`` reads back)."""
        return {PROP: self.encode()}

    @classmethod
    def decode(cls, text: object, order_id: object) -> PartnerRecord | None:
        """The record stored in order ``order_id``'s ``x12`` (None: none stored, not an X12
        order); a value that is not a partner record is a ``CorruptProperty``."""
        value = codec.decode(text, ORDER, order_id, PROP)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            why = f"a JSON {type(value).__name__}, not a map"
            raise codec.CorruptProperty(ORDER, order_id, PROP, why)
        try:
            return cls._read(value)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            why = f"not a partner record ({exc!r})"
            raise codec.CorruptProperty(ORDER, order_id, PROP, why) from None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PartnerRecord | None:
        """The record of a row ``{id, x12}`` of an order (None when it keeps none)."""
        return cls.decode(row.get(PROP), row["id"])

    @classmethod
    def _read(cls, value: Mapping[str, Any]) -> PartnerRecord:
        element, component, segment, repetition, line_break = value["delimiters"]
        return cls(
            sender=_side(value["sender"]),
            receiver=_side(value["receiver"]),
            interchange_version=str(value["interchangeVersion"]),
            group_version=str(value["groupVersion"]),
            usage=str(value["usage"]),
            po_number=str(value["poNumber"]),
            delimiters=(
                str(element),
                str(component),
                str(segment),
                None if repetition is None else str(repetition),
                str(line_break),
            ),
            lines={str(sku): str(number) for sku, number in (value.get("lines") or {}).items()},
        )


def _side(value: Iterable[Any]) -> Side:
    qualifier, ident, application = value
    return str(qualifier), str(ident), str(application)


@dataclass(frozen=True, slots=True)
class ShipmentRecord:
    """A fulfillment as its 856 reads it: its order and that order's partner record (None: not
    an X12 order), where and how it shipped, the 856 once stored, and the units it ships."""

    order: str  # the order's id
    partner: PartnerRecord | None
    location: str
    carrier: str | None
    tracking: str | None
    shipped_at: datetime | None
    asn: str | None
    lines: tuple[ShippedLine, ...]  # by SKU

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ShipmentRecord:
        """``row``: the order's ``order`` and ``x12``, the fulfillment's ``location``,
        ``carrier``, ``tracking``, ``shippedAt`` and ``asn``, and its ``{line, sku, quantity}``
        edges in ``lines``."""
        shipped_at = row.get("shippedAt")
        return cls(
            order=row["order"],
            partner=PartnerRecord.decode(row.get(PROP), row["order"]),
            location=row["location"],
            carrier=row.get("carrier"),
            tracking=row.get("tracking"),
            shipped_at=datetime.fromisoformat(shipped_at) if shipped_at else None,
            asn=row.get("asn"),
            lines=tuple(
                sorted(
                    (
                        ShippedLine(str(li["line"]), str(li["sku"]), int(li["quantity"] or 0))
                        for li in row.get("lines") or ()
                    ),
                    key=lambda li: (li.sku, li.line),
                )
            ),
        )
