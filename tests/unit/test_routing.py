from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import combinations, product

import pytest

from ordergraph.domain import promise
from ordergraph.domain.errors import ErrorCode, ValidationError
from ordergraph.domain.routing.engine import SearchLimits, greedy_nearest, route
from ordergraph.domain.routing.greedy import ship_complete_else_greedy
from ordergraph.domain.routing.model import prepare
from ordergraph.domain.routing.types import (
    CHEAPEST,
    FASTEST,
    FEWEST_SHIPMENTS,
    POLICIES,
    PREFER_STORE_EXCESS,
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
LOS_ANGELES = "America/Los_Angeles"
PLACED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday, 10:00 in New York
STORE_KINDS = {"STORE", "DARK_STORE"}

GROUND = Lane("UPS", "GROUND", 3, 5.0, 0.5)
TWO_DAY = Lane("UPS", "2DAY", 2, 9.0, 0.8)

SKUS = {
    "SOCKS": SkuInfo("SOCKS", 0.2),
    "BOOTS": SkuInfo("BOOTS", 1.5),
    "TENT": SkuInfo("TENT", 4.0),
    "FUEL": SkuInfo("FUEL", 1.0, frozenset({"hazmat"})),
    "WATCH": SkuInfo("WATCH", 0.1, frozenset({"highValue"})),
}


def location(
    location_id: str,
    stock: dict[str, int],
    lanes: Iterable[Lane] = (GROUND,),
    *,
    handling: float = 1.0,
    kind: str = "WAREHOUSE",
    tags: Iterable[str] = (),
    active: bool = True,
    capacity: int | None = None,
    pickup: bool = False,
    timezone: str = NEW_YORK,
    cutoff: str | None = "14:00",
    processing: int = 0,
    distance: float | None = None,
) -> Candidate:
    return Candidate(
        location_id=location_id,
        kind=kind,
        timezone=timezone,
        country="US",
        cutoff=cutoff,
        processing_days=processing,
        handling_cost=handling,
        capacity_left=capacity,
        tags=frozenset(tags),
        active=active,
        pickup=pickup,
        available=stock,
        lanes=tuple(lanes),
        distance_km=distance,
    )


def order(
    *lines: tuple[str, int],
    service: ServiceLevel = ServiceLevel.STANDARD,
    placed_at: datetime = PLACED,
    skus: dict[str, SkuInfo] = SKUS,
    pickup_at: str | None = None,
    allow_partial: bool = True,
    excluded_locations: frozenset[str] = frozenset(),
    max_transit_days: dict[ServiceLevel, int] | None = None,
) -> RoutingRequest:
    return RoutingRequest(
        lines=tuple(LineRequest(sku, qty) for sku, qty in lines),
        skus=skus,
        service_level=service,
        placed_at=placed_at,
        pickup_at=pickup_at,
        allow_partial=allow_partial,
        excluded_locations=excluded_locations,
        max_transit_days=max_transit_days,
    )


def shipped(plan: RoutingPlan) -> list[tuple[str, tuple[tuple[str, int], ...]]]:
    return [(s.location_id, s.lines) for s in plan.shipments]


def objective(
    plan: RoutingPlan, request: RoutingRequest, candidates: Sequence[Candidate], policy: Policy
) -> float:
    kinds = {c.location_id: c.kind for c in candidates}
    assert plan.promised_by is not None
    days = (plan.promised_by - request.placed_at.astimezone(UTC).date()).days
    store_units = sum(s.units for s in plan.shipments if kinds[s.location_id] in STORE_KINDS)
    return policy.objective(plan.total_cost, days, len(plan.shipments), store_units)


# --- cost and splitting ---------------------------------------------------------------------


def test_prefers_the_cheaper_single_shipment_to_a_split() -> None:
    candidates = [
        location("DC-A", {"SOCKS": 2, "BOOTS": 1}),
        location("DC-B", {"SOCKS": 2}, handling=0.5),
        location("DC-C", {"BOOTS": 1}, handling=0.5),
    ]
    plan = route(order(("SOCKS", 2), ("BOOTS", 1)), candidates)
    assert shipped(plan) == [("DC-A", (("BOOTS", 1), ("SOCKS", 2)))]
    assert plan.total_cost == pytest.approx(1.0 + 5.0 + 0.5 * 1.9)
    assert plan.feasible and plan.exact and plan.backordered == ()


def test_splits_when_no_single_location_can_ship_the_whole_order() -> None:
    candidates = [location("DC-A", {"SOCKS": 2}), location("DC-B", {"BOOTS": 1})]
    plan = route(order(("SOCKS", 2), ("BOOTS", 1)), candidates)
    assert shipped(plan) == [("DC-A", (("SOCKS", 2),)), ("DC-B", (("BOOTS", 1),))]
    assert any("no single location can ship the whole order" in line for line in plan.explanation)


HEAVY_SPLIT = [
    location("DC-A", {"TENT": 2, "SOCKS": 1}, [Lane("UPS", "GROUND", 3, 2.0, 3.0)]),
    location("DC-B", {"TENT": 2}),
]


def test_splits_when_splitting_is_cheaper_and_says_how_much_it_saves() -> None:
    plan = route(order(("TENT", 2), ("SOCKS", 1)), HEAVY_SPLIT)
    assert shipped(plan) == [("DC-A", (("SOCKS", 1),)), ("DC-B", (("TENT", 2),))]
    assert plan.total_cost == pytest.approx(13.6)
    assert (
        "Split into 2 shipments: splitting saves 14.00 against the best single-location plan "
        "(DC-A, 27.60)." in plan.explanation
    )


def test_shipment_cost_is_handling_plus_base_plus_per_kg_times_weight() -> None:
    candidates = [
        location(
            "DC-RENO",
            {"SOCKS": 9, "BOOTS": 9},
            [Lane("UPS", "GROUND", 2, 6.10, 0.55)],
            handling=1.25,
        )
    ]
    plan = route(order(("SOCKS", 3), ("BOOTS", 1)), candidates)
    assert plan.total_cost == pytest.approx(1.25 + 6.10 + 0.55 * 2.1)
    assert plan.shipments[0].cost == pytest.approx(8.505)
    assert any("handling 1.25 + base 6.10 + 0.55/kg x 2.10 kg" in line for line in plan.explanation)


def test_uses_the_cheapest_lane_for_the_weight_of_the_shipment() -> None:
    parcel = Lane("USPS", "PARCEL", 4, 3.0, 2.0)
    freight = Lane("UPS", "FREIGHT", 4, 10.0, 0.2)
    candidates = [location("DC-A", {"SOCKS": 5, "TENT": 5}, [parcel, freight])]
    light = route(order(("SOCKS", 1)), candidates)
    heavy = route(order(("TENT", 2)), candidates)
    assert light.shipments[0].carrier == "USPS"
    assert light.total_cost == pytest.approx(1.0 + 3.0 + 2.0 * 0.2)
    assert heavy.shipments[0].carrier == "UPS"
    assert heavy.total_cost == pytest.approx(1.0 + 10.0 + 0.2 * 8.0)


# --- hard rules -----------------------------------------------------------------------------


def test_rejects_a_location_with_no_lane_meeting_the_service_level() -> None:
    candidates = [
        location("DC-A", {"SOCKS": 5}, [GROUND]),
        location("DC-B", {"SOCKS": 5}, [TWO_DAY]),
    ]
    plan = route(order(("SOCKS", 1), service=ServiceLevel.EXPRESS), candidates)
    assert shipped(plan) == [("DC-B", (("SOCKS", 1),))]
    assert "DC-A rejected: no lane meeting EXPRESS (max 2 days)" in plan.explanation


def test_never_picks_a_cheaper_lane_that_is_too_slow() -> None:
    candidates = [location("DC-A", {"SOCKS": 5}, [GROUND, TWO_DAY])]
    plan = route(order(("SOCKS", 1), service=ServiceLevel.EXPRESS), candidates)
    assert plan.shipments[0].service == "2DAY"


def test_a_request_may_override_the_transit_limit_of_its_service_level() -> None:
    candidates = [location("DC-A", {"SOCKS": 5}, [GROUND])]
    relaxed = order(
        ("SOCKS", 1), service=ServiceLevel.EXPRESS, max_transit_days={ServiceLevel.EXPRESS: 3}
    )
    assert route(relaxed, candidates).shipments[0].service == "GROUND"


def test_hazmat_ships_only_from_a_hazmat_location() -> None:
    candidates = [
        location("DC-A", {"FUEL": 5}, handling=0.0),
        location("DC-B", {"FUEL": 5, "SOCKS": 5}, handling=0.0),
        location("DC-H", {"FUEL": 5}, handling=3.0, tags=["hazmat"]),
    ]
    plan = route(order(("FUEL", 2), ("SOCKS", 1)), candidates)
    assert shipped(plan) == [("DC-B", (("SOCKS", 1),)), ("DC-H", (("FUEL", 2),))]
    assert "DC-A rejected: hazmat FUEL needs a hazmat location" in plan.explanation
    assert "DC-B cannot ship FUEL: hazmat FUEL needs a hazmat location" in plan.explanation


def test_high_value_ships_only_from_a_secure_location() -> None:
    candidates = [
        location("DC-A", {"WATCH": 5}, handling=0.0),
        location("DC-S", {"WATCH": 5}, handling=4.0, tags=["secure"]),
    ]
    plan = route(order(("WATCH", 1)), candidates)
    assert shipped(plan) == [("DC-S", (("WATCH", 1),))]
    assert "DC-A rejected: high-value WATCH needs a secure location" in plan.explanation


def test_skips_a_location_with_no_capacity_left_today() -> None:
    candidates = [
        location("DC-A", {"SOCKS": 5}, handling=0.0, capacity=0),
        location("DC-B", {"SOCKS": 5}, capacity=1),
    ]
    plan = route(order(("SOCKS", 1)), candidates)
    assert shipped(plan) == [("DC-B", (("SOCKS", 1),))]
    assert "DC-A rejected: no capacity left today" in plan.explanation


def test_skips_inactive_and_excluded_locations() -> None:
    candidates = [
        location("DC-A", {"SOCKS": 5}, handling=0.0, active=False),
        location("DC-B", {"SOCKS": 5}, handling=0.0),
        location("DC-C", {"SOCKS": 5}),
    ]
    plan = route(order(("SOCKS", 1), excluded_locations=frozenset({"DC-B"})), candidates)
    assert shipped(plan) == [("DC-C", (("SOCKS", 1),))]
    assert "DC-A rejected: inactive" in plan.explanation
    assert "DC-B rejected: excluded by the order" in plan.explanation


# --- shortage -------------------------------------------------------------------------------


def test_backorders_what_it_cannot_allocate_when_partial_is_allowed() -> None:
    candidates = [location("DC-A", {"SOCKS": 2}), location("DC-B", {"SOCKS": 1, "BOOTS": 1})]
    plan = route(order(("SOCKS", 5), ("BOOTS", 1)), candidates)
    assert plan.allocatable and not plan.feasible  # feasible means every unit (API.md)
    assert plan.allocated == {"SOCKS": 3, "BOOTS": 1}
    assert plan.backordered == (("SOCKS", 2),)
    assert "Backordered SOCKS x2: 3 of 5 available at eligible locations." in plan.explanation


def test_refuses_a_short_order_that_does_not_allow_partial_allocation() -> None:
    candidates = [location("DC-A", {"SOCKS": 2, "BOOTS": 1})]
    plan = route(order(("SOCKS", 5), ("BOOTS", 1), allow_partial=False), candidates)
    assert not plan.feasible
    assert plan.shipments == ()
    assert plan.backordered == (("BOOTS", 1), ("SOCKS", 5))
    assert plan.promised_by is None and plan.total_cost == 0.0
    assert any(
        "does not allow partial allocation" in line and "SOCKS: 2 of 5 available" in line
        for line in plan.explanation
    )


def test_an_order_that_can_be_served_in_full_is_not_refused_when_partial_is_forbidden() -> None:
    candidates = [location("DC-A", {"SOCKS": 5})]
    assert route(order(("SOCKS", 5), allow_partial=False), candidates).feasible


def test_an_order_nothing_can_serve_is_infeasible_and_fully_backordered() -> None:
    plan = route(order(("SOCKS", 1)), [location("DC-A", {"BOOTS": 3})])
    assert not plan.feasible
    assert plan.backordered == (("SOCKS", 1),)
    assert "DC-A rejected: no stock for the requested SKUs" in plan.explanation


# --- pickup ---------------------------------------------------------------------------------


def test_a_pickup_is_held_at_the_pickup_store_with_a_ready_by_time() -> None:
    candidates = [
        location("DC-A", {"SOCKS": 9}, handling=0.0),
        location("STORE-1", {"SOCKS": 2}, (), kind="STORE", pickup=True, handling=0.75),
    ]
    plan = route(order(("SOCKS", 2), pickup_at="STORE-1"), candidates)
    [shipment] = plan.shipments
    assert (shipment.location_id, shipment.carrier, shipment.service) == (
        "STORE-1",
        "PICKUP",
        "PICKUP",
    )
    assert shipment.cost == 0.75
    assert shipment.ready_by == PLACED + timedelta(hours=2)
    assert plan.promised_by == date(2026, 3, 2)


def test_a_pickup_after_the_cutoff_is_ready_next_business_morning() -> None:
    friday_evening = datetime(2026, 3, 6, 23, 0, tzinfo=UTC)
    candidates = [location("STORE-1", {"SOCKS": 2}, (), kind="STORE", pickup=True)]
    plan = route(order(("SOCKS", 1), pickup_at="STORE-1", placed_at=friday_evening), candidates)
    assert plan.shipments[0].ready_by == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    assert plan.promised_by == date(2026, 3, 9)


def test_a_pickup_at_a_store_without_pickup_is_infeasible() -> None:
    candidates = [location("STORE-1", {"SOCKS": 2}, (), kind="STORE", pickup=False)]
    plan = route(order(("SOCKS", 1), pickup_at="STORE-1"), candidates)
    assert not plan.feasible
    assert "STORE-1 rejected: does not offer pickup" in plan.explanation


# --- policies and ties ----------------------------------------------------------------------


def test_fastest_pays_for_a_faster_lane() -> None:
    candidates = [location("DC-A", {"SOCKS": 5}, [GROUND, TWO_DAY])]
    cheap = route(order(("SOCKS", 1)), candidates)
    fast = route(order(("SOCKS", 1)), candidates, FASTEST)
    assert (cheap.shipments[0].service, fast.shipments[0].service) == ("GROUND", "2DAY")
    assert fast.total_cost > cheap.total_cost
    assert fast.promised_by is not None and cheap.promised_by is not None
    assert fast.promised_by < cheap.promised_by
    assert fast.policy == "FASTEST"


def test_fastest_splits_to_promise_earlier_and_says_so() -> None:
    candidates = [
        location("DC-A", {"SOCKS": 1, "BOOTS": 1}, [GROUND]),
        location("DC-B", {"SOCKS": 1}, [TWO_DAY]),
        location("DC-C", {"BOOTS": 1}, [TWO_DAY]),
    ]
    request = order(("SOCKS", 1), ("BOOTS", 1))
    assert [s.location_id for s in route(request, candidates).shipments] == ["DC-A"]
    fast = route(request, candidates, FASTEST)
    assert [s.location_id for s in fast.shipments] == ["DC-B", "DC-C"]
    single = 1.0 + 5.0 + 0.5 * 1.7
    split = 2 * (1.0 + 9.0) + 0.8 * 1.7
    assert (
        "Split into 2 shipments: splitting promises 1 day earlier than the best single-location "
        f"plan (DC-A, {single:.2f}), at {split - single:.2f} more." in fast.explanation
    )


def test_fewest_shipments_prefers_one_parcel_to_a_cheaper_split() -> None:
    plan = route(order(("TENT", 2), ("SOCKS", 1)), HEAVY_SPLIT, FEWEST_SHIPMENTS)
    assert shipped(plan) == [("DC-A", (("SOCKS", 1), ("TENT", 2)))]


def test_prefer_store_excess_sells_down_store_stock() -> None:
    candidates = [
        location("DC-A", {"SOCKS": 4}),
        location("STORE-1", {"SOCKS": 4}, handling=2.0, kind="STORE"),
    ]
    assert shipped(route(order(("SOCKS", 4)), candidates))[0][0] == "DC-A"
    assert shipped(route(order(("SOCKS", 4)), candidates, PREFER_STORE_EXCESS))[0][0] == "STORE-1"


def test_policies_are_named_data() -> None:
    assert set(POLICIES) == {"CHEAPEST", "FASTEST", "FEWEST_SHIPMENTS", "PREFER_STORE_EXCESS"}
    assert POLICIES["CHEAPEST"] is CHEAPEST
    with pytest.raises(ValueError, match="weights"):
        Policy("BROKEN", cost_weight=-1.0)


def test_breaks_cost_ties_on_the_earliest_promise() -> None:
    candidates = [location("DC-A", {"SOCKS": 5}, processing=1), location("DC-B", {"SOCKS": 5})]
    assert shipped(route(order(("SOCKS", 1)), candidates))[0][0] == "DC-B"


def test_breaks_cost_and_promise_ties_on_fewer_shipments() -> None:
    flat = Lane("UPS", "FLAT", 2, 4.0, 0.0)
    candidates = [
        location("DC-A", {"SOCKS": 1}, [flat], handling=0.0),
        location("DC-B", {"BOOTS": 1}, [flat], handling=0.0),
        location("DC-Z", {"SOCKS": 1, "BOOTS": 1}, [flat], handling=4.0),
    ]
    plan = route(order(("SOCKS", 1), ("BOOTS", 1)), candidates)
    assert [s.location_id for s in plan.shipments] == ["DC-Z"]


def test_breaks_remaining_ties_on_location_id() -> None:
    candidates = [location(name, {"SOCKS": 5}) for name in ("DC-C", "DC-A", "DC-B")]
    assert shipped(route(order(("SOCKS", 1)), candidates))[0][0] == "DC-A"


# --- promise, records, validation -----------------------------------------------------------


def test_promises_the_latest_delivery_among_the_shipments() -> None:
    before_thanksgiving = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)  # 16:00 New York
    candidates = [
        location("DC-A", {"SOCKS": 1}, [GROUND]),
        location("DC-B", {"BOOTS": 1}, [TWO_DAY], timezone=LOS_ANGELES),
    ]
    plan = route(order(("SOCKS", 1), ("BOOTS", 1), placed_at=before_thanksgiving), candidates)
    by_location = {s.location_id: s for s in plan.shipments}
    # New York missed its cut-off; Thursday is Thanksgiving: ships Friday, 3 days to Wednesday.
    assert by_location["DC-A"].ship_by == date(2026, 11, 27)
    assert by_location["DC-A"].estimated_delivery == date(2026, 12, 2)
    # 13:00 in Los Angeles is before its cut-off: ships Wednesday, 2 days to Monday.
    assert by_location["DC-B"].ship_by == date(2026, 11, 25)
    assert by_location["DC-B"].estimated_delivery == date(2026, 11, 30)
    assert plan.promised_by == date(2026, 12, 2)


