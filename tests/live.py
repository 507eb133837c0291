"""A real OrderGraph server for tests that must go through real HTTP, as users and attackers do.

``ordergraph serve`` runs as a child process with authentication ON, on a loopback port, over the
test session's embedded FalkorDB (``ORDERGRAPH_FALKORDB_URL``) in a graph of its own, with the
small network loaded. It holds one key of every role, made the way an admin makes them:

- ``storefront`` (channel ``web``), ``storefront_amazon`` (channel ``amazon``),
- ``partner`` (location ``STORE-SF``), ``partner_reno`` (location ``DC-RENO``),
- ``integration``, ``admin``.

Use the ``live`` fixture (module scope: one server per test module) and ``live.post(...)`` /
``live.gql(role, document, **variables)``; the raw ``httpx`` response is returned so that tests
can assert on status codes and headers. ``LiveServer.start(..., env={...})`` takes extra
``ORDERGRAPH_*`` settings (e.g. ``ORDERGRAPH_ENV``). ``same_graph_as=other`` starts a second
server process over the SAME graph with the same keys (no network load), as a scaled-out
deployment runs several API processes over one engine.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from ordergraph.connectors.network_file.parse import read_network_file
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.apikeys import create_key
from ordergraph.services.network import load_network

FIXTURES = Path(__file__).parent / "fixtures"
NETWORK = FIXTURES / "network_small.json"
_numbers = itertools.count()

KEYS: Mapping[str, dict[str, Any]] = {
    "storefront": {"role": "storefront", "channels": ["web"]},
    "storefront_amazon": {"role": "storefront", "channels": ["amazon"]},
    "partner": {"role": "partner", "locations": ["STORE-SF"]},
    "partner_reno": {"role": "partner", "locations": ["DC-RENO"]},
    "integration": {"role": "integration"},
    "admin": {"role": "admin"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """One ``ordergraph serve`` process; ``keys`` maps a name of ``KEYS`` to its secret."""

    workers = 1  # one process: tests of per-process limits count on it (tests/e2e/test_workers.py)

    def __init__(
        self,
        engine_url: str,
        log_dir: Path,
        env: Mapping[str, str] | None = None,
        same_graph_as: LiveServer | None = None,
    ):
        self.engine_url = engine_url
        self.graph = (
            same_graph_as.graph if same_graph_as else f"live-{os.getpid()}-{next(_numbers)}"
        )
        self.load_network = same_graph_as is None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.keys: dict[str, str] = dict(same_graph_as.keys) if same_graph_as else {}
        self.extra_env = dict(env or {})
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"live-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(
        cls,
        engine_url: str,
        log_dir: Path,
        env: Mapping[str, str] | None = None,
        same_graph_as: LiveServer | None = None,
    ) -> LiveServer:
        server = cls(engine_url, log_dir, env, same_graph_as)
        if same_graph_as is None:
            asyncio.run(server._make_keys())
        server._spawn()
        return server

    async def _make_keys(self) -> None:
        store = FalkorStore(self.engine_url, self.graph)
        try:
            await store.migrate()
            # keys are checked against the network (their channels and locations must exist)
            await load_network(store, read_network_file(str(NETWORK)))
            for name, spec in KEYS.items():
                secret, _ = await create_key(
                    store,
                    f"test {name}",
                    spec["role"],
                    channels=spec.get("channels", ()),
                    locations=spec.get("locations", ()),
                )
                self.keys[name] = secret
        finally:
            await store.close()

    def _spawn(self) -> None:
        env = {
            **os.environ,
            "ORDERGRAPH_AUTH": "on",
            "ORDERGRAPH_FALKORDB_URL": self.engine_url,
            "ORDERGRAPH_GRAPH": self.graph,
            **self.extra_env,
        }
        # a file, not a pipe: a pipe nobody reads fills and blocks the server
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ordergraph.cli",
                    "serve",
                    "--port",
                    str(self.port),
                    *("--workers", str(self.workers)),
                    *(["--network", str(NETWORK)] if self.load_network else []),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(self.log())
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError("live server did not become ready:\n" + self.log())

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def headers(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"} if role else {}

    def post(self, path: str, role: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        return httpx.post(f"{self.url}{path}", headers=headers, timeout=30, **kwargs)

    def get(self, path: str, role: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        return httpx.get(f"{self.url}{path}", headers=headers, timeout=30, **kwargs)

    def gql(self, role: str | None, document: str, **variables: Any) -> httpx.Response:
        return self.post("/graphql", role, json={"query": document, "variables": variables})

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
