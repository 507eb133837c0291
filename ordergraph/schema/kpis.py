"""GraphQL type of the operations KPIs (docs/kpis.md has every formula)."""

from __future__ import annotations

from dataclasses import fields

import strawberry

from ordergraph.domain.kpis import Kpis as Record


@strawberry.type(
    description="Operations KPIs of a set of orders (docs/kpis.md). Rates are fractions in "
    "[0, 1]; a KPI whose denominator is empty is null. Costs are in the network's cost unit."
)
class Kpis:
    orders: int = strawberry.field(description="Orders counted.")
    units_ordered: int
    fill_rate: float | None = strawberry.field(
        description="Units allocated at placement / units ordered."
    )
    split_rate: float | None = strawberry.field(
        description="Orders with more than one shipment / orders with a shipment."
    )
    shipments_per_order: float | None
    cost_per_order: float | None = strawberry.field(
        description="Shipping cost (handling + lane) / orders with a shipment."
    )
    cost_per_unit: float | None
    average_distance_km: float | None = strawberry.field(
        description="Mean great-circle km from the shipping location to the ship-to region."
    )
    average_promised_days: float | None = strawberry.field(
        description="Mean calendar days from the UTC placement day to the (original) promise."
    )
    on_time_rate: float | None = strawberry.field(
        description="Live: orders delivered by their original promise / orders delivered. "
        "Simulation: orders promised within the service level's transit days / orders."
    )
    cancellation_rate: float | None
    reroute_rate: float | None = strawberry.field(
        description="Orders with a rejected (re-routed) fulfillment / orders."
    )
    backorder_rate: float | None = strawberry.field(
        description="Orders with units backordered at placement / orders."
    )
    hours_to_ship: float | None = strawberry.field(
        description="Mean hours from placement to the first shipment."
    )
    hours_to_deliver: float | None = strawberry.field(
        description="Mean hours from the first shipment to the last delivery."
    )
    cycle_hours: float | None = strawberry.field(
        description="Mean hours from placement to the last delivery, over delivered orders."
    )
    return_rate: float | None = strawberry.field(
        description="Shipped orders with a return / shipped orders."
    )
    perfect_order_rate: float | None = strawberry.field(
        description="Orders complete at placement, never cancelled, re-routed or returned, and "
        "on time / orders whose outcome is known (judged on time or late, or cancelled)."
    )

    @classmethod
    def from_record(cls, r: Record) -> Kpis:
        """Every field of the domain record, which has the same names (domain/kpis.py)."""
        return cls(**{f.name: getattr(r, f.name) for f in fields(r)})
