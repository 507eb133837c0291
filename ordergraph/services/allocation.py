"""Batch allocation (issue #18, docs/allocation.md): orders of a channel with a
``batchWindowSeconds`` are accepted at once and routed together when their window ends.

Intake (``services.orders.place_order``) creates such an order as today (idempotent on
(channel, externalId), every check and userError the same), but reserves nothing: it is
``BACKORDERED`` with ``heldUntil`` (the end of its window; windows are aligned to multiples of
the setting since the epoch, so every process cuts the same waves). Holding reserves no stock,
so a held order can never oversell, and the backorder allocator passes held orders by.

When the window ends, ``release_due`` takes every due order (oldest first), asks each one's
routing question over its own candidates (the channel's ATP, the hard rules, the policy) and
solves them together (``domain.routing.batch.solve_wave``: units first, then the policies'
objective, over shared stock and location capacity, under a time limit; one order at a time as
the fallback). Each order's plan is then applied through the guarded lifecycle statement
(``services.lifecycle.run``: version, stock, channel ATP and capacity checked as it writes), as
the backorder allocator applies its plans; an order whose stock moved in between (a lost race
with a non-batched order) is routed again alone, exactly, over what is left. ``WaveLoop`` runs
it on the one leased loop (``services.leases``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ordergraph.domain import events
from ordergraph.domain import lifecycle as lc
from ordergraph.domain.orders import allows_partial
from ordergraph.domain.routing.batch import WaveOrder, restrict, solve_wave
from ordergraph.domain.routing.engine import route
from ordergraph.domain.routing.types import Candidate, Policy, RoutingPlan, RoutingRequest
from ordergraph.graph import allocation as q
from ordergraph.graph.store import GraphStore
from ordergraph.services import lifecycle
from ordergraph.services.events import running
from ordergraph.services.leases import LeasedLoop
from ordergraph.services.orders import epoch_ms, policy_for, read_situation, routing_request
from ordergraph.settings import Settings

WAVE_ALLOCATED = "WaveAllocated"
WAVE_LIMIT = 500


@dataclass(frozen=True)
class WaveReport:
    orders: int  # orders of the wave
    allocated: int  # of them, orders that got units
    units: int
    cost: float
    fell_back: int  # orders routed alone again (their stock moved before the write)
    method: str


async def wave_order(
    store: GraphStore,
    state: lc.OrderState,
    needs: Mapping[str, int],
    at: datetime,
    *,
    whole: bool,
) -> WaveOrder:
    """``state``'s routing question for ``needs`` over its candidates now (``whole``: its
    channel takes no partial orders, so the wave gives it all or nothing)."""
    request = lifecycle.request_for(state, dict(needs), at, state.rejected_locations())
    situation = await read_situation(store, request, require_channel=False, now=at)
    policy, situation = await policy_for(store, request.policy, situation, strict=False)
    routing = routing_request(request, situation)
    partial = not whole or allows_partial(situation.channel.partial_policy)
    return WaveOrder(
        state.id, replace(routing, allow_partial=partial), situation.candidates, policy
    )


def backordered(state: lc.OrderState) -> dict[str, int]:
    needs: dict[str, int] = {}
    for line in state.lines:
        if line.backordered > 0:
            needs[line.sku] = needs.get(line.sku, 0) + line.backordered
    return needs


def following(
    plan: RoutingPlan, extra: Mapping[tuple[str, str], int] | None = None, *, alone: bool = True
) -> tuple[lifecycle.Planner, list[bool]]:
    """A planner that gives ``plan`` back while its stock is there (``restrict``; ``extra``
    units of a position count as free: the order's own, given back in the same change), and
    a flag list that says whether it did. When it cannot, it routes the order alone over
    everything (``alone``), or allocates nothing."""
    followed: list[bool] = []

    def planner(
        request: RoutingRequest, candidates: Sequence[Candidate], policy: Policy
    ) -> RoutingPlan:
        if extra:
            candidates = [replace(c, available=_plus(c, extra)) for c in candidates]
        if not followed and plan.shipments:
            again = route(request, restrict(candidates, plan), policy)
            if again.allocated == plan.allocated:
                followed.append(True)
                return replace(again, explanation=(*again.explanation, plan.explanation[-1]))
        followed.append(False)
        return route(request, candidates if alone else (), policy)

    return planner, followed


def _plus(c: Candidate, extra: Mapping[tuple[str, str], int]) -> dict[str, int]:
    """``c``'s available stock with ``extra`` units of its positions added."""
    available = dict(c.available)
    for (location, sku), units in extra.items():
        if location == c.location_id:
            available[sku] = available.get(sku, 0) + units
    return available


async def release_due(
    store: GraphStore,
    *,
    now: datetime | None = None,
    time_limit: float = 5.0,
    limit: int = WAVE_LIMIT,
) -> WaveReport:
    """Route every held order whose window has ended, as one wave (module doc)."""
    now = now or datetime.now(UTC)
    ids = await q.held_due(store, epoch_ms(now), limit)
    wave: list[WaveOrder] = []
    for order_id in ids:
        state = await lifecycle.load(store, order_id)
        needs = backordered(state)
        if state.terms.held and needs:
            wave.append(await wave_order(store, state, needs, now, whole=True))
    result = solve_wave(wave, time_limit=time_limit)
    report = WaveReport(len(ids), 0, 0, 0.0, 0, result.method)
    for order_id in ids:
        plan = result.plans.get(order_id)
        fell_back = await _apply(store, order_id, plan, result.method, now)
        got = await lifecycle.load(store, order_id)
        units = sum(line.allocated for line in got.lines)
        report = replace(
            report,
            allocated=report.allocated + (units > 0),
            units=report.units + units,
            fell_back=report.fell_back + fell_back,
        )
    return report


async def _apply(
    store: GraphStore, order_id: str, plan: RoutingPlan | None, method: str, now: datetime
) -> bool:
    """Apply the wave's plan of one order (guarded); True when it was routed alone instead."""
    empty = RoutingPlan((), (), 0.0, None, ("",), "", True)
    planner, followed = following(plan or empty)

    async def decide(state: lc.OrderState, at: datetime) -> lc.Change:
        change = lc.Change(state.id, state.version)
        if not state.terms.held:  # routed meanwhile (another process's wave)
            return change
        change.order.release_hold = True
        await lifecycle.allocate(store, state, change, at, WAVE_ALLOCATED, planner=planner)
        change.event(
            state,
            "OrderReleasedFromHold",
            events.wave_released(method=method, alone=bool(followed) and not followed[-1]),
            at,
        )
        lifecycle.promise(state, change)
        return lc.finish(state, change, at)

    await lifecycle.run(store, order_id, decide, now)
    return bool(followed) and not followed[-1]


class WaveLoop(LeasedLoop):
    """Releases the batch waves on time; only the holder of the ``allocation-waves`` lease."""

    lease_name = "allocation-waves"

    def __init__(self, store: GraphStore, poll_s: float, *, time_limit: float = 5.0) -> None:
        super().__init__(store, poll_s)
        self.time_limit = time_limit

    async def work(self) -> int:
        report = await release_due(self.store, time_limit=self.time_limit)
        return report.orders


@contextlib.asynccontextmanager
async def releasing(store: GraphStore, settings: Settings) -> AsyncIterator[WaveLoop]:
    """Run the wave loop for the duration of the block (the app's lifespan)."""
    loop = WaveLoop(
        store, settings.allocation_wave_poll_ms / 1000, time_limit=settings.allocation_wave_s
    )
    async with running(loop, "allocation-waves"):
        yield loop