def test_a_plan_round_trips_through_its_json_record() -> None:
    candidates = [
        location("DC-A", {"SOCKS": 2}),
        location("STORE-1", {"BOOTS": 1}, (), kind="STORE", pickup=True),
    ]
    for plan in (
        route(order(("SOCKS", 2), ("BOOTS", 1)), candidates),
        route(order(("BOOTS", 1), pickup_at="STORE-1"), candidates),
        route(order(("TENT", 1)), candidates),
    ):
        record = json.loads(json.dumps(plan.to_record()))
        assert RoutingPlan.from_record(record) == plan
    assert record["backordered"] == [{"sku": "TENT", "quantity": 1}]


def test_the_explanation_names_candidates_rejections_costs_and_method() -> None:
    candidates = [
        location("DC-A", {"SOCKS": 5}),
        location("DC-B", {"SOCKS": 5}, active=False),
        location("DC-C", {"BOOTS": 5}),
        location("DC-D", {"SOCKS": 5}, [Lane("UPS", "GROUND", 7, 1.0, 0.1)]),
    ]
    plan = route(order(("SOCKS", 1)), candidates)
    assert plan.explanation[0] == (
        "Routing 1 SKU (1 unit) for STANDARD delivery (lanes of at most 5 transit days) "
        "under policy CHEAPEST."
    )
    assert "Considered 4 candidate locations: 1 eligible." in plan.explanation
    assert "DC-B rejected: inactive" in plan.explanation
    assert "DC-C rejected: no stock for the requested SKUs" in plan.explanation
    assert "DC-D rejected: no lane meeting STANDARD (max 5 days)" in plan.explanation
    assert (
        "Ship from DC-A by UPS GROUND (3 transit days): SOCKS x1; cost 6.10 = handling 1.00 + "
        "base 5.00 + 0.50/kg x 0.20 kg; ships 2026-03-02, arrives 2026-03-05." in plan.explanation
    )
    assert plan.explanation[-1].startswith("Method: branch and bound proved this plan optimal")


