"""``ordergraph simulate`` as an operator runs it: a real process on the test engine, a demo day
file, a progress bar on stderr, the summary table (or JSON) on stdout, gates in the exit code."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.tools.demo.orders import generate_orders, write_orders
from tests.conftest import small_network
from tests.integration.test_ingestion_cli import cli


def test_simulate_a_demo_day_file(
    engine: EmbeddedEngine, loaded: FalkorStore, tmp_path: Path
) -> None:
    day = tmp_path / "day.jsonl"
    write_orders(generate_orders(small_network(), 80, seed=2, day=date(2026, 11, 24)), day)
    fastest = ("simulate", "--policy", "FASTEST", "--baseline", "CHEAPEST", "--orders", str(day))
    table = cli(engine, loaded, *fastest)
    assert table.returncode == 0, table.stderr
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", table.stdout)  # rich's colours
    assert "FASTEST vs CHEAPEST (AT_PLACEMENT stock)" in shown
    assert "fillRate" in shown and "80 orders replayed" in shown
    assert "routings" in table.stderr  # the progress bar
    gated = cli(
        engine,
        loaded,
        *fastest,
        "--json",
        "--gate",
        "costPerOrder:max:0:relative",
        "--gate",
        "fillRate:min:0",
    )
    report = json.loads(gated.stdout)["report"]
    assert report["orders"] == 80 and report["changed"] > 0
    assert report["deltas"]["costPerOrder"] > 0  # faster costs more on this network
    assert gated.returncode == 1 and len(report["gateFailures"]) == 1
    bad = cli(engine, loaded, "simulate", "--policy", "NOPE", "--orders", str(day))
    assert bad.returncode == 2 and "unknown routing policy 'NOPE'" in bad.stderr
