"""A fuzz pass of our own (issue #10): hostile requests against every GraphQL operation and every
HTTP route of a real ``ordergraph serve`` (production mode, auth on), with a key of every role and
without one. The requests come from tests/hostile.py: seeded, a fixed number, enumerated from the
app itself (the strawberry schema and the Starlette routes built in-process).

For every response: no 5xx, no Python internals (traceback, exception class, source path) in the
body or headers, an answer at all; for /graphql, no masked "Internal error." (a resolver raised)
and analysis under the bound in tests/bounds.py by the server's ``Server-Timing: analysis;dur=<ms>``
when it sends one, else the refused document attacks (sent one at a time) answered within a
wall-clock bound.
Afterwards the stock and the orders are what they were (read from the graph store directly) and
reserved == the open fulfillment lines of each position. /healthz is polled from another thread
throughout and must keep answering.

Every failure is collected and the test fails once at the end with a list grouped by what came
back, then target (route or operation) and input kind. A request the server does not answer, with
/healthz silent too, is a hang: the server is killed and restarted (same graph and keys; its log is
kept as ``live-<port>.hung-<n>.log``) and that kind is not sent again. Fixed loop counts and
deadlines keep the whole test under a minute; requests get ``X-Request-Id: fuzz-<n>``, so the
server log says which request raised what: each failure is listed with the exception the server
logged for it, when it logged one.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Subprotocol

from ordergraph.graph.falkordb import FalkorStore
from tests import hostile
from tests.bounds import ANALYSIS_MS, REFUSAL_WALL_S
from tests.hostile import Case
from tests.live import LiveServer

pytestmark = pytest.mark.slow

CONCURRENCY = 8
HEALTH_BOUND_S = 2.0
REQUEST_TIMEOUT_S = 8.0
SLOW_S = 2.0  # listed (not a failure by itself: /healthz says whether the server kept up)
HUNG_AFTER_S = 2.0  # then /healthz unanswered this long: the server is hung
TIMED_TIMEOUT_S = 4.0  # a document attack, sent alone
WS_QUIET_S = 1.0  # a websocket that says nothing more for this long is done
RAW_READ_S = 2.0  # a raw request whose body is short: the server rightly waits for the rest
CONCURRENT_DEADLINE_S = 28.0
ALONE_DEADLINE_S = 28.0
LIVE = ("OPEN", "RELEASED")
_TIMING = re.compile(r"(?:^|,)\s*analysis\s*;[^,]*?dur=([0-9.]+)")


@dataclass
class Outcome:
    case: Case
    status: int | None
    body: str
    headers: dict[str, str]
    elapsed: float
    error: str | None = None


@dataclass
class Findings:
    failures: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    accepted: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    unsendable: list[str] = field(default_factory=list)
    hung: list[str] = field(default_factory=list)
    slow: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    baseline: dict[str, Any] = field(default_factory=dict)
    phases: list[float] = field(default_factory=list)
    restarting: threading.Event = field(default_factory=threading.Event)
    sent: int = 0
    not_sent: int = 0

    def fail(self, case: Case, problem: str, status: int | None, body: str) -> None:
        entry = self.failures.setdefault(
            (case.target, case.kind, problem),
            {"roles": set(), "statuses": set(), "body": body[:200], "count": 0, "numbers": []},
        )
        entry["numbers"].append(case.number)
        entry["roles"].add(case.role or "no key")
        entry["statuses"].add(status)
        entry["count"] += 1

    def explain(self, causes: dict[int, str]) -> None:
        """Attach the exception the server logged for a failing request (see ``causes``)."""
        for entry in self.failures.values():
            found = sorted({causes[n] for n in entry["numbers"] if n in causes})
            entry["cause"] = "; ".join(found)[:300]

    def report(self) -> str:
        lines = [f"{len(self.failures)} failure classes over {self.sent} requests:"]
        by_problem: dict[str, list[tuple[tuple[str, str, str], dict[str, Any]]]] = defaultdict(list)
        for key, entry in sorted(self.failures.items()):
            by_problem[key[2].split(":")[0]].append((key, entry))
        for problem, entries in sorted(by_problem.items()):
            lines.append(f"\n== {problem} ({len(entries)}) ==")
            for (target, kind, detail), entry in entries:
                statuses = ",".join(str(s) for s in sorted(entry["statuses"], key=str))
                roles = ",".join(sorted(entry["roles"]))
                what = "" if detail == problem else f" | {detail}"
                cause = f" | server: {entry['cause']}" if entry.get("cause") else ""
                lines.append(
                    f"- {target} | {kind}{what} | HTTP {statuses} | roles {roles}"
                    f" | x{entry['count']} | {entry['body']!r}{cause}"
                )
        return "\n".join(lines)


# ---- the server and its data ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    env = {
        "ORDERGRAPH_ENV": "production",
        "ORDERGRAPH_COST_BUCKET": "1000000000",  # no throttling: every request reaches analysis
        "ORDERGRAPH_COST_RESTORE_PER_SECOND": "1000000",
        "ORDERGRAPH_SQUARE_NOTIFICATION_URL": hostile.SQUARE_URL,
        **{f"ORDERGRAPH_{c.upper()}_WEBHOOK_SECRET": s for c, s in hostile.WEBHOOK_SECRETS.items()},
    }
    live = LiveServer.start(engine.url, tmp_path_factory.mktemp("hostile"), env=env)
    yield live
    live.stop()


def _gql(server: Any, role: str, document: str, **variables: Any) -> dict[str, Any]:
    response = server.gql(role, document, **variables)
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]  # type: ignore[no-any-return]


ORDER_FIELDS = "order { id status fulfillments { id status } } userErrors { code message }"


def make_orders(server: Any) -> dict[str, Any]:
    """A few real orders (open, released, shipped with a return) for the hostile mutations to
    aim at; their ids go into the generated variables."""
    create = f"mutation($i: OrderCreateInput!) {{ orderCreate(input: $i) {{ {ORDER_FIELDS} }} }}"
    orders = []
    for i, (sku, postal) in enumerate((("SKU-1", "94107"), ("SKU-2", "10001"), ("SKU-1", "60601"))):
        data = _gql(
            server,
            "storefront",
            create,
            i={
                "channel": "web",
                "externalId": f"hostile-setup-{i}",
                "lines": [{"sku": sku, "quantity": 1}],
                "shipTo": {
                    "postalCode": postal,
                    "country": "US",
                    "name": "Setup",
                    "line1": "1 Main",
                    "city": "Town",
                },
            },
        )
        payload = data["orderCreate"]
        assert payload["order"], payload
        orders.append(payload["order"])
    released = orders[1]["fulfillments"][0]["id"]
    shipped = orders[2]["fulfillments"][0]["id"]
    for fid in (released, shipped):
        _gql(
            server,
            "admin",
            "mutation($f: ID!) { fulfillmentRelease(input: {fulfillmentId: $f})"
            " { userErrors { code } } }",
            f=fid,
        )
    _gql(
        server,
        "admin",
        "mutation($f: ID!) { fulfillmentShip(input: {fulfillmentId: $f, "
        'trackingNumber: "1Z"}) { userErrors { code } } }',
        f=shipped,
    )
    data = _gql(
        server,
        "admin",
        "mutation($o: ID!) { returnCreate(input: {orderId: $o, lines: "
        '[{sku: "SKU-1", quantity: 1}]}) { return { id } userErrors { code message } } }',
        o=orders[2]["id"],
    )
    ret = data["returnCreate"]["return"]
    keys = _gql(server, "admin", "{ apiKeys { id } }")["apiKeys"]
    return {
        "orderId": orders[0]["id"],
        "id": keys[0]["id"],
        "fulfillmentId": orders[0]["fulfillments"][0]["id"],
        "returnId": ret["id"] if ret else "RET-none",
        "ids": [orders[0]["id"]],
        "orders": [o["id"] for o in orders],
        "fulfillments": [orders[0]["fulfillments"][0]["id"], released, shipped],
    }


async def snapshot(server: Any) -> dict[str, Any]:
    store = FalkorStore(server.engine_url, server.graph)
    try:
        positions = await store.read(
            "MATCH (l:Location)-[s:STOCKS]->(k:Sku) RETURN l.id AS location, k.id AS sku, "
            "s.onHand AS onHand, s.reserved AS reserved, s.safetyStock AS safetyStock"
        )
        shipped = await store.read(
            "MATCH (l:Location)<-[:FROM]-(f:Fulfillment)-[sh:SHIPS]->(ol:OrderLine) "
            "WHERE f.status IN $live "
            "RETURN l.id AS location, ol.sku AS sku, sum(sh.quantity) AS quantity",
            {"live": list(LIVE)},
        )
        orders = await store.read(
            "MATCH (o:Order) RETURN o.id AS id, o.status AS status, o.version AS version"
        )
        fulfillments = await store.read(
            "MATCH (f:Fulfillment) RETURN f.id AS id, f.status AS status"
        )
    finally:
        await store.close()
    return {
        "positions": {
            (p["location"], p["sku"]): (p["onHand"], p["reserved"], p["safetyStock"])
            for p in positions
        },
        "ships": {(r["location"], r["sku"]): r["quantity"] for r in shipped},
        "orders": {o["id"]: (o["status"], o["version"]) for o in orders},
        "fulfillments": {f["id"]: f["status"] for f in fulfillments},
    }


def invariant_problems(state: dict[str, Any]) -> list[str]:
    ships = state["ships"]
    wrong = [
        f"{loc}/{sku}: reserved {r} but open fulfillments ship {ships.get((loc, sku), 0)}"
        for (loc, sku), (_, r, _) in state["positions"].items()
        if r != ships.get((loc, sku), 0)
    ]
    negative = [
        f"{loc}/{sku}: onHand {o} reserved {r} safetyStock {s}"
        for (loc, sku), (o, r, s) in state["positions"].items()
        if not all(isinstance(v, int) and v >= 0 for v in (o, r, s or 0))
    ]
    return wrong + negative


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for name in ("positions", "orders", "fulfillments"):
        old, new = before[name], after[name]
        for key in sorted(set(old) | set(new), key=str):
            if old.get(key) != new.get(key):
                out.append(f"{name} {key}: {old.get(key)} -> {new.get(key)}")
    return out


# ---- sending -------------------------------------------------------------------------------------


async def send(client: httpx.AsyncClient, server: Any, case: Case, timeout: float) -> Outcome:
    """``case`` over HTTP; its number goes in X-Request-Id (unless the case sets one) so that
    the server's log lines can be matched to it."""
    started = time.perf_counter()
    if case.raw is not None:
        return await send_raw(server, case, started)
    if case.frames is not None:
        return await send_ws(server, case, started)
    headers: list[tuple[bytes, bytes]] = [
        (k.encode("latin-1"), v.encode("latin-1", "replace")) for k, v in case.headers.items()
    ]
    if "x-request-id" not in case.headers:
        headers.append((b"x-request-id", f"fuzz-{case.number}".encode()))
    if case.role is not None:
        headers.append((b"authorization", f"Bearer {server.keys[case.role]}".encode()))
    try:
        response = await client.request(
            case.method,
            f"{server.url}{case.path}",
            content=case.body,
            headers=headers,
            params=case.params,
            timeout=timeout,
        )
    except (httpx.LocalProtocolError, UnicodeEncodeError) as exc:
        return Outcome(case, None, "", {}, 0.0, error=f"unsendable: {exc}")
    except httpx.HTTPError as exc:
        return Outcome(
            case,
            None,
            "",
            {},
            time.perf_counter() - started,
            error=f"no answer: {type(exc).__name__}",
        )
    return Outcome(
        case,
        response.status_code,
        response.content.decode("utf-8", "replace"),
        dict(response.headers),
        time.perf_counter() - started,
    )


