"""Inputs for placing and previewing orders (API.md names)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from ordergraph.domain.errors import ValidationError
from ordergraph.domain.orders import Address, OrderLine, OrderRequest, parse_amount
from ordergraph.domain.routing import ServiceLevel as DomainServiceLevel
from ordergraph.schema.inputs import AddressInput, NearInput, OrderLineInput
from ordergraph.schema.limits import MAX_INPUT_LIST
from ordergraph.schema.orders import OrderStatus, ServiceLevel


@strawberry.input
class OrderCreateInput:
    channel: strawberry.ID
    external_id: str | None = strawberry.field(
        default=None,
        description="(channel, externalId) is idempotent: a repeat returns the same order.",
    )
    lines: list[OrderLineInput]
    ship_to: AddressInput | None = strawberry.field(
        default=None, description="Required unless pickupAt."
    )
    pickup_at: strawberry.ID | None = strawberry.field(
        default=None, description="Click & collect: the store."
    )
    service_level: ServiceLevel = DomainServiceLevel.STANDARD  # type: ignore[valid-type]
    placed_at: datetime | None = strawberry.field(
        default=None, description="Default now; makes promises reproducible."
    )
    policy: str | None = strawberry.field(
        default=None,
        description="Routing policy: CHEAPEST (default), FASTEST, FEWEST_SHIPMENTS, PREFER_STORE_EXCESS.",
    )


@strawberry.input
class DeliveryOptionsInput:
    channel: strawberry.ID | None = None
    lines: list[OrderLineInput]
    ship_to: AddressInput | None = None
    near: NearInput | None = None
    placed_at: datetime | None = None


@strawberry.input
class OrderFilter:
    channel: strawberry.ID | None = None
    status: OrderStatus | None = None  # type: ignore[valid-type]
    placed_from: datetime | None = None
    placed_to: datetime | None = None


def to_lines(lines: list[OrderLineInput]) -> tuple[OrderLine, ...]:
    if len(lines) > MAX_INPUT_LIST:
        raise ValidationError(f"at most {MAX_INPUT_LIST} lines", field=("lines",))
    return tuple(
        OrderLine(
            sku=str(line.sku),
            quantity=line.quantity,
            unit_price=None
            if line.unit_price is None
            else parse_amount(line.unit_price, "lines", i, "unitPrice"),
            currency=line.currency,
        )
        for i, line in enumerate(lines)
    )


def to_address(value: AddressInput | None) -> Address | None:
    if value is None:
        return None
    return Address(
        postal_code=value.postal_code,
        country=value.country,
        name=value.name,
        line1=value.line1,
        line2=value.line2,
        city=value.city,
        region=value.region,
    )


def to_request(value: OrderCreateInput) -> OrderRequest:
    return OrderRequest(
        channel=str(value.channel),
        lines=to_lines(value.lines),
        ship_to=to_address(value.ship_to),
        pickup_at=None if value.pickup_at is None else str(value.pickup_at),
        service_level=DomainServiceLevel(value.service_level.value)
        if hasattr(value.service_level, "value")
        else DomainServiceLevel(value.service_level),
        external_id=value.external_id,
        placed_at=value.placed_at,
        policy=value.policy,
    )
