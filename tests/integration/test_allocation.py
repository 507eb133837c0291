"""Batch allocation waves on the real engine (issue #18): held orders reserve nothing, a wave
shares scarce stock better than first come first served, windows end on time, and concurrent
non-batched orders never make anything oversell."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.domain.routing.batch import wave_end
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.orders import fulfillments_by_order, orders_by_id
from ordergraph.services import lifecycle
from ordergraph.services.allocation import WaveLoop, release_due
from ordergraph.services.network import load_network
from ordergraph.services.orders import place_order
from tests.integration.test_concurrency import invariants

NOW = datetime(2026, 11, 23, 17, 0, 5, tzinfo=UTC)  # a Monday, before every cut-off


def _location(loc_id: str, lat: float, lon: float, postal: str) -> dict[str, Any]:
    return {
        "id": loc_id,
        "name": loc_id,
        "kind": "WAREHOUSE",
        "lat": lat,
        "lon": lon,
        "postalCode": postal,
        "country": "US",
        "timezone": "America/New_York",
        "cutoff": "23:00",
        "processingDays": 0,
        "handlingCost": 1.0,
        "tags": [],
    }


def _lane(src: str, dst: str, base: float) -> dict[str, Any]:
    return {
        "from": src,
        "to": dst,
        "carrier": "UPS",
        "service": "GROUND",
        "transitDays": 2,
        "baseCost": base,
        "costPerKg": 0.0,
    }


def scarce(window_s: int, units: int = 1) -> dict[str, Any]:
    """``units`` of SKU-X at DC-A and at DC-B. East orders: A 5, B 6; west orders: A 5, B 20.
    First come first served gives an east order A and the west order after it B (27 with
    handling); the optimum gives the east order B (13)."""
    return {
        "regions": [
            {"id": "US-100", "country": "US", "postalPrefix": "100", "lat": 40.75, "lon": -74.0},
            {"id": "US-900", "country": "US", "postalPrefix": "900", "lat": 34.05, "lon": -118.2},
        ],
        "locations": [
            _location("DC-A", 40.7, -74.1, "07102"),
            _location("DC-B", 41.8, -87.6, "60601"),
        ],
        "skus": [{"id": "SKU-X", "name": "X", "weightKg": 1.0, "tags": []}],
        "stock": [
            {"location": "DC-A", "sku": "SKU-X", "onHand": units},
            {"location": "DC-B", "sku": "SKU-X", "onHand": units},
        ],
        "lanes": [
            _lane("DC-A", "US-100", 5.0),
            _lane("DC-B", "US-100", 6.0),
            _lane("DC-A", "US-900", 5.0),
            _lane("DC-B", "US-900", 20.0),
        ],
        "channels": [
            {"id": "web", "name": "Web"},
            {"id": "b2b", "name": "B2B", "batchWindowSeconds": window_s},
        ],
    }


def request(channel: str, postal: str, ext: str, quantity: int = 1) -> OrderRequest:
    return OrderRequest(
        channel=channel,
        external_id=ext,
        lines=(OrderLine("SKU-X", quantity),),
        ship_to=Address(postal, "US"),
        placed_at=NOW,
    )


async def shipped_from(store: FalkorStore, order_id: str) -> list[tuple[str, float]]:
    [fs] = await fulfillments_by_order(store, [order_id])
    return sorted(
        (f.location_id, f.cost or 0.0) for f in fs if f.status.value in ("OPEN", "RELEASED")
    )


async def test_a_wave_shares_scarce_stock_better_than_first_come_first_served(
    store: FalkorStore,
) -> None:
    await load_network(store, scarce(60))
    east = await place_order(store, request("web", "10001", "E1"), now=NOW)
    west = await place_order(store, request("web", "90001", "W1"), now=NOW)
    fcfs = await shipped_from(store, east.order_id) + await shipped_from(store, west.order_id)
    assert sorted(fcfs) == [("DC-A", 6.0), ("DC-B", 21.0)]  # 27
    for placed in (east, west):
        await lifecycle.cancel_order(store, placed.order_id, now=NOW)

    east = await place_order(store, request("b2b", "10001", "E2"), now=NOW)
    west = await place_order(store, request("b2b", "90001", "W2"), now=NOW)
    again = await place_order(store, request("b2b", "10001", "E2"), now=NOW)
    assert again.order_id == east.order_id and not again.created  # idempotent as ever
    [held] = await orders_by_id(store, [east.order_id])
    assert held is not None and held.held_until == wave_end(NOW, 60)
    assert held.status.value == "BACKORDERED"
    assert await shipped_from(store, east.order_id) == []  # nothing reserved while held
    early = await release_due(store, now=NOW)
    assert early.orders == 0  # the window has not ended

    report = await release_due(store, now=wave_end(NOW, 60))
    assert report.orders == 2 and report.units == 2 and report.fell_back == 0
    assert await shipped_from(store, east.order_id) == [("DC-B", 7.0)]
    assert await shipped_from(store, west.order_id) == [("DC-A", 6.0)]  # 13 < 27
    [done] = await orders_by_id(store, [east.order_id])
    assert done is not None and done.held_until is None and done.status.value == "ALLOCATED"
    assert (await release_due(store, now=wave_end(NOW, 60))).orders == 0  # released once
    await invariants(store)


async def test_the_wave_loop_releases_a_window_on_time(store: FalkorStore) -> None:
    await load_network(store, scarce(2, units=5))
    now = datetime.now(UTC)
    placed = await place_order(store, request("b2b", "10001", "T1"), now=now)
    [held] = await orders_by_id(store, [placed.order_id])
    assert held is not None and held.held_until is not None
    ends = held.held_until
    assert timedelta(0) < ends - now <= timedelta(seconds=2)
    loop = WaveLoop(store, 0.1, time_limit=1.0)
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    try:
        while datetime.now(UTC) < ends - timedelta(milliseconds=150):
            assert await shipped_from(store, placed.order_id) == []  # not before its end
            await asyncio.sleep(0.05)
        deadline = ends + timedelta(seconds=1.5)
        while not await shipped_from(store, placed.order_id):
            assert datetime.now(UTC) < deadline, "the wave was not released on time"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
    released = datetime.now(UTC)
    assert released - ends < timedelta(seconds=1.5)


async def test_no_oversell_when_non_batched_orders_race_a_wave(store: FalkorStore) -> None:
    """Ten units in all; 12 held orders of one unit and 12 web orders placed while the wave
    is applied: never more reserved than on hand, every unit given at most once."""
    await load_network(store, scarce(60, units=5))
    held = [
        await place_order(store, request("b2b", "10001" if i % 2 else "90001", f"H{i}"), now=NOW)
        for i in range(12)
    ]
    at = wave_end(NOW, 60)

    async def web(i: int) -> None:
        await asyncio.sleep(0.01 * i)
        await place_order(store, request("web", "10001", f"R{i}"), now=at)

    report, *_ = await asyncio.gather(
        release_due(store, now=at, time_limit=2.0), *(web(i) for i in range(12))
    )
    assert report.orders == 12
    await invariants(store)
    rows = await store.read(
        "MATCH (:Location)-[s:STOCKS]->(:Sku {id: 'SKU-X'}) RETURN sum(s.reserved) AS r"
    )
    assert rows[0]["r"] == 10  # every unit reserved once, no more
    orders = await orders_by_id(store, [h.order_id for h in held])
    assert all(o is not None and o.held_until is None for o in orders)
