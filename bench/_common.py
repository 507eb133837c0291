"""Shared helpers for the benchmark scripts: a server subprocess, a load driver, statistics.

Not a benchmark itself. The scripts in this folder import it as ``_common`` (they are run as
``python bench/NAME.py``, so this folder is on ``sys.path``).

Every figure the scripts print is a ratio of measurements taken side by side in one run, on one
machine, in alternating rounds: absolute times on a shared machine mean little, ratios do.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

# Real ZIP codes in six US metros (San Francisco, New York, Chicago, Dallas, Atlanta, Seattle).
POSTAL_CODES = ("94107", "10001", "60601", "75201", "30301", "98101")
TYPENAME = "{ __typename }"


def add_server_workers(p: Any) -> None:
    """The ``--server-workers`` option of every script that starts a server."""
    p.add_argument(
        "--server-workers",
        type=int,
        default=1,
        help="the server's worker processes (`ordergraph serve --workers N`, default 1)",
    )


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_file(out: Path, size: str = "default", seed: int = 7) -> Path:
    """Write the demo network with the product's own CLI (``ordergraph demo``)."""
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ordergraph.cli",
            "demo",
            "--out",
            str(out),
            "--size",
            size,
            "--seed",
            str(seed),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    log(
        f"[bench] wrote the {size} demo network ({out.stat().st_size / 1e6:.1f} MB) "
        f"in {time.monotonic() - started:.1f}s"
    )
    return out


_BAR = re.compile(r"([a-z]+) [━╸╺╾╼ \-]+ (\d+)/(\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _load_progress(log_path: Path) -> str:
    """The last state of each progress bar the server drew while loading (rich, forced live)."""
    try:
        with open(log_path, "rb") as fh:
            fh.seek(max(0, fh.seek(0, 2) - 8192))
            text = _ANSI.sub("", fh.read().decode(errors="replace"))
    except OSError:
        return ""
    last: dict[str, str] = {}
    for section, done, total in _BAR.findall(text):
        last[section] = f"{section} {done}/{total}"
    return ", ".join(last.values())


@dataclass
class Server:
    """``python -m ordergraph.cli serve`` on a free loopback port, with its own data dir."""

    network: Path
    name: str = "server"
    port: int = field(default_factory=free_port)
    ready_timeout_s: float = 1800.0
    process: subprocess.Popen[bytes] | None = None
    load_seconds: float = math.nan
    key: str = ""
    fallback: bool = True  # run bench/_serve.py if the CLI's serve fails to start
    launcher: str = "cli"
    server_workers: int = 1  # `serve --workers N`: worker processes over one engine
    cli_failure: list[str] = field(default_factory=list)
    _tmp: tempfile.TemporaryDirectory[str] | None = None
    _log: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, launcher: str = "cli") -> Server:
        """Start ``python -m ordergraph.cli serve`` (``launcher="cli"``) or bench/_serve.py."""
        self._tmp = tempfile.TemporaryDirectory(prefix="ordergraph-bench-")
        tmp = Path(self._tmp.name)
        self.launcher = launcher
        self.log_path = tmp / f"server-{launcher}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115
        self.data_dir = tmp / f"data-{launcher}"
        # Production mode (API keys on), with a cost budget too large to throttle the benchmark:
        # the budget is a rate limit per key, not a cost of serving.
        env = {
            **os.environ,
            "ORDERGRAPH_ENV": "production",
            "ORDERGRAPH_AUTH": "on",
            "ORDERGRAPH_COST_BUCKET": "1000000000",
            "ORDERGRAPH_COST_RESTORE_PER_SECOND": "1000000000",
            "TTY_INTERACTIVE": "1",
            "TTY_COMPATIBLE": "1",
            "NO_COLOR": "1",
            "COLUMNS": "100",
        }
        self.env = env
        command = (
            [sys.executable, "-m", "ordergraph.cli", "serve"]
            if launcher == "cli"
            else [sys.executable, str(Path(__file__).with_name("_serve.py"))]
        )
        self.process = subprocess.Popen(
            [
                *command,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                "--network",
                str(self.network),
                *(["--workers", str(self.server_workers)] if launcher == "cli" else []),
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        return self

    def wait_ready(self, *, report_every_s: float = 15.0) -> float:
        """Block until ``GET /readyz`` answers 200; the seconds it took (the network load)."""
        assert self.process is not None
        started = time.monotonic()
        next_report = started + report_every_s
        with httpx.Client(timeout=2.0) as client:
            while True:
                if self.process.poll() is not None:
                    if self.launcher == "cli" and self.fallback:
                        # The product's own `serve` died before listening: say so, then run
                        # the same pieces from bench/_serve.py so the benchmark can go on.
                        log(
                            f"[bench] WARNING: `python -m ordergraph.cli serve` exited with code "
                            f"{self.process.returncode} before it was ready (a product bug):\n"
                            f"{self.tail(600)}\n[bench] falling back to bench/_serve.py"
                        )
                        self.cli_failure = self.tail(600).strip().splitlines()[-1:]
                        self.stop()
                        self.start("bench")
                        return self.wait_ready(report_every_s=report_every_s)
                    raise RuntimeError(
                        f"{self.name} exited with code {self.process.returncode}:\n{self.tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{self.url}/readyz").status_code == 200:
                        break
                now = time.monotonic()
                if now - started > self.ready_timeout_s:
                    raise TimeoutError(
                        f"{self.name} not ready after {self.ready_timeout_s:.0f}s:\n{self.tail()}"
                    )
                if now >= next_report:
                    progress = _load_progress(self.log_path) or "parsing and checking the file"
                    log(
                        f"[bench] {self.name}: loading {self.network.name}, "
                        f"{now - started:.0f}s elapsed ({progress})"
                    )
                    next_report = now + report_every_s
                time.sleep(0.2)
        self.load_seconds = time.monotonic() - started
        log(f"[bench] {self.name} ready on {self.url} after {self.load_seconds:.1f}s")
        self.key = self.create_key()
        return self.load_seconds

    def create_key(self, role: str = "storefront", channel: str = "web") -> str:
        """An API key made with ``ordergraph apikey create`` beside the running server."""
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "ordergraph.cli",
                "apikey",
                "create",
                "--name",
                "bench",
                "--role",
                role,
                "--channel",
                channel,
                "--data-dir",
                str(self.data_dir),
            ],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"apikey create failed: {done.stderr.strip()}")
        return done.stdout.split()[-1]

    @property
    def headers(self) -> dict[str, str]:
        return {"content-type": "application/json", "authorization": f"Bearer {self.key}"}

    def tail(self, n: int = 2000) -> str:
        try:
            text = self.log_path.read_bytes()[-n:].decode(errors="replace")
        except (OSError, AttributeError):
            return ""
        return _ANSI.sub("", text)

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._tmp is not None:
            # The engine's AOF rewrite child may write for a moment after the engine exits.
            for _ in range(50):
                try:
                    self._tmp.cleanup()
                    break
                except OSError:
                    time.sleep(0.1)
            self._tmp = None


