"""Stock counted below its reservations: the count wins, unbacked reservations are re-routed.

An ERP snapshot, a WMS delta or an ``inventorySet``/``inventoryAdjust`` may report fewer units on
hand than the OMS has reserved at that location (shrink, damage, a miscount). The count is the
physical truth, so it is accepted as given (only a movement that would take on-hand below zero is
refused). The reservations it no longer backs (``reserved - onHand`` units) are then released and
re-routed, order by order: OPEN fulfillments before RELEASED ones, the newest reservation first,
so that the oldest orders keep their stock. Each affected order gets a ``ReservationUnbacked``
event and then ``OrderRerouted`` (another location took the units) or ``OrderBackordered``
(nothing else can serve them now; they wait for stock like any backorder). Safety stock is not a
reservation: a count between ``reserved`` and ``reserved + safetyStock`` only lowers availability.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ordergraph.domain import lifecycle as lc
from ordergraph.domain.errors import OrderGraphError
from ordergraph.graph import catalog
from ordergraph.graph import lifecycle as q
from ordergraph.graph.records.catalog import StockRecord
from ordergraph.graph.store import GraphStore
from ordergraph.services.lifecycle import allocate, promise, run

log = logging.getLogger(__name__)
REASON = "stock count below reservations"
MAX_ORDERS = 200  # orders re-routed for one position in one call (then the rest on the next count)


@dataclass
class Covered:
    """What covering one position's shortfall did."""

    location: str
    sku: str
    short: int  # units reserved beyond on-hand when it was counted
    rerouted: int = 0  # of those, units another location took
    backordered: int = 0  # of those, units now waiting for stock
    orders: list[str] = field(default_factory=list)

    @property
    def uncovered(self) -> int:
        """Units still reserved beyond on-hand (a race with shipping, or over ``MAX_ORDERS``)."""
        return self.short - self.rerouted - self.backordered


def _short(stock: StockRecord | None) -> int:
    """Units reserved beyond on-hand (negative: on-hand to spare); none at no position."""
    return 0 if stock is None else stock.reserved - stock.on_hand


async def cover(
    store: GraphStore, location: str, sku: str, *, now: datetime | None = None
) -> Covered:
    """Release and re-route the reservations of ``sku`` at ``location`` that on-hand no longer
    backs. Safe to run twice or concurrently: every order's change is guarded by its version
    and re-decided from the position as it is then."""

    async def position_short() -> int:
        return _short(await catalog.stock_level(store, location, sku))

    result = Covered(location, sku, max(0, await position_short()))
    # one read of the holders, in the order they give up stock; holders that reserve after it
    # are covered by the next count
    holders = await q.reservation_holders(store, location, sku, limit=MAX_ORDERS)
    tried: set[str] = set()
    for holder in holders:
        order_id = str(holder["order"])
        if order_id in tried:
            continue
        if await position_short() <= 0:
            break
        tried.add(order_id)
        try:
            outcome = await _reroute_one(store, order_id, location, sku, position_short, now)
        except OrderGraphError as exc:  # the count stands; this order is tried on the next one
            log.warning(
                "could not re-route %s's unbacked %s at %s: %s", order_id, sku, location, exc
            )
            continue
        if outcome.get("taken"):
            result.rerouted += outcome["rerouted"]
            result.backordered += outcome["taken"] - outcome["rerouted"]
            result.orders.append(order_id)
    return result


async def _reroute_one(
    store: GraphStore,
    order_id: str,
    location: str,
    sku: str,
    position_short: Callable[[], Awaitable[int]],
    now: datetime | None,
) -> dict[str, int]:
    """Release what of ``order_id``'s reservation is unbacked, re-route it, in one change."""
    outcome: dict[str, int] = {}

    async def decide(state: lc.OrderState, at: datetime) -> lc.Change:
        outcome.clear()
        change, taken = lc.unback(state, location, sku, await position_short(), REASON, at)
        if not taken:
            return change  # nothing of this order's is unbacked: no events, nothing written
        waiting = sum(line.backordered for line in state.lines if line.sku == sku)
        await allocate(store, state, change, at, "OrderRerouted")
        routed = waiting - sum(line.backordered for line in state.lines if line.sku == sku)
        outcome.update(taken=taken, rerouted=min(taken, routed))
        promise(state, change)
        return lc.finish(state, change, at)

    await run(store, order_id, decide, now)
    return outcome


async def cover_all(
    store: GraphStore, keys: Iterable[tuple[str, str]], *, now: datetime | None = None
) -> list[Covered]:
    """``cover`` every position among ``keys`` whose on-hand is below its reservations."""
    wanted = sorted(set(keys))
    short: list[tuple[str, str]] = []
    for start in range(0, len(wanted), 5000):
        positions = await catalog.positions(store, wanted[start : start + 5000])
        short += [(p.location, p.sku) for p in positions if _short(p) > 0]
    return [await cover(store, location, sku, now=now) for location, sku in short]


async def cover_unbacked(store: GraphStore, *, now: datetime | None = None) -> list[Covered]:
    """``cover`` every position in the graph whose on-hand is below its reservations."""
    return [
        await cover(store, location, sku, now=now)
        for location, sku in await q.unbacked_positions(store)
    ]
