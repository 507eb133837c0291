"""The network file: what a good document becomes, and every problem a bad one reports."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from ordergraph.connectors.network_file.parse import KnownIds, Network, parse_network
from ordergraph.domain.errors import NetworkFileError, Problem
from ordergraph.domain.regions import prefixes_by_country, resolve_region

# a channel without sourcing rules: the whole network, all of its shared stock, no buffer
NO_RULES = {
    "sourcingLocations": None,
    "sourcingKinds": None,
    "sourcingExcludeTags": [],
    "bufferUnits": 0,
    "sharePercent": 100,
    "sellInbound": False,
    "batchWindowSeconds": 0,
}


def example() -> dict[str, Any]:
    """The example document of DOMAIN.md, "The network file"."""
    return {
        "regions": [
            {"id": "US-941", "country": "US", "postalPrefix": "941", "lat": 37.77, "lon": -122.42}
        ],
        "locations": [
            {
                "id": "DC-RENO",
                "name": "Reno DC",
                "kind": "WAREHOUSE",
                "lat": 39.53,
                "lon": -119.81,
                "postalCode": "89502",
                "country": "US",
                "timezone": "America/Los_Angeles",
                "cutoff": "14:00",
                "processingDays": 0,
                "handlingCost": 1.25,
                "dailyCapacity": 5000,
                "tags": [],
            }
        ],
        "skus": [{"id": "SKU-1", "name": "Merino socks", "weightKg": 0.2, "tags": []}],
        "stock": [{"location": "DC-RENO", "sku": "SKU-1", "onHand": 40, "safetyStock": 2}],
        "lanes": [
            {
                "from": "DC-RENO",
                "to": "US-941",
                "carrier": "UPS",
                "service": "GROUND",
                "transitDays": 2,
                "baseCost": 6.10,
                "costPerKg": 0.55,
            }
        ],
        "channels": [{"id": "web", "name": "Web store", "kind": "WEB"}],
    }


def store(location_id: str = "STORE-0001", **overrides: Any) -> dict[str, Any]:
    return {
        "id": location_id,
        "name": "Store San Francisco",
        "kind": "STORE",
        "lat": 37.78,
        "lon": -122.41,
        "country": "US",
        "timezone": "America/Los_Angeles",
        **overrides,
    }


UNKNOWN_SECTION = (
    "unknown section (expected one of regions, locations, skus, stock, lanes, channels, "
    "stockProtections, inbound, routingPolicies, transferLanes)"
)
BAD_KIND = "must be one of WAREHOUSE, STORE, DARK_STORE, DROPSHIP,"
BAD_CUTOFF = "must be a local time HH:MM from 00:00 to 23:59,"
NO_PREFIX = "must contain letters or digits,"
RESERVED = "reserved is runtime state, a network file cannot set it"


def sku(**fields: Any) -> dict[str, Any]:
    return {"skus": [{"id": "S", **fields}]}


def problems_of(doc: object, known: KnownIds | None = None) -> list[Problem]:
    with pytest.raises(NetworkFileError) as caught:
        parse_network(doc, known)
    assert caught.value.message == f"network file has {len(caught.value.problems)} " + (
        "problem" if len(caught.value.problems) == 1 else "problems"
    )
    return caught.value.problems


DROP: Any = object()


def with_change(section: str, index: int, **changes: Any) -> dict[str, Any]:
    """The example with fields of one record changed (to ``DROP`` removes a field)."""
    doc = example()
    record = doc[section][index]
    for key, value in changes.items():
        if value is DROP:
            record.pop(key, None)
        else:
            record[key] = value
    return doc


# -- good documents ---------------------------------------------------------------------------


def test_the_domain_example_becomes_graph_records_with_defaults_filled_in() -> None:
    network = parse_network(example())

    assert network.counts() == {
        "regions": 1,
        "locations": 1,
        "skus": 1,
        "stock": 1,
        "lanes": 1,
        "channels": 1,
        "stockProtections": 0,
        "inbound": 0,
        "routingPolicies": 0,
        "transferLanes": 0,
    }
    assert network.locations[0] == {
        "id": "DC-RENO",
        "name": "Reno DC",
        "kind": "WAREHOUSE",
        "lat": 39.53,
        "lon": -119.81,
        "postalCode": "89502",
        "country": "US",
        "timezone": "America/Los_Angeles",
        "cutoff": "14:00",
        "processingDays": 0,
        "handlingCost": 1.25,
        "dailyCapacity": 5000,
        "tags": [],
        "shipFromStore": False,
        "pickup": False,
        "active": True,
        "acceptsReturns": True,
    }
    assert network.regions[0] == {
        "id": "US-941",
        "country": "US",
        "postalPrefix": "941",
        "lat": 37.77,
        "lon": -122.42,
    }
    assert network.skus[0] == {"id": "SKU-1", "name": "Merino socks", "weightKg": 0.2, "tags": []}
    assert network.stock[0] == {
        "location": "DC-RENO",
        "sku": "SKU-1",
        "onHand": 40,
        "safetyStock": 2,
    }
    assert network.lanes[0] == {
        "from": "DC-RENO",
        "to": "US-941",
        "carrier": "UPS",
        "service": "GROUND",
        "transitDays": 2,
        "baseCost": 6.10,
        "costPerKg": 0.55,
    }
    assert network.channels[0] == {
        "id": "web",
        "name": "Web store",
        "kind": "WEB",
        "partialPolicy": "BACKORDER",
        "routingPolicy": "CHEAPEST",
        **NO_RULES,
    }


def test_every_section_is_optional() -> None:
    assert parse_network({}) == Network()
    assert parse_network({}).counts() == dict.fromkeys(
        (
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
        ),
        0,
    )


def test_a_minimal_location_gets_the_defaults_of_its_kind() -> None:
    doc = {
        "locations": [
            store("S"),
            store("W", kind="WAREHOUSE"),
            store("D", kind="DARK_STORE"),
            store("X", kind="DROPSHIP"),
        ]
    }
    by_id = {loc["id"]: loc for loc in parse_network(doc).locations}

    assert by_id["S"] == {
        **store("S"),
        "postalCode": None,
        "cutoff": "14:00",
        "processingDays": 0,
        "handlingCost": 0.0,
        "dailyCapacity": None,
        "tags": [],
        "shipFromStore": True,
        "pickup": True,
        "active": True,
        "acceptsReturns": True,
    }
    flags = ("shipFromStore", "pickup", "acceptsReturns")
    assert {k: by_id["W"][k] for k in flags} == dict(zip(flags, (False, False, True), strict=True))
    assert {k: by_id["D"][k] for k in flags} == dict(zip(flags, (False, True, False), strict=True))
    assert {k: by_id["X"][k] for k in flags} == dict(zip(flags, (False, False, False), strict=True))


def test_explicit_flags_win_over_the_defaults_of_the_kind() -> None:
    doc = {"locations": [store(shipFromStore=False, pickup=False, active=False)]}
    location = parse_network(doc).locations[0]

    assert (location["shipFromStore"], location["pickup"], location["active"]) == (
        False,
        False,
        False,
    )


def test_skus_stock_and_channels_get_their_defaults() -> None:
    doc = {
        "locations": [store()],
        "skus": [{"id": "SKU-9"}],
        "stock": [{"location": "STORE-0001", "sku": "SKU-9", "onHand": 3}],
        "channels": [{"id": "pos"}],
    }
    network = parse_network(doc)

    assert network.skus[0] == {"id": "SKU-9", "name": "SKU-9", "weightKg": 0.5, "tags": []}
    assert network.stock[0] == {
        "location": "STORE-0001",
        "sku": "SKU-9",
        "onHand": 3,
        "safetyStock": 0,
    }
    assert network.channels[0] == {
        "id": "pos",
        "name": "pos",
        "kind": "OTHER",
        "partialPolicy": "BACKORDER",
        "routingPolicy": "CHEAPEST",
        **NO_RULES,
    }


def test_values_are_normalised() -> None:
    doc = {
        "regions": [
            {"id": "GB-SW1A", "country": "gb", "postalPrefix": "sw1a", "lat": 51.5, "lon": -0.14}
        ],
        "locations": [store(tags=["secure", "hazmat", "secure"], processingDays=1.0, lat=37)],
        "skus": [{"id": "SKU-1", "weightKg": 2}],
    }
    network = parse_network(doc)

    assert network.regions[0]["country"] == "GB"
    assert network.regions[0]["postalPrefix"] == "SW1A"
    assert network.locations[0]["tags"] == ["hazmat", "secure"]
    assert network.locations[0]["processingDays"] == 1
    assert type(network.locations[0]["processingDays"]) is int
    assert type(network.locations[0]["lat"]) is float
    assert type(network.skus[0]["weightKg"]) is float


def test_the_document_is_not_changed() -> None:
    doc = example()
    doc["locations"].append(store())
    before = copy.deepcopy(doc)
    parse_network(doc)

    assert doc == before


# -- one problem at a time --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "path", "reason"),
    [
        ([], "$", "expected an object, got array"),
        ({"wharehouses": []}, "$.wharehouses", UNKNOWN_SECTION),
        ({"skus": {}}, "$.skus", "expected an array, got object"),
        ({"skus": ["SKU-1"]}, "$.skus[0]", "expected an object, got string"),
        ({"skus": [{"name": "Socks"}]}, "$.skus[0].id", "required"),
        ({"skus": [{"id": ""}]}, "$.skus[0].id", "must not be empty"),
        ({"skus": [{"id": "  "}]}, "$.skus[0].id", "must not be empty"),
        ({"skus": [{"id": "S" * 101}]}, "$.skus[0].id", "must be at most 100 characters, got 101"),
        ({"skus": [{"id": "SKU\n1"}]}, "$.skus[0].id", "must not contain control characters"),
        ({"skus": [{"id": 42}]}, "$.skus[0].id", "expected a string, got number"),
        (sku(colour="red"), "$.skus[0].colour", "unknown key"),
        (sku(**{"shelf life": 3}), '$.skus[0]["shelf life"]', "unknown key"),
        (sku(weightKg="heavy"), "$.skus[0].weightKg", "expected a number, got string"),
        (sku(weightKg=-1), "$.skus[0].weightKg", "must not be negative, got -1"),
        (sku(weightKg=True), "$.skus[0].weightKg", "expected a number, got boolean"),
        (sku(tags="hazmat"), "$.skus[0].tags", "expected an array of strings, got string"),
        (sku(tags=["a", 1]), "$.skus[0].tags[1]", "expected a string, got number"),
        (sku(tags=[""]), "$.skus[0].tags[0]", "must not be empty"),
        (
            {"channels": [{"id": "pos", "kind": 3}]},
            "$.channels[0].kind",
            "expected a string, got number",
        ),
    ],
)  # fmt: skip
def test_a_bad_document_reports_the_problem_with_its_path(
    doc: object, path: str, reason: str
) -> None:
    assert problems_of(doc) == [Problem(path, reason)]


@pytest.mark.parametrize(
    ("changes", "key", "reason"),
    [
        ({"lat": 91}, "lat", "must be between -90 and 90, got 91"),
        ({"lat": -90.5}, "lat", "must be between -90 and 90, got -90.5"),
        ({"lon": -181}, "lon", "must be between -180 and 180, got -181"),
        ({"lat": math.nan}, "lat", "must be a finite number, got nan"),
        ({"lat": "39.5"}, "lat", "expected a number, got string"),
        ({"timezone": "Mars/Olympus"}, "timezone", 'unknown IANA timezone "Mars/Olympus"'),
        ({"timezone": "../etc/passwd"}, "timezone", 'unknown IANA timezone "../etc/passwd"'),
        ({"cutoff": "24:00"}, "cutoff", f'{BAD_CUTOFF} got "24:00"'),
        ({"cutoff": "9:30"}, "cutoff", f'{BAD_CUTOFF} got "9:30"'),
        ({"cutoff": "14:60"}, "cutoff", f'{BAD_CUTOFF} got "14:60"'),
        ({"cutoff": 14}, "cutoff", "expected a string, got number"),
        ({"kind": "SHOP"}, "kind", f'{BAD_KIND} got "SHOP"'),
        ({"country": "USA"}, "country", 'must be a two-letter country code, got "USA"'),
        ({"name": ""}, "name", "must not be empty"),
        ({"active": 1}, "active", "expected true or false, got number"),
        ({"pickup": "yes"}, "pickup", "expected true or false, got string"),
        ({"shipFromStore": None}, "shipFromStore", "expected true or false, got null"),
        ({"processingDays": True}, "processingDays", "expected an integer, got boolean"),
        ({"processingDays": 1.5}, "processingDays", "expected an integer, got number 1.5"),
        ({"processingDays": -1}, "processingDays", "must not be negative, got -1"),
        ({"dailyCapacity": "lots"}, "dailyCapacity", "expected an integer, got string"),
        ({"handlingCost": -0.5}, "handlingCost", "must not be negative, got -0.5"),
        ({"postalCode": 89502}, "postalCode", "expected a string, got number"),
        ({"name": DROP}, "name", "required"),
        ({"timezone": DROP}, "timezone", "required"),
    ],
)  # fmt: skip
def test_a_bad_location_field_is_reported(changes: dict[str, Any], key: str, reason: str) -> None:
    assert problems_of(with_change("locations", 0, **changes)) == [
        Problem(f"$.locations[0].{key}", reason)
    ]


@pytest.mark.parametrize(
    ("section", "changes", "key", "reason"),
    [
        ("stock", {"onHand": -1}, "onHand", "must not be negative, got -1"),
        ("stock", {"onHand": 2.5}, "onHand", "expected an integer, got number 2.5"),
        ("stock", {"onHand": True}, "onHand", "expected an integer, got boolean"),
        ("stock", {"safetyStock": -2}, "safetyStock", "must not be negative, got -2"),
        ("stock", {"onHand": DROP}, "onHand", "required"),
        ("stock", {"reserved": 3}, "reserved", RESERVED),
        ("lanes", {"transitDays": -1}, "transitDays", "must not be negative, got -1"),
        ("lanes", {"baseCost": -6.1}, "baseCost", "must not be negative, got -6.1"),
        ("lanes", {"costPerKg": -0.01}, "costPerKg", "must not be negative, got -0.01"),
        ("lanes", {"carrier": ""}, "carrier", "must not be empty"),
        ("lanes", {"service": DROP}, "service", "required"),
        ("regions", {"lat": 100}, "lat", "must be between -90 and 90, got 100"),
        ("regions", {"postalPrefix": "-"}, "postalPrefix", f'{NO_PREFIX} got "-"'),
    ],
)  # fmt: skip
def test_a_bad_stock_lane_or_region_field_is_reported(
    section: str, changes: dict[str, Any], key: str, reason: str
) -> None:
    assert problems_of(with_change(section, 0, **changes)) == [
        Problem(f"$.{section}[0].{key}", reason)
    ]


@pytest.mark.parametrize("wrong", ["US-94", "us-941", "US-941-"])
def test_a_region_id_is_its_country_and_postal_prefix(wrong: str) -> None:
    doc = with_change("regions", 0, id=wrong)

    assert problems_of(doc) == [
        Problem("$.regions[0].id", f'must be "US-941" (country-postalPrefix), got "{wrong}"'),
        Problem("$.lanes[0].to", 'unknown region "US-941"'),
    ]


def test_a_whole_number_written_as_a_float_is_an_integer() -> None:
    network = parse_network(with_change("stock", 0, onHand=40.0))

    assert network.stock[0]["onHand"] == 40
    assert type(network.stock[0]["onHand"]) is int


def test_each_kind_of_record_lists_its_required_keys() -> None:
    doc: dict[str, list[dict[str, Any]]] = {
        "regions": [{}],
        "locations": [{}],
        "stock": [{}],
        "lanes": [{}],
    }

    assert {p.path for p in problems_of(doc) if p.reason == "required"} == {
        "$.regions[0].id",
        "$.regions[0].country",
        "$.regions[0].postalPrefix",
        "$.regions[0].lat",
        "$.regions[0].lon",
        "$.locations[0].id",
        "$.locations[0].name",
        "$.locations[0].kind",
        "$.locations[0].lat",
        "$.locations[0].lon",
        "$.locations[0].country",
        "$.locations[0].timezone",
        "$.stock[0].location",
        "$.stock[0].sku",
        "$.stock[0].onHand",
        "$.lanes[0].from",
        "$.lanes[0].to",
        "$.lanes[0].carrier",
        "$.lanes[0].service",
        "$.lanes[0].transitDays",
        "$.lanes[0].baseCost",
        "$.lanes[0].costPerKg",
    }


# -- problems between records -----------------------------------------------------------------


def test_a_duplicate_id_points_at_the_first_one() -> None:
    doc = {"skus": [{"id": f"SKU-{i}"} for i in range(8)]}
    doc["skus"][7]["id"] = "SKU-2"

    assert problems_of(doc) == [
        Problem("$.skus[7].id", 'duplicate id "SKU-2" (first at $.skus[2])')
    ]


def test_duplicate_stock_rows_and_lanes_are_reported() -> None:
    doc = example()
    doc["stock"].append({"location": "DC-RENO", "sku": "SKU-1", "onHand": 1})
    doc["lanes"].append({**doc["lanes"][0], "transitDays": 3})
    doc["lanes"].append({**doc["lanes"][0], "service": "EXPRESS"})  # another service: fine

    assert problems_of(doc) == [
        Problem(
            "$.stock[1]", 'duplicate row for location "DC-RENO", sku "SKU-1" (first at $.stock[0])'
        ),
        Problem(
            "$.lanes[1]",
            'duplicate row for from "DC-RENO", to "US-941", carrier "UPS", service "GROUND"'
            " (first at $.lanes[0])",
        ),
    ]


def test_references_to_unknown_records_are_reported() -> None:
    doc = example()
    doc["stock"].append({"location": "DC-NOWHERE", "sku": "SKU-404", "onHand": 1})
    doc["lanes"].append({**doc["lanes"][0], "from": "DC-NOWHERE", "to": "US-999"})

    assert problems_of(doc) == [
        Problem("$.stock[1].location", 'unknown location "DC-NOWHERE"'),
        Problem("$.stock[1].sku", 'unknown sku "SKU-404"'),
        Problem("$.lanes[1].from", 'unknown location "DC-NOWHERE"'),
        Problem("$.lanes[1].to", 'unknown region "US-999"'),
    ]


def test_references_to_records_already_in_the_graph_are_accepted() -> None:
    doc = {
        "stock": [{"location": "DC-RENO", "sku": "SKU-1", "onHand": 5}],
        "lanes": [{**example()["lanes"][0]}],
    }
    known = KnownIds(locations={"DC-RENO"}, skus={"SKU-1"}, regions={"US-941"})

    assert parse_network(doc, known).counts()["stock"] == 1
    assert {p.reason for p in problems_of(doc)} == {
        'unknown location "DC-RENO"',
        'unknown sku "SKU-1"',
        'unknown region "US-941"',
    }


def test_a_record_with_a_bad_field_still_answers_references_to_its_id() -> None:
    doc = with_change("locations", 0, lat=123)

    assert problems_of(doc) == [
        Problem("$.locations[0].lat", "must be between -90 and 90, got 123")
    ]


def test_every_problem_in_a_document_is_reported_at_once() -> None:
    doc = example()
    doc["flavour"] = "vanilla"
    doc["regions"][0]["lat"] = 200
    doc["locations"][0].update(kind="SHOP", timezone="Nowhere/Land", cutoff="25:00", active=0)
    doc["skus"].append({"id": "SKU-1", "weightKg": -3})
    doc["stock"][0].update(onHand=-1, reserved=2)
    doc["lanes"][0].update(to="US-000", transitDays=1.5)
    doc["channels"].append("amazon")

    problems = problems_of(doc)

    assert set(problems) == {
        Problem("$.flavour", UNKNOWN_SECTION),
        Problem("$.regions[0].lat", "must be between -90 and 90, got 200"),
        Problem("$.locations[0].kind", f'{BAD_KIND} got "SHOP"'),
        Problem("$.locations[0].timezone", 'unknown IANA timezone "Nowhere/Land"'),
        Problem("$.locations[0].cutoff", f'{BAD_CUTOFF} got "25:00"'),
        Problem("$.locations[0].active", "expected true or false, got number"),
        Problem("$.skus[1].weightKg", "must not be negative, got -3"),
        Problem("$.skus[1].id", 'duplicate id "SKU-1" (first at $.skus[0])'),
        Problem("$.stock[0].reserved", RESERVED),
        Problem("$.stock[0].onHand", "must not be negative, got -1"),
        Problem("$.lanes[0].to", 'unknown region "US-000"'),
        Problem("$.lanes[0].transitDays", "expected an integer, got number 1.5"),
        Problem("$.channels[1]", "expected an object, got string"),
    }  # fmt: skip
    assert len(problems) == 13


def test_the_error_message_counts_the_problems() -> None:
    with pytest.raises(NetworkFileError) as caught:
        parse_network({"skus": [{}, {}, {}]})

    assert caught.value.message == "network file has 3 problems"
    assert "$.skus[2].id: required" in str(caught.value)


# -- addresses to regions ---------------------------------------------------------------------


US_AND_GB = {"US": frozenset({"94", "941", "100"}), "GB": frozenset({"SW", "SW1A", "EC1"})}


@pytest.mark.parametrize(
    ("postal_code", "country", "region"),
    [
        ("94107", "US", "US-941"),
        ("94107-1234", "US", "US-941"),
        ("94010", "US", "US-94"),
        ("10001", "us", "US-100"),
        ("60601", "US", None),
        ("SW1A 1AA", "GB", "GB-SW1A"),
        ("sw1a1aa", "GB", "GB-SW1A"),
        ("SW9 8PT", "GB", "GB-SW"),
        ("EC1A 1BB", "GB", "GB-EC1"),
        ("W1A 0AX", "GB", None),
        ("94107", "DE", None),
        ("", "US", None),
        (" - ", "US", None),
    ],
)
def test_an_address_resolves_to_the_region_with_the_longest_matching_prefix(
    postal_code: str, country: str, region: str | None
) -> None:
    assert resolve_region(postal_code, country, US_AND_GB) == region


def test_region_prefixes_are_indexed_from_network_records() -> None:
    doc = {
        "regions": [
            {"id": "GB-SW", "country": "GB", "postalPrefix": "SW", "lat": 51.47, "lon": -0.14},
            {"id": "GB-SW1A", "country": "GB", "postalPrefix": "SW1A", "lat": 51.5, "lon": -0.14},
            {"id": "US-941", "country": "US", "postalPrefix": "941", "lat": 37.77, "lon": -122.4},
        ]
    }
    prefixes = prefixes_by_country(parse_network(doc).regions)

    assert prefixes == {"GB": frozenset({"SW", "SW1A"}), "US": frozenset({"941"})}
    assert resolve_region("SW1A 2AA", "GB", prefixes) == "GB-SW1A"
    assert resolve_region("SW12 9XX", "GB", prefixes) == "GB-SW"
