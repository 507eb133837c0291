"""Routing many orders together: one HiGHS model over a wave of orders (issue #18).

Each order alone is routed exactly by ``routing.engine.route``; routed one after another, first
come first served, the first order may take the last units an order behind it needed more
(the same stock from farther away costs the second one more than it saved the first). A wave
routes its orders jointly. Over the orders ``o``, each order's eligible sites ``i`` (from its
own ``model.prepare``: hard rules, lanes, policy-weighted costs, look-ahead surcharges), their
lanes ``k`` and the target SKUs ``s``::

    phase 1: maximise  U = sum x[o,i,k,s]                       units allocated first
    phase 2: minimise  sum fixed[o,i,k] * y[o,i,k] + sum unit[o,i,k,s] * x[o,i,k,s]
                       + sum_o delivery_weight[o] * t[o]        the policies' objectives
             subject to U >= U* (phase 1's optimum), and in both phases
               sum_k y[o,i,k] <= 1                              one lane per order and location
               x[o,i,k,s] <= avail[o,i,s] * y[o,i,k]            what the order may take there
               sum_{i,k} x[o,i,k,s] <= target[o,s]              never more than it asked
               sum_{o,k} x[o,i,k,s] <= pool[i,s]                the SHARED stock of a position
               sum_{o,k} y[o,i,k]   <= capacity[i]              the SHARED shipments left today
               days[o,i,k] * y[o,i,k] <= t[o]                   t is the order's promise
               sum_{i,k} x[o,i,k,s] = target[o,s] * z[o]        an order that takes no partial
               y, z binary, x integer, t >= 0

``x`` must be integral here (two orders sharing a position no longer make each SKU a fill from
the cheapest up). HiGHS runs under a time limit (split between the phases); a phase without a
solution in time falls back to routing the orders one by one, exactly, over what the earlier
ones left (``sequential``), which is also what intake does without a wave.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import highspy

from ordergraph.domain.routing.engine import plan_of, route
from ordergraph.domain.routing.milp import Model
from ordergraph.domain.routing.model import Option, Part, Problem, evaluate, prepare
from ordergraph.domain.routing.types import (
    CHEAPEST,
    PICKUP,
    Candidate,
    Policy,
    RoutingPlan,
    RoutingRequest,
)

__all__ = [
    "Position",
    "Replan",
    "WaveOrder",
    "WaveResult",
    "held_plan",
    "over_pool",
    "pool_of",
    "replan",
    "restrict",
    "sequential",
    "solve_wave",
    "take",
    "wave_end",
]

Position = tuple[str, str]
"""(location id, SKU)."""


@dataclass(frozen=True, slots=True)
class WaveOrder:
    """One order of a wave: its key (order id), its routing question and candidates."""

    key: str
    request: RoutingRequest
    candidates: tuple[Candidate, ...]
    policy: Policy = CHEAPEST
    lookahead: Mapping[Position, float] | None = None


@dataclass(frozen=True, slots=True)
class WaveResult:
    """The plan of every order of the wave (an empty plan backorders it all)."""

    plans: dict[str, RoutingPlan]
    units: int
    cost: float  # total shipping cost of the plans
    optimal: bool
    method: str


def pool_of(orders: Sequence[WaveOrder]) -> tuple[dict[Position, int], dict[str, int | None]]:
    """The shared stock and capacity the orders' candidates show (the least any of them sees:
    candidates read for different channels may show less of a position than the free stock)."""
    pool: dict[Position, int] = {}
    capacity: dict[str, int | None] = {}
    for order in orders:
        for c in order.candidates:
            for sku, units in c.available.items():
                key = (c.location_id, sku)
                pool[key] = min(pool.get(key, units), units)
            left = capacity.get(c.location_id, c.capacity_left)
            if c.capacity_left is not None:
                left = c.capacity_left if left is None else min(left, c.capacity_left)
            capacity[c.location_id] = left
    return pool, capacity


def over_pool(
    candidates: Sequence[Candidate],
    pool: Mapping[Position, int],
    capacity: Mapping[str, int | None],
) -> tuple[Candidate, ...]:
    """The candidates with what the pool has left (stock of positions it names, capacity of
    locations it names)."""
    return tuple(
        replace(
            c,
            available={
                sku: max(0, min(units, pool.get((c.location_id, sku), units)))
                for sku, units in c.available.items()
            },
            capacity_left=capacity.get(c.location_id, c.capacity_left),
        )
        for c in candidates
    )


def take(
    plan: RoutingPlan, pool: dict[Position, int], capacity: dict[str, int | None], sign: int = 1
) -> None:
    """Take a plan's units and shipments out of the pool (``sign=-1`` gives them back)."""
    for shipment in plan.shipments:
        for sku, units in shipment.lines:
            key = (shipment.location_id, sku)
            if key in pool:
                pool[key] -= sign * units
        left = capacity.get(shipment.location_id)
        if left is not None:
            capacity[shipment.location_id] = left - sign


