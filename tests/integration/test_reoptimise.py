"""Re-optimising open allocations on the real engine (issue #18): it saves when stock arrives
closer, never touches a released fulfillment, respects the threshold, and never oversells
while orders are placed during the job."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from ordergraph.domain.errors import ValidationError
from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.orders import events_by_order, fulfillments_by_order
from ordergraph.services import lifecycle
from ordergraph.services.network import load_network, set_inventory
from ordergraph.services.orders import place_order
from ordergraph.services.reoptimise import reoptimise
from tests.integration.test_allocation import NOW, request, scarce, shipped_from
from tests.integration.test_concurrency import invariants
from tests.integration.test_ingestion_cli import cli


def only_b(units: int) -> dict[str, Any]:
    """DC-A (5 to the west) holds nothing yet; DC-B (20 to the west) holds ``units``."""
    doc = scarce(0, units=units)
    doc["stock"] = [
        {"location": "DC-A", "sku": "SKU-X", "onHand": 0},
        {"location": "DC-B", "sku": "SKU-X", "onHand": units},
    ]
    return doc


async def test_stock_arriving_closer_moves_an_open_order_and_says_why(store: FalkorStore) -> None:
    await load_network(store, only_b(1))
    west = await place_order(store, request("web", "90001", "W1"), now=NOW)
    assert await shipped_from(store, west.order_id) == [("DC-B", 21.0)]
    nothing = await reoptimise(store, threshold=1.0, now=NOW)
    assert nothing.considered == 1 and nothing.applied == []  # nothing better yet

    await set_inventory(store, "DC-A", "SKU-X", 1, None)  # stock arrives closer
    report = await reoptimise(store, threshold=1.0, now=NOW)
    assert [(a.order_id, a.saving) for a in report.applied] == [(west.order_id, 15.0)]
    assert await shipped_from(store, west.order_id) == [("DC-A", 6.0)]
    [evs] = await events_by_order(store, [west.order_id])
    [event] = [e for e in evs if e.type == "AllocationReoptimised"]
    assert event.payload["saving"] == 15.0
    assert "DC-A" in event.payload["reason"]
    rows = await store.read(
        "MATCH (l:Location)-[s:STOCKS]->(:Sku {id: 'SKU-X'}) RETURN l.id AS l, s.reserved AS r"
    )
    assert {r["l"]: r["r"] for r in rows} == {"DC-A": 1, "DC-B": 0}  # DC-B's unit given back
    await invariants(store)


async def test_never_touches_a_released_fulfillment(store: FalkorStore) -> None:
    await load_network(store, only_b(2))
    released = await place_order(store, request("web", "90001", "W1"), now=NOW)
    still_open = await place_order(store, request("web", "90001", "W2"), now=NOW)
    [fs] = await fulfillments_by_order(store, [released.order_id])
    await lifecycle.release(store, fs[0].id, now=NOW)
    await set_inventory(store, "DC-A", "SKU-X", 2, None)
    report = await reoptimise(store, threshold=1.0, now=NOW)
    assert [a.order_id for a in report.applied] == [still_open.order_id]
    [after] = await fulfillments_by_order(store, [released.order_id])
    assert [(f.id, f.location_id, f.status.value) for f in after] == [
        (fs[0].id, "DC-B", "RELEASED")
    ]
    await invariants(store)


async def test_a_saving_below_the_threshold_changes_nothing(store: FalkorStore) -> None:
    await load_network(store, only_b(1))
    west = await place_order(store, request("web", "90001", "W1"), now=NOW)
    await set_inventory(store, "DC-A", "SKU-X", 1, None)
    report = await reoptimise(store, threshold=15.0, now=NOW)  # it would save exactly 15
    assert report.applied == [] and report.considered == 1
    assert await shipped_from(store, west.order_id) == [("DC-B", 21.0)]
    with pytest.raises(ValidationError):
        await reoptimise(store, threshold=-1.0)


async def test_never_oversells_with_orders_placed_while_it_runs(store: FalkorStore) -> None:
    """Eight open west orders on DC-B; eight units arrive at DC-A, which the job wants for
    them, while sixteen web orders race for the same units. Never more reserved than on hand,
    and every moved order holds its units once."""
    await load_network(store, only_b(8))
    orders = [await place_order(store, request("web", "90001", f"W{i}"), now=NOW) for i in range(8)]
    await set_inventory(store, "DC-A", "SKU-X", 8, None)

    async def racer(i: int) -> None:
        await asyncio.sleep(0.005 * i)
        await place_order(store, request("web", "10001", f"R{i}"), now=NOW)

    report, *_ = await asyncio.gather(
        reoptimise(store, threshold=1.0, now=NOW, time_limit=2.0), *(racer(i) for i in range(16))
    )
    await invariants(store)
    rows = await store.read(
        "MATCH (:Location)-[s:STOCKS]->(:Sku {id: 'SKU-X'}) RETURN sum(s.reserved) AS r"
    )
    assert rows[0]["r"] <= 16
    for placed in orders:
        got = await shipped_from(store, placed.order_id)
        assert len(got) == 1  # one open fulfillment: moved or not, never both
    assert report.considered == 8
    assert len(report.applied) + report.left_alone <= 8


async def test_the_cli_reoptimises_as_an_operator_runs_it(
    store: FalkorStore, engine: EmbeddedEngine
) -> None:
    await load_network(store, only_b(1))
    west = await place_order(store, request("web", "90001", "W1"), now=NOW)
    await set_inventory(store, "DC-A", "SKU-X", 1, None)
    bad = cli(engine, store, "reoptimise", "--threshold", "-1")
    assert bad.returncode != 0 and "threshold" in bad.stderr
    done = cli(engine, store, "reoptimise", "--threshold", "1", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), (done.stdout, done.stderr)
    body = json.loads(done.stdout)
    assert body["considered"] == 1 and body["saving"] == 15.0
    assert body["changes"][0]["order_id"] == west.order_id
    assert await shipped_from(store, west.order_id) == [("DC-A", 6.0)]
