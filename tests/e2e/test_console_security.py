"""The operations console's security over real HTTP (issue #16): who signs in, the same
operation checks as the GraphQL mutations for every action, CSRF on every action, a store
session cannot reach the console, and the console is off in production unless switched on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.console_live import console_server, failed_woo_order
from tests.e2e.test_web_security import browser, csrf_of, signed_in
from tests.live import LiveServer


@pytest.fixture(scope="module")
def live(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = console_server(engine.url, tmp_path_factory.mktemp("console-security"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    from tests.e2e.test_web_security import _open

    yield
    while _open:
        _open.pop().close()


def console_session(live: LiveServer, key_name: str) -> tuple[httpx.Client, str]:
    client = browser(live)
    token = csrf_of(client.get("/web/signin?app=console"))
    done = client.post(
        "/web/signin", data={"csrf": token, "app": "console", "key": live.keys[key_name]}
    )
    assert done.status_code == 303 and done.headers["location"] == "/console", done.text
    page = client.get("/console/exceptions")
    assert page.status_code == 200, page.text
    return client, csrf_of(page)


def failure(live: LiveServer, failure_id: str) -> dict[str, Any]:
    rows = live.gql(
        "admin", "{ ingestionFailures(first: 50) { edges { node { id status attempts } } } }"
    ).json()["data"]["ingestionFailures"]["edges"]
    (found,) = [e["node"] for e in rows if e["node"]["id"] == failure_id]
    return dict(found)


@pytest.mark.parametrize("key_name", ["storefront", "partner"])
def test_storefront_and_partner_keys_cannot_sign_in_to_the_console(
    live: LiveServer, key_name: str
) -> None:
    client = browser(live)
    token = csrf_of(client.get("/web/signin?app=console"))
    answer = client.post(
        "/web/signin", data={"csrf": token, "app": "console", "key": live.keys[key_name]}
    )
    assert answer.status_code == 403 and f"this is a {key_name} key" in answer.text
    assert client.get("/console/exceptions").status_code == 303  # to sign in, still
    assert client.get("/console/live").status_code == 303


def test_a_store_session_cannot_open_the_console_by_url(live: LiveServer) -> None:
    client, token = signed_in(live, "partner")
    for path in ("/console", "/console/exceptions", "/console/orders?q=94107", "/console/live"):
        answer = client.get(path)
        assert answer.status_code == 403 and "partner key" in answer.text, path
    acted = client.post("/console/backorders/allocate", data={"csrf": token, "sku": "SKU-1"})
    assert acted.status_code == 403


def test_a_console_action_without_its_csrf_token_is_refused_and_changes_nothing(
    live: LiveServer,
) -> None:
    failure_id = failed_woo_order(live)
    before = failure(live, failure_id)
    client, token = console_session(live, "admin")
    path = f"/console/ingestion/{failure_id}/replay"
    missing = client.post(path, data={})
    assert missing.status_code == 403 and "CSRF" in missing.text and "missing" in missing.text
    other = csrf_of(browser(live).get("/web/signin?app=console"))
    wrong = client.post(path, data={"csrf": other}, headers={"hx-request": "true"})
    assert wrong.status_code == 403 and "wrong or expired" in wrong.text
    assert failure(live, failure_id) == before  # not even attempted
    done = client.post(path, data={"csrf": token})  # with it: attempted (and fails again)
    assert done.status_code == 422 and "failed again" in done.text
    assert failure(live, failure_id)["attempts"] == before["attempts"] + 1


def test_each_action_asks_for_the_operation_the_graphql_mutation_needs(
    live: LiveServer,
) -> None:
    ops, token = console_session(live, "integration")  # the ops team's integration key
    refused = ops.post("/console/webhooks/some-delivery/replay", data={"csrf": token})
    assert refused.status_code == 403
    assert "may not use webhookDeadLetterReplay" in refused.text  # admin only, as in GraphQL
    admin, admin_token = console_session(live, "admin")
    unknown = admin.post("/console/webhooks/some-delivery/replay", data={"csrf": admin_token})
    assert unknown.status_code == 404 and "not a dead letter" in unknown.text
    gone = ops.post("/console/fulfillments/NO-SUCH-F1/reroute", data={"csrf": token})
    assert gone.status_code == 404


@pytest.mark.parametrize(
    ("env", "served"),
    [
        ({"ORDERGRAPH_ENV": "production"}, False),
        ({"ORDERGRAPH_ENV": "production", "ORDERGRAPH_CONSOLE": "on"}, True),
    ],
)
def test_the_console_is_off_in_production_unless_switched_on(
    engine: Any, tmp_path_factory: pytest.TempPathFactory, env: dict[str, str], served: bool
) -> None:
    server = LiveServer.start(engine.url, tmp_path_factory.mktemp("console-prod"), env=env)
    try:
        for path in ("/console", "/console/exceptions", "/console/live"):
            answer = httpx.get(f"{server.url}{path}", timeout=10)
            assert answer.status_code == (303 if served else 404), (path, answer.text)
        posted = httpx.post(f"{server.url}/console/backorders/allocate", timeout=10)
        assert posted.status_code == (403 if served else 404)  # on: no CSRF token
        assert httpx.get(f"{server.url}/store/STORE-SF", timeout=10).status_code == 303
    finally:
        server.stop()
