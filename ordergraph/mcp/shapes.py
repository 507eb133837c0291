"""The tools' arguments and structured answers (their JSON schemas are the tool contract,
docs/mcp.md). Pydantic models: the SDK publishes them as input and output schemas and validates
arguments against them, as GraphQL validates its input types."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_ID = Field(min_length=1, max_length=200)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Near(Strict):
    """Where the shopper is: a postal code (with its country), or a point."""

    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class Address(Strict):
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(min_length=2, max_length=2)
    name: str | None = Field(default=None, max_length=200)
    line1: str | None = Field(default=None, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)


class Line(Strict):
    sku: str = _ID
    quantity: int = Field(ge=1, le=10_000)


class Verification(Strict):
    """What proves an order is the shopper's: the postal code it ships to."""

    postal_code: str | None = Field(default=None, max_length=20)


# ---- answers ---------------------------------------------------------------------------------


class Product(BaseModel):
    sku: str
    name: str
    tags: list[str]


class Products(BaseModel):
    products: list[Product]


class PickupStore(BaseModel):
    location: str
    name: str | None
    available: int
    distance_km: float | None


class SkuAvailability(BaseModel):
    sku: str
    status: str = Field(
        description="in_stock, low_stock, backorder, preorder or out_of_stock (UCP)"
    )
    available: int = Field(description="units available near the shopper (or in all when no near)")
    available_total: int
    pickup_stores: list[PickupStore]
    restock_date: str | None = Field(
        description="when none is available: the earliest date inbound supply is expected"
    )


class Availability(BaseModel):
    items: list[SkuAvailability]


class DeliveryOption(BaseModel):
    kind: str = Field(description="SHIP or PICKUP")
    service_level: str | None
    pickup_store: str | None
    ships_whole: bool
    shipments: int
    cost: float
    ship_by: str | None
    delivery_by: str | None
    ready_by: str | None
    distance_km: float | None
    in_time: bool | None = Field(
        description="arrives (or is ready) by wanted_by, when it was given"
    )
    explanation: list[str]


class DeliveryOptions(BaseModel):
    options: list[DeliveryOption]


class LineStatus(BaseModel):
    sku: str
    quantity: int
    allocated: int
    backordered: int
    cancelled: int
    status: str


class Shipment(BaseModel):
    fulfillment_id: str
    location: str
    status: str
    carrier: str | None
    service: str | None
    tracking_number: str | None
    ship_by: str | None
    estimated_delivery: str | None
    ready_by: str | None


class OrderStatus(BaseModel):
    order_id: str
    channel: str
    external_id: str | None
    status: str
    placed_at: str
    promised_by: str | None
    pickup_at: str | None
    lines: list[LineStatus]
    shipments: list[Shipment]
    explanation: list[str]
    personal_data_redacted: bool
    ship_to_postal_code: str | None


class RoutedShipment(BaseModel):
    location: str
    carrier: str
    service: str
    cost: float
    estimated_delivery: str
    lines: list[Line]


class RoutingExplanation(BaseModel):
    order_id: str
    policy: str
    shipments: list[RoutedShipment]
    explanation: list[str]


class ActionResult(BaseModel):
    order_id: str
    status: str = Field(description="the order's status after the action")
    replayed: bool = Field(description="true: the answer of an earlier call with this key")
    events: list[str] = Field(description="ids of the order events the action wrote")
    cancelled: list[Line] = Field(default_factory=list)
    pickup_at: str | None = None
    return_id: str | None = None
    return_location: str | None = None
    drop_off: bool | None = None
    label_url: str | None = None
    instructions: str | None = None
