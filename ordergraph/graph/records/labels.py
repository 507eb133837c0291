"""A fulfillment's shipping label and what buying one needs (issue #17, docs/carriers.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ordergraph.domain.orders import FulfillmentStatus
from ordergraph.graph.records import codec
from ordergraph.graph.records.orders import ShipTo


@dataclass(frozen=True, slots=True)
class LabelState:
    """What is stored of a fulfillment's label: the claim (key, account, the carrier's shipment
    and rate) before the purchase, the label after it, and when it was voided."""

    key: str | None
    adapter: str | None
    shipment_id: str | None
    rate_id: str | None
    tracking_number: str | None
    label_url: str | None
    label_format: str | None
    voided_at: str | None

    @property
    def bought(self) -> bool:
        return bool(self.label_url) and self.voided_at is None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LabelState:
        return cls(
            key=row.get("labelKey"),
            adapter=row.get("labelAdapter"),
            shipment_id=row.get("labelShipmentId"),
            rate_id=row.get("labelRateId"),
            tracking_number=row.get("trackingNumber"),
            label_url=row.get("labelUrl"),
            label_format=row.get("labelFormat"),
            voided_at=row.get("labelVoidedAt"),
        )


@dataclass(frozen=True, slots=True)
class LabelContext:
    """One fulfillment as a label purchase sees it."""

    fulfillment_id: str
    order_id: str
    status: FulfillmentStatus
    carrier: str | None
    service: str | None
    location_id: str
    location_name: str
    location_postal_code: str
    location_country: str
    ship_to: ShipTo | None
    weight_kg: float
    label: LabelState

    @property
    def owner_id(self) -> str:
        return self.fulfillment_id

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LabelContext:
        f, o, loc = row["f"], row["o"], row.get("l") or {}
        return cls(
            fulfillment_id=f["id"],
            order_id=o["id"],
            status=FulfillmentStatus(f["status"]),
            carrier=f.get("carrier"),
            service=f.get("service"),
            location_id=f["locationId"],
            location_name=loc.get("name") or f["locationId"],
            location_postal_code=loc.get("postalCode") or "",
            location_country=loc.get("country") or "",
            ship_to=ShipTo.from_row(o),
            weight_kg=float(row.get("weight") or 0.0),
            label=LabelState.from_row(f),
        )


@dataclass(frozen=True, slots=True)
class ReturnLabelContext:
    """One return as its label purchase sees it: the parcel goes from the order's ship-to back
    to the return location (asked of the carrier as the outbound pair with ``is_return``)."""

    return_id: str
    location_id: str
    location_name: str
    location_postal_code: str
    location_country: str
    ship_to: ShipTo | None
    weight_kg: float
    label: LabelState

    @property
    def owner_id(self) -> str:
        return self.return_id

    @staticmethod
    def _lines(row: Mapping[str, Any]) -> list[dict[str, Any]]:
        items = codec.decode_list(row.get("lines"), "Return", row["id"], "lines")
        return [i for i in items if isinstance(i, dict)]

    @classmethod
    def skus_of(cls, row: Mapping[str, Any]) -> set[str]:
        return {str(i.get("sku")) for i in cls._lines(row) if i.get("sku")}

    @classmethod
    def from_row(cls, row: Mapping[str, Any], weights: Mapping[str, Any]) -> ReturnLabelContext:
        loc = row.get("l") or {}
        weight = sum(
            float(weights.get(str(i.get("sku"))) or 0.0) * int(i.get("quantity") or 0)
            for i in cls._lines(row)
        )
        return cls(
            return_id=row["id"],
            location_id=row["locationId"],
            location_name=loc.get("name") or row["locationId"],
            location_postal_code=loc.get("postalCode") or "",
            location_country=loc.get("country") or "",
            ship_to=ShipTo.from_row(row["o"]),
            weight_kg=weight,
            label=LabelState.from_row(row.get("label") or {}),
        )
