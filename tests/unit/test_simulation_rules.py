"""The sandbox's pure rules: what counts as a changed plan, KPI deltas, and the stored report's
codec (a report reads back field for field)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from ordergraph.domain.kpis import OrderFact, ShipmentFact, compute
from ordergraph.domain.routing.types import PlannedShipment, RoutingPlan
from ordergraph.domain.simulation import (
    ChangedOrder,
    SimulationReport,
    StockMode,
    deltas,
    plan_changed,
)
from ordergraph.graph.records.simulations import report_from_map, report_map

DAY = date(2026, 11, 24)


def shipment(location: str, service: str = "GROUND", cost: float = 5.0) -> PlannedShipment:
    return PlannedShipment(location, (("SKU-1", 1),), "UPS", service, 2, cost, DAY, DAY)


def plan(*shipments: PlannedShipment, backordered: tuple[tuple[str, int], ...] = ()) -> RoutingPlan:
    return RoutingPlan(
        shipments, backordered, sum(s.cost for s in shipments), DAY, ("why",), "X", True
    )


def test_a_plan_changes_with_its_locations_services_or_backorders_only() -> None:
    a = plan(shipment("DC-A"), shipment("DC-B"))
    assert not plan_changed(a, plan(shipment("DC-B"), shipment("DC-A")))  # order of shipments
    assert not plan_changed(a, replace(a, explanation=(), total_cost=99.0, policy="Y"))
    assert plan_changed(a, plan(shipment("DC-A"), shipment("DC-C")))
    assert plan_changed(a, plan(shipment("DC-A"), shipment("DC-B", "EXPRESS")))
    assert plan_changed(a, plan(shipment("DC-A"), shipment("DC-B"), backordered=(("SKU-2", 1),)))


def fact(cost: float, allocated: int) -> OrderFact:
    ships = (ShipmentFact("DC-A", allocated, cost, 10.0),) if allocated else ()
    placed = datetime(2026, 11, 24, 10, tzinfo=UTC)
    return OrderFact("o", "web", placed, 2, allocated, ships, DAY, allocated == 2)


def test_deltas_are_policy_minus_baseline_and_none_without_a_value() -> None:
    mine, theirs = compute([fact(12.0, 2)]), compute([fact(10.0, 1)])
    d = deltas(mine, theirs)
    assert d["costPerOrder"] == 2.0 and d["fillRate"] == 0.5 and d["hoursToShip"] is None


def test_a_stored_report_reads_back_field_for_field() -> None:
    mine, theirs = compute([fact(12.0, 2)]), compute([fact(10.0, 1)])
    a, b = plan(shipment("DC-A")), plan(shipment("DC-B"))
    report = SimulationReport(
        orders=1,
        skipped=1,
        skipped_reasons=("#2: unknown SKU NOPE",),
        policy="FASTEST@1",
        baseline="per channel",
        stock=StockMode.NOW,
        kpis=mine,
        baseline_kpis=theirs,
        deltas=deltas(mine, theirs),
        changed=1,
        changed_orders=(ChangedOrder("#1", datetime(2026, 11, 24, 10, tzinfo=UTC), a, b),),
        gate_failures=("costPerOrder 12 vs baseline 10 (+20.00%) is above the maximum +0.00%",),
    )
    back = report_from_map(report_map(report))
    assert back.kpis == report.kpis and back.baseline_kpis == report.baseline_kpis
    assert back.changed_orders[0].plan.shipments == a.shipments
    assert back.changed_orders[0].plan.explanation == ()  # dropped when stored
    assert replace(back, changed_orders=()) == replace(report, changed_orders=())
    assert back.passed is False
