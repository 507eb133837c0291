"""The channel stock feed out on the real engine: the query, and the coalesced
``channel.availability_changed`` events (docs/channel-atp.md, "Channel stock feeds out")."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ordergraph.connectors import webhooks
from ordergraph.graph import events as event_reads
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.records.events import EventRecord
from ordergraph.services import events, network, stockstates
from ordergraph.services.channel_feed import ChannelFeed, channel_availability, publish_moved
from tests.bounds import FEED_DEADLINE_S
from tests.conftest import GraphQLClient, small_network

CHANGED = "channel.availability_changed"
QUERY = """query($channel: ID!, $skus: [ID!], $first: Int, $after: String) {
  channelAvailability(channel: $channel, skus: $skus, first: $first, after: $after) {
    edges { node { sku available stockVersion } } pageInfo { hasNextPage endCursor } } }"""
AVAILABILITY = """query($skus: [ID!]!, $channel: ID) {
  availability(skus: $skus, channel: $channel) { sku available } }"""


@pytest.fixture
def network_doc() -> dict[str, Any]:
    """Amazon sells only from the warehouses, with a buffer of 2 per position. SKU-2: DC-RENO 12,
    DC-NEWARK 20, STORE-SF 2, STORE-OAKLAND 4 less 1 safety: amazon 10 + 18 = 28, others 37."""
    doc = small_network()
    doc["channels"] = [
        {**c, "sourcing": {"kinds": ["WAREHOUSE"]}, "bufferUnits": 2} if c["id"] == "amazon" else c
        for c in doc["channels"]
    ]
    return doc


async def feed_events(store: FalkorStore) -> list[EventRecord]:
    return await event_reads.events_since(
        store, 0, order_id=None, types=[CHANGED], after=None, limit=1000
    )


def told(events: list[EventRecord]) -> dict[tuple[str, str], list[tuple[Any, Any]]]:
    out: dict[tuple[str, str], list[tuple[Any, Any]]] = {}
    for e in events:
        p = e.payload
        out.setdefault((p["channel"], p["sku"]), []).append((p["previous"], p["available"]))
    return out


async def baseline(store: FalkorStore) -> None:
    """The first poll stores every SKU's numbers without announcing them."""
    assert await publish_moved(store) == 0
    assert await publish_moved(store) == 0  # nothing moved since
    assert await feed_events(store) == []


async def test_the_query_is_the_total_of_availability_per_channel(gql: GraphQLClient) -> None:
    for channel in ("amazon", "web", "b2b"):
        shown = await gql(AVAILABILITY, skus=["SKU-1", "SKU-2", "SKU-5"], channel=channel)
        page = await gql(QUERY, channel=channel, skus=["SKU-5", "SKU-2", "SKU-1"])
        nodes = [e["node"] for e in page["channelAvailability"]["edges"]]
        assert [n["sku"] for n in nodes] == ["SKU-1", "SKU-2", "SKU-5"]  # by id
        assert {n["sku"]: n["available"] for n in nodes} == {
            a["sku"]: a["available"] for a in shown["availability"]
        }
        assert all(n["stockVersion"] > 0 for n in nodes)
    got = await gql(QUERY, channel="amazon", skus=["SKU-2"])
    assert got["channelAvailability"]["edges"][0]["node"]["available"] == 28


