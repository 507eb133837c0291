"""The network file: one JSON document that describes a whole network.

``parse_network(doc)`` checks a decoded document (see DOMAIN.md, "The network file") and returns a
``Network`` of normalised records, or raises ``NetworkFileError`` listing every problem it found,
each with its JSON path (``$.lanes[3].to``) and a reason. It never stops at the first problem.

The records are plain dicts whose keys are exactly the graph's property names, defaults filled
in, ready to be passed to ``UNWIND $rows``. Stock rows carry no ``reserved``: that is runtime
state, owned by the graph, and a file cannot set it.

References (a stock row's location and SKU, a lane's location and region) may point at records in
the same document or, through ``KnownIds``, at records already in the graph.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from ordergraph.domain.errors import NetworkFileError, Problem
from ordergraph.domain.geo import normalise_postal_code, region_id
from ordergraph.domain.routing_types import POLICIES

Record = dict[str, Any]
_Row = tuple["_RowPath", Record]  # a record and where it came from

SECTIONS = ("regions", "locations", "skus", "stock", "lanes", "channels")
LOCATION_KINDS = ("WAREHOUSE", "STORE", "DARK_STORE", "DROPSHIP")
MAX_ID_LENGTH = 100
LATITUDE = (-90.0, 90.0)
LONGITUDE = (-180.0, 180.0)

REGION_KEYS = frozenset({"id", "country", "postalPrefix", "lat", "lon"})
LOCATION_KEYS = frozenset(
    {
        "id", "name", "kind", "lat", "lon", "postalCode", "country", "timezone", "cutoff",
        "processingDays", "handlingCost", "dailyCapacity", "tags", "shipFromStore", "pickup",
        "active", "acceptsReturns",
    }
)  # fmt: skip
SKU_KEYS = frozenset({"id", "name", "weightKg", "tags"})
STOCK_KEYS = frozenset({"location", "sku", "onHand", "safetyStock"})
LANE_KEYS = frozenset({"from", "to", "carrier", "service", "transitDays", "baseCost", "costPerKg"})
CHANNEL_KEYS = frozenset({"id", "name", "kind", "partialPolicy", "routingPolicy"})
PARTIAL_POLICIES = ("BACKORDER", "REJECT")
"""What a channel does with an order it cannot ship whole: allocate what it can and backorder
the rest (the default), or refuse the order with INSUFFICIENT_STOCK and reserve nothing."""
ROUTING_POLICIES = tuple(POLICIES)
_STOCK_KEYS_AND_RESERVED = STOCK_KEYS | {"reserved"}  # reserved has its own problem

DEFAULT_CUTOFF = "14:00"
DEFAULT_SKU_WEIGHT_KG = 0.5
DEFAULT_CHANNEL_KIND = "OTHER"

_CUTOFF = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REQUIRED: Any = object()


@dataclass(frozen=True)
class KnownIds:
    """Ids already in the graph, which a document may reference without defining."""

    locations: AbstractSet[str] = frozenset()
    skus: AbstractSet[str] = frozenset()
    regions: AbstractSet[str] = frozenset()


@dataclass(frozen=True)
class Network:
    """A checked network document: normalised records, one tuple per section."""

    regions: tuple[Record, ...] = ()
    locations: tuple[Record, ...] = ()
    skus: tuple[Record, ...] = ()
    stock: tuple[Record, ...] = ()
    lanes: tuple[Record, ...] = ()
    channels: tuple[Record, ...] = ()

    def counts(self) -> dict[str, int]:
        return {section: len(getattr(self, section)) for section in SECTIONS}


def parse_network(doc: object, known: KnownIds | None = None) -> Network:
    """Check a decoded network document; raise ``NetworkFileError`` listing every problem."""
    known = known or KnownIds()
    problems: list[Problem] = []
    if not isinstance(doc, Mapping):
        problems.append(Problem("$", f"expected an object, got {_json_type(doc)}"))
        raise _error(problems)
    for key in doc:
        if key not in SECTIONS:
            problems.append(
                Problem(
                    _member("$", key), f"unknown section (expected one of {', '.join(SECTIONS)})"
                )
            )

    good_ids: set[str] = set()  # strings already found to be good ids: most recur often

    def section(name: str, read: Callable[[_Fields], Record]) -> list[_Row]:
        rows = doc.get(name, [])
        if not isinstance(rows, list):
            problems.append(Problem(f"$.{name}", f"expected an array, got {_json_type(rows)}"))
            return []
        out = []
        for i, row in enumerate(rows):
            path = _RowPath(name, i)
            if not isinstance(row, Mapping):
                problems.append(Problem(str(path), f"expected an object, got {_json_type(row)}"))
                continue
            out.append((path, read(_Fields(row, path, problems, good_ids))))
        return out

    regions = section("regions", _region)
    locations = section("locations", _location)
    skus = section("skus", _sku)
    channels = section("channels", _channel)
    for rows in (regions, locations, skus, channels):
        _check_unique_ids(rows, problems)

    location_ids = _ids(locations) | known.locations
    sku_ids = _ids(skus) | known.skus
    region_ids = _ids(regions) | known.regions
    stock = section("stock", _stock)
    lanes = section("lanes", _lane)
    for row in stock:
        _check_reference(row, "location", "location", location_ids, problems)
        _check_reference(row, "sku", "sku", sku_ids, problems)
    for row in lanes:
        _check_reference(row, "from", "location", location_ids, problems)
        _check_reference(row, "to", "region", region_ids, problems)
    _check_unique_rows(stock, ("location", "sku"), problems)
    _check_unique_rows(lanes, ("from", "to", "carrier", "service"), problems)

    if problems:
        raise _error(problems)
    return Network(
        regions=_records(regions),
        locations=_records(locations),
        skus=_records(skus),
        stock=_records(stock),
        lanes=_records(lanes),
        channels=_records(channels),
    )


# -- one reader per kind of record ------------------------------------------------------------
# Each returns the normalised record, with ``None`` in place of any bad value.


def _region(f: _Fields) -> Record:
    f.unknown_keys(REGION_KEYS)
    rid = f.ident("id")
    country = f.country("country")
    prefix = f.postal_prefix("postalPrefix")
    if rid is not None and country is not None and prefix is not None:
        expected = region_id(country, prefix)
        if rid != expected:
            f.problem("id", f'must be "{expected}" (country-postalPrefix), got "{rid}"')
    return {
        "id": rid,
        "country": country,
        "postalPrefix": prefix,
        "lat": f.number("lat", between=LATITUDE),
        "lon": f.number("lon", between=LONGITUDE),
    }


def _location(f: _Fields) -> Record:
    f.unknown_keys(LOCATION_KEYS)
    location_id, name, kind = f.ident("id"), f.text("name"), f.choice("kind", LOCATION_KINDS)
    return {
        "id": location_id,
        "name": name,
        "kind": kind,
        "lat": f.number("lat", between=LATITUDE),
        "lon": f.number("lon", between=LONGITUDE),
        "postalCode": f.text("postalCode", default=None, nullable=True),
        "country": f.country("country"),
        "timezone": f.timezone("timezone"),
        "cutoff": f.cutoff("cutoff", default=DEFAULT_CUTOFF),
        "processingDays": f.integer("processingDays", default=0),
        "handlingCost": f.amount("handlingCost", default=0.0),
        "dailyCapacity": f.integer("dailyCapacity", default=None, nullable=True),
        "tags": f.tags("tags"),
        "shipFromStore": f.boolean("shipFromStore", default=kind == "STORE"),
        "pickup": f.boolean("pickup", default=kind in ("STORE", "DARK_STORE")),
        "active": f.boolean("active", default=True),
        "acceptsReturns": f.boolean("acceptsReturns", default=kind in ("WAREHOUSE", "STORE")),
    }


def _sku(f: _Fields) -> Record:
    f.unknown_keys(SKU_KEYS)
    sku_id = f.ident("id")
    return {
        "id": sku_id,
        "name": f.text("name", default=sku_id),
        "weightKg": f.amount("weightKg", default=DEFAULT_SKU_WEIGHT_KG),
        "tags": f.tags("tags"),
    }


def _stock(f: _Fields) -> Record:
    # The fast way for the usual row, in files of a million of them: ids already seen to be good,
    # counts that are plain non-negative ints, no other keys. Anything else takes the long way.
    row, good = f.record, f.good_ids
    location, sku, on_hand = row.get("location"), row.get("sku"), row.get("onHand")
    safety = row.get("safetyStock", 0)
    if (
        type(location) is str
        and type(sku) is str
        and type(on_hand) is int
        and type(safety) is int
        and location in good
        and sku in good
        and on_hand >= 0
        and safety >= 0
        and row.keys() <= STOCK_KEYS
    ):
        return {"location": location, "sku": sku, "onHand": on_hand, "safetyStock": safety}
    if "reserved" in f.record:
        f.problem("reserved", "reserved is runtime state, a network file cannot set it")
    f.unknown_keys(_STOCK_KEYS_AND_RESERVED)
    return {
        "location": f.ident("location"),
        "sku": f.ident("sku"),
        "onHand": f.integer("onHand"),
        "safetyStock": f.integer("safetyStock", default=0),
    }


def _lane(f: _Fields) -> Record:
    f.unknown_keys(LANE_KEYS)
    return {
        "from": f.ident("from"),
        "to": f.ident("to"),
        "carrier": f.ident("carrier"),
        "service": f.ident("service"),
        "transitDays": f.integer("transitDays"),
        "baseCost": f.amount("baseCost"),
        "costPerKg": f.amount("costPerKg"),
    }


def _channel(f: _Fields) -> Record:
    f.unknown_keys(CHANNEL_KEYS)
    channel_id = f.ident("id")
    return {
        "id": channel_id,
        "name": f.text("name", default=channel_id),
        "kind": f.text("kind", default=DEFAULT_CHANNEL_KIND),
        "partialPolicy": f.choice("partialPolicy", PARTIAL_POLICIES)
        if "partialPolicy" in f.record
        else "BACKORDER",
        "routingPolicy": f.choice("routingPolicy", ROUTING_POLICIES)
        if "routingPolicy" in f.record
        else "CHEAPEST",
    }


# -- checks across records --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RowPath:
    """Where a record is (``$.stock[7]``), spelt out only when a problem needs it."""

    section: str
    index: int

    def __str__(self) -> str:
        return f"$.{self.section}[{self.index}]"


def _records(rows: Sequence[_Row]) -> tuple[Record, ...]:
    return tuple(record for _, record in rows)


def _ids(rows: Sequence[_Row]) -> set[str]:
    return {record["id"] for _, record in rows if record["id"] is not None}


def _check_unique_ids(rows: Sequence[_Row], problems: list[Problem]) -> None:
    first: dict[str, _RowPath] = {}
    for path, record in rows:
        rid = record["id"]
        if rid is None:
            continue
        if rid in first:
            problems.append(Problem(f"{path}.id", f'duplicate id "{rid}" (first at {first[rid]})'))
        else:
            first[rid] = path


def _check_unique_rows(
    rows: Sequence[_Row], keys: tuple[str, ...], problems: list[Problem]
) -> None:
    first: dict[tuple[Any, ...], _RowPath] = {}
    key_of = itemgetter(*keys)
    for path, record in rows:
        key = key_of(record)
        if None in key:
            continue
        if key in first:
            shown = ", ".join(f'{k} "{v}"' for k, v in zip(keys, key, strict=True))
            problems.append(
                Problem(str(path), f"duplicate row for {shown} (first at {first[key]})")
            )
        else:
            first[key] = path


def _check_reference(
    row: _Row, key: str, kind: str, ids: AbstractSet[str], problems: list[Problem]
) -> None:
    path, record = row
    value = record[key]
    if value is not None and value not in ids:
        problems.append(Problem(f"{path}.{key}", f'unknown {kind} "{value}"'))


def _error(problems: list[Problem]) -> NetworkFileError:
    noun = "problem" if len(problems) == 1 else "problems"
    return NetworkFileError(f"network file has {len(problems)} {noun}", problems=problems)


def _member(path: str, key: object) -> str:
    """The JSON path of ``key`` in the object at ``path``: ``$.a.b``, ``$.a["odd key"]``."""
    name = str(key)
    if _PLAIN_KEY.fullmatch(name):
        return f"{path}.{name}"
    return f"{path}[{json.dumps(name, ensure_ascii=False)}]"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


# -- reading the fields of one record ---------------------------------------------------------


class _Fields:
    """Reads the fields of one record, noting a problem for every bad or missing one.

    Each reader returns the normalised value, the default when the key is absent, or ``None``
    after noting a problem. A default of ``_REQUIRED`` makes the key required.
    """

    def __init__(
        self, record: Mapping[str, Any], path: _RowPath, problems: list[Problem], good_ids: set[str]
    ) -> None:
        self.record = record
        self.path = path
        self.problems = problems
        self.good_ids = good_ids

    def problem(self, key: str, reason: str) -> None:
        self.problems.append(Problem(_member(str(self.path), key), reason))

    def unknown_keys(self, allowed: AbstractSet[str]) -> None:
        for key in self.record:
            if key not in allowed:
                self.problem(str(key), "unknown key")

    def _get(self, key: str, default: Any, nullable: bool = False) -> tuple[bool, Any]:
        """``(True, value)`` to go on checking ``value``, ``(False, result)`` when done."""
        if key not in self.record:
            if default is _REQUIRED:
                self.problem(key, "required")
                return False, None
            return False, default
        value = self.record[key]
        if value is None and nullable:
            return False, None
        return True, value

    def _expected(self, key: str, what: str, value: object) -> None:
        self.problem(key, f"expected {what}, got {_json_type(value)}")

    def ident(self, key: str) -> str | None:
        go, value = self._get(key, _REQUIRED)
        if not go:
            return None
        if type(value) is str and value in self.good_ids:
            return value
        if not isinstance(value, str):
            self._expected(key, "a string", value)
            return None
        reason = id_problem(value)
        if reason:
            self.problem(key, reason)
            return None
        self.good_ids.add(value)
        return value

    def text(self, key: str, default: Any = _REQUIRED, nullable: bool = False) -> str | None:
        go, value = self._get(key, default, nullable)
        if not go:
            return value  # type: ignore[no-any-return]
        if not isinstance(value, str):
            self._expected(key, "a string", value)
            return None
        if not value.strip():
            self.problem(key, "must not be empty")
            return None
        return value.strip()

    def number(
        self, key: str, default: Any = _REQUIRED, between: tuple[float, float] | None = None
    ) -> float | None:
        go, value = self._get(key, default)
        if not go:
            return value  # type: ignore[no-any-return]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self._expected(key, "a number", value)
            return None
        if not math.isfinite(value):
            self.problem(key, f"must be a finite number, got {value}")
            return None
        if between is not None and not between[0] <= value <= between[1]:
            self.problem(key, f"must be between {between[0]:g} and {between[1]:g}, got {value}")
            return None
        return float(value)

    def amount(self, key: str, default: Any = _REQUIRED) -> float | None:
        """A cost or a weight: a number, never negative."""
        value = self.number(key, default)
        if value is not None and value < 0:
            self.problem(key, f"must not be negative, got {value:g}")
            return None
        return value

    def integer(self, key: str, default: Any = _REQUIRED, nullable: bool = False) -> int | None:
        """A count: an integer (a float without a fraction is accepted), never negative."""
        go, value = self._get(key, default, nullable)
        if not go:
            return value  # type: ignore[no-any-return]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            shown = f"number {value}" if isinstance(value, float) else _json_type(value)
            self.problem(key, f"expected an integer, got {shown}")
            return None
        if value < 0:
            self.problem(key, f"must not be negative, got {value}")
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool | None:
        go, value = self._get(key, default)
        if not go:
            return value  # type: ignore[no-any-return]
        if not isinstance(value, bool):
            self._expected(key, "true or false", value)
            return None
        return value

    def tags(self, key: str) -> list[str] | None:
        """A list of distinct tags, sorted so that equal sets compare equal."""
        go, value = self._get(key, [])
        if not go:
            return list(value)
        if not isinstance(value, list):
            self._expected(key, "an array of strings", value)
            return None
        ok = True
        for i, tag in enumerate(value):
            reason = (
                id_problem(tag)
                if isinstance(tag, str)
                else f"expected a string, got {_json_type(tag)}"
            )
            if reason:
                self.problems.append(Problem(f"{_member(str(self.path), key)}[{i}]", reason))
                ok = False
        return sorted(set(value)) if ok else None

    def choice(self, key: str, choices: Sequence[str]) -> str | None:
        value = self.text(key)
        if value is not None and value not in choices:
            self.problem(key, f'must be one of {", ".join(choices)}, got "{value}"')
            return None
        return value

    def country(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None and not _COUNTRY.fullmatch(value):
            self.problem(key, f'must be a two-letter country code, got "{value}"')
            return None
        return value.upper() if value is not None else None

    def postal_prefix(self, key: str) -> str | None:
        value = self.text(key)
        if value is None:
            return None
        prefix = normalise_postal_code(value)
        if not prefix:
            self.problem(key, f'must contain letters or digits, got "{value}"')
            return None
        return prefix

    def timezone(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None and not is_timezone(value):
            self.problem(key, f'unknown IANA timezone "{value}"')
            return None
        return value

    def cutoff(self, key: str, default: str) -> str | None:
        value = self.text(key, default)
        if value is not None and not _CUTOFF.fullmatch(value):
            self.problem(key, f'must be a local time HH:MM from 00:00 to 23:59, got "{value}"')
            return None
        return value


def id_problem(value: str) -> str | None:
    """Why ``value`` cannot be an id (a non-empty string of at most 100 characters without
    control characters), or ``None`` when it can."""
    if not value.strip():
        return "must not be empty"
    if len(value) > MAX_ID_LENGTH:
        return f"must be at most {MAX_ID_LENGTH} characters, got {len(value)}"
    if _CONTROL.search(value):
        return "must not contain control characters"
    return None


def is_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA timezone this machine knows."""
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True