def test_a_location_with_unusable_data_is_rejected_without_failing_the_order() -> None:
    candidates = [
        location("DC-BAD-TZ", {"SOCKS": 5}, handling=0.0, timezone="Mars/Olympus_Mons"),
        location("DC-BAD-CUTOFF", {"SOCKS": 5}, handling=0.0, cutoff="2pm"),
        location("DC-BAD-COST", {"SOCKS": 5}, handling=-1.0),
        location("DC-BAD-LANE", {"SOCKS": 5}, [Lane("UPS", "GROUND", 1, -5.0, 0.1)]),
        location("DC-GOOD", {"SOCKS": 5}),
    ]
    plan = route(order(("SOCKS", 1)), candidates)
    assert shipped(plan) == [("DC-GOOD", (("SOCKS", 1),))]
    rejected = {line.split(" rejected: ")[0] for line in plan.explanation if "rejected" in line}
    assert rejected == {"DC-BAD-TZ", "DC-BAD-CUTOFF", "DC-BAD-COST", "DC-BAD-LANE"}


def test_rejects_unknown_skus_and_quantities_below_one() -> None:
    candidates = [location("DC-A", {"SOCKS": 5})]
    with pytest.raises(ValidationError) as unknown:
        route(order(("NOPE", 1)), candidates)
    assert unknown.value.code is ErrorCode.UNKNOWN_SKU
    with pytest.raises(ValidationError):
        route(order(("SOCKS", 0)), candidates)
    with pytest.raises(ValidationError):
        route(order(), candidates)
    weightless = {"SOCKS": SkuInfo("SOCKS", -0.2)}
    with pytest.raises(ValidationError):
        route(order(("SOCKS", 1), skus=weightless), candidates)


