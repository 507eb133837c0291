"""Allocation over a demo day (issue #18): total shipping cost of routing each order alone
(myopic), in batch waves, myopic then re-optimised, and with look-ahead, against the hindsight
optimum of the whole day (one HiGHS model over every order and the day's stock).

    python bench/allocation_day.py [--orders 1200] [--stock 0.04] [--wave-min 30] [--seed 7]
                                   [--cancel 0.1]  (figures: docs/allocation.md)

The day is the sandbox's demo day (``tools/demo/orders.py``) over the demo network
(``tools/demo/network.py``), replayed in the pure domain (the same ``prepare``, ``route`` and
``routing.batch`` the services use; no database), so the figures are costs, not timings, and
do not depend on the machine; only the time limits of HiGHS do (stated with the figures). Stock
is scaled (``--stock``, a share of each position's on-hand above safety stock, at least the
order's needs nowhere) so that the day runs popular positions dry: with the demo's deep stock
every strategy ties, there being nothing to share.

Strategies:
- myopic: each order routed exactly (CHEAPEST) over what earlier orders left;
- batch: orders collected for ``--wave-min`` minutes, each wave one joint model;
- re-optimised: myopic at intake; every ``--reopt-min`` minutes, the orders whose fulfillments
  are still open (placed less than ``--release-min`` minutes ago) are re-planned jointly, each
  change applied only when it saves more than ``--threshold`` and the stock is still free;
- look-ahead: myopic with the Poisson surcharge of ``routing.lookahead.surcharges`` (trailing
  ``--window-h`` hours of demand, horizon the rest of the day);
- look-ahead LP: myopic with Acimovic and Graves' opportunity costs, the shadow prices of a
  transportation LP of the rest of the day's expected demand (``routing.lookahead.
  shadow_prices``, re-solved every ``--lp-every-min`` minutes);
- with ``--cancel``, a share of the orders is cancelled 10-90 minutes after placing (their
  units go back to the pool; hindsight leaves them out), the change re-optimisation acts on;
- hindsight: every order of the day in one model (time limit ``--hindsight-s``), the lower bound.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ordergraph.domain.routing.batch import (
    WaveOrder,
    over_pool,
    replan,
    sequential,
    solve_wave,
    take,
)
from ordergraph.domain.routing.engine import route
from ordergraph.domain.routing.lookahead import DemandWindow, homes, shadow_prices, surcharges
from ordergraph.domain.routing.types import (
    Candidate,
    Lane,
    LineRequest,
    RoutingPlan,
    RoutingRequest,
    ServiceLevel,
    SkuInfo,
)
from ordergraph.tools.demo.network import generate_network
from ordergraph.tools.demo.orders import generate_orders

Pool = dict[tuple[str, str], int]
Capacity = dict[str, int | None]


@dataclass(frozen=True)
class Day:
    orders: list[tuple[datetime, str, WaveOrder]]  # (placed, region, order)
    pool: Pool
    capacity: Capacity
    home: dict[str, str]  # region -> cheapest location
    penalty: dict[str, float]  # location -> extra cost of its home regions from the 2nd best
    ground: dict[tuple[str, str], tuple[float, float]]  # (location, region) -> fixed, per kg
    cancel_at: dict[str, datetime]  # orders the customer cancels, and when

    def cancel_due(
        self, until: datetime | None, plans: dict[str, RoutingPlan], pool: Pool, cap: Capacity
    ) -> None:
        """Cancel the orders due by ``until`` (all when None): their units and shipments go
        back to the pool, and they ship nothing."""
        for key, at in self.cancel_at.items():
            if (until is None or at <= until) and key in plans:
                take(plans.pop(key), pool, cap, sign=-1)


def build_day(n: int, seed: int, stock_share: float, cancel_share: float = 0.0) -> Day:
    doc = generate_network(seed)
    skus = {
        s["id"]: SkuInfo(s["id"], float(s["weightKg"]), frozenset(s["tags"])) for s in doc["skus"]
    }
    lanes: dict[tuple[str, str], list[Lane]] = defaultdict(list)
    for ln in doc["lanes"]:
        lanes[ln["from"], ln["to"]].append(
            Lane(ln["carrier"], ln["service"], ln["transitDays"], ln["baseCost"], ln["costPerKg"])
        )
    by_region: dict[str, list[str]] = defaultdict(list)
    for loc_id, region in lanes:
        by_region[region].append(loc_id)
    locations = {loc["id"]: loc for loc in doc["locations"]}
    pool: Pool = {}
    for row in doc["stock"]:
        free = max(0, row["onHand"] - row["safetyStock"])
        pool[row["location"], row["sku"]] = int(free * stock_share + 0.5)
    held: dict[str, dict[str, int]] = defaultdict(dict)
    for (loc_id, sku), units in pool.items():
        held[loc_id][sku] = units
    capacity: Capacity = {lid: loc.get("dailyCapacity") for lid, loc in locations.items()}

    def candidates(region: str) -> tuple[Candidate, ...]:
        out = []
        for loc_id in sorted(by_region[region]):
            loc = locations[loc_id]
            out.append(
                Candidate(
                    location_id=loc_id,
                    kind=loc["kind"],
                    timezone=loc["timezone"],
                    country=loc["country"],
                    cutoff=loc.get("cutoff"),
                    processing_days=loc.get("processingDays", 0),
                    handling_cost=loc["handlingCost"],
                    capacity_left=loc.get("dailyCapacity"),
                    tags=frozenset(loc["tags"]),
                    active=True,
                    pickup=False,
                    available=held[loc_id],
                    lanes=tuple(lanes[loc_id, region]),
                )
            )
        return tuple(out)

    # a region's home: the location serving it cheapest (1 kg by ground); penalty: 2nd best less
    # best (``routing.lookahead.homes``, the one function live placement uses too)
    home, penalty = homes(
        {
            region: {
                lid: locations[lid]["handlingCost"]
                + min(ln.base_cost + ln.cost_per_kg for ln in lanes[lid, region])
                for lid in loc_ids
            }
            for region, loc_ids in by_region.items()
        }
    )

    orders = []
    cache: dict[str, tuple[Candidate, ...]] = {}
    for raw in generate_orders(doc, n, seed=seed):
        postal = raw["shipTo"]["postalCode"]
        region = f"US-{postal[:3]}"
        if region not in by_region:
            continue
        placed = datetime.fromisoformat(raw["placedAt"].replace("Z", "+00:00"))
        request = RoutingRequest(
            lines=tuple(LineRequest(li["sku"], li["quantity"]) for li in raw["lines"]),
            skus=skus,
            service_level=ServiceLevel(raw["serviceLevel"]),
            placed_at=placed,
        )
        if region not in cache:
            cache[region] = candidates(region)
        orders.append((placed, region, WaveOrder(raw["externalId"], request, cache[region])))
    ground = {}
    for (lid, region), options in lanes.items():
        best = min(
            (ln for ln in options if ln.transit_days <= 5),
            key=lambda ln: ln.base_cost + ln.cost_per_kg,
            default=None,
        )
        if best is not None:
            ground[lid, region] = (
                locations[lid]["handlingCost"] + best.base_cost,
                best.cost_per_kg,
            )
    rng = random.Random(seed)
    cancel_at = {
        o.key: placed + _minutes(rng.uniform(10, 90))
        for placed, _, o in orders
        if rng.random() < cancel_share
    }
    return Day(orders, pool, capacity, home, penalty, ground, cancel_at)


def cost(plans: dict[str, RoutingPlan]) -> tuple[float, int]:
    return (
        sum(p.total_cost for p in plans.values()),
        sum(s.units for p in plans.values() for s in p.shipments),
    )


def myopic(day: Day) -> dict[str, RoutingPlan]:
    if not day.cancel_at:
        return sequential([o for _, _, o in day.orders], day.pool, day.capacity).plans
    pool, capacity = dict(day.pool), dict(day.capacity)
    plans: dict[str, RoutingPlan] = {}
    for placed, _, order in day.orders:
        day.cancel_due(placed, plans, pool, capacity)
        plan = route(order.request, over_pool(order.candidates, pool, capacity))
        take(plan, pool, capacity)
        plans[order.key] = plan
    day.cancel_due(None, plans, pool, capacity)
    return plans


def batch(
    day: Day, wave_min: float, seconds: float, lp: tuple[float, float] | None = None
) -> dict[str, RoutingPlan]:
    """Waves of ``wave_min`` minutes; ``lp`` = (trailing window hours, weight): each wave's
    orders also carry the LP look-ahead's shadow prices, computed when the wave is cut."""
    pool, capacity = dict(day.pool), dict(day.capacity)
    plans: dict[str, RoutingPlan] = {}
    wave: list[WaveOrder] = []
    recent: list[tuple[datetime, str, str, int]] = []
    end = None
    end_of_day = day.orders[-1][0] if day.orders else None
    unit_cost = _unit_costs(day) if lp else {}
    for placed, region, order in [*day.orders, (None, "", None)]:
        if wave and (placed is None or (end is not None and placed >= end)):
            day.cancel_due(end, plans, pool, capacity)
            gone = {k for k, at in day.cancel_at.items() if end is not None and at <= end}
            wave = [o for o in wave if o.key not in gone]  # cancelled before its wave
        if wave and (placed is None or (end is not None and placed >= end)):
            if lp is not None and recent and end is not None and end_of_day is not None:
                window_h, weight = lp
                recent = [r for r in recent if r[0] >= end - _minutes(window_h * 60)]
                horizon = max(0.0, (end_of_day - end).total_seconds() / 3600)
                prices = _prices(day, recent, window_h, horizon, pool, unit_cost)
                extra = {k: weight * v for k, v in prices.items()}
                wave = [replace(o, lookahead=extra) for o in wave]
            result = solve_wave(wave, pool, capacity, time_limit=seconds)
            for plan in result.plans.values():
                take(plan, pool, capacity)
            plans |= result.plans
            wave = []
        if order is None or placed is None:
            break
        day.cancel_due(placed, plans, pool, capacity)
        if not wave:
            end = placed + _minutes(wave_min)
        wave.append(order)
        recent.extend((placed, region, line.sku, line.quantity) for line in order.request.lines)
    day.cancel_due(None, plans, pool, capacity)
    return plans


