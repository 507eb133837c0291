"""Addresses to regions: the longest postal prefix wins.

An address resolves to the region of its country with the longest ``postalPrefix`` that its
normalised postal code starts with (DOMAIN.md, "Addresses to regions"). With prefixes ``SW`` and
``SW1A`` in GB, ``SW1A 1AA`` is in ``GB-SW1A`` and ``SW9 8PT`` in ``GB-SW``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from ordergraph.domain.geo import normalise_postal_code, region_id

RegionPrefixes = Mapping[str, AbstractSet[str]]
"""Normalised postal prefixes by upper-case country code: ``{"US": {"941", "100"}}``."""


def prefixes_by_country(regions: Iterable[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """Index region records (with ``country`` and ``postalPrefix``) for ``resolve_region``."""
    found: dict[str, set[str]] = {}
    for region in regions:
        country = str(region["country"]).upper()
        found.setdefault(country, set()).add(normalise_postal_code(str(region["postalPrefix"])))
    return {country: frozenset(prefixes) for country, prefixes in found.items()}


def resolve_region(postal_code: str, country: str, prefixes: RegionPrefixes) -> str | None:
    """The id of the region for an address, or ``None`` when no region's prefix matches."""
    code = normalise_postal_code(postal_code)
    country = country.strip().upper()
    known = prefixes.get(country)
    if not code or not known:
        return None
    for end in range(len(code), 0, -1):
        if code[:end] in known:
            return region_id(country, code[:end])
    return None
