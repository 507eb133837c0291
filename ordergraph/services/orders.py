"""Placing orders: read candidates, route, reserve and create in one statement.

``place_order`` is the one path every channel takes (GraphQL, ingestion, the CLI):

1. check the request (domain); a repeated (channel, externalId) returns the existing order when
   the request's body is the same (its ``bodyDigest``, see ``body_digest``), and is a
   ``CONFLICT`` that says nothing of the existing order otherwise;
2. one graph read of candidates: the ship-to region, the SKUs, and every active location holding
   them with its stock, lanes to that region and capacity already used;
3. ``domain.routing.engine.route`` decides (pure, exact for up to 10 lines);
4. one conditional write reserves every allocated unit only if it is still available, and
   creates the order, lines, fulfillments, routing record and ``OrderCreated`` event;
5. if stock or capacity moved in between, read again and route again (bounded); never oversell.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ordergraph.domain import promise
from ordergraph.domain.errors import (
    ErrorCode,
    OrderGraphError,
    UnserviceableAddress,
    ValidationError,
)
from ordergraph.domain.geo import haversine_km
from ordergraph.domain.orders import (
    OrderRequest,
    allows_partial,
    check_request,
    created_event,
    refuse_partial,
    ship_lines,
)
from ordergraph.domain.preorder import Preorder, PreorderSource, plan_preorders
from ordergraph.domain.regions import region_candidates
from ordergraph.domain.routing.batch import held_plan, wave_end
from ordergraph.domain.routing.lookahead import LookAhead, route_ahead
from ordergraph.domain.routing.rules import ActionKind, effects, share_cap
from ordergraph.domain.routing.types import (
    MAX_TRANSIT_DAYS,
    Candidate,
    Lane,
    LineRequest,
    Policy,
    RoutingPlan,
    RoutingRequest,
    SkuInfo,
    TransferLane,
)
from ordergraph.domain.status import status_after_allocation
from ordergraph.graph import inbound as inbound_q
from ordergraph.graph import orders as q
from ordergraph.graph.records.catalog import ChannelRecord, LocationRecord, RegionRecord
from ordergraph.graph.records.lifecycle import event_params
from ordergraph.graph.records.routing import CandidateLocation
from ordergraph.graph.store import GraphStore
from ordergraph.services.availability import position_atp, sales_channel
from ordergraph.services.carrier_rates import RateShopper
from ordergraph.services.lookahead import lookahead_at
from ordergraph.services.policies import PolicyChoice, policy_for_order

MAX_ATTEMPTS = 12
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def epoch_ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def new_order_id() -> str:
    """``OG-`` and ten readable characters: short enough for a chatbot to read out."""
    return "OG-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


CapacityKey = tuple[str, str, int | None]
"""A location's capacity day for an order: (capacity key, local ship day, daily limit or None)."""


@dataclass(frozen=True)
class Situation:
    """What routing needs from the graph for one request, read in one query."""

    channel: ChannelRecord  # a stand-in without policies when the channel need not exist
    region: RegionRecord | None
    skus: dict[str, SkuInfo]
    candidates: tuple[Candidate, ...]
    capacity_keys: dict[str, CapacityKey]  # by location id
    locations: dict[str, LocationRecord]  # the candidate locations' records
    today: date  # the UTC day the channel's protections are counted on (the server's clock)
    # per location, per capped carrier: the carrier's capacity day (key, day, limit)
    lane_caps: dict[str, dict[str, CapacityKey]] = field(default_factory=dict)
    lane_full: frozenset[tuple[str, str]] = frozenset()  # (location, carrier) full that day
    # the policy routing runs under and, by name, it and the fallbacks it names (``with_policy``)
    policy: PolicyChoice | None = None
    policies: dict[str, Policy] = field(default_factory=dict)
    # recent demand when the policy weighs the look-ahead term (``services.lookahead``, #18)
    lookahead: LookAhead | None = None


