"""``ordergraph serve`` as a newcomer runs it: a real process, real HTTP, a real engine."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow

QUERY = """{ availability(skus: ["SKU-1"], near: {postalCode: "94107"}) {
  sku available locations { location { id } available distanceKm } } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (the engine, and the workers of `--workers N`)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def wait_until(check, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


class Server:
    def __init__(self, data_dir: Path, *args: str) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(data_dir.parent / f"server-{self.port}.log", "wb")  # noqa: SIM115 - a pipe nobody reads fills and blocks the server
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ordergraph.cli",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(data_dir),
                *args,
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ORDERGRAPH_AUTH": "off"},
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self) -> None:
        if not wait_until(lambda: self.ready() or self.proc.poll() is not None, 60):
            raise AssertionError("server did not become ready")
        if self.proc.poll() is not None:
            self.log.flush()
            raise AssertionError(Path(self.log.name).read_text(errors="replace"))

    def engine_pid(self) -> int:
        return int((self.data_dir / "engine.pid").read_text())

    def query(self, document: str) -> dict:  # type: ignore[type-arg]
        response = httpx.post(f"{self.url}/graphql", json={"query": document}, timeout=10)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    def stop(self, sig: int) -> None:
        self.proc.send_signal(sig)
        self.proc.wait(30)
        self.log.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_server_leaves_no_engine_and_a_restart_finds_the_data(
    data_dir: Path, sig: int
) -> None:
    server = Server(data_dir, "--network", str(FIXTURES / "network_small.json"))
    server.wait_ready()
    first = server.query(QUERY)["availability"][0]
    assert first["locations"][0]["location"]["id"] == "STORE-SF"
    # a change made through the API must survive the kill too
    server.query(
        'mutation { inventorySet(input: {location: "STORE-SF", sku: "SKU-1", onHand: 11}) '
        "{ userErrors { code } } }"
    )
    time.sleep(1.2)  # appendfsync everysec: what was acknowledged a second ago is on disk
    engine = server.engine_pid()
    assert alive(engine)

    server.stop(sig)
    assert wait_until(lambda: not alive(engine), 15), f"engine {engine} outlived the server ({sig})"

    again = Server(data_dir)  # no --network: the data must come from the data directory
    try:
        again.wait_ready()
        after = again.query(QUERY)["availability"][0]
        assert after["locations"][0]["available"] == 11
        assert after["available"] == first["available"] - 5 + 11
    finally:
        engine = again.engine_pid()
        again.stop(signal.SIGTERM)
        assert wait_until(lambda: not alive(engine), 15)


def test_graphiql_is_served_and_health_endpoints_answer(data_dir: Path) -> None:
    server = Server(data_dir, "--network", str(FIXTURES / "network_small.json"))
    try:
        server.wait_ready()
        page = httpx.get(f"{server.url}/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{server.url}/readyz").json()["engine"] == "embedded"
        # with several workers (the default) a metric appears once some worker observed it
        server.query("{ __typename }")
        assert "ordergraph_request_seconds" in httpx.get(f"{server.url}/metrics").text
    finally:
        server.stop(signal.SIGTERM)


def test_a_data_directory_in_use_or_unusable_is_a_clear_error(
    data_dir: Path, tmp_path: Path
) -> None:
    server = Server(data_dir)
    try:
        server.wait_ready()
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "ordergraph.cli",
                "serve",
                "--port",
                str(free_port()),
                "--data-dir",
                str(data_dir),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "ORDERGRAPH_AUTH": "off"},
        )
        assert second.returncode == 2
        assert "is in use by pid" in second.stderr
        taken = subprocess.run(
            [
                sys.executable,
                "-m",
                "ordergraph.cli",
                "serve",
                "--port",
                str(server.port),
                "--data-dir",
                str(tmp_path / "other"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert taken.returncode == 2 and f"cannot listen on 127.0.0.1:{server.port}" in taken.stderr
    finally:
        server.stop(signal.SIGTERM)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ordergraph.cli",
            "load",
            str(FIXTURES / "network_small.json"),
            "--data-dir",
            str(blocker / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "is not usable" in result.stderr