def restrict(candidates: Sequence[Candidate], plan: RoutingPlan) -> tuple[Candidate, ...]:
    """Only what ``plan`` uses: its locations, holding exactly its units, with its lanes. Routing
    a request over these gives ``plan`` back when the stock is still there, and allocates fewer
    units when it is not (then the caller routes over everything again)."""
    by_id = {c.location_id: c for c in candidates}
    kept = []
    for shipment in plan.shipments:
        c = by_id.get(shipment.location_id)
        if c is None:
            continue
        held = dict(shipment.lines)
        kept.append(
            replace(
                c,
                available={sku: min(units, c.available.get(sku, 0)) for sku, units in held.items()},
                lanes=tuple(
                    lane
                    for lane in c.lanes
                    if shipment.carrier == PICKUP
                    or (lane.carrier, lane.service) == (shipment.carrier, shipment.service)
                ),
            )
        )
    return tuple(kept)


def sequential(
    orders: Sequence[WaveOrder],
    pool: Mapping[Position, int],
    capacity: Mapping[str, int | None],
) -> WaveResult:
    """First come first served: each order routed exactly over what the ones before it left."""
    left, cap = dict(pool), dict(capacity)
    plans: dict[str, RoutingPlan] = {}
    units = 0
    cost = 0.0
    for order in orders:
        plan = route(
            order.request,
            over_pool(order.candidates, left, cap),
            order.policy,
            lookahead=order.lookahead,
        )
        take(plan, left, cap)
        plans[order.key] = plan
        units += sum(s.units for s in plan.shipments)
        cost += plan.total_cost
    return WaveResult(plans, units, cost, False, "one order at a time (first come first served)")


@dataclass
class _Columns:
    picks: list[tuple[int, int, int, int]]  # (y column, order, site, option)
    xs: list[tuple[int, int, int, int, int]]  # (x column, order, site, option, sku index)


def _build(
    problems: Sequence[Problem],
    pool: Mapping[Position, int],
    capacity: Mapping[str, int | None],
    phase: int,
    floor: float,
) -> tuple[Model, _Columns]:
    model = Model([], [], [], [])
    cols = _Columns([], [])
    shared: dict[Position, list[int]] = {}
    shipments: dict[str, list[int]] = {}
    every_x: list[int] = []
    for o, problem in enumerate(problems):
        by_sku: list[list[int]] = [[] for _ in problem.skus]
        timed: list[tuple[int, int]] = []
        for site in problem.sites:
            ys: list[int] = []
            location = site.candidate.location_id
            kept = _kept(problem, site.options)
            for k, option in enumerate(site.options):
                if k not in kept:
                    continue
                y = model.column(option.fixed if phase == 2 else 0.0, 1.0, True)
                ys.append(y)
                cols.picks.append((y, o, site.index, k))
                timed.append((y, option.days))
                shipments.setdefault(location, []).append(y)
                for s, sku in enumerate(problem.skus):
                    avail = min(site.avail[s], pool.get((location, sku), site.avail[s]))
                    if avail <= 0:
                        continue
                    x = model.column(option.unit[s] if phase == 2 else -1.0, float(avail), True)
                    cols.xs.append((x, o, site.index, k, s))
                    by_sku[s].append(x)
                    shared.setdefault((location, sku), []).append(x)
                    every_x.append(x)
                    model.row([x, y], [1.0, -float(avail)], -highspy.kHighsInf, 0.0)
            if len(ys) > 1:
                model.row(ys, [1.0] * len(ys), -highspy.kHighsInf, 1.0)
        whole = None if problem.request.allow_partial else model.column(0.0, 1.0, True)
        for s, need in enumerate(problem.target):
            if whole is None:
                model.row(by_sku[s], [1.0] * len(by_sku[s]), 0.0, float(need))
            else:
                model.row([*by_sku[s], whole], [1.0] * len(by_sku[s]) + [-float(need)], 0.0, 0.0)
        weight = problem.policy.delivery_day_weight
        if phase == 2 and weight > 0.0:
            t = model.column(weight, highspy.kHighsInf, False)
            for y, days in timed:
                model.row([y, t], [float(days), -1.0], -highspy.kHighsInf, 0.0)
    for key, xs in shared.items():
        if key in pool:
            model.row(xs, [1.0] * len(xs), -highspy.kHighsInf, float(max(pool[key], 0)))
    for location, ys in shipments.items():
        limit = capacity.get(location)
        if limit is not None:
            model.row(ys, [1.0] * len(ys), -highspy.kHighsInf, float(max(limit, 0)))
    if phase == 2 and every_x:
        model.row(every_x, [1.0] * len(every_x), floor, highspy.kHighsInf)
    return model, cols


