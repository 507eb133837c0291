"""Routing a wave of orders jointly, and the look-ahead surcharge (issue #18)."""

from __future__ import annotations

import math
from itertools import product

import pytest

from ordergraph.domain.routing.batch import (
    WaveOrder,
    pool_of,
    restrict,
    sequential,
    solve_wave,
)
from ordergraph.domain.routing.engine import route
from ordergraph.domain.routing.lookahead import homes, poisson_at_least, shadow_prices, surcharges
from ordergraph.domain.routing.types import Lane, RoutingPlan
from ordergraph.services.lookahead import settings as lookahead_settings
from tests.unit.test_routing import location, order


def lane(base: float) -> Lane:
    return Lane("UPS", "GROUND", 3, base, 0.0)


def shipped(plan: RoutingPlan) -> list[tuple[str, tuple[tuple[str, int], ...]]]:
    return [(s.location_id, s.lines) for s in plan.shipments]


def scarce_wave() -> list[WaveOrder]:
    """One SOCKS at A and one at B. The first order is served about as well by either (A 5,
    B 6); the second is near A only (A 5, B 20). First come first served costs 5 + 20 + 2
    handling; the optimum gives the first order B: 6 + 5 + 2."""
    first = (
        location("A", {"SOCKS": 1}, [lane(5.0)], handling=1.0),
        location("B", {"SOCKS": 1}, [lane(6.0)], handling=1.0),
    )
    second = (
        location("A", {"SOCKS": 1}, [lane(5.0)], handling=1.0),
        location("B", {"SOCKS": 1}, [lane(20.0)], handling=1.0),
    )
    return [
        WaveOrder("O1", order(("SOCKS", 1)), first),
        WaveOrder("O2", order(("SOCKS", 1)), second),
    ]


def brute_force(wave: list[WaveOrder]) -> float:
    """Every way to give each order one location's unit, the cheapest total."""
    best = float("inf")
    for a, b in product("AB", repeat=2):
        if a == b:
            continue
        costs = [
            next(c.handling_cost + c.lanes[0].base_cost for c in o.candidates if c.location_id == x)
            for o, x in zip(wave, (a, b), strict=True)
        ]
        best = min(best, sum(costs))
    return best


def test_a_wave_shares_scarce_stock_better_than_first_come_first_served() -> None:
    wave = scarce_wave()
    fcfs = sequential(wave, *pool_of(wave))
    joint = solve_wave(wave)
    assert fcfs.units == joint.units == 2
    assert round(fcfs.cost, 6) == 27.0
    assert round(joint.cost, 6) == brute_force(wave) == 13.0
    assert joint.optimal
    assert shipped(joint.plans["O1"]) == [("B", (("SOCKS", 1),))]
    assert shipped(joint.plans["O2"]) == [("A", (("SOCKS", 1),))]
    assert "batch wave of 2 orders" in joint.plans["O1"].explanation[-1]


def test_a_wave_allocates_the_most_units_before_it_saves_cost() -> None:
    """Three orders for one unit each, two units in all: the two cheapest orders to serve do
    not matter, units do; and no position gives more than it holds."""
    stock = (location("A", {"SOCKS": 1}, [lane(5.0)]), location("B", {"SOCKS": 1}, [lane(50.0)]))
    wave = [WaveOrder(f"O{i}", order(("SOCKS", 1)), stock) for i in range(3)]
    joint = solve_wave(wave)
    assert joint.units == 2
    used = [s.location_id for p in joint.plans.values() for s in p.shipments]
    assert sorted(used) == ["A", "B"]
    assert sum(1 for p in joint.plans.values() if not p.shipments) == 1


def test_a_wave_respects_shared_capacity() -> None:
    """A may take one more shipment today: only one of the two orders ships from there."""
    near = location("A", {"SOCKS": 5}, [lane(5.0)], capacity=1)
    far = location("B", {"SOCKS": 5}, [lane(9.0)])
    wave = [WaveOrder(f"O{i}", order(("SOCKS", 1)), (near, far)) for i in range(2)]
    joint = solve_wave(wave)
    assert sorted(s.location_id for p in joint.plans.values() for s in p.shipments) == ["A", "B"]


def test_an_order_that_takes_no_partial_gets_all_or_nothing_in_a_wave() -> None:
    stock = (location("A", {"SOCKS": 2}, [lane(5.0)]),)
    wave = [
        WaveOrder("WHOLE", order(("SOCKS", 2), allow_partial=False), stock),
        WaveOrder("ANY", order(("SOCKS", 1)), stock),
    ]
    joint = solve_wave(wave)
    whole = joint.plans["WHOLE"].allocated.get("SOCKS", 0)
    assert whole in (0, 2)
    assert whole + joint.plans["ANY"].allocated.get("SOCKS", 0) <= 2
    assert joint.units == 2  # the most units: the whole order alone