def _minutes(m: float):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(minutes=m)


def reoptimised(
    day: Day, every_min: float, release_min: float, threshold: float, seconds: float
) -> tuple[dict[str, RoutingPlan], int]:
    pool, capacity = dict(day.pool), dict(day.capacity)
    plans: dict[str, RoutingPlan] = {}
    placed_at: dict[str, datetime] = {}
    requests: dict[str, WaveOrder] = {}
    changes = 0
    next_run = day.orders[0][0] + _minutes(every_min) if day.orders else None
    for placed, _, order in [*day.orders, (None, "", None)]:
        while next_run is not None and (placed is None or placed >= next_run):
            day.cancel_due(next_run, plans, pool, capacity)
            changes += _reopt_once(
                next_run,
                plans,
                placed_at,
                requests,
                pool,
                capacity,
                release_min,
                threshold,
                seconds,
            )
            next_run = next_run + _minutes(every_min) if placed is not None else None
        if order is None or placed is None:
            break
        day.cancel_due(placed, plans, pool, capacity)
        plan = route(order.request, over_pool(order.candidates, pool, capacity))
        take(plan, pool, capacity)
        plans[order.key], placed_at[order.key], requests[order.key] = plan, placed, order
    day.cancel_due(None, plans, pool, capacity)
    return plans, changes


