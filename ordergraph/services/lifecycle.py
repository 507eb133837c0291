"""Order lifecycle use cases: cancel, update, release, reject (and re-route), ship, deliver,
and allocating backorders when stock arrives.

Each one reads the order's whole state (one read), decides with ``domain.lifecycle`` (pure), and
writes the resulting Change with one guarded statement. If the order or the stock moved in
between, it reads and decides again (bounded), so two concurrent changes never both apply to the
same version, and a re-route never reserves stock someone else took.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from ordergraph.domain import events
from ordergraph.domain import lifecycle as lc
from ordergraph.domain.assistant import check_cancel_before_release, check_pickup_change
from ordergraph.domain.errors import (
    ErrorCode,
    InsufficientStock,
    InvalidTransition,
    NotFound,
    OrderGraphError,
    ValidationError,
)
from ordergraph.domain.orders import (
    MAX_ORDER_UNITS,
    Address,
    FulfillmentStatus,
    OrderLine,
    OrderRequest,
    check_address,
    check_lines,
    check_text,
)
from ordergraph.domain.routing.engine import route
from ordergraph.domain.routing.types import (
    Candidate,
    Policy,
    RoutingPlan,
    RoutingRequest,
    ServiceLevel,
)
from ordergraph.graph import lifecycle as q
from ordergraph.graph.store import GraphStore
from ordergraph.services import asn
from ordergraph.services.orders import (
    build_fulfillments,
    check_pickup_store,
    policy_for,
    read_situation,
    routing_request,
)

MAX_ATTEMPTS = 8
log = logging.getLogger(__name__)
BACKORDER_BATCH = 50


async def load(store: GraphStore, order_id: str) -> lc.OrderState:
    state = await q.order_state(store, order_id)
    if state is None:
        raise NotFound(f"no order {order_id}", ("orderId",))
    return state


async def order_of_fulfillment(store: GraphStore, fulfillment_id: str) -> str:
    order_id = await q.order_of_fulfillment(store, fulfillment_id)
    if order_id is None:
        raise NotFound(f"no fulfillment {fulfillment_id}", ("fulfillmentId",))
    return order_id


Decide = Callable[[lc.OrderState, datetime], lc.Change | Awaitable[lc.Change]]  # sync or async


async def run(
    store: GraphStore,
    order_id: str,
    decide: Decide,
    now: datetime | None = None,
    *,
    actor: Mapping[str, str] | None = None,
) -> lc.Change:
    """Read, decide, write; again if the order or its stock moved in between. ``actor``: who
    asked (``domain.assistant.actor``), recorded as ``by`` in every event of the change."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        at = now or datetime.now(UTC)
        state = await load(store, order_id)
        decided = decide(state, at)
        change = await decided if inspect.isawaitable(decided) else decided
        if not change.events:  # nothing to do (e.g. backorders with still no stock)
            return change
        if actor is not None:
            for event in change.events:
                event.payload["by"] = dict(actor)
        if await q.apply_change(store, change):
            return change
        await asyncio.sleep(random.uniform(0, 0.002 * attempt))
    raise OrderGraphError(
        f"order {order_id} kept changing; gave up after {MAX_ATTEMPTS} attempts", ErrorCode.CONFLICT
    )


# ---- re-routing ------------------------------------------------------------------------------


def request_for(
    state: lc.OrderState, needs: dict[str, int], at: datetime, excluded: frozenset[str]
) -> OrderRequest:
    terms = state.terms
    ship_to = terms.ship_to
    return OrderRequest(
        channel=terms.channel,
        lines=tuple(OrderLine(sku, n) for sku, n in sorted(needs.items())),
        ship_to=None if ship_to is None else Address(ship_to.postal_code, ship_to.country or "US"),
        pickup_at=terms.pickup_at,
        service_level=terms.service_level,
        placed_at=at,
        policy=terms.policy,
        excluded_locations=excluded,
        customer_tier=terms.customer_tier,
    )


Planner = Callable[[RoutingRequest, Sequence[Candidate], Policy], RoutingPlan]


