"""The sandbox on the real engine: a replay writes nothing outside its own run, the same replay
gives the same report, a policy that routes differently shows in the changed orders, and
AT_PLACEMENT reconstructs the stock well enough to reproduce the live day under its own policy."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from ordergraph.cli import place_inputs
from ordergraph.domain.errors import ErrorCode, OrderGraphError, ValidationError
from ordergraph.domain.kpis import Gate
from ordergraph.domain.simulation import SimulationStatus, StockMode, plan_key
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.records.simulations import report_map
from ordergraph.services import kpis as live
from ordergraph.services import simulation as sim
from ordergraph.services.simulation import SimulationInput, Window
from ordergraph.tools.demo.orders import generate_orders
from tests.conftest import small_network

DAY = date(2026, 11, 24)
WINDOW = Window(datetime(2026, 11, 24, 5, tzinfo=UTC), datetime(2026, 11, 25, 6, tzinfo=UTC))


def day_orders(n: int = 60) -> list[dict[str, Any]]:
    return generate_orders(small_network(), n, seed=5, day=DAY)


async def snapshot(store: FalkorStore) -> tuple[list[Any], list[Any]]:
    """Every node but the runs' and every relationship, with all their properties."""
    nodes = await store.read(
        "MATCH (n) WHERE NOT n:SimulationRun RETURN labels(n) AS l, properties(n) AS p", {}
    )
    rels = await store.read(
        "MATCH (a)-[r]->(b) RETURN type(r) AS t, properties(r) AS p, a.id AS a, b.id AS b", {}
    )

    def key(row: dict[str, Any]) -> str:
        return repr(sorted((k, repr(v)) for k, v in row.items()))

    return sorted(nodes, key=key), sorted(rels, key=key)


@pytest.fixture
async def day(loaded: FalkorStore) -> FalkorStore:
    placed, _ = await place_inputs(loaded, day_orders(), quiet=True)
    assert placed > 20
    return loaded


async def test_a_replay_writes_nothing_outside_its_run(day: FalkorStore) -> None:
    before = await snapshot(day)
    assert any(r["t"] == "STOCKS" and r["p"].get("reserved") for r in before[1])  # held stock
    for stock in (StockMode.AT_PLACEMENT, StockMode.NOW):
        _, report = await sim.run(
            day, SimulationInput(policy="FASTEST", window=WINDOW, stock=stock)
        )
        assert report is not None and report.orders > 20
    files = sim.requests_from_file(
        b"".join(__import__("orjson").dumps(o) + b"\n" for o in day_orders(30))
    )
    await sim.run(day, SimulationInput(policy="PREFER_STORE_EXCESS", orders=files))
    assert await snapshot(day) == before  # stock, reservations, orders, events, deliveries
    runs = await day.read("MATCH (n:SimulationRun) RETURN count(n) AS n", {})
    assert runs[0]["n"] == 3


async def test_the_same_replay_twice_gives_the_same_report(day: FalkorStore) -> None:
    spec = SimulationInput(policy="FASTEST", baseline="CHEAPEST", window=WINDOW)
    first_id, first = await sim.run(day, spec)
    second_id, second = await sim.run(day, spec)
    assert first_id != second_id and first is not None and second is not None
    assert report_map(first) == report_map(second)
    stored = await sim.simulation(day, first_id)
    assert stored is not None and stored.status is SimulationStatus.DONE
    assert stored.done == stored.total == 2 * first.orders
    assert stored.report is not None and report_map(stored.report) == report_map(first)


async def test_a_policy_that_routes_differently_shows_in_the_changed_orders(
    day: FalkorStore,
) -> None:
    _, same = await sim.run(
        day, SimulationInput(policy="CHEAPEST", baseline="CHEAPEST", window=WINDOW)
    )
    assert same is not None and same.changed == 0 and same.changed_orders == ()
    assert all(d in (0.0, None) for d in same.deltas.values())
    _, fast = await sim.run(
        day, SimulationInput(policy="FASTEST", baseline="CHEAPEST", window=WINDOW)
    )
    assert fast is not None and fast.changed > 0
    assert len(fast.changed_orders) == fast.changed
    for c in fast.changed_orders:
        assert plan_key(c.plan) != plan_key(c.baseline_plan)
    assert fast.deltas["averagePromisedDays"] is not None
    assert fast.deltas["averagePromisedDays"] <= 0  # FASTEST never promises later on average
    assert fast.deltas["costPerOrder"] is not None and fast.deltas["costPerOrder"] >= 0


