"""Routing policies over HTTP on the real engine: versions, states, events, and what each rule
does to orderCreate and routingPreview on the small network."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ordergraph.domain.errors import NetworkFileError, NotFound
from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.network import load_network
from ordergraph.services.orders import plan
from ordergraph.services.policies import compiled_policy
from tests.conftest import GraphQLClient, small_network

POLICY = "id version state channels document shipped forced createdAt activatedAt retiredAt"
CREATE = f"""mutation($doc: JSON!) {{ routingPolicyCreate(input: {{document: $doc}}) {{
  routingPolicy {{ {POLICY} }} created userErrors {{ field code message }} }} }}"""
ACTIVATE = f"""mutation($id: ID!, $version: Int!, $force: Boolean) {{
  routingPolicyActivate(id: $id, version: $version, force: $force) {{
    routingPolicy {{ {POLICY} }} retired {{ id version state }}
    userErrors {{ field code message }} }} }}"""
ORDER = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id routingPolicyId routingPolicyVersion fulfillments { location { id } lines { sku quantity } }
          routing { policy feasible explanation backordered { sku quantity } } }
  userErrors { field code message } } }"""
PREVIEW = """query($input: OrderCreateInput!) { routingPreview(input: $input) {
  feasible shipments { location { id } lines { sku quantity } } explanation } }"""
MONDAY = "2026-11-23T17:00:00Z"  # 09:00 in San Francisco


def order_input(*lines: tuple[str, int], **overrides: Any) -> dict[str, Any]:
    return {
        "channel": "web",
        "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines],
        "shipTo": {"postalCode": "94107", "country": "US"},
        "placedAt": MONDAY,
        **overrides,
    }


def document(policy_id: str, *rules: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"id": policy_id, "channels": ["web"], "rules": list(rules), **fields}


