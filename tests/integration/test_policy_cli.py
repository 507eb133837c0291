"""`ordergraph policy load FILE [--activate]` and `policy list` on the real engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.policies import policy_version


def cli(engine: EmbeddedEngine, store: FalkorStore, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ORDERGRAPH_FALKORDB_URL": engine.url,
        "ORDERGRAPH_GRAPH": store.graph_name,
    }
    return subprocess.run(
        [sys.executable, "-m", "ordergraph.cli", "policy", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_load_stores_drafts_activates_on_request_and_list_prints_them(
    engine: EmbeddedEngine, loaded: FalkorStore, tmp_path: Path
) -> None:
    doc = {
        "id": "SPLIT2",
        "channels": ["web"],
        "rules": [{"name": "two", "actions": [{"type": "MAX_SHIPMENTS", "maxShipments": 2}]}],
    }
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(doc))
    first = cli(engine, loaded, "load", str(path))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "SPLIT2 v1: created, DRAFT"
    again = cli(engine, loaded, "load", str(path), "--activate")
    assert again.stdout.strip() == "SPLIT2 v1: unchanged, ACTIVE", again.stderr
    stored = await policy_version(loaded, "SPLIT2", 1)
    assert stored is not None and stored.state == "ACTIVE" and stored.created_by == "cli"
    listed = cli(engine, loaded, "list")
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert ["SPLIT2", "v1", "ACTIVE", "web"] in rows
    assert ["CHEAPEST", "v1", "ACTIVE", "-", "(shipped)"] in rows

    path.write_text(json.dumps({**doc, "rules": [{"actions": [{"type": "MAX_SHIPMENTS"}]}]}))
    bad = cli(engine, loaded, "load", str(path))
    assert bad.returncode == 2
    assert "rules[0].actions[0].maxShipments: required" in bad.stderr
