"""Distributed order routing: which locations ship which units, by which lane, and why.

``route(request, candidates, policy)`` is a pure, deterministic function. It

1. applies the hard rules (active, not excluded, capacity left, a lane meeting the service level
   or the pickup store, tag rules, stock) and records why every rejected candidate was rejected;
2. allocates as many units as the eligible locations hold, up to the demand (the rest is
   backordered, or the order is refused when it does not allow a partial allocation);
3. among the plans allocating that many units, returns the one with the least policy objective,
   ties broken on the earliest promise, then fewer shipments, then location ids.

For orders of up to ``SearchLimits.exact_max_lines`` distinct SKUs the answer is exact: branch and
bound (``routing.exact``) proves it, with a MILP (``routing.milp``) as the fallback should the
search run out of nodes. Larger orders get a bounded search of both, never worse than the
ship-complete-else-greedy baseline; ``RoutingPlan.exact`` tells which happened.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ordergraph.domain.routing.exact import branch_and_bound
from ordergraph.domain.routing.greedy import best_single, cheapest_cover, ship_complete_else_greedy
from ordergraph.domain.routing.milp import most_units, solve_milp
from ordergraph.domain.routing.model import Part, Problem, Solution, evaluate, prepare, restrict
from ordergraph.domain.routing.types import (
    CHEAPEST,
    PICKUP,
    Candidate,
    PlannedShipment,
    Policy,
    RoutingPlan,
    RoutingRequest,
)

__all__ = ["GREEDY_NEAREST", "SearchLimits", "greedy_nearest", "plan_of", "route"]

GREEDY_NEAREST = "GREEDY_NEAREST"


@dataclass(frozen=True, slots=True)
class SearchLimits:
    """How much work routing may do.

    Branch and bound counts nodes, not time, so its answers never depend on machine speed. Only
    when it runs out does the MILP run, under a time limit: a plan that limit cuts short (then
    ``exact`` is false) may differ between a fast and a slow machine.
    """

    exact_max_lines: int = 10
    exact_nodes: int = 20_000
    exact_milp_seconds: float = 5.0
    bounded_nodes: int = 5_000
    bounded_milp_seconds: float = 0.2


DEFAULT_LIMITS = SearchLimits()


def route(
    request: RoutingRequest,
    candidates: Sequence[Candidate],
    policy: Policy = CHEAPEST,
    *,
    limits: SearchLimits = DEFAULT_LIMITS,
    lookahead: Mapping[tuple[str, str], float] | None = None,
) -> RoutingPlan:
    """The best plan for ``request`` over ``candidates`` under ``policy``; see the module doc.

    ``lookahead``: per-unit surcharges of (location, SKU) positions (``model.prepare``).
    When a rule of ``policy`` that fired names a fallback and the plan leaves units unallocated,
    the order is routed again under the fallback, whose plan is taken if it allocates more.
    """
    problem = prepare(request, candidates, policy, lookahead)
    plan = _solve(problem, limits)
    fallback, rule = problem.rules.fallback, problem.rules.fallback_rule
    if fallback is None or plan.feasible:
        return plan
    other = route(request, candidates, fallback, limits=limits, lookahead=lookahead)
    wanted = sum(qty for _, qty in problem.demand)
    mine, theirs = sum(plan.allocated.values()), sum(other.allocated.values())
    if theirs > mine:
        note = (
            f"Rule {rule} of policy {policy.label}: it allocates {mine} of {wanted} units; "
            f"routed under the fallback policy {fallback.label} instead."
        )
        return replace(other, explanation=(note, *other.explanation))
    note = (
        f"Rule {rule}: the fallback policy {fallback.label} allocates no more units "
        f"({theirs} of {wanted}); this plan stands."
    )
    return replace(plan, explanation=(*plan.explanation, note))


def _solve(problem: Problem, limits: SearchLimits) -> RoutingPlan:
    refused = _refusal(problem)
    if refused is not None:
        return refused
    small = len(problem.demand) <= limits.exact_max_lines
    best, exact, method = _search(problem, _baseline(problem), limits)
    cap = problem.max_shipments
    if best is None:  # only under a max split: the target needs more shipments than the cap
        assert cap is not None
        seconds = limits.exact_milp_seconds if small else limits.bounded_milp_seconds
        found = most_units(problem, seconds)
        assert found is not None  # one shipment always allocates something
        target, proved = found
        units, wanted = sum(target), sum(problem.target)
        problem = restrict(problem, target)
        refused = _refusal(problem)
        if refused is not None:
            return refused
        best, exact, method = _search(problem, _baseline(problem), limits)
        assert best is not None  # the MILP found a plan allocating this target
        exact = exact and proved
        method += (
            f"; rule {problem.rules.cap_rule} caps the order at {cap} shipment"
            f"{'' if cap == 1 else 's'}, within which at most {units} of the {wanted} "
            "allocatable units ship (HiGHS)"
        )
    return _plan(problem, best, exact, method)


def _within(problem: Problem, solution: Solution | None) -> bool:
    cap = problem.max_shipments
    return solution is not None and (cap is None or len(solution.parts) <= cap)


def _baseline(problem: Problem) -> Solution | None:
    """The first incumbent: the better greedy start within the max split, if any."""
    baseline = ship_complete_else_greedy(problem)
    if baseline is not None and len(baseline.parts) > 1:
        other = cheapest_cover(problem)
        if _within(problem, other) and (
            not _within(problem, baseline)
            or (other is not None and baseline is not None and other.key < baseline.key)
        ):
            baseline = other
    return baseline if _within(problem, baseline) else None


def _search(
    problem: Problem, baseline: Solution | None, limits: SearchLimits
) -> tuple[Solution | None, bool, str]:
    """(best plan or None when none within the max split covers the target, exact, method)."""
    small = len(problem.demand) <= limits.exact_max_lines
    nodes = limits.exact_nodes if small else limits.bounded_nodes
    result = branch_and_bound(problem, baseline, nodes)
    best, exact, used = result.best, result.complete, result.nodes
    method = f"branch and bound proved this plan optimal ({used} node{'' if used == 1 else 's'})"
    if not exact:
        seconds = limits.exact_milp_seconds if small else limits.bounded_milp_seconds
        milp = solve_milp(problem, seconds)
        if milp.best is not None and (best is None or milp.best.key < best.key):
            best = milp.best
        again = branch_and_bound(problem, best, nodes)
        best, exact = again.best, again.complete or milp.optimal
        if again.complete:
            method = "branch and bound, seeded by the MILP, proved this plan optimal"
        elif milp.optimal:
            method = "the MILP proved the objective optimal; equal-cost ties not exhausted"
        else:
            method = (
                "bounded search (branch and bound, MILP, greedy baseline): best found, "
                "not proven optimal"
            )
    return best, exact, method


def greedy_nearest(request: RoutingRequest, candidates: Sequence[Candidate]) -> RoutingPlan:
    """The benchmark baseline: each line from the nearest location with stock.

    Each SKU comes whole from the nearest eligible location (by ``distance_km``, unknown last,
    then id) holding all of it, else from the nearest locations in turn; the units of one
    location form one shipment, on its cheapest qualifying lane.
    """
    problem = prepare(request, candidates, CHEAPEST)
    refused = _refusal(problem, GREEDY_NEAREST)
    if refused is not None:
        return refused
    sites = problem.sites
    near = sorted(
        sites,
        key=lambda s: (
            math.inf if s.candidate.distance_km is None else s.candidate.distance_km,
            s.candidate.location_id,
        ),
    )
    quantities = {site.index: [0] * len(problem.skus) for site in sites}
    for s, need in enumerate(problem.target):
        whole = next((site for site in near if site.avail[s] >= need), None)
        for site in [whole] if whole is not None else near:
            take = min(need, site.avail[s])
            quantities[site.index][s] += take
            need -= take
            if need == 0:
                break
    parts: list[Part] = []
    for i, qty in quantities.items():
        if not any(qty):
            continue
        options = sites[i].options
        costs = [
            (o.fixed + sum(u * q for u, q in zip(o.unit, qty, strict=True)), o.rank, k)
            for k, o in enumerate(options)
        ]
        parts.append(Part(i, min(costs)[2], tuple(qty)))
    return _plan(
        problem, evaluate(problem, parts), False, "greedy nearest-location baseline", GREEDY_NEAREST
    )


def plan_of(problem: Problem, best: Solution, exact: bool, method: str) -> RoutingPlan:
    """The routing plan (shipments, costs, explanation) of a solution found elsewhere (a
    batch wave, ``routing.batch``)."""
    return _plan(problem, best, exact, method)


def _header(problem: Problem) -> list[str]:
    request = problem.request
    units, count = sum(qty for _, qty in problem.demand), len(problem.demand)
    lines = f"{count} SKU{'' if count == 1 else 's'} ({units} unit{'' if units == 1 else 's'})"
    if request.pickup_at is not None:
        what = f"Routing {lines} for pickup at {request.pickup_at}"
    else:
        level = request.service_level.value
        what = f"Routing {lines} for {level} delivery (lanes of at most {problem.transit_limit} "
        what += "transit days)"
    eligible = len(problem.sites)
    header = [f"{what} under policy {problem.policy.name}."]
    if problem.policy.rules:
        fired = problem.rules.fired
        header.append(
            f"Rules of policy {problem.policy.label} that fired: "
            + ("; ".join(rule.describe() for rule in fired) if fired else "none")
            + "."
        )
    return [
        *header,
        f"Considered {problem.considered} candidate locations: {eligible} eligible.",
        *problem.rejections,
    ]


def _shortages(problem: Problem) -> list[tuple[str, int, int]]:
    """(SKU, requested, allocatable) for every SKU that cannot be allocated in full."""
    allocatable = dict(zip(problem.skus, problem.target, strict=True))
    return [
        (sku, qty, allocatable.get(sku, 0))
        for sku, qty in problem.demand
        if allocatable.get(sku, 0) < qty
    ]


def _refusal(problem: Problem, policy: str | None = None) -> RoutingPlan | None:
    """The infeasible plan, when nothing can be allocated or a partial order is refused."""
    short = _shortages(problem)
    name = policy or problem.policy.name
    everything = tuple(sorted(problem.demand))
    if not problem.skus:
        reason = "No eligible location holds any requested unit; everything is backordered."
    elif short and not problem.request.allow_partial:
        detail = "; ".join(f"{sku}: {have} of {want} available" for sku, want, have in short)
        reason = (
            "Refused: the order does not allow partial allocation and stock is short "
            f"({detail}); nothing is allocated."
        )
    else:
        return None
    explanation = (*_header(problem), reason)
    return RoutingPlan((), everything, 0.0, None, explanation, name, True)


def _shipment(problem: Problem, part: Part) -> tuple[PlannedShipment, str]:
    site = problem.sites[part.site]
    option = site.options[part.option]
    lane, c = option.lane, site.candidate
    lines = tuple((sku, q) for sku, q in zip(problem.skus, part.quantities, strict=True) if q)
    kg = sum(w * q for w, q in zip(problem.weights, part.quantities, strict=True))
    cost = c.handling_cost + lane.base_cost + lane.cost_per_kg * kg
    shipment = PlannedShipment(
        location_id=c.location_id,
        lines=lines,
        carrier=lane.carrier,
        service=lane.service,
        transit_days=lane.transit_days,
        cost=round(cost, 6),
        ship_by=option.ship,
        estimated_delivery=option.delivery,
        ready_by=site.ready_by,
    )
    units = ", ".join(f"{sku} x{q}" for sku, q in lines)
    transfer = option.transfer
    if transfer is not None:
        assert option.ready is not None and option.arrives is not None
        cost += transfer.store_handling_cost
        shipment = replace(
            shipment,
            cost=round(cost, 6),
            ready_by=option.ready,
            via=transfer.to,
            arrives=option.arrives,
        )
        text = (
            f"Transfer from {c.location_id} to {transfer.to} by {lane.carrier} {lane.service} "
            f"({lane.transit_days} transit days): {units}; ships {option.ship.isoformat()}, "
            f"arrives {option.arrives.isoformat()}; then pick up at {transfer.to} after "
            f"{transfer.store_processing_days} processing day"
            f"{'' if transfer.store_processing_days == 1 else 's'}, ready by "
            f"{option.ready.isoformat()}; cost {cost:.2f} = handling {c.handling_cost:.2f} + "
            f"base {lane.base_cost:.2f} + {lane.cost_per_kg:.2f}/kg x {kg:.2f} kg + store "
            f"handling {transfer.store_handling_cost:.2f}."
        )
        return shipment, text
    if lane.carrier == PICKUP:
        ready = "" if site.ready_by is None else site.ready_by.isoformat()
        text = f"Pick up at {c.location_id}: {units}; cost {cost:.2f} (handling); ready by {ready}."
    else:
        text = (
            f"Ship from {c.location_id} by {lane.carrier} {lane.service} "
            f"({lane.transit_days} transit days): {units}; cost {cost:.2f} = handling "
            f"{c.handling_cost:.2f} + base {lane.base_cost:.2f} + {lane.cost_per_kg:.2f}/kg x "
            f"{kg:.2f} kg; ships {option.ship.isoformat()}, arrives "
            f"{option.delivery.isoformat()}."
        )
    return shipment, text


def _split_reason(problem: Problem, best: Solution, cost: float) -> str:
    count = len(best.parts)
    single = best_single(problem)
    if single is None:
        return f"Split into {count} shipments: no single location can ship the whole order."
    shipment, _ = _shipment(problem, single.parts[0])
    where = f"({shipment.location_id}, {shipment.cost:.2f})"
    if shipment.cost - cost > 0.005:
        saving = shipment.cost - cost
        return (
            f"Split into {count} shipments: splitting saves {saving:.2f} against the best "
            f"single-location plan {where}."
        )
    if single.key[1] > best.key[1]:
        earlier = single.key[1] - best.key[1]
        return (
            f"Split into {count} shipments: splitting promises {earlier} "
            f"day{'' if earlier == 1 else 's'} earlier than the best single-location plan "
            f"{where}, at {cost - shipment.cost:.2f} more."
        )
    gain = single.objective - best.objective
    return (
        f"Split into {count} shipments: the split scores {gain:.2f} better under policy "
        f"{problem.policy.name} than the best single-location plan {where}."
    )


def _transfer_reason(problem: Problem, shipments: Sequence[PlannedShipment]) -> str:
    """Why a pickup order takes a transfer: what the store itself could give."""
    store = problem.request.pickup_at
    own = next((s for s in problem.sites if s.candidate.location_id == store), None)
    wanted = sum(problem.target)
    if own is None:
        return (
            f"Transfer, then pickup: {store} holds none of the requested units, so they travel "
            "by transfer lane; the promise is the transfer's arrival plus the store's processing."
        )
    held = sum(own.avail)
    at_store = sum(s.units for s in shipments if s.via is None)
    if held < wanted:
        return (
            f"Transfer, then pickup: {store} holds {held} of the {wanted} units; the rest travel "
            "by transfer lane, and the promise is the transfer's arrival plus the store's "
            "processing."
        )
    return (
        f"Transfer, then pickup: {store} holds all {wanted} units but the plan takes "
        f"{wanted - at_store} by transfer: it scores better under policy "
        f"{problem.policy.name}."
    )


def _plan(
    problem: Problem, best: Solution, exact: bool, method: str, policy: str | None = None
) -> RoutingPlan:
    explanation = _header(problem)
    shipments: list[PlannedShipment] = []
    for part in best.parts:
        shipment, text = _shipment(problem, part)
        shipments.append(shipment)
        explanation.append(text)
    total = round(sum(s.cost for s in shipments), 6)
    if len(shipments) > 1 and policy is None:
        explanation.append(_split_reason(problem, best, total))
    if any(s.via is not None for s in shipments):
        explanation.append(_transfer_reason(problem, shipments))
    backordered = []
    for sku, want, have in _shortages(problem):
        backordered.append((sku, want - have))
        explanation.append(
            f"Backordered {sku} x{want - have}: {have} of {want} available at eligible locations."
        )
    promised = max(s.estimated_delivery for s in shipments)
    explanation.append(f"Total cost {total:.2f}; promised by {promised.isoformat()}.")
    explanation.append(f"Method: {method}.")
    return RoutingPlan(
        shipments=tuple(shipments),
        backordered=tuple(sorted(backordered)),
        total_cost=total,
        promised_by=promised,
        explanation=tuple(explanation),
        policy=policy or problem.policy.name,
        exact=exact,
    )