def test_merges_lines_of_the_same_sku() -> None:
    plan = route(order(("SOCKS", 1), ("SOCKS", 2)), [location("DC-A", {"SOCKS": 5})])
    assert plan.shipments[0].lines == (("SOCKS", 3),)


def test_greedy_nearest_ships_each_line_from_the_nearest_location_with_stock() -> None:
    candidates = [
        location("DC-FAR", {"SOCKS": 5, "BOOTS": 5}, distance=900.0),
        location("DC-NEAR", {"SOCKS": 5}, distance=10.0),
        location("DC-MID", {"BOOTS": 1, "SOCKS": 1}, distance=50.0),
    ]
    plan = greedy_nearest(order(("SOCKS", 2), ("BOOTS", 2)), candidates)
    assert shipped(plan) == [("DC-FAR", (("BOOTS", 2),)), ("DC-NEAR", (("SOCKS", 2),))]
    assert plan.policy == "GREEDY_NEAREST" and not plan.exact
    assert route(order(("SOCKS", 2), ("BOOTS", 2)), candidates).total_cost < plan.total_cost


# --- exactness against a brute force ------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    key: tuple[float, int, int, tuple[str, ...]]  # objective, promise days, shipments, ids
    cost: float
    units: dict[str, int]


def brute_force(
    request: RoutingRequest, candidates: Sequence[Candidate], policy: Policy
) -> Reference | None:
    """Every location set, every lane choice, every split of every SKU: the best plan's key."""
    limit = request.transit_limit()
    demand: dict[str, int] = {}
    for line in request.lines:
        demand[line.sku] = demand.get(line.sku, 0) + line.quantity
    eligible = []
    for c in candidates:
        if not c.active or c.location_id in request.excluded_locations:
            continue
        if c.capacity_left is not None and c.capacity_left < 1:
            continue
        stock = {}
        for sku in demand:
            tags = request.skus[sku].tags
            if ("hazmat" in tags and "hazmat" not in c.tags) or (
                "highValue" in tags and "secure" not in c.tags
            ):
                continue
            if c.available.get(sku, 0) > 0:
                stock[sku] = c.available[sku]
        fast_enough = [lane for lane in c.lanes if lane.transit_days <= limit]
        if stock and fast_enough:
            eligible.append((c, stock, fast_enough))
    most = {sku: min(q, sum(s.get(sku, 0) for _, s, _ in eligible)) for sku, q in demand.items()}
    if not any(most.values()):
        return None
    placed_day = request.placed_at.astimezone(UTC).date()
    best: Reference | None = None
    for size in range(1, len(eligible) + 1):
        for group in combinations(eligible, size):
            splits = {}
            for sku, need in most.items():
                caps = [min(stock.get(sku, 0), need) for _, stock, _ in group]
                splits[sku] = [x for x in product(*(range(c + 1) for c in caps)) if sum(x) == need]
            if any(not options for options in splits.values()):
                continue
            for lanes in product(*(g[2] for g in group)):
                units: list[dict[str, int]] = [{} for _ in group]
                for sku, options in splits.items():
                    weight = request.skus[sku].weight_kg

                    def unit_cost(
                        split: tuple[int, ...],
                        w: float = weight,
                        group: tuple[tuple[Candidate, dict[str, int], list[Lane]], ...] = group,
                        lanes: tuple[Lane, ...] = lanes,
                    ) -> float:
                        total = 0.0
                        for (c, _, _), lane, q in zip(group, lanes, split, strict=True):
                            bonus = policy.store_excess_weight if c.kind in STORE_KINDS else 0.0
                            total += q * (policy.cost_weight * lane.cost_per_kg * w - bonus)
                        return total

                    chosen = min(options, key=unit_cost)
                    for g, q in enumerate(chosen):
                        if q:
                            units[g][sku] = q
                cost, latest, ids, store_units = 0.0, 0, [], 0
                for (c, _, _), lane, lines in zip(group, lanes, units, strict=True):
                    if not lines:
                        continue
                    kg = sum(request.skus[sku].weight_kg * q for sku, q in lines.items())
                    cost += c.handling_cost + lane.base_cost + lane.cost_per_kg * kg
                    ship = promise.ship_date(
                        request.placed_at, c.timezone, c.cutoff, c.processing_days, c.country
                    )
                    arrive = promise.delivery_date(ship, lane.transit_days, c.country)
                    latest = max(latest, (arrive - placed_day).days)
                    ids.append(c.location_id)
                    if c.kind in STORE_KINDS:
                        store_units += sum(lines.values())
                value = policy.objective(cost, latest, len(ids), store_units)
                key = (round(value, 6), latest, len(ids), tuple(sorted(ids)))
                if best is None or key < best.key:
                    best = Reference(key, cost, {s: q for s, q in most.items() if q})
    return best


