"""The network file: one JSON document that describes a whole network.

``read_network_file(path)`` decodes one from disk. ``parse_network(doc)`` checks a decoded
document (see DOMAIN.md, "The network file") and returns a ``Network`` of normalised records, or
raises ``NetworkFileError`` listing every problem it found, each with its JSON path
(``$.lanes[3].to``) and a reason. It never stops at the first problem.

The records are plain dicts whose keys are exactly the graph's property names, defaults filled
in, ready to be passed to ``UNWIND $rows``. Stock rows carry no ``reserved``: that is runtime
state, owned by the graph, and a file cannot set it.

References (a stock row's location and SKU, a lane's location and region) may point at records in
the same document or, through ``KnownIds``, at records already in the graph.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any

import orjson

from ordergraph.connectors.network_file.fields import Fields, RowPath, json_type, member
from ordergraph.connectors.network_file.inbound import read_inbound
from ordergraph.domain.errors import NetworkFileError, PolicyDocumentError, Problem
from ordergraph.domain.geo import region_id
from ordergraph.domain.network import (
    DEFAULT_CHANNEL_KIND,
    DEFAULT_CUTOFF,
    DEFAULT_SKU_WEIGHT_KG,
    LATITUDE,
    LOCATION_KINDS,
    LONGITUDE,
    PARTIAL_POLICIES,
)
from ordergraph.domain.routing.documents import parse_policy
from ordergraph.domain.routing.shipped import SHIPPED

Record = dict[str, Any]
_Row = tuple["RowPath", Record]  # a record and where it came from

SECTIONS = (
    "regions",
    "locations",
    "skus",
    "stock",
    "lanes",
    "channels",
    "stockProtections",
    "inbound",
    "routingPolicies",
    "transferLanes",
)

REGION_KEYS = frozenset({"id", "country", "postalPrefix", "lat", "lon"})
LOCATION_KEYS = frozenset(
    {
        "id", "name", "kind", "lat", "lon", "postalCode", "country", "timezone", "cutoff",
        "processingDays", "handlingCost", "dailyCapacity", "tags", "shipFromStore", "pickup",
        "active", "acceptsReturns", "carrierCapacity",
    }
)  # fmt: skip
SKU_KEYS = frozenset({"id", "name", "weightKg", "tags"})
STOCK_KEYS = frozenset({"location", "sku", "onHand", "safetyStock"})
LANE_KEYS = frozenset({"from", "to", "carrier", "service", "transitDays", "baseCost", "costPerKg"})
TRANSFER_LANE_KEYS = LANE_KEYS | {"cutoff"}
TRANSFER_CARRIER = "TRANSFER"  # a transfer lane's carrier and service when the file names none
CHANNEL_KEYS = frozenset(
    {
        "id", "name", "kind", "partialPolicy", "routingPolicy", "sourcing", "bufferUnits",
        "sharePercent", "sellInbound", "allowBackorder", "batchWindowSeconds",
    }
)  # fmt: skip
SOURCING_KEYS = frozenset({"locations", "kinds", "excludeTags"})
PROTECTION_KEYS = frozenset({"location", "sku", "channel", "quantity", "until"})
_STOCK_KEYS_AND_RESERVED = STOCK_KEYS | {"reserved"}  # reserved has its own problem


@dataclass(frozen=True)
class KnownIds:
    """Ids already in the graph, which a document may reference without defining."""

    locations: AbstractSet[str] = frozenset()
    skus: AbstractSet[str] = frozenset()
    regions: AbstractSet[str] = frozenset()
    channels: AbstractSet[str] = frozenset()
    policies: AbstractSet[str] = frozenset()  # routing policy ids with a stored version


@dataclass(frozen=True)
class Network:
    """A checked network document: normalised records, one tuple per section."""

    regions: tuple[Record, ...] = ()
    locations: tuple[Record, ...] = ()
    skus: tuple[Record, ...] = ()
    stock: tuple[Record, ...] = ()
    lanes: tuple[Record, ...] = ()
    channels: tuple[Record, ...] = ()
    stock_protections: tuple[Record, ...] = ()
    inbound: tuple[Record, ...] = ()  # purchase-order and transfer lines (network_file.inbound)
    # routing policy documents as given ({"document", "activate"}), checked, in file order
    routing_policies: tuple[Record, ...] = ()
    transfer_lanes: tuple[Record, ...] = ()  # location to pickup store (docs/transfers.md)

    def rows(self, section: str) -> tuple[Record, ...]:
        """The records of one section, by its name in the file."""
        names = {
            "stockProtections": "stock_protections",
            "routingPolicies": "routing_policies",
            "transferLanes": "transfer_lanes",
        }
        rows: tuple[Record, ...] = getattr(self, names.get(section, section))
        return rows

    def counts(self) -> dict[str, int]:
        return {section: len(self.rows(section)) for section in SECTIONS}


def read_network_file(path: str) -> object:
    """The decoded JSON document of the network file at ``path`` (checked by
    ``parse_network``); a file that cannot be read or is not JSON is a ``NetworkFileError``."""
    try:
        with open(path, "rb") as fh:
            return orjson.loads(fh.read())
    except OSError as exc:
        raise NetworkFileError(f"cannot read {path}: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise NetworkFileError(
            f"{path} is not valid JSON", problems=[Problem("$", str(exc))]
        ) from None


def parse_network(doc: object, known: KnownIds | None = None) -> Network:
    """Check a decoded network document; raise ``NetworkFileError`` listing every problem."""
    known = known or KnownIds()
    problems: list[Problem] = []
    if not isinstance(doc, Mapping):
        problems.append(Problem("$", f"expected an object, got {json_type(doc)}"))
        raise _error(problems)
    for key in doc:
        if key not in SECTIONS:
            problems.append(
                Problem(
                    member("$", key), f"unknown section (expected one of {', '.join(SECTIONS)})"
                )
            )

    good_ids: set[str] = set()  # strings already found to be good ids: most recur often

    def section(name: str, read: Callable[[Fields], Record]) -> list[_Row]:
        rows = doc.get(name, [])
        if not isinstance(rows, list):
            problems.append(Problem(f"$.{name}", f"expected an array, got {json_type(rows)}"))
            return []
        out = []
        for i, row in enumerate(rows):
            path = RowPath(name, i)
            if not isinstance(row, Mapping):
                problems.append(Problem(str(path), f"expected an object, got {json_type(row)}"))
                continue
            out.append((path, read(Fields(row, path, problems, good_ids))))
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
    for path, record in channels:
        for i, location in enumerate(record.get("sourcingLocations") or ()):
            if location not in location_ids:
                problems.append(
                    Problem(f"{path}.sourcing.locations[{i}]", f'unknown location "{location}"')
                )
    protections = section("stockProtections", _protection)
    channel_ids = _ids(channels) | known.channels
    for row in protections:
        _check_reference(row, "location", "location", location_ids, problems)
        _check_reference(row, "sku", "sku", sku_ids, problems)
        _check_reference(row, "channel", "channel", channel_ids, problems)
    _check_unique_rows(protections, ("location", "sku", "channel"), problems)
    _check_unique_rows(stock, ("location", "sku"), problems)
    inbound = section("inbound", read_inbound)
    _check_unique_ids(inbound, problems)
    for row in inbound:
        _check_reference(row, "location", "location", location_ids, problems)
        _check_reference(row, "sku", "sku", sku_ids, problems)
    _check_unique_rows(lanes, ("from", "to", "carrier", "service"), problems)
    transfer_lanes = section("transferLanes", _transfer_lane)
    for row in transfer_lanes:
        _check_reference(row, "from", "location", location_ids, problems)
        _check_reference(row, "to", "location", location_ids, problems)
        path, record = row
        if record["from"] is not None and record["from"] == record["to"]:
            problems.append(Problem(f"{path}.to", "a transfer lane joins two locations"))
    _check_unique_rows(transfer_lanes, ("from", "to", "carrier", "service"), problems)
    policies = _routing_policies(doc.get("routingPolicies", []), known.policies, problems)
    policy_ids = set(SHIPPED) | known.policies | {p["document"]["id"] for p in policies}
    for path, record in channels:
        chosen = record.get("routingPolicy")
        if chosen is not None and chosen not in policy_ids:
            problems.append(
                Problem(
                    f"{path}.routingPolicy",
                    f'unknown routing policy "{chosen}" (shipped: {", ".join(SHIPPED)}; or the '
                    "id of a policy in routingPolicies or in the graph)",
                )
            )

    if problems:
        raise _error(problems)
    return Network(
        regions=_records(regions),
        locations=_records(locations),
        skus=_records(skus),
        stock=_records(stock),
        lanes=_records(lanes),
        channels=_records(channels),
        stock_protections=_records(protections),
        inbound=_records(inbound),
        routing_policies=tuple(policies),
        transfer_lanes=_records(transfer_lanes),
    )


def policy_references(doc: Mapping[str, Any]) -> set[str]:
    """The policy ids the fallbacks of a document's ``routingPolicies`` name (before checks)."""
    rows = doc.get("routingPolicies")
    return {
        action["policy"]
        for policy in (rows if isinstance(rows, list) else [])
        if isinstance(policy, Mapping) and isinstance(policy.get("rules"), list)
        for rule in policy["rules"]
        if isinstance(rule, Mapping) and isinstance(rule.get("actions"), list)
        for action in rule["actions"]
        if isinstance(action, Mapping) and isinstance(action.get("policy"), str)
    }