@dataclass
class Placement:
    order_id: str
    created: bool  # False when an earlier order with the same (channel, externalId) was returned
    plan: RoutingPlan | None = None
    attempts: int = 1


def body_digest(request: OrderRequest, *, placed_at_given: bool) -> str:
    """What "the same order" means for a repeated (channel, externalId): the SHA-256 of the
    CHECKED request (normalised: trimmed SKUs and channel, upper-case country and currency,
    normalised postal code, amounts as decimals) in a canonical JSON: channel, externalId, every
    line in order (SKU, quantity, unit price, currency), shipTo, pickupAt, service level, policy,
    excluded locations, the customer tier when given, and placedAt only when the caller gave it
    (the server's clock is not part of the body). Field order, spacing and defaults written out
    or left out do not matter."""
    ship = request.ship_to
    body = {
        "channel": request.channel,
        "externalId": request.external_id,
        "lines": [
            [
                line.sku,
                line.quantity,
                None if line.unit_price is None else str(line.unit_price.normalize()),
                line.currency,
            ]
            for line in request.lines
        ],
        "shipTo": None
        if ship is None
        else [
            ship.name,
            ship.line1,
            ship.line2,
            ship.city,
            ship.region,
            ship.postal_code,
            ship.country,
        ],
        "pickupAt": request.pickup_at,
        **({"pickupName": request.pickup_name} if request.pickup_name else {}),
        "serviceLevel": request.service_level.value,
        "policy": request.policy,
        "excluded": sorted(request.excluded_locations),
        "placedAt": request.placed_at.isoformat()
        if placed_at_given and request.placed_at is not None
        else None,
        **({} if request.customer_tier is None else {"customerTier": request.customer_tier}),
    }
    canonical = json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def existing_placement(
    store: GraphStore, request: OrderRequest, digest: str, attempts: int = 1
) -> Placement | None:
    """The order already placed with this (channel, externalId), if the body is the same."""
    if request.channel_external_id is None:
        return None
    found = await q.order_digest_by(store, request.channel_external_id)
    if found is None:
        return None
    order_id, stored = found
    if stored != digest:  # another body, or an order from before bodies were recorded
        raise OrderGraphError(
            f"externalId {request.external_id!r} was already used on channel {request.channel} "
            "for an order with another body; send the same body to get that order again, or use "
            "a new externalId",
            ErrorCode.CONFLICT,
            ("externalId",),
        )
    return Placement(order_id, created=False, attempts=attempts)


async def policy_for(
    store: GraphStore,
    name: str | None,
    situation: Situation,
    *,
    strict: bool = True,
    at: datetime | None = None,
) -> tuple[Policy, Situation]:
    """The policy ``situation``'s order routes under (``services.policies.policy_for_order``)
    and the situation with what it needs: each candidate's shipments today under a policy
    whose rules cap a daily share (one more read, only for such policies), and the recent
    demand at ``at`` (the clock by default) under a policy that weighs the look-ahead term
    (``services.lookahead``, cached)."""
    choice = await policy_for_order(store, name, situation.channel, strict=strict)
    ahead = (
        await lookahead_at(store, at or datetime.now(UTC))
        if choice.policy.lookahead_weight > 0.0
        else None
    )
    policies = _chain(choice.policy)
    names = [
        p.name
        for p in policies.values()
        if any(a.kind is ActionKind.DAILY_SHARE for rule in p.rules for a in rule.actions)
    ]
    candidates = situation.candidates
    if names:
        keys = {
            (c.location_id, n): _share_key(situation, c.location_id, n)
            for c in candidates
            if c.daily_capacity is not None
            for n in names
        }
        used = await q.capacity_used(store, sorted(keys.values())) if keys else {}
        candidates = tuple(
            replace(
                c,
                share_used={
                    n: used.get(keys[(c.location_id, n)], 0)
                    for n in names
                    if (c.location_id, n) in keys
                },
            )
            for c in candidates
        )
    return choice.policy, replace(
        situation, candidates=candidates, policy=choice, policies=policies, lookahead=ahead
    )