CATALOGUE = ["S1", "S2", "S3", "S4", "S5"]


def random_instance(seed: int) -> tuple[RoutingRequest, list[Candidate], Policy]:
    rng = random.Random(seed)
    skus = {}
    for sku in CATALOGUE:
        roll = rng.random()
        tags = (
            frozenset({"hazmat"})
            if roll < 0.05
            else frozenset({"highValue"})
            if roll < 0.1
            else frozenset()
        )
        skus[sku] = SkuInfo(sku, rng.choice([0.0, 0.1, 0.5, 1.0, 2.5]), tags)
    candidates = []
    for i in range(rng.choice([1, 2, 3, 4, 5, 5])):
        lanes = [
            Lane(
                rng.choice(["UPS", "FEDEX"]),
                f"S{t}",
                t,
                rng.choice([2.0, 3.5, 5.0, 6.0]),
                rng.choice([0.0, 0.25, 0.5, 1.0]),
            )
            for t in (rng.choice([1, 2, 2, 3, 5, 6]) for _ in range(rng.randint(1, 2)))
        ]
        candidates.append(
            Candidate(
                location_id=f"L{rng.randint(10, 99)}-{i}",
                kind=rng.choice(["WAREHOUSE", "STORE"]),
                timezone=rng.choice([NEW_YORK, LOS_ANGELES]),
                country="US",
                cutoff=rng.choice([None, "12:00", "16:00"]),
                processing_days=rng.choice([0, 0, 1]),
                handling_cost=rng.choice([0.0, 0.5, 1.0, 2.0]),
                capacity_left=rng.choice([None] * 7 + [0, 1, 3]),
                tags=frozenset(t for t in ("hazmat", "secure") if rng.random() < 0.3),
                active=rng.random() < 0.9,
                pickup=False,
                available={s: rng.randint(0, 4) for s in CATALOGUE if rng.random() < 0.7},
                lanes=tuple(lanes),
            )
        )
    lines = tuple(
        LineRequest(s, rng.randint(1, 4)) for s in rng.sample(CATALOGUE, rng.randint(1, 4))
    )
    request = RoutingRequest(
        lines=lines,
        skus=skus,
        service_level=rng.choice(
            [ServiceLevel.STANDARD] * 3 + [ServiceLevel.EXPRESS] * 2 + [ServiceLevel.NEXT_DAY]
        ),
        placed_at=PLACED + timedelta(hours=rng.randint(0, 120)),
        excluded_locations=frozenset({candidates[0].location_id})
        if rng.random() < 0.1
        else frozenset(),
    )
    policy = rng.choice([CHEAPEST, CHEAPEST, FASTEST, FEWEST_SHIPMENTS, PREFER_STORE_EXCESS])
    return request, candidates, policy


