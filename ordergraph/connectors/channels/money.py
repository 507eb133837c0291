"""Money arithmetic the channel parsers share: unit prices from line totals, minor units."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from ordergraph.connectors.canonical import ChannelParseError
from ordergraph.domain import money

ZERO = Decimal(0)


def minor_units(currency: str) -> int:
    """Digits after the decimal point in ``currency`` (JPY 0, USD 2, KWD 3), from the ISO 4217
    table in ``domain.money``."""
    return money.minor_units(currency)


def check_amount(
    value: Decimal, what: str = "amount", *, signed: bool = False, field: tuple[str, ...] = ()
) -> Decimal:
    """``value`` if it is an amount OrderGraph accepts (``domain.money.amount_problem``: finite,
    below 1e12, at most 6 places, not negative unless ``signed``), else ``ChannelParseError``
    saying why. Channel parsers check totals before doing arithmetic with them."""
    problem = money.amount_problem(value, signed=signed)
    if problem is not None:
        raise ChannelParseError(f"{what} {problem}, got {value}", field)
    return value


def from_minor_units(amount: int, currency: str) -> Decimal:
    """``1999`` USD cents -> ``Decimal("19.99")``; ``1500`` JPY -> ``Decimal("1500")``."""
    return Decimal(amount).scaleb(-minor_units(currency))


def unit_price(line_total: Decimal, quantity: int) -> Decimal:
    """One unit's price from a line total (price x quantity), to at least cent precision.

    A total that does not divide evenly (29.99 for 3) rounds half to even at the total's own
    precision, never coarser than hundredths. A line with no units has a unit price of 0.
    """
    if quantity == 0:
        return ZERO
    check_amount(line_total, "line total", signed=True)
    exponent = line_total.as_tuple().exponent
    places = max(-exponent if isinstance(exponent, int) else 0, 2)
    return (line_total / quantity).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