def _chain(policy: Policy) -> dict[str, Policy]:
    """``policy`` and every fallback it names, at any depth, by name."""
    found = {policy.name: policy}
    for rule in policy.rules:
        for action in rule.actions:
            if action.fallback is not None and action.fallback.name not in found:
                found.update(_chain(action.fallback))
    return found


def _share_key(situation: Situation, location_id: str, policy: str) -> str:
    return f"{location_id}|{situation.capacity_keys[location_id][1]}|policy:{policy}"


def share_days(
    situation: Situation, decided: RoutingPlan, routing: RoutingRequest | None
) -> list[dict[str, Any]]:
    """The daily-share capacity days (docs/routing-policies.md) the plan's shipments count
    against: for each shipment from a location that a DAILY_SHARE rule of the plan's policy
    that fired for ``routing`` caps, the day of (location, policy) with the smallest cap.
    Keyed ``SHARE:`` as location, so that no location counts them as its own shipments."""
    policy = situation.policies.get(decided.policy)
    if policy is None or routing is None:
        return []
    shares = effects(policy, routing).shares
    if not shares:
        return []
    by_id = {c.location_id: c for c in situation.candidates}
    days = []
    for shipment in decided.shipments:
        c = by_id.get(shipment.location_id)
        if c is None or c.daily_capacity is None:
            continue
        caps = [
            share_cap(a.fraction, c.daily_capacity) for _, a in shares if a.locations.matches(c)
        ]
        if caps:
            days.append(
                {
                    "key": _share_key(situation, c.location_id, policy.name),
                    "day": situation.capacity_keys[c.location_id][1],
                    "location": f"SHARE:{c.location_id}",
                    "limit": min(caps),
                }
            )
    return days


async def read_situation(
    store: GraphStore,
    request: OrderRequest,
    *,
    require_channel: bool = True,
    channel_rules: bool = True,
    now: datetime | None = None,
) -> Situation:
    """What routing needs for ``request``. Each candidate's stock is the channel's ATP there
    (``position_atp``) on the UTC day of ``now`` (the clock by default); with
    ``channel_rules=False``, the whole network's free stock (a question asked for no channel)."""
    assert request.placed_at is not None
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    regions = (
        region_candidates(request.ship_to.postal_code, request.ship_to.country)
        if request.ship_to is not None
        else []
    )
    from_day = (request.placed_at - timedelta(days=1)).date().isoformat()
    found = await q.candidates(
        store,
        sorted(request.quantities()),
        regions,
        request.pickup_at,
        from_day,
        channel=request.channel,
    )
    channel = found.channel
    if channel is None:
        if require_channel:
            raise ValidationError(
                f"unknown channel {request.channel!r}", ErrorCode.UNKNOWN_CHANNEL, ("channel",)
            )
        channel = sales_channel(None, request.channel)
    unknown = found.unknown_skus
    if unknown:
        index = next(i for i, line in enumerate(request.lines) if line.sku in unknown)
        raise ValidationError(
            f"unknown SKU{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            ErrorCode.UNKNOWN_SKU,
            ("lines", str(index), "sku"),
        )
    if request.ship_to is not None and found.region is None:
        raise UnserviceableAddress(
            f"no region serves postal code {request.ship_to.postal_code} in "
            f"{request.ship_to.country}",
            ("shipTo", "postalCode"),
        )
    pickup = None
    if request.pickup_at is not None and any(c.transfers for c in found.locations):
        pickup = await _pickup_store(store, request.pickup_at, found.locations)
    candidates, keys = routing_candidates(
        found.locations,
        found.region,
        request.placed_at,
        channel if channel_rules else None,
        today,
        pickup,
    )
    candidates, lane_caps, lane_full = await _lane_caps(store, candidates, found.locations, keys)
    return Situation(
        channel=channel,
        region=found.region,
        skus={sku.id: SkuInfo(sku.id, sku.weight_kg, sku.tags) for sku in found.skus.values()},
        candidates=candidates,
        capacity_keys=keys,
        locations={c.location.id: c.location for c in found.locations},
        today=today,
        lane_caps=lane_caps,
        lane_full=lane_full,
    )


