"""The order lifecycle: transition tables, and pure decisions that turn a request into a Change.

Statuses (DOMAIN.md, "Order lifecycle"): a fulfillment moves ``OPEN -> RELEASED -> SHIPPED ->
DELIVERED``, or ends ``REJECTED`` (by its location) or ``CANCELLED``. The order's status is not set
by hand: it is derived from its lines and fulfillments after every change (``order_status``), so it
can never disagree with them. A move the table forbids is ``InvalidTransition`` and changes nothing.

Every decision returns a ``Change``: the stock deltas, the property updates and the events that one
graph statement applies atomically, guarded by the order's ``version``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ordergraph.domain.errors import InvalidTransition, ValidationError
from ordergraph.domain.orders import FulfillmentStatus as F
from ordergraph.domain.orders import OrderStatus as O

FULFILLMENT_TRANSITIONS: Mapping[F, frozenset[F]] = {
    F.OPEN: frozenset({F.RELEASED, F.REJECTED, F.CANCELLED}),
    F.RELEASED: frozenset({F.SHIPPED, F.REJECTED, F.CANCELLED}),
    F.SHIPPED: frozenset({F.DELIVERED}),
    F.DELIVERED: frozenset(),
    F.REJECTED: frozenset(),
    F.CANCELLED: frozenset(),
}
OPEN_STATES = frozenset({F.OPEN, F.RELEASED})  # fulfillments that hold a reservation
MAX_REJECTIONS = 5  # a line re-routed this often is backordered instead


def check_fulfillment_move(fulfillment_id: str, current: F, target: F) -> None:
    if target not in FULFILLMENT_TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in FULFILLMENT_TRANSITIONS[current])) or "none"
        raise InvalidTransition(
            f"fulfillment {fulfillment_id} is {current.value}; it cannot become {target.value} "
            f"(allowed: {allowed})",
            ("fulfillmentId",),
        )


@dataclass
class LineState:
    id: str
    sku: str
    quantity: int
    allocated: int
    backordered: int
    cancelled: int
    unit_price: str | None
    currency: str | None
    position: int
    returned: int = 0

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.cancelled


@dataclass
class FulfillmentState:
    id: str
    location: str
    status: F
    ships: dict[str, int]  # line id -> quantity
    props: dict[str, Any]


@dataclass
class OrderState:
    id: str
    version: int
    event_seq: int
    props: dict[str, Any]
    lines: list[LineState]
    fulfillments: list[FulfillmentState]

    def line(self, line_id: str) -> LineState:
        return next(line for line in self.lines if line.id == line_id)

    def fulfillment(self, fulfillment_id: str) -> FulfillmentState:
        for f in self.fulfillments:
            if f.id == fulfillment_id:
                return f
        raise ValidationError(
            f"order {self.id} has no fulfillment {fulfillment_id}", field=("fulfillmentId",)
        )

    def units(self, line_id: str, states: frozenset[F]) -> int:
        return sum(f.ships.get(line_id, 0) for f in self.fulfillments if f.status in states)

    def rejected_locations(self) -> frozenset[str]:
        return frozenset(f.location for f in self.fulfillments if f.status == F.REJECTED)


@dataclass
class Change:
    """What one guarded statement applies. Quantities are deltas; props are SET with ``+=``."""

    order_id: str
    version: int  # the version read; the write fails if the order moved since
    order: dict[str, Any] = field(default_factory=dict)
    stock: list[dict[str, Any]] = field(default_factory=list)  # {location, sku, reserved, onHand}
    lines: list[dict[str, Any]] = field(default_factory=list)  # {id, props}
    fulfillments: list[dict[str, Any]] = field(default_factory=list)  # {id, props}
    ships: list[dict[str, Any]] = field(default_factory=list)  # {fulfillment, line, quantity}
    new_fulfillments: list[dict[str, Any]] = field(default_factory=list)
    capacity: list[dict[str, Any]] = field(default_factory=list)
    new_returns: list[dict[str, Any]] = field(default_factory=list)  # {location, props}
    returns: list[dict[str, Any]] = field(default_factory=list)  # {id, props}
    events: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def event(self, state: OrderState, kind: str, payload: Mapping[str, Any], at: datetime) -> None:
        sequence = state.event_seq + len(self.events) + 1
        self.events.append(
            {
                "id": f"{state.id}-E{sequence}",
                "type": kind,
                "orderId": state.id,
                "sequence": sequence,
                "at": at.isoformat(),
                "atMs": int(at.timestamp() * 1000),
                "pending": True,
                "payload": json.dumps(dict(payload), separators=(",", ":")),
            }
        )

    def reserve(self, location: str, sku: str, reserved: int = 0, on_hand: int = 0) -> None:
        for row in self.stock:
            if row["location"] == location and row["sku"] == sku:
                row["reserved"] += reserved
                row["onHand"] += on_hand
                return
        self.stock.append(
            {"location": location, "sku": sku, "reserved": reserved, "onHand": on_hand}
        )

    def set_line(self, line: LineState, **props: Any) -> None:
        for row in self.lines:
            if row["id"] == line.id:
                row["props"].update(props)
                return
        self.lines.append({"id": line.id, "props": dict(props)})

    def set_fulfillment(self, fulfillment_id: str, **props: Any) -> None:
        for row in self.fulfillments:
            if row["id"] == fulfillment_id:
                row["props"].update(props)
                return
        self.fulfillments.append({"id": fulfillment_id, "props": dict(props)})


def line_status(line: LineState, shipped: int, delivered: int) -> str:
    if line.open_quantity == 0:
        return "CANCELLED"
    if delivered >= line.open_quantity:
        return "DELIVERED"
    if shipped >= line.open_quantity:
        return "SHIPPED"
    if line.backordered == 0:
        return "ALLOCATED"
    return "BACKORDERED" if line.allocated == 0 else "PARTIALLY_ALLOCATED"


def order_status(state: OrderState) -> O:
    """The order's status, derived from its lines and fulfillments (after a change)."""
    open_units = sum(line.open_quantity for line in state.lines)
    if open_units == 0:
        return O.CANCELLED
    delivered = sum(state.units(line.id, frozenset({F.DELIVERED})) for line in state.lines)
    shipped = sum(state.units(line.id, frozenset({F.SHIPPED, F.DELIVERED})) for line in state.lines)
    backordered = sum(line.backordered for line in state.lines)
    if delivered >= open_units:
        return O.DELIVERED
    if shipped >= open_units:
        return O.SHIPPED
    if shipped > 0:
        return O.PARTIALLY_SHIPPED
    allocated = sum(line.allocated for line in state.lines)
    if allocated == 0:
        return O.BACKORDERED
    if backordered > 0:
        return O.PARTIALLY_ALLOCATED
    live = [f for f in state.fulfillments if f.status in OPEN_STATES]
    if live and all(f.status == F.RELEASED for f in live):
        return O.RELEASED
    return O.ALLOCATED