SEEDS = range(600)


@cache
def solved(
    seed: int,
) -> tuple[RoutingRequest, list[Candidate], Policy, RoutingPlan, Reference | None]:
    request, candidates, policy = random_instance(seed)
    return (
        request,
        candidates,
        policy,
        route(request, candidates, policy),
        brute_force(request, candidates, policy),
    )


def test_random_instances_reach_the_brute_force_optimum_and_its_tie_breaks() -> None:
    served = 0
    for seed in SEEDS:
        request, candidates, policy, plan, reference = solved(seed)
        if reference is None:
            assert not plan.feasible and plan.shipments == (), seed
            continue
        served += 1
        assert plan.allocatable and plan.exact, seed
        assert objective(plan, request, candidates, policy) == pytest.approx(
            reference.key[0], abs=1e-6
        ), seed
        assert plan.promised_by is not None
        days = (plan.promised_by - request.placed_at.astimezone(UTC).date()).days
        ids = tuple(s.location_id for s in plan.shipments)
        assert (days, len(plan.shipments), ids) == reference.key[1:], seed
        if policy is CHEAPEST:
            assert plan.total_cost == pytest.approx(reference.cost, abs=1e-6), seed
    assert served > 400


def test_random_instances_allocate_the_most_units_possible() -> None:
    for seed in SEEDS:
        request, _, _, plan, reference = solved(seed)
        expected = {} if reference is None else reference.units
        assert plan.allocated == expected, seed
        demand: dict[str, int] = {}
        for line in request.lines:
            demand[line.sku] = demand.get(line.sku, 0) + line.quantity
        short = {sku: q - expected.get(sku, 0) for sku, q in demand.items()}
        assert dict(plan.backordered) == {s: q for s, q in short.items() if q}, seed