def _routing_policies(
    rows: object, known: AbstractSet[str], problems: list[Problem]
) -> list[Record]:
    """The ``routingPolicies`` section: policy documents (docs/routing-policies.md), each
    checked by ``parse_policy`` (its problems under ``$.routingPolicies[i]``); ``state:
    ACTIVE`` asks for the loaded version to be activated. A fallback must name a shipped
    policy, one in the graph, or one earlier in the section (they load in file order)."""
    if not isinstance(rows, list):
        problems.append(Problem("$.routingPolicies", f"expected an array, got {json_type(rows)}"))
        return []
    found: list[Record] = []
    seen: set[str] = set()
    for i, raw in enumerate(rows):
        path = f"$.routingPolicies[{i}]"
        try:
            document = parse_policy(raw)
        except PolicyDocumentError as exc:
            problems.extend(Problem(f"{path}.{p.path}", p.reason) for p in exc.problems)
            continue
        if document.id in seen:
            problems.append(Problem(f"{path}.id", f'"{document.id}" is in the section twice'))
        for j, rule in enumerate(document.policy.rules):
            for k, action in enumerate(rule.actions):
                other = action.fallback_id
                if (
                    other is not None
                    and other not in SHIPPED
                    and other not in seen
                    and other not in known
                ):
                    problems.append(
                        Problem(
                            f"{path}.rules[{j}].actions[{k}].policy",
                            f'unknown routing policy "{other}" (a fallback must be shipped, in '
                            "the graph, or earlier in routingPolicies)",
                        )
                    )
        seen.add(document.id)
        assert isinstance(raw, Mapping)
        found.append({"document": dict(raw), "activate": raw.get("state") == "ACTIVE"})
    return found


