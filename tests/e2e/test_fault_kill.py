"""kill -9 in the middle of a burst of orderCreate: what was acknowledged survives, whole.

The real server (auth off, small network) takes ~60 concurrent orders; once ~20 answers are in,
the server and its embedded engine are both killed with SIGKILL. A restart on the same data
directory must hold every acknowledged order with its fulfillments, and stock must add up:
reserved == what open fulfillments ship, no fulfillment without its order, and ``availability``
== max(0, onHand - reserved - safetyStock).

appendfsync everysec loses the last second only when the OS dies, not when a process does: the
engine writes the AOF before it answers, so every assertion here is strict.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from ordergraph.graph.falkordb import FalkorStore
from tests.conftest import FIXTURES
from tests.e2e.test_serve import Server, alive, children, wait_until

pytestmark = pytest.mark.slow

ORDERS = 60
KILL_AFTER = 20
LIVE = ("OPEN", "RELEASED")

CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id status lines { sku quantity allocated }
          fulfillments { id status location { id } lines { sku quantity } } }
  userErrors { code message } } }"""

ORDER = """query($id: ID!) { order(id: $id) { id externalId status
  fulfillments { id status location { id } lines { sku quantity } } } }"""

AVAILABILITY = """query($s: [ID!]!) { availability(skus: $s) {
  sku locations { location { id } onHand reserved available } } }"""


def order_input(i: int) -> dict[str, Any]:
    lines = [{"sku": "SKU-1", "quantity": 1 + i % 3}]
    if i % 2:
        lines.append({"sku": "SKU-2", "quantity": 1})
    return {
        "channel": "web",
        "externalId": f"fault-{i}",
        "lines": lines,
        "shipTo": {"postalCode": ("94107", "10001", "60601")[i % 3], "country": "US"},
        "placedAt": "2026-11-23T17:00:00Z",
    }


async def burst_then_kill(server: Server) -> tuple[dict[str, dict[str, Any]], int, int]:
    """Fire the orders; SIGKILL server and engine after KILL_AFTER answers.

    Returns the acknowledged orders (externalId -> order), the number of requests that
    failed at the transport level, and the number of answers received before the kill.
    """
    engine = server.engine_pid()
    acknowledged: dict[str, dict[str, Any]] = {}
    answered = 0
    answered_at_kill = -1
    failed = 0

    def kill() -> None:
        nonlocal answered_at_kill
        answered_at_kill = answered
        # all die at once: the server's workers (`--workers N`, the default), the server, and
        # the engine (PDEATHSIG would end the workers and the engine a moment later)
        for worker in children(server.proc.pid) - {engine}:
            os.kill(worker, signal.SIGKILL)
        os.kill(server.proc.pid, signal.SIGKILL)
        if alive(engine):
            os.kill(engine, signal.SIGKILL)

    async with httpx.AsyncClient(
        timeout=20, limits=httpx.Limits(max_connections=ORDERS, max_keepalive_connections=ORDERS)
    ) as client:

        async def place(i: int) -> None:
            nonlocal answered, failed
            try:
                response = await client.post(
                    f"{server.url}/graphql",
                    json={"query": CREATE, "variables": {"input": order_input(i)}},
                )
            except httpx.HTTPError:
                failed += 1
                return
            answered += 1
            if answered == KILL_AFTER:
                kill()  # at once, before any other answer is looked at
            if response.status_code != 200:
                return
            body = response.json()
            payload = (body.get("data") or {}).get("orderCreate") or {}
            if payload.get("order") and payload["order"].get("id"):
                acknowledged[f"fault-{i}"] = payload["order"]

        tasks = []
        for i in range(ORDERS):  # staggered a little, so the kill finds orders still coming
            tasks.append(asyncio.create_task(place(i)))
            await asyncio.sleep(0.002)
        await asyncio.gather(*tasks, return_exceptions=True)
        if answered_at_kill < 0:
            kill()
    server.proc.wait(15)
    server.log.close()
    assert wait_until(lambda: not alive(engine), 15), f"engine {engine} survived SIGKILL"
    return acknowledged, failed, answered_at_kill


