"""The inputs and payloads of the lifecycle mutations (resolvers/lifecycle.py)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from ordergraph.domain.picking import ShortReason as DomainShortReason
from ordergraph.schema.errors import UserError
from ordergraph.schema.inputs import AddressInput, OrderLineQuantityInput
from ordergraph.schema.orders import Fulfillment, Order, ServiceLevel


@strawberry.input
class OrderCancelInput:
    order_id: strawberry.ID
    lines: list[OrderLineQuantityInput] | None = strawberry.field(
        default=None, description="Units to cancel; none = the whole order."
    )
    reason: str | None = None


@strawberry.input
class OrderUpdateInput:
    order_id: strawberry.ID
    lines: list[OrderLineQuantityInput] | None = strawberry.field(
        default=None,
        description="New total quantity per SKU (lower cancels, higher backorders and routes).",
    )
    ship_to: AddressInput | None = None
    service_level: ServiceLevel | None = None


@strawberry.input
class FulfillmentReleaseInput:
    fulfillment_id: strawberry.ID


@strawberry.input
class FulfillmentRejectInput:
    fulfillment_id: strawberry.ID
    reason: str | None = None


# registered on the class (as schema/errors.py does), the alias a type mypy sees
strawberry.enum(
    DomainShortReason,
    name="ShortPickReason",
    description="Why units were short at pick: MISSING (not there) or DAMAGED (not sellable).",
)
ShortPickReason = DomainShortReason


@strawberry.input
class FulfillmentShortPickInput:
    fulfillment_id: strawberry.ID
    sku: strawberry.ID = strawberry.field(description="The line's SKU (or its line id).")
    found: int = strawberry.field(
        description="Units found and good; the rest of the line (the short units) is taken "
        "off this fulfillment and re-routed without this location, or backordered."
    )
    reason: ShortPickReason = DomainShortReason.MISSING
    expected: int | None = strawberry.field(
        default=None,
        description="The units the picker was asked for; when the line no longer asks for "
        "that many (someone changed it), the short pick is refused with CONFLICT.",
    )


@strawberry.input
class FulfillmentShipInput:
    fulfillment_id: strawberry.ID
    carrier: str | None = None
    tracking_number: str | None = strawberry.field(
        default=None,
        description="The parcel's tracking number; omitted, the label is bought from the "
        "carrier account (fulfillmentLabelBuy) and its tracking number used.",
    )


@strawberry.input
class FulfillmentDeliverInput:
    fulfillment_id: strawberry.ID
    delivered_at: datetime | None = None


@strawberry.type
class OrderCancelPayload:
    order: Order | None
    user_errors: list[UserError]


@strawberry.type
class OrderUpdatePayload:
    order: Order | None
    user_errors: list[UserError]


@strawberry.type
class FulfillmentPayload:
    order: Order | None
    fulfillment: Fulfillment | None
    user_errors: list[UserError]


@strawberry.type
class FulfillmentReleasePayload(FulfillmentPayload):
    pass


@strawberry.type
class FulfillmentRejectPayload(FulfillmentPayload):
    pass


@strawberry.type
class FulfillmentShipPayload(FulfillmentPayload):
    pass


@strawberry.type
class FulfillmentShortPickPayload(FulfillmentPayload):
    pass


@strawberry.type
class FulfillmentDeliverPayload(FulfillmentPayload):
    pass


@strawberry.type
class BackordersAllocatePayload:
    allocated_orders: list[strawberry.ID]
    user_errors: list[UserError]
