"""Shared cost buckets on the real engine: leases never hand out more than the bucket holds,
refill with time, and two processes' pools draw from one bucket."""

from __future__ import annotations

import asyncio

from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.budgets import Budget, Budgets


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_two_pools_share_one_bucket_and_it_refills(store: FalkorStore) -> None:
    clock = Clock()
    budget = Budget(1000, 10)
    one, two = Budgets(lambda: store, clock), Budgets(lambda: store, clock)
    served = 0
    for i in range(100):
        charge = await (one, two)[i % 2].take("key_a", 30, budget)
        served += charge.ok
    assert 30 * served <= 1000 and 30 * served >= 1000 - 3 * 50  # two pools' leftovers at most
    assert not (await one.take("key_a", 30, budget)).ok
    clock.now += 10  # 10 s at 10 points/s
    assert (await one.take("key_a", 30, budget)).ok
    # another key has its own bucket
    assert (await two.take("key_b", 900, budget)).ok


async def test_concurrent_requests_in_one_process_lease_once(store: FalkorStore) -> None:
    budgets = Budgets(lambda: store)
    budget = Budget(100_000, 1_000)
    charges = await asyncio.gather(*(budgets.take("key_c", 10, budget) for _ in range(200)))
    assert all(c.ok for c in charges)
    rows = await store.read("MATCH (b:CostBucket {key: 'key_c'}) RETURN b.level AS level")
    # 2,000 points spent from leases of 5,000: one or two leases, not one write per request
    assert len(rows) == 1 and 100_000 - 10_000 <= rows[0]["level"] <= 100_000 - 2_000


async def test_refunds_stay_in_the_process(store: FalkorStore) -> None:
    budgets = Budgets(lambda: store)
    budget = Budget(100, 1)
    assert (await budgets.take("key_d", 80, budget)).ok
    budgets.refund("key_d", 70)  # it cost 10
    assert (await budgets.take("key_d", 80, budget)).ok
    assert not (await budgets.take("key_d", 80, budget)).ok
