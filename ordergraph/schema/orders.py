"""GraphQL types for orders, fulfillments, routing plans and delivery options."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry

from ordergraph.domain import orders as domain
from ordergraph.domain.access import Principal, redact_event
from ordergraph.domain.routing.types import RoutingPlan as DomainPlan
from ordergraph.domain.routing.types import ServiceLevel as DomainServiceLevel
from ordergraph.domain.transfers import customer_event, customer_plan
from ordergraph.graph.records.events import EventRecord
from ordergraph.graph.records.orders import FulfillmentRecord, LineRecord, OrderRecord
from ordergraph.schema.context import Info
from ordergraph.schema.errors import UserError
from ordergraph.schema.permissions import principal
from ordergraph.schema.types import Connection, Location, location_by_id, location_of

if TYPE_CHECKING:
    from ordergraph.schema.returns import Return

# strawberry.enum registers the GraphQL enum on the class and returns that class; the plain
# aliases below let mypy see types (a call's result is a variable to it, not a type).
strawberry.enum(DomainServiceLevel, name="ServiceLevel")
strawberry.enum(domain.OrderStatus, name="OrderStatus")
strawberry.enum(domain.FulfillmentStatus, name="FulfillmentStatus")
strawberry.enum(
    domain.FulfillmentKind,
    name="FulfillmentKind",
    description="SHIPMENT to the customer, PICKUP at a store, or TRANSFER of stock to the "
    "pickup store (docs/transfers.md).",
)
FulfillmentKind = domain.FulfillmentKind
ServiceLevel = DomainServiceLevel
OrderStatus = domain.OrderStatus
FulfillmentStatus = domain.FulfillmentStatus


@strawberry.enum
class DeliveryKind(Enum):
    SHIP = "SHIP"
    PICKUP = "PICKUP"
    PREORDER = "PREORDER"  # shipped, with the units on-hand cannot serve sold from inbound


@strawberry.type
class OrderLineQuantity:
    sku: strawberry.ID
    quantity: int


def line_quantities(lines: Iterable[tuple[str, int]]) -> list[OrderLineQuantity]:
    """``(sku, quantity)`` pairs as the GraphQL type."""
    return [OrderLineQuantity(sku=strawberry.ID(sku), quantity=n) for sku, n in lines]


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
        return await location_of(info, self.location_id)


@strawberry.type(description="A routing decision with its reasons.")
class RoutingPlan:
    feasible: bool = strawberry.field(
        description="Every unit allocated: false whenever anything is backordered."
    )
    allocatable: bool = strawberry.field(
        description="At least one unit allocated; a partial plan is allocatable, not feasible."
    )
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
            allocatable=plan.allocatable,
            shipments=[
                PlannedShipment(
                    location_id=s.location_id,
                    lines=line_quantities(s.lines),
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
            backordered=line_quantities(plan.backordered),
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
    def from_record(cls, rec: LineRecord) -> OrderLine:
        return cls(
            id=strawberry.ID(rec.id),
            sku=strawberry.ID(rec.sku),
            quantity=rec.quantity,
            allocated=rec.allocated,
            backordered=rec.backordered,
            cancelled=rec.cancelled,
            unit_price=rec.unit_price,
            currency=rec.currency,
            status=rec.status,
        )


@strawberry.type
class Fulfillment:
    id: strawberry.ID
    location_id: strawberry.Private[str]
    status: FulfillmentStatus
    lines: list[OrderLineQuantity]
    carrier: str | None
    service: str | None
    cost: float | None
    ship_by: date | None
    estimated_delivery: date | None
    ready_by: datetime | None
    tracking_number: str | None
    asn: str | None = strawberry.field(
        description="The X12 856 ship notice, for EDI partners' orders."
    )
    inbound_id: str | None = strawberry.field(
        default=None,
        description="A preorder's inbound line (status PREORDER until it is received; kept "
        "after). Its estimatedDelivery is the preorder promise.",
    )
    expected_at: date | None = strawberry.field(
        default=None,
        description="The expected date of that inbound line the preorder was last promised from.",
    )
    arrived: int = strawberry.field(
        default=0,
        description="Of a PREORDER's units: those already received and reserved on hand for "
        "it (it becomes OPEN when all have arrived).",
    )
    label_url: str | None = strawberry.field(
        default=None, description="The carrier label bought for it (fulfillmentLabelBuy)."
    )
    label_format: str | None = strawberry.field(
        default=None, description="The label's file type, as the carrier names it (image/png)."
    )
    label_voided: bool = strawberry.field(
        default=False, description="The label was voided (refunded) after a cancel."
    )
    kind: FulfillmentKind = strawberry.field(
        default=FulfillmentKind.SHIPMENT,
        description="A TRANSFER moves stock from its location to the order's pickup store "
        "(toLocation); ops and partners see it, a storefront key sees only the pickup.",
    )
    to_location_id: strawberry.Private[str | None] = None
    transfer_id: strawberry.ID | None = strawberry.field(
        default=None, description="A pickup's TRANSFER: it is ready once the store receives it."
    )
    pickup_id: strawberry.ID | None = strawberry.field(
        default=None, description="A TRANSFER's pickup fulfillment at the store."
    )

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return await location_of(info, self.location_id)

    @strawberry.field(description="A TRANSFER's destination: the pickup store.")
    async def to_location(self, info: Info) -> Location | None:
        return await location_by_id(info, self.to_location_id)

    @classmethod
    def from_record(cls, rec: FulfillmentRecord) -> Fulfillment:
        return cls(
            id=strawberry.ID(rec.id),
            location_id=rec.location_id,
            status=rec.status,
            lines=line_quantities((li.sku, li.quantity) for li in rec.lines),
            carrier=rec.carrier,
            service=rec.service,
            cost=None if rec.cost is None else round(rec.cost, 2),
            ship_by=rec.ship_by,
            estimated_delivery=rec.estimated_delivery,
            ready_by=rec.ready_by,
            tracking_number=rec.tracking_number,
            asn=rec.asn,
            inbound_id=rec.inbound_id,
            expected_at=rec.expected_at,
            arrived=rec.arrived,
            label_url=rec.label_url,
            label_format=rec.label_format,
            label_voided=rec.label_voided,
            kind=rec.kind,
            to_location_id=rec.to_location,
            transfer_id=None if rec.transfer_id is None else strawberry.ID(rec.transfer_id),
            pickup_id=None if rec.pickup_id is None else strawberry.ID(rec.pickup_id),
        )


@strawberry.type
class OrderEvent:
    id: strawberry.ID
    type: str
    sequence: int
    at: datetime
    payload: strawberry.scalars.JSON

    @classmethod
    def from_record(cls, rec: EventRecord, payload: Mapping[str, Any]) -> OrderEvent:
        """The event as a viewer sees it: ``payload`` is the record's, redacted for them."""
        return cls(
            id=strawberry.ID(rec.id),
            type=rec.type,
            sequence=rec.sequence,
            at=rec.at,
            payload=cast(strawberry.scalars.JSON, dict(payload)),
        )