async def check_after_restart(server: Server, acknowledged: dict[str, dict[str, Any]]) -> None:
    async with httpx.AsyncClient(timeout=20) as client:

        async def gql(document: str, **variables: Any) -> dict[str, Any]:
            response = await client.post(
                f"{server.url}/graphql", json={"query": document, "variables": variables}
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert "errors" not in body, body
            return body["data"]  # type: ignore[no-any-return]

        # 1. every acknowledged order is there, with the fulfillments it was answered with
        for external_id, answered in acknowledged.items():
            found = (await gql(ORDER, id=answered["id"]))["order"]
            assert found is not None, f"acknowledged order {answered['id']} ({external_id}) lost"
            assert found["externalId"] == external_id
            want = sorted(
                (
                    f["id"],
                    f["location"]["id"],
                    tuple(sorted((li["sku"], li["quantity"]) for li in f["lines"])),
                )
                for f in answered["fulfillments"]
            )
            got = sorted(
                (
                    f["id"],
                    f["location"]["id"],
                    tuple(sorted((li["sku"], li["quantity"]) for li in f["lines"])),
                )
                for f in found["fulfillments"]
            )
            assert got == want, f"{answered['id']}: fulfillments {got} != acknowledged {want}"

        store = FalkorStore(f"unix://{server.data_dir / 'engine.sock'}", "ordergraph")
        try:
            positions = await store.read(
                "MATCH (l:Location)-[s:STOCKS]->(k:Sku) RETURN l.id AS location, k.id AS sku, "
                "s.onHand AS onHand, s.reserved AS reserved, s.safetyStock AS safetyStock"
            )
            shipped = await store.read(
                "MATCH (l:Location)<-[:FROM]-(f:Fulfillment)-[sh:SHIPS]->(ol:OrderLine) "
                "WHERE f.status IN $live "
                "RETURN l.id AS location, ol.sku AS sku, sum(sh.quantity) AS quantity",
                {"live": list(LIVE)},
            )
            orphans = await store.read(
                "MATCH (f:Fulfillment) WHERE NOT ()-[:HAS_FULFILLMENT]->(f) RETURN f.id AS id"
            )
            unplaced = await store.read(
                "MATCH (f:Fulfillment) WHERE NOT (f)-[:FROM]->(:Location) RETURN f.id AS id"
            )
            per_order = await store.read(
                "MATCH (o:Order) OPTIONAL MATCH (o)-[:HAS_LINE]->(ol:OrderLine) "
                "WITH o, sum(coalesce(ol.allocated, 0)) AS allocated "
                "OPTIONAL MATCH (o)-[:HAS_FULFILLMENT]->(f:Fulfillment)-[sh:SHIPS]->(:OrderLine) "
                "RETURN o.id AS id, o.externalId AS externalId, allocated, "
                "sum(coalesce(sh.quantity, 0)) AS shipped"
            )
        finally:
            await store.close()

        # 2. no fulfillment without its order (or without its location)
        assert orphans == [], f"fulfillments without an order: {orphans}"
        assert unplaced == [], f"fulfillments without a location: {unplaced}"

        # 3. every order in the graph is whole: what its lines allocated is what it ships
        torn = [o for o in per_order if o["allocated"] != o["shipped"]]
        assert torn == [], f"orders whose allocation and fulfillments disagree: {torn}"
        acked_ids = {o["id"] for o in acknowledged.values()}
        stored_ids = {o["id"] for o in per_order}
        assert acked_ids <= stored_ids

        # 4. reserved == sum of SHIPS quantities of OPEN/RELEASED fulfillments, per position
        ships = {(r["location"], r["sku"]): r["quantity"] for r in shipped}
        wrong = [
            (p["location"], p["sku"], p["reserved"], ships.get((p["location"], p["sku"]), 0))
            for p in positions
            if p["reserved"] != ships.get((p["location"], p["sku"]), 0)
        ]
        assert wrong == [], f"(location, sku, reserved, shipped by open fulfillments): {wrong}"
        assert set(ships) <= {(p["location"], p["sku"]) for p in positions}
        assert sum(ships.values()) > 0, "no order was placed before the kill"

        # 5. availability adds up
        skus = sorted({p["sku"] for p in positions})
        stock = {(p["location"], p["sku"]): p for p in positions}
        for entry in (await gql(AVAILABILITY, s=skus))["availability"]:
            for loc in entry["locations"]:
                p = stock[(loc["location"]["id"], entry["sku"])]
                seen = (loc["onHand"], loc["reserved"])
                assert seen == (p["onHand"], p["reserved"]), (entry["sku"], loc)
                expected = max(0, p["onHand"] - p["reserved"] - p["safetyStock"])
                assert loc["available"] == expected, (entry["sku"], loc, p)


def test_kill_9_during_order_placement_keeps_every_acknowledged_order(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = Server(data_dir, "--network", str(FIXTURES / "network_small.json"))
    try:
        server.wait_ready()
        acknowledged, failed, answered_at_kill = asyncio.run(burst_then_kill(server))
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(15)
    print(
        f"acknowledged={len(acknowledged)} transport failures={failed} "
        f"answered at kill={answered_at_kill}"
    )
    assert acknowledged, "no order was acknowledged before the kill"
    assert failed > 0, "every order was answered: the kill did not land mid-placement"

    again = Server(data_dir)  # the data comes from the data directory alone
    try:
        again.wait_ready()
        engine = again.engine_pid()
        asyncio.run(check_after_restart(again, acknowledged))
    finally:
        again.stop(signal.SIGTERM)
    assert wait_until(lambda: not alive(engine), 15)
