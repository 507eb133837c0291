"""The network and availability over real HTTP (ASGI) on the real engine."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQLClient

AVAILABILITY = """
query($skus: [ID!]!, $near: NearInput, $radius: Float) {
  availability(skus: $skus, near: $near, radiusKm: $radius) {
    sku available
    locations { location { id kind } onHand reserved available distanceKm }
  }
}"""


async def test_availability_near_a_postal_code_lists_the_nearest_location_first(
    gql: GraphQLClient,
) -> None:
    data = await gql(AVAILABILITY, skus=["SKU-1"], near={"postalCode": "94107"})
    (item,) = data["availability"]
    ids = [p["location"]["id"] for p in item["locations"]]
    assert ids == ["STORE-SF", "STORE-OAKLAND", "DC-RENO", "STORE-LA", "DC-NEWARK"]
    distances = [p["distanceKm"] for p in item["locations"]]
    assert distances == sorted(distances) and distances[0] < 5
    assert item["available"] == 38 + 95 + 5 + 3 + 8


async def test_radius_keeps_only_the_locations_within_it(gql: GraphQLClient) -> None:
    data = await gql(
        AVAILABILITY, skus=["SKU-1", "SKU-2"], near={"lat": 37.78, "lon": -122.41}, radius=50
    )
    by_sku = {i["sku"]: i for i in data["availability"]}
    assert [p["location"]["id"] for p in by_sku["SKU-1"]["locations"]] == [
        "STORE-SF",
        "STORE-OAKLAND",
    ]
    assert by_sku["SKU-2"]["available"] == 2 + 3  # Oakland keeps one as safety stock


async def test_without_near_the_locations_come_most_available_first(gql: GraphQLClient) -> None:
    data = await gql(AVAILABILITY, skus=["SKU-5"])
    places = data["availability"][0]["locations"]
    assert [p["location"]["id"] for p in places] == ["DROPSHIP-ACME", "DC-RENO", "STORE-LA"]
    assert all(p["distanceKm"] is None for p in places)


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"skus": ["SKU-1", "NOPE"]}, "UNKNOWN_SKU", ["skus"]),
        ({"skus": []}, "INVALID_INPUT", ["skus"]),
        ({"skus": [f"S{i}" for i in range(101)]}, "INVALID_INPUT", ["skus"]),
        (
            {"skus": ["SKU-1"], "near": {"postalCode": "00000"}},
            "UNSERVICEABLE_ADDRESS",
            ["near", "postalCode"],
        ),
        ({"skus": ["SKU-1"], "near": {"lat": 95, "lon": 0}}, "INVALID_INPUT", ["near", "lat"]),
        ({"skus": ["SKU-1"], "near": {"lat": 10}}, "INVALID_INPUT", ["near"]),
        ({"skus": ["SKU-1"], "radius": 10}, "INVALID_INPUT", ["radiusKm"]),
        (
            {"skus": ["SKU-1"], "near": {"postalCode": "94107"}, "radius": -1},
            "INVALID_INPUT",
            ["radiusKm"],
        ),
    ],
)
async def test_bad_availability_input_is_a_clear_error_with_its_place(
    gql: GraphQLClient, variables: dict[str, object], code: str, field: list[str]
) -> None:
    body = await gql.raw(AVAILABILITY, **variables)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code
    assert error["extensions"]["field"] == field


async def test_locations_page_by_keyset_cursor_until_the_end(gql: GraphQLClient) -> None:
    query = """query($after: String) { locations(first: 4, after: $after) {
        edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    while True:
        conn = (await gql(query, after=after))["locations"]
        seen += [e["node"]["id"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == sorted(seen) and len(seen) == 6


async def test_locations_filter_by_kind_and_sku_lookups(gql: GraphQLClient) -> None:
    data = await gql("""{ locations(kind: STORE) { nodes { id kind pickup } }
        sku(id: "SKU-3") { id name weightKg tags } missing: sku(id: "NOPE") { id }
        location(id: "DC-RENO") { id timezone cutoff tags } skus(first: 2) { nodes { id } } }""")
    assert [n["id"] for n in data["locations"]["nodes"]] == [
        "STORE-LA",
        "STORE-OAKLAND",
        "STORE-SF",
    ]
    assert all(n["pickup"] for n in data["locations"]["nodes"])
    assert data["sku"] == {
        "id": "SKU-3",
        "name": "Lithium power bank",
        "weightKg": 0.5,
        "tags": ["hazmat"],
    }
    assert data["missing"] is None
    assert data["location"] == {
        "id": "DC-RENO",
        "timezone": "America/Los_Angeles",
        "cutoff": "14:00",
        "tags": ["hazmat"],
    }
    assert [n["id"] for n in data["skus"]["nodes"]] == ["SKU-1", "SKU-2"]


async def test_page_size_over_the_cap_is_refused(gql: GraphQLClient) -> None:
    body = await gql.raw("{ skus(first: 101) { nodes { id } } }")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    body = await gql.raw('{ skus(after: "%%%") { nodes { id } } }')
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


STOCK = (
    "stock { location sku onHand reserved safetyStock available } userErrors { field code message }"
)


async def test_inventory_set_and_adjust_change_availability(gql: GraphQLClient) -> None:
    data = await gql(f"""mutation {{
        inventorySet(input: {{location: "STORE-SF", sku: "SKU-1", onHand: 9, safetyStock: 1}}) {{ {STOCK} }} }}""")
    assert data["inventorySet"]["stock"] == {
        "location": "STORE-SF",
        "sku": "SKU-1",
        "onHand": 9,
        "reserved": 0,
        "safetyStock": 1,
        "available": 8,
    }
    data = await gql(f"""mutation {{
        inventoryAdjust(input: {{location: "STORE-SF", sku: "SKU-1", delta: -3, reason: "damaged"}}) {{ {STOCK} }} }}""")
    assert data["inventoryAdjust"]["stock"]["onHand"] == 6
    data = await gql(AVAILABILITY, skus=["SKU-1"], near={"postalCode": "94107"})
    assert data["availability"][0]["locations"][0]["available"] == 5


async def test_an_adjustment_below_zero_is_refused_and_changes_nothing(gql: GraphQLClient) -> None:
    data = await gql(f"""mutation {{
        inventoryAdjust(input: {{location: "STORE-SF", sku: "SKU-1", delta: -6}}) {{ {STOCK} }} }}""")
    payload = data["inventoryAdjust"]
    assert payload["stock"] is None
    assert payload["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    assert payload["userErrors"][0]["field"] == ["input", "delta"]
    data = await gql(AVAILABILITY, skus=["SKU-1"], near={"postalCode": "94107"})
    assert data["availability"][0]["locations"][0]["onHand"] == 5


@pytest.mark.parametrize(
    ("mutation", "code", "field"),
    [
        (
            'inventorySet(input: {location: "NOWHERE", sku: "SKU-1", onHand: 1})',
            "UNKNOWN_LOCATION",
            ["input", "location"],
        ),
        (
            'inventorySet(input: {location: "STORE-SF", sku: "NOPE", onHand: 1})',
            "UNKNOWN_SKU",
            ["input", "sku"],
        ),
        (
            'inventorySet(input: {location: "STORE-SF", sku: "SKU-1", onHand: -1})',
            "INVALID_INPUT",
            ["input", "onHand"],
        ),
        (
            'inventoryAdjust(input: {location: "STORE-SF", sku: "SKU-1", delta: 0})',
            "INVALID_INPUT",
            ["input", "delta"],
        ),
    ],
)
async def test_bad_inventory_input_is_a_user_error(
    gql: GraphQLClient, mutation: str, code: str, field: list[str]
) -> None:
    data = await gql(f"mutation {{ m: {mutation} {{ {STOCK} }} }}")
    assert data["m"]["stock"] is None
    assert [(e["code"], e["field"]) for e in data["m"]["userErrors"]] == [(code, field)]


async def test_location_upsert_creates_then_changes_only_the_given_fields(
    gql: GraphQLClient,
) -> None:
    create = """mutation { locationUpsert(input: {id: "STORE-SJ", name: "Store San Jose",
        kind: STORE, lat: 37.3382, lon: -121.8863, country: "US", timezone: "America/Los_Angeles"}) {
        location { id kind cutoff pickup active processingDays } userErrors { code field message } } }"""
    data = await gql(create)
    assert data["locationUpsert"]["userErrors"] == []
    assert data["locationUpsert"]["location"] == {
        "id": "STORE-SJ",
        "kind": "STORE",
        "cutoff": "14:00",
        "pickup": True,
        "active": True,
        "processingDays": 0,
    }
    data = await gql("""mutation { locationUpsert(input: {id: "STORE-SJ", cutoff: "17:30", active: false}) {
        location { id name cutoff active lat } userErrors { code } } }""")
    assert data["locationUpsert"]["location"] == {
        "id": "STORE-SJ",
        "name": "Store San Jose",
        "cutoff": "17:30",
        "active": False,
        "lat": 37.3382,
    }


async def test_bad_upserts_name_every_problem_and_write_nothing(gql: GraphQLClient) -> None:
    data = await gql("""mutation { locationUpsert(input: {id: "DC-X", name: "X", kind: WAREHOUSE,
        lat: 91, lon: 0, country: "US", timezone: "Nowhere/City", cutoff: "25:00"}) {
        location { id } userErrors { code field message } } }""")
    errors = data["locationUpsert"]["userErrors"]
    assert {tuple(e["field"]) for e in errors} == {
        ("input", "lat"),
        ("input", "timezone"),
        ("input", "cutoff"),
    }
    assert data["locationUpsert"]["location"] is None
    assert (await gql('{ location(id: "DC-X") { id } }'))["location"] is None

    data = await gql("""mutation { laneUpsert(input: {from: "DC-RENO", to: "US-999", carrier: "UPS",
        service: "GROUND", transitDays: 2, baseCost: 5, costPerKg: 0.5}) { lane { to } userErrors { code field } } }""")
    assert data["laneUpsert"]["userErrors"] == [
        {"code": "UNKNOWN_REGION", "field": ["input", "to"]}
    ]


async def test_sku_region_and_lane_upserts_feed_availability_near(gql: GraphQLClient) -> None:
    data = await gql("""mutation {
      r: regionUpsert(input: {country: "US", postalPrefix: "951", lat: 37.3382, lon: -121.8863}) {
        region { id } userErrors { code } }
      s: skuUpsert(input: {id: "SKU-9", name: "Rain jacket", weightKg: 0.7}) { sku { id weightKg } userErrors { code } }
    }""")
    assert data["r"]["region"] == {"id": "US-951"}
    assert data["s"]["sku"] == {"id": "SKU-9", "weightKg": 0.7}
    data = await gql("""mutation {
      l: laneUpsert(input: {from: "STORE-SF", to: "US-951", carrier: "UPS", service: "GROUND",
                            transitDays: 1, baseCost: 4.5, costPerKg: 0.3}) { lane { from to transitDays } userErrors { code } }
      i: inventorySet(input: {location: "STORE-SF", sku: "SKU-9", onHand: 4}) { stock { available } userErrors { code } }
    }""")
    assert data["l"]["lane"] == {"from": "STORE-SF", "to": "US-951", "transitDays": 1}
    assert data["i"]["stock"] == {"available": 4}
    data = await gql(AVAILABILITY, skus=["SKU-9"], near={"postalCode": "95112"})
    assert data["availability"][0]["locations"][0]["location"]["id"] == "STORE-SF"
    assert 60 < data["availability"][0]["locations"][0]["distanceKm"] < 90