def test_random_instances_never_allocate_more_than_available_or_break_a_rule() -> None:
    for seed in SEEDS:
        request, candidates, _, plan, _ = solved(seed)
        by_id = {c.location_id: c for c in candidates}
        limit = request.transit_limit()
        for shipment in plan.shipments:
            c = by_id[shipment.location_id]
            assert c.active and (c.capacity_left is None or c.capacity_left >= 1), seed
            assert c.location_id not in request.excluded_locations, seed
            lanes = [
                lane
                for lane in c.lanes
                if (lane.carrier, lane.service, lane.transit_days)
                == (shipment.carrier, shipment.service, shipment.transit_days)
            ]
            assert lanes and shipment.transit_days <= limit, seed
            kg = 0.0
            for sku, qty in shipment.lines:
                assert 0 < qty <= c.available.get(sku, 0), seed
                tags = request.skus[sku].tags
                assert "hazmat" not in tags or "hazmat" in c.tags, seed
                assert "highValue" not in tags or "secure" in c.tags, seed
                kg += request.skus[sku].weight_kg * qty
            costs = [c.handling_cost + lane.base_cost + lane.cost_per_kg * kg for lane in lanes]
            assert any(abs(shipment.cost - cost) < 1e-6 for cost in costs), seed


def test_random_instances_route_the_same_way_twice_and_whatever_the_candidate_order() -> None:
    for seed in SEEDS:
        request, candidates, policy, plan, _ = solved(seed)
        assert route(request, candidates, policy) == plan, seed
        shuffled = list(candidates)
        random.Random(seed + 1).shuffle(shuffled)
        assert route(request, shuffled, policy) == plan, seed