async def allocate(
    store: GraphStore,
    state: lc.OrderState,
    change: lc.Change,
    at: datetime,
    kind: str,
    *,
    also_excluded: frozenset[str] = frozenset(),
    planner: Planner | None = None,
) -> None:
    """Route the order's backordered units (as the change leaves them) and add the fulfillments,
    never from a location that rejected them, nor from ``also_excluded`` (a short pick's store).
    An order held for a batch wave waits for it: only the wave (``services.allocation``, with
    its ``planner``) routes it."""
    if state.terms.held and planner is None:
        return
    waiting = [
        line
        for line in state.lines
        if line.backordered > 0 and _rejections(state, line.id) < lc.MAX_REJECTIONS
    ]
    if not waiting:
        return
    needs: dict[str, int] = {}
    for line in waiting:
        needs[line.sku] = needs.get(line.sku, 0) + line.backordered
    request = request_for(state, needs, at, state.rejected_locations() | also_excluded)
    situation = await read_situation(store, request, require_channel=False)
    policy, situation = await policy_for(store, request.policy, situation, strict=False)
    routed = replace(routing_request(request, situation), allow_partial=True)
    plan = (planner or route)(routed, situation.candidates, policy)
    if not plan.shipments:
        if kind == "OrderRerouted":
            change.event(
                state,
                "OrderBackordered",
                events.order_backordered(
                    lines=[(w.id, w.sku, w.backordered) for w in waiting],
                    explanation=plan.explanation,
                ),
                at,
            )
        return
    built = build_fulfillments(
        state.id,
        state.next_fulfillment_number(),
        plan,
        [(w.id, w.sku, w.backordered) for w in waiting],
        situation,
        at.isoformat(),
        routed,
    )
    change.seller = situation.channel.seller(situation.today)  # its ATP is checked again
    for row in built.alloc:
        change.reserve(row["location"], row["sku"], reserved=row["quantity"])
    change.new_fulfillments.extend(
        lc.NewFulfillment(
            f["props"]["id"],
            shipment,
            tuple((s["line"], s["quantity"]) for s in f["lines"]),
            at,
        )
        for shipment, f in zip(plan.shipments, built.firsts, strict=True)
    )
    change.capacity.extend(built.capacity)
    for line in waiting:
        got = built.allocated.get(line.id, 0)
        line.allocated += got
        line.backordered -= got
    change.event(
        state,
        kind,
        events.allocated(
            fulfillments=built.fulfillments,
            backordered=plan.backordered,
            promised_by=plan.promised_by,
            explanation=plan.explanation,
        ),
        at,
    )


def _rejections(state: lc.OrderState, line_id: str) -> int:
    return sum(
        1
        for f in state.fulfillments
        if f.status == FulfillmentStatus.REJECTED and f.ships.get(line_id, 0) > 0
    )


def promise(state: lc.OrderState, change: lc.Change) -> None:
    """The order's promise: the latest delivery among its live and shipped fulfillments."""
    dates = [
        f.estimated_delivery
        for f in state.fulfillments
        if f.status not in (FulfillmentStatus.REJECTED, FulfillmentStatus.CANCELLED)
    ] + [f.shipment.estimated_delivery for f in change.new_fulfillments]
    known = [d for d in dates if d is not None]
    if known:  # else the promise stands as it was
        change.order.promised_by = max(known)


# ---- the use cases ---------------------------------------------------------------------------


async def cancel_order(
    store: GraphStore,
    order_id: str,
    lines: Sequence[tuple[str, int]] | None = None,
    reason: str | None = None,
    *,
    now: datetime | None = None,
    actor: Mapping[str, str] | None = None,
    before_release: bool = False,
) -> lc.Change:
    """Cancel the order or units of it, then give the freed stock to waiting backorders.

    The follow-up lives here, not in a resolver, so that every entry point (GraphQL, channel
    ingestion over HTTP, the CLI, MCP) frees stock for backorders the same way.
    ``before_release``: the shopper's policy (``domain.assistant``), nothing released yet.
    """
    check_lines(lines)
    reason = check_text(reason, "reason")

    def decide(state: lc.OrderState, at: datetime) -> lc.Change:
        if before_release:
            check_cancel_before_release(state, lines)
        return lc.cancel(state, lines, reason, at)

    change = await run(store, order_id, decide, now, actor=actor)
    await _follow_up_backorders(store, sorted({r.sku for r in change.stock}), now=now)
    return change


async def _follow_up_backorders(
    store: GraphStore, skus: Sequence[str], *, now: datetime | None = None
) -> list[str]:
    """Serve backorders from stock a committed change freed. The change stands either way: if
    serving keeps conflicting, the next stock movement or ``backordersAllocate`` serves them."""
    if not skus:
        return []
    try:
        return await allocate_backorders(store, skus, now=now)
    except OrderGraphError as exc:
        log.warning("backorders for %s not served after a change: %s", ", ".join(skus), exc)
        return []