async def _pickup_store(
    store: GraphStore, store_id: str, found: Sequence[CandidateLocation]
) -> LocationRecord | None:
    """The pickup store a transfer travels to: among the candidates, else read."""
    for candidate in found:
        if candidate.location.id == store_id:
            return candidate.location
    return await q.pickup_location(store, store_id)


def _transfer_lanes(
    candidate: CandidateLocation, pickup: LocationRecord | None
) -> tuple[TransferLane, ...]:
    """A candidate's transfer lanes to the pickup store, with the store's promise data."""
    if pickup is None:
        return ()
    return tuple(
        TransferLane(
            to=pickup.id,
            carrier=t.carrier,
            service=t.service,
            transit_days=t.transit_days,
            base_cost=t.base_cost,
            cost_per_kg=t.cost_per_kg,
            cutoff=t.cutoff,
            store_timezone=pickup.timezone,
            store_country=pickup.country,
            store_processing_days=pickup.processing_days,
            store_handling_cost=pickup.handling_cost,
        )
        for t in candidate.transfers
    )


async def _lane_caps(
    store: GraphStore,
    candidates: tuple[Candidate, ...],
    found: Sequence[CandidateLocation],
    keys: dict[str, CapacityKey],
) -> tuple[tuple[Candidate, ...], dict[str, dict[str, CapacityKey]], frozenset[tuple[str, str]]]:
    """Carrier booking caps (docs/carriers.md): each capped carrier's capacity day at each
    location, on the day it would ship; a carrier whose day is full loses its lanes there (the
    create statement checks the same day atomically). No caps: no read."""
    caps: dict[str, dict[str, CapacityKey]] = {}
    for candidate in found:
        loc = candidate.location
        day = keys[loc.id][1]
        for carrier, limit in loc.carrier_caps:
            caps.setdefault(loc.id, {})[carrier] = (f"{loc.id}|{carrier}|{day}", day, limit)
    if not caps:
        return candidates, caps, frozenset()
    used = await q.capacity_used(store, [k for per in caps.values() for k, _, _ in per.values()])
    full = {
        (location, carrier)
        for location, per in caps.items()
        for carrier, (key, _, limit) in per.items()
        if limit is not None and used.get(key, 0) >= limit
    }
    if full:
        candidates = tuple(
            replace(c, lanes=tuple(ln for ln in c.lanes if (c.location_id, ln.carrier) not in full))
            for c in candidates
        )
    return candidates, caps, frozenset(full)


def routing_candidates(
    found: Sequence[CandidateLocation],
    region: RegionRecord | None,
    placed_at: datetime,
    channel: ChannelRecord | None,
    today: date,
    pickup: LocationRecord | None = None,
) -> tuple[tuple[Candidate, ...], dict[str, CapacityKey]]:
    """Each location as routing sees it on the day it would ship this order, and that day's
    capacity key (what the create statement counts the shipment against); its stock is
    ``channel``'s ATP (the free stock when None)."""
    candidates = []
    keys: dict[str, CapacityKey] = {}
    for candidate in found:
        loc = candidate.location
        day = promise.ship_date(
            placed_at, loc.timezone, loc.cutoff, loc.processing_days, loc.country
        ).isoformat()
        limit = loc.daily_capacity
        keys[loc.id] = (f"{loc.id}|{day}", day, limit)
        candidates.append(
            Candidate(
                location_id=loc.id,
                kind=loc.kind,
                timezone=loc.timezone,
                country=loc.country,
                cutoff=loc.cutoff,
                processing_days=loc.processing_days,
                handling_cost=loc.handling_cost,
                capacity_left=None if limit is None else max(0, limit - candidate.used.get(day, 0)),
                tags=loc.tags,
                active=loc.active,
                pickup=loc.pickup,
                available={
                    sku: stock.available
                    if channel is None
                    else position_atp(channel, loc, stock, today).result
                    for sku, stock in candidate.stock.items()
                },
                lanes=tuple(
                    Lane(ln.carrier, ln.service, ln.transit_days, ln.base_cost, ln.cost_per_kg)
                    for ln in candidate.lanes
                ),
                distance_km=None
                if region is None
                else haversine_km(region.lat, region.lon, loc.lat, loc.lon),
                daily_capacity=limit,
                transfers=_transfer_lanes(candidate, pickup),
            )
        )
    return tuple(candidates), keys