def apply_locally(state: OrderState, change: Change) -> None:
    """Mirror a change onto the in-memory state, so that ``order_status`` sees the result."""
    for row in change.lines:
        line = state.line(row["id"])
        for key, attr in (
            ("allocated", "allocated"),
            ("backordered", "backordered"),
            ("cancelled", "cancelled"),
            ("returned", "returned"),
        ):
            if key in row["props"]:
                setattr(line, attr, row["props"][key])
    for row in change.fulfillments:
        f = state.fulfillment(row["id"])
        if "status" in row["props"]:
            f.status = F(row["props"]["status"])
    for row in change.ships:
        state.fulfillment(row["fulfillment"]).ships[row["line"]] = row["quantity"]
    for new in change.new_fulfillments:
        state.fulfillments.append(
            FulfillmentState(
                new["props"]["id"],
                new["location"],
                F(new["props"]["status"]),
                {s["line"]: s["quantity"] for s in new["lines"]},
                dict(new["props"]),
            )
        )


def finish(state: OrderState, change: Change, at: datetime) -> Change:
    """Derive line and order statuses after the change; bump version and event sequence."""
    apply_locally(state, change)
    for line in state.lines:
        shipped = state.units(line.id, frozenset({F.SHIPPED, F.DELIVERED}))
        delivered = state.units(line.id, frozenset({F.DELIVERED}))
        status = line_status(line, shipped, delivered)
        if status != _current_line_status(change, line):
            change.set_line(line, status=status)
    status = order_status(state)
    change.order.update(
        {
            "status": status.value,
            "version": state.version + 1,
            "eventSeq": state.event_seq + len(change.events),
            "updatedAt": at.isoformat(),
        }
    )
    return change


def _current_line_status(change: Change, line: LineState) -> str | None:
    for row in change.lines:
        if row["id"] == line.id:
            return row["props"].get("status")  # type: ignore[no-any-return]
    return None


def cancellable(state: OrderState, line: LineState) -> int:
    """Units of a line that can still be cancelled: not shipped, not cancelled."""
    shipped = state.units(line.id, frozenset({F.SHIPPED, F.DELIVERED}))
    return line.open_quantity - shipped


