"""Re-optimising open allocations (issue #18, docs/allocation.md).

An order's fulfillments are OPEN from placement until the location releases them to the floor;
until then they are only reservations, and a better plan may have appeared since intake: stock
arrived closer, a location freed capacity, a cheaper consolidation became possible once other
orders moved. ``reoptimise`` re-plans the orders whose fulfillments are all still OPEN (one
channel's, or every channel's) jointly (``domain.routing.batch.replan``: the units they hold and
the shipments they use count as free to them), and applies a new plan only when it allocates as
many units and saves more than ``threshold``, largest saving first.

Every change goes through the guarded lifecycle statement (``services.lifecycle.run``): it
cancels the order's OPEN fulfillments and reserves the new ones in one write, checked against
the order's version (an order released, shipped, updated or cancelled meanwhile is left alone),
the stock (net of what the same change gives back; a unit someone took meanwhile makes the
change wait for the next pass, or be left alone) and capacity. Each change appends an
``AllocationReoptimised`` event with its reason and saving. A change that needs stock another
change frees waits for it (passes until nothing moves); changes that only a swap between orders
could make (each needs what the other holds) are left alone, since every write is one order's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ordergraph.domain import events
from ordergraph.domain import lifecycle as lc
from ordergraph.domain.errors import ValidationError
from ordergraph.domain.orders import FulfillmentStatus
from ordergraph.domain.routing.batch import Replan, WaveOrder, pool_of, replan
from ordergraph.domain.routing.types import Candidate, PlannedShipment, RoutingPlan
from ordergraph.graph import allocation as q
from ordergraph.graph.orders import fulfillments_by_order
from ordergraph.graph.records.orders import FulfillmentRecord
from ordergraph.graph.store import GraphStore
from ordergraph.services import lifecycle
from ordergraph.services.allocation import following, wave_order

REOPTIMISED = "AllocationReoptimised"
MAX_ORDERS = 500
Position = tuple[str, str]


@dataclass(frozen=True)
class Applied:
    order_id: str
    reason: str
    saving: float
    cost_before: float
    cost_after: float


@dataclass
class Report:
    considered: int = 0
    applied: list[Applied] = field(default_factory=list)
    left_alone: int = 0  # planned, but the order or its stock moved before the write

    @property
    def saving(self) -> float:
        return round(sum(a.saving for a in self.applied), 2)


@dataclass(frozen=True)
class _Open:
    state: lc.OrderState
    plan: RoutingPlan  # what its OPEN fulfillments hold
    own: dict[Position, int]  # the units they reserve


def _current(fulfillments: list[FulfillmentRecord]) -> tuple[RoutingPlan, dict[Position, int]]:
    shipments: list[PlannedShipment] = []
    own: dict[Position, int] = {}
    for f in fulfillments:
        if f.status != FulfillmentStatus.OPEN:
            continue
        units: dict[str, int] = {}
        for line in f.lines:
            units[line.sku] = units.get(line.sku, 0) + line.quantity
            own[f.location_id, line.sku] = own.get((f.location_id, line.sku), 0) + line.quantity
        assert f.ship_by is not None and f.estimated_delivery is not None
        shipments.append(
            PlannedShipment(
                f.location_id,
                tuple(sorted(units.items())),
                f.carrier or "",
                f.service or "",
                0,
                f.cost or 0.0,
                f.ship_by,
                f.estimated_delivery,
            )
        )
    total = round(sum(s.cost for s in shipments), 6)
    latest = max((s.estimated_delivery for s in shipments), default=None)
    return RoutingPlan(tuple(shipments), (), total, latest, (), "", True), own


def _with_back(
    candidates: tuple[Candidate, ...], back: Mapping[Position, int], shipments: Mapping[str, int]
) -> tuple[Candidate, ...]:
    """The candidates with the open orders' own units and shipments counted as free."""
    out = []
    for c in candidates:
        available = dict(c.available)
        for (location, sku), units in back.items():
            if location == c.location_id:
                available[sku] = available.get(sku, 0) + units
        left = c.capacity_left
        if left is not None:
            left += shipments.get(c.location_id, 0)
        out.append(replace(c, available=available, capacity_left=left))
    return tuple(out)