# -- one reader per kind of record ------------------------------------------------------------
# Each returns the normalised record, with ``None`` in place of any bad value.


def _point(f: Fields) -> Record:
    """The lat and lon of a region's centroid or a location."""
    return {"lat": f.number("lat", between=LATITUDE), "lon": f.number("lon", between=LONGITUDE)}


def _region(f: Fields) -> Record:
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
        **_point(f),
    }


def _location(f: Fields) -> Record:
    f.unknown_keys(LOCATION_KEYS)
    location_id, name, kind = f.ident("id"), f.text("name"), f.choice("kind", LOCATION_KINDS)
    return {
        "id": location_id,
        "name": name,
        "kind": kind,
        **_point(f),
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
        **_carrier_capacity(f),
    }


def _carrier_capacity(f: Fields) -> Record:
    """``carrierCapacity: [{carrier, dailyCapacity}]``: daily booking caps per carrier at the
    location (docs/carriers.md), stored as two parallel lists; absent when not given ([]
    clears them)."""
    if "carrierCapacity" not in f.record:
        return {}
    value = f.record["carrierCapacity"] or []
    carriers: list[str] = []
    limits: list[int] = []
    if not isinstance(value, list):
        f.problem("carrierCapacity", "must be a list of {carrier, dailyCapacity}")
        return {"carrierCaps": [], "carrierCapLimits": []}
    for n, entry in enumerate(value):
        carrier = entry.get("carrier") if isinstance(entry, dict) else None
        limit = entry.get("dailyCapacity") if isinstance(entry, dict) else None
        if (
            not isinstance(carrier, str)
            or not carrier.strip()
            or isinstance(limit, bool)
            or not isinstance(limit, int)
            or limit < 0
            or carrier.strip() in carriers
        ):
            f.problem(
                f"carrierCapacity[{n}]",
                "needs a carrier (once) and a whole dailyCapacity of 0 or more",
            )
            continue
        carriers.append(carrier.strip())
        limits.append(limit)
    return {"carrierCaps": carriers, "carrierCapLimits": limits}


def _named(f: Fields, keys: frozenset[str]) -> Record:
    """The id and name of a SKU or a channel (its name is its id unless given)."""
    f.unknown_keys(keys)
    record_id = f.ident("id")
    return {"id": record_id, "name": f.text("name", default=record_id)}


def _sku(f: Fields) -> Record:
    return {
        **_named(f, SKU_KEYS),
        "weightKg": f.amount("weightKg", default=DEFAULT_SKU_WEIGHT_KG),
        "tags": f.tags("tags"),
    }


def _stock(f: Fields) -> Record:
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


def _lane(f: Fields) -> Record:
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