def cancel(
    state: OrderState,
    requested: Sequence[tuple[str, int]] | None,
    reason: str | None,
    at: datetime,
) -> Change:
    """Cancel whole lines or units of them: backordered units first, then open fulfillments."""
    change = Change(state.id, state.version)
    wanted: list[tuple[LineState, int]] = []
    if requested is None:
        wanted = [(line, cancellable(state, line)) for line in state.lines]
        if sum(q for _, q in wanted) == 0 or any(
            state.units(line.id, frozenset({F.SHIPPED, F.DELIVERED})) for line in state.lines
        ):
            raise InvalidTransition(
                f"order {state.id} is {state.props.get('status')}: an order can be cancelled "
                "only before anything of it ships (cancel the unshipped lines instead)",
                ("orderId",),
            )
    else:
        by_sku: dict[str, int] = {}
        for i, (sku, quantity) in enumerate(requested):
            if quantity <= 0:
                raise ValidationError(
                    "quantity must be positive", field=("lines", str(i), "quantity")
                )
            by_sku[sku] = by_sku.get(sku, 0) + quantity
        for i, (sku, quantity) in enumerate(by_sku.items()):
            lines = [line for line in state.lines if line.sku == sku]
            if not lines:
                raise ValidationError(
                    f"order {state.id} has no line for {sku}", field=("lines", str(i), "sku")
                )
            room = sum(cancellable(state, line) for line in lines)
            if quantity > room:
                raise InvalidTransition(
                    f"only {room} unit(s) of {sku} can still be cancelled (the rest shipped or "
                    "was cancelled)",
                    ("lines", str(i), "quantity"),
                )
            for line in sorted(lines, key=lambda l: -l.position):  # later lines first
                take = min(quantity, cancellable(state, line))
                if take:
                    wanted.append((line, take))
                    quantity -= take
    cancelled_lines = []
    for line, quantity in wanted:
        if quantity == 0:
            continue
        from_backorder = min(quantity, line.backordered)
        left = quantity - from_backorder
        for f in sorted(state.fulfillments, key=lambda f: f.id, reverse=True):
            if left == 0:
                break
            if f.status not in OPEN_STATES or f.ships.get(line.id, 0) == 0:
                continue
            take = min(left, f.ships[line.id])
            f_left = f.ships[line.id] - take
            change.ships.append({"fulfillment": f.id, "line": line.id, "quantity": f_left})
            f.ships[line.id] = f_left
            change.reserve(f.location, line.sku, reserved=-take)
            left -= take
            if sum(f.ships.values()) == 0:
                change.set_fulfillment(f.id, status=F.CANCELLED.value, cancelledAt=at.isoformat())
        change.set_line(
            line,
            cancelled=line.cancelled + quantity,
            backordered=line.backordered - from_backorder,
            allocated=line.allocated - (quantity - from_backorder),
        )
        line.cancelled += quantity
        line.backordered -= from_backorder
        line.allocated -= quantity - from_backorder
        cancelled_lines.append({"line": line.id, "sku": line.sku, "quantity": quantity})
    change.event(
        state,
        "OrderCancelled" if requested is None else "OrderLinesCancelled",
        {"lines": cancelled_lines, "reason": reason},
        at,
    )
    return finish(state, change, at)


def move(state: OrderState, fulfillment_id: str, target: F, at: datetime, **props: Any) -> Change:
    """Release, ship or deliver a fulfillment. Shipping consumes the reservation and on-hand."""
    f = state.fulfillment(fulfillment_id)
    check_fulfillment_move(f.id, f.status, target)
    change = Change(state.id, state.version)
    stamp = {F.RELEASED: "releasedAt", F.SHIPPED: "shippedAt", F.DELIVERED: "deliveredAt"}[target]
    change.set_fulfillment(f.id, status=target.value, **{stamp: at.isoformat()}, **props)
    if target == F.SHIPPED:
        for line_id, quantity in f.ships.items():
            if quantity:
                sku = state.line(line_id).sku
                change.reserve(f.location, sku, reserved=-quantity, on_hand=-quantity)
    kind = {
        F.RELEASED: "FulfillmentReleased",
        F.SHIPPED: "FulfillmentShipped",
        F.DELIVERED: "FulfillmentDelivered",
    }[target]
    change.event(state, kind, {"fulfillment": f.id, "location": f.location, **props}, at)
    return finish(state, change, at)


def reject(state: OrderState, fulfillment_id: str, reason: str | None, at: datetime) -> Change:
    """The location cannot fulfil: release its reservation; the lines go back to backordered.

    The caller re-routes them (``allocate``) without this location, in the same change.
    """
    f = state.fulfillment(fulfillment_id)
    check_fulfillment_move(f.id, f.status, F.REJECTED)
    change = Change(state.id, state.version)
    change.set_fulfillment(
        f.id, status=F.REJECTED.value, rejectedAt=at.isoformat(), rejectReason=reason
    )
    for line_id, quantity in f.ships.items():
        if not quantity:
            continue
        line = state.line(line_id)
        change.reserve(f.location, line.sku, reserved=-quantity)
        line.allocated -= quantity
        line.backordered += quantity
        change.set_line(line, allocated=line.allocated, backordered=line.backordered)
    change.event(
        state,
        "FulfillmentRejected",
        {"fulfillment": f.id, "location": f.location, "reason": reason},
        at,
    )
    f.status = F.REJECTED
    return change
