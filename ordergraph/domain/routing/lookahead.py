"""Look-ahead: what using the last units of a position costs the orders still to come (#18).

After Acimovic and Graves ("Making better fulfillment decisions on the fly in an online retail
environment", M&SOM 2015): a myopic router takes the cheapest units now, even the last ones a
location holds for its own region, and the region's later orders then ship from farther away.
Their heuristic prices that: the expected extra cost of serving the location's region later,
charged to the units used now. Here, per (location, SKU) position::

    expected[l, s] = horizon_h * share[s] * units_per_order * sum_{r homed at l} rate[r]
    surcharge[l, s] = weight * P(Poisson(expected[l, s]) >= available[l, s]) * penalty[l]

``rate[r]`` is region ``r``'s orders per hour over a trailing window, ``share[s]`` SKU ``s``'s
share of the units in that window, a region's home the location that serves it cheapest, and
``penalty[l]`` the demand-weighted extra cost of serving ``l``'s home regions from their second
best location. The probability is that of the position's last unit (the one this order would
take) being wanted by the home region before the horizon: 0 for a deep position, near 1 for the
last unit of a busy one. The surcharge is an input of ``routing.model.prepare`` (objective only;
a plan's cost stays its shipping cost), so a policy turns it on with a weight.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import highspy

from ordergraph.domain.routing.engine import route
from ordergraph.domain.routing.milp import Model
from ordergraph.domain.routing.types import Candidate, Policy, RoutingPlan, RoutingRequest

__all__ = [
    "DemandWindow",
    "LookAhead",
    "homes",
    "poisson_at_least",
    "route_ahead",
    "shadow_prices",
    "surcharges",
]

Position = tuple[str, str]


def poisson_at_least(mean: float, k: int) -> float:
    """P(N >= k) for N ~ Poisson(mean)."""
    if k <= 0:
        return 1.0
    if mean <= 0.0:
        return 0.0
    term = math.exp(-mean)
    below = term
    for i in range(1, k):
        term *= mean / i
        below += term
    return max(0.0, 1.0 - below)


@dataclass(frozen=True, slots=True)
class DemandWindow:
    """Recent demand: (region, SKU, units) of each order line over the trailing window, and how
    many orders that was."""

    lines: Sequence[tuple[str, str, int]]
    orders: int
    hours: float

    def expected(self, home: Mapping[str, str], horizon_h: float) -> dict[Position, float]:
        """Expected units of each (home location, SKU) wanted over the next ``horizon_h`` hours
        by the regions homed there (``home``: region -> location)."""
        if self.orders == 0 or self.hours <= 0.0:
            return {}
        units = sum(q for _, _, q in self.lines)
        share: dict[str, float] = {}
        for _, sku, q in self.lines:
            share[sku] = share.get(sku, 0.0) + q / units
        per_order = units / self.orders
        rate: dict[str, float] = {}
        counted: dict[str, int] = {}
        for region, _, _ in self.lines:
            counted[region] = counted.get(region, 0) + 1
        lines_per_order = len(self.lines) / self.orders
        for region, n in counted.items():
            location = home.get(region)
            if location is not None:
                rate[location] = rate.get(location, 0.0) + n / lines_per_order / self.hours
        return {
            (location, sku): horizon_h * s * per_order * r
            for location, r in rate.items()
            for sku, s in share.items()
        }


def homes(costs: Mapping[str, Mapping[str, float]]) -> tuple[dict[str, str], dict[str, float]]:
    """Each region's home and each home's penalty, from ``costs[region][location]``: what one
    unit (1 kg) costs from that location to that region (handling + its cheapest lane). A
    region's home is its cheapest location (ties on the id); a home's penalty the mean, over
    the regions homed there that another location serves, of the 2nd best less the best. The
    one computation of the bench (bench/allocation_day.py) and of live placement."""
    home: dict[str, str] = {}
    gaps: dict[str, list[float]] = {}
    for region, by_location in sorted(costs.items()):
        ranked = sorted((c, location) for location, c in by_location.items())
        if not ranked:
            continue
        home[region] = ranked[0][1]
        if len(ranked) > 1:
            gaps.setdefault(ranked[0][1], []).append(ranked[1][0] - ranked[0][0])
    return home, {location: sum(g) / len(g) for location, g in gaps.items()}


@dataclass(frozen=True, slots=True)
class LookAhead:
    """What the look-ahead term needs at one moment: recent demand, each region's home, each
    home's penalty and the horizon the demand is expected over."""

    window: DemandWindow
    home: Mapping[str, str]
    penalty: Mapping[str, float]
    horizon_h: float

    def surcharges(
        self, positions: Iterable[Position], available: Mapping[Position, int], weight: float
    ) -> dict[Position, float]:
        """``surcharges`` of these positions under this moment's expected demand."""
        expected = self.window.expected(self.home, self.horizon_h)
        return surcharges(positions, available, expected, self.penalty, weight)

    def regions_of(self, location: str) -> list[str]:
        """The regions of the window homed at ``location``."""
        seen = {region for region, _, _ in self.window.lines}
        return sorted(r for r, home in self.home.items() if home == location and r in seen)


