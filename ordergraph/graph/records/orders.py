"""The records of an order as the read side sees it: ``:Order``, its ``:OrderLine`` s and its
``:Fulfillment`` s (with the lines each one ships, from its ``SHIPS`` edges).

The order's routing decision is a JSON map kept in the string property ``routing``, decoded by
``codec`` (a corrupt value is a ``CorruptProperty`` naming the order).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ordergraph.domain.orders import FulfillmentKind, FulfillmentStatus, OrderStatus
from ordergraph.domain.routing.types import PICKUP, ServiceLevel
from ordergraph.graph.records import codec

ORDER = "Order"

__all__ = [
    "ORDER",
    "FulfillmentRecord",
    "LineRecord",
    "OrderRecord",
    "ShipTo",
    "ShippedLine",
]


@dataclass(frozen=True, slots=True)
class ShipTo:
    """The customer's name and address kept on an order (personal data)."""

    name: str | None
    line1: str | None
    line2: str | None
    city: str | None
    region: str | None
    postal_code: str
    country: str  # "" when not stored

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ShipTo | None:
        """The ``shipTo*`` properties of an order; None when no postal code is stored."""
        postal_code = row.get("shipToPostalCode")
        if not postal_code:
            return None
        return cls(
            name=row.get("shipToName"),
            line1=row.get("shipToLine1"),
            line2=row.get("shipToLine2"),
            city=row.get("shipToCity"),
            region=row.get("shipToRegion"),
            postal_code=postal_code,
            country=row.get("shipToCountry") or "",
        )


@dataclass(frozen=True, slots=True)
class OrderRecord:
    id: str
    channel: str
    external_id: str | None
    status: OrderStatus
    placed_at: datetime
    placed_at_ms: int | None  # the keyset of order pages
    service_level: ServiceLevel  # STANDARD when not stored
    pickup_at: str | None
    ship_to: ShipTo | None  # None when no postal code is stored
    promised_by: date | None
    shipping_cost: float | None
    version: int  # 1 when not stored
    routing: Mapping[str, Any] | None  # the stored plan (``RoutingPlan.from_record`` reads it)
    channel_rules_version: int = 0  # the channel's rulesVersion it was placed under
    original_promised_by: date | None = None  # the first promise, once a carrier moved it
    held_until: datetime | None = None  # waiting for the batch wave that ends then (#18)
    routing_policy_id: str | None = None  # the routing policy it was routed under (None:
    routing_policy_version: int | None = None  # placed before policies were versioned)
    pickup_name: str | None = None  # who collects a pickup order (personal data)
    customer_email: str | None = None  # the channel's customer e-mail (personal data)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> OrderRecord:
        oid = row["id"]
        ship_to = ShipTo.from_row(row)
        routing = codec.decode(row.get("routing"), ORDER, oid, "routing")
        if routing is not None and not isinstance(routing, Mapping):
            raise codec.CorruptProperty(
                ORDER, oid, "routing", f"a JSON {type(routing).__name__}, not a map"
            )
        placed_at_ms = row.get("placedAtMs")
        return cls(
            id=oid,
            channel=row["channel"],
            external_id=row.get("externalId"),
            status=OrderStatus(row["status"]),
            placed_at=datetime.fromisoformat(row["placedAt"]),
            placed_at_ms=None if placed_at_ms is None else int(placed_at_ms),
            service_level=ServiceLevel(row.get("serviceLevel") or "STANDARD"),
            pickup_at=row.get("pickupAt"),
            pickup_name=row.get("pickupName"),
            ship_to=ship_to,
            promised_by=_date(row.get("promisedBy")),
            shipping_cost=row.get("shippingCost"),
            version=int(row.get("version") or 1),
            routing=routing,
            channel_rules_version=int(row.get("channelRulesVersion") or 0),
            original_promised_by=_date(row.get("originalPromisedBy")),
            held_until=None
            if row.get("heldUntil") is None
            else datetime.fromisoformat(row["heldUntil"]),
            routing_policy_id=row.get("routingPolicyId"),
            routing_policy_version=None
            if row.get("routingPolicyVersion") is None
            else int(row["routingPolicyVersion"]),
            customer_email=row.get("customerEmail"),
        )