# --- larger orders ----------------------------------------------------------------------------


def medium_instance(
    seed: int, lines: int, locations: int
) -> tuple[RoutingRequest, list[Candidate]]:
    rng = random.Random(seed)
    catalogue = {
        f"M{i:02d}": SkuInfo(f"M{i:02d}", round(rng.uniform(0.1, 4.0), 1)) for i in range(30)
    }
    candidates = [
        Candidate(
            location_id=f"LOC-{i:02d}",
            kind=rng.choice(["WAREHOUSE", "STORE"]),
            timezone=rng.choice([NEW_YORK, LOS_ANGELES]),
            country="US",
            cutoff="15:00",
            processing_days=0,
            handling_cost=round(rng.uniform(0.5, 3.0), 2),
            capacity_left=None,
            tags=frozenset(),
            active=True,
            pickup=False,
            available={s: rng.randint(0, 6) for s in catalogue if rng.random() < 0.5},
            lanes=tuple(
                Lane(
                    "UPS",
                    f"S{t}",
                    t,
                    round(rng.uniform(3.0, 9.0), 2),
                    round(rng.uniform(0.2, 1.2), 2),
                )
                for t in sorted({rng.randint(1, 5) for _ in range(rng.randint(1, 3))})
            ),
        )
        for i in range(locations)
    ]
    picked = rng.sample(sorted(catalogue), lines)
    request = RoutingRequest(
        lines=tuple(LineRequest(s, rng.randint(1, 3)) for s in picked),
        skus=catalogue,
        service_level=ServiceLevel.STANDARD,
        placed_at=PLACED,
    )
    return request, candidates


def test_the_milp_fallback_finds_the_same_optimum_as_branch_and_bound() -> None:
    forced = SearchLimits(exact_nodes=1)
    for seed in range(12):
        request, candidates = medium_instance(seed, lines=6, locations=12)
        policy = [CHEAPEST, FASTEST, PREFER_STORE_EXCESS][seed % 3]
        exact = route(request, candidates, policy)
        milp = route(request, candidates, policy, limits=forced)
        assert exact.exact and milp.exact, seed
        assert objective(milp, request, candidates, policy) == pytest.approx(
            objective(exact, request, candidates, policy), abs=1e-6
        ), seed
        assert "MILP" in milp.explanation[-1]


def test_an_order_over_ten_lines_is_never_worse_than_ship_complete_else_greedy() -> None:
    for seed in range(6):
        request, candidates = medium_instance(100 + seed, lines=14, locations=20)
        plan = route(request, candidates)
        baseline = ship_complete_else_greedy(prepare(request, candidates, CHEAPEST))
        assert baseline is not None and plan.allocatable
        assert plan.total_cost <= baseline.objective + 1e-6, seed
        assert sum(plan.allocated.values()) == sum(sum(p.quantities) for p in baseline.parts)