@contextlib.contextmanager
def servers(*wanted: Server) -> Iterator[tuple[Server, ...]]:
    """Start the servers and stop them all (SIGTERM) on the way out, error or not."""
    started: list[Server] = []
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        for server in wanted:
            started.append(server.start())
        yield wanted
    finally:
        for server in reversed(started):
            server.stop()
        signal.signal(signal.SIGTERM, previous)


# ---- load driving -------------------------------------------------------------------------


@dataclass
class Sample:
    """Latencies (seconds) and wall time of one kind of request, summed over rounds."""

    name: str
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    failures: int = 0
    first_failure: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall if self.wall else math.nan

    def pct(self, p: float) -> float:
        return percentile(self.latencies, p)

    def count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


Check = Callable[[Sample, dict[str, Any]], None]  # raise or count; called with each answer


def graphql_ok(sample: Sample, body: dict[str, Any]) -> None:
    if body.get("errors"):
        raise RuntimeError(orjson.dumps(body["errors"][:1]).decode()[:300])


async def drive(
    client: httpx.AsyncClient,
    server: Server,
    sample: Sample,
    payloads: Callable[[int], dict[str, Any]],
    count: int,
    workers: int,
    check: Check = graphql_ok,
) -> None:
    """``count`` GraphQL POSTs by ``workers`` concurrent tasks; adds to ``sample``."""
    next_index = 0
    url, headers = f"{server.url}/graphql", server.headers

    async def worker() -> None:
        nonlocal next_index
        while next_index < count:
            i = next_index
            next_index += 1
            body = orjson.dumps(payloads(i))
            t0 = time.perf_counter()
            try:
                response = await client.post(url, content=body, headers=headers)
                elapsed = time.perf_counter() - t0
                if response.status_code != 200:
                    raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
                check(sample, orjson.loads(response.content))
            except Exception as exc:
                sample.failures += 1
                sample.first_failure = sample.first_failure or f"{type(exc).__name__}: {exc}"
                continue
            sample.latencies.append(elapsed)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    sample.wall += time.perf_counter() - t0


