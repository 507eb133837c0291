"""Order lifecycle use cases: cancel, update, release, reject (and re-route), ship, deliver,
and allocating backorders when stock arrives.

Each one reads the order's whole state (one read), decides with ``domain.lifecycle`` (pure), and
writes the resulting Change with one guarded statement. If the order or the stock moved in
between, it reads and decides again (bounded), so two concurrent changes never both apply to the
same version, and a re-route never reserves stock someone else took.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ordergraph.domain import lifecycle as lc
from ordergraph.domain.errors import ErrorCode, NotFound, OrderGraphError, ValidationError
from ordergraph.domain.orders import (
    Address,
    FulfillmentStatus,
    OrderLine,
    OrderRequest,
    check_lines,
    check_text,
)
from ordergraph.domain.routing import ServiceLevel, route
from ordergraph.graph import lifecycle as q
from ordergraph.graph.store import GraphStore, Row
from ordergraph.services.orders import (
    build_fulfillments,
    policy_for,
    read_situation,
    routing_request,
)

MAX_ATTEMPTS = 8
BACKORDER_BATCH = 50


def to_state(row: Row) -> lc.OrderState:
    order = row["o"]
    return lc.OrderState(
        id=order["id"],
        version=int(order.get("version") or 1),
        event_seq=int(order.get("eventSeq") or 0),
        props=order,
        lines=sorted(
            (
                lc.LineState(
                    id=line["id"],
                    sku=line["sku"],
                    quantity=int(line["quantity"]),
                    allocated=int(line.get("allocated") or 0),
                    backordered=int(line.get("backordered") or 0),
                    cancelled=int(line.get("cancelled") or 0),
                    unit_price=line.get("unitPrice"),
                    currency=line.get("currency"),
                    position=int(line.get("position") or 0),
                    returned=int(line.get("returned") or 0),
                )
                for line in row["lines"]
            ),
            key=lambda line: (line.position, line.id),
        ),
        fulfillments=sorted(
            (
                lc.FulfillmentState(
                    id=f["f"]["id"],
                    location=f["f"]["locationId"],
                    status=FulfillmentStatus(f["f"]["status"]),
                    ships={s["line"]: int(s["quantity"]) for s in f["ships"]},
                    props=f["f"],
                )
                for f in row["fulfillments"]
            ),
            key=lambda f: _number(f.id),
        ),
    )


def _number(fulfillment_id: str) -> int:
    tail = fulfillment_id.rsplit("-F", 1)[-1]
    return int(tail) if tail.isdigit() else 0


async def load(store: GraphStore, order_id: str) -> lc.OrderState:
    row = await q.order_state(store, order_id)
    if row is None:
        raise NotFound(f"no order {order_id}", ("orderId",))
    return to_state(row)


async def order_of_fulfillment(store: GraphStore, fulfillment_id: str) -> str:
    rows = await store.read(
        "MATCH (o:Order)-[:HAS_FULFILLMENT]->(:Fulfillment {id: $id}) RETURN o.id AS id",
        {"id": fulfillment_id},
    )
    if not rows:
        raise NotFound(f"no fulfillment {fulfillment_id}", ("fulfillmentId",))
    return str(rows[0]["id"])


def params(change: lc.Change) -> dict[str, Any]:
    return {
        "orderId": change.order_id,
        "version": change.version,
        "order": change.order,
        "stock": sorted(change.stock, key=lambda s: (s["location"], s["sku"])),
        "capacity": sorted(change.capacity, key=lambda c: c["key"]),
        "lines": change.lines,
        "fulfillments": change.fulfillments,
        "ships": change.ships,
        "newFulfillments": change.new_fulfillments,
        "events": change.events,
        "newReturns": change.new_returns,
        "returns": change.returns,
        "locationIds": sorted(
            {f["location"] for f in change.new_fulfillments}
            | {r["location"] for r in change.new_returns}
        ),
    }


Decide = Callable[[lc.OrderState, datetime], Any]  # sync or async, returns a Change


async def run(
    store: GraphStore, order_id: str, decide: Decide, now: datetime | None = None
) -> lc.Change:
    """Read, decide, write; again if the order or its stock moved in between."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        at = now or datetime.now(UTC)
        state = await load(store, order_id)
        change = decide(state, at)
        if asyncio.iscoroutine(change):
            change = await change
        if not change.events:  # nothing to do (e.g. backorders with still no stock)
            return change  # type: ignore[no-any-return]
        if await q.apply_change(store, params(change)):
            return change  # type: ignore[no-any-return]
        await asyncio.sleep(random.uniform(0, 0.002 * attempt))
    raise OrderGraphError(
        f"order {order_id} kept changing; gave up after {MAX_ATTEMPTS} attempts", ErrorCode.CONFLICT
    )


