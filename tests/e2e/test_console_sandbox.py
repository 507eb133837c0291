"""The console's routing sandbox over real HTTP (issue #16): an ops user starts a run from the
form (with the session's CSRF token, as a browser sends it) and reads its report page; the
KPIs and changed orders on it are the numbers ``routingSimulation(id)`` returns over GraphQL.
A POST without the token is refused and a partner's session cannot open the sandbox."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ordergraph.web.console.views import kpi_value, signed
from tests.console_live import console_server
from tests.e2e.test_console_security import _close_clients, console_session  # noqa: F401
from tests.e2e.test_web_security import signed_in
from tests.live import LiveServer

PLACED = "2026-11-23T17:00:00Z"  # a Monday morning in San Francisco, before every cut-off
WINDOW = {"from": "2026-11-23T00:00", "to": "2026-11-24T00:00"}
READ = """query($id: ID!) { routingSimulation(id: $id) { id status done total report {
  orders changed policy baseline passed deltas { kpi value baseline delta }
  changedOrders(first: 100) { order plan { shipments { location { id } carrier service }
    promisedBy } baselinePlan { shipments { location { id } carrier service } promisedBy } }
} } }"""


@pytest.fixture(scope="module")
def live(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = console_server(engine.url, tmp_path_factory.mktemp("console-sandbox"))
    yield server
    server.stop()


def place_orders(live: LiveServer) -> list[str]:
    made = []
    for sku, quantity, postal in (
        ("SKU-1", 2, "94107"),
        ("SKU-2", 1, "10001"),
        ("SKU-5", 1, "94107"),
        ("SKU-1", 1, "60601"),
    ):
        answer = live.gql(
            "integration",
            "mutation($i: OrderCreateInput!) { orderCreate(input: $i) { order { id } "
            "userErrors { message } } }",
            i={
                "channel": "web",
                "lines": [{"sku": sku, "quantity": quantity}],
                "shipTo": {"postalCode": postal, "country": "US"},
                "placedAt": PLACED,
            },
        ).json()["data"]["orderCreate"]
        assert not answer["userErrors"], answer
        made.append(str(answer["order"]["id"]))
    return made


def finished(live: LiveServer, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = live.gql("admin", READ, id=run_id).json()["data"]["routingSimulation"]
        if found["status"] != "RUNNING":
            return dict(found)
        time.sleep(0.1)
    raise AssertionError("the run did not finish")


def cell(page: str, kpi: str, side: str) -> str:
    found = re.search(
        rf'<tr data-kpi="{kpi}">.*?<td data-side="{side}">(.*?)</td>', page, re.DOTALL
    )
    assert found, f"no {side} cell for {kpi}"
    return html.unescape(found.group(1)).strip()


def test_a_run_started_from_the_form_reports_what_the_api_reports(live: LiveServer) -> None:
    orders = place_orders(live)
    client, token = console_session(live, "integration")  # an ops key
    listing = client.get("/console/simulations")
    assert listing.status_code == 200, listing.text
    assert "FASTEST" in listing.text and "CHEAPEST" in listing.text  # what can be simulated
    started = client.post(
        "/console/simulations",
        data={"csrf": token, "policy": "FASTEST", "baseline": "CHEAPEST", **WINDOW},
    )
    assert started.status_code == 303, started.text
    run_id = started.headers["location"].rsplit("/", 1)[1]
    api = finished(live, run_id)
    assert api["status"] == "DONE" and api["done"] == api["total"] == 2 * len(orders)
    report = api["report"]
    assert report["orders"] == len(orders) and report["changed"] >= 1, report

    page = client.get(f"/console/simulations/{run_id}").text
    assert 'hx-trigger="every 1s"' not in page  # done: no more polling
    assert re.search(rf'id="orders">{report["orders"]}<', page)
    assert re.search(rf'id="changed">{report["changed"]}<', page)
    assert f"{api['done']}/{api['total']}" in page
    for d in report["deltas"]:
        assert cell(page, d["kpi"], "policy") == kpi_value(d["kpi"], d["value"]), d
        assert cell(page, d["kpi"], "baseline") == kpi_value(d["kpi"], d["baseline"]), d
        assert cell(page, d["kpi"], "delta") == signed(d["kpi"], d["delta"]), d
    assert cell(page, "orders", "policy") == str(report["orders"])
    shown = re.findall(r'<article class="card changed" data-order="([^"]+)"', page)
    assert shown == [c["order"] for c in report["changedOrders"]]
    for changed in report["changedOrders"]:
        assert changed["order"] in orders
        assert f'href="/console/orders/{changed["order"]}"' in page
        block = page.split(f'data-order="{changed["order"]}"', 1)[1].split("</article>", 1)[0]
        for plan in (changed["plan"], changed["baselinePlan"]):
            for s in plan["shipments"]:
                assert s["location"]["id"] in block and f"{s['carrier']} {s['service']}" in block
            if plan["promisedBy"]:
                assert plan["promisedBy"] in block
    listed = client.get("/console/simulations").text
    assert f'data-run="{run_id}"' in listed.split('id="runs"', 1)[1]


def test_bad_input_is_a_clear_422_on_the_form(live: LiveServer) -> None:
    client, token = console_session(live, "admin")
    answer = client.post(
        "/console/simulations",
        data={"csrf": token, "policy": "FASTEST", "from": "yesterday", "to": WINDOW["to"]},
    )
    assert answer.status_code == 422 and "from must be a date and time" in answer.text
    unknown = client.post(
        "/console/simulations", data={"csrf": token, "policy": "NO-SUCH-POLICY", **WINDOW}
    )
    assert unknown.status_code == 422 and "NO-SUCH-POLICY" in unknown.text, unknown.text


def test_a_post_without_csrf_starts_nothing(live: LiveServer) -> None:
    client, _ = console_session(live, "admin")
    before = client.get("/console/simulations").text.count("data-run=")
    refused = client.post("/console/simulations", data={"policy": "FASTEST", **WINDOW})
    assert refused.status_code == 403, refused.text
    assert client.get("/console/simulations").text.count("data-run=") == before


def test_a_partner_session_cannot_open_the_sandbox(live: LiveServer) -> None:
    client, token = signed_in(live, "partner")
    for path in ("/console/simulations", "/console/simulations/ANY"):
        assert client.get(path).status_code == 403
    posted = client.post(
        "/console/simulations", data={"csrf": token, "policy": "FASTEST", **WINDOW}
    )
    assert posted.status_code == 403


def test_an_unknown_run_is_a_404(live: LiveServer) -> None:
    client, _ = console_session(live, "admin")
    answer = client.get("/console/simulations/NOPE")
    assert answer.status_code == 404 and "no sandbox run NOPE" in answer.text