async def send_raw(server: Any, case: Case, started: float) -> Outcome:
    assert case.raw is not None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", server.port), 10
        )
        writer.write(case.raw)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(1 << 20), RAW_READ_S)
        writer.close()
    except (TimeoutError, OSError) as exc:
        return Outcome(
            case, None, "", {}, time.perf_counter() - started, error=f"closed: {type(exc).__name__}"
        )
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.decode("latin-1").lower()] = value.decode("latin-1").strip()
    return Outcome(
        case,
        int(match.group(1)) if match else None,
        body.decode("utf-8", "replace"),
        headers,
        time.perf_counter() - started,
        error=None if match else "closed without an answer",
    )


async def send_ws(server: Any, case: Case, started: float) -> Outcome:
    """Connect to the websocket route, send the frames, read until closed or WS_QUIET_S of
    silence. ``status`` is the close code (101: still open at the end)."""
    assert case.frames is not None
    headers = {"X-Request-Id": f"fuzz-{case.number}", **server.headers(case.role)}
    received: list[str] = []
    code: int | None = 101
    try:
        async with ws_connect(
            server.url.replace("http", "ws", 1) + "/graphql",
            subprotocols=[Subprotocol("graphql-transport-ws")],
            additional_headers=headers,
            open_timeout=5,
            close_timeout=1,
            max_size=None,
        ) as ws:
            try:
                for frame in case.frames:
                    await ws.send(frame)
                while True:
                    message = await asyncio.wait_for(ws.recv(), WS_QUIET_S)
                    text = (
                        message if isinstance(message, str) else message.decode("utf-8", "replace")
                    )
                    received.append(text)
            except (TimeoutError, ConnectionClosed):
                pass
            if ws.close_code is not None:
                code = ws.close_code
                received.append(f"close {ws.close_code} {ws.close_reason}")
    except (OSError, InvalidHandshake, TimeoutError) as exc:
        return Outcome(
            case,
            None,
            "",
            {},
            time.perf_counter() - started,
            error=f"no answer: {type(exc).__name__}: {exc}"[:200],
        )
    return Outcome(case, code, "\n".join(received)[:100_000], {}, time.perf_counter() - started)