def _reopt_once(
    now: datetime,
    plans: dict[str, RoutingPlan],
    placed_at: dict[str, datetime],
    requests: dict[str, WaveOrder],
    pool: Pool,
    capacity: Capacity,
    release_min: float,
    threshold: float,
    seconds: float,
) -> int:
    open_keys = [
        k
        for k, at in placed_at.items()
        if now - at < _minutes(release_min) and k in plans and plans[k].shipments
    ]
    if not open_keys:
        return 0
    free_pool, free_cap = dict(pool), dict(capacity)
    wave = []
    for k in open_keys:
        take(plans[k], free_pool, free_cap, sign=-1)
        held = plans[k].allocated
        order = requests[k]
        wave.append(
            replace(
                order,
                request=replace(
                    order.request,
                    lines=tuple(LineRequest(s, q) for s, q in sorted(held.items())),
                ),
            )
        )
    moves = replan(
        wave,
        {k: plans[k] for k in open_keys},
        free_pool,
        free_cap,
        threshold=threshold,
        time_limit=seconds,
    )
    applied = 0
    pending = list(moves)
    while pending:  # a move whose stock another move frees waits for it (as a guarded write)
        progress = False
        for move in list(pending):
            take(plans[move.key], pool, capacity, sign=-1)
            take(move.new, pool, capacity)
            if all(v >= 0 for v in pool.values()) and all(
                v is None or v >= 0 for v in capacity.values()
            ):
                plans[move.key] = move.new
                applied += 1
                pending.remove(move)
                progress = True
            else:
                take(move.new, pool, capacity, sign=-1)
                take(plans[move.key], pool, capacity)
        if not progress:
            break
    return applied


