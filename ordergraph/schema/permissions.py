"""Object-level checks: the operation check (schema/access.py) ran before; these look at the
objects themselves: an order's channel, a fulfillment's or a stock position's location."""

from __future__ import annotations

from collections.abc import Iterable

from ordergraph.domain.access import Principal, Role
from ordergraph.domain.errors import ErrorCode, OrderGraphError
from ordergraph.schema.context import Info


class Forbidden(OrderGraphError):
    def __init__(self, message: str, field: tuple[str, ...] = ()) -> None:
        super().__init__(message, ErrorCode.FORBIDDEN, field)


def principal(info: Info) -> Principal:
    return info.context.principal or Principal("anonymous", Role.STOREFRONT)


def require_channel(info: Info, channel: str, field: tuple[str, ...] = ("channel",)) -> None:
    if not principal(info).may_use_channel(channel):
        raise Forbidden(f"this API key may not act for channel {channel!r}", field)


def require_channel_in_scope(
    info: Info, channel: str, field: tuple[str, ...] = ("channel",)
) -> None:
    """A read narrowed to a channel (a filter, an argument): a storefront key only names its own."""
    if principal(info).limited_to_channels(channel):
        raise Forbidden(f"this API key may not read channel {channel!r}", field)


def require_location(info: Info, location: str, field: tuple[str, ...] = ("location",)) -> None:
    if not principal(info).may_act_at(location):
        raise Forbidden(f"this API key may not act at location {location!r}", field)


def may_read_order(info: Info, channel: str, locations: Iterable[str]) -> bool:
    return principal(info).may_read_order(channel, locations)


def order_scope(info: Info) -> tuple[list[str] | None, list[str] | None]:
    """(channels, locations) an order listing is limited to; None = no limit."""
    who = principal(info)
    if who.role == Role.STOREFRONT:
        return sorted(who.channels), None
    if who.role == Role.PARTNER:
        return None, sorted(who.locations)
    return None, None
