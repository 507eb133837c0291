"""The console's actions over real HTTP, checked in the graph (issue #16): retry delivery of a
dead-lettered webhook, cancel a backorder's units, allocate backorders once stock arrives. Each
is a form with the session's CSRF token, as a browser sends it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.console_live import ENV, graph
from tests.e2e.test_console_security import _close_clients, console_session  # noqa: F401
from tests.live import LiveServer, free_port

FAST_WEBHOOKS = {
    "ORDERGRAPH_WEBHOOK_POLL_MS": "50",
    "ORDERGRAPH_WEBHOOK_MAX_ATTEMPTS": "1",
    "ORDERGRAPH_WEBHOOK_ALLOW_PRIVATE": "127.0.0.0/8",
}


@pytest.fixture(scope="module")
def live(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer.start(
        engine.url, tmp_path_factory.mktemp("console-actions"), env={**ENV, **FAST_WEBHOOKS}
    )
    yield server
    server.stop()


def backorder(live: LiveServer, sku: str, quantity: int) -> str:
    made = live.gql(
        "integration",
        "mutation($i: OrderCreateInput!) { orderCreate(input: $i) { order { id } } }",
        i={
            "channel": "web",
            "lines": [{"sku": sku, "quantity": quantity}],
            "shipTo": {"postalCode": "94105", "country": "US"},
            "placedAt": (datetime.now(UTC) - timedelta(hours=30)).isoformat(),
        },
    ).json()["data"]["orderCreate"]["order"]
    return str(made["id"])


def line(live: LiveServer, order_id: str) -> dict[str, Any]:
    found = live.gql(
        "admin",
        "query($id: ID!) { order(id: $id) { status lines { sku quantity } "
        "fulfillments { status lines { sku quantity } } } }",
        id=order_id,
    ).json()["data"]["order"]
    return dict(found)


def test_a_dead_lettered_webhook_is_delivered_again_from_the_queue(live: LiveServer) -> None:
    closed = f"http://127.0.0.1:{free_port()}/hook"  # nobody listens: every attempt fails
    made = live.gql(
        "admin",
        "mutation($i: WebhookSubscriptionCreateInput!) { webhookSubscriptionCreate(input: $i)"
        " { userErrors { message } } }",
        i={"url": closed, "secret": "s" * 20, "eventTypes": ["OrderCreated"]},
    ).json()["data"]["webhookSubscriptionCreate"]
    assert not made["userErrors"], made
    order_id = backorder(live, "SKU-1", 1)
    deadline = time.monotonic() + 20
    dead: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not dead:
        edges = live.gql("admin", "{ webhookDeadLetters { edges { node { id orderId } } } }")
        dead = [
            e["node"]
            for e in edges.json()["data"]["webhookDeadLetters"]["edges"]
            if e["node"]["orderId"] == order_id
        ]
        time.sleep(0.2)
    assert dead, "the delivery never became a dead letter"
    delivery_id = dead[0]["id"]

    admin, token = console_session(live, "admin")
    queue = admin.get("/console/exceptions/list", headers={"hx-request": "true"})
    assert f'data-delivery="{delivery_id}"' in queue.text and "Retry delivery" in queue.text
    done = admin.post(
        f"/console/webhooks/{delivery_id}/replay",
        data={"csrf": token},
        headers={"hx-request": "true"},
    )
    assert done.status_code == 200 and "will be delivered again" in done.text, done.text
    (row,) = graph(live, "MATCH (d:Delivery {id: $id}) RETURN d.replays AS replays", id=delivery_id)
    assert row["replays"] == 1  # back to READY with fresh attempts, as webhookDeadLetterReplay


def test_cancelling_a_backorders_units_and_allocating_once_stock_arrives(
    live: LiveServer,
) -> None:
    ops, token = console_session(live, "integration")
    cancelled = backorder(live, "SKU-4", 500)
    before = line(live, cancelled)
    held = sum(
        s["quantity"] for f in before["fulfillments"] if f["status"] == "OPEN" for s in f["lines"]
    )
    waiting = 500 - held
    page = ops.get("/console/exceptions")
    assert f'data-backorder="{cancelled}"' in page.text
    done = ops.post(
        f"/console/orders/{cancelled}/cancel",
        data={"csrf": token, "sku": "SKU-4", "quantity": str(waiting)},
        headers={"hx-request": "true"},
    )
    assert done.status_code == 200 and f"cancelled {waiting} x SKU-4" in done.text, done.text
    assert f'data-backorder="{cancelled}"' not in done.text  # the queue it answers with
    after = line(live, cancelled)
    assert after["status"] != "BACKORDERED" and after["lines"][0]["quantity"] == 500

    served = backorder(live, "SKU-4", 30)  # the first order holds every SKU-4 there is
    # stock arrives behind the OMS's back (no follow-up of ours runs): the action allocates it
    graph(
        live,
        "MATCH (:Location {id: 'DC-NEWARK'})-[s:STOCKS]->(:Sku {id: 'SKU-4'}) "
        "SET s.onHand = s.onHand + 100 RETURN s.onHand AS onHand",
        write=True,
    )
    assert f'data-backorder="{served}"' in ops.get("/console/exceptions").text
    done = ops.post("/console/backorders/allocate", data={"csrf": token, "sku": "SKU-4"})
    assert done.status_code == 303  # a plain form: back to the queue
    now = line(live, served)
    shipped = sum(s["quantity"] for f in now["fulfillments"] for s in f["lines"])
    assert shipped == 30, now
    page = ops.get("/console/exceptions")
    assert f'data-backorder="{served}"' not in page.text
