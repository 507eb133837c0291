"""Activation gates end to end over HTTP on the real engine: a policy whose document declares
gates is refused until a sandbox run of that very version has judged them; a failing gate names
the KPI; force activates it anyway (recorded); a passing simulation lets it go live."""

from __future__ import annotations

from typing import Any

from tests.api.test_lifecycle_api import place
from tests.api.test_routing_policies_api import ACTIVATE, NO_RENO, create, document
from tests.api.test_simulation_api import RUN, WINDOW, finished
from tests.conftest import GraphQLClient


async def simulate(gql: GraphQLClient, policy: str, version: int) -> dict[str, Any]:
    started = (await gql(RUN, i={"policy": policy, "version": version, "orders": WINDOW}))[
        "routingSimulationRun"
    ]
    assert started["userErrors"] == [], started["userErrors"]
    done = await finished(gql, started["simulation"]["id"])
    assert done["status"] == "DONE", done
    return done


async def errors_of(gql: GraphQLClient, policy: str, version: int, **args: Any) -> list[Any]:
    payload = (await gql(ACTIVATE, id=policy, version=version, **args))["routingPolicyActivate"]
    return list(payload["userErrors"])


async def test_gates_are_judged_on_a_simulation_of_the_version(gql: GraphQLClient) -> None:
    for sku in ("SKU-1", "SKU-2", "SKU-1"):
        await place(gql, lines=[{"sku": sku, "quantity": 1}])
    impossible = [{"kpi": "costPerOrder", "max": -0.5, "relativeToBaseline": True}]
    await create(gql, document("GATED", NO_RENO, gates=impossible))

    unjudged = await errors_of(gql, "GATED", 1)
    assert [e["code"] for e in unjudged] == ["INVALID_TRANSITION"]
    assert "no finished simulation of GATED version 1" in unjudged[0]["message"]

    report = (await simulate(gql, "GATED", 1))["report"]
    assert report["passed"] is False and report["gateFailures"]  # the document's own gates
    failed = await errors_of(gql, "GATED", 1)
    assert [e["code"] for e in failed] == ["INVALID_TRANSITION"]
    assert "costPerOrder" in failed[0]["message"]
    state = await gql('{ routingPolicy(id: "GATED", version: 1) { state } }')
    assert state["routingPolicy"]["state"] == "DRAFT"

    assert await errors_of(gql, "GATED", 1, force=True) == []
    forced = await gql('{ routingPolicy(id: "GATED", version: 1) { state forced } }')
    assert forced["routingPolicy"] == {"state": "ACTIVE", "forced": True}

    reachable = [
        {"kpi": "fillRate", "min": 0.5},
        {"kpi": "costPerOrder", "max": 1.0, "relativeToBaseline": True},
    ]
    await create(gql, document("GATED", gates=reachable))
    assert (await simulate(gql, "GATED", 2))["report"]["passed"] is True
    assert await errors_of(gql, "GATED", 2) == []
    live = await gql('{ routingPolicy(id: "GATED", version: 2) { state forced } }')
    assert live["routingPolicy"] == {"state": "ACTIVE", "forced": False}