def routing_request(request: OrderRequest, situation: Situation) -> RoutingRequest:
    assert request.placed_at is not None
    return RoutingRequest(
        lines=tuple(LineRequest(sku, qty) for sku, qty in sorted(request.quantities().items())),
        skus=situation.skus,
        service_level=request.service_level,
        placed_at=request.placed_at,
        pickup_at=request.pickup_at,
        allow_partial=allows_partial(situation.channel.partial_policy),
        excluded_locations=request.excluded_locations,
        channel=request.channel,
        region=None if situation.region is None else situation.region.id,
        order_value=order_value(request),
        customer_tier=request.customer_tier,
    )


def order_value(request: OrderRequest) -> float | None:
    """Sum of unit price x quantity over the lines, None unless every line has a price (what a
    policy rule's ``orderValue`` condition reads)."""
    if not request.lines or any(line.unit_price is None for line in request.lines):
        return None
    return float(sum(line.unit_price * line.quantity for line in request.lines if line.unit_price))


def placement_request(request: OrderRequest, situation: Situation) -> RoutingRequest:
    """``routing_request`` for a new order: a channel that sells inbound routes what on-hand
    stock can serve even when it takes no partial orders, since preorders may serve the rest
    (``create`` refuses the order if they cannot)."""
    routed = routing_request(request, situation)
    if situation.channel.rules.sell_inbound:
        return replace(routed, allow_partial=True)
    return routed


async def check_pickup(store: GraphStore, request: OrderRequest) -> None:
    if request.pickup_at is not None:
        await check_pickup_store(store, request.pickup_at)


async def check_pickup_store(
    store: GraphStore, location_id: str, field: tuple[str, ...] = ("pickupAt",)
) -> None:
    location = await q.pickup_location(store, location_id)
    if location is None:
        raise ValidationError(
            f"unknown location {location_id!r}", ErrorCode.UNKNOWN_LOCATION, field
        )
    if not location.pickup or not location.active:
        raise ValidationError(f"{location_id} is not an open pickup store", field=field)


async def decide(
    situation: Situation,
    request: OrderRequest,
    routings: Sequence[RoutingRequest],
    policy: Policy,
    rates: RateShopper | None,
    *,
    on_routed: Any = None,
) -> list[RoutingPlan]:
    """The plan for each routing question about ``request``: the lane table's best
    (``domain.routing``), then, with ``rates``, the few best re-priced with live carrier rates
    under one deadline and the shared rate cache (``RateShopper.reprice_many``). The one pricing
    of ``orderCreate``, channel ingestion, ``routingPreview`` and ``deliveryOptions``, so a price
    shown is the price the order gets while the cached rates live (docs/carriers.md)."""
    started = time.perf_counter()
    plans = [
        route_ahead(routing, situation.candidates, policy, situation.lookahead)
        for routing in routings
    ]
    if on_routed is not None:
        on_routed(time.perf_counter() - started)
    if rates is None:
        return plans
    return await rates.reprice_many(
        list(zip(routings, plans, strict=True)),
        situation.candidates,
        policy,
        region_id=None if situation.region is None else situation.region.id,
        ship_to=request.ship_to,
        locations=situation.locations,
        blocked=situation.lane_full,
    )


