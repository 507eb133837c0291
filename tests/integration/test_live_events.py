"""The shared live-event poll (services/live.py) on a real graph."""

from __future__ import annotations

import asyncio

import pytest

from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.records import codec
from ordergraph.services import events
from ordergraph.services.live import EventHub


async def add_event(store: FalkorStore, eid: str, payload: str, at_ms: int) -> None:
    await store.write(
        "CREATE (e:Event {id: $id, type: 'OrderCreated', orderId: 'OG-LIVE', sequence: 1, "
        "at: '2026-12-01T09:00:00+00:00', atMs: $atMs, payload: $payload})",
        {"id": eid, "payload": payload, "atMs": at_ms},
    )


async def test_the_shared_poll_hands_out_decoded_events(store: FalkorStore) -> None:
    start = events.now_ms()
    hub = EventHub(lambda: store, 0.05)
    await add_event(store, "OG-LIVE-E1", '{"channel": "web"}', start + 1)
    stream = hub.watch(order_id="OG-LIVE", since_ms=start)
    got = await asyncio.wait_for(anext(stream), 10)
    assert (got.id, got.order_id, got.type, got.payload) == (
        "OG-LIVE-E1",
        "OG-LIVE",
        "OrderCreated",
        {"channel": "web"},
    )
    await stream.aclose()
    assert hub.subscribers == 0


async def test_a_corrupt_event_ends_the_live_streams_with_a_clear_error(
    store: FalkorStore,
) -> None:
    """The poll cannot read the event: its subscribers get the error instead of waiting forever."""
    start = events.now_ms()
    hub = EventHub(lambda: store, 0.05)
    await add_event(store, "OG-LIVE-E9", '{"channel": ', start + 1)
    stream = hub.watch(since_ms=start)
    why = r"^Event OG-LIVE-E9: stored property 'payload' is not valid JSON"
    with pytest.raises(codec.CorruptProperty, match=why):
        await asyncio.wait_for(anext(stream), 10)
    assert hub.subscribers == 0