async def release(
    store: GraphStore, fulfillment_id: str, *, now: datetime | None = None
) -> lc.Change:
    order_id = await order_of_fulfillment(store, fulfillment_id)
    return await run(
        store,
        order_id,
        lambda s, at: lc.move(s, fulfillment_id, FulfillmentStatus.RELEASED, at),
        now,
    )


async def ship(
    store: GraphStore,
    fulfillment_id: str,
    tracking_number: str,
    carrier: str | None = None,
    *,
    now: datetime | None = None,
) -> lc.Change:
    if not tracking_number.strip() or len(tracking_number) > 100:
        raise ValidationError(
            "trackingNumber must be 1 to 100 characters", field=("trackingNumber",)
        )
    order_id = await order_of_fulfillment(store, fulfillment_id)

    async def decide(state: lc.OrderState, at: datetime) -> lc.Change:
        change = lc.move(
            state,
            fulfillment_id,
            FulfillmentStatus.SHIPPED,
            at,
            tracking_number=tracking_number.strip(),
            carrier=carrier.strip() if carrier else None,
        )
        await _check_on_hand(store, state, fulfillment_id)
        return change

    change = await run(store, order_id, decide, now)
    await asn.ship_notice(store, fulfillment_id, now)  # X12 partners get their 856
    return change


async def _check_on_hand(store: GraphStore, state: lc.OrderState, fulfillment_id: str) -> None:
    """Shipping consumes on-hand: say so plainly when the location does not hold the units."""
    f = state.fulfillment(fulfillment_id)
    need: dict[str, int] = {}
    for line_id, quantity in f.ships.items():
        if quantity:
            sku = state.line(line_id).sku
            need[sku] = need.get(sku, 0) + quantity
    rows = await q.stock_positions(store, [(f.location, sku) for sku in sorted(need)])
    held = {r.sku: r.on_hand for r in rows}
    for sku, quantity in sorted(need.items()):
        if held.get(sku, 0) < quantity:
            raise InsufficientStock(
                f"cannot ship {fulfillment_id}: {f.location} has {held.get(sku, 0)} of {sku} on "
                f"hand and this shipment needs {quantity}; record the count (inventorySet) so "
                "the unbacked units are re-routed, or reject the fulfillment",
                ("fulfillmentId",),
            )


async def deliver(
    store: GraphStore,
    fulfillment_id: str,
    delivered_at: datetime | None = None,
    *,
    now: datetime | None = None,
) -> lc.Change:
    order_id = await order_of_fulfillment(store, fulfillment_id)
    if delivered_at is not None and delivered_at.tzinfo is None:
        raise ValidationError("deliveredAt needs a time zone", field=("deliveredAt",))
    return await run(
        store,
        order_id,
        lambda s, at: lc.move(s, fulfillment_id, FulfillmentStatus.DELIVERED, delivered_at or at),
        now,
    )


async def reject(
    store: GraphStore,
    fulfillment_id: str,
    reason: str | None = None,
    *,
    now: datetime | None = None,
) -> lc.Change:
    """The location cannot fulfil: release it, re-route its lines elsewhere or backorder them."""
    reason = check_text(reason, "reason")
    order_id = await order_of_fulfillment(store, fulfillment_id)

    async def decide(state: lc.OrderState, at: datetime) -> lc.Change:
        change = lc.reject(state, fulfillment_id, reason, at)
        await allocate(store, state, change, at, "OrderRerouted")
        promise(state, change)
        return lc.finish(state, change, at)

    return await run(store, order_id, decide, now)


