"""GraphQL types for orders, fulfillments, routing plans and delivery options."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from ordergraph.domain import orders as domain
from ordergraph.domain.routing import RoutingPlan as DomainPlan
from ordergraph.domain.routing import ServiceLevel as DomainServiceLevel
from ordergraph.schema.context import Info
from ordergraph.schema.errors import UserError
from ordergraph.schema.types import Connection, Location

if TYPE_CHECKING:
    from ordergraph.schema.returns import Return

ServiceLevel = strawberry.enum(DomainServiceLevel, name="ServiceLevel")
OrderStatus = strawberry.enum(domain.OrderStatus, name="OrderStatus")
FulfillmentStatus = strawberry.enum(domain.FulfillmentStatus, name="FulfillmentStatus")


@strawberry.enum
class DeliveryKind(Enum):
    SHIP = "SHIP"
    PICKUP = "PICKUP"


@strawberry.type
class OrderLineQuantity:
    sku: strawberry.ID
    quantity: int


@strawberry.type
class PlannedShipment:
    location_id: strawberry.Private[str]
    lines: list[OrderLineQuantity]
    carrier: str
    service: str
    transit_days: int
    cost: float
    ship_by: date
    estimated_delivery: date
    ready_by: datetime | None

    @strawberry.field
    async def location(self, info: Info) -> Location:
        rec = await info.context.loaders.location.load(self.location_id)
        return Location.from_record(rec or {"id": self.location_id})


@strawberry.type(description="A routing decision with its reasons.")
class RoutingPlan:
    feasible: bool = strawberry.field(description="Every unit allocated.")
    shipments: list[PlannedShipment]
    backordered: list[OrderLineQuantity]
    total_cost: float
    promised_by: date | None
    explanation: list[str] = strawberry.field(
        description="Human-readable: candidates, rejections, why this split, cost of each shipment."
    )
    policy: str
    exact: bool = strawberry.field(description="Proven optimal under the policy.")

    @classmethod
    def from_plan(cls, plan: DomainPlan) -> RoutingPlan:
        return cls(
            feasible=plan.feasible,
            shipments=[
                PlannedShipment(
                    location_id=s.location_id,
                    lines=[OrderLineQuantity(sku=strawberry.ID(k), quantity=n) for k, n in s.lines],
                    carrier=s.carrier,
                    service=s.service,
                    transit_days=s.transit_days,
                    cost=round(s.cost, 2),
                    ship_by=s.ship_by,
                    estimated_delivery=s.estimated_delivery,
                    ready_by=s.ready_by,
                )
                for s in plan.shipments
            ],
            backordered=[
                OrderLineQuantity(sku=strawberry.ID(k), quantity=n) for k, n in plan.backordered
            ],
            total_cost=round(plan.total_cost, 2),
            promised_by=plan.promised_by,
            explanation=list(plan.explanation),
            policy=plan.policy,
            exact=plan.exact,
        )


@strawberry.type
class Address:
    name: str | None
    line1: str | None
    line2: str | None
    city: str | None
    region: str | None
    postal_code: str
    country: str


@strawberry.type
class OrderLine:
    id: strawberry.ID
    sku: strawberry.ID
    quantity: int
    allocated: int
    backordered: int
    cancelled: int
    unit_price: str | None = strawberry.field(description="Decimal string, in `currency`.")
    currency: str | None
    status: str

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> OrderLine:
        return cls(
            id=strawberry.ID(rec["id"]),
            sku=strawberry.ID(rec["sku"]),
            quantity=int(rec["quantity"]),
            allocated=int(rec.get("allocated") or 0),
            backordered=int(rec.get("backordered") or 0),
            cancelled=int(rec.get("cancelled") or 0),
            unit_price=rec.get("unitPrice"),
            currency=rec.get("currency"),
            status=rec.get("status") or "ALLOCATED",
        )


@strawberry.type
class Fulfillment:
    id: strawberry.ID
    location_id: strawberry.Private[str]
    status: FulfillmentStatus  # type: ignore[valid-type]
    lines: list[OrderLineQuantity]
    carrier: str | None
    service: str | None
    cost: float | None
    ship_by: date | None
    estimated_delivery: date | None
    ready_by: datetime | None
    tracking_number: str | None
    asn: str | None = strawberry.field(description="The X12 856 ship notice, for EDI partners' orders.")

    @strawberry.field
    async def location(self, info: Info) -> Location:
        rec = await info.context.loaders.location.load(self.location_id)
        return Location.from_record(rec or {"id": self.location_id})

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Fulfillment:
        return cls(
            id=strawberry.ID(rec["id"]),
            location_id=rec["locationId"],
            status=domain.FulfillmentStatus(rec["status"]),
            lines=[
                OrderLineQuantity(sku=strawberry.ID(li["sku"]), quantity=int(li["quantity"]))
                for li in sorted(rec.get("lines") or [], key=lambda li: li["line"])
            ],
            carrier=rec.get("carrier"),
            service=rec.get("service"),
            cost=None if rec.get("cost") is None else round(float(rec["cost"]), 2),
            ship_by=_date(rec.get("shipBy")),
            estimated_delivery=_date(rec.get("estimatedDelivery")),
            ready_by=None if rec.get("readyBy") is None else datetime.fromisoformat(rec["readyBy"]),
            tracking_number=rec.get("trackingNumber"),
            asn=rec.get("asn"),
        )


@strawberry.type
class OrderEvent:
    id: strawberry.ID
    type: str
    sequence: int
    at: datetime
    payload: strawberry.scalars.JSON

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> OrderEvent:
        return cls(
            id=strawberry.ID(rec["id"]),
            type=rec["type"],
            sequence=int(rec["sequence"]),
            at=datetime.fromisoformat(rec["at"]),
            payload=json.loads(rec.get("payload") or "{}"),
        )


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


@strawberry.type(description="One canonical order, whichever channel it came from.")
class Order:
    id: strawberry.ID
    channel: strawberry.ID
    external_id: str | None
    status: OrderStatus  # type: ignore[valid-type]
    placed_at: datetime
    service_level: ServiceLevel  # type: ignore[valid-type]
    pickup_at_id: strawberry.Private[str | None]
    ship_to: Address | None
    promised_by: date | None
    shipping_cost: float | None
    version: int
    routing_record: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Order:
        ship_to = None
        if rec.get("shipToPostalCode"):
            ship_to = Address(
                name=rec.get("shipToName"),
                line1=rec.get("shipToLine1"),
                line2=rec.get("shipToLine2"),
                city=rec.get("shipToCity"),
                region=rec.get("shipToRegion"),
                postal_code=rec["shipToPostalCode"],
                country=rec.get("shipToCountry") or "",
            )
        return cls(
            id=strawberry.ID(rec["id"]),
            channel=strawberry.ID(rec["channel"]),
            external_id=rec.get("externalId"),
            status=domain.OrderStatus(rec["status"]),
            placed_at=datetime.fromisoformat(rec["placedAt"]),
            service_level=DomainServiceLevel(rec.get("serviceLevel") or "STANDARD"),
            pickup_at_id=rec.get("pickupAt"),
            ship_to=ship_to,
            promised_by=_date(rec.get("promisedBy")),
            shipping_cost=rec.get("shippingCost"),
            version=int(rec.get("version") or 1),
            routing_record=rec.get("routing"),
        )

    @strawberry.field
    async def lines(self, info: Info) -> list[OrderLine]:
        return [
            OrderLine.from_record(r) for r in await info.context.loaders.order_lines.load(self.id)
        ]

    @strawberry.field
    async def fulfillments(self, info: Info) -> list[Fulfillment]:
        who = info.context.principal
        return [
            Fulfillment.from_record(r)
            for r in await info.context.loaders.fulfillments.load(self.id)
            if who is None or who.sees_fulfillment_at(r["locationId"])
        ]

    @strawberry.field(description="The audit trail: every change, in order.")
    async def events(self, info: Info) -> list[OrderEvent]:
        return [OrderEvent.from_record(r) for r in await info.context.loaders.events.load(self.id)]

    @strawberry.field(
        description="The routing decision stored with the order, with its explanation."
    )
    def routing(self) -> RoutingPlan | None:
        if not self.routing_record:
            return None
        return RoutingPlan.from_plan(DomainPlan.from_record(json.loads(self.routing_record)))

    @strawberry.field
    async def pickup_at(self, info: Info) -> Location | None:
        if self.pickup_at_id is None:
            return None
        rec = await info.context.loaders.location.load(self.pickup_at_id)
        return Location.from_record(rec) if rec else None

    @strawberry.field
    async def returns(
        self, info: Info
    ) -> list[Annotated[Return, strawberry.lazy("ordergraph.schema.returns")]]:
        from ordergraph.schema.returns import Return as ReturnType

        return [ReturnType.from_record(r) for r in await info.context.loaders.returns.load(self.id)]


@strawberry.type
class OrderConnection(Connection[Order]):
    pass


@strawberry.type
class OrderCreatePayload:
    order: Order | None
    user_errors: list[UserError]


@strawberry.type(
    description="One way to get a basket: a service level that can ship, or a pickup store."
)
class DeliveryOption:
    kind: DeliveryKind
    service_level: ServiceLevel | None  # type: ignore[valid-type]
    pickup_at_id: strawberry.Private[str | None]
    ships_whole: bool
    shipments: int
    cost: float
    ship_by: date | None
    delivery_by: date | None
    ready_by: datetime | None
    distance_km: float | None
    explanation: list[str]

    @strawberry.field
    async def pickup_at(self, info: Info) -> Location | None:
        if self.pickup_at_id is None:
            return None
        rec = await info.context.loaders.location.load(self.pickup_at_id)
        return Location.from_record(rec) if rec else None
