"""Reading a channel's JSON: typed values, each failure naming its JSON path.

``Node`` wraps one JSON object and the path to it. Its readers take a key and return a typed
value or raise ``ChannelParseError`` at ``path + key``; the ``maybe_`` readers return None for an
absent, null or blank value instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

from ordergraph.connectors.canonical import Address, ChannelParseError, Customer, customer
from ordergraph.domain.moments import moment_problem
from ordergraph.domain.money import amount_problem

_CURRENCY = re.compile(r"[A-Za-z]{3}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")


@dataclass(frozen=True)
class Node:
    data: Mapping[str, Any]
    path: tuple[str, ...] = ()

    @classmethod
    def root(cls, payload: object) -> Node:
        if not isinstance(payload, Mapping):
            raise ChannelParseError(f"expected a JSON object, got {_kind(payload)}")
        return cls(payload)

    def at(self, key: str | int) -> tuple[str, ...]:
        return (*self.path, str(key))

    def error(self, key: str | int, reason: str) -> ChannelParseError:
        return ChannelParseError(reason, self.at(key))

    def get(self, key: str) -> Any:
        return self.data.get(key)

    # objects and lists -------------------------------------------------------------------------

    def child(self, key: str) -> Node:
        found = self.maybe_child(key)
        if found is None:
            raise self.error(key, "is missing")
        return found

    def maybe_child(self, key: str) -> Node | None:
        """The object at ``key``; None when absent, null or ``{}``."""
        value = self.data.get(key)
        if value is None or value == {}:
            return None
        if not isinstance(value, Mapping):
            raise self.error(key, f"expected an object, got {_kind(value)}")
        return Node(value, self.at(key))

    def children(self, key: str, *, required: bool = False) -> list[Node]:
        """The objects in the list at ``key``; an absent or null list is empty unless required."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "is missing")
            return []
        return Node.items_of(value, self.at(key))

    @staticmethod
    def items_of(value: object, path: tuple[str, ...]) -> list[Node]:
        if not isinstance(value, list):
            raise ChannelParseError(f"expected a list, got {_kind(value)}", path)
        nodes = []
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise ChannelParseError(
                    f"expected an object, got {_kind(item)}", (*path, str(index))
                )
            nodes.append(Node(item, (*path, str(index))))
        return nodes

    # scalars -----------------------------------------------------------------------------------

    def text(self, key: str) -> str:
        found = self.maybe_text(key)
        if found is None:
            raise self.error(key, "is missing")
        return found

    def maybe_text(self, key: str) -> str | None:
        """A string with surrounding space removed; None when absent, null or blank."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(key, f"expected a string, got {_kind(value)}")
        return value.strip() or None

    def ident(self, key: str) -> str:
        """An identifier the channel may send as a string or as a JSON integer."""
        found = self.maybe_ident(key)
        if found is None:
            raise self.error(key, "is missing")
        return found

    def maybe_ident(self, key: str) -> str | None:
        value = self.data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return self.maybe_text(key)

    def count(self, key: str) -> int:
        found = self.maybe_count(key)
        if found is None:
            raise self.error(key, "is missing")
        return found

    def maybe_count(self, key: str) -> int | None:
        """A non-negative whole number sent as a JSON integer."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected a whole number, got {_kind(value)}")
        if value < 0:
            raise self.error(key, f"must not be negative, got {value}")
        return value

    def decimal(self, key: str) -> Decimal:
        found = self.maybe_decimal(key)
        if found is None:
            raise self.error(key, "is missing")
        return found

    def maybe_decimal(self, key: str) -> Decimal | None:
        """A decimal sent as a string (``"19.99"``) or a JSON number; never kept as a float."""
        value = self.data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise self.error(key, f"expected a number, got {_kind(value)}")
        if isinstance(value, float):
            # json.loads has already turned the literal into a float; its repr is the shortest
            # literal that reads back to the same float, i.e. what the channel wrote.
            value = repr(value)
        if not isinstance(value, str | int):
            raise self.error(key, f"expected a number, got {_kind(value)}")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.error(key, f"is not a number: {value!r}") from None
        # the money rule of domain/money.py, signed (channels send adjustments and refunds):
        # finite, below 1e12, at most 6 places; checked before any arithmetic can overflow
        problem = amount_problem(number, signed=True)
        if problem is not None:
            raise self.error(key, f"{problem}: {str(value)[:40]!r}")
        return number

    def flag(self, key: str, *, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {_kind(value)}")
        return value

    def currency(self, key: str) -> str:
        found = self.maybe_currency(key)
        if found is None:
            raise self.error(key, "is missing")
        return found

    def check_currency(self, key: str, currency: str) -> None:
        """A money object's currency code (``key``) must be the order's ``currency``: amounts
        in two currencies cannot be added up."""
        code = self.currency(key)
        if code != currency:
            raise self.error(key, f"{code} on an order in {currency}")

    def maybe_currency(self, key: str) -> str | None:
        code = self.maybe_text(key)
        if code is None:
            return None
        if not _CURRENCY.fullmatch(code):
            raise self.error(key, f"is not an ISO 4217 currency code: {code!r}")
        return code.upper()

    def country(self, key: str, where: str = "shipping address") -> str:
        """The country code an address (``where``) cannot do without: missing is an error."""
        code = self.maybe_country(key)
        if code is None:
            raise self.error(key, f"is missing from the {where}")
        return code

    def maybe_country(self, key: str) -> str | None:
        code = self.maybe_text(key)
        if code is None:
            return None
        if not _COUNTRY.fullmatch(code):
            raise self.error(key, f"is not an ISO 3166-1 alpha-2 country code: {code!r}")
        return code.upper()

    def timestamp(self, key: str, *, naive_is_utc: bool = False) -> datetime:
        """An ISO 8601 / RFC 3339 date-time, converted to UTC.

        A value without a UTC offset is refused unless the channel documents it as UTC
        (``naive_is_utc``): guessing a zone would move the order in time.
        """
        raw = self.text(key)
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise self.error(key, f"is not an ISO 8601 date-time: {raw!r}") from None
        return self._in_utc(key, raw, moment, naive_is_utc=naive_is_utc)

    def rfc2822_timestamp(self, key: str) -> datetime:
        """An RFC 2822 date-time (``"Tue, 05 Mar 2019 21:36:58 +0000"``), converted to UTC."""
        raw = self.text(key)
        try:
            moment = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            raise self.error(key, f"is not an RFC 2822 date-time: {raw!r}") from None
        # RFC 2822 reads "-0000" as UTC with the sender's zone unknown; Python returns it naive.
        return self._in_utc(key, raw, moment, naive_is_utc=raw.rstrip().endswith("-0000"))

    def _in_utc(self, key: str, raw: str, moment: datetime, *, naive_is_utc: bool) -> datetime:
        problem = moment_problem(moment)
        if problem is not None:
            raise self.error(key, f"{problem}: {raw!r}")
        if moment.tzinfo is None or moment.utcoffset() is None:
            if not naive_is_utc:
                raise self.error(key, f"has no UTC offset: {raw!r}")
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


def join_words(*words: str | None) -> str | None:
    """``("Ada", None, "Lovelace")`` -> ``"Ada Lovelace"``; None when every word is missing."""
    joined = " ".join(word for word in words if word)
    return joined or None


def units_left(
    ordered: int,
    line_id: str,
    taken: tuple[int, Node],
    *,
    key: str = "quantity",
    verb: str = "refunds",
) -> int:
    """Units of a line still ordered once ``taken`` are off: units refunded (or returned) and the
    node that says so, on whose ``key`` taking more than the line has is an error."""
    units, node = taken
    if units > ordered:
        raise node.error(key, f"{verb} {units} units of line {line_id}, which has {ordered}")
    return ordered - units


def named_address(node: Node, *, country: str, line1: str, line2: str, postal_code: str) -> Address:
    """A shipping address whose person is ``first_name`` + ``last_name`` (else ``company``), in
    ``city`` and ``state``, with the channel's own names for the other fields (WooCommerce,
    BigCommerce); a missing country is an error on its field."""
    return Address(
        country=node.country(country),
        name=join_words(node.maybe_text("first_name"), node.maybe_text("last_name"))
        or node.maybe_text("company"),
        line1=node.maybe_text(line1),
        line2=node.maybe_text(line2),
        city=node.maybe_text("city"),
        region=node.maybe_text("state"),
        postal_code=node.maybe_text(postal_code),
    )


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def billing_customer(order: Node, child: str) -> Customer | None:
    """The buyer from a billing address object (WooCommerce ``billing``, BigCommerce
    ``billing_address``) and the order's ``customer_id`` (0 means a guest)."""
    billing = order.maybe_child(child)
    customer_id = order.maybe_ident("customer_id")
    return customer(
        email=billing.maybe_text("email") if billing else None,
        name=join_words(billing.maybe_text("first_name"), billing.maybe_text("last_name"))
        if billing
        else None,
        phone=billing.maybe_text("phone") if billing else None,
        external_id=None if customer_id in (None, "0") else customer_id,
    )
