"""Inputs for placing and previewing orders (API.md names)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from graphql import GraphQLError

from ordergraph.domain.errors import ValidationError
from ordergraph.domain.moments import moment_problem
from ordergraph.domain.orders import Address, OrderLine, OrderRequest, parse_amount
from ordergraph.domain.routing.types import ServiceLevel as DomainServiceLevel
from ordergraph.schema.inputs import AddressInput, NearInput, OrderLineInput
from ordergraph.schema.limits import MAX_INPUT_LIST
from ordergraph.schema.orders import OrderStatus, ServiceLevel


def checked_datetime(value: object) -> datetime:
    """A DateTime input: between 1970 and 9000 (so that a day or a year added later, or a
    time zone offset, cannot overflow)."""
    # GraphQLErrors, not ValueErrors: a client's mistake is shown, not masked as internal
    if not isinstance(value, datetime):
        raise GraphQLError("expected an ISO 8601 date and time, e.g. 2026-11-23T15:00:00Z")
    problem = moment_problem(value)
    if problem is not None:
        raise GraphQLError(f"a DateTime {problem}")
    if value.tzinfo is None:
        return value  # naive: the field's own check says "needs a time zone" (a userError)
    return value.astimezone(UTC).astimezone(value.tzinfo)


def harden_datetimes(schema: Any) -> None:
    """Every DateTime input of ``schema`` (variables and literals alike) goes through
    ``checked_datetime``: a bad one is a request error that says why, not an internal error."""
    scalar = schema._schema.type_map.get("DateTime")
    if scalar is None or getattr(scalar, "ordergraph_checked", False):
        return
    parse = getattr(scalar, "coerce_input_value", None) or scalar.parse_value

    def parse_value(value: object) -> datetime:
        try:
            parsed = parse(value)
        except (ValueError, TypeError, OverflowError):  # the library's own text names internals
            raise GraphQLError(
                "expected an ISO 8601 date and time, e.g. 2026-11-23T15:00:00Z"
            ) from None
        except GraphQLError as exc:  # strawberry wraps the ValueError and appends its text
            if "Value cannot represent" not in exc.message:
                raise
            raise GraphQLError(
                "expected an ISO 8601 date and time, e.g. 2026-11-23T15:00:00Z"
            ) from None
        return checked_datetime(parsed)

    literal = scalar.parse_literal

    def parse_literal(node: Any, variables: Any = None) -> datetime:
        try:
            parsed = literal(node, variables)
        except GraphQLError as exc:  # strawberry appends the library's own ValueError text
            if "Value cannot represent" not in exc.message:
                raise  # ours (the range), already in our words
            raise GraphQLError(
                "expected an ISO 8601 date and time, e.g. 2026-11-23T15:00:00Z"
            ) from exc
        return checked_datetime(parsed)

    scalar.parse_literal = parse_literal
    scalar.parse_value = parse_value  # graphql-core 3.2
    scalar.coerce_input_value = parse_value  # 3.3 (literals go through it too)
    scalar.ordergraph_checked = True


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
    pickup_name: str | None = strawberry.field(
        default=None,
        description="Click & collect: the name of who collects it; the store checks it, with "
        "the order number, at hand-over (personal data, never shown back).",
    )
    service_level: ServiceLevel = DomainServiceLevel.STANDARD
    placed_at: datetime | None = strawberry.field(
        default=None, description="Default now; makes promises reproducible."
    )
    policy: str | None = strawberry.field(
        default=None,
        description="Routing policy: CHEAPEST (default), FASTEST, FEWEST_SHIPMENTS, "
        "PREFER_STORE_EXCESS, or the id of a stored policy (its ACTIVE version); none: the "
        "ACTIVE policy serving the channel, else the channel's routingPolicy.",
    )
    customer_tier: str | None = strawberry.field(
        default=None,
        description="The customer's tier (e.g. GOLD), which routing policy rules may read "
        "(conditions.customerTiers).",
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
    status: OrderStatus | None = None
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
        customer_tier=value.customer_tier,
        pickup_name=value.pickup_name,
    )