async def update_order(
    store: GraphStore,
    order_id: str,
    *,
    quantities: Sequence[tuple[str, int]] | None = None,
    ship_to: Address | None = None,
    service_level: ServiceLevel | None = None,
    pickup_at: str | None = None,
    now: datetime | None = None,
    actor: Mapping[str, str] | None = None,
) -> lc.Change:
    """Change quantities, address, service level or pickup store before release; re-route
    what changed.

    Lowering a quantity cancels units; raising one backorders the new units and routes them;
    a new address, service level or pickup store re-routes every open (unreleased)
    fulfillment. A new pickup store must be able to serve the whole order (else nothing changes).
    """
    check_lines(quantities, allow_zero=True)
    if ship_to is not None:
        ship_to = check_address(ship_to)
    if pickup_at is not None:
        await check_pickup_store(store, pickup_at, ("store",))

    async def decide(state: lc.OrderState, at: datetime) -> lc.Change:
        editable = (
            FulfillmentStatus.OPEN,
            FulfillmentStatus.REJECTED,
            FulfillmentStatus.CANCELLED,
            FulfillmentStatus.AWAITING_TRANSFER,  # its TRANSFER is OPEN (else not editable)
        )
        if any(f.status == FulfillmentStatus.PREORDER for f in state.fulfillments):
            raise lc_invalid(
                state, "it has preorders waiting for inbound stock (cancel their lines instead)"
            )
        if any(f.status not in editable for f in state.fulfillments):
            raise lc_invalid(state, "it has released or shipped fulfillments")
        change = lc.Change(state.id, state.version)
        if pickup_at is not None:
            check_pickup_change(state, pickup_at)
        if ship_to is not None or service_level is not None or pickup_at is not None:
            if state.terms.pickup_at and ship_to is not None:
                raise ValidationError("a pickup order has no ship-to address", field=("shipTo",))
            if pickup_at is not None:
                change.order.pickup_at = pickup_at
                state.terms = replace(state.terms, pickup_at=pickup_at)
            if ship_to is not None:
                change.order.ship_to = ship_to
                state.terms = replace(state.terms, ship_to=ship_to)
            if service_level is not None:
                change.order.service_level = service_level
                state.terms = replace(state.terms, service_level=service_level)
            for f in state.fulfillments:
                if f.status not in (FulfillmentStatus.OPEN, FulfillmentStatus.AWAITING_TRANSFER):
                    continue
                change.move(
                    lc.FulfillmentMove(f.id, FulfillmentStatus.CANCELLED, at, "order updated")
                )
                if f.status == FulfillmentStatus.OPEN:  # a pickup awaiting its transfer holds
                    lc.release_lines(state, change, f)  # nothing: its transfer's lines go back
                f.status = FulfillmentStatus.CANCELLED
        for i, (sku, quantity) in enumerate(quantities or ()):
            lines = [line for line in state.lines if line.sku == sku]
            if not lines:
                raise ValidationError(
                    f"order {state.id} has no line for {sku}", field=("lines", str(i), "sku")
                )
            if quantity < 0:
                raise ValidationError(
                    "quantity must not be negative", field=("lines", str(i), "quantity")
                )
            line = lines[0]
            current = sum(x.open_quantity for x in lines)
            if quantity < current:
                change.merge(lc.cancel(state, [(sku, current - quantity)], "quantity lowered", at))
            elif quantity > current:
                line.quantity += quantity - current
                line.backordered += quantity - current
        if sum(line.open_quantity for line in state.lines) > MAX_ORDER_UNITS:
            raise ValidationError(
                f"at most {MAX_ORDER_UNITS} units per order, over all lines", field=("lines",)
            )
        await allocate(store, state, change, at, "OrderRerouted")
        if pickup_at is not None and any(line.backordered > 0 for line in state.lines):
            raise InsufficientStock(
                f"{pickup_at} cannot have the whole order ready; it stays at "
                f"the store it was ordered for",
                ("store",),
            )
        change.event(
            state,
            "OrderUpdated",
            events.order_updated(
                ship_to_postal_code=None if ship_to is None else ship_to.postal_code,
                service_level=None if service_level is None else service_level.value,
                quantities=quantities or (),
            )
            | ({} if pickup_at is None else {"pickupAt": pickup_at}),
            at,
        )
        promise(state, change)
        return lc.finish(state, change, at)

    change = await run(store, order_id, decide, now, actor=actor)
    # units it gave up (a lowered quantity, a re-route away from a location) go to backorders
    freed = sorted({r.sku for r in change.stock if r.reserved < 0})
    await _follow_up_backorders(store, freed, now=now)
    return change


def lc_invalid(state: lc.OrderState, why: str) -> OrderGraphError:
    return InvalidTransition(f"order {state.id} cannot be updated: {why}", ("orderId",))


async def allocate_backorders(
    store: GraphStore,
    skus: Sequence[str] | None = None,
    *,
    limit: int = BACKORDER_BATCH,
    now: datetime | None = None,
) -> list[str]:
    """Give newly available stock to waiting orders, first come first served.

    Bounded (``limit`` orders a run) and safe to run twice or concurrently: each order is
    re-read and its change guarded by its version, so no unit is allocated twice.
    """
    served = []
    for order_id in await q.backordered_orders(store, None if skus is None else list(skus), limit):

        async def decide(state: lc.OrderState, at: datetime) -> lc.Change:
            change = lc.Change(state.id, state.version)
            await allocate(store, state, change, at, "BackorderAllocated")
            promise(state, change)
            return lc.finish(state, change, at)

        change = await run(store, order_id, decide, now)
        if any(e.type == "BackorderAllocated" for e in change.events):
            served.append(order_id)
    return served
