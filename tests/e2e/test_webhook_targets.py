"""Webhook targets against a real server (issue #10, finding 10): no internal targets, no
credentials, checked when a subscription is made and again at every connection (after DNS),
redirects not followed, private ranges only through ORDERGRAPH_WEBHOOK_ALLOW_PRIVATE."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ordergraph.graph import events as q
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.records.events import SubscriptionRecord
from tests.live import LiveServer

pytestmark = pytest.mark.slow

SECRET = "s3cret-s3cret-s3cret"
CREATE = """mutation($url: String!) { webhookSubscriptionCreate(input: {url: $url,
  secret: "s3cret-s3cret-s3cret"}) { subscription { id url }
  userErrors { code field message } } }"""
LIST = "{ webhookSubscriptions { id url } }"
DEAD = "{ webhookDeadLetters { nodes { subscriptionId lastError lastStatusCode } } }"
PLACE = """mutation($ext: String) { orderCreate(input: {channel: "web", externalId: $ext,
  shipTo: {postalCode: "94107", country: "US"}, lines: [{sku: "SKU-1", quantity: 1}]}) {
  order { id } userErrors { code message } } }"""

INTERNAL = [
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:8080/x",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://0.0.0.0/",
    "http://0/",
    "http://localhost/",
    "http://app.localhost/",
    "http://10.0.0.5/",
    "http://172.16.1.1/",
    "http://192.168.0.1/",
    "http://100.64.0.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[::]/",
    "http://224.0.0.1/",
    f"http://{socket.gethostname()}/",  # a name that resolves to loopback (/etc/hosts)
]


class Receiver:
    """A loopback endpoint: ``status`` for every POST (with ``location`` for a 3xx)."""

    def __init__(self, status: int = 200, location: str | None = None) -> None:
        self.hits: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.hits.append(json.loads(body))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def eventually(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def dead_letters(server: LiveServer) -> list[dict[str, Any]]:
    body = server.gql("admin", DEAD).json()
    return body["data"]["webhookDeadLetters"]["nodes"]  # type: ignore[no-any-return]


FAST = {"ORDERGRAPH_WEBHOOK_POLL_MS": "50", "ORDERGRAPH_WEBHOOK_MAX_ATTEMPTS": "1"}


@pytest.fixture(scope="module")
def strict(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer.start(engine.url, tmp_path_factory.mktemp("strict"), env=FAST)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def allowing(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {**FAST, "ORDERGRAPH_WEBHOOK_ALLOW_PRIVATE": "127.0.0.0/8"}
    server = LiveServer.start(engine.url, tmp_path_factory.mktemp("allowing"), env=env)
    yield server
    server.stop()


@pytest.mark.parametrize("url", INTERNAL)
def test_an_internal_target_is_refused_with_a_user_error(strict: LiveServer, url: str) -> None:
    body = strict.gql("admin", CREATE, url=url).json()
    made = body["data"]["webhookSubscriptionCreate"]
    assert made["subscription"] is None, body
    [error] = made["userErrors"]
    assert error["code"] == "INVALID_INPUT" and error["field"][-1] == "url"
    assert "public addresses only" in error["message"]
    listed = strict.gql("admin", LIST).json()["data"]["webhookSubscriptions"]
    assert url not in {s["url"] for s in listed}


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2-secret@hooks.example.com/og",
        "https://token-hunter2-secret@hooks.example.com/og",
        "https://:hunter2-secret@hooks.example.com/og",
    ],
)
def test_credentials_in_a_url_are_refused_and_never_shown(strict: LiveServer, url: str) -> None:
    response = strict.gql("admin", CREATE, url=url)
    made = response.json()["data"]["webhookSubscriptionCreate"]
    assert made["subscription"] is None and made["userErrors"][0]["code"] == "INVALID_INPUT"
    assert "hunter2" not in response.text and "credentials" in response.text


def stored_subscription(
    sub_id: str, url: str, types: tuple[str, ...], created_at_ms: int
) -> SubscriptionRecord:
    """A subscription stored directly, as a writer before today's URL checks did."""
    return SubscriptionRecord(
        id=sub_id,
        url=url,
        event_types=types,
        active=True,
        description=None,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        created_at_ms=created_at_ms,
    )


def test_a_url_stored_with_credentials_before_is_shown_without_them(strict: LiveServer) -> None:
    async def store_one() -> None:
        store = FalkorStore(strict.engine_url, strict.graph)
        try:
            await q.create_subscription(
                store,
                stored_subscription(
                    "WH-OLDCREDS01",
                    "https://user:hunter2-secret@hooks.example.com/og",
                    ("NoSuchType",),
                    0,
                ),
                SECRET,
            )
        finally:
            await store.close()

    asyncio.run(store_one())
    response = strict.gql("admin", LIST)
    assert "hunter2" not in response.text
    shown = {s["id"]: s["url"] for s in response.json()["data"]["webhookSubscriptions"]}
    assert shown["WH-OLDCREDS01"] == "https://***@hooks.example.com/og"


def test_a_public_url_is_still_accepted(strict: LiveServer) -> None:
    made = strict.gql("admin", CREATE, url="https://hooks.example.com/og").json()
    assert made["data"]["webhookSubscriptionCreate"]["userErrors"] == []


def test_delivery_checks_the_resolved_address_again(strict: LiveServer) -> None:
    """A subscription whose host now resolves to an internal address (DNS changed since it was
    made; here stored directly) gets nothing: the connection is refused after resolution."""
    receiver = Receiver()
    try:

        async def store_one() -> None:
            store = FalkorStore(strict.engine_url, strict.graph)
            try:
                await q.create_subscription(
                    store,
                    stored_subscription(
                        "WH-REBOUND001",
                        receiver.url.replace("127.0.0.1", socket.gethostname()),
                        (),
                        int(time.time() * 1000),
                    ),
                    SECRET,
                )
            finally:
                await store.close()

        asyncio.run(store_one())
        placed = strict.gql("storefront", PLACE, ext="rebound-1").json()
        assert placed["data"]["orderCreate"]["userErrors"] == [], placed
        dead = eventually(
            lambda: [d for d in dead_letters(strict) if d["subscriptionId"] == "WH-REBOUND001"]
        )
        assert "refused" in dead[0]["lastError"] and "127.0.0.1" in dead[0]["lastError"]
        assert receiver.hits == []
    finally:
        receiver.close()


def test_the_allow_list_lets_private_targets_in_and_redirects_are_not_followed(
    allowing: LiveServer,
) -> None:
    final = Receiver()
    bouncer = Receiver(307, location=final.url)
    ok = Receiver()
    try:
        for url in (ok.url, bouncer.url):
            made = allowing.gql("admin", CREATE, url=url).json()
            assert made["data"]["webhookSubscriptionCreate"]["userErrors"] == [], made
        refused = allowing.gql("admin", CREATE, url="http://169.254.169.254/").json()
        assert refused["data"]["webhookSubscriptionCreate"]["userErrors"], refused
        placed = allowing.gql("storefront", PLACE, ext="allow-1").json()
        assert placed["data"]["orderCreate"]["userErrors"] == [], placed
        eventually(lambda: ok.hits)
        eventually(lambda: bouncer.hits)
        dead = eventually(lambda: [d for d in dead_letters(allowing) if d["lastStatusCode"] == 307])
        assert dead and final.hits == []  # the 307 counted as a failure, never followed
    finally:
        for r in (final, bouncer, ok):
            r.close()