def _transfer_lane(f: Fields) -> Record:
    """A transfer lane from a location to a pickup store (docs/transfers.md): its own transit
    days and, optionally, its own cut-off at the source (the source's when absent)."""
    f.unknown_keys(TRANSFER_LANE_KEYS)
    return {
        "from": f.ident("from"),
        "to": f.ident("to"),
        "carrier": f.ident("carrier") if "carrier" in f.record else TRANSFER_CARRIER,
        "service": f.ident("service") if "service" in f.record else TRANSFER_CARRIER,
        "transitDays": f.integer("transitDays"),
        "cutoff": f.cutoff("cutoff", default=None),
        "baseCost": f.amount("baseCost"),
        "costPerKg": f.amount("costPerKg", default=0.0),
    }


def _channel(f: Fields) -> Record:
    """A channel, its policies and its sourcing rules (DOMAIN.md, "Channel available-to-
    promise"), flat: ``sourcing.kinds`` is stored as ``sourcingKinds``. ``allowBackorder`` is
    the partial policy said another way (false = REJECT)."""
    named = _named(f, CHANNEL_KEYS)
    backorder = f.boolean("allowBackorder", default=True)
    policy = (
        f.choice("partialPolicy", PARTIAL_POLICIES)
        if "partialPolicy" in f.record
        else ("BACKORDER" if backorder is not False else "REJECT")
    )
    given = "allowBackorder" in f.record and backorder is not None and policy is not None
    if given and backorder != (policy == "BACKORDER"):
        f.problem("allowBackorder", f"contradicts partialPolicy {policy}")
    share = f.integer("sharePercent", default=100)
    if share is not None and share > 100:
        f.problem("sharePercent", f"must be between 0 and 100, got {share}")
        share = None
    return {
        **named,
        "kind": f.text("kind", default=DEFAULT_CHANNEL_KIND),
        "partialPolicy": policy,
        "routingPolicy": f.policy_id("routingPolicy")
        if "routingPolicy" in f.record
        else "CHEAPEST",
        **_sourcing(f),
        "bufferUnits": f.integer("bufferUnits", default=0),
        "sharePercent": share,
        "sellInbound": f.boolean("sellInbound", default=False),
        "batchWindowSeconds": _batch_window(f),
    }


MAX_BATCH_WINDOW_S = 86_400


def _batch_window(f: Fields) -> int | None:
    """``batchWindowSeconds``: 0 (the default) routes each order at once; more holds the
    channel's orders for a batch wave (docs/allocation.md), at most a day."""
    seconds = f.integer("batchWindowSeconds", default=0)
    if seconds is not None and seconds > MAX_BATCH_WINDOW_S:
        f.problem("batchWindowSeconds", f"must be at most {MAX_BATCH_WINDOW_S}, got {seconds}")
        return None
    return seconds


def _sourcing(f: Fields) -> Record:
    """``sourcing {locations, kinds, excludeTags}`` of a channel, each null or absent = any."""
    raw = f.record.get("sourcing")
    if raw is not None and not isinstance(raw, Mapping):
        f.problem("sourcing", f"expected an object, got {json_type(raw)}")
    inner = Fields(
        raw if isinstance(raw, Mapping) else {},
        RowPath(f.path.section, f.path.index, "sourcing"),
        f.problems,
        f.good_ids,
    )
    inner.unknown_keys(SOURCING_KEYS)
    kinds = None if inner.record.get("kinds") is None else inner.tags("kinds")
    for kind in kinds or ():
        if kind not in LOCATION_KINDS:
            inner.problem("kinds", f'unknown kind "{kind}" (one of {", ".join(LOCATION_KINDS)})')
    return {
        "sourcingLocations": None
        if inner.record.get("locations") is None
        else inner.tags("locations"),
        "sourcingKinds": kinds,
        "sourcingExcludeTags": inner.tags("excludeTags"),
    }


def _protection(f: Fields) -> Record:
    """Units of a position held for one channel until a day (inclusive; absent = no end);
    a quantity of 0 ends the protection."""
    f.unknown_keys(PROTECTION_KEYS)
    until = f.text("until", default=None, nullable=True)
    if until is not None:
        try:
            until = date.fromisoformat(until).isoformat()
        except ValueError:
            f.problem("until", f'must be a day YYYY-MM-DD, got "{until}"')
            until = None
    return {
        "location": f.ident("location"),
        "sku": f.ident("sku"),
        "channel": f.ident("channel"),
        "quantity": f.integer("quantity"),
        "until": until or "",
    }


# -- checks across records --------------------------------------------------------------------


def _records(rows: Sequence[_Row]) -> tuple[Record, ...]:
    return tuple(record for _, record in rows)


def _ids(rows: Sequence[_Row]) -> set[str]:
    return {record["id"] for _, record in rows if record["id"] is not None}


def _check_unique_ids(rows: Sequence[_Row], problems: list[Problem]) -> None:
    first: dict[str, RowPath] = {}
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
    first: dict[tuple[Any, ...], RowPath] = {}
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