# ---- re-routing ------------------------------------------------------------------------------


def _request_for(
    state: lc.OrderState, needs: dict[str, int], at: datetime, excluded: frozenset[str]
) -> OrderRequest:
    props = state.props
    ship_to = (
        Address(props["shipToPostalCode"], props.get("shipToCountry") or "US")
        if props.get("shipToPostalCode")
        else None
    )
    return OrderRequest(
        channel=props["channel"],
        lines=tuple(OrderLine(sku, n) for sku, n in sorted(needs.items())),
        ship_to=ship_to,
        pickup_at=props.get("pickupAt"),
        service_level=ServiceLevel(props.get("serviceLevel") or "STANDARD"),
        placed_at=at,
        policy=props.get("policy"),
        excluded_locations=excluded,
    )


async def allocate(
    store: GraphStore, state: lc.OrderState, change: lc.Change, at: datetime, kind: str
) -> None:
    """Route the order's backordered units (as the change leaves them) and add the fulfillments."""
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
    request = _request_for(state, needs, at, state.rejected_locations())
    situation = await read_situation(store, request, require_channel=False)
    plan = route(
        replace(routing_request(request, situation), allow_partial=True),
        situation.candidates,
        policy_for(request.policy, situation.channel),
    )
    if not plan.shipments:
        if kind == "OrderRerouted":
            change.event(
                state,
                "OrderBackordered",
                {
                    "lines": [
                        {"line": l.id, "sku": l.sku, "quantity": l.backordered} for l in waiting
                    ],
                    "explanation": list(plan.explanation),
                },
                at,
            )
        return
    first = max((_number(f.id) for f in state.fulfillments), default=0) + 1
    built = build_fulfillments(
        state.id,
        first,
        plan,
        [(l.id, l.sku, l.backordered) for l in waiting],
        situation,
        at.isoformat(),
    )
    for row in built.alloc:
        change.reserve(row["location"], row["sku"], reserved=row["quantity"])
    change.new_fulfillments.extend(built.fulfillments)
    change.capacity.extend(built.capacity)
    for line in waiting:
        got = built.allocated.get(line.id, 0)
        if got:
            line.allocated += got
            line.backordered -= got
            change.set_line(line, allocated=line.allocated, backordered=line.backordered)
    change.event(
        state,
        kind,
        {
            "fulfillments": [
                {"id": f["props"]["id"], "location": f["location"], "lines": f["lines"]}
                for f in built.fulfillments
            ],
            "backordered": [{"sku": s, "quantity": n} for s, n in plan.backordered],
            "promisedBy": plan.promised_by.isoformat() if plan.promised_by else None,
            "explanation": list(plan.explanation),
        },
        at,
    )


def _rejections(state: lc.OrderState, line_id: str) -> int:
    return sum(
        1
        for f in state.fulfillments
        if f.status == FulfillmentStatus.REJECTED and f.ships.get(line_id, 0) > 0
    )


def _promise(state: lc.OrderState, change: lc.Change) -> None:
    """The order's promise: the latest delivery among its live and shipped fulfillments."""
    dates = [
        f.props.get("estimatedDelivery")
        for f in state.fulfillments
        if f.status not in (FulfillmentStatus.REJECTED, FulfillmentStatus.CANCELLED)
    ] + [f["props"].get("estimatedDelivery") for f in change.new_fulfillments]
    known = [d for d in dates if d]
    change.order["promisedBy"] = max(known) if known else None
    if change.order["promisedBy"] is None:
        change.order.pop("promisedBy")


# ---- the use cases ---------------------------------------------------------------------------


