"""Exact routing by branch and bound over sets of shipping locations.

Once the locations of a plan and their lanes are fixed, the best allocation is easy (each SKU is
filled from the cheapest unit cost up, see ``routing.model.allocate``); what is hard is choosing
the set. The search walks sets as increasing sequences of sites in a fixed order (most promising
first: lowest cost per unit when shipping all they hold), choosing a lane with each, and scores
every set that can supply the whole target.

A branch is cut when a lower bound on every plan below it is worse than the incumbent on
(objective, promise days, shipments), compared lexicographically. When the bound only ties the
incumbent, the branch is cut only if the smallest location-id tuple its plans could have (the
chosen sites plus the lowest ids still allowed) sorts after the incumbent's; so equal-cost plans
are decided by the full ordering key, never by search order. For the chosen sites ``S`` and the
sites ``R`` still allowed (later in the order), the objective is at least the delivery weight
times the promise bound, plus ``S``'s fixed costs, plus the larger of:

- *need bound*: at least ``k`` more sites (a SKU short by ``r`` units needs ``ceil(r / most any
  site in R holds)`` of them), each costing at least the cheapest fixed cost in ``R`` among the
  holders of that SKU, plus the cheapest fill of every SKU from ``S`` and ``R`` at unit costs;
- *amortised bound*: the cheapest fill of every SKU where a unit from a site of ``R`` also
  carries that site's fixed cost divided by the units it could ship (valid because a site that
  ships ``x`` of the ``A`` units it holds pays its full fixed cost ``F >= F * x / A``).

Fills are merges of sorted (price, units) runs, precomputed per suffix of the order and
truncated at the target, so bounding a branch costs a few dozen operations. A node budget bounds
the work; a search that runs out reports ``complete=False``.

A rule's max split (``Problem.max_shipments``) is a constraint here: a branch whose chosen
sites plus the fewest more it needs exceed the cap is cut, and no set grows past it.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

from ordergraph.domain.routing.greedy import best_single
from ordergraph.domain.routing.model import Problem, Solution, allocate

__all__ = ["SearchResult", "branch_and_bound"]

Runs = tuple[tuple[float, int], ...]
_NO_DAYS = 1 << 30
_EPS = 1e-9
_MAX_DEPTH = 400


@dataclass(frozen=True, slots=True)
class SearchResult:
    best: Solution | None
    complete: bool
    nodes: int


class _OutOfNodes(Exception):
    pass


def _merge(runs: Runs, price: float, units: int, cap: int) -> Runs:
    """``runs`` with (price, units) inserted in price order, truncated to ``cap`` units."""
    merged = list(runs)
    bisect.insort(merged, (price, units))
    kept: list[tuple[float, int]] = []
    left = cap
    for p, q in merged:
        if left <= 0:
            break
        kept.append((p, min(q, left)))
        left -= q
    return tuple(kept)


def _fill(mine: Sequence[tuple[float, int]], runs: Runs, need: int) -> float:
    """Cheapest ``need`` units from two sorted sources; ``inf`` when they hold too few."""
    total = 0.0
    a = b = 0
    len_a, len_b = len(mine), len(runs)
    while need > 0:
        if a < len_a and (b == len_b or mine[a][0] <= runs[b][0]):
            price, units = mine[a]
            a += 1
        elif b < len_b:
            price, units = runs[b]
            b += 1
        else:
            return math.inf
        take = units if units < need else need
        total += price * take
        need -= take
    return total


class _Search:
    def __init__(self, problem: Problem, incumbent: Solution | None, node_limit: int) -> None:
        self.problem = problem
        self.best = incumbent
        self.node_limit = node_limit
        self.nodes = 0
        self.wd = problem.policy.delivery_day_weight
        self.cap = problem.max_shipments if problem.max_shipments is not None else _MAX_DEPTH
        target = self.target = problem.target
        sites = problem.sites
        n, m = len(sites), len(target)
        pure = [[min(o.unit[s] for o in site.options) for s in range(m)] for site in sites]
        amort: list[list[float]] = []
        score: list[float] = []
        for site in sites:
            units = sum(site.avail)
            amort.append([min(o.unit[s] + o.fixed / units for o in site.options) for s in range(m)])
            whole = min(
                o.fixed + sum(u * a for u, a in zip(o.unit, site.avail, strict=True))
                for o in site.options
            )
            score.append(whole / units)
        self.order = sorted(range(n), key=lambda i: (score[i], i))
        # Suffix tables over positions p.. n-1 of the order, per SKU: units held, most units one
        # site holds, cheapest fixed cost and earliest promise among holders, and the cheapest
        # target-sized fill at unit and at amortised prices (runs and their total).
        inf = math.inf
        self.suf_sum = [[0] * m for _ in range(n + 1)]
        self.suf_max = [[0] * m for _ in range(n + 1)]
        self.suf_fixed = [[inf] * m for _ in range(n + 1)]
        self.suf_days = [[_NO_DAYS] * m for _ in range(n + 1)]
        self.suf_min_fixed = [inf] * (n + 1)
        self.pure_runs: list[list[Runs]] = [[()] * m for _ in range(n + 1)]
        self.amort_runs: list[list[Runs]] = [[()] * m for _ in range(n + 1)]
        for p in range(n - 1, -1, -1):
            i = self.order[p]
            avail = sites[i].avail
            fixed = min(o.fixed for o in sites[i].options)
            days = min(o.days for o in sites[i].options)
            self.suf_min_fixed[p] = min(self.suf_min_fixed[p + 1], fixed)
            row_sum, row_max = self.suf_sum[p], self.suf_max[p]
            row_fixed, row_days = self.suf_fixed[p], self.suf_days[p]
            row_pure, row_amort = self.pure_runs[p], self.amort_runs[p]
            row_sum[:] = self.suf_sum[p + 1]
            row_max[:] = self.suf_max[p + 1]
            row_fixed[:] = self.suf_fixed[p + 1]
            row_days[:] = self.suf_days[p + 1]
            row_pure[:] = self.pure_runs[p + 1]
            row_amort[:] = self.amort_runs[p + 1]
            for s in range(m):
                a = avail[s]
                if a > 0:
                    row_sum[s] += a
                    row_max[s] = max(row_max[s], a)
                    row_fixed[s] = min(row_fixed[s], fixed)
                    row_days[s] = min(row_days[s], days)
                    row_pure[s] = _merge(row_pure[s], pure[i][s], a, target[s])
                    row_amort[s] = _merge(row_amort[s], amort[i][s], a, target[s])
        self.pure_cost = [
            [_fill((), runs, t) for runs, t in zip(row, target, strict=True)]
            for row in self.pure_runs
        ]
        self.amort_cost = [
            [_fill((), runs, t) for runs, t in zip(row, target, strict=True)]
            for row in self.amort_runs
        ]
        self.chosen: list[tuple[int, int]] = []
        self.ids: list[int] = []
        self.small: list[list[int]] | None = None
        self.offers: list[list[tuple[float, int]]] = [[] for _ in range(m)]

    def run(self) -> None:
        self._visit(0, 0.0, [0] * len(self.target), 0)

    def _worse(
        self, bound: float, days: int, ships: int, p: int, adding: int | None = None
    ) -> bool:
        """True when every plan this bound covers loses to the incumbent.

        The plans covered are the chosen sites (plus ``adding``) completed from positions p..
        When the bound ties the incumbent on (objective, promise, shipments), the smallest id
        tuple such a plan could have decides.
        """
        best = self.best
        if best is None:
            return False
        low, high = (round(bound - _EPS, 6), days, ships), best.key[:3]
        if low != high:
            return low > high
        have = self.ids if adding is None else [*self.ids, adding]
        more = best.key[2] - len(have)
        pool = self._smallest(p)
        if len(pool) < more:
            return True
        return tuple(sorted([*have, *pool[:more]])) > best.key[3]

    def _smallest(self, p: int) -> list[int]:
        """The site indices (id order) at positions p.. of the order, ascending."""
        if self.small is None:
            n = len(self.order)
            small: list[list[int]] = [[] for _ in range(n + 1)]
            for q in range(n - 1, -1, -1):
                small[q] = list(small[q + 1])
                bisect.insort(small[q], self.order[q])
            self.small = small
        return self.small[p]

    def _base(self, p: int) -> tuple[list[float], list[float]]:
        """Per SKU, the cheapest fill from the chosen sites and positions p.. at both prices."""
        pure: list[float] = []
        amort: list[float] = []
        for s, need in enumerate(self.target):
            mine = self.offers[s]
            if mine:
                pure.append(_fill(mine, self.pure_runs[p][s], need))
                amort.append(_fill(mine, self.amort_runs[p][s], need))
            else:
                pure.append(self.pure_cost[p][s])
                amort.append(self.amort_cost[p][s])
        return pure, amort

    def _need(self, covered: list[int], p: int) -> tuple[int, float, int]:
        """(more sites needed, their least fixed cost, earliest promise) from positions p.."""
        need, fixed, days = 0, 0.0, -1
        most, cheapest, soonest = self.suf_max[p], self.suf_fixed[p], self.suf_days[p]
        for s, t in enumerate(self.target):
            short = t - covered[s]
            if short > 0:
                more = -(-short // most[s])
                need = max(need, more)
                fixed = max(fixed, more * cheapest[s])
                days = max(days, soonest[s])
        return need, fixed, days

    def _visit(self, start: int, fixed_sum: float, covered: list[int], latest: int) -> None:
        sites, target, wd, offers = self.problem.sites, self.target, self.wd, self.offers
        n, m = len(sites), len(target)
        depth = len(self.chosen)
        if depth >= _MAX_DEPTH:
            raise _OutOfNodes  # a plan this split is the MILP's to find
        pure_next, amort_next = self._base(start)
        for p in range(start, n):
            suf = self.suf_sum[p]
            if any(covered[s] + suf[s] < target[s] for s in range(m)):
                break  # later positions hold even less
            # Every plan below adds sites from positions p..; the bound only grows with p.
            need, extra_fixed, extra_days = self._need(covered, p)
            if depth + max(need, 1) > self.cap:
                break  # a rule's max split: the target needs more shipments from here on
            days = max(latest, extra_days)
            bound = (
                fixed_sum
                + wd * days
                + max(max(extra_fixed, self.suf_min_fixed[p]) + sum(pure_next), sum(amort_next))
            )
            if self._worse(bound, days, depth + max(need, 1), p):
                break
            nxt = p + 1
            pure_next, amort_next = self._base(nxt)
            site = sites[self.order[p]]
            avail = site.avail
            held = [s for s in range(m) if avail[s] > 0]
            pure_rest = sum(pure_next[s] for s in range(m) if not avail[s])
            amort_rest = sum(amort_next[s] for s in range(m) if not avail[s])
            new_cov = [c + a for c, a in zip(covered, avail, strict=True)]
            need, extra_fixed, extra_days = self._need(new_cov, nxt)
            ships = depth + 1 + need
            if ships > self.cap:
                continue
            for k, option in enumerate(site.options):
                self.nodes += 1
                if self.nodes > self.node_limit:
                    raise _OutOfNodes
                fixed = fixed_sum + option.fixed
                days = max(latest, option.days)
                days_bound = max(days, extra_days)
                base = fixed + wd * days_bound
                mine = {s: _with(offers[s], (option.unit[s], avail[s])) for s in held}
                pure = pure_rest + sum(
                    _fill(mine[s], self.pure_runs[nxt][s], target[s]) for s in held
                )
                if self._worse(base + extra_fixed + pure, days_bound, ships, nxt, site.index):
                    continue
                amort = amort_rest + sum(
                    _fill(mine[s], self.amort_runs[nxt][s], target[s]) for s in held
                )
                if self._worse(base + amort, days_bound, ships, nxt, site.index):
                    continue
                self.chosen.append((site.index, k))
                self.ids.append(site.index)
                saved = [offers[s] for s in held]
                for s in held:
                    offers[s] = mine[s]
                if need == 0:
                    found = allocate(self.problem, self.chosen)
                    if found is not None and (self.best is None or found.key < self.best.key):
                        self.best = found
                if depth + 1 < self.cap:
                    self._visit(nxt, fixed, new_cov, days)
                for s, old in zip(held, saved, strict=True):
                    offers[s] = old
                self.chosen.pop()
                self.ids.pop()


def _with(offers: list[tuple[float, int]], offer: tuple[float, int]) -> list[tuple[float, int]]:
    merged = list(offers)
    bisect.insort(merged, offer)
    return merged


def _splits_cannot_win(problem: Problem, incumbent: Solution) -> bool:
    """True when every plan of two or more shipments is worse than ``incumbent``.

    The bound is the two cheapest fixed costs plus the cheapest unit-cost fill (or the
    amortised fill alone), with the earliest promise any site could give.
    """
    sites = problem.sites
    if len(sites) < 2:
        return True
    fixed = sorted(min(o.fixed for o in site.options) for site in sites)
    pure = amort = 0.0
    for s, need in enumerate(problem.target):
        holders = [site for site in sites if site.avail[s] > 0]
        pure += _fill(
            sorted((min(o.unit[s] for o in h.options), h.avail[s]) for h in holders), (), need
        )
        amort += _fill(
            sorted(
                (min(o.unit[s] + o.fixed / sum(h.avail) for o in h.options), h.avail[s])
                for h in holders
            ),
            (),
            need,
        )
    days = min(o.days for site in sites for o in site.options)
    bound = max(fixed[0] + fixed[1] + pure, amort) + problem.policy.delivery_day_weight * days
    return (round(bound - _EPS, 6), days, 2) > incumbent.key[:3]


def branch_and_bound(problem: Problem, incumbent: Solution | None, node_limit: int) -> SearchResult:
    """The best solution by ordering key, starting from ``incumbent`` (which it never worsens).

    ``complete`` is true when the search finished within ``node_limit`` nodes: the result is then
    the exact optimum.
    """
    if not problem.skus:
        return SearchResult(None, True, 0)
    if incumbent is not None and len(incumbent.parts) == 1:
        single = best_single(problem)
        if single is not None and _splits_cannot_win(problem, single):
            return SearchResult(min(single, incumbent, key=lambda s: s.key), True, 0)
    search = _Search(problem, incumbent, node_limit)
    try:
        search.run()
    except _OutOfNodes:
        return SearchResult(search.best, False, search.nodes)
    return SearchResult(search.best, True, search.nodes)
