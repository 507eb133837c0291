"""One canonical order, whatever channel it came from.

Each module in ``connectors/channels`` turns one channel's published order format into a
``CanonicalOrder``; ``to_order_input`` turns that into the order input the routing core takes.

Conventions every parser keeps:

* ``created_at`` is timezone-aware and in UTC.
* Money is ``Decimal`` in the order's ``currency`` (the currency the merchant books, not a
  presentment or display currency). ``unit_price`` is one unit before discounts; ``discount`` and
  ``tax`` are totals for the whole line.
* ``quantity`` is what is still open: ordered, less refunded, returned, removed or cancelled
  units. A cancelled order has every line at 0. Units already fulfilled by the channel are *not*
  subtracted.
* Lines that need no shipping (gift cards, tips, digital goods, pickup) stay on the order with
  ``requires_shipping=False``; ``to_order_input`` leaves them out.

A malformed payload raises ``ChannelParseError`` naming the JSON path of the offending value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ordergraph.domain import money
from ordergraph.domain.errors import ErrorCode, ValidationError

STANDARD = "STANDARD"
EXPRESS = "EXPRESS"
NEXT_DAY = "NEXT_DAY"
SERVICE_LEVELS = frozenset({STANDARD, EXPRESS, NEXT_DAY})

OPEN = "OPEN"
CANCELLED = "CANCELLED"
STATUSES = frozenset({OPEN, CANCELLED})

_CURRENCY = re.compile(r"[A-Z]{3}")
_COUNTRY = re.compile(r"[A-Z]{2}")


class ChannelParseError(ValidationError):
    """A channel payload that is missing a mandatory value or holds one of the wrong shape.

    ``field`` is the path of the value inside the payload, one key or list index per element;
    ``path`` renders it as a JSON path (``$.line_items[2].quantity``).
    """

    def __init__(self, reason: str, field: tuple[str, ...] = ()) -> None:
        super().__init__(f"{json_path(field)}: {reason}", ErrorCode.INVALID_INPUT, field)

    @property
    def path(self) -> str:
        return json_path(self.field)


def json_path(field: tuple[str, ...]) -> str:
    """``("line_items", "2", "sku")`` -> ``"$.line_items[2].sku"``."""
    parts = ["$"]
    for part in field:
        parts.append(f"[{part}]" if part.isdigit() else f".{part}")
    return "".join(parts)


@dataclass(frozen=True)
class Customer:
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    external_id: str | None = None


def customer(
    *,
    email: str | None = None,
    name: str | None = None,
    phone: str | None = None,
    external_id: str | None = None,
) -> Customer | None:
    """A ``Customer`` from whatever the channel shared; None when it shared nothing."""
    if email is None and name is None and phone is None and external_id is None:
        return None
    return Customer(email=email, name=name, phone=phone, external_id=external_id)


@dataclass(frozen=True)
class Address:
    """Where to ship. Channels that withhold personal data (Amazon without a restricted data
    token) give only the city, region, postal code and country; name and street are then None."""

    country: str  # ISO 3166-1 alpha-2
    name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None

    def __post_init__(self) -> None:
        if not _COUNTRY.fullmatch(self.country):
            raise ValueError(f"country must be an ISO 3166-1 alpha-2 code, got {self.country!r}")


@dataclass(frozen=True)
class CanonicalLine:
    external_line_id: str
    sku: str | None
    title: str
    quantity: int  # still open: ordered less refunded, returned or cancelled
    ordered_quantity: int
    unit_price: Decimal  # one unit, before discounts
    discount: Decimal  # whole line
    tax: Decimal  # whole line
    requires_shipping: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.quantity <= self.ordered_quantity:
            raise ValueError(
                f"line {self.external_line_id}: open quantity {self.quantity} is not within "
                f"0..{self.ordered_quantity}"
            )
        for name in ("unit_price", "discount", "tax"):
            value = getattr(self, name)
            if not isinstance(value, Decimal):
                raise TypeError(f"line {self.external_line_id}: {name} must be a Decimal")
            problem = money.amount_problem(value, signed=name != "unit_price")
            if problem is not None:
                raise ChannelParseError(
                    f"line {self.external_line_id}: {name} {problem}, got {value}"
                )


@dataclass(frozen=True)
class CanonicalOrder:
    channel: str  # the OrderGraph channel id the payload came in on
    external_id: str
    number: str | None  # the number people read ("#1001"), when the channel has one
    created_at: datetime  # aware, UTC
    currency: str  # ISO 4217
    customer: Customer | None
    ship_to: Address | None
    lines: tuple[CanonicalLine, ...]
    service_level: str = STANDARD
    notes: str | None = None
    status: str = OPEN
    raw_status: str | None = None  # the channel's own word for the state, for people to read

    def __post_init__(self) -> None:
        offset = self.created_at.utcoffset()
        if offset is None or offset != timedelta(0):
            raise ValueError(f"created_at must be in UTC, got {self.created_at.isoformat()}")
        if not _CURRENCY.fullmatch(self.currency):
            raise ValueError(f"currency must be an ISO 4217 code, got {self.currency!r}")
        problem = money.currency_problem(self.currency)
        if problem is not None:
            raise ChannelParseError(problem)
        if self.service_level not in SERVICE_LEVELS:
            raise ValueError(f"unknown service level {self.service_level!r}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")


# Words in shipping method codes and titles, matched with case, spaces and punctuation removed
# ("UPS Next Day Air" -> "upsnextdayair"). The faster level wins.
_NEXT_DAY_WORDS = ("nextday", "overnight", "sameday", "oneday", "1day")
_EXPRESS_WORDS = ("express", "expedited", "priority", "secondday", "2ndday", "twoday", "2day")


def service_level_from_text(*texts: str | None) -> str:
    """The service level a shipping method's code or title asks for; STANDARD when none says."""
    squashed = "".join(ch for ch in " ".join(t for t in texts if t).lower() if ch.isalnum())
    if any(word in squashed for word in _NEXT_DAY_WORDS):
        return NEXT_DAY
    if any(word in squashed for word in _EXPRESS_WORDS):
        return EXPRESS
    return STANDARD


