"""The operations console in headless Chromium over a real ``ordergraph serve`` (issue #16): an
ops user finds an order by e-mail and reads its timeline; an ingestion failure (a channel order
POSTed to /ingest/{channel} over real HTTP, naming a SKU the network lacks) appears in the
exception queue without a reload, and once the SKU exists its replay clears it. Every console
page is photographed at phone and desktop width (artefacts, not committed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_ingest_http import body_of, shopify_headers, shopify_order
from tests.browser.conftest import graph_read, sign_in
from tests.console_live import console_server, failed_woo_order
from tests.live import LiveServer


@pytest.fixture(scope="module")
def live(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = console_server(engine.url, tmp_path_factory.mktemp("console"))
    yield server
    server.stop()


def placed_shopify_order(live: LiveServer) -> str:
    body = body_of(shopify_order())
    answer = live.post("/ingest/shopify", content=body, headers=shopify_headers(body))
    assert answer.status_code in (200, 201), answer.text
    assert answer.json()["status"] == "placed", answer.text
    return str(answer.json()["orderId"])


def history(live: LiveServer, days: int = 6) -> None:
    """Orders placed over the last days (an integration key may backdate), some split, most
    shipped and delivered: the KPI charts have something to draw."""
    now = datetime.now(UTC)
    for n in range(1, days + 1):
        lines = [{"sku": "SKU-1", "quantity": 1}] + (
            [{"sku": "SKU-4", "quantity": 1}] if n % 2 else []
        )
        made = live.gql(
            "integration",
            "mutation($i: OrderCreateInput!) { orderCreate(input: $i) { order {"
            " fulfillments { id } } userErrors { message } } }",
            i={
                "channel": "web",
                "lines": lines,
                "shipTo": {"postalCode": "94105", "country": "US"},
                "placedAt": (now - timedelta(days=n, hours=2)).isoformat(),
            },
        ).json()["data"]["orderCreate"]
        assert made["order"], made
        if n == 1:
            continue  # one still open
        for f in made["order"]["fulfillments"]:
            for field, extra in (
                ("fulfillmentRelease", {}),
                ("fulfillmentShip", {"trackingNumber": f"1Z{n}"}),
                ("fulfillmentDeliver", {}),
            ):
                done = live.gql(
                    "integration",
                    f"mutation($i: {field[0].upper()}{field[1:]}Input!) {{ {field}(input: $i)"
                    " { userErrors { message } } }",
                    i={"fulfillmentId": f["id"], **extra},
                ).json()["data"][field]
                assert not done["userErrors"], done


def test_an_ops_user_finds_an_order_by_email_and_reads_its_timeline(
    live: LiveServer, desktop: Any, phone: Any, shot: Callable[[Any, str], Path]
) -> None:
    order_id = placed_shopify_order(live)
    history(live)
    other = live.gql(
        "storefront",
        "mutation($i: OrderCreateInput!) { orderCreate(input: $i) { order { id } } }",
        i={
            "channel": "web",
            "lines": [{"sku": "SKU-2", "quantity": 1}],
            "shipTo": {"postalCode": "94107", "country": "US", "name": "B. Neighbour"},
        },
    )
    assert other.json()["data"]["orderCreate"]["order"], other.text
    for page in (desktop, phone):
        sign_in(page, live, "admin", "/console")
        shot(page, "console-overview")
        page.click("nav.tabs >> text=Orders")
        page.fill("#q", "ADA@example.com")
        page.click("form.search button[type=submit]")
        page.wait_for_url(f"{live.url}/console/orders/{order_id}")
        assert page.locator("h1").inner_text() == f"Order {order_id}"
        timeline = page.locator("ol.timeline li")
        assert timeline.count() >= 1
        assert page.locator("ol.timeline [data-event=OrderCreated]").count() == 1
        assert "ada@example.com" in page.locator("dl.facts").inner_text()
        fulfillments = page.locator("[data-fulfillment]")
        assert fulfillments.count() >= 1 and "open" in fulfillments.first.inner_text().lower()
        assert page.locator("ol.explain li").count() >= 1  # the routing explanation
        shot(page, "console-order")
        for path, name in (
            ("/console/map", "console-map"),
            ("/console/kpis", "console-kpis"),
            ("/console/orders?q=94107", "console-search"),
        ):
            page.goto(f"{live.url}{path}")
            shot(page, name)
        results = page.locator("ul.results li")
        assert results.count() == 2 and order_id in " ".join(results.all_inner_texts())

    # re-route its fulfillment from the order page: the page shows it without a reload
    desktop.goto(f"{live.url}/console/orders/{order_id}")
    (first,) = graph_read(
        live,
        "MATCH (:Order {id: $id})-[:HAS_FULFILLMENT]->(f:Fulfillment) RETURN f.id AS id",
        id=order_id,
    )
    desktop.locator(f"[data-fulfillment='{first['id']}'] button").click()
    desktop.locator(f"[data-fulfillment='{first['id']}'] .status-rejected").wait_for()
    events = desktop.locator("ol.timeline li").all_inner_texts()
    assert any("FulfillmentRejected" in e for e in events), events
    (row,) = graph_read(
        live, "MATCH (f:Fulfillment {id: $id}) RETURN f.status AS status", id=first["id"]
    )
    assert row["status"] == "REJECTED"
    shot(desktop, "console-order-rerouted")


def test_an_ingestion_failure_appears_live_and_its_replay_clears_it(
    live: LiveServer, desktop: Any, phone: Any, shot: Callable[[Any, str], Path]
) -> None:
    waiting = live.gql(
        "integration",
        "mutation($i: OrderCreateInput!) { orderCreate(input: $i) { order { id status } } }",
        i={
            "channel": "web",
            "lines": [{"sku": "SKU-4", "quantity": 500}],  # more than the network holds
            "shipTo": {"postalCode": "94105", "country": "US"},
            "placedAt": (datetime.now(UTC) - timedelta(hours=30)).isoformat(),
        },
    ).json()["data"]["orderCreate"]["order"]
    assert waiting["status"] in ("PARTIALLY_ALLOCATED", "BACKORDERED"), waiting
    sign_in(desktop, live, "admin", "/console")
    sign_in(phone, live, "integration", "/console")  # an ops (integration) key
    for page in (desktop, phone):
        page.click("nav.tabs >> text=Exceptions")
        page.wait_for_url(f"{live.url}/console/exceptions")
        page.wait_for_timeout(1500)  # the event stream is open
        page.evaluate("window.__notReloaded = true")
    before = desktop.locator("[data-failure]").count()

    failure_id = failed_woo_order(live)  # TEA-SAMPLER-3 is not in the network

    for page in (desktop, phone):
        card = page.locator(f"[data-failure='{failure_id}']")
        card.wait_for(timeout=15_000)  # pushed by the server, no reload
        assert page.evaluate("window.__notReloaded") is True
        assert "TEA-SAMPLER-3" in card.inner_text() and "create the SKU" in card.inner_text()
        shot(page, "console-exceptions")
    assert desktop.locator("[data-failure]").count() == before + 1
    assert desktop.locator(f"#backorders [data-backorder='{waiting['id']}']").count() == 1

    # a replay before the fix fails again, and says why
    desktop.locator(f"[data-failure='{failure_id}'] button").click()
    desktop.locator("#notice .error").wait_for()
    assert "failed again" in desktop.locator("#notice").inner_text()

    made = live.gql(
        "admin",
        "mutation($i: SkuInput!) { skuUpsert(input: $i) { userErrors { message } } }",
        i={"id": "TEA-SAMPLER-3", "name": "Tea sampler", "weightKg": 0.3},
    )
    assert made.status_code == 200 and not made.json()["data"]["skuUpsert"]["userErrors"]

    phone.locator(f"[data-failure='{failure_id}'] button").click()  # the integration key
    notice = phone.locator("#notice p.ok")
    notice.wait_for()
    assert f"{failure_id} replayed: placed" in notice.inner_text()
    assert phone.locator(f"[data-failure='{failure_id}']").count() == 0
    desktop.locator(f"[data-failure='{failure_id}']").wait_for(state="detached")  # live, too
    (row,) = graph_read(
        live, "MATCH (f:IngestionFailure {id: $id}) RETURN f.status AS status", id=failure_id
    )
    assert row["status"] == "RESOLVED"
    placed = graph_read(
        live,
        "MATCH (o:Order {channel: 'woocommerce'})-[:HAS_LINE]->(l:OrderLine {sku: $sku}) "
        "RETURN o.id AS id",
        sku="TEA-SAMPLER-3",
    )
    assert len(placed) == 1


def test_an_ops_user_simulates_a_policy_and_reads_the_report(
    live: LiveServer, desktop: Any, phone: Any, shot: Callable[[Any, str], Path]
) -> None:
    from tests.e2e.test_console_sandbox import WINDOW, place_orders

    orders = place_orders(live)
    sign_in(desktop, live, "integration", "/console")  # an ops key
    desktop.click("nav.tabs >> text=Sandbox")
    desktop.select_option("#policy", "FASTEST")
    desktop.select_option("#baseline", "CHEAPEST")
    desktop.fill("#from", WINDOW["from"])
    desktop.fill("#to", WINDOW["to"])
    desktop.click("#start-run button[type=submit]")
    desktop.wait_for_url(f"{live.url}/console/simulations/*")
    desktop.locator("#run-status", has_text="done").wait_for(timeout=30_000)  # polled live
    assert desktop.locator("#orders").inner_text() == str(len(orders))
    assert desktop.locator("#kpis tr[data-kpi]").count() >= 4
    assert desktop.locator("article.changed").count() >= 1
    report = desktop.url
    shot(desktop, "console-simulation")
    sign_in(phone, live, "admin", "/console")
    phone.goto(report)
    assert phone.locator("#run-status").inner_text() == "done"
    shot(phone, "console-simulation")
    phone.goto(f"{live.url}/console/simulations")
    shot(phone, "console-simulations")