async def cancel_order(
    store: GraphStore,
    order_id: str,
    lines: Sequence[tuple[str, int]] | None = None,
    reason: str | None = None,
    *,
    now: datetime | None = None,
) -> lc.Change:
    check_lines(lines)
    reason = check_text(reason, "reason")
    return await run(store, order_id, lambda s, at: lc.cancel(s, lines, reason, at), now)


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
    extra: dict[str, Any] = {"trackingNumber": tracking_number.strip()}
    if carrier:
        extra["carrier"] = carrier.strip()
    return await run(
        store,
        order_id,
        lambda s, at: lc.move(s, fulfillment_id, FulfillmentStatus.SHIPPED, at, **extra),
        now,
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
        _promise(state, change)
        return lc.finish(state, change, at)

    return await run(store, order_id, decide, now)


async def update_order(
    store: GraphStore,
    order_id: str,
    *,
    quantities: Sequence[tuple[str, int]] | None = None,
    ship_to: Address | None = None,
    service_level: ServiceLevel | None = None,
    now: datetime | None = None,
) -> lc.Change:
    """Change quantities, address or service level before release; re-route what changed.

    Lowering a quantity cancels units; raising one backorders the new units and routes them;
    a new address or service level re-routes every open (unreleased) fulfillment.
    """
    check_lines(quantities, allow_zero=True)
    if ship_to is not None:
        for name in ("name", "line1", "line2", "city", "region", "postal_code"):
            check_text(getattr(ship_to, name), "shipTo", name, limit=200)
        if not ship_to.postal_code.strip() or len(ship_to.country) != 2:
            raise ValidationError("shipTo needs a postal code and a two-letter country",
                                  field=("shipTo",))

    async def decide(state: lc.OrderState, at: datetime) -> lc.Change:
        if any(
            f.status
            not in (FulfillmentStatus.OPEN, FulfillmentStatus.REJECTED, FulfillmentStatus.CANCELLED)
            for f in state.fulfillments
        ):
            raise lc_invalid(state, "it has released or shipped fulfillments")
        change = lc.Change(state.id, state.version)
        if ship_to is not None or service_level is not None:
            if state.props.get("pickupAt") and ship_to is not None:
                raise ValidationError("a pickup order has no ship-to address", field=("shipTo",))
            if ship_to is not None:
                change.order.update(
                    {
                        "shipToPostalCode": ship_to.postal_code,
                        "shipToCountry": ship_to.country,
                        "shipToName": ship_to.name,
                        "shipToLine1": ship_to.line1,
                        "shipToLine2": ship_to.line2,
                        "shipToCity": ship_to.city,
                        "shipToRegion": ship_to.region,
                    }
                )
                state.props.update(change.order)
            if service_level is not None:
                change.order["serviceLevel"] = service_level.value
                state.props["serviceLevel"] = service_level.value
            for f in state.fulfillments:
                if f.status != FulfillmentStatus.OPEN:
                    continue
                change.set_fulfillment(
                    f.id,
                    status=FulfillmentStatus.CANCELLED.value,
                    cancelledAt=at.isoformat(),
                    cancelReason="order updated",
                )
                for line_id, quantity in f.ships.items():
                    line = state.line(line_id)
                    change.reserve(f.location, line.sku, reserved=-quantity)
                    line.allocated -= quantity
                    line.backordered += quantity
                    change.set_line(line, allocated=line.allocated, backordered=line.backordered)
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
            current = sum(l.open_quantity for l in lines)
            if quantity < current:
                sub = lc.cancel(state, [(sku, current - quantity)], "quantity lowered", at)
                _merge(change, sub)
            elif quantity > current:
                line.quantity += quantity - current
                line.backordered += quantity - current
                change.set_line(line, quantity=line.quantity, backordered=line.backordered)
        await allocate(store, state, change, at, "OrderRerouted")
        change.event(
            state,
            "OrderUpdated",
            {
                "shipTo": None if ship_to is None else ship_to.postal_code,
                "serviceLevel": None if service_level is None else service_level.value,
                "quantities": [{"sku": s, "quantity": n} for s, n in quantities or ()],
            },
            at,
        )
        _promise(state, change)
        return lc.finish(state, change, at)

    return await run(store, order_id, decide, now)


def lc_invalid(state: lc.OrderState, why: str) -> OrderGraphError:
    from ordergraph.domain.errors import InvalidTransition

    return InvalidTransition(f"order {state.id} cannot be updated: {why}", ("orderId",))


def _merge(change: lc.Change, sub: lc.Change) -> None:
    """Fold a cancellation's change into an update's (same order, same version)."""
    for row in sub.stock:
        change.reserve(row["location"], row["sku"], reserved=row["reserved"], on_hand=row["onHand"])
    for row in sub.lines:
        change.lines.append(row)
    change.fulfillments.extend(sub.fulfillments)
    change.ships.extend(sub.ships)
    change.events.extend(sub.events)


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
            _promise(state, change)
            return lc.finish(state, change, at)

        change = await run(store, order_id, decide, now)
        if any(e["type"] == "BackorderAllocated" for e in change.events):
            served.append(order_id)
    return served