def to_order_input(order: CanonicalOrder) -> dict[str, Any]:
    """The routing core's order input: the open, shippable lines and where they go.

    Raises ``ValidationError``: UNKNOWN_SKU (field ``lines.<i>.sku``) for a line to ship that has
    no SKU, and INVALID_INPUT for a cancelled order, an order with nothing left to ship, or one
    without a shipping address.
    """
    if order.status == CANCELLED:
        raise ValidationError(
            f"order {order.external_id} is cancelled; there is nothing to route", field=("status",)
        )
    lines: list[dict[str, Any]] = []
    for index, line in enumerate(order.lines):
        if not line.requires_shipping or line.quantity == 0:
            continue
        if line.sku is None:
            raise ValidationError(
                f"line {line.external_line_id} ({line.title}) has no SKU",
                ErrorCode.UNKNOWN_SKU,
                ("lines", str(index), "sku"),
            )
        lines.append({"sku": line.sku, "quantity": line.quantity})
    if not lines:
        raise ValidationError(
            f"order {order.external_id} has no open line that needs shipping", field=("lines",)
        )
    if order.ship_to is None:
        raise ValidationError(
            f"order {order.external_id} has no shipping address", field=("shipTo",)
        )
    address = order.ship_to
    return {
        "channel": order.channel,
        "externalId": order.external_id,
        "lines": lines,
        "shipTo": {
            "name": address.name,
            "line1": address.line1,
            "line2": address.line2,
            "city": address.city,
            "region": address.region,
            "postalCode": address.postal_code,
            "country": address.country,
        },
        "serviceLevel": order.service_level,
        "placedAt": order.created_at.isoformat(),
    }