@strawberry.type(description="One canonical order, whichever channel it came from.")
class Order:
    id: strawberry.ID
    channel: strawberry.ID
    external_id: str | None
    status: OrderStatus
    placed_at: datetime
    service_level: ServiceLevel
    pickup_at_id: strawberry.Private[str | None]
    ship_to: Address | None = strawberry.field(
        description="The customer's name and address: personal data, null for keys that may not "
        "see it (see personalDataRedacted)."
    )
    personal_data_redacted: bool = strawberry.field(
        description="True when this API key is not shown the order's personal data (shipTo): "
        "storefront keys, and partners without an active fulfillment of the order."
    )
    promised_by: date | None
    shipping_cost: float | None
    version: int
    original_promised_by: date | None = strawberry.field(
        description="The first promise, when carrier tracking has moved it since "
        "(order.promise_changed); null while the promise stands. For the on-time KPI."
    )
    channel_rules_version: int = strawberry.field(
        description="The version of its channel's sourcing rules (channelUpsert) the order was "
        "placed under; 0 for orders placed before channels had versioned rules."
    )
    held_until: datetime | None = strawberry.field(
        description="Waiting for the batch allocation wave that ends then (its channel's "
        "batchWindowSeconds; nothing is reserved until it); null once routed. "
        "docs/allocation.md"
    )
    routing_policy_id: str | None = strawberry.field(
        description="The id of the routing policy the order was routed under (routingPolicy); "
        "null for orders placed before policies were versioned."
    )
    routing_policy_version: int | None = strawberry.field(
        description="The version of that policy (shipped policies are version 1)."
    )
    routing_record: strawberry.Private[Mapping[str, Any] | None]
    viewer: strawberry.Private[Principal]

    @classmethod
    def from_record(cls, rec: OrderRecord, viewer: Principal, *, personal: bool) -> Order:
        """The order as ``viewer`` sees it; build it through ``readable_order`` (the checks)."""
        ship_to = None
        if personal and rec.ship_to is not None:
            s = rec.ship_to
            ship_to = Address(
                name=s.name,
                line1=s.line1,
                line2=s.line2,
                city=s.city,
                region=s.region,
                postal_code=s.postal_code,
                country=s.country,
            )
        return cls(
            id=strawberry.ID(rec.id),
            channel=strawberry.ID(rec.channel),
            external_id=rec.external_id,
            status=rec.status,
            placed_at=rec.placed_at,
            service_level=rec.service_level,
            pickup_at_id=rec.pickup_at,
            ship_to=ship_to,
            personal_data_redacted=not personal,
            promised_by=rec.promised_by,
            shipping_cost=rec.shipping_cost,
            version=rec.version,
            original_promised_by=rec.original_promised_by,
            channel_rules_version=rec.channel_rules_version,
            held_until=rec.held_until,
            routing_policy_id=rec.routing_policy_id,
            routing_policy_version=rec.routing_policy_version,
            routing_record=rec.routing,
            viewer=viewer,
        )

    @strawberry.field
    async def lines(self, info: Info) -> list[OrderLine]:
        return [
            OrderLine.from_record(r) for r in await info.context.loaders.order_lines.load(self.id)
        ]

    @strawberry.field(
        description="For a partner key: its own locations' fulfillments only (and the "
        "transfers coming to them). A storefront key "
        "(the customer's view) does not see TRANSFER fulfillments: a transfer-then-pickup is "
        "one pickup."
    )
    async def fulfillments(self, info: Info) -> list[Fulfillment]:
        return [
            Fulfillment.from_record(r)
            for r in await info.context.loaders.fulfillments.load(self.id)
            if (
                self.viewer.sees_fulfillment_at(r.location_id)
                or (r.to_location is not None and self.viewer.sees_fulfillment_at(r.to_location))
            )
            and (r.kind != FulfillmentKind.TRANSFER or self.viewer.sees_transfers())
        ]

    @strawberry.field(
        description="The audit trail: every change, in order. A partner key sees the events of "
        "its own locations' work; payloads carry personal data only for keys that see it."
    )
    async def events(self, info: Info) -> list[OrderEvent]:
        shown = []
        for rec in await info.context.loaders.events.load(self.id):
            payload = redact_event(
                rec.payload,
                self.viewer.sees_fulfillment_at,
                not self.personal_data_redacted,
                routing=self.viewer.sees_routing(),
            )
            if payload is not None and not self.viewer.sees_transfers():
                payload = customer_event(rec.type, payload)
            if payload is not None:
                shown.append(OrderEvent.from_record(rec, payload))
        return shown

    @strawberry.field(
        description="The routing decision stored with the order, with its explanation "
        "(null for partner keys: it names every candidate location)."
    )
    def routing(self) -> RoutingPlan | None:
        if self.routing_record is None or not self.viewer.sees_routing():
            return None
        plan = DomainPlan.from_record(self.routing_record)
        if not self.viewer.sees_transfers():
            plan = customer_plan(plan)
        return RoutingPlan.from_plan(plan)

    @strawberry.field
    async def pickup_at(self, info: Info) -> Location | None:
        return await location_by_id(info, self.pickup_at_id)

    @strawberry.field(description="For a partner key: returns to its own locations only.")
    async def returns(
        self, info: Info
    ) -> list[Annotated[Return, strawberry.lazy("ordergraph.schema.returns")]]:
        from ordergraph.schema.returns import Return as ReturnType

        return [
            ReturnType.from_record(r, self)
            for r in await info.context.loaders.returns.load(self.id)
            if self.viewer.sees_fulfillment_at(r.location_id)
        ]


async def readable_order(
    info: Info, rec: OrderRecord | None, *, echo: bool = False
) -> Order | None:
    """The ONE way an order reaches a caller (root fields, lists, payloads, a return's order).

    None when this key may not read it (its existence is not revealed). Personal data is shown
    to keys that may see it, or when ``echo``: the answer to the caller's own ``orderCreate``,
    which carries what it has just sent.
    """
    if rec is None:
        return None
    who = principal(info)
    fulfillments = await info.context.loaders.fulfillments.load(rec.id)
    personal = who.order_access(
        rec.channel, [(f.location_id, f.status.value) for f in fulfillments]
    )
    if personal is None:
        return None
    return Order.from_record(rec, who, personal=echo or personal)


async def readable_order_by_id(info: Info, order_id: str, *, echo: bool = False) -> Order | None:
    return await readable_order(info, await info.context.loaders.order.load(order_id), echo=echo)


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
    service_level: ServiceLevel | None
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
        return await location_by_id(info, self.pickup_at_id)
