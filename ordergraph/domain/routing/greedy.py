"""Quick plans: the single best location, and two greedy covers.

``ship_complete_else_greedy`` is the baseline the domain promises never to do worse than; with
``cheapest_cover`` it also gives branch and bound its first incumbent. ``best_single`` names the
plan a split is compared against in the explanation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ordergraph.domain.routing.model import Option, Part, Problem, Solution, allocate, evaluate

__all__ = ["best_single", "cheapest_cover", "ship_complete_else_greedy"]

Rank = tuple[float, ...]
"""How a greedy step ranks one (location, lane): lowest first, then location index and lane."""


def best_single(problem: Problem) -> Solution | None:
    """The best plan that ships everything from one location, if one location can."""
    best: Solution | None = None
    for site in problem.sites:
        if site.avail != problem.target:
            continue
        for k in range(len(site.options)):
            found = evaluate(problem, [Part(site.index, k, problem.target)])
            if best is None or found.key < best.key:
                best = found
    return best


def ship_complete_else_greedy(problem: Problem) -> Solution | None:
    """The baseline: the best single location that ships everything; else greedy cover.

    The greedy step takes the location covering most of the remaining units, at the lowest
    policy cost per unit, until the target is covered; the units are then spread optimally over
    the locations it took. ``None`` only when there is nothing to allocate.
    """
    if not problem.skus:
        return None
    single = best_single(problem)
    if single is not None:
        return single
    wd = problem.policy.delivery_day_weight

    def most_covered_then_cheapest(
        option: Option, takes: Sequence[int], covered: int, latest: int
    ) -> Rank:
        return (-covered, (option.fixed + wd * option.days + _unit_cost(option, takes)) / covered)

    return _cover(problem, most_covered_then_cheapest)


def cheapest_cover(problem: Problem) -> Solution | None:
    """A second greedy start: add the (location, lane) with the least cost per unit it adds."""
    if not problem.skus:
        return None
    wd = problem.policy.delivery_day_weight

    def cheapest_per_unit(option: Option, takes: Sequence[int], covered: int, latest: int) -> Rank:
        later = max(0, option.days - latest)  # only the days it adds to the plan's promise
        return ((option.fixed + wd * later + _unit_cost(option, takes)) / covered,)

    return _cover(problem, cheapest_per_unit)


def _unit_cost(option: Option, takes: Sequence[int]) -> float:
    return sum(u * t for u, t in zip(option.unit, takes, strict=True))


def _cover(
    problem: Problem, rank: Callable[[Option, Sequence[int], int, int], Rank]
) -> Solution | None:
    """Greedy cover: take the (location, lane) ``rank`` puts first, among the locations not yet
    taken that add units (``takes`` per SKU, ``covered`` in all, ``latest`` the latest delivery
    day taken so far), until the target is covered; then spread the units optimally over them."""
    remaining = list(problem.target)
    chosen: list[tuple[int, int]] = []
    taken: set[int] = set()
    latest = 0
    while any(remaining):
        best: tuple[Rank, int, int] | None = None
        for site in problem.sites:
            if site.index in taken:
                continue
            takes = [min(a, r) for a, r in zip(site.avail, remaining, strict=True)]
            covered = sum(takes)
            if covered == 0:
                continue
            for k, option in enumerate(site.options):
                entry = (rank(option, takes, covered, latest), site.index, k)
                if best is None or entry < best:
                    best = entry
        assert best is not None  # the target never exceeds what the sites hold
        _, i, k = best
        chosen.append((i, k))
        taken.add(i)
        latest = max(latest, problem.sites[i].options[k].days)
        remaining = [max(0, r - a) for r, a in zip(remaining, problem.sites[i].avail, strict=True)]
    return allocate(problem, chosen)