async def plan(
    store: GraphStore,
    request: OrderRequest,
    *,
    now: datetime | None = None,
    rates: RateShopper | None = None,
) -> tuple[OrderRequest, Situation, RoutingPlan]:
    """The plan ``place_order`` would make now, reserving nothing (``routingPreview``), priced
    as ``place_order`` prices it (``decide``)."""
    now = now or datetime.now(UTC)
    request = check_request(request, now=now)
    await check_pickup(store, request)
    situation = await read_situation(store, request, now=now)
    policy, situation = await policy_for(store, request.policy, situation, at=request.placed_at)
    [decided] = await decide(
        situation, request, [routing_request(request, situation)], policy, rates
    )
    return request, situation, decided


async def place_order(
    store: GraphStore,
    request: OrderRequest,
    *,
    now: datetime | None = None,
    on_conflict: Any = None,
    on_routed: Any = None,
    placed_by: str | None = None,
    rates: RateShopper | None = None,
) -> Placement:
    """``placed_by``: the role of the API key placing it (GraphQL), recorded as ``placedBy``;
    ingestion does not take a storefront's order as the channel's (``services.ingestion``).
    ``rates``: live carrier rates re-price the lane table's best plans (services.carrier_rates);
    None routes on the lane table alone."""
    now = now or datetime.now(UTC)
    placed_at_given = request.placed_at is not None
    request = check_request(request, now=now)
    digest = body_digest(request, placed_at_given=placed_at_given)
    existing = await existing_placement(store, request, digest)
    if existing is not None:
        return existing
    await check_pickup(store, request)
    order_id = new_order_id()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        situation = await read_situation(store, request, now=now)
        policy, situation = await policy_for(store, request.policy, situation, at=request.placed_at)
        held = None  # issue #18: a channel with a batch window holds its orders for a wave
        routing = placement_request(request, situation)
        if situation.channel.batch_window_s > 0:
            held = wave_end(now, situation.channel.batch_window_s)
            decided = held_plan(request.quantities(), policy.name, held)
        else:
            [decided] = await decide(
                situation, request, [routing], policy, rates, on_routed=on_routed
            )
        if held is None and not situation.channel.rules.sell_inbound:  # else preorders count
            refuse_partial(decided, situation.channel.partial_policy, request.channel)
        if await create(
            store,
            order_id,
            request,
            situation,
            decided,
            now,
            digest,
            placed_by,
            routing,
            held_until=held,
        ):
            return Placement(order_id, created=True, plan=decided, attempts=attempt)
        if await q.order_ids_by(store, order_id, None):  # ours, though no row came back
            return Placement(order_id, created=True, plan=decided, attempts=attempt)
        existing = await existing_placement(store, request, digest, attempt)  # a racing repeat
        if existing is not None:
            return existing
        if on_conflict is not None:
            on_conflict()
        await asyncio.sleep(random.uniform(0, 0.002 * attempt))  # jitter: racers spread out
    raise OrderGraphError(
        f"stock kept moving while placing the order; gave up after {MAX_ATTEMPTS} attempts",
        ErrorCode.CONFLICT,
    )


@dataclass
class Built:
    fulfillments: list[dict[str, Any]]
    alloc: list[dict[str, Any]]  # stock to reserve, sorted by (location, sku): one lock order
    capacity: list[dict[str, Any]]
    allocated: dict[str, int]  # line id -> units allocated by these fulfillments
    firsts: list[dict[str, Any]] = field(default_factory=list)  # each shipment's first one