async def alternate(
    client: httpx.AsyncClient,
    jobs: Sequence[tuple[Server, Sample, Callable[[int], dict[str, Any]], Check]],
    *,
    requests: int,
    rounds: int,
    workers: int,
    on_round: Callable[[int], Awaitable[None] | None] | None = None,
) -> None:
    """``requests`` of each job split over ``rounds``; the job order rotates every round.

    ``jobs`` are (server, sample, payload factory, check). Alternating short rounds spreads the
    machine's noise evenly over the things compared.
    """
    per_round = max(1, requests // rounds)
    offsets = [0] * len(jobs)
    for r in range(rounds):
        order = list(range(len(jobs)))
        shift = r % len(jobs)
        order = order[shift:] + order[:shift]
        for j in order:
            server, sample, make, check = jobs[j]
            await drive(
                client, server, sample, shifted(make, offsets[j]), per_round, workers, check
            )
            offsets[j] += per_round
        if on_round is not None:
            maybe = on_round(r)
            if maybe is not None:
                await maybe


Payloads = Callable[[int], dict[str, Any]]


def shifted(make: Payloads, by: int) -> Payloads:
    """``make`` with its request numbers moved by ``by`` (each round asks for new requests)."""
    return lambda i: make(by + i)


def client(workers: int, timeout_s: float = 60.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=timeout_s,
        limits=httpx.Limits(max_connections=workers, max_keepalive_connections=workers),
    )


# ---- printing -----------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.2f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "") -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        pairs = enumerate(zip(row, widths, strict=True))
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs)

    out = [title] if title else []
    out.append(line(cells[0]))
    out.append("  ".join("-" * w for w in widths))
    out.extend(line(row) for row in cells[1:])
    return "\n".join(out)


def sample_rows(samples: Sequence[Sample]) -> list[list[Any]]:
    return [
        [
            s.name,
            len(s.latencies),
            s.failures,
            f"{s.rps:.1f}",
            ms(s.pct(50)),
            ms(s.pct(99)),
            ms(s.pct(100)),
        ]
        for s in samples
    ]


SAMPLE_HEADERS = ("request", "ok", "failed", "req/s", "p50 ms", "p99 ms", "max ms")


def launch_note(server: Server) -> str:
    """How the server was started, for the printed table."""
    if server.launcher == "cli":
        return "server: python -m ordergraph.cli serve"
    why = f" ({server.cli_failure[0].strip()})" if server.cli_failure else ""
    return f"server: bench/_serve.py, because `ordergraph serve` failed to start{why}"


def _descendants(pid: int) -> dict[int, str]:
    """Every live descendant of ``pid``: its name (``/proc/<pid>/comm``), by pid."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            names[int(entry.name)] = (entry / "comm").read_text().strip()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        here = frontier.pop()
        for child, parent in parents.items():
            if parent == here and child not in found:
                found[child] = names.get(child, "?")
                frontier.append(child)
    return found


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def memory_note(server: Server) -> str:
    """The resident size of the server's workers, of its supervisor and of its engine, as now
    (a worker of ``serve --workers N`` is a spawned interpreter, ``multiprocessing.spawn``)."""
    if server.process is None:
        return "memory: no server process"
    tree = {server.process.pid: "server", **_descendants(server.process.pid)}
    sizes: dict[int, float] = {}
    commands: dict[int, bytes] = {}
    for pid in tree:
        with contextlib.suppress(OSError):
            sizes[pid] = _rss_mib(pid)
            commands[pid] = Path(f"/proc/{pid}/cmdline").read_bytes()
    engine = [p for p, name in tree.items() if "redis" in name and p in sizes]
    workers = [p for p, cmd in commands.items() if b"spawn_main" in cmd and p not in engine]
    if not workers:  # one process serves (no --workers)
        workers = [server.process.pid] if server.process.pid in sizes else []
    rest = [p for p in sizes if p not in engine and p not in workers]

    def listed(pids: list[int]) -> str:
        return ", ".join(f"{sizes[p]:.0f}" for p in sorted(pids, key=lambda p: -sizes[p]))

    return (
        f"{server.name}: resident size (MiB): workers {listed(workers) or '-'}; "
        f"other Python processes {listed(rest) or '-'}; "
        f"engine {sum(sizes[p] for p in engine):.0f}"
    )
