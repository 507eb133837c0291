"""Routing as a mixed-integer programme, solved by HiGHS (``highspy``).

Used when branch and bound runs out of nodes: a large order, or a network where many small stock
positions must be combined. The model, over the eligible sites ``i``, their lanes ``k`` and the
target SKUs ``s``::

    minimise   sum fixed[i,k] * y[i,k] + sum unit[i,k,s] * x[i,k,s] + delivery_weight * t
    subject to sum_k y[i,k] <= 1                      one shipment, one lane per location
               x[i,k,s] <= avail[i,s] * y[i,k]        ship only what the location holds
               sum_{i,k} x[i,k,s] = target[s]         allocate the most units possible
               days[i,k] * y[i,k] <= t                t is the promise (latest delivery)
               y binary, x >= 0, t >= 0

``x`` may stay continuous: with the lanes fixed every SKU is a fill from the cheapest unit cost
up, whose optimum is integral, and the caller re-derives the allocation with
``routing.model.allocate`` anyway. Maximising allocated units first needs no big weight: the
target already is the maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy

from ordergraph.domain.routing.model import Problem, Solution, allocate

__all__ = ["MilpResult", "Model", "solve_milp"]


@dataclass(frozen=True, slots=True)
class MilpResult:
    best: Solution | None
    optimal: bool


@dataclass
class Model:
    """A MILP in HiGHS's row-wise form, built column by column (also ``routing.batch``)."""

    costs: list[float]
    upper: list[float]
    integer: list[bool]
    rows: list[tuple[list[int], list[float], float, float]]

    def column(self, cost: float, upper: float, integer: bool) -> int:
        self.costs.append(cost)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.costs) - 1

    def row(self, index: list[int], value: list[float], lower: float, upper: float) -> None:
        self.rows.append((index, value, lower, upper))

    def solve(self, time_limit: float) -> tuple[bool, list[float] | None]:
        """(proved optimal, column values or None when HiGHS found no solution in time)."""
        optimal, values, _ = self.solve_with_duals(time_limit)
        return optimal, values

    def solve_with_duals(
        self, time_limit: float
    ) -> tuple[bool, list[float] | None, list[float] | None]:
        """``solve``, and the rows' dual values (shadow prices) of an LP (no integer column)."""
        lp = highspy.HighsLp()
        lp.num_col_ = len(self.costs)
        lp.num_row_ = len(self.rows)
        lp.col_cost_ = self.costs
        lp.col_lower_ = [0.0] * len(self.costs)
        lp.col_upper_ = self.upper
        lp.row_lower_ = [row[2] for row in self.rows]
        lp.row_upper_ = [row[3] for row in self.rows]
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in self.integer
        ]
        starts, index, value = [0], [], []
        for row_index, row_value, _, _ in self.rows:
            index.extend(row_index)
            value.extend(row_value)
            starts.append(len(index))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = lp.num_col_
        lp.a_matrix_.num_row_ = lp.num_row_
        lp.a_matrix_.start_ = starts
        lp.a_matrix_.index_ = index
        lp.a_matrix_.value_ = value

        highs = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy has no type hints
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("time_limit", max(time_limit, 0.001))
        highs.setOptionValue("mip_rel_gap", 0.0)
        highs.setOptionValue("mip_abs_gap", 1e-7)
        highs.passModel(lp)
        highs.run()
        status = highs.getModelStatus()
        solution = highs.getSolution()
        values = list(solution.col_value)
        if len(values) != lp.num_col_:
            return False, None, None
        duals = list(solution.row_dual) if solution.dual_valid else None
        return status == highspy.HighsModelStatus.kOptimal, values, duals


def _build(problem: Problem) -> tuple[Model, list[tuple[int, int, int]]]:
    model = Model([], [], [], [])
    m = len(problem.skus)
    picks: list[tuple[int, int, int]] = []  # (column of y, site, option)
    by_sku: list[list[int]] = [[] for _ in range(m)]
    delivery_weight = problem.policy.delivery_day_weight
    timed: list[tuple[int, int]] = []
    for site in problem.sites:
        ys: list[int] = []
        for k, option in enumerate(site.options):
            y = model.column(option.fixed, 1.0, True)
            ys.append(y)
            picks.append((y, site.index, k))
            timed.append((y, option.days))
            for s in range(m):
                avail = site.avail[s]
                if avail > 0:
                    x = model.column(option.unit[s], float(avail), False)
                    by_sku[s].append(x)
                    model.row([x, y], [1.0, -float(avail)], -highspy.kHighsInf, 0.0)
        if len(ys) > 1:
            model.row(ys, [1.0] * len(ys), -highspy.kHighsInf, 1.0)
    for s, need in enumerate(problem.target):
        model.row(by_sku[s], [1.0] * len(by_sku[s]), float(need), float(need))
    if delivery_weight > 0.0:
        t = model.column(delivery_weight, highspy.kHighsInf, False)
        for y, days in timed:
            model.row([y, t], [float(days), -1.0], -highspy.kHighsInf, 0.0)
    return model, picks


def solve_milp(problem: Problem, time_limit: float) -> MilpResult:
    """The MILP's best plan within ``time_limit`` seconds; ``optimal`` when HiGHS proved it."""
    if not problem.skus:
        return MilpResult(None, True)
    model, picks = _build(problem)
    optimal, values = model.solve(time_limit)
    if values is None:
        return MilpResult(None, False)
    chosen = [(site, option) for y, site, option in picks if values[y] > 0.5]
    best = allocate(problem, chosen)
    return MilpResult(best, optimal and best is not None)
