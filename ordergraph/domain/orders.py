"""Orders as the domain sees them: the canonical request, its checks, and the statuses.

A request is checked here before anything is read: every problem comes back with the field
path of the input it concerns (``lines.3.quantity``), so a client can point at it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum

from ordergraph.domain.errors import ErrorCode, ValidationError
from ordergraph.domain.geo import normalise_postal_code
from ordergraph.domain.routing import ServiceLevel

MAX_LINES = 100
MAX_QUANTITY = 10_000
MAX_TEXT = 200


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
    OPEN = "OPEN"
    RELEASED = "RELEASED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


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


@dataclass(frozen=True)
class OrderRequest:
    """The canonical order every channel's order becomes."""

    channel: str
    lines: tuple[OrderLine, ...]
    ship_to: Address | None = None
    pickup_at: str | None = None
    service_level: ServiceLevel = ServiceLevel.STANDARD
    external_id: str | None = None
    placed_at: datetime | None = None
    policy: str | None = None
    excluded_locations: frozenset[str] = field(default_factory=frozenset)

    @property
    def channel_external_id(self) -> str | None:
        """The idempotency key: a repeat of (channel, externalId) is the same order."""
        return f"{self.channel}\u241f{self.external_id}" if self.external_id else None

    def quantities(self) -> dict[str, int]:
        """Units per SKU over all lines (a SKU may appear on several lines)."""
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.sku] = totals.get(line.sku, 0) + line.quantity
        return totals


def check_request(request: OrderRequest, *, now: datetime) -> OrderRequest:
    """Every problem of a request as one error (the first); a normalised request otherwise."""
    problems: list[ValidationError] = []

    def bad(message: str, *path: str | int, code: ErrorCode = ErrorCode.INVALID_INPUT) -> None:
        problems.append(ValidationError(message, code, tuple(str(p) for p in path)))

    if not request.channel.strip():
        bad("channel is required", "channel")
    if request.external_id is not None and not 0 < len(request.external_id) <= MAX_TEXT:
        bad(f"externalId must be 1 to {MAX_TEXT} characters", "externalId")
    if not request.lines:
        bad("an order needs at least one line", "lines")
    if len(request.lines) > MAX_LINES:
        bad(f"at most {MAX_LINES} lines per order", "lines")
    for i, line in enumerate(request.lines[:MAX_LINES]):
        if not line.sku.strip():
            bad("sku is required", "lines", i, "sku")
        if not 0 < line.quantity <= MAX_QUANTITY:
            bad(f"quantity must be between 1 and {MAX_QUANTITY}", "lines", i, "quantity")
        if line.unit_price is not None and (not line.unit_price.is_finite() or line.unit_price < 0):
            bad("unitPrice must be a non-negative amount", "lines", i, "unitPrice")
        if line.currency is not None and not (len(line.currency) == 3 and line.currency.isalpha()):
            bad("currency must be an ISO 4217 code like USD", "lines", i, "currency")
    if request.pickup_at is None and request.ship_to is None:
        bad("give shipTo, or pickupAt for click & collect", "shipTo")
    if request.pickup_at is not None and request.ship_to is not None:
        bad("give shipTo or pickupAt, not both", "pickupAt")
    if request.ship_to is not None:
        for name in ("name", "line1", "line2", "city", "region", "postal_code"):
            try:
                check_text(getattr(request.ship_to, name), "shipTo", name, limit=MAX_TEXT)
            except ValidationError as exc:
                problems.append(exc)
        if not normalise_postal_code(request.ship_to.postal_code):
            bad("postalCode is required", "shipTo", "postalCode")
        if not (len(request.ship_to.country) == 2 and request.ship_to.country.isalpha()):
            bad("country must be an ISO 3166 alpha-2 code like US", "shipTo", "country")
    placed = request.placed_at
    if placed is not None:
        if placed.tzinfo is None:
            bad("placedAt needs a time zone (e.g. 2026-11-23T15:00:00Z)", "placedAt")
        elif placed.astimezone(UTC) > now.astimezone(UTC).replace(year=now.year + 1):
            bad("placedAt is more than a year in the future", "placedAt")
    if problems:
        first = problems[0]
        raise ValidationError(
            first.message
            if len(problems) == 1
            else f"{first.message} (and {len(problems) - 1} more)",
            first.code,
            first.field,
        )
    ship_to = request.ship_to
    if ship_to is not None:
        ship_to = Address(
            postal_code=normalise_postal_code(ship_to.postal_code),
            country=ship_to.country.upper(),
            name=ship_to.name,
            line1=ship_to.line1,
            line2=ship_to.line2,
            city=ship_to.city,
            region=ship_to.region,
        )
    return OrderRequest(
        channel=request.channel.strip(),
        lines=tuple(
            OrderLine(
                l.sku.strip(), l.quantity, l.unit_price, l.currency.upper() if l.currency else None
            )
            for l in request.lines
        ),
        ship_to=ship_to,
        pickup_at=request.pickup_at,
        service_level=request.service_level,
        external_id=request.external_id,
        placed_at=(placed or now).astimezone(UTC),
        policy=request.policy,
        excluded_locations=request.excluded_locations,
    )


MAX_REASON = 500


def check_text(value: str | None, *path: str, limit: int = MAX_REASON) -> str | None:
    """Free text from a client (a reason, an address line): bounded, no control characters."""
    if value is None:
        return None
    if len(value) > limit or any(ord(ch) < 32 and ch not in "\t" for ch in value):
        raise ValidationError(
            f"{path[-1] if path else 'text'} must be at most {limit} characters, without "
            "control characters", field=tuple(path),
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
            raise ValidationError(f"quantity must be between {low} and {MAX_QUANTITY}",
                                  field=("lines", str(i), "quantity"))


def parse_amount(text: str, *path: str | int) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(
            f"not an amount: {text!r}", field=tuple(str(p) for p in path)
        ) from None
    return value


def status_after_allocation(ordered: int, allocated: int) -> OrderStatus:
    if allocated == 0:
        return OrderStatus.BACKORDERED
    return OrderStatus.ALLOCATED if allocated >= ordered else OrderStatus.PARTIALLY_ALLOCATED
