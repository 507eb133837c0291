"""Addresses to regions: the longest postal prefix wins; the empty prefix is the whole country.

An address resolves to the region of its country with the longest ``postalPrefix`` that its
normalised postal code starts with (DOMAIN.md, "Addresses to regions"). With prefixes ``SW`` and
``SW1A`` in GB, ``SW1A 1AA`` is in ``GB-SW1A`` and ``SW9 8PT`` in ``GB-SW``.

The empty prefix ``""`` is a country-wide region (id: the country code alone, e.g. ``NZ``): every
postal code starts with it, so it is the catch-all that longer prefixes override, and the only
region an address without a postal code (countries without postal codes) can resolve to. A
country has at most one (its id is unique).

This module is the one implementation of the rule: ``region_candidates`` gives the region ids an
address may belong to, best first; the graph reads look those ids up and keep the first that
exists (the longest prefix), and ``resolve_region`` does the same over records in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from ordergraph.domain.geo import normalise_postal_code, region_id

RegionPrefixes = Mapping[str, AbstractSet[str]]
"""Normalised postal prefixes by upper-case country code: ``{"US": {"941", "100", ""}}``."""

COUNTRY_WIDE = ""
"""The postal prefix of a country-wide region."""


def region_candidates(postal_code: str | None, country: str) -> list[str]:
    """Region ids an address may belong to, longest prefix first, the country-wide id last.

    ``("94107", "US")`` -> ``["US-94107", "US-9410", "US-941", "US-94", "US-9", "US"]``; an
    address without a postal code (``None`` or blank) -> ``["US"]``.
    """
    code = normalise_postal_code(postal_code or "")
    country = country.strip().upper()
    if not country:
        return []
    return [region_id(country, code[:n]) for n in range(len(code), -1, -1)]


def prefixes_by_country(regions: Iterable[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """Index region records (with ``country`` and ``postalPrefix``) for ``resolve_region``."""
    found: dict[str, set[str]] = {}
    for region in regions:
        country = str(region["country"]).upper()
        prefix = region.get("postalPrefix") or COUNTRY_WIDE
        found.setdefault(country, set()).add(normalise_postal_code(str(prefix)))
    return {country: frozenset(prefixes) for country, prefixes in found.items()}


def resolve_region(postal_code: str | None, country: str, prefixes: RegionPrefixes) -> str | None:
    """The id of the region for an address, or ``None`` when no region's prefix matches."""
    known = {region_id(c, p) for c, ps in prefixes.items() for p in ps}
    return next((rid for rid in region_candidates(postal_code, country) if rid in known), None)
