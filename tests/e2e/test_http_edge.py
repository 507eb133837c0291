"""The HTTP edge against a real server (issue #10: findings 5, 12, 14, 16, 18).

Every route authenticates before it reads a body and bounds the body (413 with a reason), no
input string with a NUL, a control character or a lone surrogate reaches the engine, malformed
``/graphql`` requests are 4xx with a reason, DateTime inputs at the edges of the range are
request errors, ``/metrics`` needs an admin key or the metrics token, and a server bound
beyond loopback without ``ORDERGRAPH_ENV`` runs as production.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import LiveServer

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
TYPENAME = "{ __typename }"
AVAILABILITY = """query($sku: ID!) { availability(skus: [$sku], near: {postalCode: "94107"}) {
  sku available } }"""


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def chunks(total: int, size: int = MIB) -> Iterator[bytes]:
    block = b"x" * size
    sent = 0
    while sent < total:
        yield block
        sent += size


def post_big(url: str, total: int, headers: dict[str, str], declared: bool) -> int | None:
    """POST ``total`` bytes, streamed (chunked, or with a Content-Length); the status, or None
    when the server closed the connection before the upload ended (a refusal too)."""
    sent = {**headers, "Content-Length": str(total)} if declared else headers
    try:
        return httpx.post(url, content=chunks(total), headers=sent, timeout=60).status_code
    except httpx.HTTPError:
        return None


def engine_alive(live: Any) -> None:
    response = live.post(
        "/graphql", "storefront", json={"query": AVAILABILITY, "variables": {"sku": "SKU-1"}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["availability"][0]["available"] > 0


# ---- #5: authenticate first, bound every body ----------------------------------------------------


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
def test_parallel_oversized_unauthenticated_posts_do_not_grow_the_server(
    live: Any, declared: bool
) -> None:
    assert live.proc is not None
    before = rss_kib(live.proc.pid)
    results: list[int | None] = []
    targets = [
        "/feeds/inventory/snapshot",
        "/feeds/inventory/delta",
        "/ingest/amazon",
        "/graphql",
        "/feeds/inventory/snapshot",
        "/ingest/x12",
    ]
    threads = [
        threading.Thread(
            target=lambda p=path: results.append(
                post_big(live.url + p, 60 * MIB, {"Content-Type": "text/csv"}, declared)
            )
        )
        for path in targets
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    grown = rss_kib(live.proc.pid) - before
    assert grown < 40 * 1024, f"the server grew by {grown} KiB"  # 6 x 60 MB were sent
    assert all(r in (401, None) for r in results), results
    engine_alive(live)


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
def test_an_authenticated_body_over_the_limit_is_413_with_a_reason(
    live: Any, declared: bool
) -> None:
    assert live.proc is not None
    before = rss_kib(live.proc.pid)
    for path, role, size in [
        ("/graphql", "admin", 3 * MIB),
        ("/feeds/inventory/delta", "admin", 20 * MIB),
        ("/ingest/amazon", "integration", 12 * MIB),
    ]:
        headers = {**live.headers(role), "Content-Type": "application/json"}
        sent = {**headers, "Content-Length": str(size)} if declared else headers
        try:
            response = httpx.post(live.url + path, content=chunks(size), headers=sent, timeout=60)
        except httpx.HTTPError:  # closed mid-upload after the 413: ask with a small over-limit body
            response = httpx.post(live.url + path, content=b"x" * (size // 2), headers=headers)
        assert response.status_code == 413, (path, response.text)
        assert "at most" in response.text
    assert rss_kib(live.proc.pid) - before < 60 * 1024


def test_graphql_bodies_under_the_limit_still_work(live: Any) -> None:
    padding = " " * (512 * 1024)
    response = live.post(
        "/graphql",
        "storefront",
        json={"query": AVAILABILITY + padding, "variables": {"sku": "SKU-1"}},
    )
    assert response.status_code == 200, response.text


# ---- #16: malformed /graphql requests ------------------------------------------------------------

MALFORMED = [
    (b'"hello"', "application/json"),
    (b"123", "application/json"),
    (b"null", "application/json"),
    (b"[]", "application/json"),
    (b'[{"query": "{ __typename }"}]', "application/json"),
    (b'{"query": "{ __typename }\xff"}', "application/json"),
    (b"[" * 10000 + b"]" * 10000, "application/json"),
    (
        b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 10000 + b"]" * 10000 + b"}}",
        "application/json",
    ),
    (b'{"query": 5}', "application/json"),
    (b'{"query": "{ __typename }", "variables": [1]}', "application/json"),
    (b'{"query": "{ __typename }", "variables": "x"}', "application/json"),
    (b'{"query": "{ __typename }", "operationName": 5}', "application/json"),
    (b'{"query": "{ __typename }"', "application/json"),
    (b"", "application/json"),
    (b'{"query": "{ __typename }"}', "text/plain"),
    (b"{ __typename }", "application/graphql"),
    (b"query=%7B__typename%7D", "application/x-www-form-urlencoded"),
    (b'{"query": "{ __typename }"}', ""),
]


@pytest.mark.parametrize("body,content_type", MALFORMED)
def test_a_malformed_graphql_request_is_a_4xx_with_a_reason(
    live: Any, body: bytes, content_type: str
) -> None:
    response = live.post("/graphql", "admin", content=body, headers={"Content-Type": content_type})
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert len(response.text.strip()) > 10  # a reason, not an empty answer
    assert "RecursionError" not in live.log()


def test_get_graphql_runs_queries_and_refuses_the_rest_with_reasons(live: Any) -> None:
    ok = live.get("/graphql", "admin", params={"query": TYPENAME})
    assert ok.status_code == 200 and ok.json()["data"] == {"__typename": "Query"}
    for params in (
        {"query": TYPENAME, "variables": "[1"},
        {"query": TYPENAME, "variables": "[1]"},
        {"query": "mutation { __typename }"},
        {"variables": "{}"},
        {"query": '{ order(id: "a\\u0000b") { id } }'},
        {"query": "query($i: ID!) { order(id: $i) { id } }", "variables": '{"i": "a\\u0000b"}'},
    ):
        response = live.get(
            "/graphql", "admin", params=params, headers={"Accept": "application/json"}
        )
        assert 400 <= response.status_code < 500, (params, response.text)


DATES = [
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+14:00",
    "1969-12-31T23:59:59Z",
    "9999-12-31T23:59:59",
    "9000-01-01T00:00:00Z",
]


@pytest.mark.parametrize("placed", DATES)
def test_datetime_inputs_at_the_edges_are_refused_with_a_reason(live: Any, placed: str) -> None:
    create = """mutation($at: DateTime) { orderCreate(input: {channel: "web", externalId: "dt-1",
      placedAt: $at, shipTo: {postalCode: "94107", country: "US"},
      lines: [{sku: "SKU-1", quantity: 1}]}) { order { id } userErrors { code message } } }"""
    body = live.gql("storefront", create, at=placed).json()
    assert body.get("data") is None, body
    assert "between the years" in body["errors"][0]["message"], body
    literal = live.post(
        "/graphql",
        "storefront",
        json={
            "query": f"""{{ orders(filter:
      {{placedFrom: "{placed}"}}, first: 1) {{ edges {{ node {{ id }} }} }} }}"""
        },
    ).json()
    assert "between the years" in literal["errors"][0]["message"], literal
    options = live.gql(
        "storefront",
        """query($at: DateTime) { deliveryOptions(input:
      {channel: "web", placedAt: $at, lines: [{sku: "SKU-1", quantity: 1}],
      shipTo: {postalCode: "94107", country: "US"}}) { serviceLevel } }""",
        at=placed,
    ).json()
    assert "between the years" in options["errors"][0]["message"], options
    engine_alive(live)


def test_a_naive_placed_at_is_still_a_user_error(live: Any) -> None:
    create = """mutation { orderCreate(input: {channel: "web", externalId: "dt-naive",
      placedAt: "2026-11-23T17:00:00", shipTo: {postalCode: "94107", country: "US"},
      lines: [{sku: "SKU-1", quantity: 1}]}) { order { id } userErrors { code field } } }"""
    body = live.gql("integration", create).json()  # a role that may set placedAt at all
    assert body["data"]["orderCreate"]["userErrors"][0]["code"] == "INVALID_INPUT", body


# ---- #12: NUL, controls and lone surrogates never reach the engine -------------------------------

CREATE = """mutation($ext: String) { orderCreate(input: {channel: "web", externalId: $ext,
  shipTo: {postalCode: "94107", country: "US"}, lines: [{sku: "SKU-1", quantity: 1}]}) {
  order { id } userErrors { code } } }"""


READ = """query($ext: String!) { orderByExternalId(channel: "web", externalId: $ext) { id } }"""


@pytest.mark.parametrize("bad", ["a\u0000b", "a\u0001b", "a\u001fb", "a\u007fb"])
def test_a_control_character_in_a_query_variable_is_invalid_input(live: Any, bad: str) -> None:
    response = live.gql("storefront", READ, ext=bad)
    assert response.status_code == 400, response.text
    assert "INVALID_INPUT" in response.text and "U+00" in response.text
    engine_alive(live)


@pytest.mark.parametrize("bad", ["a\u0000b", "x\ud800"])
def test_a_nul_in_a_mutation_variable_is_a_user_error_and_stores_nothing(
    live: Any, bad: str
) -> None:
    if "\ud800" in bad:  # a lone surrogate cannot be sent by httpx's encoder: raw JSON
        body = ('{"query": ' + json.dumps(CREATE) + ', "variables": {"ext": "x\\ud800"}}').encode()
        response = live.post(
            "/graphql", "storefront", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400 and "surrogate" in response.text, response.text
        return
    answer = live.gql("storefront", CREATE, ext=bad).json()
    payload = answer["data"]["orderCreate"]
    assert payload["order"] is None and payload["userErrors"][0]["code"] == "INVALID_INPUT"
    found = live.gql("storefront", READ, ext=bad.replace("\u0000", "")).json()
    assert found["data"]["orderByExternalId"] is None
    engine_alive(live)


def test_a_lone_surrogate_in_a_variable_is_refused(live: Any) -> None:
    body = ('{"query": ' + json.dumps(READ) + ', "variables": {"ext": "a\\ud800b"}}').encode()
    response = live.post(
        "/graphql", "storefront", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and "surrogate" in response.text, response.text


@pytest.mark.parametrize("escape", ["\\u0000", "\\u0001", "\\u007f"])
def test_a_control_character_in_a_query_literal_is_invalid_input(live: Any, escape: str) -> None:
    for read in (
        '{ order(id: "a' + escape + 'b") { id } }',
        '{ orderByExternalId(channel: "web", externalId: "a' + escape + 'b") { id } }',
    ):
        answer = live.post("/graphql", "storefront", json={"query": read})
        assert answer.status_code == 400, answer.text
        assert "INVALID_INPUT" in answer.text
    engine_alive(live)


def test_a_nul_in_a_mutation_literal_is_a_user_error(live: Any) -> None:
    document = CREATE.replace("externalId: $ext", 'externalId: "lit\\u0000nul"').replace(
        "($ext: String)", ""
    )
    answer = live.post("/graphql", "storefront", json={"query": document}).json()
    assert answer["data"]["orderCreate"]["userErrors"][0]["code"] == "INVALID_INPUT", answer
    engine_alive(live)


def test_ordinary_text_with_tabs_newlines_and_escaped_backslashes_still_works(live: Any) -> None:
    response = live.gql("storefront", CREATE, ext="ok\ttab\nline \\u0000 text é 😀")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["orderCreate"]["userErrors"] == []


def test_a_nul_in_a_channel_payload_is_a_4xx_not_a_500(live: Any) -> None:
    order = json.loads(
        (
            Path(__file__).parents[1]
            / "fixtures"
            / "channels"
            / "shopify_order_partially_refunded.json"
        ).read_text()
    )
    order["note"] = "gift\u0000wrap"
    raw = json.dumps(order).encode()  # the NUL travels as the JSON escape \u0000
    headers = {"Content-Type": "application/json", "X-Shopify-Topic": "orders/create"}
    response = live.post("/ingest/shopify", content=raw, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "INVALID_INPUT" and "NUL" in response.json()["reason"]
    raw_nul = raw.replace(b"\\u0000", b"\x00")  # a raw NUL byte
    assert live.post("/ingest/shopify", content=raw_nul, headers=headers).status_code == 422
    lone = raw.replace(b"\\u0000", b"\\udc00")
    answer = live.post("/ingest/shopify", content=lone, headers=headers)
    assert answer.status_code == 422 and "surrogate" in answer.text, answer.text
    amazon = live.post(
        "/ingest/amazon",
        "integration",
        content=b'{"AmazonOrderId": "1\\u0000"}',
        headers={"Content-Type": "application/json"},
    )
    assert amazon.status_code == 422, amazon.text
    engine_alive(live)


def test_a_nul_in_a_feed_is_a_4xx(live: Any) -> None:
    csv = b"location,sku,delta\nSTORE-SF,SKU-1,1\x00\n"
    response = live.post(
        "/feeds/inventory/delta", "admin", content=csv, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 422 and "NUL" in response.text, response.text
    doc = b'[{"location": "STORE-SF", "sku": "SKU-1\\u0000", "delta": 1}]'
    response = live.post(
        "/feeds/inventory/delta", "admin", content=doc, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    engine_alive(live)


# ---- #18: /metrics -------------------------------------------------------------------------------


def test_metrics_need_an_admin_key(live: Any) -> None:
    assert live.get("/metrics").status_code == 401
    assert live.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    for role in ("storefront", "partner", "integration"):
        assert live.get("/metrics", role).status_code == 403, role
    ok = live.get("/metrics", "admin")
    assert ok.status_code == 200 and "ordergraph_request_seconds" in ok.text
    for path in ("/healthz", "/readyz"):
        open_ = live.get(path)
        assert open_.status_code == 200 and set(open_.json()) <= {"status", "engine"}


# ---- servers with other settings -----------------------------------------------------------------


@pytest.fixture(scope="module")
def wide(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Bound to 0.0.0.0 with ORDERGRAPH_ENV unset, and a metrics token."""
    env = {
        "ORDERGRAPH_HOST": "0.0.0.0",
        "ORDERGRAPH_ENV": "",
        "ORDERGRAPH_METRICS_TOKEN": "scrape-token-0123456789",
    }
    server = LiveServer.start(engine.url, tmp_path_factory.mktemp("wide"), env=env)
    yield server
    server.stop()