def lookahead(day: Day, window_h: float, weight: float) -> dict[str, RoutingPlan]:
    pool, capacity = dict(day.pool), dict(day.capacity)
    plans: dict[str, RoutingPlan] = {}
    recent: list[tuple[datetime, str, str, int]] = []
    end_of_day = day.orders[-1][0] if day.orders else None
    for placed, region, order in day.orders:
        day.cancel_due(placed, plans, pool, capacity)
        cutoff = placed - _minutes(window_h * 60)
        recent = [r for r in recent if r[0] >= cutoff]
        window = DemandWindow(
            [(r, s, q) for _, r, s, q in recent], len({(t, r) for t, r, _, _ in recent}), window_h
        )
        assert end_of_day is not None
        horizon = max(0.0, (end_of_day - placed).total_seconds() / 3600)
        positions = [
            (c.location_id, line.sku)
            for c in order.candidates
            for line in order.request.lines
            if pool.get((c.location_id, line.sku), 0) > 0
        ]
        expected = window.expected(day.home, horizon)
        extra = surcharges(positions, pool, expected, day.penalty, weight)
        plan = route(order.request, over_pool(order.candidates, pool, capacity), lookahead=extra)
        take(plan, pool, capacity)
        plans[order.key] = plan
        recent.extend((placed, region, line.sku, line.quantity) for line in order.request.lines)
    day.cancel_due(None, plans, pool, capacity)
    return plans


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=1200)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--stock", type=float, default=0.04)
    p.add_argument("--cancel", type=float, default=0.0, help="share of orders cancelled")
    p.add_argument("--wave-min", type=float, default=30.0)
    p.add_argument("--wave-s", type=float, default=5.0, help="HiGHS time limit per wave")
    p.add_argument("--reopt-min", type=float, default=30.0)
    p.add_argument("--release-min", type=float, default=120.0)
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--window-h", type=float, default=3.0)
    p.add_argument("--weight", type=float, default=1.0)
    p.add_argument("--lp-every-min", type=float, default=60.0)
    p.add_argument("--lp-weight", type=float, default=1.0)
    p.add_argument("--hindsight-s", type=float, default=300.0)
    args = p.parse_args(argv)

    day = build_day(args.orders, args.seed, args.stock, args.cancel)
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {len(day.orders)} orders, stock share {args.stock}, "
        f"seed {args.seed}, {len(day.cancel_at)} cancelled 10-90 min after placing"
    )
    rows: list[tuple[str, float, int, float, str]] = []

    def timed(name: str, fn, note: str = "") -> dict[str, RoutingPlan]:  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        plans = fn()
        total, units = cost(plans)
        rows.append((name, total, units, time.perf_counter() - started, note))
        return plans

    timed("myopic", lambda: myopic(day))
    timed(
        "batch", lambda: batch(day, args.wave_min, args.wave_s), f"waves of {args.wave_min:g} min"
    )
    changes: list[int] = []

    def reopt() -> dict[str, RoutingPlan]:
        plans, n = reoptimised(day, args.reopt_min, args.release_min, args.threshold, args.wave_s)
        changes.append(n)
        return plans

    timed("re-optimised", reopt, f"every {args.reopt_min:g} min, open {args.release_min:g} min")
    rows[-1] = (*rows[-1][:4], rows[-1][4] + f", {changes[0]} changes")
    timed(
        "look-ahead",
        lambda: lookahead(day, args.window_h, args.weight),
        f"window {args.window_h:g} h, weight {args.weight:g}",
    )
    timed(
        "look-ahead LP",
        lambda: lookahead_lp(day, args.window_h, args.lp_every_min, args.lp_weight),
        f"shadow prices every {args.lp_every_min:g} min, weight {args.lp_weight:g}",
    )
    timed(
        "batch + LP",
        lambda: batch(day, args.wave_min, args.wave_s, (args.window_h, args.lp_weight)),
        f"waves of {args.wave_min:g} min with the LP look-ahead",
    )
    started = time.perf_counter()
    hind = solve_wave(
        [o for _, _, o in day.orders if o.key not in day.cancel_at],
        day.pool,
        day.capacity,
        time_limit=args.hindsight_s,
    )
    rows.append(
        (
            "hindsight",
            hind.cost,
            hind.units,
            time.perf_counter() - started,
            "proved optimal" if hind.optimal else f"best in {args.hindsight_s:g} s",
        )
    )
    base_cost, base_units = rows[0][1], rows[0][2]
    gap = base_cost - hind.cost
    print(
        f"{'strategy':<14}{'cost':>12}{'units':>8}{'per unit':>10}{'gap closed':>12}"
        f"  {'s':>7}  note"
    )
    for name, total, units, seconds, note in rows:
        closed = "" if gap <= 0 else f"{(base_cost - total) / gap:.0%}"
        print(
            f"{name:<14}{total:>12.2f}{units:>8}{total / max(units, 1):>10.3f}{closed:>12}  "
            f"{seconds:>7.1f}  {note}"
        )
    if any(row[2] != base_units for row in rows):
        print("note: strategies allocated different numbers of units; compare cost per unit too")


