"""The store fulfilment app in headless Chromium (issue #16): an associate signs in, picks an
order short by one unit (only that unit is re-routed, in the graph, and the page says so),
takes a pickup order to the counter and hands it over, loses a race to a colleague and is told
why, and receives a return in store. Screenshots of each page at phone and desktop width."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, graph_read, sign_in
from tests.browser.store_setup import SF, delivered, place, stores_first

Shot = Callable[[Any, str], Path]
STORE = "/store/STORE-SF"


@pytest.fixture(scope="module", autouse=True)
def _network(live: Any) -> None:
    stores_first(live)


def _lines(live: Any, order_id: str) -> list[dict[str, Any]]:
    return graph_read(
        live,
        "MATCH (:Order {id: $id})-[:HAS_FULFILLMENT]->(f:Fulfillment)-[sh:SHIPS]->(ol:OrderLine) "
        "MATCH (f)-[:FROM]->(l:Location) "
        "RETURN l.id AS location, f.status AS status, sh.quantity AS units ORDER BY f.id",
        id=order_id,
    )


def _on_hand(live: Any, location: str, sku: str) -> int:
    (row,) = graph_read(
        live,
        "MATCH (:Location {id: $l})-[s:STOCKS]->(:Sku {id: $k}) RETURN s.onHand AS n",
        l=location,
        k=sku,
    )
    return int(row["n"])


def test_an_associate_picks_short_by_one_and_only_that_unit_is_rerouted(
    live: Any, phone: Any, desktop: Any, shot: Shot
) -> None:
    order_id, fid = place(live, "SKU-1", 3, **SF)
    held = _on_hand(live, "STORE-SF", "SKU-1")
    sign_in(phone, live, "partner", STORE)
    item = phone.locator(f"[data-fulfillment='{fid}']")
    assert "SHIP" in item.inner_text() and "Start picking" in item.inner_text()
    shot(phone, "store-queue")
    sign_in(desktop, live, "partner", STORE)
    shot(desktop, "store-queue")

    item.click()
    phone.click("button:has-text('Start picking')")
    assert "Picking started" in phone.locator("#note").inner_text()
    shot(phone, "store-pick-list")
    line = phone.locator("li[data-line='SKU-1']")
    line.locator("summary").click()
    line.locator("input[name=found]").fill("2")
    line.locator("select[name=reason]").select_option("MISSING")
    shot(phone, "store-short-form")
    line.locator("button", has_text="Record short pick").click()

    note = phone.locator("#note").inner_text()
    assert "1 x SKU-1 missing" in note and "1 re-routed to another location" in note
    assert "STORE-OAKLAND" not in note  # a partner is not shown where other work went
    shot(phone, "store-short-picked")
    assert _lines(live, order_id) == [
        {"location": "STORE-SF", "status": "RELEASED", "units": 2},
        {"location": "STORE-OAKLAND", "status": "OPEN", "units": 1},
    ]
    assert _on_hand(live, "STORE-SF", "SKU-1") == held - 1  # the missing unit left on-hand

    desktop.goto(f"{live.url}{STORE}/f/{fid}")  # the 2 found are the line's pick: pack next
    desktop.click("button[name=boxes][value='2']")
    assert "Packed in 2 boxes" in desktop.locator("#note").inner_text()
    desktop.fill("#tracking", "1Z999AA10123456784")
    desktop.fill("#carrier", "UPS")
    shot(desktop, "store-ship")
    desktop.click("button:has-text('Ship')")
    assert "Shipped" in desktop.locator("#note").inner_text()
    assert _lines(live, order_id)[0]["status"] == "SHIPPED"


def test_ready_for_pickup_then_hand_over_at_the_counter(
    live: Any, phone: Any, desktop: Any, shot: Shot
) -> None:
    order_id, fid = place(live, "SKU-2", 1, pickupAt="STORE-SF", pickupName="Ada Lovelace")
    sign_in(phone, live, "partner", STORE)
    phone.goto(f"{live.url}{STORE}/f/{fid}")
    assert "PICKUP" in phone.locator("section.card").first.inner_text()
    phone.click("button:has-text('Start picking')")
    phone.click("button:has-text('Found all 1')")
    assert "Line confirmed" in phone.locator("#note").inner_text()
    shot(phone, "store-pack")
    phone.click("button[name=boxes][value='1']")
    phone.click("button:has-text('Ready for pickup')")
    assert "customer is told" in phone.locator("#note").inner_text()
    kinds = [
        r["t"]
        for r in graph_read(
            live, "MATCH (:Order {id: $id})-[:HAS_EVENT]->(e:Event) RETURN e.type AS t", id=order_id
        )
    ]
    assert "FulfillmentReadyForPickup" in kinds  # the customer event
    shot(phone, "store-counter")

    phone.fill("#order", order_id)
    phone.fill("#name", "Grace Hopper")
    phone.click("button:has-text('Hand over')")
    assert "name does not match" in phone.locator("#error").inner_text()
    shot(phone, "store-counter-refused")
    phone.fill("#order", order_id.lower())
    phone.fill("#name", "ada lovelace")
    phone.click("button:has-text('Hand over')")
    assert "Handed over" in phone.locator("#note").inner_text()
    assert _lines(live, order_id) == [{"location": "STORE-SF", "status": "DELIVERED", "units": 1}]
    shot(phone, "store-handed-over")
    sign_in(desktop, live, "partner", STORE)
    desktop.goto(f"{live.url}{STORE}/f/{fid}")
    shot(desktop, "store-handed-over")


def test_the_second_associate_to_start_an_order_is_told_someone_else_has_it(
    live: Any, phone: Any, browser: Any, shot: Shot
) -> None:
    _, fid = place(live, "SKU-1", 1, **SF)
    colleague = browser.new_context(viewport=DESKTOP).new_page()
    try:
        for page in (phone, colleague):
            sign_in(page, live, "partner", STORE)
            page.goto(f"{live.url}{STORE}/f/{fid}")
        phone.click("button:has-text('Start picking')")
        colleague.click("button:has-text('Start picking')")
        assert "Someone else already started this order" in colleague.locator("#error").inner_text()
        shot(colleague, "store-race-lost")
    finally:
        colleague.context.close()


def test_the_queue_shows_new_work_without_a_reload(live: Any, phone: Any) -> None:
    sign_in(phone, live, "partner", STORE)
    phone.wait_for_timeout(500)  # the event stream is open
    _, fid = place(live, "SKU-1", 1, **SF)
    phone.locator(f"[data-fulfillment='{fid}']").wait_for(timeout=10_000)


def test_a_return_is_received_in_store_with_its_disposition(
    live: Any, phone: Any, desktop: Any, shot: Shot
) -> None:
    order_id, fid = place(live, "SKU-2", 1, pickupAt="STORE-SF", pickupName="Ada Lovelace")
    delivered(live, fid)
    created = live.gql(
        "admin",
        'mutation($o: ID!) { returnCreate(input: {orderId: $o, lines: [{sku: "SKU-2", '
        'quantity: 1}], reason: "too small", dropOffAt: "STORE-SF"}) '
        "{ return { id location { id } } userErrors { message } } }",
        o=order_id,
    ).json()["data"]["returnCreate"]
    assert created["userErrors"] == [] and created["return"]["location"]["id"] == "STORE-SF"
    rid = created["return"]["id"]
    sign_in(phone, live, "partner", STORE)
    phone.click("text=Returns")
    card = phone.locator(f"[data-return='{rid}']")
    assert "too small" in card.inner_text()
    shot(phone, "store-returns")
    sign_in(desktop, live, "partner", f"{STORE}/returns")
    shot(desktop, "store-returns")
    card.locator("select").select_option("RESTOCK")
    card.locator("button:has-text('Receive')").click()
    assert f"Return {rid}: 1 unit(s) received" in phone.locator("#note").inner_text()
    (row,) = graph_read(live, "MATCH (r:Return {id: $id}) RETURN r.status AS s", id=rid)
    assert row["s"] == "RECEIVED"
    shot(phone, "store-return-received")