def test_a_server_bound_beyond_loopback_defaults_to_production(wide: LiveServer) -> None:
    assert "environment: production" in wide.log()
    ide = wide.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in ide.text.lower()
    schema = wide.post("/graphql", "admin", json={"query": "{ __schema { types { name } } }"})
    assert "data" not in schema.json() or not schema.json().get("data"), schema.text
    unsigned = wide.post(
        "/ingest/shopify",
        content=b'{"id": 1}',
        headers={"Content-Type": "application/json", "X-Shopify-Topic": "orders/create"},
    )
    assert unsigned.status_code == 401, unsigned.text


def test_the_metrics_token_opens_metrics_only(wide: LiveServer) -> None:
    token = {"Authorization": "Bearer scrape-token-0123456789"}
    assert wide.get("/metrics", headers=token).status_code == 200
    assert wide.post("/graphql", headers=token, json={"query": TYPENAME}).status_code == 401


def test_loopback_without_env_is_development_and_says_so(live: Any) -> None:
    assert "environment: development" in live.log()


# ---- websockets: the same string rule ------------------------------------------------------------


def test_a_nul_in_a_websocket_subscription_closes_it_with_a_reason(live: Any) -> None:
    import asyncio

    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed
    from websockets.typing import Subprotocol

    follow = """subscription($orderId: ID) { orderEvents(orderId: $orderId) { id } }"""

    async def run() -> tuple[int | None, str]:
        url = live.url.replace("http://", "ws://") + "/graphql"
        async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
            await ws.send(
                json.dumps(
                    {
                        "type": "connection_init",
                        "payload": {"Authorization": f"Bearer {live.keys['storefront']}"},
                    }
                )
            )
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": follow, "variables": {"orderId": "OG-\u0000"}},
                    }
                )
            )
            try:
                message = await asyncio.wait_for(ws.recv(), 10)
                return None, str(message)
            except ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None, ""

    code, message = asyncio.run(run())
    assert code == 4400, (code, message)
    engine_alive(live)


async def test_a_document_with_an_escape_is_parsed_once_across_requests(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view's text check parses a document holding ``\\u`` escapes; it shares the guard's
    parse cache, so the document is parsed once in all, not once by each and per request."""
    from graphql.language.parser import Parser

    calls: list[str] = []
    original = Parser.parse_document

    def counting(self: Parser) -> Any:
        calls.append("parse")
        return original(self)

    monkeypatch.setattr(Parser, "parse_document", counting)
    query = '{ order(id: "parse-once-\\u00e9") { id } }'
    for _ in range(3):
        response = await client.post("/graphql", json={"query": query})
        assert response.status_code == 200, response.text
        assert response.json()["data"] == {"order": None}, response.text
    assert calls == ["parse"]
