"""``ordergraph serve --demo --demo-orders N`` end to end: the demo day is placed at boot, the
KPIs of that day count it, and a sandbox run over it finishes in the server's background."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.test_serve import Server

pytestmark = pytest.mark.slow

DAY = "2026-11-24"
WINDOW = '{from: "2026-11-24T00:00:00Z", to: "2026-11-26T00:00:00Z"}'


def test_a_demo_day_placed_at_boot_is_measured_and_replayed(tmp_path: Path) -> None:
    server = Server(
        tmp_path / "data", "--demo", "--demo-orders", "120", "--demo-day", DAY, "--workers", "1"
    )
    try:
        server.wait_ready()
        kpis = server.query(
            '{ kpis(from: "2026-11-24T00:00:00Z", to: "2026-11-26T00:00:00Z") '
            "{ orders fillRate splitRate costPerOrder } }"
        )["kpis"]
        assert 100 <= kpis["orders"] <= 120 and kpis["fillRate"] > 0.9
        started = server.query(
            f'mutation {{ routingSimulationRun(input: {{policy: "FASTEST", orders: {WINDOW}}}) '
            "{ simulation { id status } userErrors { message } } }"
        )["routingSimulationRun"]
        assert started["userErrors"] == []
        run_id = started["simulation"]["id"]
        for _ in range(300):
            job = server.query(
                f'{{ routingSimulation(id: "{run_id}") {{ status done total '
                "report { orders baseline baselineKpis { fillRate costPerOrder } } } }"
            )["routingSimulation"]
            if job["status"] != "RUNNING":
                break
            time.sleep(0.1)
        assert job["status"] == "DONE" and job["done"] == job["total"]
        report = job["report"]
        assert report["orders"] == kpis["orders"] and report["baseline"] == "per channel"
        # the day replayed under the policies it was placed with, from its placement stock
        assert report["baselineKpis"]["fillRate"] == pytest.approx(kpis["fillRate"])
        assert report["baselineKpis"]["costPerOrder"] == pytest.approx(
            kpis["costPerOrder"], abs=0.01
        )
    finally:
        server.stop(15)