def lookahead_lp(
    day: Day, window_h: float, every_min: float, weight: float
) -> dict[str, RoutingPlan]:
    """Look-ahead by Acimovic and Graves' LP: every ``every_min`` minutes, the shadow prices of
    the stock positions in a transportation LP of the rest of the day's expected demand (from
    the trailing window, regions grouped by their home location) are the surcharges."""
    pool, capacity = dict(day.pool), dict(day.capacity)
    plans: dict[str, RoutingPlan] = {}
    recent: list[tuple[datetime, str, str, int]] = []
    end_of_day = day.orders[-1][0] if day.orders else None
    prices: dict[tuple[str, str], float] = {}
    next_at = day.orders[0][0] if day.orders else None
    unit_cost = _unit_costs(day)
    for placed, region, order in day.orders:
        day.cancel_due(placed, plans, pool, capacity)
        recent = [r for r in recent if r[0] >= placed - _minutes(window_h * 60)]
        if next_at is not None and placed >= next_at and recent:
            assert end_of_day is not None
            horizon = max(0.0, (end_of_day - placed).total_seconds() / 3600)
            prices = _prices(day, recent, window_h, horizon, pool, unit_cost)
            next_at = placed + _minutes(every_min)
        extra = {k: weight * v for k, v in prices.items()}
        plan = route(order.request, over_pool(order.candidates, pool, capacity), lookahead=extra)
        take(plan, pool, capacity)
        plans[order.key] = plan
        recent.extend((placed, region, line.sku, line.quantity) for line in order.request.lines)
    day.cancel_due(None, plans, pool, capacity)
    return plans


def _unit_costs(day: Day) -> dict[tuple[str, str], tuple[float, float]]:
    """(location, zone) -> (fixed, per kg) of its cheapest ground lane to the zone's regions
    (a zone: the regions homed at one location), averaged over those regions."""
    sums: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for (lid, region), cost in day.ground.items():
        sums[lid, day.home[region]].append(cost)
    return {
        k: (sum(f for f, _ in v) / len(v), sum(p for _, p in v) / len(v)) for k, v in sums.items()
    }


def _prices(
    day: Day,
    recent: list[tuple[datetime, str, str, int]],
    window_h: float,
    horizon: float,
    pool: Pool,
    unit_cost: dict[tuple[str, str], tuple[float, float]],
) -> dict[tuple[str, str], float]:
    units = sum(q for *_, q in recent)
    share: dict[str, float] = defaultdict(float)
    for _, _, sku, q in recent:
        share[sku] += q / units
    orders = len({(t, r) for t, r, _, _ in recent})
    per_order = units / orders
    zone_rate: dict[str, float] = defaultdict(float)
    for _, r in {(t, r) for t, r, _, _ in recent}:
        zone_rate[day.home[r]] += 1 / window_h
    demand = {
        (zone, sku): horizon * rate * s * per_order
        for zone, rate in zone_rate.items()
        for sku, s in share.items()
    }
    weights = {s.id: s.weight_kg for s in day.orders[0][2].request.skus.values()}
    cost: dict[tuple[str, str, str], float] = {}
    worst: dict[tuple[str, str], float] = defaultdict(float)
    for (loc, sku), held in pool.items():
        if held <= 0 or sku not in share:
            continue
        for zone in zone_rate:
            fc = unit_cost.get((loc, zone))
            if fc is not None:
                c = fc[0] + fc[1] * weights[sku]
                cost[loc, zone, sku] = c
                worst[zone, sku] = max(worst[zone, sku], c)
    unserved = {k: 1.5 * v for k, v in worst.items()}
    return shadow_prices(pool, demand, cost, unserved)


if __name__ == "__main__":
    main()
