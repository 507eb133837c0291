"""``ordergraph ingest|feed|reconcile`` as an operator runs them: a real process on the test
engine (ORDERGRAPH_FALKORDB_URL, ORDERGRAPH_GRAPH), progress bars on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import network
from tests.conftest import FIXTURES


def cli(
    engine: EmbeddedEngine, store: FalkorStore, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ORDERGRAPH_FALKORDB_URL": engine.url,
        "ORDERGRAPH_GRAPH": store.graph_name,
        "TTY_INTERACTIVE": "1",
        "TTY_COMPATIBLE": "1",
        "NO_COLOR": "1",
        "COLUMNS": "120",
    }
    return subprocess.run(
        [sys.executable, "-m", "ordergraph.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_ingest_files_places_orders_and_stores_the_file_that_fails(
    engine: EmbeddedEngine, loaded: FalkorStore, tmp_path: Path
) -> None:
    good = json.loads((FIXTURES / "channels" / "woocommerce_order_processing.json").read_text())
    for item in good["line_items"]:
        item["sku"] = {"WOO-SINGLE-1": "SKU-1", "Bar3": "SKU-2", "TEA-SAMPLER-3": "SKU-4"}[
            item["sku"]
        ]
    bad = {**good, "id": 728, "line_items": [{**good["line_items"][0], "sku": "NOPE"}]}
    (tmp_path / "727.json").write_text(json.dumps(good))
    (tmp_path / "728.json").write_text(json.dumps(bad))
    edi = FIXTURES / "x12" / "po_4010.edi"
    done = cli(
        engine,
        loaded,
        "ingest",
        "woocommerce",
        str(tmp_path / "727.json"),
        str(tmp_path / "728.json"),
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.strip() == "failed: 1, placed: 1"
    assert "728.json: stored as IF-" in done.stderr and "(UNKNOWN_SKU)" in done.stderr
    assert "payloads" in done.stderr and "2/2" in done.stderr  # the progress bar
    x12 = cli(engine, loaded, "ingest", "x12", str(edi), "--ack-dir", str(tmp_path / "acks"))
    assert x12.returncode == 1 and "unit 'CA' has no pack size" in x12.stderr  # no PO4 sent
    assert "line 1: unknown SKU" in x12.stderr  # every line is refused, each for its reason
    assert "BAK*00*RD*4500012345" in (tmp_path / "acks" / "po_4010.edi.855").read_text()


@pytest.fixture
def network_doc() -> dict[str, Any]:
    """The small network, with SKU-4 on the woocommerce channel's catalogue (and the channel)."""
    doc = json.loads((FIXTURES / "network_small.json").read_text())
    doc["channels"].append({"id": "woocommerce"})
    return doc


def test_reconcile_prints_the_disagreements(
    engine: EmbeddedEngine, loaded: FalkorStore, tmp_path: Path
) -> None:
    report = cli(engine, loaded, "reconcile", str(FIXTURES / "feeds" / "snapshot_small.csv"))
    assert report.returncode == 1, report.stderr
    lines = report.stdout.splitlines()
    assert lines[0] == "snapshot_small.csv: 4 rows, 1 match, 7 discrepancies, 0 shortfalls"
    assert any(line.split()[:3] == ["ON_HAND_DIFFERS", "DC-RENO", "SKU-1"] for line in lines)
    assert any(line.split()[:3] == ["MISSING_IN_OMS", "DC-RENO", "SKU-4"] for line in lines)
    assert any(line.split()[:3] == ["MISSING_IN_FEED", "STORE-SF", "SKU-4"] for line in lines)
    as_json = json.loads(
        cli(
            engine, loaded, "reconcile", "--json", str(FIXTURES / "feeds" / "snapshot_small.json")
        ).stdout
    )
    assert as_json["matching"] == 1 and len(as_json["discrepancies"]) == 7


LOCATIONS = 10
SKUS = 5000


def big_network() -> dict[str, Any]:
    small = json.loads((FIXTURES / "network_small.json").read_text())
    template = small["locations"][0]
    return {
        "regions": small["regions"],
        "locations": [
            {**template, "id": f"WH-{n:02d}", "name": f"Warehouse {n}"} for n in range(LOCATIONS)
        ],
        "skus": [{"id": f"BIG-{n:05d}", "name": f"Item {n}", "weightKg": 0.5} for n in range(SKUS)],
        "channels": small["channels"],
    }


@pytest.mark.slow
async def test_a_50000_line_snapshot_loads_through_the_cli_with_a_progress_bar(
    engine: EmbeddedEngine, store: FalkorStore, tmp_path: Path
) -> None:
    await network.load_network(store, big_network())
    feed = tmp_path / "snapshot.csv"
    with feed.open("w") as fh:
        fh.write("location,sku,onHand,safetyStock\n")
        for loc in range(LOCATIONS):
            for sku in range(SKUS):
                fh.write(f"WH-{loc:02d},BIG-{sku:05d},{(loc * 7 + sku) % 90},{sku % 3}\n")
    started = time.monotonic()
    done = cli(engine, store, "feed", "snapshot", str(feed))
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "snapshot snapshot.csv: 50000 rows, 50000 positions written"
    assert "stock" in done.stderr and "50000/50000" in done.stderr  # rich's bar, drawn live
    rows = await store.read(
        "MATCH (:Location)-[s:STOCKS]->(:Sku) RETURN count(s) AS n, sum(s.onHand) AS units"
    )
    expected = sum((loc * 7 + sku) % 90 for loc in range(LOCATIONS) for sku in range(SKUS))
    assert rows[0]["n"] == 50000 and int(rows[0]["units"]) == expected
    print(f"\n50,000-line snapshot through the CLI: {elapsed:.1f}s (process start included)")
    assert elapsed < 30
