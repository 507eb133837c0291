"""The KPI formulas (docs/kpis.md) on a hand-made set of orders and deliveries, and the
activation gates' verdict."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from ordergraph.domain.kpis import (
    KPI_NAMES,
    Gate,
    OrderFact,
    ShipmentFact,
    compute,
    delivered_on_time,
    gate_failures,
    promised_within,
)

MON = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def ship(
    units: int, cost: float, km: float | None, shipped: datetime | None, delivered: datetime | None
) -> ShipmentFact:
    return ShipmentFact("DC", units, cost, km, shipped, delivered)


def order(
    oid: str,
    ordered: int,
    allocated: int,
    *shipments: ShipmentFact,
    promised: date | None,
    **kw: Any,
) -> OrderFact:
    delivered = [s.delivered_at for s in shipments]
    on_time = kw.pop("on_time", delivered_on_time(promised, delivered))
    return OrderFact(oid, "web", MON, ordered, allocated, tuple(shipments), promised, on_time, **kw)


@pytest.fixture
def orders() -> list[OrderFact]:
    return [
        # A: 2 units, one parcel, shipped after 6 h, delivered on the promise: perfect
        order("A", 2, 2, ship(2, 10.0, 100.0, at(23, 16), at(25, 12)), promised=date(2026, 11, 25)),
        # B: 3 units in two parcels, delivered a day late
        order(
            "B",
            3,
            3,
            ship(1, 6.0, 200.0, at(23, 22), at(26, 9)),
            ship(2, 8.0, 400.0, at(24, 10), at(27, 9)),
            promised=date(2026, 11, 26),
        ),
        # C: 4 ordered, 1 allocated (3 backordered), shipped, not yet delivered, re-routed
        order(
            "C",
            4,
            1,
            ship(1, 4.0, 300.0, at(24, 10), None),
            promised=date(2026, 11, 27),
            rerouted=True,
        ),
        # D: cancelled before anything shipped
        order("D", 1, 1, promised=date(2026, 11, 25), cancelled=True, on_time=None),
        # E: delivered on time, then returned
        order(
            "E",
            1,
            1,
            ship(1, 5.0, None, at(23, 12), at(24, 12)),
            promised=date(2026, 11, 25),
            returned=True,
        ),
    ]


def test_the_formulas_on_a_hand_made_day(orders: list[OrderFact]) -> None:
    k = compute(orders)
    assert k.orders == 5 and k.units_ordered == 11
    assert k.fill_rate == pytest.approx(8 / 11)
    routed = 4  # A B C E
    assert k.split_rate == pytest.approx(1 / routed)
    assert k.shipments_per_order == pytest.approx(5 / routed)
    assert k.cost_per_order == pytest.approx(33.0 / routed)
    assert k.cost_per_unit == pytest.approx(33.0 / 7)
    assert k.average_distance_km == pytest.approx((100 + 200 + 400 + 300) / 4)  # E unknown
    assert k.average_promised_days == pytest.approx((2 + 3 + 4 + 2 + 2) / 5)
    assert k.on_time_rate == pytest.approx(2 / 3)  # A E on time, B late, C D unknown
    assert k.cancellation_rate == pytest.approx(1 / 5)
    assert k.reroute_rate == pytest.approx(1 / 5)
    assert k.backorder_rate == pytest.approx(1 / 5)
    assert k.hours_to_ship == pytest.approx((6 + 12 + 24 + 2) / 4)
    assert k.hours_to_deliver == pytest.approx((44 + 83 + 24) / 3)
    assert k.cycle_hours == pytest.approx((50 + 95 + 26) / 3)
    assert k.return_rate == pytest.approx(1 / 4)
    # closed: A B E (judged) and D (cancelled); only A is perfect (E was returned)
    assert k.perfect_order_rate == pytest.approx(1 / 4)


def test_an_empty_set_has_no_rates() -> None:
    k = compute([])
    assert k.orders == 0
    assert all(
        v is None for name, v in k.values().items() if name not in ("orders", "unitsOrdered")
    )


def test_on_time_is_unknown_until_every_parcel_is_delivered() -> None:
    assert delivered_on_time(date(2026, 11, 25), [at(25, 23), None]) is None
    assert delivered_on_time(date(2026, 11, 25), [at(25, 23), at(24)]) is True
    assert delivered_on_time(date(2026, 11, 25), [at(26, 0)]) is False
    assert delivered_on_time(None, [at(26, 0)]) is False


def test_simulated_on_time_counts_business_days_of_the_service_level() -> None:
    friday = datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert promised_within(friday, date(2026, 11, 30), 1, "US")  # Friday + 1 business day
    assert not promised_within(friday, date(2026, 12, 1), 1, "US")
    assert not promised_within(friday, None, 5, "US")


def test_gates_fail_with_the_kpi_and_its_bound() -> None:
    sim = {"costPerOrder": 11.0, "onTimeRate": 0.97, "splitRate": 0.1, "fillRate": None}
    base = {"costPerOrder": 10.0, "onTimeRate": 0.99, "splitRate": 0.2, "fillRate": 1.0}
    gates = [
        Gate("costPerOrder", max=0.0, relative_to_baseline=True),  # +10%: fails
        Gate("onTimeRate", min=0.98),  # 0.97: fails
        Gate("splitRate", max=-0.25, relative_to_baseline=True),  # -50%: passes
        Gate("fillRate", min=0.9),  # no value: fails
        Gate("speed", min=1.0),  # no such KPI
    ]
    failures = gate_failures(gates, sim, base)
    assert len(failures) == 4
    assert failures[0].startswith("costPerOrder 11 vs baseline 10 (+10.00%) is above")
    assert failures[1] == "onTimeRate 0.97 is below the minimum 0.98"
    assert failures[2] == "fillRate: no value to compare"
    assert failures[3].startswith("speed: not a KPI")
    assert gate_failures(gates[2:3], sim, base) == []


def test_every_kpi_has_a_gate_name() -> None:
    assert "perfectOrderRate" in KPI_NAMES and "costPerOrder" in KPI_NAMES