def _kept(problem: Problem, options: Sequence[Option]) -> set[int]:
    """The lanes worth a column: with no weight on the promise, a lane no cheaper in its fixed
    and every unit cost than another of the same site never helps."""
    if problem.policy.delivery_day_weight > 0.0:
        return set(range(len(options)))
    kept: set[int] = set()
    for k, option in enumerate(options):
        beaten = any(
            j != k
            and other.fixed <= option.fixed
            and all(a <= b for a, b in zip(other.unit, option.unit, strict=True))
            and (other.fixed, other.unit, j) < (option.fixed, option.unit, k)
            for j, other in enumerate(options)
        )
        if not beaten:
            kept.add(k)
    return kept


def _solutions(
    problems: Sequence[Problem], cols: _Columns, values: Sequence[float]
) -> list[list[Part]]:
    chosen: dict[tuple[int, int], int] = {}
    for y, o, i, k in cols.picks:
        if values[y] > 0.5:
            chosen[o, i] = k
    units: dict[tuple[int, int], list[int]] = {}
    for x, o, i, k, s in cols.xs:
        q = round(values[x])
        if q > 0 and chosen.get((o, i)) == k:
            units.setdefault((o, i), [0] * len(problems[o].skus))[s] += q
    parts: list[list[Part]] = [[] for _ in problems]
    for (o, i), quantities in sorted(units.items()):
        parts[o].append(Part(i, chosen[o, i], tuple(quantities)))
    return parts


def _fits(
    plans: Mapping[str, RoutingPlan],
    pool: Mapping[Position, int],
    capacity: Mapping[str, int | None],
) -> bool:
    left, cap = dict(pool), dict(capacity)
    for plan in plans.values():
        take(plan, left, cap)
    return all(v >= 0 for v in left.values()) and all(v is None or v >= 0 for v in cap.values())


def solve_wave(
    orders: Sequence[WaveOrder],
    pool: Mapping[Position, int] | None = None,
    capacity: Mapping[str, int | None] | None = None,
    *,
    time_limit: float = 5.0,
) -> WaveResult:
    """The wave's plans: the joint model (module doc) within ``time_limit`` seconds, else the
    orders one by one (``sequential``). ``pool`` and ``capacity`` default to ``pool_of``."""
    if pool is None or capacity is None:
        seen_pool, seen_capacity = pool_of(orders)
        pool = seen_pool if pool is None else pool
        capacity = seen_capacity if capacity is None else capacity
    if not orders:
        return WaveResult({}, 0, 0.0, True, "an empty wave")
    problems = [
        prepare(o.request, over_pool(o.candidates, pool, capacity), o.policy, o.lookahead)
        for o in orders
    ]
    first, cols = _build(problems, pool, capacity, 1, 0.0)
    proved_units, values = first.solve(time_limit / 3)
    if values is None:
        return sequential(orders, pool, capacity)
    most = sum(round(values[x]) for x, *_ in cols.xs)
    second, cols = _build(problems, pool, capacity, 2, float(most))
    optimal, values = second.solve(time_limit * 2 / 3)
    if values is None:
        return sequential(orders, pool, capacity)
    exact = proved_units and optimal
    method = f"batch wave of {len(orders)} orders, one HiGHS model " + (
        "(proved optimal)" if exact else "(time limit: best found)"
    )
    plans: dict[str, RoutingPlan] = {}
    solved = _solutions(problems, cols, values)
    for order, problem, parts in zip(orders, problems, solved, strict=True):
        if not parts:
            plans[order.key] = route(order.request, (), order.policy)  # backorders it all
            continue
        solution = evaluate(problem, parts)
        plans[order.key] = _with_backorders(plan_of(problem, solution, exact, method), problem)
    if not _fits(plans, pool, capacity):  # a numerical slip of the solver: never oversell
        return sequential(orders, pool, capacity)
    units = sum(s.units for p in plans.values() for s in p.shipments)
    cost = sum(p.total_cost for p in plans.values())
    if not exact:  # cut short: never worse than one order at a time
        fallback = sequential(orders, pool, capacity)
        if (fallback.units, -fallback.cost) > (units, -cost):
            return replace(fallback, method=f"{fallback.method}; better than the time-limited wave")
    return WaveResult(plans, units, cost, exact, method)