def build_fulfillments(
    order_id: str,
    first_number: int,
    decided: RoutingPlan,
    needs: Sequence[tuple[str, str, int]],
    situation: Situation,
    at: str,
    routing: RoutingRequest | None = None,
) -> Built:
    """Turn a plan's shipments into fulfillments that ship order lines (``ship_lines``), with
    the stock they reserve and the capacity days they count against.

    ``needs`` is (line id, sku, units wanted) in line order. Used at placement and whenever
    lines are re-routed (rejection, backorders); ``routing`` is the request the plan was routed
    for (its policy's daily shares are counted against the days ``share_days`` names).
    """
    allocated: dict[str, int] = {}
    fulfillments: list[dict[str, Any]] = []
    alloc: list[dict[str, Any]] = []
    capacity: list[dict[str, Any]] = []
    firsts: list[dict[str, Any]] = []
    shipped = zip(decided.shipments, ship_lines(decided, needs), strict=True)
    n = first_number
    for shipment, ships in shipped:
        for line_id, units in ships:
            allocated[line_id] = allocated.get(line_id, 0) + units
        for sku, quantity in shipment.lines:
            alloc.append({"location": shipment.location_id, "sku": sku, "quantity": quantity})
        made = q.shipment_params(order_id, n, shipment, ships, at)  # a transfer makes two
        fulfillments.extend(made)
        firsts.append(made[0])
        n += len(made)
        key, day, limit = situation.capacity_keys[shipment.location_id]
        capacity.append({"key": key, "day": day, "location": shipment.location_id, "limit": limit})
        lane = situation.lane_caps.get(shipment.location_id, {}).get(shipment.carrier)
        if lane is not None:  # not linked to the location: "LANE:" is no location id
            key, day, limit = lane
            capacity.append(
                {"key": key, "day": day, "location": f"LANE:{shipment.location_id}", "limit": limit}
            )
    capacity.extend(share_days(situation, decided, routing))
    alloc.sort(key=lambda a: (a["location"], a["sku"]))
    capacity.sort(key=lambda c: c["key"])
    return Built(fulfillments, alloc, capacity, allocated, firsts)


async def create(
    store: GraphStore,
    order_id: str,
    request: OrderRequest,
    situation: Situation,
    decided: RoutingPlan,
    now: datetime,
    digest: str,
    placed_by: str | None,
    routing: RoutingRequest | None = None,
    *,
    held_until: datetime | None = None,
) -> bool:
    """Reserve what ``decided`` allocates and create the order with its lines, fulfillments and
    ``OrderCreated`` event, in one statement; False when stock, capacity or a duplicate said no.
    ``digest`` is the request's ``body_digest``, ``placed_by`` the role that placed it;
    ``held_until``: the order waits for the batch wave ending then (no preorders either)."""
    line_ids = [f"{order_id}-L{i + 1}" for i in range(len(request.lines))]
    built = build_fulfillments(
        order_id,
        1,
        decided,
        [(line_ids[i], line.sku, line.quantity) for i, line in enumerate(request.lines)],
        situation,
        now.astimezone(UTC).isoformat(),
        routing,
    )
    needs = [
        (line_id, line.sku, line.quantity - built.allocated.get(line_id, 0))
        for line_id, line in zip(line_ids, request.lines, strict=True)
    ]
    preorders = [] if held_until else await preorders_for(store, request, situation, needs)
    number = len(built.fulfillments) + 1
    at = now.astimezone(UTC).isoformat()
    for n, preorder in enumerate(preorders, start=number):
        built.fulfillments.append(q.preorder_params(f"{order_id}-F{n}", preorder, at))
        for line_id, units in preorder.ships:
            built.allocated[line_id] = built.allocated.get(line_id, 0) + units
    if (
        held_until is None
        and not allows_partial(situation.channel.partial_policy)
        and sum(n for _, _, n in needs) > sum(p.units for p in preorders)
    ):
        refuse_partial(decided, situation.channel.partial_policy, request.channel)
    if preorders:
        latest = max(p.shipment.estimated_delivery for p in preorders)
        promised = decided.promised_by
        decided = replace(
            decided,
            promised_by=latest if promised is None else max(promised, latest),
            backordered=_still_backordered(decided.backordered, preorders),
        )
    allocated = [built.allocated.get(line_id, 0) for line_id in line_ids]
    status = status_after_allocation(sum(line.quantity for line in request.lines), sum(allocated))
    order = q.order_properties(
        order_id,
        request,
        decided,
        status=status,
        region=situation.region.id if situation.region else None,
        body_digest=digest,
        placed_by=placed_by,
        at=now,
        rules_version=situation.channel.rules_version,
        routing_policy=None
        if situation.policy is None
        else (situation.policy.policy_id, situation.policy.version),
    )
    if held_until is not None:
        order |= q.held_properties(held_until)
    return await q.create_order(
        store,
        order=order,
        lines=[
            q.line_properties(
                line_ids[i],
                i + 1,
                line,
                allocated[i],
                status_after_allocation(line.quantity, allocated[i]),
            )
            for i, line in enumerate(request.lines)
        ],
        fulfillments=built.fulfillments,
        alloc=built.alloc,
        capacity=built.capacity,
        events=[
            event_params(created_event(order_id, request, status, built.fulfillments, decided, now))
        ],
        atp=q.atp_params(situation.channel.seller(situation.today)),
        preorders=[
            {"inbound": p.inbound_id, "quantity": p.units, "expectedAt": p.expected_at.isoformat()}
            for p in preorders
        ],
    )


