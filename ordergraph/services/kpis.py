"""Live KPIs (``kpis(from, to, channel)``): the orders placed in a window, read once, turned
into ``domain.kpis`` facts and measured by its formulas (docs/kpis.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ordergraph.domain import kpis
from ordergraph.domain.errors import ValidationError
from ordergraph.domain.geo import haversine_km
from ordergraph.domain.orders import FulfillmentStatus, OrderStatus
from ordergraph.domain.routing.types import RoutingPlan
from ordergraph.graph import kpis as q
from ordergraph.graph.records.kpis import KpiFulfillment, KpiOrder
from ordergraph.graph.store import GraphStore

MAX_WINDOW = timedelta(days=366)
NOT_SHIPMENTS = frozenset({FulfillmentStatus.REJECTED, FulfillmentStatus.CANCELLED})
"""Fulfillments that never carried the order: rejected by their location, or cancelled."""


def order_fact(found: KpiOrder) -> kpis.OrderFact:
    """One order as the formulas see it (docs/kpis.md, "Live facts")."""
    order = found.order
    plan = None if order.routing is None else RoutingPlan.from_record(order.routing)
    shipments = tuple(
        kpis.ShipmentFact(
            location_id=f.location_id,
            units=f.units,
            cost=f.cost,
            distance_km=_distance(found, f),
            shipped_at=f.shipped_at,
            delivered_at=f.delivered_at,
        )
        for f in found.fulfillments
        if f.status not in NOT_SHIPMENTS
    )
    promised = order.original_promised_by or order.promised_by
    return kpis.OrderFact(
        order_id=order.id,
        channel=order.channel,
        placed_at=order.placed_at,
        ordered_units=found.ordered,
        allocated_at_placement=0 if plan is None else sum(s.units for s in plan.shipments),
        shipments=shipments,
        promised_by=promised,
        on_time=kpis.delivered_on_time(promised, [s.delivered_at for s in shipments]),
        cancelled=found.cancelled > 0 or order.status is OrderStatus.CANCELLED,
        rerouted=any(f.status is FulfillmentStatus.REJECTED for f in found.fulfillments),
        returned=found.returns > 0,
    )


def _distance(found: KpiOrder, f: KpiFulfillment) -> float | None:
    """From the fulfillment's location to the order's region centroid (None for pickups)."""
    if found.region_lat is None or found.region_lon is None or f.lat is None or f.lon is None:
        return None
    return haversine_km(found.region_lat, found.region_lon, f.lat, f.lon)


def check_window(start: datetime, end: datetime, field: str = "from") -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationError("from and to need a time zone", field=(field,))
    if end <= start:
        raise ValidationError("to must be after from", field=("to",))
    if end - start > MAX_WINDOW:
        raise ValidationError(f"a window spans at most {MAX_WINDOW.days} days", field=("to",))


async def live_kpis(
    store: GraphStore, start: datetime, end: datetime, channel: str | None
) -> kpis.Kpis:
    """The KPIs of the orders placed in [start, end), of ``channel`` when given."""
    check_window(start, end)
    found = await q.orders_placed(
        store, int(start.timestamp() * 1000), int(end.timestamp() * 1000), channel
    )
    return kpis.compute([order_fact(o) for o in found])