def _with_backorders(plan: RoutingPlan, problem: Problem) -> RoutingPlan:
    """``plan_of`` backorders what the order's own problem could not supply; a wave may give
    an order less than that (another order needed the units more)."""
    allocated = plan.allocated
    backordered = tuple(
        (sku, want - allocated.get(sku, 0))
        for sku, want in sorted(problem.demand)
        if want > allocated.get(sku, 0)
    )
    if backordered == plan.backordered:
        return plan
    note = "; ".join(f"{sku} x{q}" for sku, q in backordered)
    return replace(
        plan,
        backordered=backordered,
        explanation=(*plan.explanation, f"Backordered in the wave: {note}."),
    )


@dataclass(frozen=True, slots=True)
class Replan:
    """A better plan for an order whose fulfillments are still open: what it saves and why."""

    key: str
    old: RoutingPlan
    new: RoutingPlan
    saving: float
    reason: str


def _reason(old: RoutingPlan, new: RoutingPlan) -> str:
    before = {s.location_id for s in old.shipments}
    after = {s.location_id for s in new.shipments}
    if len(new.shipments) < len(old.shipments):
        return (
            f"a cheaper consolidation: {len(old.shipments)} shipments become {len(new.shipments)}"
        )
    if after - before:
        return f"stock closer or freed at {', '.join(sorted(after - before))}"
    return "cheaper lanes from the same locations"


def replan(
    orders: Sequence[WaveOrder],
    current: Mapping[str, RoutingPlan],
    pool: Mapping[Position, int],
    capacity: Mapping[str, int | None],
    *,
    threshold: float,
    time_limit: float = 5.0,
) -> list[Replan]:
    """Re-plan open orders jointly (``solve_wave``): ``orders`` ask for the units their open
    fulfillments hold, ``pool`` and ``capacity`` count those units and shipments as free (they
    are the orders' own), and an order changes only when its new plan allocates as many units
    and costs more than ``threshold`` less. Largest saving first."""
    wave = solve_wave(orders, pool, capacity, time_limit=time_limit)
    moves = []
    for order in orders:
        old, new = current[order.key], wave.plans.get(order.key)
        if new is None or sum(s.units for s in new.shipments) < sum(s.units for s in old.shipments):
            continue
        saving = round(old.total_cost - new.total_cost, 6)
        if saving > threshold:
            moves.append(Replan(order.key, old, new, saving, _reason(old, new)))
    return sorted(moves, key=lambda m: (-m.saving, m.key))


def wave_end(now: datetime, window_s: int) -> datetime:
    """When the batch window holding an order placed at ``now`` ends: windows are aligned to
    multiples of ``window_s`` since the epoch, so every process cuts the same waves."""
    step = window_s * 1000
    ms = int(now.timestamp() * 1000)
    return datetime.fromtimestamp(((ms // step) + 1) * step / 1000, UTC)


def held_plan(demand: Mapping[str, int], policy: str, until: datetime) -> RoutingPlan:
    """The plan of an order held for a batch wave: nothing allocated yet, nothing reserved."""
    return RoutingPlan(
        shipments=(),
        backordered=tuple(sorted(demand.items())),
        total_cost=0.0,
        promised_by=None,
        explanation=(
            f"Held for batch allocation: routed with the other orders of its wave at "
            f"{until.isoformat()} (docs/allocation.md); nothing is reserved until then.",
        ),
        policy=policy,
        exact=True,
    )