def judge(outcome: Outcome, findings: Findings) -> None:
    case = outcome.case
    findings.sent += 1
    if outcome.error is not None:
        if outcome.error.startswith("unsendable"):
            findings.unsendable.append(f"{case.target} | {case.kind}")
        elif case.raw is None:  # a malformed raw request may be dropped; a well-formed one not
            findings.fail(case, f"no answer: {outcome.error}", None, "")
        return
    status = outcome.status or 0
    if case.frames is not None:  # a websocket: its close code, what it said
        findings.statuses[status] += 1
        if status in (1006, 1011, 1014):
            findings.fail(case, f"websocket closed {status} (server error)", status, outcome.body)
        leaked = hostile.leaks(outcome.body)
        if leaked:
            findings.fail(case, f"leak: {leaked}", status, outcome.body)
        if "Internal error." in outcome.body:
            findings.fail(
                case, "masked internal error (an exception in a resolver)", status, outcome.body
            )
        return
    findings.statuses[status] += 1
    if outcome.elapsed > SLOW_S:
        findings.slow.append(
            f"{outcome.elapsed:.1f} s  {case.target} | {case.kind} | "
            f"{case.role} | HTTP {status} | fuzz-{case.number}"
        )
    body = outcome.body
    if status >= 500:
        findings.fail(case, f"HTTP {status}", status, body)
    leaked = hostile.leaks(body) or hostile.leaks(
        " ".join(f"{k}: {v}" for k, v in outcome.headers.items())
    )
    if leaked:
        findings.fail(case, f"leak: {leaked}", status, body)
    if not case.path.startswith("/graphql"):
        return
    if "Internal error." in body:  # a resolver raised: masked, but a bug all the same
        findings.fail(case, "masked internal error (an exception in a resolver)", status, body)
    timing = outcome.headers.get("server-timing")
    measured = _TIMING.search(timing or "")
    if measured and float(measured.group(1)) > ANALYSIS_MS:
        findings.fail(
            case, f"analysis over {ANALYSIS_MS:.0f} ms: {measured.group(1)} ms", status, body
        )
    elif not measured and case.timed and outcome.elapsed > REFUSAL_WALL_S:
        findings.fail(
            case,
            f"slow: answered in {outcome.elapsed:.2f} s (> {REFUSAL_WALL_S} s, no Server-Timing)",
            status,
            body,
        )
    if case.mutation and status == 200:
        try:
            answer = orjson.loads(body)
        except orjson.JSONDecodeError:
            return
        data = answer.get("data") if isinstance(answer, dict) else None
        if isinstance(data, dict) and not answer.get("errors"):
            payload = next(iter(data.values()), None)
            if isinstance(payload, dict) and not payload.get("userErrors"):
                findings.accepted[(case.target, case.kind)].add(case.role or "no key")


