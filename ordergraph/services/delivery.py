"""Delivery options for a prospective basket: "can I get it by Friday, and for how much?"

One candidate read (the same as ``place_order``'s), then routing once per service level (priced
as ``place_order`` prices it: ``orders.decide``, live carrier rates included) and once per nearby
pickup store. Nothing is reserved. This is the one question a storefront,
chatbot or voice assistant asks before checkout, so every option carries its explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from ordergraph.domain.errors import ValidationError
from ordergraph.domain.geo import haversine_km
from ordergraph.domain.orders import Address, OrderLine, OrderRequest, check_request
from ordergraph.domain.routing.engine import route
from ordergraph.domain.routing.types import RoutingPlan, ServiceLevel
from ordergraph.graph.records.catalog import RegionRecord
from ordergraph.graph.store import GraphStore
from ordergraph.services.availability import Near, check_near
from ordergraph.services.carrier_rates import RateShopper
from ordergraph.services.orders import (
    Situation,
    decide,
    placement_request,
    policy_for,
    preorders_for,
    read_situation,
    routing_request,
)

PICKUP_RADIUS_KM = 50.0
MAX_PICKUP_STORES = 5
ANY_CHANNEL = "web"


@dataclass(frozen=True)
class Option:
    kind: str  # SHIP or PICKUP
    service_level: ServiceLevel | None
    pickup_at: str | None
    ships_whole: bool
    shipments: int
    cost: float
    ship_by: date | None
    delivery_by: date | None
    ready_by: datetime | None
    distance_km: float | None
    explanation: tuple[str, ...]


async def delivery_options(
    store: GraphStore,
    lines: tuple[OrderLine, ...],
    *,
    channel: str | None,
    ship_to: Address | None,
    near: Near | None,
    placed_at: datetime | None,
    now: datetime | None = None,
    rates: RateShopper | None = None,
) -> list[Option]:
    """``rates``: the process's carrier accounts (``shopper_for``); each shipping option's cost
    and date are then the ones ``orderCreate`` would give the same basket (same rate cache)."""
    now = now or datetime.now(UTC)
    if ship_to is None and near is None:
        raise ValidationError("give shipTo or near", field=("shipTo",))
    check_near(near, None)
    if ship_to is None and near is not None and near.lat is None:  # a postal code or a country
        ship_to = Address(near.postal_code or "", (near.country or "US").upper())
    probe = OrderRequest(
        channel=channel or ANY_CHANNEL,
        lines=lines,
        ship_to=ship_to,
        pickup_at="-" if ship_to is None else None,
        placed_at=placed_at,
    )
    request = check_request(probe, now=now)
    if ship_to is None:
        request = replace(request, pickup_at=None)
    situation = await read_situation(
        store,
        request,
        require_channel=channel is not None,
        channel_rules=channel is not None,
        now=now,
    )
    policy, situation = await policy_for(store, None, situation, at=request.placed_at)
    options: list[Option] = []
    if ship_to is not None:
        # every service level priced as orderCreate prices it (``decide``): the lane table's
        # best plans re-priced live, all levels under one deadline and the same rate cache
        levels = list(ServiceLevel)
        leveled = [replace(request, service_level=level) for level in levels]
        inbound = situation.channel.rules.sell_inbound
        routings = [routing_request(r, situation) for r in leveled]
        if inbound:  # what orderCreate routes when preorders may serve the rest
            routings += [placement_request(r, situation) for r in leveled]
        plans = await decide(situation, request, routings, policy, rates)
        for n, level in enumerate(levels):
            plan = plans[n]
            if plan.shipments:
                options.append(_option("SHIP", plan, level=level))
            if plan.backordered and inbound:
                preorder = await _preorder_option(
                    store, leveled[n], situation, plans[len(levels) + n]
                )
                if preorder is not None:
                    options.append(preorder)
    origin = _origin(situation.region, near)
    if origin is not None:
        wanted = request.quantities()
        stores = sorted(
            (haversine_km(origin[0], origin[1], c_lat, c_lon), c.location_id)
            for c, (c_lat, c_lon) in (
                (c, _point(situation, c.location_id)) for c in situation.candidates if c.pickup
            )
            if all(c.available.get(sku, 0) >= n for sku, n in wanted.items())
        )
        for distance, store_id in [s for s in stores if s[0] <= PICKUP_RADIUS_KM][
            :MAX_PICKUP_STORES
        ]:
            pickup = replace(request, pickup_at=store_id, ship_to=None)
            plan = route(routing_request(pickup, situation), situation.candidates, policy)
            if plan.feasible:
                options.append(_option("PICKUP", plan, pickup_at=store_id, distance=distance))
    return options


async def _preorder_option(
    store: GraphStore, request: OrderRequest, situation: Situation, plan: RoutingPlan
) -> Option | None:
    """For a channel that sells inbound: the plan's on-hand shipments with every unit they
    cannot serve sold as preorders (``preorders_for``, as ``orderCreate`` would sell them),
    delivered by the latest preorder promise; None when inbound cannot serve them all."""
    needs = [(f"L{i}", sku, units) for i, (sku, units) in enumerate(plan.backordered)]
    preorders = await preorders_for(store, request, situation, needs)
    if sum(p.units for p in preorders) < sum(units for _, _, units in needs):
        return None
    shipments = [*plan.shipments, *(p.shipment for p in preorders)]
    return Option(
        kind="PREORDER",
        service_level=request.service_level,
        pickup_at=None,
        ships_whole=True,
        shipments=len(shipments),
        cost=round(plan.total_cost + sum(p.shipment.cost for p in preorders), 2),
        ship_by=max(s.ship_by for s in shipments),
        delivery_by=max(s.estimated_delivery for s in shipments),
        ready_by=None,
        distance_km=None,
        explanation=(
            *plan.explanation,
            *(
                f"preorder {p.units} x {sku} from inbound {p.inbound_id} at "
                f"{p.shipment.location_id}, expected {p.expected_at.isoformat()}: ships "
                f"{p.shipment.ship_by.isoformat()}, delivered by "
                f"{p.shipment.estimated_delivery.isoformat()}"
                for p in preorders
                for sku, _ in p.shipment.lines
            ),
        ),
    )


def _origin(region: RegionRecord | None, near: Near | None) -> tuple[float, float] | None:
    if near is not None and near.lat is not None and near.lon is not None:
        return (near.lat, near.lon)
    if region is not None:
        return (region.lat, region.lon)
    return None


def _point(situation: Situation, location_id: str) -> tuple[float, float]:
    loc = situation.locations[location_id]
    return (loc.lat, loc.lon)


def _option(
    kind: str,
    plan: RoutingPlan,
    *,
    level: ServiceLevel | None = None,
    pickup_at: str | None = None,
    distance: float | None = None,
) -> Option:
    return Option(
        kind=kind,
        service_level=level,
        pickup_at=pickup_at,
        ships_whole=plan.feasible,
        shipments=len(plan.shipments),
        cost=round(plan.total_cost, 2),
        ship_by=max(s.ship_by for s in plan.shipments),
        delivery_by=plan.promised_by if kind == "SHIP" else None,
        ready_by=max((s.ready_by for s in plan.shipments if s.ready_by), default=None),
        distance_km=None if distance is None else round(distance, 1),
        explanation=plan.explanation,
    )