async def create(gql: GraphQLClient, doc: dict[str, Any]) -> dict[str, Any]:
    payload = (await gql(CREATE, doc=doc))["routingPolicyCreate"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def activate(gql: GraphQLClient, policy_id: str, version: int, **args: Any) -> dict[str, Any]:
    payload = (await gql(ACTIVATE, id=policy_id, version=version, **args))["routingPolicyActivate"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def live(gql: GraphQLClient, doc: dict[str, Any]) -> int:
    version = (await create(gql, doc))["routingPolicy"]["version"]
    await activate(gql, doc["id"], version)
    return int(version)


async def placed(gql: GraphQLClient, *lines: tuple[str, int], **overrides: Any) -> dict[str, Any]:
    payload = (await gql(ORDER, input=order_input(*lines, **overrides)))["orderCreate"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return dict(payload["order"])


def sources(order: dict[str, Any]) -> list[str]:
    return sorted(f["location"]["id"] for f in order["fulfillments"])


NO_RENO = {
    "name": "no-reno",
    "actions": [{"type": "EXCLUDE_LOCATIONS", "locations": {"ids": ["DC-RENO"]}}],
}


async def test_a_policy_is_a_draft_until_activated_then_routes_its_channel(
    gql: GraphQLClient,
) -> None:
    before = await placed(gql, ("SKU-1", 2))
    assert sources(before) == ["DC-RENO"]
    assert (before["routingPolicyId"], before["routingPolicyVersion"]) == ("CHEAPEST", 1)

    made = await create(gql, document("WEB-RULES", NO_RENO))
    draft = made["routingPolicy"]
    assert made["created"] and draft["state"] == "DRAFT" and draft["version"] == 1
    assert draft["document"]["rules"][0]["name"] == "no-reno"
    assert sources(await placed(gql, ("SKU-1", 2))) == ["DC-RENO"]  # a draft routes nothing

    done = await activate(gql, "WEB-RULES", 1)
    assert done["routingPolicy"]["state"] == "ACTIVE" and done["retired"] == []
    after = await placed(gql, ("SKU-1", 2))
    assert sources(after) == ["STORE-SF"]
    assert (after["routingPolicyId"], after["routingPolicyVersion"]) == ("WEB-RULES", 1)
    assert "DC-RENO rejected: excluded by rule no-reno" in after["routing"]["explanation"]
    other = await placed(gql, ("SKU-1", 2), channel="amazon")  # not served by it
    assert sources(other) == ["DC-RENO"] and other["routingPolicyId"] == "CHEAPEST"

    again = await create(gql, document("WEB-RULES", NO_RENO))  # the same document: no version
    assert not again["created"] and again["routingPolicy"]["version"] == 1
    v2 = await create(gql, document("WEB-RULES"))
    assert v2["created"] and v2["routingPolicy"]["version"] == 2
    swapped = await activate(gql, "WEB-RULES", 2)
    assert swapped["retired"] == [{"id": "WEB-RULES", "version": 1, "state": "RETIRED"}]
    latest = await placed(gql, ("SKU-1", 2))
    assert sources(latest) == ["DC-RENO"] and latest["routingPolicyVersion"] == 2

    listed = await gql(
        "{ all: routingPolicies { id version state shipped } "
        'web: routingPolicies(channel: "web") { id version state } '
        'active: routingPolicy(id: "WEB-RULES") { version } '
        'first: routingPolicy(id: "WEB-RULES", version: 1) { state } }'
    )
    assert [(p["id"], p["version"], p["state"]) for p in listed["web"]] == [
        ("WEB-RULES", 1, "RETIRED"),
        ("WEB-RULES", 2, "ACTIVE"),
    ]
    assert {p["id"] for p in listed["all"] if p["shipped"]} == {
        "CHEAPEST",
        "FASTEST",
        "FEWEST_SHIPMENTS",
        "PREFER_STORE_EXCESS",
    }
    assert listed["active"] == {"version": 2} and listed["first"] == {"state": "RETIRED"}


async def test_an_invalid_document_gets_a_user_error_per_problem_with_its_path(
    gql: GraphQLClient,
) -> None:
    payload = (
        await gql(
            CREATE,
            doc={
                "id": "BAD",
                "objective": {"distanceKm": "far"},
                "rules": [
                    {"actions": [{"type": "MAX_SHIPMENTS", "maxShipments": 2}]},
                    {"actions": [{"type": "EXCLUDE_LOCATIONS", "locations": {}}]},
                    {"actions": [{"type": "MAX_SHIPMENTS", "maxShipments": 0}]},
                    {"actions": [{"type": "FALLBACK", "policy": "NOWHERE"}]},
                ],
                "gates": [{"kpi": "onTimeRate"}],
            },
        )
    )["routingPolicyCreate"]
    assert payload["routingPolicy"] is None
    fields = sorted(".".join(e["field"]) for e in payload["userErrors"])
    assert fields == [
        "input.document.gates.0",
        "input.document.objective.distanceKm",
        "input.document.rules.1.actions.0.locations",
        "input.document.rules.2.actions.0.maxShipments",
    ]
    assert all(e["code"] == "INVALID_INPUT" for e in payload["userErrors"])
    assert any(
        e["message"].startswith("rules[2].actions[0].maxShipments: must be between 1 and 100")
        for e in payload["userErrors"]
    )
    # structure first, then references: a fallback to no policy is its own error
    dangling = (
        await gql(
            CREATE, doc=document("BAD", {"actions": [{"type": "FALLBACK", "policy": "NOWHERE"}]})
        )
    )["routingPolicyCreate"]
    assert [".".join(e["field"]) for e in dangling["userErrors"]] == [
        "input.document.rules.0.actions.0.policy"
    ]
    shipped = (await gql(CREATE, doc=document("CHEAPEST")))["routingPolicyCreate"]
    assert [e["code"] for e in shipped["userErrors"]] == ["CONFLICT"]
    wrong = (await gql(CREATE, doc=document("P", version=5)))["routingPolicyCreate"]
    assert [e["code"] for e in wrong["userErrors"]] == ["CONFLICT"]
    listed = await gql("{ routingPolicies(state: DRAFT) { id } }")
    assert listed["routingPolicies"] == []  # nothing was written


async def test_max_shipments_caps_the_split_on_the_real_engine(gql: GraphQLClient) -> None:
    # hazmat SKU-3 ships only from DC-RENO, high-value SKU-4 only from the secure DC-NEWARK
    free = await gql(PREVIEW, input=order_input(("SKU-3", 1), ("SKU-4", 1)))
    assert len(free["routingPreview"]["shipments"]) == 2
    await live(
        gql,
        document(
            "ONE-BOX",
            {"name": "one-box", "actions": [{"type": "MAX_SHIPMENTS", "maxShipments": 1}]},
        ),
    )
    capped = await placed(gql, ("SKU-3", 1), ("SKU-4", 1))
    assert len(capped["fulfillments"]) == 1
    assert len(capped["routing"]["backordered"]) == 1 and not capped["routing"]["feasible"]
    assert any(
        "rule one-box caps the order at 1 shipment" in line
        for line in capped["routing"]["explanation"]
    )


async def test_prefer_and_require_and_fallback_change_the_plan(gql: GraphQLClient) -> None:
    prefer = {
        "name": "stores-first",
        "actions": [
            {"type": "PREFER_LOCATIONS", "locations": {"kinds": ["STORE"]}, "bonusPerUnit": 1}
        ],
    }
    await live(gql, document("PREFER", prefer))
    assert sources(await placed(gql, ("SKU-1", 2))) == ["STORE-SF"]  # 7.62 - 2 < 6.15

    oakland = {
        "name": "oakland-only",
        "actions": [
            {"type": "REQUIRE_LOCATIONS", "locations": {"ids": ["STORE-OAKLAND"]}},
            {"type": "FALLBACK", "policy": "CHEAPEST"},
        ],
    }
    await live(gql, document("OAKLAND", oakland))  # takes the web channel over from PREFER
    small = await placed(gql, ("SKU-1", 2))
    assert sources(small) == ["STORE-OAKLAND"] and small["routing"]["policy"] == "OAKLAND"
    big = await placed(gql, ("SKU-1", 5))  # Oakland holds 3: the fallback serves all five
    assert sources(big) == ["DC-RENO"] and big["routing"]["policy"] == "CHEAPEST"
    assert big["routingPolicyId"] == "OAKLAND"
    assert big["routing"]["explanation"][0].startswith("Rule oakland-only of policy OAKLAND v1")
    listed = await gql('{ routingPolicy(id: "PREFER", version: 1) { state } }')
    assert listed["routingPolicy"]["state"] == "RETIRED"


async def test_conditions_on_customer_tier_and_order_value(gql: GraphQLClient) -> None:
    await live(
        gql,
        document(
            "TIERS",
            {"conditions": {"customerTiers": ["GOLD"]}, "actions": NO_RENO["actions"]},
            {
                "conditions": {"orderValue": {"min": 500}},
                "actions": [{"type": "EXCLUDE_LOCATIONS", "locations": {"kinds": ["WAREHOUSE"]}}],
            },
        ),
    )
    assert sources(await placed(gql, ("SKU-1", 1))) == ["DC-RENO"]
    assert sources(await placed(gql, ("SKU-1", 1), customerTier="GOLD")) == ["STORE-SF"]
    priced = [{"sku": "SKU-1", "quantity": 1, "unitPrice": "600.00", "currency": "USD"}]
    assert sources(await placed(gql, lines=priced)) == ["STORE-SF"]


async def test_the_daily_share_is_a_capacity_limit_counted_in_the_create_statement(
    gql: GraphQLClient, loaded: FalkorStore
) -> None:
    share = {
        "name": "reno-share",
        "actions": [{"type": "DAILY_SHARE", "locations": {"ids": ["DC-RENO"]}, "fraction": 0.0002}],
    }  # 0.0002 x 5000 = one shipment a day for this policy
    await live(gql, document("SHARE", share))
    first = await placed(gql, ("SKU-1", 1))
    assert sources(first) == ["DC-RENO"]
    second = await placed(gql, ("SKU-1", 1))
    assert sources(second) != ["DC-RENO"]
    assert any(
        "daily share of rule reno-share used (1 of 1" in line
        for line in second["routing"]["explanation"]
    )
    rows = await loaded.read(
        "MATCH (d:CapacityDay) WHERE d.id ENDS WITH '|policy:SHARE' RETURN d.id AS id, d.used AS used"
    )
    assert [(r["id"].split("|")[0], r["used"]) for r in rows] == [("DC-RENO", 1)]
    other = await placed(gql, ("SKU-1", 1), channel="amazon")  # another policy's orders
    assert sources(other) == ["DC-RENO"]


async def test_activation_is_audited_and_force_is_recorded(
    gql: GraphQLClient, loaded: FalkorStore
) -> None:
    await create(gql, document("AUDIT", NO_RENO))
    await activate(gql, "AUDIT", 1, force=True)
    await create(gql, document("AUDIT"))
    await activate(gql, "AUDIT", 2)
    rows = await loaded.read(
        "MATCH (:RoutingPolicyHead {id: 'AUDIT'})-[:HAS_EVENT]->(e:Event) "
        "RETURN e.type AS type, e.sequence AS seq, e.payload AS payload, e.pending AS pending "
        "ORDER BY e.sequence"
    )
    assert [r["type"] for r in rows] == [  # one statement: the activation, then what it retired
        "routing_policy.created",
        "routing_policy.activated",
        "routing_policy.created",
        "routing_policy.activated",
        "routing_policy.retired",
    ]
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    payloads = [json.loads(r["payload"]) for r in rows]
    activated = [p for r, p in zip(rows, payloads, strict=True) if r["type"].endswith("activated")]
    assert [p["forced"] for p in activated] == [True, False]
    retired = next(p for r, p in zip(rows, payloads, strict=True) if r["type"].endswith("retired"))
    assert retired == {"id": "AUDIT", "version": 1, "replacedBy": {"id": "AUDIT", "version": 2}}
    assert all(r["pending"] for r in rows)  # the webhook fan-out delivers them
    first = await gql('{ routingPolicy(id: "AUDIT", version: 1) { forced state } }')
    assert first["routingPolicy"] == {"forced": True, "state": "RETIRED"}
    again = (await gql(ACTIVATE, id="AUDIT", version=1))["routingPolicyActivate"]
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_TRANSITION"]
    missing = (await gql(ACTIVATE, id="AUDIT", version=9))["routingPolicyActivate"]
    assert [e["code"] for e in missing["userErrors"]] == ["NOT_FOUND"]


async def test_a_network_file_loads_policies_and_channels_name_them(store: FalkorStore) -> None:
    doc = small_network()
    doc["routingPolicies"] = [
        {"id": "NO-RENO", "state": "ACTIVE", "rules": [NO_RENO]},
    ]
    doc["channels"] = [
        {**c, "routingPolicy": "NO-RENO"} if c["id"] == "amazon" else c for c in doc["channels"]
    ]
    written = await load_network(store, doc)
    assert written["routingPolicies"] == 1
    assert (await load_network(store, doc))["routingPolicies"] == 0  # a reload changes nothing
    _, _, decided = await plan(
        store,
        OrderRequest("amazon", (OrderLine("SKU-1", 2),), ship_to=Address("94107", "US")),
    )
    assert [s.location_id for s in decided.shipments] == ["STORE-SF"]
    bad = small_network()
    bad["channels"][0]["routingPolicy"] = "NOPE"
    bad["routingPolicies"] = [{"id": "X", "rules": [{"actions": [{"type": "MAX_SHIPMENTS"}]}]}]
    with pytest.raises(NetworkFileError) as caught:
        await load_network(store, bad)
    assert {p.path for p in caught.value.problems} == {
        "$.channels[0].routingPolicy",
        "$.routingPolicies[0].rules[0].actions[0].maxShipments",
    }


async def test_policy_writes_are_for_admin_keys_and_reads_for_integration_too(
    http: httpx.AsyncClient,
) -> None:
    read = await http.post("/graphql", json={"query": "{ routingPolicies { id } }"})
    assert read.status_code == 200 and "errors" not in read.json(), read.text
    write = await http.post(
        "/graphql",
        json={"query": CREATE, "variables": {"doc": document("X")}},
    )
    body = write.json()
    assert "errors" in body and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_rejected_fulfillment_is_rerouted_under_the_same_rules(gql: GraphQLClient) -> None:
    await live(
        gql,
        document("GOLD-NO-RENO", {"conditions": {"customerTiers": ["GOLD"]}, **NO_RENO}),
    )
    order = await gql(
        """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
        order { id fulfillments { id location { id } } } userErrors { message } } }""",
        input=order_input(("SKU-1", 2), customerTier="GOLD"),
    )
    created = order["orderCreate"]["order"]
    (first,) = created["fulfillments"]
    assert first["location"]["id"] == "STORE-SF"
    rejected = await gql(
        """mutation($id: ID!) { fulfillmentReject(input: {fulfillmentId: $id, reason: "short"}) {
        order { fulfillments { status location { id } } routingPolicyId } userErrors { message } } }""",
        id=first["id"],
    )
    payload = rejected["fulfillmentReject"]
    assert payload["userErrors"] == []
    opened = [
        f["location"]["id"] for f in payload["order"]["fulfillments"] if f["status"] == "OPEN"
    ]
    assert opened == ["STORE-OAKLAND"]  # DC-RENO is cheaper, but a GOLD order never ships from it


async def test_the_distance_weight_is_an_objective_term_on_the_real_engine(
    gql: GraphQLClient,
) -> None:
    # to San Francisco: DC-RENO (about 300 km) is 1.49 cheaper than STORE-SF (about 2 km)
    cheap = await gql(PREVIEW, input=order_input(("SKU-1", 1)))
    assert [s["location"]["id"] for s in cheap["routingPreview"]["shipments"]] == ["DC-RENO"]
    await live(gql, document("NEAR", objective={"distanceKm": 0.01}))  # 300 km cost 3.00
    near = await gql(PREVIEW, input=order_input(("SKU-1", 1)))
    assert [s["location"]["id"] for s in near["routingPreview"]["shipments"]] == ["STORE-SF"]


async def test_a_channel_may_name_a_stored_policy_and_nothing_unknown(gql: GraphQLClient) -> None:
    upsert = """mutation($input: ChannelInput!) { channelUpsert(input: $input) {
      channel { id routingPolicy } userErrors { field code message } } }"""
    unknown = (await gql(upsert, input={"id": "amazon", "routingPolicy": "NOPE"}))["channelUpsert"]
    assert [e["field"] for e in unknown["userErrors"]] == [["input", "routingPolicy"]]
    await live(gql, {"id": "AMAZON-RULES", "rules": [NO_RENO]})  # serves no channel by itself
    named = await gql(upsert, input={"id": "amazon", "routingPolicy": "AMAZON-RULES"})
    assert named["channelUpsert"]["userErrors"] == []
    order = await placed(gql, ("SKU-1", 2), channel="amazon")
    assert sources(order) == ["STORE-SF"] and order["routingPolicyId"] == "AMAZON-RULES"


async def test_compiled_policy_says_which_policy_or_version_is_missing(
    gql: GraphQLClient, loaded: FalkorStore
) -> None:
    await create(gql, document("ONLY-DRAFT", NO_RENO))
    cases = [
        ("NOPE", None, "unknown routing policy 'NOPE' (shipped: CHEAPEST, FASTEST, "),
        ("NOPE", 2, "unknown routing policy 'NOPE'"),
        ("ONLY-DRAFT", None, "routing policy 'ONLY-DRAFT' has no ACTIVE version"),
        ("ONLY-DRAFT", 4, "routing policy 'ONLY-DRAFT' has no version 4"),
        ("CHEAPEST", 2, "routing policy 'CHEAPEST' has no version 2"),
    ]
    for policy_id, version, message in cases:
        with pytest.raises(NotFound) as caught:
            await compiled_policy(loaded, policy_id, version)
        assert caught.value.message.startswith(message), caught.value.message
    draft = await compiled_policy(loaded, "ONLY-DRAFT", 1)  # a DRAFT compiles when named
    assert draft.name == "ONLY-DRAFT" and draft.version == 1