async def run_all(
    server: Any, concurrent: list[Case], alone: list[Case], findings: Findings
) -> None:
    """Send everything within fixed deadlines. A request the server does not answer in time is
    a failure; when /healthz then does not answer either, the server is hung: the requests in
    flight are named, the stock and orders are compared with the last snapshot, the server is
    restarted (same graph, same keys) and the run goes on, without sending that kind again."""
    # a connection per request: a connection the server closes after one hostile request must
    # not fail the next request sent on it
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=0)
    in_flight: dict[int, Case] = {}
    hung_kinds: set[tuple[str, str]] = set()
    restarting = asyncio.Lock()
    async with (
        httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, limits=limits) as client,
        httpx.AsyncClient(timeout=HUNG_AFTER_S) as probe,
    ):

        async def healthy() -> bool:
            try:
                return (await probe.get(f"{server.url}/healthz")).status_code == 200
            except httpx.HTTPError:
                return False

        async def one(case: Case) -> None:
            async with restarting:  # wait while the server restarts
                pass
            in_flight[id(case)] = case
            started = time.perf_counter()
            outcome = await send(
                client, server, case, REQUEST_TIMEOUT_S if not case.timed else TIMED_TIMEOUT_S
            )
            in_flight.pop(id(case), None)
            judge(outcome, findings)
            unanswered = bool(outcome.error and outcome.error.startswith("no answer"))
            # a websocket's work may go on after the client stops listening: check it is done
            if not (unanswered or case.frames is not None):
                return
            async with restarting:
                if await healthy():
                    return
                hung_kinds.add((case.target, case.kind))
                findings.hung.append(
                    f"{case.target} | {case.kind} | {case.role or 'no key'} (no answer after "
                    f"{time.perf_counter() - started:.1f} s; in flight with it: "
                    + ("; ".join(f"{c.target} | {c.kind}" for c in in_flight.values()) or "-")
                    + ")"
                )
                findings.changes += differences(findings.baseline, await snapshot(server))
                findings.restarting.set()
                try:
                    await asyncio.to_thread(restart, server)
                finally:
                    findings.restarting.clear()
                findings.baseline = await snapshot(server)

        async def run(cases: list[Case], workers: int, deadline: float) -> None:
            queue = list(reversed(cases))

            async def worker() -> None:
                while queue and time.monotonic() < deadline:
                    case = queue.pop()
                    if (case.target, case.kind) in hung_kinds:
                        findings.skipped.append(f"{case.target} | {case.kind} | {case.role}")
                        continue
                    await one(case)

            await asyncio.gather(*(worker() for _ in range(workers)))
            findings.not_sent += len(queue)

        began = time.monotonic()
        await run(concurrent, CONCURRENCY, began + CONCURRENT_DEADLINE_S)
        findings.phases.append(time.monotonic() - began)
        # timed: one at a time, so that the wall clock measures the server's analysis
        began = time.monotonic()
        await run(alone, 1, began + ALONE_DEADLINE_S)
        findings.phases.append(time.monotonic() - began)


