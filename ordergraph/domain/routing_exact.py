"""Exact routing by branch and bound over sets of shipping locations.

Once the locations of a plan and their lanes are fixed, the best allocation is easy (each SKU is
filled from the cheapest unit cost up, see ``routing_model.allocate``); what is hard is choosing
the set. The search walks sets as increasing sequences of sites in a fixed order (most promising
first: lowest cost per unit when shipping all they hold), choosing a lane with each, and scores
every set that can supply the whole target.

A branch is cut when a lower bound on every plan below it is worse than the incumbent on
(objective, promise days, shipments), compared lexicographically; a bound that merely ties is
explored, so equal-cost plans are decided by the full ordering key, not by search order. For the
chosen sites ``S`` and the sites ``R`` still allowed (later in the order), the objective is at
least the delivery weight times the promise bound, plus ``S``'s fixed costs, plus the larger of:

- *need bound*: at least ``k`` more sites (a SKU short by ``r`` units needs ``ceil(r / most any
  site in R holds)`` of them), each costing at least the cheapest fixed cost in ``R`` among the
  holders of that SKU, plus the cheapest fill of every SKU from ``S`` and ``R`` at unit costs;
- *amortised bound*: the cheapest fill of every SKU where a unit from a site of ``R`` also
  carries that site's fixed cost divided by the units it could ship (valid because a site that
  ships ``x`` of the ``A`` units it holds pays its full fixed cost ``F >= F * x / A``).

Fills are merges of sorted (price, units) runs, precomputed per suffix of the order and
truncated at the target, so bounding a branch costs a few dozen operations. A node budget bounds
the work; a search that runs out reports ``complete=False``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

from ordergraph.domain.routing_model import Problem, Solution, allocate

__all__ = ["SearchResult", "branch_and_bound"]

Runs = tuple[tuple[float, int], ...]
_NO_DAYS = 1 << 30
_EPS = 1e-9


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
        target = self.target = problem.target
        sites = problem.sites
        n, m = len(sites), len(target)
        pure = [[min(o.unit[s] for o in site.options) for s in range(m)] for site in sites]
        amort: list[list[float]] = []
        score: list[float] = []
        for site in sites:
            units = sum(site.avail)
            amort.append(
                [min(o.unit[s] + o.fixed / units for o in site.options) for s in range(m)]
            )
            whole = min(
                o.fixed + sum(u * a for u, a in zip(o.unit, site.avail, strict=True))
                for o in site.options
            )
            score.append(whole / units)
        self.order = sorted(range(n), key=lambda i: (score[i], i))
        # Suffix tables over positions p.. n-1 of the order, per SKU.
        self.suf_sum = [[0] * m for _ in range(n + 1)]
        self.suf_max = [[0] * m for _ in range(n + 1)]
        self.suf_fixed = [[math.inf] * m for _ in range(n + 1)]
        self.suf_days = [[_NO_DAYS] * m for _ in range(n + 1)]
        self.suf_pure: list[list[Runs]] = [[()] * m for _ in range(n + 1)]
        self.suf_amort: list[list[Runs]] = [[()] * m for _ in range(n + 1)]
        for p in range(n - 1, -1, -1):
            i = self.order[p]
            avail = sites[i].avail
            fixed = min(o.fixed for o in sites[i].options)
            days = min(o.days for o in sites[i].options)
            for table in (self.suf_sum, self.suf_max, self.suf_fixed, self.suf_days,
                          self.suf_pure, self.suf_amort):
                table[p][:] = table[p + 1]  # type: ignore[index]
            for s in range(m):
                a = avail[s]
                if a > 0:
                    self.suf_sum[p][s] += a
                    self.suf_max[p][s] = max(self.suf_max[p][s], a)
                    self.suf_fixed[p][s] = min(self.suf_fixed[p][s], fixed)
                    self.suf_days[p][s] = min(self.suf_days[p][s], days)
                    self.suf_pure[p][s] = _merge(self.suf_pure[p][s], pure[i][s], a, target[s])
                    self.suf_amort[p][s] = _merge(
                        self.suf_amort[p][s], amort[i][s], a, target[s]
                    )
        self.chosen: list[tuple[int, int]] = []
        self.offers: list[list[tuple[float, int]]] = [[] for _ in range(m)]

    def run(self) -> None:
        self._visit(0, 0.0, [0] * len(self.target), 0)

    def _worse(self, bound: float, days: int, ships: int) -> bool:
        best = self.best
        if best is None:
            return False
        return (round(bound - _EPS, 6), days, ships) > best.key[:3]

    def _unit_fill(self, extra: Sequence[tuple[float, int] | None], p: int, amortised: bool
                   ) -> float:
        table = self.suf_amort[p] if amortised else self.suf_pure[p]
        total = 0.0
        for s, need in enumerate(self.target):
            total += _fill(self.offers[s], extra[s], table[s], need)
        return total

    def _visit(self, start: int, fixed_sum: float, covered: list[int], latest: int) -> None:
        sites, target, wd = self.problem.sites, self.target, self.wd
        n, m = len(sites), len(target)
        depth = len(self.chosen)
        no_extra: list[tuple[float, int] | None] = [None] * m
        for p in range(start, n):
            suf = self.suf_sum[p]
            if any(covered[s] + suf[s] < target[s] for s in range(m)):
                break  # later positions hold even less
            # Every plan below adds a site at position >= p: if even that is too dear, stop.
            rest = fixed_sum + min(self.suf_fixed[p]) + wd * latest
            if self._worse(rest + self._unit_fill(no_extra, p, False), latest, depth + 1):
                break
            i = self.order[p]
            site = sites[i]
            new_cov = [c + a for c, a in zip(covered, site.avail, strict=True)]
            nxt = p + 1
            nxt_max, nxt_fixed, nxt_days = self.suf_max[nxt], self.suf_fixed[nxt], self.suf_days[nxt]
            need, extra_fixed, extra_days = 0, 0.0, -1
            for s in range(m):
                short = target[s] - new_cov[s]
                if short > 0:
                    more = -(-short // nxt_max[s])
                    need = max(need, more)
                    extra_fixed = max(extra_fixed, more * nxt_fixed[s])
                    extra_days = max(extra_days, nxt_days[s])
            ships = depth + 1 + need
            for k, option in enumerate(site.options):
                self.nodes += 1
                if self.nodes > self.node_limit:
                    raise _OutOfNodes
                fixed = fixed_sum + option.fixed
                days = max(latest, option.days)
                days_bound = max(days, extra_days)
                base = fixed + wd * days_bound
                extra = [
                    (option.unit[s], site.avail[s]) if site.avail[s] > 0 else None
                    for s in range(m)
                ]
                if self._worse(base + extra_fixed + self._unit_fill(extra, nxt, False),
                               days_bound, ships):
                    continue
                if self._worse(base + self._unit_fill(extra, nxt, True), days_bound, ships):
                    continue
                self.chosen.append((i, k))
                for s in range(m):
                    if extra[s] is not None:
                        bisect.insort(self.offers[s], extra[s])  # type: ignore[arg-type]
                if need == 0:
                    found = allocate(self.problem, self.chosen)
                    if found is not None and (self.best is None or found.key < self.best.key):
                        self.best = found
                self._visit(nxt, fixed, new_cov, days)
                for s in range(m):
                    if extra[s] is not None:
                        self.offers[s].remove(extra[s])  # type: ignore[arg-type]
                self.chosen.pop()


def branch_and_bound(
    problem: Problem, incumbent: Solution | None, node_limit: int
) -> SearchResult:
    """The best solution by ordering key, starting from ``incumbent`` (which it never worsens).

    ``complete`` is true when the search finished within ``node_limit`` nodes: the result is then
    the exact optimum.
    """
    if not problem.skus:
        return SearchResult(None, True, 0)
    search = _Search(problem, incumbent, node_limit)
    try:
        search.run()
    except _OutOfNodes:
        return SearchResult(search.best, False, search.nodes)
    return SearchResult(search.best, True, search.nodes)
