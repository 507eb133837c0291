"""Exact routing by branch and bound over sets of shipping locations.

Once the locations of a plan and their lanes are fixed, the best allocation is easy (each SKU is
filled from the cheapest unit cost up, see ``routing_model.allocate``); what is hard is choosing
the set. The search enumerates sets as increasing sequences of location indices (index order is
location-id order), choosing a lane with each location, and evaluates every set that can supply
the whole target.

A branch is cut when a lower bound on its best ordering key is already worse than the incumbent.
The bound is componentwise on (objective, promise days, shipments), plus the location-id prefix
when those three tie, so equal-cost plans are resolved exactly and not by search order:

- objective >= fixed costs chosen so far + (at least ``k`` more locations, each costing at least
  the cheapest fixed cost among later locations holding an uncovered SKU) + the cheapest possible
  unit costs of the whole target ignoring fixed costs + the delivery weight times the latest
  promise so far (or the earliest promise any later holder could give);
- ``k`` >= the uncovered units of a SKU divided by the most any later location holds of it.

A node budget bounds the work; a search that runs out reports ``complete=False``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ordergraph.domain.routing_model import Problem, Solution, allocate

__all__ = ["SearchResult", "branch_and_bound"]

_NO_DAYS = 1 << 30


@dataclass(frozen=True, slots=True)
class SearchResult:
    best: Solution | None
    complete: bool
    nodes: int


class _OutOfNodes(Exception):
    pass


def _unit_bound(problem: Problem) -> float:
    """The cheapest the units could be, every location free to take any of them at no fixed cost."""
    total = 0.0
    for s, need in enumerate(problem.target):
        offers = sorted(
            (min(o.unit[s] for o in site.options), site.avail[s])
            for site in problem.sites
            if site.avail[s] > 0
        )
        for unit, avail in offers:
            take = min(need, avail)
            total += unit * take
            need -= take
            if need == 0:
                break
    return total


class _Search:
    def __init__(self, problem: Problem, incumbent: Solution | None, node_limit: int) -> None:
        self.problem = problem
        self.best = incumbent
        self.node_limit = node_limit
        self.nodes = 0
        self.target = problem.target
        self.wd = problem.policy.delivery_day_weight
        self.unit_bound = _unit_bound(problem)
        sites = problem.sites
        n, m = len(sites), len(problem.skus)
        # Suffix tables over sites j.. n-1 per SKU: total held, most held by one site, cheapest
        # fixed cost and earliest promise among the sites holding it.
        self.suf_sum = [[0] * m for _ in range(n + 1)]
        self.suf_max = [[0] * m for _ in range(n + 1)]
        self.suf_fixed = [[math.inf] * m for _ in range(n + 1)]
        self.suf_days = [[_NO_DAYS] * m for _ in range(n + 1)]
        for j in range(n - 1, -1, -1):
            avail = sites[j].avail
            fixed = min(o.fixed for o in sites[j].options)
            days = min(o.days for o in sites[j].options)
            nxt_sum, nxt_max = self.suf_sum[j + 1], self.suf_max[j + 1]
            nxt_fixed, nxt_days = self.suf_fixed[j + 1], self.suf_days[j + 1]
            row_sum, row_max = self.suf_sum[j], self.suf_max[j]
            row_fixed, row_days = self.suf_fixed[j], self.suf_days[j]
            for s in range(m):
                a = avail[s]
                row_sum[s] = nxt_sum[s] + a
                if a > 0:
                    row_max[s] = max(nxt_max[s], a)
                    row_fixed[s] = min(nxt_fixed[s], fixed)
                    row_days[s] = min(nxt_days[s], days)
                else:
                    row_max[s] = nxt_max[s]
                    row_fixed[s] = nxt_fixed[s]
                    row_days[s] = nxt_days[s]
        self.chosen: list[tuple[int, int]] = []
        self.ids: list[int] = []

    def run(self) -> None:
        m = len(self.problem.skus)
        self._visit(0, 0.0, [0] * m, 0)

    def _visit(self, start: int, fixed_sum: float, covered: list[int], latest: int) -> None:
        problem, target = self.problem, self.target
        sites = problem.sites
        n, m = len(sites), len(target)
        depth = len(self.chosen)
        for j in range(start, n):
            suf = self.suf_sum[j]
            if any(covered[s] + suf[s] < target[s] for s in range(m)):
                break  # later starts hold even less
            site = sites[j]
            new_cov = [c + a for c, a in zip(covered, site.avail, strict=True)]
            nxt_max, nxt_fixed = self.suf_max[j + 1], self.suf_fixed[j + 1]
            nxt_days = self.suf_days[j + 1]
            need, extra_fixed, extra_days = 0, 0.0, -1
            for s in range(m):
                short = target[s] - new_cov[s]
                if short > 0:
                    more = -(-short // nxt_max[s])
                    need = max(need, more)
                    extra_fixed = max(extra_fixed, more * nxt_fixed[s])
                    extra_days = max(extra_days, nxt_days[s])
            ships_bound = depth + 1 + need
            for k, option in enumerate(site.options):
                self.nodes += 1
                if self.nodes > self.node_limit:
                    raise _OutOfNodes
                fixed = fixed_sum + option.fixed
                days = max(latest, option.days)
                days_bound = max(days, extra_days)
                best = self.best
                if best is not None:
                    bound = fixed + extra_fixed + self.unit_bound + self.wd * days_bound
                    low = (round(bound - 1e-9, 6), days_bound, ships_bound)
                    high = best.key[:3]
                    if low > high:
                        continue
                    if low == high and (*self.ids, j) > best.key[3][: depth + 1]:
                        continue
                self.chosen.append((j, k))
                self.ids.append(j)
                if need == 0:
                    found = allocate(problem, self.chosen)
                    if found is not None and (self.best is None or found.key < self.best.key):
                        self.best = found
                self._visit(j + 1, fixed, new_cov, days)
                self.chosen.pop()
                self.ids.pop()


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
