"""Money arithmetic the channel parsers share: unit prices from line totals, minor units."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

ZERO = Decimal(0)

# ISO 4217 minor units that are not 2. Every currency not listed here has 2 (USD, EUR, GBP...).
_ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG"}
    | {"RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"}
)
_THREE_DECIMAL = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
_FOUR_DECIMAL = frozenset({"CLF", "UYW"})


def minor_units(currency: str) -> int:
    """Digits after the decimal point in ``currency`` (JPY 0, USD 2, KWD 3)."""
    code = currency.upper()
    if code in _ZERO_DECIMAL:
        return 0
    if code in _THREE_DECIMAL:
        return 3
    if code in _FOUR_DECIMAL:
        return 4
    return 2


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
    exponent = line_total.as_tuple().exponent
    places = max(-exponent if isinstance(exponent, int) else 0, 2)
    return (line_total / quantity).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
