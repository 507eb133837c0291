"""Placing orders: read candidates, route, reserve and create in one statement.

``place_order`` is the one path every channel takes (GraphQL, ingestion, the CLI):

1. check the request (domain), return the existing order for a repeated (channel, externalId);
2. one graph read of candidates: the ship-to region, the SKUs, and every active location holding
   them with its stock, lanes to that region and capacity already used;
3. ``domain.routing.route`` decides (pure, exact for up to 10 lines);
4. one conditional write reserves every allocated unit only if it is still available, and
   creates the order, lines, fulfillments, routing record and ``OrderCreated`` event;
5. if stock or capacity moved in between, read again and route again (bounded); never oversell.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ordergraph.domain import promise
from ordergraph.domain.errors import (
    ErrorCode,
    InsufficientStock,
    OrderGraphError,
    UnserviceableAddress,
    ValidationError,
)
from ordergraph.domain.geo import haversine_km
from ordergraph.domain.orders import OrderRequest, check_request, status_after_allocation
from ordergraph.domain.routing import (
    CHEAPEST,
    POLICIES,
    Candidate,
    Lane,
    LineRequest,
    Policy,
    RoutingPlan,
    RoutingRequest,
    SkuInfo,
    route,
)
from ordergraph.domain.stock import available
from ordergraph.graph import orders as q
from ordergraph.graph.store import GraphStore, Row
from ordergraph.services.availability import region_candidates

MAX_ATTEMPTS = 12
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def epoch_ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def new_order_id() -> str:
    """``OG-`` and ten readable characters: short enough for a chatbot to read out."""
    return "OG-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


@dataclass(frozen=True)
class Situation:
    """What routing needs from the graph for one request, read in one query."""

    channel: Row
    region: Row | None
    skus: dict[str, SkuInfo]
    candidates: tuple[Candidate, ...]
    # location -> (capacity key, local ship day, daily capacity or None)
    capacity_keys: dict[str, tuple[str, str, int | None]]
    locations: dict[str, Row]  # the candidate locations' records


@dataclass
class Placement:
    order_id: str
    created: bool  # False when an earlier order with the same (channel, externalId) was returned
    plan: RoutingPlan | None = None
    attempts: int = 1


def policy_for(name: str | None, channel: Row) -> Policy:
    chosen = name or channel.get("routingPolicy")
    if chosen is None:
        return CHEAPEST
    if chosen not in POLICIES:
        raise ValidationError(
            f"unknown routing policy {chosen!r} (one of {', '.join(sorted(POLICIES))})",
            field=("policy",),
        )
    return POLICIES[chosen]


async def read_situation(
    store: GraphStore, request: OrderRequest, *, require_channel: bool = True
) -> Situation:
    assert request.placed_at is not None
    regions = (
        region_candidates(request.ship_to.postal_code, request.ship_to.country)
        if request.ship_to is not None
        else []
    )
    skus = sorted(request.quantities())
    from_day = (request.placed_at - timedelta(days=1)).date().isoformat()
    groups = await q.candidate_rows(
        store, skus, regions, request.pickup_at, from_day, channel=request.channel
    )
    rows = [  # one row per (location, SKU), as routing reads them
        {**entry, "location": g["location"], "region": g["region"], "channel": g["channel"],
         "lanes": g["lanes"], "capacity": g["capacity"]}
        for g in groups
        for entry in g["stock"]
    ]
    channel = rows[0]["channel"] if rows else None
    if not channel or channel.get("id") is None:
        if require_channel:
            raise ValidationError(
                f"unknown channel {request.channel!r}", ErrorCode.UNKNOWN_CHANNEL, ("channel",)
            )
        channel = {"id": request.channel}
    unknown = sorted({r["skuId"] for r in rows if not r["sku"] or r["sku"].get("id") is None})
    if unknown:
        index = next(i for i, line in enumerate(request.lines) if line.sku in unknown)
        raise ValidationError(
            f"unknown SKU{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            ErrorCode.UNKNOWN_SKU,
            ("lines", str(index), "sku"),
        )
    region = rows[0]["region"] if rows else None
    if region is not None and region.get("id") is None:
        region = None
    if request.ship_to is not None and region is None:
        raise UnserviceableAddress(
            f"no region serves postal code {request.ship_to.postal_code} in "
            f"{request.ship_to.country}",
            ("shipTo", "postalCode"),
        )
    infos = {
        r["sku"]["id"]: SkuInfo(
            r["sku"]["id"],
            float(r["sku"].get("weightKg") or 0.0),
            frozenset(r["sku"].get("tags") or ()),
        )
        for r in rows
    }
    return Situation(
        channel=channel,
        region=region,
        skus=infos,
        **_candidates(rows, region, request.placed_at),
    )


def _candidates(rows: Sequence[Row], region: Row | None, placed_at: datetime) -> dict[str, Any]:
    by_location: dict[str, dict[str, Any]] = {}
    for row in rows:
        loc = row["location"]
        if not loc or loc.get("id") is None:
            continue
        entry = by_location.setdefault(
            loc["id"],
            {"loc": loc, "available": {}, "lanes": row["lanes"], "capacity": row["capacity"]},
        )
        entry["available"][row["skuId"]] = available(
            int(row["onHand"] or 0), int(row["reserved"] or 0), int(row["safetyStock"] or 0)
        )
    candidates = []
    keys: dict[str, tuple[str, str, int | None]] = {}
    records = {loc_id: entry["loc"] for loc_id, entry in by_location.items()}
    for loc_id in sorted(by_location):
        entry = by_location[loc_id]
        loc = entry["loc"]
        timezone, country = loc.get("timezone") or "UTC", loc.get("country") or ""
        ship = promise.ship_date(
            placed_at, timezone, loc.get("cutoff"), int(loc.get("processingDays") or 0), country
        )
        day = ship.isoformat()
        used = sum(int(c.get("used") or 0) for c in entry["capacity"] if c.get("day") == day)
        limit = loc.get("dailyCapacity")
        keys[loc_id] = (f"{loc_id}|{day}", day, None if limit is None else int(limit))
        candidates.append(
            Candidate(
                location_id=loc_id,
                kind=loc.get("kind") or "WAREHOUSE",
                timezone=timezone,
                country=country,
                cutoff=loc.get("cutoff"),
                processing_days=int(loc.get("processingDays") or 0),
                handling_cost=float(loc.get("handlingCost") or 0.0),
                capacity_left=None if limit is None else max(0, int(limit) - used),
                tags=frozenset(loc.get("tags") or ()),
                active=loc.get("active") is not False,
                pickup=bool(loc.get("pickup")),
                available=entry["available"],
                lanes=tuple(
                    Lane(
                        ln["carrier"],
                        ln["service"],
                        int(ln["transitDays"]),
                        float(ln["baseCost"]),
                        float(ln["costPerKg"]),
                    )
                    for ln in sorted(entry["lanes"], key=lambda ln: (ln["carrier"], ln["service"]))
                ),
                distance_km=(
                    haversine_km(
                        float(region["lat"]),
                        float(region["lon"]),
                        float(loc["lat"]),
                        float(loc["lon"]),
                    )
                    if region is not None
                    else None
                ),
            )
        )
    return {"candidates": tuple(candidates), "capacity_keys": keys, "locations": records}


def routing_request(request: OrderRequest, situation: Situation) -> RoutingRequest:
    assert request.placed_at is not None
    return RoutingRequest(
        lines=tuple(LineRequest(sku, qty) for sku, qty in sorted(request.quantities().items())),
        skus=situation.skus,
        service_level=request.service_level,
        placed_at=request.placed_at,
        pickup_at=request.pickup_at,
        allow_partial=situation.channel.get("partialPolicy", "BACKORDER") != "REJECT",
        excluded_locations=request.excluded_locations,
    )


async def check_pickup(store: GraphStore, request: OrderRequest) -> None:
    if request.pickup_at is None:
        return
    rows = await store.read(
        "MATCH (l:Location {id: $id}) RETURN l.pickup AS pickup, l.active AS active",
        {"id": request.pickup_at},
    )
    if not rows:
        raise ValidationError(
            f"unknown location {request.pickup_at!r}", ErrorCode.UNKNOWN_LOCATION, ("pickupAt",)
        )
    if not rows[0]["pickup"] or rows[0]["active"] is False:
        raise ValidationError(
            f"{request.pickup_at} is not an open pickup store", field=("pickupAt",)
        )


async def plan(
    store: GraphStore, request: OrderRequest, *, now: datetime | None = None
) -> tuple[OrderRequest, Situation, RoutingPlan]:
    """The plan ``place_order`` would make now, reserving nothing (``routingPreview``)."""
    request = check_request(request, now=now or datetime.now(UTC))
    await check_pickup(store, request)
    situation = await read_situation(store, request)
    policy = policy_for(request.policy, situation.channel)
    return (
        request,
        situation,
        route(routing_request(request, situation), situation.candidates, policy),
    )


async def place_order(
    store: GraphStore,
    request: OrderRequest,
    *,
    now: datetime | None = None,
    on_conflict: Any = None,
    on_routed: Any = None,
) -> Placement:
    now = now or datetime.now(UTC)
    request = check_request(request, now=now)
    if request.channel_external_id is not None:
        existing = await q.order_ids_by(store, None, request.channel_external_id)
        if existing:
            return Placement(existing, created=False)
    await check_pickup(store, request)
    order_id = new_order_id()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        situation = await read_situation(store, request)
        policy = policy_for(request.policy, situation.channel)
        started = time.perf_counter()
        decided = route(routing_request(request, situation), situation.candidates, policy)
        if on_routed is not None:
            on_routed(time.perf_counter() - started)
        if not decided.shipments and not decided.feasible and not _allows_partial(situation):
            raise InsufficientStock(
                "not enough stock to ship the whole order, and channel "
                f"{request.channel} does not accept partial orders",
                ("lines",),
            )
        params = order_params(order_id, request, situation, decided, now)
        if await q.create_order(store, params):
            return Placement(order_id, created=True, plan=decided, attempts=attempt)
        existing = await q.order_ids_by(store, order_id, request.channel_external_id)
        if existing:
            return Placement(existing, created=False, attempts=attempt)
        if on_conflict is not None:
            on_conflict()
        await asyncio.sleep(random.uniform(0, 0.002 * attempt))  # jitter: racers spread out
    raise OrderGraphError(
        f"stock kept moving while placing the order; gave up after {MAX_ATTEMPTS} attempts",
        ErrorCode.CONFLICT,
    )


def _allows_partial(situation: Situation) -> bool:
    return situation.channel.get("partialPolicy", "BACKORDER") != "REJECT"


@dataclass
class Built:
    fulfillments: list[dict[str, Any]]
    alloc: list[dict[str, Any]]  # stock to reserve, sorted by (location, sku): one lock order
    capacity: list[dict[str, Any]]
    allocated: dict[str, int]  # line id -> units allocated by these fulfillments


def build_fulfillments(
    order_id: str,
    first_number: int,
    decided: RoutingPlan,
    needs: Sequence[tuple[str, str, int]],
    situation: Situation,
    at: str,
) -> Built:
    """Turn a plan's shipments into fulfillments that ship order lines.

    ``needs`` is (line id, sku, units wanted) in line order: a SKU's units fill its lines first
    to last. Used at placement and whenever lines are re-routed (rejection, backorders).
    """
    remaining = {line_id: need for line_id, _, need in needs}
    allocated: dict[str, int] = {}
    fulfillments, alloc, capacity = [], [], []
    for n, shipment in enumerate(decided.shipments, start=first_number):
        ships = []
        for sku, quantity in shipment.lines:
            left = quantity
            for line_id, line_sku, _ in needs:
                if line_sku != sku or left == 0 or remaining[line_id] == 0:
                    continue
                take = min(left, remaining[line_id])
                remaining[line_id] -= take
                allocated[line_id] = allocated.get(line_id, 0) + take
                left -= take
                ships.append({"line": line_id, "quantity": take})
            alloc.append({"location": shipment.location_id, "sku": sku, "quantity": quantity})
        fulfillments.append(
            {
                "location": shipment.location_id,
                "lines": ships,
                "props": {
                    k: v
                    for k, v in {
                        "id": f"{order_id}-F{n}",
                        "status": "OPEN",
                        "carrier": shipment.carrier,
                        "service": shipment.service,
                        "shipBy": shipment.ship_by.isoformat(),
                        "estimatedDelivery": shipment.estimated_delivery.isoformat(),
                        "readyBy": shipment.ready_by.isoformat() if shipment.ready_by else None,
                        "cost": shipment.cost,
                        "locationId": shipment.location_id,
                        "createdAt": at,
                    }.items()
                    if v is not None
                },
            }
        )
        key, day, limit = situation.capacity_keys[shipment.location_id]
        capacity.append({"key": key, "day": day, "location": shipment.location_id, "limit": limit})
    alloc.sort(key=lambda a: (a["location"], a["sku"]))
    capacity.sort(key=lambda c: c["key"])
    return Built(fulfillments, alloc, capacity, allocated)


def order_params(
    order_id: str,
    request: OrderRequest,
    situation: Situation,
    decided: RoutingPlan,
    now: datetime,
) -> dict[str, Any]:
    """Everything the create statement writes, built here so the statement stays generic."""
    assert request.placed_at is not None
    at = now.astimezone(UTC).isoformat()
    line_ids = [f"{order_id}-L{i + 1}" for i in range(len(request.lines))]
    built = build_fulfillments(
        order_id,
        1,
        decided,
        [(line_ids[i], line.sku, line.quantity) for i, line in enumerate(request.lines)],
        situation,
        at,
    )
    fulfillments, alloc, capacity = built.fulfillments, built.alloc, built.capacity
    allocated = [built.allocated.get(line_id, 0) for line_id in line_ids]
    ordered = sum(line.quantity for line in request.lines)
    status = status_after_allocation(ordered, sum(allocated))
    lines = [
        {
            "id": line_ids[i],
            "position": i + 1,
            "sku": line.sku,
            "quantity": line.quantity,
            "allocated": allocated[i],
            "backordered": line.quantity - allocated[i],
            "cancelled": 0,
            "unitPrice": None if line.unit_price is None else str(line.unit_price),
            "currency": line.currency,
            "status": "ALLOCATED"
            if allocated[i] == line.quantity
            else "BACKORDERED"
            if allocated[i] == 0
            else "PARTIALLY_ALLOCATED",
        }
        for i, line in enumerate(request.lines)
    ]
    ship_to = request.ship_to
    order = {
        "id": order_id,
        "channel": request.channel,
        "externalId": request.external_id,
        "channelExternalId": request.channel_external_id,
        "status": status.value,
        "placedAt": request.placed_at.isoformat(),
        "placedAtMs": epoch_ms(request.placed_at),
        "serviceLevel": request.service_level.value,
        "promisedBy": decided.promised_by.isoformat() if decided.promised_by else None,
        "shippingCost": round(decided.total_cost, 2),
        "version": 1,
        "eventSeq": 1,
        "routing": json.dumps(decided.to_record(), separators=(",", ":")),
        "policy": decided.policy,
        "pickupAt": request.pickup_at,
        "region": situation.region["id"] if situation.region else None,
        "currency": next((line.currency for line in request.lines if line.currency), None),
        "createdAt": at,
        "updatedAt": at,
        **(
            {}
            if ship_to is None
            else {
                "shipToName": ship_to.name,
                "shipToLine1": ship_to.line1,
                "shipToLine2": ship_to.line2,
                "shipToCity": ship_to.city,
                "shipToRegion": ship_to.region,
                "shipToPostalCode": ship_to.postal_code,
                "shipToCountry": ship_to.country,
            }
        ),
    }
    event = {
        "id": f"{order_id}-E1",
        "type": "OrderCreated",
        "orderId": order_id,
        "sequence": 1,
        "at": at,
        "atMs": epoch_ms(now),
        "pending": True,
        "payload": json.dumps(
            {
                "status": status.value,
                "channel": request.channel,
                "externalId": request.external_id,
                "fulfillments": [
                    {"id": f["props"]["id"], "location": f["location"], "lines": f["lines"]}
                    for f in fulfillments
                ],
                "backordered": [{"sku": s, "quantity": n} for s, n in decided.backordered],
                "promisedBy": order["promisedBy"],
            },
            separators=(",", ":"),
        ),
    }
    return {
        "order": {k: v for k, v in order.items() if v is not None},
        "lines": [{k: v for k, v in line.items() if v is not None} for line in lines],
        "fulfillments": fulfillments,
        "alloc": alloc,
        "capacity": capacity,
        "events": [event],
        "locationIds": sorted({f["location"] for f in fulfillments}),
    }
