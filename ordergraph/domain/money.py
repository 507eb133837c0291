"""Money: ISO 4217 currencies and their minor units, amounts that may enter, refund rounding.

Every amount that enters OrderGraph (a GraphQL ``unitPrice``, a channel payload's prices) passes
the same rules: a plain decimal (digits, at most one point: no exponent, no ``_``, no sign, no
``NaN`` or ``Infinity``), finite, not negative, below ``MAX_AMOUNT`` and with at most
``MAX_PLACES`` decimal places. A currency is an active ISO 4217 code, three upper-case ASCII
letters, from ``MINOR_UNITS``. Arithmetic is ``Decimal``; a refund is rounded half to even to the
currency's minor unit (JPY 0 places, USD 2, KWD 3; 2 when the currency is not known).

``MINOR_UNITS`` is ISO 4217's list of active codes (the SIX Financial Information table, amendment
of 2025; codes without minor units such as precious metals, XDR and test codes are left out).
Codes not listed here are refused. Update it when ISO publishes an amendment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

MAX_AMOUNT = Decimal(10) ** 12  # exclusive: 999,999,999,999.999999 is the largest amount
MAX_PLACES = 6  # unit prices derived from line totals may carry more places than the currency
DEFAULT_MINOR_UNITS = 2

_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD "
    "FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD "
    "KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD "
    "NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP "
    "SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS "
    "VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL"
)
MINOR_UNITS: Mapping[str, int] = {
    **{code: 0 for code in _ZERO.split()},
    **{code: 2 for code in _TWO.split()},
    **{code: 3 for code in _THREE.split()},
    **{code: 4 for code in _FOUR.split()},
}

_PLAIN = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,6})?")


def currency_problem(code: str) -> str | None:
    """Why ``code`` is not an ISO 4217 currency code, or None."""
    if not (len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()):
        return (
            f"currency must be an ISO 4217 code (three upper-case letters like USD), got {code!r}"
        )
    if code not in MINOR_UNITS:
        return f"currency {code!r} is not an active ISO 4217 code"
    return None


def minor_units(currency: str | None) -> int:
    """Digits after the decimal point in ``currency`` (JPY 0, USD 2, KWD 3; unknown: 2)."""
    if currency is None:
        return DEFAULT_MINOR_UNITS
    return MINOR_UNITS.get(currency.upper(), DEFAULT_MINOR_UNITS)


def amount_problem(value: Decimal, *, signed: bool = False) -> str | None:
    """Why ``value`` is not an amount OrderGraph accepts, or None. ``signed`` allows negatives
    (a channel's adjustments); prices are never negative, and never ``-0``."""
    if not value.is_finite():
        return "must be a finite amount"
    if not signed and value.is_signed():
        return "must not be negative"
    if value and value.adjusted() >= 12:  # |value| >= 1e12, without arithmetic that overflows
        return f"must be below {MAX_AMOUNT:,}"
    places = Decimal(1).scaleb(-MAX_PLACES)
    if value != value.quantize(places, rounding=ROUND_HALF_EVEN):
        return f"must have at most {MAX_PLACES} decimal places"
    return None


def parse_amount(text: str) -> Decimal:
    """A price as a plain decimal string (``"19.90"``); ``ValueError`` says why not."""
    if not _PLAIN.fullmatch(text):
        raise ValueError(
            "must be a plain decimal amount like 19.90 (digits and at most one point; no sign, "
            f"exponent, '_' or spaces; below {MAX_AMOUNT:,}; at most {MAX_PLACES} places), "
            f"got {text[:40]!r}"
        )
    return Decimal(text)


def round_to_minor(amount: Decimal, currency: str | None) -> Decimal:
    """``amount`` rounded half to even to the minor unit of ``currency``."""
    try:
        return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), ROUND_HALF_EVEN)
    except InvalidOperation:
        raise ValueError(f"{amount} cannot be expressed in {currency or 'the currency'}") from None
