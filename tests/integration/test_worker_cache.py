"""What one worker keeps (services/worker_cache.py), on the real engine: every network write
path moves the network version; a kept availability answer is served until a stock or network
version moves, then read again; a channel that sells inbound is never kept; the answers are
bounded, least recently used out first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ordergraph.graph import network as versions
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import network
from ordergraph.services.availability import Near, availability
from ordergraph.services.worker_cache import Lru, WorkerCache

NEAR = Near(postal_code="94107", country="US")


async def moves(store: FalkorStore, write: Callable[[], Awaitable[object]]) -> None:
    before = (await versions.versions(store, ["SKU-1"])).network
    await write()
    assert (await versions.versions(store, ["SKU-1"])).network > before


async def test_every_network_write_path_moves_the_network_version(
    loaded: FalkorStore, network_doc: dict[str, Any]
) -> None:
    s = loaded
    assert (await versions.versions(s, ["SKU-1"])).network > 0  # the load wrote the network
    await moves(s, lambda: network.upsert_location(s, {"id": "STORE-SF", "name": "SF"}))
    region = dict(network_doc["regions"][0], lat=37.0)
    await moves(s, lambda: network.upsert_region(s, region))
    lane = dict(network_doc["lanes"][0], transitDays=4)
    await moves(s, lambda: network.upsert_lane(s, lane))
    await moves(s, lambda: network.upsert_channel(s, {"id": "web", "bufferUnits": 1}))
    await moves(s, lambda: network.load_network(s, network_doc))


def counted() -> tuple[WorkerCache, list[bool]]:
    seen: list[bool] = []
    return WorkerCache(answers=8, observe=seen.append), seen


def at_sf(answer: list[Any]) -> Any:
    [sku] = answer
    return next(p for p in sku.locations if p.location.id == "STORE-SF")


async def test_a_kept_answer_is_served_until_a_version_moves(loaded: FalkorStore) -> None:
    cache, seen = counted()

    async def ask() -> Any:
        return at_sf(await availability(loaded, ["SKU-1"], NEAR, cache=cache))

    first = await ask()
    assert (await ask()) == first and seen == [False, True]
    await network.set_inventory(loaded, "STORE-SF", "SKU-1", first.on_hand + 7, None)
    assert (await ask()).on_hand == first.on_hand + 7 and seen[-1] is False
    assert (await ask()).on_hand == first.on_hand + 7 and seen[-1] is True
    await network.set_inventory(loaded, "STORE-OAKLAND", "SKU-2", 1, None)  # another SKU
    await ask()
    assert seen[-1] is True  # SKU-1's answer still holds
    await network.upsert_location(loaded, {"id": "STORE-SF", "name": "SF, renamed"})
    assert (await ask()).location.name == "SF, renamed" and seen[-1] is False
    assert cache.network_loads == 2


async def test_a_channel_that_sells_inbound_is_never_kept(loaded: FalkorStore) -> None:
    await network.upsert_channel(loaded, {"id": "web", "sellInbound": True})
    cache, seen = counted()
    for _ in range(3):
        await availability(loaded, ["SKU-1"], NEAR, channel="web", cache=cache)
    assert seen == []  # not even looked up
    await availability(loaded, ["SKU-1"], NEAR, channel="amazon", cache=cache)
    await availability(loaded, ["SKU-1"], NEAR, channel="amazon", cache=cache)
    assert seen == [False, True]


def test_the_answers_are_bounded_least_recently_used_out_first() -> None:
    kept: Lru[int] = Lru(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # b is now the least recently used
    kept.put("c", 3)
    assert len(kept) == 2 and kept.get("b") is None and kept.get("a") == 1
    nothing: Lru[int] = Lru(0)
    nothing.put("a", 1)
    assert len(nothing) == 0