@dataclass(frozen=True, slots=True)
class LineRecord:
    id: str
    sku: str
    quantity: int
    allocated: int
    backordered: int
    cancelled: int
    unit_price: str | None  # a decimal string, in ``currency``
    currency: str | None
    status: str  # ALLOCATED when not stored
    position: int  # the line's place in the order (0 when not stored)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LineRecord:
        return cls(
            id=row["id"],
            sku=str(row["sku"]),
            quantity=int(row.get("quantity") or 0),
            allocated=int(row.get("allocated") or 0),
            backordered=int(row.get("backordered") or 0),
            cancelled=int(row.get("cancelled") or 0),
            unit_price=row.get("unitPrice"),
            currency=row.get("currency"),
            status=row.get("status") or "ALLOCATED",
            position=int(row.get("position") or 0),
        )

    @property
    def open(self) -> int:
        """Units still ordered: the quantity less what was cancelled."""
        return self.quantity - self.cancelled


@dataclass(frozen=True, slots=True)
class ShippedLine:
    """Units of one order line a fulfillment ships (a ``SHIPS`` edge)."""

    line: str  # the order line's id
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class FulfillmentRecord:
    id: str
    location_id: str
    status: FulfillmentStatus
    lines: tuple[ShippedLine, ...]  # by line id
    carrier: str | None
    service: str | None
    cost: float | None
    ship_by: date | None
    estimated_delivery: date | None
    ready_by: datetime | None
    tracking_number: str | None
    asn: str | None  # the X12 856 ship notice, for EDI partners' orders
    inbound_id: str | None = None  # a PREORDER's inbound line (kept once it is received)
    expected_at: date | None = None  # that line's expected date, as last promised from
    arrived: int = 0  # a PREORDER's units received and reserved on hand for it so far
    label_url: str | None = None  # the carrier label bought for it (services/labels.py)
    label_format: str | None = None
    label_voided: bool = False
    # the store floor's progress (domain/picking.py): PICKED, PACKED or READY; lines confirmed
    stage: str | None = None
    picked: tuple[str, ...] = ()
    boxes: int | None = None
    kind: FulfillmentKind = FulfillmentKind.SHIPMENT  # docs/transfers.md
    to_location: str | None = None  # a TRANSFER's pickup store
    transfer_id: str | None = None  # a pickup's TRANSFER
    pickup_id: str | None = None  # a TRANSFER's pickup

    @classmethod
    def from_row(
        cls, row: Mapping[str, Any], lines: Iterable[Mapping[str, Any]] = ()
    ) -> FulfillmentRecord:
        """``row`` the fulfillment's properties, ``lines`` its ``{line, sku, quantity}`` edges."""
        ready_by = row.get("readyBy")
        cost = row.get("cost")
        return cls(
            id=row["id"],
            location_id=row["locationId"],
            status=FulfillmentStatus(row["status"]),
            lines=tuple(
                sorted(
                    (
                        ShippedLine(str(li["line"]), str(li["sku"]), int(li["quantity"]))
                        for li in lines
                    ),
                    key=lambda li: li.line,
                )
            ),
            carrier=row.get("carrier"),
            service=row.get("service"),
            cost=None if cost is None else float(cost),
            ship_by=_date(row.get("shipBy")),
            estimated_delivery=_date(row.get("estimatedDelivery")),
            ready_by=None if ready_by is None else datetime.fromisoformat(ready_by),
            tracking_number=row.get("trackingNumber"),
            asn=row.get("asn"),
            inbound_id=row.get("inboundId"),
            expected_at=_date(row.get("expectedAt")),
            arrived=int(row.get("arrived") or 0),
            label_url=row.get("labelUrl"),
            label_format=row.get("labelFormat"),
            label_voided=row.get("labelVoidedAt") is not None,
            stage=row.get("stage"),
            picked=tuple(str(x) for x in row.get("picked") or ()),
            boxes=None if row.get("boxes") is None else int(row["boxes"]),
            kind=FulfillmentKind(row["kind"])
            if row.get("kind")
            else FulfillmentKind.PICKUP
            if row.get("carrier") == PICKUP
            else FulfillmentKind.SHIPMENT,
            to_location=row.get("toLocation"),
            transfer_id=row.get("transferId"),
            pickup_id=row.get("pickupId"),
        )


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
