"""routingSimulationRun returns a RUNNING job at once and routingSimulation(id) reports it,
over HTTP on the real engine; bad input is a userError with its path; ops and admin only."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson

from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.apikeys import create_key
from tests.api.test_lifecycle_api import place
from tests.api.test_orders_api import MONDAY_MORNING_PT
from tests.conftest import GraphQLClient

RUN = """mutation($i: RoutingSimulationRunInput!) { routingSimulationRun(input: $i) {
  simulation { id status done total } userErrors { field code message } } }"""
READ = """query($id: ID!) { routingSimulation(id: $id) { id status done total error report {
  orders skipped policy baseline stock changed passed gateFailures
  kpis { orders fillRate costPerOrder averagePromisedDays onTimeRate }
  baselineKpis { orders fillRate costPerOrder }
  deltas { kpi value baseline delta }
  changedOrders(first: 5) { order placedAt plan { shipments { location { id } carrier service }
    promisedBy } baselinePlan { shipments { location { id } } promisedBy } } } } }"""
WINDOW = {"from": "2026-11-23T00:00:00Z", "to": "2026-11-24T00:00:00Z"}


async def finished(gql: GraphQLClient, run_id: str) -> dict[str, Any]:
    for _ in range(200):
        found = (await gql(READ, id=run_id))["routingSimulation"]
        if found["status"] != "RUNNING":
            return found  # type: ignore[no-any-return]
        await asyncio.sleep(0.02)
    raise AssertionError("the simulation did not finish")


async def test_a_run_is_a_job_whose_report_compares_both_policies(gql: GraphQLClient) -> None:
    for sku, quantity in (("SKU-1", 2), ("SKU-2", 1), ("SKU-5", 1), ("SKU-1", 1)):
        await place(gql, lines=[{"sku": sku, "quantity": quantity}])
    started = (
        await gql(
            RUN,
            i={
                "policy": "FASTEST",
                "baseline": "CHEAPEST",
                "orders": WINDOW,
                "gates": [{"kpi": "onTimeRate", "min": 0.0}],
            },
        )
    )["routingSimulationRun"]
    assert started["userErrors"] == []
    job = started["simulation"]
    assert job["status"] == "RUNNING" and job["total"] == 8
    done = await finished(gql, job["id"])
    assert done["status"] == "DONE" and done["done"] == 8 and done["error"] is None
    report = done["report"]
    assert report["orders"] == 4 and report["policy"] == "FASTEST"
    assert report["stock"] == "AT_PLACEMENT" and report["passed"] is True
    assert report["kpis"]["orders"] == report["baselineKpis"]["orders"] == 4
    by_name = {d["kpi"]: d for d in report["deltas"]}
    cost = by_name["costPerOrder"]
    assert cost["delta"] == cost["value"] - cost["baseline"]
    assert len(report["changedOrders"]) == min(5, report["changed"])


async def test_a_list_of_orders_replays_without_being_placed(gql: GraphQLClient) -> None:
    orders = [
        {
            "channel": "web",
            "lines": [{"sku": "SKU-1", "quantity": 1}],
            "placedAt": MONDAY_MORNING_PT,
            "shipTo": {"postalCode": "10001", "country": "US"},
        },
        {
            "channel": "web",
            "lines": [{"sku": "SKU-2", "quantity": 1}],
            "placedAt": MONDAY_MORNING_PT,
            "shipTo": {"postalCode": "94107", "country": "US"},
        },
    ]
    for given in (
        {"list": orders},
        {"jsonLines": "\n".join(orjson.dumps(o).decode() for o in orders)},
    ):
        started = await gql(RUN, i={"policy": "FEWEST_SHIPMENTS", "orders": given})
        job = started["routingSimulationRun"]["simulation"]
        done = await finished(gql, job["id"])
        assert done["report"]["orders"] == 2 and done["report"]["baseline"] == "per channel"
    placed = await gql("{ orders(first: 5) { edges { node { id } } } }")
    assert placed["orders"]["edges"] == []


async def test_bad_input_is_a_user_error_with_its_path(gql: GraphQLClient) -> None:
    cases = [
        ({"policy": "NOPE", "orders": WINDOW}, ["input", "policy"]),
        ({"policy": "CHEAPEST", "version": 2, "orders": WINDOW}, ["input", "version"]),
        ({"policy": "CHEAPEST", "orders": {}}, ["input", "orders"]),
        (
            {"policy": "CHEAPEST", "orders": {"from": WINDOW["to"], "to": WINDOW["from"]}},
            ["input", "orders", "to"],
        ),
        (
            {"policy": "CHEAPEST", "orders": {"jsonLines": "{nope"}},
            ["input", "orders", "jsonLines"],
        ),
        ({"policy": "CHEAPEST", "orders": WINDOW}, ["input", "orders"]),  # no orders placed then
    ]
    for given, path in cases:
        answer = (await gql(RUN, i=given))["routingSimulationRun"]
        assert answer["simulation"] is None, given
        assert answer["userErrors"][0]["field"][: len(path)] == path, (given, answer)
    assert (await gql(READ, id="SIM-NOPE"))["routingSimulation"] is None


async def test_only_ops_and_admin_keys_run_simulations(
    http: httpx.AsyncClient, loaded: FalkorStore
) -> None:
    body = {"query": RUN, "variables": {"i": {"policy": "NOPE", "orders": WINDOW}}}
    ops = (await http.post("/graphql", json=body)).json()
    assert ops["data"]["routingSimulationRun"]["userErrors"][0]["code"] == "NOT_FOUND"
    shop, _ = await create_key(loaded, "shop", "storefront", channels=["web"])
    refused = await http.post("/graphql", json=body, headers={"Authorization": f"Bearer {shop}"})
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
