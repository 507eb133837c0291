"""Routing policies as documents: validation with paths, and what each rule kind does to the
exact model (pure: prepare, branch and bound, the MILP), checked against a brute force."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import combinations, product
from pathlib import Path
from typing import Any

import pytest

from ordergraph.domain.errors import PolicyDocumentError
from ordergraph.domain.routing.documents import (
    MAX_PROBLEMS,
    compile_policy,
    parse_policy,
)
from ordergraph.domain.routing.engine import SearchLimits, route
from ordergraph.domain.routing.milp import solve_milp
from ordergraph.domain.routing.model import prepare
from ordergraph.domain.routing.shipped import SHIPPED
from ordergraph.domain.routing.types import (
    CHEAPEST,
    POLICIES,
    STORE_KINDS,
    Candidate,
    Lane,
    LineRequest,
    Policy,
    RoutingPlan,
    RoutingRequest,
    ServiceLevel,
    SkuInfo,
)

NEW_YORK = "America/New_York"
PLACED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York
GROUND = Lane("UPS", "GROUND", 3, 5.0, 0.5)
SKUS = {
    "SOCKS": SkuInfo("SOCKS", 0.2),
    "BOOTS": SkuInfo("BOOTS", 1.5),
    "TENT": SkuInfo("TENT", 4.0),
    "FUEL": SkuInfo("FUEL", 1.0, frozenset({"hazmat"})),
}


def location(
    location_id: str,
    stock: dict[str, int],
    *,
    handling: float = 1.0,
    kind: str = "WAREHOUSE",
    tags: Iterable[str] = (),
    lanes: Iterable[Lane] = (GROUND,),
    distance: float | None = None,
    daily_capacity: int | None = None,
    share_used: dict[str, int] | None = None,
) -> Candidate:
    return Candidate(
        location_id=location_id,
        kind=kind,
        timezone=NEW_YORK,
        country="US",
        cutoff="14:00",
        processing_days=0,
        handling_cost=handling,
        capacity_left=None,
        tags=frozenset(tags),
        active=True,
        pickup=False,
        available=stock,
        lanes=tuple(lanes),
        distance_km=distance,
        daily_capacity=daily_capacity,
        share_used=share_used or {},
    )


def order(*lines: tuple[str, int], **fields: Any) -> RoutingRequest:
    return RoutingRequest(
        lines=tuple(LineRequest(sku, qty) for sku, qty in lines),
        skus=fields.pop("skus", SKUS),
        service_level=fields.pop("service_level", ServiceLevel.STANDARD),
        placed_at=PLACED,
        **fields,
    )


def policy(rules: list[dict[str, Any]], **doc: Any) -> Policy:
    """A document with these rules, compiled; fallbacks resolve to the shipped policies."""
    parsed = parse_policy({"id": "TEST", "version": 1, "rules": rules, **doc})
    return compile_policy(parsed, lambda i, v: POLICIES[i])


def shipped(plan: RoutingPlan) -> list[tuple[str, tuple[tuple[str, int], ...]]]:
    return [(s.location_id, s.lines) for s in plan.shipments]


# --- the documents ----------------------------------------------------------------------------


def test_the_shipped_documents_compile_to_the_policies_of_old() -> None:
    assert set(SHIPPED) == set(POLICIES)
    for name, document in SHIPPED.items():
        assert compile_policy(document, lambda i, v: CHEAPEST) == POLICIES[name]


def test_an_invalid_document_lists_every_problem_with_its_path() -> None:
    with pytest.raises(PolicyDocumentError) as caught:
        parse_policy(
            {
                "id": "bad id!",
                "objective": {"distanceKm": -1, "speed": 2},
                "rules": [
                    {"actions": [{"type": "MAX_SHIPMENTS", "maxShipments": 2}]},
                    {"conditions": {"serviceLevels": ["SLOW"]}, "actions": []},
                    {
                        "name": "r3",
                        "actions": [
                            {"type": "MAX_SHIPMENTS", "maxShipments": 0},
                            {"type": "EXCLUDE_LOCATIONS", "locations": {"kinds": ["SHOP"]}},
                            {"type": "DAILY_SHARE", "locations": {"ids": ["A"]}, "fraction": 2},
                            {"type": "FALLBACK"},
                            {"type": "TELEPORT"},
                        ],
                    },
                ],
                "gates": [{"kpi": "fillRate", "min": 1.5}, {"kpi": "happiness", "max": 1}],
            }
        )
    paths = {p.path for p in caught.value.problems}
    assert paths == {
        "id",
        "objective.distanceKm",
        "objective.speed",
        "rules[1].conditions.serviceLevels[0]",
        "rules[1].actions",
        "rules[2].actions[0].maxShipments",
        "rules[2].actions[1].locations.kinds[0]",
        "rules[2].actions[2].fraction",
        "rules[2].actions[3].policy",
        "rules[2].actions[4].type",
        "gates[0].min",
        "gates[1].kpi",
    }


def test_a_document_may_not_fall_back_to_itself_or_repeat_a_rule_name() -> None:
    with pytest.raises(PolicyDocumentError) as caught:
        parse_policy(
            {
                "id": "P",
                "rules": [
                    {"name": "a", "actions": [{"type": "FALLBACK", "policy": "P"}]},
                    {"name": "a", "actions": [{"type": "MAX_SHIPMENTS", "maxShipments": 1}]},
                ],
            }
        )
    assert [(p.path, p.reason) for p in caught.value.problems] == [
        ("rules[0].actions[0].policy", "a policy cannot fall back to itself"),
        ("rules[1].name", '"a" names an earlier rule too'),
    ]


def test_the_normalised_body_reads_back_to_the_same_document() -> None:
    first = parse_policy(
        {
            "id": "P",
            "channels": ["web"],
            "objective": {"shipments": 5},
            "rules": [{"actions": [{"type": "MAX_SHIPMENTS", "maxShipments": 2}]}],
            "gates": [{"kpi": "costPerOrder", "max": 0, "relativeToBaseline": True}],
        }
    )
    again = parse_policy(first.body)
    assert again.body == first.body and again.digest == first.digest
    assert again.policy == first.policy
    assert first.body["rules"][0]["name"] == "rules[0]"


# --- each rule kind changes the plan as documented ---------------------------------------------


def test_exclude_keeps_stores_out_for_the_tagged_skus_only() -> None:
    candidates = [
        location("DC", {"SOCKS": 5, "FUEL": 5}, handling=6.0, tags={"hazmat"}),
        location("STORE", {"SOCKS": 5, "FUEL": 5}, kind="STORE", tags={"hazmat"}),
    ]
    request = order(("SOCKS", 1), ("FUEL", 1))
    assert shipped(route(request, candidates)) == [("STORE", (("FUEL", 1), ("SOCKS", 1)))]
    keep = policy(
        [
            {
                "name": "no-hazmat-in-stores",
                "actions": [
                    {
                        "type": "EXCLUDE_LOCATIONS",
                        "locations": {"kinds": ["STORE", "DARK_STORE"]},
                        "skuTags": ["hazmat"],
                    }
                ],
            }
        ]
    )
    plan = route(request, candidates, keep)
    assert shipped(plan) == [("DC", (("FUEL", 1), ("SOCKS", 1)))]
    assert "STORE cannot ship FUEL: excluded for it by rule no-hazmat-in-stores" in plan.explanation
    assert any("fired: no-hazmat-in-stores" in line for line in plan.explanation)
    socks_only = route(order(("SOCKS", 1)), candidates, keep)
    assert shipped(socks_only) == [("STORE", (("SOCKS", 1),))]  # the rule did not fire


def test_require_ships_only_from_the_named_locations() -> None:
    candidates = [
        location("A", {"SOCKS": 5}),
        location("B", {"SOCKS": 5}, handling=3.0, tags={"own"}),
    ]
    only = policy(
        [
            {
                "name": "own",
                "actions": [{"type": "REQUIRE_LOCATIONS", "locations": {"tags": ["own"]}}],
            }
        ]
    )
    plan = route(order(("SOCKS", 2)), candidates, only)
    assert shipped(plan) == [("B", (("SOCKS", 2),))]
    assert "A rejected: not among the locations rule own requires" in plan.explanation


def three_way() -> list[Candidate]:
    """Each SKU only at its own location: the cheapest plan splits three ways."""
    return [
        location("A", {"SOCKS": 2, "BOOTS": 1}),
        location("B", {"BOOTS": 2}),
        location("C", {"TENT": 2, "SOCKS": 1}),
    ]


def test_max_shipments_is_a_constraint_not_a_preference() -> None:
    request = order(("SOCKS", 2), ("BOOTS", 2), ("TENT", 1))
    free = route(request, three_way())
    assert len(free.shipments) == 3
    two = route(
        request,
        three_way(),
        policy([{"name": "two", "actions": [{"type": "MAX_SHIPMENTS", "maxShipments": 2}]}]),
    )
    assert len(two.shipments) == 2 and sum(two.allocated.values()) == 4 and two.exact
    capped = route(
        request,
        three_way(),
        policy([{"name": "one", "actions": [{"type": "MAX_SHIPMENTS", "maxShipments": 1}]}]),
    )
    # no single location holds it all: the most units one shipment can carry ship, the rest wait
    assert len(capped.shipments) == 1 and capped.exact
    assert sum(capped.allocated.values()) == 3
    assert capped.backordered
    assert any("rule one caps the order at 1 shipment" in line for line in capped.explanation)


def test_a_cap_the_order_cannot_meet_gives_the_same_plan_through_the_milp() -> None:
    request = order(("SOCKS", 2), ("BOOTS", 2), ("TENT", 1))
    capped = policy([{"actions": [{"type": "MAX_SHIPMENTS", "maxShipments": 2}]}])
    exact = route(request, three_way(), capped)
    assert sum(exact.allocated.values()) == 4 and exact.exact
    forced = route(request, three_way(), capped, limits=SearchLimits(exact_nodes=1))
    assert forced.allocated == exact.allocated
    assert forced.total_cost == pytest.approx(exact.total_cost)
    assert shipped(forced) == shipped(exact)


def test_max_shipments_in_the_milp_gives_the_branch_and_bound_optimum() -> None:
    rng = random.Random(7)
    for seed in range(40):
        candidates = [
            location(
                f"L{i}",
                {s: rng.randint(0, 3) for s in ("SOCKS", "BOOTS", "TENT") if rng.random() < 0.7},
                handling=rng.choice([0.5, 1.0, 3.0]),
                lanes=(Lane("UPS", "G", rng.choice([2, 3]), rng.choice([2.0, 5.0]), 0.5),),
            )
            for i in range(5)
        ]
        request = order(("SOCKS", 3), ("BOOTS", 2), ("TENT", 2))
        capped = policy([{"actions": [{"type": "MAX_SHIPMENTS", "maxShipments": 2}]}])
        problem = prepare(request, candidates, capped)
        exact = route(request, candidates, capped)
        milp = solve_milp(problem, 5.0)
        assert len(exact.shipments) <= 2, seed
        if milp.best is None:  # no two sites hold the target: the engine allocates fewer
            assert sum(exact.allocated.values()) < sum(problem.target), seed
            continue
        assert len(milp.best.parts) <= 2, seed
        assert sum(exact.allocated.values()) == sum(problem.target), seed
        assert exact.total_cost == pytest.approx(milp.best.objective), seed
        forced = route(request, candidates, capped, limits=SearchLimits(exact_nodes=1))
        assert forced.total_cost == pytest.approx(exact.total_cost), seed


def test_prefer_is_a_bonus_per_unit_in_the_objective() -> None:
    candidates = [location("DC", {"SOCKS": 5}), location("SHOP", {"SOCKS": 5}, handling=2.0)]
    request = order(("SOCKS", 2))
    assert shipped(route(request, candidates))[0][0] == "DC"
    weak = policy([{"actions": [{"type": "PREFER_LOCATIONS", "locations": {"ids": ["SHOP"]},
                                 "bonusPerUnit": 0.4}]}])  # fmt: skip
    strong = policy([{"actions": [{"type": "PREFER_LOCATIONS", "locations": {"ids": ["SHOP"]},
                                   "bonusPerUnit": 0.6}]}])  # fmt: skip
    assert shipped(route(request, candidates, weak))[0][0] == "DC"  # 2 x 0.4 < 1.0 more
    assert shipped(route(request, candidates, strong))[0][0] == "SHOP"  # 2 x 0.6 > 1.0 more


def test_distance_and_handling_weights_are_objective_terms() -> None:
    candidates = [
        location("NEAR", {"SOCKS": 5}, handling=2.0, distance=10.0),
        location("FAR", {"SOCKS": 5}, handling=1.0, distance=900.0),
    ]
    request = order(("SOCKS", 1))
    assert shipped(route(request, candidates))[0][0] == "FAR"
    near = policy([], objective={"distanceKm": 0.01})
    assert shipped(route(request, candidates, near))[0][0] == "NEAR"  # 8.9 of distance > 1.0
    no_handling = policy([], objective={"handlingCost": 0.0, "distanceKm": 0.0001})
    assert shipped(route(request, candidates, no_handling))[0][0] == "NEAR"


def test_daily_share_stops_a_location_once_its_share_is_used() -> None:
    def sites(used: int) -> list[Candidate]:
        return [
            location("DC", {"SOCKS": 5}, daily_capacity=100, share_used={"TEST": used}),
            location("SHOP", {"SOCKS": 5}, handling=2.0),
        ]

    share = policy(
        [
            {
                "name": "dc-share",
                "actions": [
                    {"type": "DAILY_SHARE", "locations": {"ids": ["DC"]}, "fraction": 0.05}
                ],
            }
        ]
    )
    assert shipped(route(order(("SOCKS", 1)), sites(4), share))[0][0] == "DC"  # 4 of 5
    plan = route(order(("SOCKS", 1)), sites(5), share)
    assert shipped(plan)[0][0] == "SHOP"
    assert "DC rejected: daily share of rule dc-share used (5 of 5 shipments today)" in (
        plan.explanation
    )


def test_fallback_routes_under_the_second_policy_when_the_first_cannot_serve() -> None:
    candidates = [location("DC", {"SOCKS": 5}), location("SHOP", {"SOCKS": 1}, kind="STORE")]
    stores_first = policy(
        [
            {
                "name": "stores",
                "actions": [
                    {"type": "REQUIRE_LOCATIONS", "locations": {"kinds": ["STORE"]}},
                    {"type": "FALLBACK", "policy": "CHEAPEST"},
                ],
            }
        ]
    )
    small = route(order(("SOCKS", 1)), candidates, stores_first)
    assert shipped(small) == [("SHOP", (("SOCKS", 1),))] and small.policy == "TEST"
    big = route(order(("SOCKS", 3)), candidates, stores_first)
    assert shipped(big) == [("DC", (("SOCKS", 3),))] and big.policy == "CHEAPEST"
    assert big.explanation[0].startswith("Rule stores of policy TEST v1: it allocates 1 of 3")


def test_conditions_select_the_orders_a_rule_applies_to() -> None:
    air = (Lane("UPS", "AIR", 1, 5.0, 0.5),)
    candidates = [
        location("DC", {"SOCKS": 5}, lanes=air),
        location("SHOP", {"SOCKS": 5}, handling=2.0, lanes=air),
    ]
    no_dc = [{"type": "EXCLUDE_LOCATIONS", "locations": {"ids": ["DC"]}}]

    def where(conditions: dict[str, Any], **request: Any) -> str:
        rules = [{"conditions": conditions, "actions": no_dc}]
        return shipped(route(order(("SOCKS", 1), **request), candidates, policy(rules)))[0][0]

    assert where({"channels": ["amazon"]}, channel="amazon") == "SHOP"
    assert where({"channels": ["amazon"]}, channel="web") == "DC"
    assert where({"serviceLevels": ["EXPRESS"]}, service_level=ServiceLevel.EXPRESS) == "SHOP"
    assert where({"serviceLevels": ["EXPRESS"]}) == "DC"
    assert where({"regions": ["US-9"]}, region="US-941") == "SHOP"
    assert where({"regions": ["US-1"]}, region="US-941") == "DC"
    assert where({"orderValue": {"min": 100}}, order_value=150.0) == "SHOP"
    assert where({"orderValue": {"min": 100}}, order_value=99.0) == "DC"
    assert where({"orderValue": {"max": 100}}) == "DC"  # no prices: no value condition holds
    assert where({"customerTiers": ["GOLD"]}, customer_tier="GOLD") == "SHOP"
    assert where({"customerTiers": ["GOLD"]}, customer_tier="SILVER") == "DC"
    assert where({"skuTags": ["hazmat"]}) == "DC"
    assert where({"channels": ["web"], "customerTiers": ["GOLD"]}, channel="web") == "DC"


# --- exactness under rules, against a brute force ----------------------------------------------


def brute_force(
    request: RoutingRequest,
    candidates: Sequence[Candidate],
    *,
    cap: int | None,
    bonus: dict[str, float],
    distance_weight: float,
) -> tuple[float, int] | None:
    """(best objective, most units) over every location set of at most ``cap``, lane and split;
    the objective is lane and handling cost, less ``bonus`` per unit, plus distance (every
    location here promises the same day, so days do not count)."""
    demand = {line.sku: line.quantity for line in request.lines}
    sites = [c for c in candidates if any(c.available.get(s, 0) for s in demand)]
    best: tuple[int, float] | None = None
    for size in range(1, min(cap or len(sites), len(sites)) + 1):
        for group in combinations(sites, size):
            units = {
                s: min(q, sum(c.available.get(s, 0) for c in group)) for s, q in demand.items()
            }
            total_units = sum(units.values())
            for lanes in product(*(c.lanes for c in group)):
                splits = []
                for sku, need in units.items():
                    caps = [min(c.available.get(sku, 0), need) for c in group]
                    splits.append(
                        [(sku, x) for x in product(*(range(k + 1) for k in caps)) if sum(x) == need]
                    )
                for choice in product(*splits):
                    value, used = 0.0, [False] * len(group)
                    for sku, split in choice:
                        w = request.skus[sku].weight_kg
                        for g, q in enumerate(split):
                            if q:
                                used[g] = True
                                c = group[g]
                                value += q * (
                                    lanes[g].cost_per_kg * w - bonus.get(c.location_id, 0)
                                )
                    if not all(used):
                        continue  # a smaller group covers this plan
                    for g, c in enumerate(group):
                        value += c.handling_cost + lanes[g].base_cost
                        value += distance_weight * (c.distance_km or 0.0)
                    key = (-total_units, round(value, 6))
                    if best is None or key < best:
                        best = key
    return None if best is None else (best[1], -best[0])


def test_random_instances_under_rules_reach_the_brute_force_optimum() -> None:
    checked = 0
    for seed in range(150):
        rng = random.Random(seed)
        candidates = [
            location(
                f"L{i}",
                {s: rng.randint(0, 3) for s in ("SOCKS", "BOOTS", "TENT") if rng.random() < 0.6},
                handling=rng.choice([0.0, 0.5, 1.0, 2.0]),
                kind=rng.choice(["WAREHOUSE", "STORE"]),
                lanes=tuple(
                    Lane(
                        "UPS", f"S{k}", 3, rng.choice([2.0, 4.0, 6.0]), rng.choice([0.0, 0.5, 1.0])
                    )
                    for k in range(rng.randint(1, 2))
                ),
                distance=rng.choice([None, 5.0, 50.0, 500.0]),
            )
            for i in range(rng.randint(2, 5))
        ]
        lines = [(s, rng.randint(1, 3)) for s in rng.sample(["SOCKS", "BOOTS", "TENT"], 2)]
        cap = rng.choice([1, 2, 3])
        prefer = rng.choice([0.0, 0.5, 2.0])
        distance_weight = rng.choice([0.0, 0.01])
        rules: list[dict[str, Any]] = [
            {"actions": [{"type": "MAX_SHIPMENTS", "maxShipments": cap}]}
        ]
        if prefer:
            rules.append(
                {
                    "actions": [
                        {
                            "type": "PREFER_LOCATIONS",
                            "locations": {"kinds": ["STORE"]},
                            "bonusPerUnit": prefer,
                        }
                    ]
                }
            )
        compiled = policy(rules, objective={"distanceKm": distance_weight})
        request = order(*lines)
        plan = route(request, candidates, compiled)
        bonus = {c.location_id: prefer for c in candidates if c.kind in STORE_KINDS}
        reference = brute_force(
            request, candidates, cap=cap, bonus=bonus, distance_weight=distance_weight
        )
        if reference is None:
            assert not plan.shipments, seed
            continue
        checked += 1
        value, units = reference
        assert sum(plan.allocated.values()) == units, seed
        assert len(plan.shipments) <= cap and plan.exact, seed
        by_id = {c.location_id: c for c in candidates}
        got = sum(
            s.cost
            - bonus.get(s.location_id, 0.0) * s.units
            + distance_weight * (by_id[s.location_id].distance_km or 0.0)
            for s in plan.shipments
        )
        assert got == pytest.approx(value, abs=1e-6), seed
    assert checked > 100


def test_routing_under_rules_is_the_same_whatever_the_candidate_order() -> None:
    candidates = [*three_way(), location("D", {"SOCKS": 1, "TENT": 1}, kind="STORE")]
    compiled = policy(
        [
            {"actions": [{"type": "MAX_SHIPMENTS", "maxShipments": 2}]},
            {
                "actions": [
                    {
                        "type": "PREFER_LOCATIONS",
                        "locations": {"kinds": ["STORE"]},
                        "bonusPerUnit": 1.0,
                    }
                ]
            },
        ]
    )
    request = order(("SOCKS", 2), ("BOOTS", 2), ("TENT", 1))
    plan = route(request, candidates, compiled)
    for seed in range(10):
        shuffled = list(candidates)
        random.Random(seed).shuffle(shuffled)
        assert route(request, shuffled, compiled) == plan


def test_the_example_of_the_docs_is_a_valid_document() -> None:
    text = (Path(__file__).parents[2] / "docs" / "routing-policies.md").read_text()
    example = json.loads(text.split("```json\n")[1].split("```")[0])
    document = parse_policy(example)
    assert [rule.name for rule in document.policy.rules] == [
        "two-boxes-at-most",
        "no-hazmat-in-stores",
    ]
    assert len(document.gates) == 2


def test_the_look_ahead_weight_is_a_checked_objective_term() -> None:
    accepted = parse_policy({"id": "AHEAD", "objective": {"lookAhead": 2.5}})
    assert accepted.policy.lookahead_weight == 2.5
    assert accepted.body["objective"]["lookAhead"] == 2.5
    assert parse_policy({"id": "PLAIN"}).policy.lookahead_weight == 0.0
    for bad in (-1, "much", True):
        with pytest.raises(PolicyDocumentError) as caught:
            parse_policy({"id": "AHEAD", "objective": {"lookAhead": bad}})
        assert [p.path for p in caught.value.problems] == ["objective.lookAhead"], bad
    assert all(p.policy.lookahead_weight == 0.0 for p in SHIPPED.values())


def test_a_hostile_document_gets_a_bounded_list_of_problems() -> None:
    """100 rules of 50 actions of 1000-item lists of the wrong type: millions of problems and
    tens of seconds of CPU unbounded; a bounded list (the first MAX_PROBLEMS, then a note), at
    once, and each reason short even when it quotes a megabyte."""
    import time

    bad = [1] * 1000
    lists = ("channels", "serviceLevels", "skuTags", "regions", "customerTiers")
    action = {"type": "EXCLUDE_LOCATIONS", "locations": {"ids": bad, "kinds": bad}, "skuTags": bad}
    rule = {"conditions": dict.fromkeys(lists, bad), "actions": [action] * 20}
    started = time.monotonic()
    with pytest.raises(PolicyDocumentError) as many:
        parse_policy({"id": "hostile", "rules": [rule] * 100})
    assert time.monotonic() - started < 2.0
    assert len(many.value.problems) == MAX_PROBLEMS + 1
    assert many.value.problems[-1].reason.startswith("more problems")
    long_rule = {"actions": [{"type": "x" * 1_000_000}]}
    with pytest.raises(PolicyDocumentError) as long:
        parse_policy({"id": "long", "rules": [long_rule]})
    assert all(len(p.reason) <= 300 for p in long.value.problems)
    too_many = {"actions": [{"type": "MAX_SHIPMENTS", "maxShipments": 2}] * 21}
    with pytest.raises(PolicyDocumentError) as actions:
        parse_policy({"id": "actions", "rules": [too_many]})
    assert [(p.path, p.reason) for p in actions.value.problems] == [
        ("rules[0].actions", "at most 20 actions, got 21")
    ]
