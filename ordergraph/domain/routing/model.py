"""The routing problem as the solvers see it, and how a solution is scored.

``prepare`` applies the hard rules to the candidates (recording why each rejected one was
rejected), fixes how many units of each SKU a plan must allocate (the most the eligible
locations can supply, up to the demand), and turns every qualifying lane into an ``Option`` with
its policy-weighted costs and its promise dates. ``allocate`` finds the cheapest way to spread the
units over a chosen set of (location, lane) pairs; ``evaluate`` scores a solution with the full,
deterministic ordering key.

The ordering key of a solution is::

    (objective rounded to 1e-6, promise in days, number of shipments, location ids,
     allocation (more units at the earlier location id first), lanes (cheaper, then faster, then
     carrier and service names))

so equal-cost plans resolve the same way whatever order the candidates came in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import pairwise

from ordergraph.domain import promise
from ordergraph.domain.errors import ErrorCode, ValidationError
from ordergraph.domain.routing.rules import Effects, effects
from ordergraph.domain.routing.types import (
    PICKUP,
    STORE_KINDS,
    Candidate,
    Lane,
    Policy,
    RoutingRequest,
    TransferLane,
)

__all__ = [
    "Key",
    "Option",
    "Part",
    "Problem",
    "Site",
    "Solution",
    "allocate",
    "evaluate",
    "prepare",
    "restrict",
]

LaneRank = tuple[float, float, int, str, str]
Key = tuple[float, int, int, tuple[int, ...], tuple[tuple[int, ...], ...], tuple[LaneRank, ...]]

_PICKUP_LANE = Lane(PICKUP, PICKUP, 0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class Option:
    """One way a location can ship: a lane, its policy-weighted costs and its dates."""

    lane: Lane
    fixed: float  # handling_weight * handling + cost_weight * base + shipment_weight + distance
    unit: tuple[float, ...]  # per target SKU: cost_weight * per_kg * weight - bonuses
    days: int  # calendar days from the order's UTC date to the delivery date
    ship: date
    delivery: date
    rank: LaneRank
    ready: datetime | None = None  # a transfer's pickup ready-by (a store's own: Site.ready_by)
    transfer: TransferLane | None = None  # a transfer, then pickup at its store
    arrives: date | None = None  # the day a transfer arrives at the store


@dataclass(frozen=True, slots=True)
class Site:
    """An eligible location: what it can supply (capped at the target) and how it can ship."""

    index: int
    candidate: Candidate
    avail: tuple[int, ...]
    options: tuple[Option, ...]
    ready_by: datetime | None


@dataclass(frozen=True, slots=True)
class Problem:
    request: RoutingRequest
    policy: Policy
    demand: tuple[tuple[str, int], ...]  # every requested SKU, merged, in request order
    skus: tuple[str, ...]  # SKUs with at least one allocatable unit, sorted
    weights: tuple[float, ...]
    target: tuple[int, ...]  # units of each SKU every plan allocates
    sites: tuple[Site, ...]  # sorted by location id, so index order is id order
    considered: int
    rejections: tuple[str, ...]
    transit_limit: int
    rules: Effects = field(default_factory=Effects)  # what the policy's fired rules do here

    @property
    def max_shipments(self) -> int | None:
        """At most this many shipments (a rule's cap), None when uncapped."""
        return self.rules.max_shipments


@dataclass(frozen=True, slots=True)
class Part:
    """The units one site ships with one of its options, per target SKU."""

    site: int
    option: int
    quantities: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Solution:
    parts: tuple[Part, ...]  # sorted by site index
    objective: float
    key: Key


def _validate(request: RoutingRequest) -> tuple[tuple[str, int], ...]:
    if not request.lines:
        raise ValidationError("an order needs at least one line", field=("lines",))
    if request.placed_at.tzinfo is None:
        raise ValidationError("placedAt must carry a time zone", field=("placedAt",))
    merged: dict[str, int] = {}
    for i, line in enumerate(request.lines):
        if line.quantity < 1:
            raise ValidationError("quantity must be at least 1", field=("lines", str(i)))
        if line.sku not in request.skus:
            raise ValidationError(
                f"unknown SKU {line.sku}", ErrorCode.UNKNOWN_SKU, ("lines", str(i), "sku")
            )
        if not request.skus[line.sku].weight_kg >= 0.0:  # also catches NaN
            raise ValidationError(f"SKU {line.sku} has an invalid weight", field=("skus",))
        merged[line.sku] = merged.get(line.sku, 0) + line.quantity
    return tuple(merged.items())


def _tag_block(sku: str, sku_tags: frozenset[str], location_tags: frozenset[str]) -> str | None:
    if "hazmat" in sku_tags and "hazmat" not in location_tags:
        return f"hazmat {sku} needs a hazmat location"
    if "highValue" in sku_tags and "secure" not in location_tags:
        return f"high-value {sku} needs a secure location"
    return None


def _screen(
    c: Candidate,
    request: RoutingRequest,
    demand: dict[str, int],
    limit: int,
    rules: Effects,
    policy: str,
) -> tuple[str | None, dict[str, int], list[tuple[str, str]], tuple[Lane, ...]]:
    """(rejection reason or None, allowed stock, per-SKU notes, qualifying lanes)."""
    if not c.active:
        return "inactive", {}, [], ()
    if c.location_id in request.excluded_locations:
        return "excluded by the order", {}, [], ()
    ruled = rules.blocked(c) or rules.share_full(c, policy, c.share_used)
    if ruled is not None:
        return ruled, {}, [], ()
    transfer = request.pickup_at is not None and c.location_id != request.pickup_at
    if request.pickup_at is not None and not transfer and not c.pickup:
        return "does not offer pickup", {}, [], ()
    if c.capacity_left is not None and c.capacity_left < 1:
        return "no capacity left today", {}, [], ()
    if not c.handling_cost >= 0.0:  # also catches NaN
        return f"invalid handling cost {c.handling_cost}", {}, [], ()
    held = {sku: c.available.get(sku, 0) for sku in demand}
    held = {sku: qty for sku, qty in held.items() if qty > 0}
    if not held:
        return "no stock for the requested SKUs", {}, [], ()
    notes: list[tuple[str, str]] = []
    allowed: dict[str, int] = {}
    for sku, qty in held.items():
        tags = request.skus[sku].tags
        block = _tag_block(sku, tags, c.tags) or rules.sku_block(c, tags)
        if block is None:
            allowed[sku] = qty
        else:
            notes.append((sku, block))
    if not allowed:
        return "; ".join(block for _, block in notes), {}, [], ()
    if transfer:
        return None, allowed, notes, tuple(t.lane for t in _transfers(c, request.pickup_at))
    if request.pickup_at is not None:
        return None, allowed, notes, (_PICKUP_LANE,)
    lanes = tuple(
        lane
        for lane in c.lanes
        if 0 <= lane.transit_days <= limit and lane.base_cost >= 0.0 and lane.cost_per_kg >= 0.0
    )
    if not lanes:
        level = request.service_level.value
        return f"no lane meeting {level} (max {limit} days)", {}, [], ()
    return None, allowed, notes, lanes


def _lane_rank(lane: Lane) -> LaneRank:
    return (lane.base_cost, lane.cost_per_kg, lane.transit_days, lane.carrier, lane.service)


@lru_cache(maxsize=4096)
def _undominated(lanes: tuple[Lane, ...]) -> tuple[Lane, ...]:
    """Lanes that no other lane beats or matches on base cost, per-kg cost and transit days.

    A dropped lane can never be part of the best plan: swapping in its dominator leaves the
    allocation alone and does not worsen any component of the ordering key.
    """
    ranked = sorted(lanes, key=_lane_rank)
    kept: list[Lane] = []
    for lane in ranked:
        if not any(
            k.base_cost <= lane.base_cost
            and k.cost_per_kg <= lane.cost_per_kg
            and k.transit_days <= lane.transit_days
            for k in kept
        ):
            kept.append(lane)
    return tuple(kept)


_ship_date = lru_cache(maxsize=4096)(promise.ship_date)


def _dates(c: Candidate, request: RoutingRequest) -> tuple[date, datetime | None] | str:
    """(ship date, pickup ready-by) for ``c``, or why its promise data is unusable."""
    try:
        ship = _ship_date(request.placed_at, c.timezone, c.cutoff, c.processing_days, c.country)
        ready = None
        if request.pickup_at is not None and c.location_id == request.pickup_at:
            ready = promise.ready_by(
                request.placed_at, c.timezone, c.cutoff, c.processing_days, c.country
            )
    except ValueError as exc:
        return f"invalid promise data ({exc})"
    return ship, ready


def prepare(
    request: RoutingRequest,
    candidates: Sequence[Candidate],
    policy: Policy,
    lookahead: Mapping[tuple[str, str], float] | None = None,
) -> Problem:
    """Apply the hard rules and build the problem the solvers work on.

    ``lookahead`` (issue #18, docs/allocation.md): an opportunity-cost surcharge per unit taken
    from a (location, SKU) position, added to that position's unit cost in the objective only
    (a plan's reported cost stays its shipping cost)."""
    demand = _validate(request)
    rules = effects(policy, request)
    wanted = dict(demand)
    limit = request.transit_limit()
    ordered = sorted(candidates, key=lambda c: c.location_id)
    for a, b in pairwise(ordered):
        if a.location_id == b.location_id:
            raise ValidationError(f"location {a.location_id} is a candidate twice")
    rejections: list[str] = []
    screened: list[tuple[Candidate, dict[str, int], tuple[Lane, ...], date, datetime | None]] = []
    pickup_at = request.pickup_at
    skipped = 0
    for c in ordered:
        if pickup_at is not None and c.location_id != pickup_at and not _transfers(c, pickup_at):
            skipped += 1
            continue
        reason, allowed, notes, lanes = _screen(c, request, wanted, limit, rules, policy.name)
        dates = _dates(c, request) if reason is None else reason
        if isinstance(dates, str):
            rejections.append(f"{c.location_id} rejected: {dates}")
            continue
        rejections.extend(f"{c.location_id} cannot ship {sku}: {why}" for sku, why in notes)
        screened.append((c, allowed, lanes, *dates))
    if pickup_at is not None:
        sources = len(ordered) - skipped - any(c.location_id == pickup_at for c in ordered)
        if skipped == len(ordered):
            rejections.append(f"pickup store {pickup_at} is not among the candidate locations")
        elif sources and not any(c.location_id == pickup_at for c in ordered):
            rejections.append(f"pickup store {pickup_at} holds none of the requested SKUs")
        if sources:
            rejections.insert(
                0,
                f"{sources} location{'' if sources == 1 else 's'} with a transfer lane to "
                f"{pickup_at} considered for transfer, then pickup",
            )
        if skipped:
            rejections.insert(0, f"{skipped} other locations not considered: pickup at {pickup_at}")

    supply: dict[str, int] = {}
    for _, allowed, *_ in screened:
        for sku, qty in allowed.items():
            supply[sku] = supply.get(sku, 0) + qty
    skus = tuple(sorted(sku for sku in wanted if supply.get(sku, 0) > 0))
    target = tuple(min(wanted[sku], supply[sku]) for sku in skus)
    weights = tuple(request.skus[sku].weight_kg for sku in skus)
    base = request.placed_at.astimezone(UTC).date()

    sites: list[Site] = []
    for c, allowed, lanes, ship, ready in screened:
        avail = tuple(min(allowed.get(sku, 0), t) for sku, t in zip(skus, target, strict=True))
        bonus = policy.store_excess_weight if c.kind in STORE_KINDS else 0.0
        bonus += rules.bonus(c)
        far = policy.distance_weight * (c.distance_km or 0.0) if ready is None else 0.0
        site_fixed = policy.handling * c.handling_cost + policy.shipment_weight + far
        options: list[Option] = []
        if pickup_at is not None and c.location_id != pickup_at:
            made = _transfer_options(c, request, policy, weights, bonus)
            if isinstance(made, str):
                rejections.append(f"{c.location_id} rejected: {made}")
                continue
            sites.append(Site(len(sites), c, avail, tuple(made), None))
            continue
        for lane in _undominated(lanes):
            if ready is not None:
                delivery = promise.local_date(ready, c.timezone)
                fixed = site_fixed
            else:
                delivery = promise.delivery_date(ship, lane.transit_days, c.country)
                fixed = site_fixed + policy.cost_weight * lane.base_cost
            per_kg = policy.cost_weight * lane.cost_per_kg
            unit = tuple(
                per_kg * w - bonus + (lookahead or {}).get((c.location_id, sku), 0.0)
                for sku, w in zip(skus, weights, strict=True)
            )
            days = (delivery - base).days
            options.append(Option(lane, fixed, unit, days, ship, delivery, _lane_rank(lane)))
        sites.append(Site(len(sites), c, avail, tuple(options), ready))
    return Problem(
        request=request,
        policy=policy,
        demand=demand,
        skus=skus,
        weights=weights,
        target=target,
        sites=tuple(sites),
        considered=len(candidates),
        rejections=tuple(rejections),
        transit_limit=limit,
        rules=rules,
    )


def restrict(problem: Problem, target: Sequence[int]) -> Problem:
    """``problem`` with a smaller target (units per SKU of ``problem.skus``): SKUs left with no
    unit and sites left with nothing to ship drop out, the rest keep their order."""
    keep = [s for s, t in enumerate(target) if t > 0]
    sites: list[Site] = []
    for site in problem.sites:
        avail = tuple(min(site.avail[s], target[s]) for s in keep)
        if not any(avail):
            continue
        options = tuple(replace(o, unit=tuple(o.unit[s] for s in keep)) for o in site.options)
        sites.append(Site(len(sites), site.candidate, avail, options, site.ready_by))
    return replace(
        problem,
        skus=tuple(problem.skus[s] for s in keep),
        weights=tuple(problem.weights[s] for s in keep),
        target=tuple(target[s] for s in keep),
        sites=tuple(sites),
    )


def _transfers(c: Candidate, pickup_at: str | None) -> tuple[TransferLane, ...]:
    """The usable transfer lanes from ``c`` to the pickup store ``pickup_at``."""
    return tuple(
        t
        for t in c.transfers
        if t.to == pickup_at
        and t.transit_days >= 0
        and t.base_cost >= 0.0
        and t.cost_per_kg >= 0.0
        and t.store_handling_cost >= 0.0
    )


def _transfer_options(
    c: Candidate, request: RoutingRequest, policy: Policy, weights: tuple[float, ...], bonus: float
) -> list[Option] | str:
    """Transfer-then-pickup from ``c`` (docs/transfers.md): ``c`` ships on its ship date (the
    lane's cut-off, else its own), the units arrive at the store ``transit_days`` business days
    later, and the pickup is ready after the store's processing days. Its cost is the source's
    handling, the lane and the store's handling; its promise is the pickup's ready date."""
    base = request.placed_at.astimezone(UTC).date()
    options: list[Option] = []
    for t in sorted(_transfers(c, request.pickup_at), key=lambda t: _lane_rank(t.lane)):
        try:
            cutoff = t.cutoff or c.cutoff
            ship = _ship_date(request.placed_at, c.timezone, cutoff, c.processing_days, c.country)
            arrives = promise.delivery_date(ship, t.transit_days, c.country)
            ready = promise.ready_after_transfer(
                arrives, t.store_timezone, t.store_processing_days, t.store_country
            )
        except ValueError as exc:
            return f"invalid promise data ({exc})"
        delivery = promise.local_date(ready, t.store_timezone)
        fixed = (
            policy.cost_weight * (c.handling_cost + t.base_cost + t.store_handling_cost)
            + policy.shipment_weight
        )
        unit = tuple(policy.cost_weight * t.cost_per_kg * w - bonus for w in weights)
        options.append(
            Option(
                t.lane,
                fixed,
                unit,
                (delivery - base).days,
                ship,
                delivery,
                _lane_rank(t.lane),
                ready,
                t,
                arrives,
            )
        )
    if not options:
        return "no usable transfer lane to the pickup store"
    return options


def evaluate(problem: Problem, parts: Sequence[Part]) -> Solution:
    """Score a solution (parts with no units are dropped)."""
    used = tuple(sorted((p for p in parts if any(p.quantities)), key=lambda p: p.site))
    objective = 0.0
    latest = 0
    for part in used:
        option = problem.sites[part.site].options[part.option]
        objective += option.fixed
        for unit, qty in zip(option.unit, part.quantities, strict=True):
            if qty:
                objective += unit * qty
        latest = max(latest, option.days)
    objective += problem.policy.delivery_day_weight * latest
    key: Key = (
        round(objective, 6),
        latest,
        len(used),
        tuple(p.site for p in used),
        tuple(tuple(-q for q in p.quantities) for p in used),
        tuple(problem.sites[p.site].options[p.option].rank for p in used),
    )
    return Solution(used, objective, key)


def allocate(problem: Problem, chosen: Sequence[tuple[int, int]]) -> Solution | None:
    """The best allocation of the target over the chosen (site, option) pairs, or ``None``.

    Given the sites and their lanes every SKU is independent, and filling each one from the
    cheapest unit cost up (ties to the earlier location id) is optimal.
    """
    sites = problem.sites
    quantities = {i: [0] * len(problem.skus) for i, _ in chosen}
    for s, need in enumerate(problem.target):
        holders = sorted(
            (round(sites[i].options[k].unit[s], 9), i) for i, k in chosen if sites[i].avail[s] > 0
        )
        for _, i in holders:
            if need == 0:
                break
            take = min(need, sites[i].avail[s])
            quantities[i][s] = take
            need -= take
        if need:
            return None
    return evaluate(problem, [Part(i, k, tuple(quantities[i])) for i, k in chosen])
