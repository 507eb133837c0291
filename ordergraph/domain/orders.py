"""Orders as the domain sees them: the canonical request, its checks, and the statuses.

A request is checked here before anything is read: every problem comes back with the field
path of the input it concerns (``lines.3.quantity``), so a client can point at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from ordergraph.domain import events, money
from ordergraph.domain.errors import ErrorCode, InsufficientStock, ValidationError
from ordergraph.domain.geo import normalise_postal_code
from ordergraph.domain.keys import channel_external_id
from ordergraph.domain.money import amount_problem, currency_problem
from ordergraph.domain.routing.types import RoutingPlan, ServiceLevel

MAX_LINES = 100
MAX_QUANTITY = 10_000
MAX_ORDER_UNITS = 10_000  # units over all lines of one order (issue #10, #4)
MAX_TEXT = 200

REJECT_PARTIAL = "REJECT"
"""A channel's ``partialPolicy`` that refuses an order unless every unit is allocated (b2b)."""


class OrderStatus(str, Enum):
    CREATED = "CREATED"
    ALLOCATED = "ALLOCATED"
    PARTIALLY_ALLOCATED = "PARTIALLY_ALLOCATED"
    BACKORDERED = "BACKORDERED"
    RELEASED = "RELEASED"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


class FulfillmentStatus(str, Enum):
    PREORDER = "PREORDER"  # sold against an inbound line: no stock reserved until it arrives
    AWAITING_TRANSFER = "AWAITING_TRANSFER"  # a pickup its TRANSFER brings stock to: holds none
    OPEN = "OPEN"
    RELEASED = "RELEASED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class FulfillmentKind(str, Enum):
    """What a fulfillment does (docs/transfers.md): a parcel to the customer, a pickup at a
    store, or a TRANSFER of stock from a location to the pickup store of the order."""

    SHIPMENT = "SHIPMENT"
    PICKUP = "PICKUP"
    TRANSFER = "TRANSFER"


@dataclass(frozen=True)
class Address:
    postal_code: str
    country: str
    name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price: Decimal | None = None
    currency: str | None = None


MAX_PICKUP_NAME = 200


@dataclass(frozen=True)
class OrderRequest:
    """The canonical order every channel's order becomes."""

    channel: str
    lines: tuple[OrderLine, ...]
    ship_to: Address | None = None
    pickup_at: str | None = None
    service_level: ServiceLevel = ServiceLevel.STANDARD
    external_id: str | None = None
    pickup_name: str | None = None  # who collects a pickup order: checked at the counter
    placed_at: datetime | None = None
    policy: str | None = None
    excluded_locations: frozenset[str] = field(default_factory=frozenset)
    customer_tier: str | None = None  # what routing policy rules' customerTiers conditions read
    customer_email: str | None = None  # as the channel shared it (personal data; console search)

    @property
    def channel_external_id(self) -> str | None:
        """The idempotency key: a repeat of (channel, externalId) is the same order."""
        return channel_external_id(self.channel, self.external_id) if self.external_id else None

    def quantities(self) -> dict[str, int]:
        """Units per SKU over all lines (a SKU may appear on several lines)."""
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.sku] = totals.get(line.sku, 0) + line.quantity
        return totals


def allows_partial(policy: str | None) -> bool:
    """Whether a channel with this ``partialPolicy`` accepts a partial allocation.

    Only ``REJECT`` refuses one; ``BACKORDER`` and a channel without a policy accept it.
    """
    return policy != REJECT_PARTIAL


def refuse_partial(plan: RoutingPlan, policy: str | None, channel: str) -> None:
    """Refuse a new order whose plan leaves units unallocated when the channel's
    ``partialPolicy`` accepts no partial order (it is not placed at all)."""
    if not plan.feasible and not allows_partial(policy):
        raise InsufficientStock(
            f"not enough stock to ship the whole order, and channel {channel} does not accept "
            "partial orders",
            ("lines",),
        )


