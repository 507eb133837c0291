"""``ordergraph serve --workers 2``: two uvicorn workers over one embedded engine, as on peak day.

A real server process (auth off, loopback, so development: each answer names its worker in
``X-OrderGraph-Worker``). Both workers answer; a stock change through one is what the very next
request through any worker reads; a killed worker is replaced while the other keeps answering;
a killed parent leaves no engine and no worker; concurrent orders never oversell.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ordergraph.app import WORKER_HEADER, WORKER_PARENT
from ordergraph.graph.falkordb import FalkorStore
from tests.conftest import FIXTURES
from tests.e2e.test_serve import Server, alive, children, wait_until
from tests.integration.test_concurrency import invariants, scarce_network

pytestmark = pytest.mark.slow

AVAILABILITY = """query($s: [ID!]!) { availability(skus: $s) {
  sku locations { location { id } onHand available } } }"""

SET = """mutation($n: Int!) { inventorySet(input: {location: "STORE-SF", sku: "SKU-1", onHand: $n})
  { userErrors { code } } }"""

CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id lines { sku quantity allocated backordered } } userErrors { code message } } }"""


def post(server: Server, document: str, **variables: Any) -> httpx.Response:
    response = httpx.post(
        f"{server.url}/graphql", json={"query": document, "variables": variables}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.text
    return response


def worker_of(response: httpx.Response) -> int:
    return int(response.headers[WORKER_HEADER])


def tied_to(parent: int) -> set[int]:
    """Live processes started with this parent's worker marker in their environment."""
    marker = f"{WORKER_PARENT}={parent}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and alive(int(entry.name)):
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


def workers_seen(server: Server, requests: int = 60) -> set[int]:
    return {worker_of(post(server, "{ __typename }")) for _ in range(requests)}


def two_workers(root: Path, network: Path) -> Iterator[Server]:
    """``ordergraph serve --workers 2`` over ``network``, ready; stopped after."""
    started = Server(root / "data", "--workers", "2", "--network", str(network))
    try:
        started.wait_ready()
        yield started
    finally:
        started.stop(signal.SIGTERM)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("workers")
    network = root / "scarce.json"
    doc = json.loads((FIXTURES / "network_small.json").read_text())
    network.write_text(json.dumps(scarce_network(doc)))
    yield from two_workers(root, network)


def test_both_workers_answer_and_are_children_of_the_server(server: Server) -> None:
    assert wait_until(lambda: len(workers_seen(server, 20)) == 2, 30)
    seen = workers_seen(server)
    assert seen <= children(server.proc.pid)


def metric(server: Server, series: str) -> float:
    """The value of ``series`` (name and labels) in /metrics, summed over every worker."""
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(series)
    )


def typename_count(server: Server) -> float:
    return metric(server, 'ordergraph_request_seconds_count{operation="__typename"}')


def test_metrics_sum_every_worker(server: Server) -> None:
    before = typename_count(server)
    seen: set[int] = set()
    sent = 0
    while (len(seen) < 2 or sent < 40) and sent < 500:
        seen.add(worker_of(post(server, "{ __typename }")))
        sent += 1
    assert len(seen) == 2
    assert typename_count(server) == before + sent  # whichever worker answers /metrics


def test_a_stock_change_through_one_worker_is_read_next_through_every_worker(
    server: Server,
) -> None:
    readers: set[int] = set()
    for n in range(20, 40):
        writer = worker_of(post(server, SET, n=n))
        for _ in range(3):  # the very next requests, wherever they land
            answer = post(server, AVAILABILITY, s=["SKU-1"])
            readers.add(worker_of(answer))
            [sku] = answer.json()["data"]["availability"]
            [sf] = [row for row in sku["locations"] if row["location"]["id"] == "STORE-SF"]
            assert sf["onHand"] == n, (writer, worker_of(answer))
    assert len(readers) == 2


def test_concurrent_orders_through_two_workers_never_oversell(server: Server) -> None:
    rng = random.Random(13)
    quantities = [rng.randint(1, 3) for _ in range(40)]

    async def place() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:

            async def one(i: int, quantity: int) -> dict[str, Any]:
                variables = {
                    "input": {
                        "channel": "web",
                        "externalId": f"workers-race-{i}",
                        "lines": [{"sku": "SKU-2", "quantity": quantity}],
                        "shipTo": {
                            "postalCode": ("94107", "90012", "10001", "60601")[i % 4],
                            "country": "US",
                        },
                        "placedAt": "2026-11-23T17:00:00Z",
                    }
                }
                response = await http.post(  # a connection each: both workers accept
                    "/graphql",
                    json={"query": CREATE, "variables": variables},
                    headers={"Connection": "close"},
                )
                assert response.status_code == 200, response.text
                return {"worker": worker_of(response), **response.json()["data"]["orderCreate"]}

            return await asyncio.gather(*(one(i, q) for i, q in enumerate(quantities)))

    placed = asyncio.run(place())
    assert all(p["order"] and not p["userErrors"] for p in placed), placed
    assert len({p["worker"] for p in placed}) == 2
    allocated = sum(line["allocated"] for p in placed for line in p["order"]["lines"])
    backordered = sum(line["backordered"] for p in placed for line in p["order"]["lines"])
    assert allocated == 2 + 3 + 3 + 4  # what scarce_network makes sellable
    assert backordered == sum(quantities) - allocated

    async def check() -> None:
        store = FalkorStore(f"unix://{server.data_dir / 'engine.sock'}", "ordergraph")
        try:
            await invariants(store)
        finally:
            await store.close()

    asyncio.run(check())


def test_a_killed_worker_is_replaced_and_the_server_keeps_answering(server: Server) -> None:
    before = workers_seen(server)
    assert len(before) == 2
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    assert wait_until(lambda: not alive(victim), 10)
    answered: set[int] = set()

    def replaced() -> bool:
        answered.update(workers_seen(server, 10))  # every one of these must be answered
        return len(answered - before) == 1

    assert wait_until(replaced, 60), answered
    assert victim not in answered
    assert len(children(server.proc.pid) & (answered - before)) == 1


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_stopped_or_killed_parent_leaves_no_engine_and_no_worker(
    tmp_path: Path, sig: int
) -> None:
    server = Server(
        tmp_path / "data", "--workers", "2", "--network", str(FIXTURES / "network_small.json")
    )
    server.wait_ready()
    assert wait_until(lambda: len(workers_seen(server, 20)) == 2, 30)
    parent = server.proc.pid
    engine = server.engine_pid()
    workers = tied_to(parent)
    assert workers_seen(server) <= workers and engine not in workers
    assert alive(engine)

    server.stop(sig)
    assert wait_until(lambda: not alive(engine), 15), f"engine {engine} outlived the server"
    assert wait_until(lambda: not tied_to(parent), 15), f"{tied_to(parent)} outlived the server"
    assert not any(alive(pid) for pid in workers)
