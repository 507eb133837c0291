"""Quick plans: the single best location, and two greedy covers.

``ship_complete_else_greedy`` is the baseline the domain promises never to do worse than; with
``cheapest_cover`` it also gives branch and bound its first incumbent. ``best_single`` names the
plan a split is compared against in the explanation.
"""

from __future__ import annotations

from ordergraph.domain.routing_model import Part, Problem, Solution, allocate, evaluate

__all__ = ["best_single", "cheapest_cover", "ship_complete_else_greedy"]


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
    remaining = list(problem.target)
    chosen: list[tuple[int, int]] = []
    taken: set[int] = set()
    wd = problem.policy.delivery_day_weight
    while any(remaining):
        best: tuple[int, float, int, int] | None = None
        for site in problem.sites:
            if site.index in taken:
                continue
            takes = [min(a, r) for a, r in zip(site.avail, remaining, strict=True)]
            covered = sum(takes)
            if covered == 0:
                continue
            for k, option in enumerate(site.options):
                score = option.fixed + wd * option.days
                score += sum(u * t for u, t in zip(option.unit, takes, strict=True))
                entry = (-covered, score / covered, site.index, k)
                if best is None or entry < best:
                    best = entry
        assert best is not None  # the target never exceeds what the sites hold
        _, _, i, k = best
        chosen.append((i, k))
        taken.add(i)
        remaining = [max(0, r - a) for r, a in zip(remaining, problem.sites[i].avail, strict=True)]
    return allocate(problem, chosen)


def cheapest_cover(problem: Problem) -> Solution | None:
    """A second greedy start: add the (location, lane) with the least cost per unit it adds."""
    if not problem.skus:
        return None
    remaining = list(problem.target)
    chosen: list[tuple[int, int]] = []
    taken: set[int] = set()
    wd = problem.policy.delivery_day_weight
    latest = 0
    while any(remaining):
        best: tuple[float, int, int] | None = None
        for site in problem.sites:
            if site.index in taken:
                continue
            takes = [min(a, r) for a, r in zip(site.avail, remaining, strict=True)]
            covered = sum(takes)
            if covered == 0:
                continue
            for k, option in enumerate(site.options):
                score = option.fixed + wd * max(0, option.days - latest)
                score += sum(u * t for u, t in zip(option.unit, takes, strict=True))
                entry = (score / covered, site.index, k)
                if best is None or entry < best:
                    best = entry
        assert best is not None
        _, i, k = best
        chosen.append((i, k))
        taken.add(i)
        latest = max(latest, problem.sites[i].options[k].days)
        remaining = [max(0, r - a) for r, a in zip(remaining, problem.sites[i].avail, strict=True)]
    return allocate(problem, chosen)