def ship_lines(
    plan: RoutingPlan, needs: Sequence[tuple[str, str, int]]
) -> list[list[tuple[str, int]]]:
    """Which order lines each shipment of ``plan`` ships: (line id, units) per shipment.

    ``needs`` is (line id, sku, units wanted) in line order: a SKU's units fill its lines first
    to last, so a line is never sent more than it wants.
    """
    remaining = {line_id: need for line_id, _, need in needs}
    shipped = []
    for shipment in plan.shipments:
        ships = []
        for sku, quantity in shipment.lines:
            left = quantity
            for line_id, line_sku, _ in needs:
                if line_sku != sku or left == 0 or remaining[line_id] == 0:
                    continue
                take = min(left, remaining[line_id])
                remaining[line_id] -= take
                left -= take
                ships.append((line_id, take))
        shipped.append(ships)
    return shipped


def created_event(
    order_id: str,
    request: OrderRequest,
    status: OrderStatus,
    fulfillments: Iterable[Mapping[str, Any]],
    plan: RoutingPlan,
    at: datetime,
) -> events.Event:
    """``OrderCreated``, the first event of a new order: how ``plan`` allocated it, in the new
    ``fulfillments`` (their create parameters) and the units it backordered."""
    payload = events.order_created(
        status=status.value,
        channel=request.channel,
        external_id=request.external_id,
        fulfillments=fulfillments,
        backordered=plan.backordered,
        promised_by=plan.promised_by,
    )
    return events.Event(order_id, 1, "OrderCreated", payload, at.astimezone(UTC))


def check_request(request: OrderRequest, *, now: datetime) -> OrderRequest:
    """Every problem of a request as one error (the first); a normalised request otherwise."""
    problems: list[ValidationError] = []

    def bad(message: str, *path: str | int, code: ErrorCode = ErrorCode.INVALID_INPUT) -> None:
        problems.append(ValidationError(message, code, tuple(str(p) for p in path)))

    if not request.channel.strip():
        bad("channel is required", "channel")
    if request.external_id is not None and not 0 < len(request.external_id) <= MAX_TEXT:
        bad(f"externalId must be 1 to {MAX_TEXT} characters", "externalId")
    elif request.external_id is not None and request.external_id != request.external_id.strip():
        bad("externalId must not start or end with white space", "externalId")
    if not request.lines:
        bad("an order needs at least one line", "lines")
    if len(request.lines) > MAX_LINES:
        bad(f"at most {MAX_LINES} lines per order", "lines")
    for i, line in enumerate(request.lines[:MAX_LINES]):
        if not line.sku.strip():
            bad("sku is required", "lines", i, "sku")
        if not 0 < line.quantity <= MAX_QUANTITY:
            bad(f"quantity must be between 1 and {MAX_QUANTITY}", "lines", i, "quantity")
        price_problem = None if line.unit_price is None else amount_problem(line.unit_price)
        if price_problem is not None:
            bad(f"unitPrice {price_problem}", "lines", i, "unitPrice")
        currency = None if line.currency is None else currency_problem(line.currency)
        if currency is not None:
            bad(currency, "lines", i, "currency")
    if sum(max(line.quantity, 0) for line in request.lines) > MAX_ORDER_UNITS:
        bad(f"at most {MAX_ORDER_UNITS} units per order, over all lines", "lines")
    if request.pickup_at is None and request.ship_to is None:
        bad("give shipTo, or pickupAt for click & collect", "shipTo")
    if request.pickup_at is not None and request.ship_to is not None:
        bad("give shipTo or pickupAt, not both", "pickupAt")
    if request.ship_to is not None:
        problems.extend(address_problems(request.ship_to))
    if request.pickup_name is not None:
        if request.pickup_at is None:
            bad("pickupName is for click & collect orders (with pickupAt)", "pickupName")
        elif not request.pickup_name.strip() or len(request.pickup_name) > MAX_PICKUP_NAME:
            bad(f"pickupName must be 1 to {MAX_PICKUP_NAME} characters", "pickupName")
    placed = request.placed_at
    if placed is not None:
        if placed.tzinfo is None:
            bad("placedAt needs a time zone (e.g. 2026-11-23T15:00:00Z)", "placedAt")
        elif placed.astimezone(UTC) > now.astimezone(UTC).replace(year=now.year + 1):
            bad("placedAt is more than a year in the future", "placedAt")
    tier = request.customer_tier
    if tier is not None and (not tier.strip() or len(tier) > MAX_TEXT or tier != tier.strip()):
        bad(
            f"customerTier must be 1 to {MAX_TEXT} characters, without outer spaces", "customerTier"
        )
    if problems:
        first = problems[0]
        raise ValidationError(
            first.message
            if len(problems) == 1
            else f"{first.message} (and {len(problems) - 1} more)",
            first.code,
            first.field,
        )
    return OrderRequest(
        channel=request.channel.strip(),
        lines=tuple(
            OrderLine(
                ln.sku.strip(),
                ln.quantity,
                ln.unit_price,
                ln.currency.upper() if ln.currency else None,
            )
            for ln in request.lines
        ),
        ship_to=None if request.ship_to is None else normalise_address(request.ship_to),
        pickup_at=request.pickup_at,
        service_level=request.service_level,
        external_id=request.external_id,
        pickup_name=None if request.pickup_name is None else " ".join(request.pickup_name.split()),
        placed_at=(placed or now).astimezone(UTC),
        policy=request.policy,
        excluded_locations=request.excluded_locations,
        customer_tier=tier,
        customer_email=normal_email(request.customer_email),
    )