async def preorders_for(
    store: GraphStore,
    request: OrderRequest,
    situation: Situation,
    needs: Sequence[tuple[str, str, int]],
) -> list[Preorder]:
    """The units on-hand stock could not serve (``needs``), sold as preorders against inbound
    lines, when the channel may sell inbound (``sellInbound``): only lines at locations of its
    sourcing with a lane to the ship-to region that meets the service level. None for any
    other channel, for pickup orders, or when nothing is left to serve."""
    rules = situation.channel.rules
    wanted = [n for n in needs if n[2] > 0]
    if not rules.sell_inbound or not wanted or request.pickup_at is not None:
        return []
    if situation.region is None:
        return []
    assert request.placed_at is not None
    limit = MAX_TRANSIT_DAYS[request.service_level]
    excluded = set(request.excluded_locations)
    sources = []
    for offer in await inbound_q.preorder_offers(
        store, [sku for _, sku, _ in wanted], situation.region.id
    ):
        loc = offer.location
        if loc.id in excluded or not rules.sourcing.allows(loc.id, loc.kind, loc.tags):
            continue
        lanes = [ln for ln in offer.lanes if ln.transit_days <= limit]
        if not lanes:
            continue
        lane = min(lanes, key=lambda ln: (ln.base_cost, ln.transit_days, ln.carrier, ln.service))
        sku = situation.skus.get(offer.line.sku)
        sources.append(
            PreorderSource(
                inbound_id=offer.line.id,
                location_id=loc.id,
                sku=offer.line.sku,
                remaining=offer.line.remaining,
                expected_at=offer.line.expected_at,
                timezone=loc.timezone,
                cutoff=loc.cutoff,
                processing_days=loc.processing_days,
                country=loc.country,
                handling_cost=loc.handling_cost,
                lane=Lane(
                    lane.carrier, lane.service, lane.transit_days, lane.base_cost, lane.cost_per_kg
                ),
                weight_kg=0.0 if sku is None else sku.weight_kg,
            )
        )
    return plan_preorders(wanted, sources, request.placed_at)


def _still_backordered(
    backordered: tuple[tuple[str, int], ...], preorders: Sequence[Preorder]
) -> tuple[tuple[str, int], ...]:
    """The plan's backordered units less what the preorders serve."""
    sold: dict[str, int] = {}
    for p in preorders:
        for sku, units in p.shipment.lines:
            sold[sku] = sold.get(sku, 0) + units
    return tuple(
        (sku, units - sold.get(sku, 0))
        for sku, units in backordered
        if units - sold.get(sku, 0) > 0
    )