_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\w+)')


def _summary(traceback: str) -> str:
    """``ExceptionName: message`` at the deepest ordergraph frame (else the deepest frame)."""
    lines = [line for line in traceback.strip().splitlines() if line.strip()]
    last = lines[-1].strip()[:140] if lines else "?"
    frames = _FRAME.findall(traceback)
    ours = [f for f in frames if "/ordergraph/" in f[0] and "site-packages" not in f[0]]
    where = (ours or frames or [("?", "?", "?")])[-1]
    short = where[0].split("/ordergraph/")[-1] if ours else where[0].split("site-packages/")[-1]
    return f"{last} (at {short}:{where[1]} {where[2]})"


def server_causes(log_dir: Path) -> dict[int, str]:
    """fuzz request number -> the exception the server logged while answering it.

    JSON log lines with an ``exception`` carry the request id; an uncaught exception is printed
    by uvicorn as plain text right after the access line (status 0) of its request."""
    causes: dict[int, str] = {}
    for path in sorted(log_dir.glob("live-*.log")):
        pending: int | None = None
        block: list[str] | None = None
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                if block is not None and pending is not None:
                    causes.setdefault(pending, _summary("\n".join(block)))
                    pending, block = None, None
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                rid = str(entry.get("requestId", ""))
                number = int(rid[5:]) if rid.startswith("fuzz-") and rid[5:].isdigit() else None
                if number is None:
                    continue
                if entry.get("exception"):
                    causes.setdefault(number, _summary(str(entry["exception"])))
                elif entry.get("message") == "request" and entry.get("status") == 0:
                    pending = number
            elif "Exception in ASGI application" in line:
                block = []
            elif block is not None and re.match(r"(INFO|WARNING|ERROR|DEBUG):", line):
                if pending is not None:  # the traceback ended; uvicorn logs something else
                    causes.setdefault(pending, _summary("\n".join(block)))
                pending, block = None, None
            elif block is not None:
                block.append(line)
        if block is not None and pending is not None:
            causes.setdefault(pending, _summary("\n".join(block)))
    return causes