async def reoptimise(
    store: GraphStore,
    *,
    channel: str | None = None,
    threshold: float = 1.0,
    now: datetime | None = None,
    time_limit: float = 5.0,
    limit: int = MAX_ORDERS,
) -> Report:
    """Re-plan open allocations jointly and apply what saves more than ``threshold`` (module
    doc)."""
    if not threshold >= 0.0:
        raise ValidationError("threshold must be 0 or more", field=("threshold",))
    if not 0 < limit <= MAX_ORDERS:
        raise ValidationError(f"limit must be 1 to {MAX_ORDERS}", field=("limit",))
    now = now or datetime.now(UTC)
    ids = await q.open_orders(store, channel, limit)
    found: dict[str, _Open] = {}
    for order_id, fulfillments in zip(ids, await fulfillments_by_order(store, ids), strict=True):
        plan, own = _current(fulfillments)
        if plan.shipments:
            found[order_id] = _Open(await lifecycle.load(store, order_id), plan, own)
    report = Report(considered=len(found))
    if not found:
        return report
    back: dict[Position, int] = {}
    shipments: dict[str, int] = {}
    for item in found.values():
        for position, units in item.own.items():
            back[position] = back.get(position, 0) + units
        for s in item.plan.shipments:
            shipments[s.location_id] = shipments.get(s.location_id, 0) + 1
    wave: list[WaveOrder] = []
    for item in found.values():
        asked = await wave_order(store, item.state, item.plan.allocated, now, whole=False)
        wave.append(replace(asked, candidates=_with_back(asked.candidates, back, shipments)))
    pool, capacity = pool_of(wave)
    moves = replan(
        wave,
        {k: v.plan for k, v in found.items()},
        pool,
        capacity,
        threshold=threshold,
        time_limit=time_limit,
    )
    pending = list(moves)
    while pending:  # a change that needs what another frees waits for it
        done = [m for m in pending if await _apply(store, m, found[m.key], now)]
        if not done:
            break
        report.applied.extend(
            Applied(m.key, m.reason, m.saving, m.old.total_cost, m.new.total_cost) for m in done
        )
        pending = [m for m in pending if m not in done]
    report.left_alone = len(pending)
    return report


async def _apply(store: GraphStore, move: Replan, item: _Open, now: datetime) -> bool:
    """One order's change, guarded; False when it was left alone."""
    applied = False

    async def decide(state: lc.OrderState, at: datetime) -> lc.Change:
        nonlocal applied
        applied = False
        unchanged = lc.Change(state.id, state.version)
        if state.version != item.state.version:  # released, updated, cancelled meanwhile
            return unchanged
        change = lc.Change(state.id, state.version)
        for f in state.fulfillments:
            if f.status == FulfillmentStatus.OPEN:
                change.move(
                    lc.FulfillmentMove(f.id, FulfillmentStatus.CANCELLED, at, "re-optimised")
                )
                lc.release_lines(state, change, f)
                f.status = FulfillmentStatus.CANCELLED
        planner, followed = following(move.new, item.own, alone=False)
        await lifecycle.allocate(store, state, change, at, "OrderRerouted", planner=planner)
        if not followed or not followed[-1]:  # the new plan's stock is gone: leave it alone
            return unchanged
        change.event(
            state,
            REOPTIMISED,
            events.replanned(
                reason=move.reason,
                saving=move.saving,
                before=move.old.total_cost,
                after=move.new.total_cost,
            ),
            at,
        )
        lifecycle.promise(state, change)
        applied = True
        return lc.finish(state, change, at)

    await lifecycle.run(store, move.key, decide, now)
    return applied