async def test_the_query_pages_through_the_catalog(gql: GraphQLClient) -> None:
    seen, after = [], None
    while True:
        page = (await gql(QUERY, channel="web", first=2, after=after))["channelAvailability"]
        seen += [e["node"]["sku"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(seen) and len(seen) == len(small_network()["skus"])


async def test_many_changes_in_one_interval_give_one_event_per_channel(
    loaded: FalkorStore,
) -> None:
    await baseline(loaded)
    for delta in (-1, -1, -1, +1, -2):  # DC-RENO SKU-2: 12 -> 8
        await network.adjust_inventory(loaded, "DC-RENO", "SKU-2", delta)
    assert await publish_moved(loaded) == 4
    assert told(await feed_events(loaded)) == {
        ("amazon", "SKU-2"): [(28, 24)],
        ("b2b", "SKU-2"): [(37, 33)],
        ("pos", "SKU-2"): [(37, 33)],
        ("web", "SKU-2"): [(37, 33)],
    }
    (one, *_) = await feed_events(loaded)
    version = (await channel_availability(loaded, "web", ["SKU-2"], first=1, after=None))[0]
    assert one.payload["stockVersion"] == version.stock_version
    assert await publish_moved(loaded) == 0  # nothing moved since


async def test_no_event_when_the_number_did_not_change(loaded: FalkorStore) -> None:
    await baseline(loaded)
    await stockstates.set_stock_states(loaded, "DC-RENO", "SKU-2", 3, None)  # never available
    assert await publish_moved(loaded) == 0
    await network.adjust_inventory(loaded, "STORE-SF", "SKU-2", -1)  # outside amazon's sourcing
    assert await publish_moved(loaded) == 3
    assert set(told(await feed_events(loaded))) == {
        ("b2b", "SKU-2"),
        ("pos", "SKU-2"),
        ("web", "SKU-2"),
    }


async def test_the_published_numbers_survive_a_restart(loaded: FalkorStore) -> None:
    await baseline(loaded)
    await network.adjust_inventory(loaded, "DC-NEWARK", "SKU-2", -5)
    first = ChannelFeed(loaded, 0.05, owner="first")
    assert await first.tick() == 4
    await network.adjust_inventory(loaded, "DC-NEWARK", "SKU-2", -5)
    other = ChannelFeed(loaded, 0.05, owner="other")
    assert await other.tick() == 0  # a second server: the first one holds the lease
    stopped = asyncio.Event()
    stopped.set()
    await first.run(stopped)  # the first server stops: it hands the lease over
    # a new process reads what was published from the graph and announces from there
    second = ChannelFeed(loaded, 0.05, owner="second")
    assert await second.tick() == 4
    assert await second.tick() == 0
    assert told(await feed_events(loaded))[("amazon", "SKU-2")] == [(28, 23), (23, 18)]


async def test_a_stock_change_reaches_the_events_within_a_poll(loaded: FalkorStore) -> None:
    await baseline(loaded)
    feed, stop = ChannelFeed(loaded, 0.05), asyncio.Event()
    task = asyncio.create_task(feed.run(stop))
    try:
        await network.set_inventory(loaded, "DC-RENO", "SKU-2", 2, None)
        deadline = asyncio.get_running_loop().time() + FEED_DEADLINE_S
        while len(await feed_events(loaded)) < 4:
            assert asyncio.get_running_loop().time() < deadline, "no event within the bound"
            await asyncio.sleep(0.02)
        assert told(await feed_events(loaded))[("amazon", "SKU-2")] == [(28, 18)]
    finally:
        stop.set()
        await task


async def test_a_subscription_to_the_feed_gets_its_events_in_stock_version_order(
    loaded: FalkorStore,
) -> None:
    """A webhook subscription filtered to ``channel.availability_changed`` gets one delivery per
    event, one (subscription, channel, SKU) stream each: the later number waits for the earlier
    one, so a marketplace is never left with an older, higher number."""
    feed_only = await events.create_subscription(
        loaded, "https://example.invalid/feed", "s3cret-s3cret-s3cret", [CHANGED], at_ms=0
    )
    orders_only = await events.create_subscription(
        loaded, "https://example.invalid/orders", "s3cret-s3cret-s3cret", ["OrderCreated"], at_ms=0
    )
    await baseline(loaded)
    await network.adjust_inventory(loaded, "DC-RENO", "SKU-2", -1)
    await publish_moved(loaded)
    await network.adjust_inventory(loaded, "DC-RENO", "SKU-2", -1)
    await publish_moved(loaded)
    async with webhooks.http_client() as client:
        await events.Dispatcher(loaded, client, events.DeliveryConfig()).fan_out(events.now_ms())
    rows = await loaded.read(
        "MATCH (d:Delivery) RETURN d.subscriptionId AS sub, d.stream AS stream, "
        "d.status AS status, d.sequence AS sequence ORDER BY d.stream, d.sequence"
    )
    assert {r["sub"] for r in rows} == {feed_only.id} and orders_only.id
    amazon = [r for r in rows if r["stream"] == f"{feed_only.id}|CHA:amazon|SKU-2"]
    assert [r["status"] for r in amazon] == ["READY", "WAITING"]
    assert len(rows) == 8  # 4 channels x 2 changes


async def test_a_rules_change_or_a_new_day_makes_the_numbers_due_again(loaded: FalkorStore) -> None:
    """No stock moves, yet amazon's buffer goes from 2 to 4: every SKU's number for amazon is
    published again in the next poll (SKU-2: 8 + 16 = 24), the other channels' are not."""
    await baseline(loaded)
    amazon = {
        "id": "amazon",
        "name": "Amazon",
        "kind": "MARKETPLACE",
        "sourcing": {"kinds": ["WAREHOUSE"]},
        "bufferUnits": 4,
    }
    await network.upsert_channel(loaded, amazon)
    assert await publish_moved(loaded) > 0
    published = told(await feed_events(loaded))
    assert {channel for channel, _ in published} == {"amazon"}
    assert published[("amazon", "SKU-2")] == [(28, 24)]
    assert await publish_moved(loaded) == 0
    # the next day every SKU is computed again (a protection may have ended): here none did
    assert await publish_moved(loaded, now=datetime.now(UTC) + timedelta(days=1)) == 0
    sequences = [e.sequence for e in await feed_events(loaded) if e.payload["sku"] == "SKU-2"]
    assert sequences == [2]  # the SKU's second publication (the first was its baseline)
