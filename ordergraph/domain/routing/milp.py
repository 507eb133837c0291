"""Routing as a mixed-integer programme, solved by HiGHS (``highspy``).

Used when branch and bound runs out of nodes: a large order, or a network where many small stock
positions must be combined. The model, over the eligible sites ``i``, their lanes ``k`` and the
target SKUs ``s``::

    minimise   sum fixed[i,k] * y[i,k] + sum unit[i,k,s] * x[i,k,s] + delivery_weight * t
    subject to sum_k y[i,k] <= 1                      one shipment, one lane per location
               x[i,k,s] <= avail[i,s] * y[i,k]        ship only what the location holds
               sum_{i,k} x[i,k,s] = target[s]         allocate the most units possible
               days[i,k] * y[i,k] <= t                t is the promise (latest delivery)
               sum y[i,k] <= max_shipments                a rule's max split, when one fired
               y binary, x >= 0, t >= 0

``x`` may stay continuous: with the lanes fixed every SKU is a fill from the cheapest unit cost
up, whose optimum is integral, and the caller re-derives the allocation with
``routing.model.allocate`` anyway. Maximising allocated units first needs no big weight: the
target already is the maximum.

Under a max split the target may need more shipments than the cap allows; ``most_units`` then
finds, in two solves, the most units any plan within the cap allocates and the per-SKU target of
the best such plan (``x`` integral in those two), for branch and bound to decide exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy

from ordergraph.domain.routing.model import Problem, Solution, allocate

__all__ = ["MilpResult", "Model", "most_units", "solve_milp"]


@dataclass(frozen=True, slots=True)
class MilpResult:
    best: Solution | None
    optimal: bool


@dataclass
class _Model:
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
        """(proved optimal, column values or None without a solution) (``routing.batch``)."""
        values, optimal, _ = _run(self, time_limit)
        return optimal, values

    def solve_with_duals(
        self, time_limit: float
    ) -> tuple[bool, list[float] | None, list[float] | None]:
        """``solve``, and the rows' dual values (shadow prices) of an LP (no integer column;
        ``routing.lookahead``)."""
        values, optimal, duals = _run(self, time_limit)
        return optimal, values, duals


Model = _Model
"""The model builder, for the other HiGHS models of routing (batch waves, look-ahead LPs)."""


def _build(
    problem: Problem, *, units_only: bool = False, total: int | None = None
) -> tuple[_Model, list[tuple[int, int, int]], list[list[int]]]:
    """The model; with ``units_only`` it maximises allocated units instead, and with ``total``
    each SKU takes at most its target and all of them together exactly ``total`` units."""
    model = _Model([], [], [], [])
    relaxed = units_only or total is not None
    m = len(problem.skus)
    picks: list[tuple[int, int, int]] = []  # (column of y, site, option)
    by_sku: list[list[int]] = [[] for _ in range(m)]
    delivery_weight = 0.0 if units_only else problem.policy.delivery_day_weight
    timed: list[tuple[int, int]] = []
    every_y: list[int] = []
    for site in problem.sites:
        ys: list[int] = []
        for k, option in enumerate(site.options):
            y = model.column(0.0 if units_only else option.fixed, 1.0, True)
            every_y.append(y)
            ys.append(y)
            picks.append((y, site.index, k))
            timed.append((y, option.days))
            for s in range(m):
                avail = site.avail[s]
                if avail > 0:
                    x = model.column(-1.0 if units_only else option.unit[s], float(avail), relaxed)
                    by_sku[s].append(x)
                    model.row([x, y], [1.0, -float(avail)], -highspy.kHighsInf, 0.0)
        if len(ys) > 1:
            model.row(ys, [1.0] * len(ys), -highspy.kHighsInf, 1.0)
    for s, need in enumerate(problem.target):
        model.row(by_sku[s], [1.0] * len(by_sku[s]), 0.0 if relaxed else float(need), float(need))
    if total is not None:
        every_x = [x for xs in by_sku for x in xs]
        model.row(every_x, [1.0] * len(every_x), float(total), float(total))
    cap = problem.max_shipments
    if cap is not None and len(every_y) > cap:
        model.row(every_y, [1.0] * len(every_y), -highspy.kHighsInf, float(cap))
    if delivery_weight > 0.0:
        t = model.column(delivery_weight, highspy.kHighsInf, False)
        for y, days in timed:
            model.row([y, t], [float(days), -1.0], -highspy.kHighsInf, 0.0)
    return model, picks, by_sku


def solve_milp(problem: Problem, time_limit: float) -> MilpResult:
    """The MILP's best plan within ``time_limit`` seconds; ``optimal`` when HiGHS proved it."""
    if not problem.skus:
        return MilpResult(None, True)
    model, picks, _ = _build(problem)
    values, optimal = _solve(model, time_limit)
    if values is None:
        return MilpResult(None, False)
    chosen = [(site, option) for y, site, option in picks if values[y] > 0.5]
    best = allocate(problem, chosen)
    return MilpResult(best, optimal and best is not None)


def most_units(problem: Problem, time_limit: float) -> tuple[tuple[int, ...], bool] | None:
    """Under a max split: (units per target SKU of the best plan among those allocating the
    most units within the cap, whether HiGHS proved both solves optimal), None if it found none.
    """
    model, _, _ = _build(problem, units_only=True)
    values, first_optimal = _solve(model, time_limit)
    if values is None:
        return None
    units = round(-sum(c * v for c, v in zip(model.costs, values, strict=True)))
    if units <= 0:
        return None
    model, _, by_sku = _build(problem, total=units)
    values, optimal = _solve(model, time_limit)
    if values is None:
        return None
    target = tuple(round(sum(values[x] for x in xs)) for xs in by_sku)
    return target, first_optimal and optimal


def _solve(model: _Model, time_limit: float) -> tuple[list[float] | None, bool]:
    """HiGHS's column values (None without a solution), and whether it proved them optimal."""
    values, optimal, _ = _run(model, time_limit)
    return values, optimal


def _run(model: _Model, time_limit: float) -> tuple[list[float] | None, bool, list[float] | None]:
    """``_solve``, and the rows' dual values when HiGHS has valid ones (an LP)."""
    lp = highspy.HighsLp()
    lp.num_col_ = len(model.costs)
    lp.num_row_ = len(model.rows)
    lp.col_cost_ = model.costs
    lp.col_lower_ = [0.0] * len(model.costs)
    lp.col_upper_ = model.upper
    lp.row_lower_ = [row[2] for row in model.rows]
    lp.row_upper_ = [row[3] for row in model.rows]
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
        for flag in model.integer
    ]
    starts, index, value = [0], [], []
    for row_index, row_value, _, _ in model.rows:
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
    if len(values) != lp.num_col_ or status == highspy.HighsModelStatus.kInfeasible:
        return None, False, None
    duals = list(solution.row_dual) if solution.dual_valid else None
    return values, status == highspy.HighsModelStatus.kOptimal, duals
