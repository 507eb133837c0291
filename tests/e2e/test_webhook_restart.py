"""Webhooks survive a killed server: ``ordergraph serve`` as a real process, a real receiver.

Subscribe, place orders while the receiver fails, SIGKILL the server mid-retry, start it again
on the same data directory, let the receiver recover: every event arrives, signed, in order per
order. Needs the dispatcher started in the app's lifespan (``services.events.dispatching``).
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ordergraph.connectors import webhooks
from tests.conftest import FIXTURES
from tests.e2e.test_serve import Server, alive, wait_until

pytestmark = pytest.mark.slow

SECRET = "e2e-secret-e2e-secret"


@dataclass
class Hit:
    event: dict[str, Any]
    headers: dict[str, str]
    body: bytes
    status: int
    arrived: float


class Receiver:
    """A threaded HTTP endpoint on 127.0.0.1: 500 while ``healthy`` is false, else 200."""

    def __init__(self) -> None:
        self.healthy = False
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = 200 if receiver.healthy else 500
                with receiver.lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.hits.append(
                        Hit(json.loads(body), headers, body, status, time.monotonic())
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def snapshot(self) -> list[Hit]:
        with self.lock:
            return list(self.hits)

    def acked(self) -> set[str]:
        return {h.event["id"] for h in self.snapshot() if h.status == 200}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_a_killed_server_resumes_webhook_delivery_in_order_after_restart(
    tmp_path: Path,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDERGRAPH_WEBHOOK_POLL_MS", "50")
    monkeypatch.setenv("ORDERGRAPH_WEBHOOK_RETRY_BASE_MS", "100")
    monkeypatch.setenv("ORDERGRAPH_WEBHOOK_MAX_ATTEMPTS", "1000")  # keep retrying, never dead
    monkeypatch.setenv("ORDERGRAPH_WEBHOOK_ALLOW_PRIVATE", "127.0.0.0/8")  # the receiver
    data_dir = tmp_path / "data"
    server = Server(data_dir, "--network", str(FIXTURES / "network_small.json"))
    try:
        server.wait_ready()
        made = server.query(  # JSON strings are GraphQL string literals
            f"mutation {{ webhookSubscriptionCreate(input: {{url: {json.dumps(receiver.url)}, "
            f"secret: {json.dumps(SECRET)}}}) "
            "{ subscription { id } userErrors { message } } }"
        )["webhookSubscriptionCreate"]
        assert made["userErrors"] == []
        orders = [place_and_move(server, i) for i in range(3)]
        assert wait_until(lambda: len(receiver.snapshot()) >= 4, 30), "no delivery was attempted"
        time.sleep(1.2)  # appendfsync everysec: what was written a second ago is on disk
        engine = server.engine_pid()
    except BaseException:
        server.stop(signal.SIGTERM)
        raise
    server.stop(signal.SIGKILL)
    assert wait_until(lambda: not alive(engine), 15)
    assert receiver.acked() == set()

    receiver.healthy = True
    again = Server(data_dir)
    try:
        again.wait_ready()
        expected = {e["id"] for o in orders for e in events_of(again, o)}
        assert len(expected) == 9
        # the dead server's lease expires first (10 s), then the new one resumes from the graph
        assert wait_until(lambda: receiver.acked() >= expected, 60), sorted(
            expected - receiver.acked()
        )
        delivered = again.query("{ webhookDeadLetters(first: 10) { edges { node { id } } } }")
        assert delivered["webhookDeadLetters"]["edges"] == []
    finally:
        engine = again.engine_pid()
        again.stop(signal.SIGTERM)
        assert wait_until(lambda: not alive(engine), 15)

    hits = receiver.snapshot()
    assert {h.event["id"] for h in hits} == expected  # nothing else was sent
    for hit in hits:
        assert webhooks.verify(
            SECRET,
            hit.headers["x-ordergraph-timestamp"],
            hit.body,
            hit.headers["x-ordergraph-signature"],
            tolerance_s=600,
        )
        assert hit.headers["x-ordergraph-event-id"] == hit.event["id"]
    for order_id in orders:
        stream = [h for h in hits if h.event["orderId"] == order_id]
        sequences = [h.event["sequence"] for h in stream]
        assert sequences == sorted(sequences), (order_id, sequences)
        for i, hit in enumerate(stream):  # n+1 only after n was acknowledged
            n = hit.event["sequence"]
            if n > 1:
                assert any(h.event["sequence"] == n - 1 and h.status == 200 for h in stream[:i])


def place_and_move(server: Server, n: int) -> str:
    """An order, then its fulfillment released and shipped: three events."""
    placed = server.query(
        'mutation { orderCreate(input: {channel: "web", lines: [{sku: "SKU-1", quantity: 1}], '
        'shipTo: {postalCode: "94107", country: "US"}}) { order { id fulfillments { id } } '
        "userErrors { message } } }"
    )["orderCreate"]
    assert placed["userErrors"] == [], placed
    fid = placed["order"]["fulfillments"][0]["id"]
    server.query(
        f'mutation {{ fulfillmentRelease(input: {{fulfillmentId: "{fid}"}}) '
        "{ userErrors { message } } }"
    )
    server.query(
        f'mutation {{ fulfillmentShip(input: {{fulfillmentId: "{fid}", '
        f'trackingNumber: "1Z{n:05d}"}}) {{ userErrors {{ message }} }} }}'
    )
    return str(placed["order"]["id"])


def events_of(server: Server, order_id: str) -> list[dict[str, Any]]:
    data = server.query(f'{{ order(id: "{order_id}") {{ events {{ id sequence }} }} }}')
    return data["order"]["events"]  # type: ignore[no-any-return]
