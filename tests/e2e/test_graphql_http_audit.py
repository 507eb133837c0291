"""GraphQL over HTTP conformance: the ``graphql-http`` server audits against the real server.

``scripts/graphql_http_audit.mjs`` runs every audit of the npm package ``graphql-http``
(``serverAudits``) against ``ordergraph serve`` (auth off, small network). No MUST audit may
fail; the SHOULD and MAY audits that fail are printed (run with ``-s``), not asserted.
Needs ``node`` (>= 18, for the global fetch) and ``npm`` with the npm registry reachable.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tests.e2e.test_serve import Server

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "graphql_http_audit.mjs"

# MUST audits known to fail, id -> why (a product bug, reported; remove once fixed).
KNOWN_MUST_FAILURES: dict[str, str] = {}


@pytest.fixture(scope="module")
def audit_results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, Any]]]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run the graphql-http audits")
    prefix = tmp_path_factory.mktemp("graphql-http")
    try:
        installed = subprocess.run(
            [
                npm,
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(prefix),
                "graphql-http",
                "graphql",
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("npm install graphql-http timed out (is the npm registry reachable?)")
    if installed.returncode != 0:
        pytest.skip(f"npm install graphql-http failed: {installed.stderr.strip()[-500:]}")

    server = Server(
        tmp_path_factory.mktemp("audit") / "data", "--network", str(FIXTURES / "network_small.json")
    )
    try:
        server.wait_ready()
        done = subprocess.run(
            [node, str(SCRIPT), f"{server.url}/graphql", str(prefix)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.stop(signal.SIGTERM)
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    for r in results:
        if r["status"] != "ok":
            print(
                f"[graphql-http] {r['status']:6} {r['id']} {r['name']}: {r.get('reason')} "
                f"(HTTP {r.get('httpStatus')}, {r.get('contentType')}) {r.get('body', '')!r}"
            )
    yield results


def test_the_audits_ran(audit_results: list[dict[str, Any]]) -> None:
    assert len(audit_results) > 40
    assert any(r["status"] == "ok" for r in audit_results)


def test_no_must_audit_fails(audit_results: list[dict[str, Any]]) -> None:
    failing = {
        r["id"]: r for r in audit_results if r["name"].startswith("MUST") and r["status"] != "ok"
    }
    unexpected = {
        i: f"{r['name']}: {r.get('reason')}"
        for i, r in failing.items()
        if i not in KNOWN_MUST_FAILURES
    }
    assert unexpected == {}
    if failing:
        pytest.xfail(
            "known MUST failures: "
            + "; ".join(
                f"{i} {failing[i]['name']}: {KNOWN_MUST_FAILURES[i]}" for i in sorted(failing)
            )
        )


def test_no_should_audit_fails_either(audit_results: list[dict[str, Any]]) -> None:
    failing = {
        r["id"]: f"{r['name']}: {r.get('reason')}"
        for r in audit_results
        if r["name"].startswith("SHOULD") and r["status"] != "ok"
    }
    assert failing == {}