def normal_email(email: str | None) -> str | None:
    """An e-mail address as stored and searched: trimmed, lower case; None when it is empty or
    longer than ``MAX_TEXT`` (a channel's odd value is dropped, never a reason to refuse)."""
    if email is None:
        return None
    value = email.strip().lower()
    return value if 0 < len(value) <= MAX_TEXT else None


def address_problems(address: Address) -> list[ValidationError]:
    """Every problem of a ship-to address (placing an order and updating one share this)."""
    problems: list[ValidationError] = []
    for name in ("name", "line1", "line2", "city", "region", "postal_code"):
        try:
            check_text(getattr(address, name), "shipTo", name, limit=MAX_TEXT)
        except ValidationError as exc:
            problems.append(exc)
    code = address.postal_code
    if code.strip() and not normalise_postal_code(code):
        # blank means "no postal code" (the country-wide region serves it); text without a
        # letter or digit is a mistake
        problems.append(
            ValidationError(
                "postalCode must contain letters or digits (or be empty)",
                field=("shipTo", "postalCode"),
            )
        )
    if not (len(address.country) == 2 and address.country.isalpha()):
        problems.append(
            ValidationError(
                "country must be an ISO 3166 alpha-2 code like US", field=("shipTo", "country")
            )
        )
    return problems


def normalise_address(address: Address) -> Address:
    """The stored form: postal code without spaces or dashes, country in upper case."""
    return replace(
        address,
        postal_code=normalise_postal_code(address.postal_code),
        country=address.country.upper(),
    )


def check_address(address: Address) -> Address:
    """A valid address, normalised; the first problem as a ValidationError otherwise."""
    problems = address_problems(address)
    if problems:
        raise problems[0]
    return normalise_address(address)


MAX_REASON = 500


def check_text(value: str | None, *path: str, limit: int = MAX_REASON) -> str | None:
    """Free text from a client (a reason, an address line): bounded, no control characters."""
    if value is None:
        return None
    if len(value) > limit or any(ord(ch) < 32 and ch not in "\t" for ch in value):
        raise ValidationError(
            f"{path[-1] if path else 'text'} must be at most {limit} characters, without "
            "control characters",
            field=tuple(path),
        )
    return value.strip() or None


def check_lines(lines: Sequence[tuple[str, int]] | None, *, allow_zero: bool = False) -> None:
    """Line quantities in a lifecycle request: at most 100 lines, each 1..10,000 units."""
    if lines is None:
        return
    if len(lines) > MAX_LINES:
        raise ValidationError(f"at most {MAX_LINES} lines", field=("lines",))
    low = 0 if allow_zero else 1
    for i, (sku, quantity) in enumerate(lines):
        if not sku.strip():
            raise ValidationError("sku is required", field=("lines", str(i), "sku"))
        if not low <= quantity <= MAX_QUANTITY:
            raise ValidationError(
                f"quantity must be between {low} and {MAX_QUANTITY}",
                field=("lines", str(i), "quantity"),
            )


def parse_amount(text: str, *path: str | int) -> Decimal:
    """A price given as a decimal string, by ``domain.money``'s rules (``"19.90"``)."""
    try:
        return money.parse_amount(text)
    except ValueError as exc:
        raise ValidationError(
            f"{path[-1] if path else 'amount'} {exc}", field=tuple(str(p) for p in path)
        ) from None
