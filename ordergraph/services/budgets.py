"""Per-key cost budgets shared by every API process (a leaky bucket, Shopify-style).

The bucket of a key lives in the graph (graph/budgets.py). A process leases points from it in
chunks and spends them in memory, so the hot path makes no graph write: at most one small write
per chunk (about 5% of the bucket). A request is charged its requested cost up front; after it
ran, the difference to its actual cost is refunded to the process's pool. A process holds at
most about one chunk (plus refunds) that others cannot use; it creates no points: everything it
spends was leased from the shared bucket.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from ordergraph.graph import budgets as q
from ordergraph.graph.store import GraphStore

CHUNK_FRACTION = 20  # a lease takes 1/20 of the bucket (or a quarter second of refill) at least


@dataclass(frozen=True)
class Budget:
    capacity: int  # maximumAvailable
    restore_per_second: int  # restoreRate


@dataclass
class Pool:
    points: float = 0.0
    leased_at: float = 0.0
    shared_left: float | None = None  # what the shared bucket held after our last lease
    lock: asyncio.Lock | None = None


@dataclass(frozen=True)
class Charge:
    ok: bool
    available: float  # what this key can still spend now (pool plus the shared bucket)


class Budgets:
    """This process's pools of leased points, one per key."""

    def __init__(
        self, store: Callable[[], GraphStore], clock: Callable[[], float] = time.time
    ) -> None:
        self._store, self._clock = store, clock
        self._pools: dict[str, Pool] = {}

    def _pool(self, key: str) -> Pool:
        pool = self._pools.get(key)
        if pool is None:
            if len(self._pools) > 50_000:
                self._pools.clear()
            pool = self._pools[key] = Pool(lock=asyncio.Lock())
        return pool

    async def take(self, key: str, cost: int, budget: Budget) -> Charge:
        """Charge ``cost`` points up front; refused (nothing charged) when the key lacks them."""
        pool = self._pool(key)
        if cost <= 0:
            return Charge(True, self._available(pool, budget))
        if pool.points >= cost:  # the hot path: memory only
            pool.points -= cost
            return Charge(True, self._available(pool, budget))
        assert pool.lock is not None
        async with pool.lock:
            if pool.points >= cost:  # another request leased meanwhile
                pool.points -= cost
                return Charge(True, self._available(pool, budget))
            need = cost - pool.points
            chunk = max(budget.capacity / CHUNK_FRACTION, budget.restore_per_second / 4)
            taken, left = await q.lease(
                self._store(),
                key,
                need=need,
                want=max(need, chunk),
                capacity=budget.capacity,
                restore_per_second=budget.restore_per_second,
                now_ms=int(self._clock() * 1000),
            )
            pool.shared_left = left
            if taken < need:
                return Charge(False, pool.points + left)
            pool.points += taken - cost
            pool.leased_at = time.monotonic()
            return Charge(True, self._available(pool, budget))

    def refund(self, key: str, points: float) -> None:
        """After a request: what was charged but not spent."""
        if points > 0:
            self._pool(key).points += points

    def _available(self, pool: Pool, budget: Budget) -> float:
        shared = budget.capacity if pool.shared_left is None else pool.shared_left
        return min(float(budget.capacity), pool.points + shared)

    def available(self, key: str, budget: Budget) -> float:
        return self._available(self._pool(key), budget)