async def test_at_placement_reproduces_the_live_day_under_its_own_policy(
    day: FalkorStore,
) -> None:
    _, replayed = await sim.run(day, SimulationInput(policy="CHEAPEST", window=WINDOW))
    measured = await live.live_kpis(day, WINDOW.start, WINDOW.end, None)
    assert replayed is not None and replayed.baseline == "per channel"
    assert replayed.orders == measured.orders
    assert replayed.kpis.fill_rate == pytest.approx(measured.fill_rate)
    assert replayed.kpis.split_rate == pytest.approx(measured.split_rate)
    assert replayed.kpis.cost_per_order == pytest.approx(measured.cost_per_order, abs=0.01)
    _, now = await sim.run(
        day, SimulationInput(policy="CHEAPEST", window=WINDOW, stock=StockMode.NOW)
    )
    assert now is not None and now.kpis.fill_rate is not None
    assert now.kpis.fill_rate < replayed.kpis.fill_rate  # the day's own orders hold stock now


async def test_gates_are_judged_and_stored(day: FalkorStore) -> None:
    gates = (Gate("costPerOrder", max=0.0, relative_to_baseline=True), Gate("fillRate", min=0.0))
    run_id, report = await sim.run(
        day, SimulationInput(policy="FASTEST", baseline="CHEAPEST", window=WINDOW, gates=gates)
    )
    assert report is not None and report.gate_failures is not None
    assert report.passed is False and report.gate_failures[0].startswith("costPerOrder")
    stored = await sim.simulation(day, run_id)
    assert stored is not None and stored.report is not None
    assert stored.report.gate_failures == report.gate_failures


async def test_bad_input_is_refused_with_its_path(day: FalkorStore) -> None:
    with pytest.raises(ValidationError) as unknown:
        await sim.run(day, SimulationInput(policy="NOPE", window=WINDOW))
    assert unknown.value.field == ("policy",)
    with pytest.raises(ValidationError) as version:
        await sim.run(
            day,
            SimulationInput(
                policy="CHEAPEST", baseline="FASTEST", baseline_version=3, window=WINDOW
            ),
        )
    assert version.value.field == ("baselineVersion",)
    with pytest.raises(ValidationError) as empty:
        await sim.run(
            day,
            SimulationInput(
                policy="CHEAPEST",
                window=Window(datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 2, tzinfo=UTC)),
            ),
        )
    assert empty.value.field == ("orders",)
    runs = await day.read("MATCH (n:SimulationRun) RETURN count(n) AS n", {})
    assert runs[0]["n"] == 0  # refused before any run was recorded


async def test_a_run_stopped_with_the_server_records_why(day: FalkorStore) -> None:
    orders = sim.requests_from_file(
        b"".join(__import__("orjson").dumps(o) + b"\n" for o in day_orders(400))
    )
    async with sim.jobs():
        run_id = await sim.start(day, SimulationInput(policy="FASTEST", orders=orders))
    stopped = await sim.simulation(day, run_id)
    assert stopped is not None and stopped.status is SimulationStatus.FAILED
    assert stopped.error == sim.STOPPED and stopped.report is None


async def test_a_window_with_more_orders_than_a_run_holds_is_refused(
    day: FalkorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window of a year on a busy shop would load every order into memory: past
    MAX_ORDERS (lowered here; the day holds more than 20) it is a userError on orders.to."""
    monkeypatch.setattr(sim, "MAX_ORDERS", 5)
    with pytest.raises(ValidationError) as many:
        await sim.run(day, SimulationInput(policy="FASTEST", window=WINDOW))
    assert many.value.field == ("orders", "to") and "more than 5 orders" in many.value.message
    runs = await day.read("MATCH (n:SimulationRun) RETURN count(n) AS n", {})
    assert runs[0]["n"] == 0


async def test_background_runs_are_capped_per_process(
    day: FalkorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each background run holds its orders and a stock copy: one key starting runs in a loop
    must not grow them without bound. Past MAX_RUNNING a start is a CONFLICT."""
    monkeypatch.setattr(sim, "MAX_RUNNING", 2)
    spec = SimulationInput(policy="FASTEST", window=WINDOW)
    async with sim.jobs():
        started = [await sim.start(day, spec) for _ in range(2)]
        with pytest.raises(OrderGraphError) as busy:
            await sim.start(day, spec)
        assert busy.value.code is ErrorCode.CONFLICT
        for run_id in started:
            await sim.wait(day, run_id)
        assert await sim.start(day, spec)  # a slot again once they are done
    runs = await day.read("MATCH (n:SimulationRun) RETURN count(n) AS n", {})
    assert runs[0]["n"] == 3  # the refused one recorded nothing