def test_restrict_routes_back_to_the_wave_plan_and_notices_stock_gone() -> None:
    wave = scarce_wave()
    joint = solve_wave(wave)
    again = route(wave[0].request, restrict(wave[0].candidates, joint.plans["O1"]))
    assert shipped(again) == shipped(joint.plans["O1"])
    gone = tuple(
        location("B", {"SOCKS": 0}, [lane(6.0)]) if c.location_id == "B" else c
        for c in wave[0].candidates
    )
    assert not route(wave[0].request, restrict(gone, joint.plans["O1"])).shipments


def test_look_ahead_keeps_the_last_unit_where_future_demand_is() -> None:
    """A is a little cheaper for this order, but its last SOCKS is what A's own region will
    want later (surcharge 3.0 a unit): with look-ahead the order ships from B."""
    candidates = (
        location("A", {"SOCKS": 1}, [lane(5.0)]),
        location("B", {"SOCKS": 10}, [lane(6.0)]),
    )
    request = order(("SOCKS", 1))
    assert shipped(route(request, candidates)) == [("A", (("SOCKS", 1),))]
    kept = route(request, candidates, lookahead={("A", "SOCKS"): 3.0})
    assert shipped(kept) == [("B", (("SOCKS", 1),))]
    assert kept.total_cost == 7.0  # the surcharge prices the choice, not the shipment
    cheap = route(request, candidates, lookahead={("A", "SOCKS"): 0.5})
    assert shipped(cheap) == [("A", (("SOCKS", 1),))]  # a small surcharge does not pay


def test_shadow_prices_price_the_units_the_future_will_miss() -> None:
    """Zone Z expects 2 units; A (5 a unit) holds 1, B (20) holds plenty: A's unit is worth
    the 15 the future pays more without it; B's stock is worth nothing extra."""
    prices = shadow_prices(
        supply={("A", "S"): 1, ("B", "S"): 10},
        demand={("Z", "S"): 2.0},
        cost={("A", "Z", "S"): 5.0, ("B", "Z", "S"): 20.0},
        unserved={("Z", "S"): 30.0},
    )
    assert prices == {("A", "S"): pytest.approx(15.0)}
    deep = shadow_prices(
        supply={("A", "S"): 5, ("B", "S"): 10},
        demand={("Z", "S"): 2.0},
        cost={("A", "Z", "S"): 5.0, ("B", "Z", "S"): 20.0},
        unserved={("Z", "S"): 30.0},
    )
    assert deep == {}  # enough at A for the future: no surcharge


def test_poisson_surcharge_grows_as_the_position_runs_down() -> None:
    expected = {("A", "S"): 2.0}
    penalty = {"A": 10.0}
    last = surcharges([("A", "S")], {("A", "S"): 1}, expected, penalty)
    deep = surcharges([("A", "S")], {("A", "S"): 8}, expected, penalty)
    assert last[("A", "S")] == pytest.approx(10.0 * (1 - math.exp(-2.0)))
    assert deep.get(("A", "S"), 0.0) < 0.02 < last[("A", "S")]
    assert poisson_at_least(2.0, 0) == 1.0 and poisson_at_least(0.0, 1) == 0.0


def test_homes_are_the_cheapest_location_and_penalties_the_mean_gap() -> None:
    home, penalty = homes(
        {
            "A": {"DC-1": 5.0, "DC-2": 6.0},
            "B": {"DC-1": 5.0, "DC-2": 20.0},
            "C": {"DC-2": 3.0, "DC-1": 3.0},  # a tie goes to the smaller id
            "D": {"DC-2": 2.0},  # served by one location: no gap to count
        }
    )
    assert home == {"A": "DC-1", "B": "DC-1", "C": "DC-1", "D": "DC-2"}
    assert penalty == {"DC-1": pytest.approx((1.0 + 15.0 + 0.0) / 3)}


def test_the_look_ahead_settings_are_positive_numbers() -> None:
    assert lookahead_settings({}) == (24.0, 24.0, 60.0)
    assert lookahead_settings({"ORDERGRAPH_LOOKAHEAD_WINDOW_H": "3"})[0] == 3.0
    for bad in ("0", "-1", "soon", "nan"):
        with pytest.raises(ValueError, match="ORDERGRAPH_LOOKAHEAD_TTL_S"):
            lookahead_settings({"ORDERGRAPH_LOOKAHEAD_TTL_S": bad})