def surcharges(
    positions: Iterable[Position],
    available: Mapping[Position, int],
    expected: Mapping[Position, float],
    penalty: Mapping[str, float],
    weight: float = 1.0,
) -> dict[Position, float]:
    """The surcharge per unit of each position (module doc); positions that cost nothing later
    are left out."""
    out: dict[Position, float] = {}
    for position in positions:
        mean = expected.get(position, 0.0)
        extra = penalty.get(position[0], 0.0)
        if mean <= 0.0 or extra <= 0.0 or weight <= 0.0:
            continue
        p = poisson_at_least(mean, available.get(position, 0))
        if p > 1e-6:
            out[position] = weight * p * extra
    return out


def shadow_prices(
    supply: Mapping[Position, int],
    demand: Mapping[tuple[str, str], float],
    cost: Mapping[tuple[str, str, str], float],
    unserved: Mapping[tuple[str, str], float],
    *,
    time_limit: float = 5.0,
) -> dict[Position, float]:
    """Acimovic and Graves' opportunity costs: the dual values of the stock rows of a
    transportation LP that serves the expected future demand ``demand[zone, sku]`` from the
    stock ``supply[location, sku]`` at ``cost[location, zone, sku]`` per unit, an unserved unit
    costing ``unserved[zone, sku]``. A position's price is what one unit less of it would add
    to serving the future: 0 for stock nobody will miss, up to the unserved cost. The LP
    splits per SKU (nothing couples them), so each is small."""
    by_sku: dict[str, list[tuple[str, str, str, float]]] = {}
    for (location, zone, sku), c in cost.items():
        by_sku.setdefault(sku, []).append((location, zone, sku, c))
    prices: dict[Position, float] = {}
    for sku, arcs in sorted(by_sku.items()):
        zones = sorted({z for (z, s) in demand if s == sku and demand[z, s] > 0})
        if not zones:
            continue
        model = Model([], [], [], [])
        at_location: dict[str, list[int]] = {}
        at_zone: dict[str, list[int]] = {z: [] for z in zones}
        for location, zone, _, c in arcs:
            if zone in at_zone and supply.get((location, sku), 0) > 0:
                x = model.column(c, highspy.kHighsInf, False)
                at_location.setdefault(location, []).append(x)
                at_zone[zone].append(x)
        for zone in zones:
            lost = model.column(unserved.get((zone, sku), 0.0), highspy.kHighsInf, False)
            need = demand[zone, sku]
            model.row([*at_zone[zone], lost], [1.0] * (len(at_zone[zone]) + 1), need, need)
        first_stock_row = len(model.rows)
        locations = sorted(at_location)
        for location in locations:
            xs = at_location[location]
            model.row(xs, [1.0] * len(xs), -highspy.kHighsInf, float(supply[location, sku]))
        _, _, duals = model.solve_with_duals(time_limit)
        if duals is None:
            continue
        for i, location in enumerate(locations):
            price = -duals[first_stock_row + i]  # a <= row of a minimisation: dual <= 0
            if price > 1e-9:
                prices[location, sku] = price
    return prices


def route_ahead(
    request: RoutingRequest,
    candidates: Sequence[Candidate],
    policy: Policy,
    ahead: LookAhead | None,
) -> RoutingPlan:
    """``route`` under ``policy`` with the look-ahead surcharges of ``ahead`` when the policy
    weighs them (``Policy.lookahead_weight``). When they change the plan, its explanation names
    each position whose last units it kept and for which regions."""
    weight = policy.lookahead_weight
    if ahead is None or weight <= 0.0:
        return route(request, candidates, policy)
    available = {(c.location_id, sku): n for c in candidates for sku, n in c.available.items()}
    positions = [
        (c.location_id, line.sku)
        for c in candidates
        for line in request.lines
        if available.get((c.location_id, line.sku), 0) > 0
    ]
    extra = ahead.surcharges(positions, available, weight)
    if not extra:
        return route(request, candidates, policy)
    plan = route(request, candidates, policy, lookahead=extra)
    mine, theirs = _taken(plan), _taken(route(request, candidates, policy))
    notes = []
    for position, units in sorted(theirs.items()):
        if position in extra and units > mine.get(position, 0):
            location, sku = position
            regions = ", ".join(ahead.regions_of(location)) or "its regions"
            notes.append(
                f"Look-ahead: kept the last {available[position]} of {sku} at {location} for "
                f"region {regions}'s expected demand (surcharge {extra[position]:.2f} per unit)."
            )
    return replace(plan, explanation=(*plan.explanation, *notes)) if notes else plan


def _taken(plan: RoutingPlan) -> dict[Position, int]:
    out: dict[Position, int] = {}
    for shipment in plan.shipments:
        for sku, units in shipment.lines:
            key = (shipment.location_id, sku)
            out[key] = out.get(key, 0) + units
    return out
