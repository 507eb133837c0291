"""`ordergraph apikey list` and `revoke` print what the key records hold (issue #9: the CLI reads
an ApiKeyRecord, not a row), on the real engine."""

from __future__ import annotations

import os
import subprocess
import sys

from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.apikeys import create_key


def cli(engine: EmbeddedEngine, store: FalkorStore, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ORDERGRAPH_FALKORDB_URL": engine.url,
        "ORDERGRAPH_GRAPH": store.graph_name,
    }
    return subprocess.run(
        [sys.executable, "-m", "ordergraph.cli", "apikey", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_list_and_revoke_print_the_keys(engine: EmbeddedEngine, loaded: FalkorStore) -> None:
    _, erp = await create_key(loaded, "erp", "integration", budget=(700, 7))
    _, shop = await create_key(loaded, "web shop", "storefront", channels=["web"])
    revoked = cli(engine, loaded, "revoke", shop.id)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.strip() == f"revoked {shop.id}"
    listed = cli(engine, loaded, "list")
    assert listed.returncode == 0, listed.stderr
    rows = listed.stdout.splitlines()
    assert len(rows) == 2
    first, second = (row.split() for row in rows)
    assert first == [erp.id, "integration", "erp", f"{erp.prefix}...", "active", "budget", "700/7"]
    assert second[:5] == [shop.id, "storefront", "web", "shop", f"{shop.prefix}..."]
    assert second[5] == "revoked" and second[6].startswith(shop.created_at.date().isoformat())
    assert "T" in second[6] and second[-2:] == ["role", "budget"]