def restart(server: Any) -> None:
    """Kill a hung server and start it again on the same port, graph and keys."""
    assert server.proc is not None
    server.proc.kill()
    server.proc.wait(10)
    server.log_path.parent.mkdir(parents=True, exist_ok=True)  # other sessions prune basetemp
    if server.log_path.exists():  # keep the hung server's log: _spawn starts a new one
        kept = len(list(server.log_path.parent.glob("*.hung-*.log")))
        server.log_path.rename(server.log_path.with_suffix(f".hung-{kept}.log"))
    server._spawn()


class HealthPoller(threading.Thread):
    """Polls /healthz every 0.25 s from its own thread, except while a hung server restarts."""

    def __init__(self, url: str, paused: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.paused = url, paused
        self.stop = threading.Event()
        self.problems: list[str] = []
        self.polls, self.worst = 0, 0.0

    def run(self) -> None:
        with httpx.Client(timeout=HEALTH_BOUND_S * 2) as client:
            while not self.stop.wait(0.25):
                if self.paused.is_set():
                    continue
                started = time.perf_counter()
                try:
                    status = client.get(f"{self.url}/healthz").status_code
                except httpx.HTTPError as exc:
                    if not self.paused.is_set():
                        self.problems.append(
                            f"/healthz: {type(exc).__name__} after "
                            f"{time.perf_counter() - started:.1f} s"
                        )
                    continue
                took = time.perf_counter() - started
                self.polls += 1
                self.worst = max(self.worst, took)
                if status != 200 or took > HEALTH_BOUND_S:
                    self.problems.append(f"/healthz: HTTP {status} in {took:.2f} s")


def test_hostile_requests_get_clear_refusals_and_change_nothing(server: Any) -> None:
    started = time.monotonic()
    rng = random.Random(hostile.SEED)
    hostile.load_exception_names()
    schema = hostile.build_schema()
    from ordergraph.app import create_app
    from ordergraph.connectors.ingest import CHANNELS
    from ordergraph.settings import Settings

    routes = create_app(Settings(env="production")).routes
    operations = hostile.operations(schema)
    ids = make_orders(server)
    before = asyncio.run(snapshot(server))
    assert invariant_problems(before) == []

    per_operation = hostile.graphql_cases(schema, ids, rng)
    concurrent = (
        per_operation
        + hostile.graphql_body_cases(rng)
        + hostile.route_cases(routes, sorted(CHANNELS), rng)
    )
    rng.shuffle(concurrent)
    # timed cases go alone: cheap first, the exponential ones last (a hang costs a restart)
    concurrent += hostile.ws_cases()
    alone = hostile.raw_header_cases(f"127.0.0.1:{server.port}", server.keys) + sorted(
        hostile.document_cases(rng) + [c for c in concurrent if c.timed],
        key=lambda c: "fragment" in c.kind and ("fan-out" in c.kind or "bomb" in c.kind),
    )
    concurrent = [c for c in concurrent if not c.timed]
    for number, case in enumerate(concurrent + alone):
        case.number = number
    # the harness covers what the app has: every operation and route gets requests
    targets = {c.target for c in concurrent + alone}
    assert {op.label for op in operations} <= targets
    for route in routes:
        path = getattr(route, "path", "")
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                assert f"{method} {path}" in targets, (method, path)
    roles_per_op = {(c.target, c.role) for c in per_operation}
    assert all((op.label, role) in roles_per_op for op in operations for role in hostile.ROLES)

    findings = Findings(baseline=before)
    poller = HealthPoller(server.url, findings.restarting)
    poller.start()
    try:
        asyncio.run(run_all(server, concurrent, alone, findings))
    finally:
        poller.stop.set()
        poller.join(10)
    after = asyncio.run(snapshot(server))
    findings.explain(server_causes(Path(server.log_path).parent))
    took = time.monotonic() - started

    problems: list[str] = []
    problems += [
        f"server blocked (no answer in {TIMED_TIMEOUT_S}/{REQUEST_TIMEOUT_S} s, then /healthz "
        f"silent for {HUNG_AFTER_S} s; killed and restarted) at: {h}"
        for h in findings.hung
    ]
    if findings.skipped:
        problems.append(
            f"{len(findings.skipped)} requests of a kind that hung the server were "
            "not sent: " + "; ".join(findings.skipped)
        )
    if findings.not_sent:
        problems.append(f"{findings.not_sent} requests not sent (deadline or hung server)")
    if server.proc.poll() is not None:
        problems.append(f"the server died (exit {server.proc.returncode})")
    changed = findings.changes + differences(findings.baseline, after)
    if changed:
        accepted = sorted(
            f"{t} | {k} | {','.join(sorted(r))}" for (t, k), r in findings.accepted.items()
        )
        problems.append(
            "state changed by hostile requests:\n  "
            + "\n  ".join(changed)
            + "\n  mutations answered without userErrors:\n    "
            + "\n    ".join(accepted)
        )
    problems += [f"invariant: {p}" for p in invariant_problems(after)]
    problems += poller.problems[:20]
    if poller.polls < 5:
        problems.append(f"/healthz polled only {poller.polls} times")
    print(
        f"\n{findings.sent} requests in {took:.1f} s (phases "
        f"{', '.join(f'{p:.1f} s' for p in findings.phases)}); statuses {dict(findings.statuses)}; "
        f"/healthz {poller.polls} polls, worst {poller.worst * 1000:.0f} ms; "
        f"{len(findings.unsendable)} unsendable"
    )
    if findings.accepted:
        print("hostile mutations answered without userErrors (not failures by themselves):")
        for (target, kind), roles in sorted(findings.accepted.items()):
            print(f"  {target} | {kind} | {','.join(sorted(roles))}")
    if findings.slow:
        print(f"answers slower than {SLOW_S:.0f} s:\n  " + "\n  ".join(sorted(findings.slow)))
    report = findings.report() if findings.failures else ""
    if report:
        print(report)
    if problems:
        print("\n".join(problems))
    assert findings.sent > 300
    assert not problems and not findings.failures, "\n".join(problems) + "\n" + report


def test_the_checks_see_python_internals_and_server_timing() -> None:
    """The harness's own judges can fail: tracebacks, exception names and paths are seen."""
    names = hostile.load_exception_names()
    assert hostile.leaks('Traceback (most recent call last):\n  File "x.py", line 3') is not None
    assert hostile.leaks('{"message": "KeyError: \'sku\'"}', names) is not None
    assert hostile.leaks('{"message": "UnicodeDecodeError(\'utf-8\', ...)"}', names) is not None
    assert hostile.leaks('at /work/ordergraph/graph/falkordb.py\\", line 73', names) is not None
    assert hostile.leaks('{"message": "unsupported operand type(s) for +: \'int\'"}') is not None
    assert hostile.leaks('{"errors": [{"message": "Syntax Error: Unexpected <EOF>."}]}') is None
    assert hostile.leaks('{"userErrors": [{"code": "INVALID_INPUT", "message": "bad"}]}') is None
    assert _TIMING.search("total;dur=3, analysis;dur=61.5").group(1) == "61.5"  # type: ignore[union-attr]
