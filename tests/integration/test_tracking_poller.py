"""The tracking poller (#17) for carrier accounts without webhooks, against a local EasyPost in
poll mode: a late-delivery sequence polled over several ticks moves the promise once and ends
delivered, through the webhook's own path; a carrier that errors never stops the loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from ordergraph.app import create_app
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.carrier_rates import carrier_accounts
from ordergraph.services.carrier_tracking import TrackingPoller, poll_tracking
from ordergraph.settings import Settings
from tests.bounds import CARRIER_SLACK_S
from tests.carrier_server import FakeEasyPost, easypost_server
from tests.conftest import GraphQLClient

CREATE = """mutation($ext: String!) { orderCreate(input: {channel: "web", externalId: $ext,
  lines: [{sku: "SKU-1", quantity: 2}], placedAt: "2026-03-02T15:00:00Z",
  shipTo: {postalCode: "94105", country: "US"}}) {
  order { id promisedBy fulfillments { id estimatedDelivery } } userErrors { code } } }"""
BUY = """mutation($id: ID!, $carrier: String) { fulfillmentLabelBuy(input: {fulfillmentId: $id,
  carrier: $carrier}) { fulfillment { trackingNumber } userErrors { message } } }"""
RELEASE = """mutation($id: ID!) { fulfillmentRelease(input: {fulfillmentId: $id}) {
  userErrors { message } } }"""
SHIP = """mutation($id: ID!, $t: String!) { fulfillmentShip(input: {fulfillmentId: $id,
  trackingNumber: $t}) { userErrors { message } } }"""
ORDER = """query($id: ID!) { order(id: $id) { status promisedBy originalPromisedBy
  fulfillments { status estimatedDelivery } events { type } } }"""
LOOP_DEADLINE_S = 10.0


def poll_account(name: str, fake: FakeEasyPost, every_s: int = 60) -> dict[str, str]:
    upper = name.upper()
    return {
        f"ORDERGRAPH_CARRIER_{upper}_API_KEY": fake.api_key,
        f"ORDERGRAPH_CARRIER_{upper}_URL": fake.url,
        f"ORDERGRAPH_CARRIER_{upper}_KIND": "easypost",
        f"ORDERGRAPH_CARRIER_{upper}_TRACKING": "poll",
        f"ORDERGRAPH_CARRIER_{upper}_POLL_S": str(every_s),
    }


def quick(fakes: dict[str, FakeEasyPost], *names: str) -> Settings:
    """Polled accounts asked every second, by a loop that wakes every 50 ms."""
    env = {"ORDERGRAPH_AUTH": "off", "ORDERGRAPH_CARRIER_POLL_TICK_MS": "50"}
    for name in names:
        env.update(poll_account(name, fakes[name], every_s=1))
    return Settings.from_env(env)


@asynccontextmanager
async def app_client(store: FalkorStore, settings: Settings) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, store=store)),
        base_url="http://ordergraph.test",
    ) as http:
        yield GraphQLClient(http)


async def shipped(gql: GraphQLClient, ext: str, account: str | None = None) -> dict[str, Any]:
    """An order whose one fulfillment has a label from ``account`` and is shipped with it."""
    order = (await gql(CREATE, ext=ext))["orderCreate"]["order"]
    [f] = order["fulfillments"]
    bought = (await gql(BUY, id=f["id"], carrier=account))["fulfillmentLabelBuy"]
    assert bought["userErrors"] == []
    tracking = bought["fulfillment"]["trackingNumber"]
    assert (await gql(RELEASE, id=f["id"]))["fulfillmentRelease"]["userErrors"] == []
    assert (await gql(SHIP, id=f["id"], t=tracking))["fulfillmentShip"]["userErrors"] == []
    return {**order, "tracking": tracking, "fulfillment": f}


async def tracking_state(store: FalkorStore, fulfillment_id: str) -> dict[str, Any]:
    rows = await store.read(
        "MATCH (f:Fulfillment {id: $id}) RETURN f.status AS status, "
        "f.trackingStatus AS tracking, f.trackingException AS exception",
        {"id": fulfillment_id},
    )
    return rows[0]  # type: ignore[no-any-return]


@pytest.fixture
def fakes() -> Iterator[dict[str, FakeEasyPost]]:
    with ExitStack() as stack:
        yield {
            "easypost": stack.enter_context(easypost_server()),
            "broken": stack.enter_context(
                easypost_server(tracking_behaviour="error", tracking_prefix="9500")
            ),
        }


def test_tracking_mode_is_checked_and_webhook_accounts_are_not_polled() -> None:
    base = {"ORDERGRAPH_CARRIER_EASYPOST_API_KEY": "k"}
    assert TrackingPoller.from_settings(None, Settings.from_env(base)) is None  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="TRACKING must be one of webhook, poll"):
        Settings.from_env({**base, "ORDERGRAPH_CARRIER_EASYPOST_TRACKING": "carrier-pigeon"})
    with pytest.raises(ValueError, match="POLL_S must be a whole number"):
        Settings.from_env({**base, "ORDERGRAPH_CARRIER_EASYPOST_POLL_S": "soon"})


async def test_a_polled_late_delivery_moves_the_promise_once_and_ends_delivered(
    loaded: FalkorStore, fakes: dict[str, FakeEasyPost]
) -> None:
    fake = fakes["easypost"]
    settings = Settings.from_env({"ORDERGRAPH_AUTH": "off", **poll_account("easypost", fake)})
    async with app_client(loaded, settings) as gql:
        order = await shipped(gql, "POLL-1")
        code, fid = order["tracking"], order["fulfillment"]["id"]
        poller = TrackingPoller.from_settings(loaded, settings)
        assert poller is not None
        clock = [datetime(2026, 3, 3, 12, tzinfo=UTC)]
        poller.clock = lambda: clock[0]

        async def tick(seconds: int = 61) -> tuple[int, int, int, int]:
            clock[0] += timedelta(seconds=seconds)
            await poller.tick()
            r = poller.last
            return (r.asked, r.applied, r.unchanged, r.failed)

        estimate = date.fromisoformat(order["fulfillment"]["estimatedDelivery"])
        late = (estimate + timedelta(days=3)).isoformat() + "T00:00:00Z"
        on_time = estimate.isoformat() + "T00:00:00Z"

        assert await tick() == (1, 0, 1, 0)  # the Tracker exists, nothing scanned yet
        fake.track_update(code, "in_transit", eta=on_time, at="2026-03-03T10:00:00Z")
        assert await tick(seconds=30) == (0, 0, 0, 0)  # within the account's 60 s interval
        assert await tick(seconds=31) == (1, 1, 0, 0)
        assert await tick() == (1, 0, 1, 0)  # the same status again: nothing happens
        fake.track_update(code, "in_transit", eta=late, at="2026-03-04T08:00:00Z")
        assert await tick() == (1, 1, 0, 0)  # the ETA slipped: the promise moves
        fake.track_update(code, "failure", eta=late, at="2026-03-05T09:00:00Z")
        assert await tick() == (1, 1, 0, 0)
        assert (await tracking_state(loaded, fid))["exception"] == "FAILED_ATTEMPT"
        fake.track_update(code, "out_for_delivery", eta=late, at="2026-03-06T07:00:00Z")
        assert await tick() == (1, 1, 0, 0)
        assert (await tracking_state(loaded, fid))["exception"] is None
        fake.track_update(code, "delivered", eta=late, at="2026-03-06T15:00:00Z")
        assert await tick() == (1, 1, 0, 0)
        assert await tick() == (0, 0, 0, 0)  # delivered: no longer polled

        state = (await gql(ORDER, id=order["id"]))["order"]
        assert state["status"] == "DELIVERED"
        assert state["fulfillments"] == [{"status": "DELIVERED", "estimatedDelivery": late[:10]}]
        types = [e["type"] for e in state["events"]]
        assert types.count("order.promise_changed") == 1
        assert types.count("fulfillment.tracking_updated") == 5
        assert state["promisedBy"] == late[:10]
        assert state["originalPromisedBy"] == order["promisedBy"]
        # the first poll found the label's Tracker (POST /trackers), the others read it by id
        asks = [(m, p) for m, p, _ in fake.requests if "/trackers" in p]
        assert asks[0] == ("POST", "/v2/trackers")
        assert set(asks[1:]) == {("GET", "/v2/trackers/trk_0001")}


async def test_a_carrier_that_errors_keeps_the_loop_alive(
    loaded: FalkorStore, fakes: dict[str, FakeEasyPost]
) -> None:
    settings = quick(fakes, "easypost", "broken")
    async with app_client(loaded, settings) as gql:
        good = await shipped(gql, "POLL-OK", "easypost")
        bad = await shipped(gql, "POLL-BAD", "broken")
        poller = TrackingPoller.from_settings(loaded, settings)
        assert poller is not None
        failed = 0
        original = poller.work

        async def counting() -> int:
            nonlocal failed
            applied = await original()
            failed += poller.last.failed
            return applied

        poller.work = counting  # type: ignore[method-assign]
        fakes["easypost"].track_update(good["tracking"], "in_transit")
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop))
        try:
            deadline = asyncio.get_running_loop().time() + LOOP_DEADLINE_S
            gid = good["fulfillment"]["id"]
            while (await tracking_state(loaded, gid))["tracking"] is None:
                assert asyncio.get_running_loop().time() < deadline, "the good one was not polled"
                await asyncio.sleep(0.05)
            fakes["easypost"].track_update(good["tracking"], "delivered", at="2026-03-04T10:00Z")
            while (await tracking_state(loaded, gid))["status"] != "DELIVERED":
                assert asyncio.get_running_loop().time() < deadline, "no delivery while one errs"
                await asyncio.sleep(0.05)
            while failed < 2:  # the broken carrier is asked again, and fails again
                assert asyncio.get_running_loop().time() < deadline, "the broken one stopped"
                await asyncio.sleep(0.05)
            assert not task.done()
            assert (await tracking_state(loaded, bad["fulfillment"]["id"]))["status"] == "SHIPPED"
        finally:
            stop.set()
            await task


async def test_the_app_lifespan_runs_the_poller(
    loaded: FalkorStore, fakes: dict[str, FakeEasyPost]
) -> None:
    settings = quick(fakes, "easypost")
    async with app_client(loaded, settings) as gql:
        order = await shipped(gql, "POLL-APP")
    fakes["easypost"].track_update(order["tracking"], "out_for_delivery")
    app = create_app(settings, store=loaded)
    async with app.router.lifespan_context(app):
        deadline = asyncio.get_running_loop().time() + LOOP_DEADLINE_S
        fid = order["fulfillment"]["id"]
        while (await tracking_state(loaded, fid))["tracking"] != "OUT_FOR_DELIVERY":
            assert asyncio.get_running_loop().time() < deadline, "the lifespan did not poll"
            await asyncio.sleep(0.05)


async def test_one_poll_asks_at_most_its_batch_least_recently_asked_first(
    loaded: FalkorStore, fakes: dict[str, FakeEasyPost]
) -> None:
    settings = quick(fakes, "easypost").with_(carrier_poll_batch=1)
    async with app_client(loaded, settings) as gql:
        ids = [(await shipped(gql, f"POLL-B{n}"))["fulfillment"]["id"] for n in (1, 2)]
    poller = TrackingPoller.from_settings(loaded, settings)
    assert poller is not None and poller.batch == 1
    clock = [datetime(2026, 3, 3, 12, tzinfo=UTC)]
    poller.clock = lambda: clock[0]

    async def polled_at() -> list[int | None]:
        rows = await loaded.read(
            "UNWIND $ids AS id MATCH (f:Fulfillment {id: id}) RETURN f.trackingPolledAtMs AS at",
            {"ids": ids},
        )
        return [row["at"] for row in rows]

    order: list[int] = []
    for _ in range(4):  # both are due at every tick (1 s interval, 2 s ticks)
        clock[0] += timedelta(seconds=2)
        await poller.tick()
        assert poller.last.asked == 1
        at = await polled_at()
        order.append(at.index(int(clock[0].timestamp() * 1000)))
    assert order in ([0, 1, 0, 1], [1, 0, 1, 0])  # one per tick, taking turns


async def test_a_carrier_that_never_answers_costs_one_poll_its_budget_only(
    loaded: FalkorStore,
) -> None:
    with easypost_server(tracking_behaviour="slow", delay_s=5.0) as slow:
        settings = quick({"easypost": slow}, "easypost")
        async with app_client(loaded, settings) as gql:
            order = await shipped(gql, "POLL-SLOW")
        carriers = carrier_accounts(settings)
        started = time.perf_counter()
        result = await poll_tracking(
            loaded, carriers, {"easypost": 1.0}, batch=10, timeout_s=5.0, budget_s=0.3
        )
        assert time.perf_counter() - started < 0.3 + CARRIER_SLACK_S
        assert (result.asked, result.applied, result.failed) == (1, 0, 1)
        state = await tracking_state(loaded, order["fulfillment"]["id"])
        assert state == {"status": "SHIPPED", "tracking": None, "exception": None}
