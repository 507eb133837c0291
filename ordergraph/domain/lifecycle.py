"""The order lifecycle: transition tables, and pure decisions that turn a request into a Change.

Statuses (DOMAIN.md, "Order lifecycle"): a fulfillment moves ``OPEN -> RELEASED -> SHIPPED ->
DELIVERED``, or ends ``REJECTED`` (by its location) or ``CANCELLED``. The order's status is not set
by hand: it is derived from its lines and fulfillments after every change (``domain.status``), so
it can never disagree with them. A move the table forbids is ``InvalidTransition`` and changes
nothing.

Every decision returns a ``Change``: typed values (stock deltas, fulfillment moves, the lines and
the order as they now stand, new fulfillments, events) that one graph statement applies
atomically, guarded by the order's ``version``. How they are stored is the graph's business
(``graph.records.lifecycle``), not the domain's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ordergraph.domain.atp import Seller
from ordergraph.domain.errors import InvalidTransition, ValidationError
from ordergraph.domain.events import Event
from ordergraph.domain.orders import Address
from ordergraph.domain.orders import FulfillmentKind as K
from ordergraph.domain.orders import FulfillmentStatus as F
from ordergraph.domain.orders import OrderStatus as O
from ordergraph.domain.routing.types import PlannedShipment, ServiceLevel
from ordergraph.domain.status import OPEN_STATES, line_status, order_status

if TYPE_CHECKING:  # domain.returns builds on this module
    from ordergraph.domain.returns import NewReturn, ReturnReceipt

FULFILLMENT_TRANSITIONS: Mapping[F, frozenset[F]] = {
    # a preorder becomes OPEN (reserved on hand) when its inbound line is received
    F.PREORDER: frozenset({F.OPEN, F.CANCELLED}),
    # a pickup becomes OPEN (reserved at the store) when its transfer is received
    F.AWAITING_TRANSFER: frozenset({F.OPEN, F.CANCELLED}),
    F.OPEN: frozenset({F.RELEASED, F.REJECTED, F.CANCELLED}),
    F.RELEASED: frozenset({F.SHIPPED, F.REJECTED, F.CANCELLED}),
    F.SHIPPED: frozenset({F.DELIVERED}),
    F.DELIVERED: frozenset(),
    F.REJECTED: frozenset(),
    F.CANCELLED: frozenset(),
}
# A TRANSFER (docs/transfers.md) is received (DELIVERED) at the store by ``receive``, and may
# be lost in transit (SHIPPED -> REJECTED): its lines are then re-routed.
TRANSFER_TRANSITIONS: Mapping[F, frozenset[F]] = {
    **FULFILLMENT_TRANSITIONS,
    F.SHIPPED: frozenset({F.DELIVERED, F.REJECTED}),
}
# what a cancel gives back: reservations on hand, preorders (to their inbound line), and a
# pickup awaiting its transfer (the transfer's reservation at the source, until it ships)
CANCELLABLE_STATES = OPEN_STATES | {F.PREORDER, F.AWAITING_TRANSFER}
MAX_REJECTIONS = 5  # a line re-routed this often is backordered instead


def check_fulfillment_move(
    fulfillment_id: str, current: F, target: F, kind: K = K.SHIPMENT
) -> None:
    table = TRANSFER_TRANSITIONS if kind == K.TRANSFER else FULFILLMENT_TRANSITIONS
    if target not in table[current]:
        allowed = ", ".join(sorted(s.value for s in table[current])) or "none"
        raise InvalidTransition(
            f"fulfillment {fulfillment_id} is {current.value}; it cannot become {target.value} "
            f"(allowed: {allowed})",
            ("fulfillmentId",),
        )


def fulfillment_number(fulfillment_id: str) -> int:
    """The ``n`` of a fulfillment id ``<order id>-F<n>`` (0 for an id of another shape)."""
    tail = fulfillment_id.rsplit("-F", 1)[-1]
    return int(tail) if tail.isdigit() else 0


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
    created_at: datetime | None = None
    estimated_delivery: date | None = None
    inbound_id: str | None = None  # a PREORDER's inbound line
    arrived: int = 0  # of a PREORDER's units: received and reserved on hand for it already
    stage: str | None = None  # the store floor's progress (domain/picking.py)
    picked: tuple[str, ...] = ()  # lines whose pick is confirmed
    boxes: int | None = None
    kind: K = K.SHIPMENT
    transfer_id: str | None = None  # a pickup's TRANSFER (docs/transfers.md)
    pickup_id: str | None = None  # a TRANSFER's pickup
    to_location: str | None = None  # a TRANSFER's store


@dataclass(frozen=True, slots=True)
class OrderTerms:
    """What the order asks for, as placed or last updated: a re-route asks for it again."""

    channel: str
    service_level: ServiceLevel = ServiceLevel.STANDARD
    ship_to: Address | None = None  # country "" when none was stored
    pickup_at: str | None = None
    policy: str | None = None  # the routing policy it was routed under (its id)
    region: str | None = None  # the region its ship-to address fell in
    placed_by: str | None = None  # the role of the API key that placed it, if one did
    held: bool = False  # waiting for a batch allocation wave (services/allocation.py)
    customer_tier: str | None = None  # what routing policy rules may read


@dataclass
class OrderState:
    id: str
    version: int
    event_seq: int
    status: O
    terms: OrderTerms
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
        """Units of the line in fulfillments of ``states``; a TRANSFER's are not counted (its
        pickup ships them to the customer)."""
        return sum(
            f.ships.get(line_id, 0)
            for f in self.fulfillments
            if f.status in states and f.kind != K.TRANSFER
        )

    def rejected_locations(self) -> frozenset[str]:
        return frozenset(f.location for f in self.fulfillments if f.status == F.REJECTED)

    def next_fulfillment_number(self) -> int:
        return max((fulfillment_number(f.id) for f in self.fulfillments), default=0) + 1


@dataclass(frozen=True, slots=True)
class StockDelta:
    """Units to add to the stock position of ``sku`` at ``location`` (negative: take away)."""

    location: str
    sku: str
    reserved: int = 0
    on_hand: int = 0


@dataclass(frozen=True, slots=True)
class FulfillmentMove:
    """A fulfillment's move to ``status`` at ``at``, with what the move records."""

    id: str
    status: F
    at: datetime
    reason: str | None = None  # why it was rejected or cancelled
    tracking_number: str | None = None  # shipped
    carrier: str | None = None  # shipped
    arrived: int | None = None  # a PREORDER's units received for it, when they change


@dataclass(frozen=True, slots=True)
class StageUpdate:
    """A fulfillment's progress on the store floor (domain/picking.py), its status unchanged:
    ``stage`` (None, PICKED, PACKED, READY), the lines whose pick is confirmed, the boxes."""

    id: str
    stage: str | None
    picked: tuple[str, ...]
    boxes: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class PreorderRelease:
    """Units sold as preorders against inbound line ``inbound`` given back to it (cancelled):
    its ``preordered`` falls by ``quantity``."""

    inbound: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Ships:
    """The units of order line ``line`` that fulfillment ``fulfillment`` now ships."""

    fulfillment: str
    line: str
    quantity: int


@dataclass(frozen=True, slots=True)
class LineUpdate:
    """An order line as the change leaves it (``finish`` writes every line)."""

    id: str
    quantity: int
    allocated: int
    backordered: int
    cancelled: int
    status: str


@dataclass(frozen=True, slots=True)
class NewFulfillment:
    """A fulfillment a re-route creates (OPEN): ``shipment`` sends ``ships`` of the lines."""

    id: str
    shipment: PlannedShipment
    ships: tuple[tuple[str, int], ...]  # (line id, units)
    created_at: datetime

    @property
    def location(self) -> str:
        return self.shipment.location_id

    @property
    def pickup_id(self) -> str | None:
        """A transfer's pickup fulfillment (numbered next), None for any other shipment."""
        if self.shipment.via is None:
            return None
        order_id, _, _ = self.id.rpartition("-F")
        return f"{order_id}-F{fulfillment_number(self.id) + 1}"


@dataclass(slots=True)
class OrderUpdate:
    """What the change sets on the order; None leaves a value as it is."""

    status: O | None = None
    version: int | None = None
    event_seq: int | None = None
    updated_at: datetime | None = None
    promised_by: date | None = None
    ship_to: Address | None = None  # the whole address: parts it does not name are removed
    service_level: ServiceLevel | None = None
    pickup_at: str | None = None  # a pickup order's new store
    release_hold: bool = False  # a batch wave routed it: no longer held (services/allocation.py)


@dataclass
class Change:
    """What one guarded statement applies. Stock quantities are deltas."""

    order_id: str
    version: int  # the version read; the write fails if the order moved since
    order: OrderUpdate = field(default_factory=OrderUpdate)
    stock: list[StockDelta] = field(default_factory=list)
    lines: list[LineUpdate] = field(default_factory=list)
    fulfillments: list[FulfillmentMove] = field(default_factory=list)
    ships: list[Ships] = field(default_factory=list)
    new_fulfillments: list[NewFulfillment] = field(default_factory=list)
    capacity: list[dict[str, Any]] = field(default_factory=list)  # of new fulfillments' days
    new_returns: list[NewReturn] = field(default_factory=list)
    returns: list[ReturnReceipt] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    seller: Seller | None = None  # who routed the stock it reserves (its channel ATP is checked)
    preorders: list[PreorderRelease] = field(default_factory=list)
    stages: list[StageUpdate] = field(default_factory=list)

    def event(self, state: OrderState, kind: str, payload: Mapping[str, Any], at: datetime) -> None:
        sequence = state.event_seq + len(self.events) + 1
        self.events.append(Event(state.id, sequence, kind, dict(payload), at))

    def reserve(self, location: str, sku: str, reserved: int = 0, on_hand: int = 0) -> None:
        for i, row in enumerate(self.stock):
            if (row.location, row.sku) == (location, sku):
                self.stock[i] = replace(
                    row, reserved=row.reserved + reserved, on_hand=row.on_hand + on_hand
                )
                return
        self.stock.append(StockDelta(location, sku, reserved, on_hand))

    def move(self, move: FulfillmentMove) -> None:
        """Record a fulfillment's move (a later move of the same fulfillment replaces it)."""
        self.fulfillments = [m for m in self.fulfillments if m.id != move.id] + [move]

    def merge(self, other: Change) -> None:
        """Fold another decision on the same order and version into this one."""
        for row in other.stock:
            self.reserve(row.location, row.sku, row.reserved, row.on_hand)
        for move in other.fulfillments:
            self.move(move)
        self.ships.extend(other.ships)
        self.events.extend(other.events)


def apply_locally(state: OrderState, change: Change) -> None:
    """Mirror a change onto the in-memory state, so that ``order_status`` sees the result."""
    for move in change.fulfillments:
        state.fulfillment(move.id).status = move.status
    for row in change.ships:
        state.fulfillment(row.fulfillment).ships[row.line] = row.quantity
    for new in change.new_fulfillments:
        shipment = new.shipment
        state.fulfillments.append(
            FulfillmentState(
                new.id,
                new.location,
                F.OPEN,
                dict(new.ships),
                new.created_at,
                shipment.estimated_delivery if shipment.via is None else shipment.arrives,
                kind=K.SHIPMENT if shipment.via is None else K.TRANSFER,
                pickup_id=new.pickup_id,
                to_location=shipment.via,
            )
        )
        if new.pickup_id is not None and shipment.via is not None:
            state.fulfillments.append(
                FulfillmentState(
                    new.pickup_id,
                    shipment.via,
                    F.AWAITING_TRANSFER,
                    dict(new.ships),
                    new.created_at,
                    shipment.estimated_delivery,
                    kind=K.PICKUP,
                    transfer_id=new.id,
                )
            )


def finish(state: OrderState, change: Change, at: datetime) -> Change:
    """Derive line and order statuses after the change; bump version and event sequence."""
    apply_locally(state, change)
    change.lines = [
        LineUpdate(
            line.id,
            line.quantity,
            line.allocated,
            line.backordered,
            line.cancelled,
            line_status(
                line,
                state.units(line.id, frozenset({F.SHIPPED, F.DELIVERED})),
                state.units(line.id, frozenset({F.DELIVERED})),
            ),
        )
        for line in state.lines
    ]
    change.order.status = order_status(state)
    change.order.version = state.version + 1
    change.order.event_seq = state.event_seq + len(change.events)
    change.order.updated_at = at
    return change


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
                f"order {state.id} is {state.status.value}: an order can be cancelled "
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
            for line in sorted(lines, key=lambda ln: -ln.position):  # later lines first
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
            if f.status not in CANCELLABLE_STATES or f.ships.get(line.id, 0) == 0:
                continue
            if f.kind == K.TRANSFER:  # given back with its pickup
                continue
            take = min(left, f.ships[line.id])
            f.ships[line.id] -= take
            change.ships.append(Ships(f.id, line.id, f.ships[line.id]))
            if f.status == F.PREORDER:
                cancel_preorder(change, f, line.sku, take, at)
            elif f.status == F.AWAITING_TRANSFER:
                cancel_transfer_units(state, change, f, line, take, at)
            else:
                change.reserve(f.location, line.sku, reserved=-take)
            left -= take
            if sum(f.ships.values()) == 0:
                change.move(FulfillmentMove(f.id, F.CANCELLED, at))
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


def cancel_preorder(
    change: Change, f: FulfillmentState, sku: str, units: int, at: datetime
) -> None:
    """Give back ``units`` of preorder ``f`` (its ``ships`` already lowered by them): units
    still to arrive go back to its inbound line (``preordered`` falls), units that arrived for
    it are released on hand. A preorder left with only arrived units is OPEN."""
    assert f.inbound_id is not None
    left = sum(f.ships.values())
    not_arrived = left + units - f.arrived
    to_line = min(units, not_arrived)
    on_hand = units - to_line
    if to_line:
        change.preorders.append(PreorderRelease(f.inbound_id, to_line))
    if on_hand:
        change.reserve(f.location, sku, reserved=-on_hand)
    f.arrived -= on_hand
    if left and f.arrived >= left:
        change.move(FulfillmentMove(f.id, F.OPEN, at, arrived=f.arrived))
        f.status = F.OPEN
    else:
        change.move(FulfillmentMove(f.id, F.PREORDER, at, arrived=f.arrived))


def cancel_transfer_units(
    state: OrderState,
    change: Change,
    pickup: FulfillmentState,
    line: LineState,
    units: int,
    at: datetime,
) -> None:
    """Cancelled ``units`` of a pickup awaiting its transfer (its ``ships`` already lowered):
    while the transfer has not shipped, they come off it and its reservation at the source is
    released (a transfer left with nothing is cancelled); once it has shipped, they travel on
    and are received into the store's stock."""
    if pickup.transfer_id is not None:
        transfer = state.fulfillment(pickup.transfer_id)
        if transfer.status in OPEN_STATES and transfer.ships.get(line.id, 0) > 0:
            take = min(units, transfer.ships[line.id])
            transfer.ships[line.id] -= take
            change.ships.append(Ships(transfer.id, line.id, transfer.ships[line.id]))
            change.reserve(transfer.location, line.sku, reserved=-take)
            if sum(transfer.ships.values()) == 0:
                change.move(FulfillmentMove(transfer.id, F.CANCELLED, at))


def release_lines(state: OrderState, change: Change, f: FulfillmentState) -> None:
    """Give back every unit ``f`` reserves: its lines' units become backordered again."""
    for line_id, quantity in f.ships.items():
        if not quantity:
            continue
        line = state.line(line_id)
        change.reserve(f.location, line.sku, reserved=-quantity)
        line.allocated -= quantity
        line.backordered += quantity


def move(
    state: OrderState,
    fulfillment_id: str,
    target: F,
    at: datetime,
    *,
    tracking_number: str | None = None,
    carrier: str | None = None,
) -> Change:
    """Release, ship or deliver a fulfillment. Shipping consumes the reservation and on-hand."""
    f = state.fulfillment(fulfillment_id)
    if f.kind == K.TRANSFER and target == F.DELIVERED:
        raise InvalidTransition(
            f"fulfillment {f.id} is a TRANSFER: the store receives it (transferReceive)",
            ("fulfillmentId",),
        )
    check_fulfillment_move(f.id, f.status, target, f.kind)
    change = Change(state.id, state.version)
    change.move(FulfillmentMove(f.id, target, at, None, tracking_number, carrier))
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
    if f.kind == K.TRANSFER:  # TransferReleased, TransferShipped
        kind = kind.replace("Fulfillment", "Transfer")
    shipped = {"trackingNumber": tracking_number, "carrier": carrier}
    change.event(
        state,
        kind,
        {"fulfillment": f.id, "location": f.location}
        | {k: v for k, v in shipped.items() if v is not None},
        at,
    )
    return finish(state, change, at)


def reject(state: OrderState, fulfillment_id: str, reason: str | None, at: datetime) -> Change:
    """The location cannot fulfil: release its reservation; the lines go back to backordered.

    The caller re-routes them (``allocate``) without this location, in the same change.
    """
    f = state.fulfillment(fulfillment_id)
    check_fulfillment_move(f.id, f.status, F.REJECTED, f.kind)
    change = Change(state.id, state.version)
    change.move(FulfillmentMove(f.id, F.REJECTED, at, reason))
    pickup = None if f.pickup_id is None else state.fulfillment(f.pickup_id)
    if f.kind == K.TRANSFER and f.status == F.SHIPPED:
        # lost in transit: its units already left the source (nothing reserved to give back);
        # the units its pickup still owes the customer are backordered again
        owed = pickup.ships if pickup is not None and pickup.status == F.AWAITING_TRANSFER else {}
        for line_id, quantity in owed.items():
            state.line(line_id).allocated -= quantity
            state.line(line_id).backordered += quantity
    else:
        release_lines(state, change, f)
    if f.kind == K.TRANSFER and pickup is not None and pickup.status == F.AWAITING_TRANSFER:
        change.move(FulfillmentMove(pickup.id, F.CANCELLED, at, f"transfer {f.id} rejected"))
        pickup.status = F.CANCELLED  # its pickup goes with it
    change.event(
        state,
        "FulfillmentRejected",
        {"fulfillment": f.id, "location": f.location, "reason": reason},
        at,
    )
    f.status = F.REJECTED
    return change


def unback(
    state: OrderState, location: str, sku: str, units: int, reason: str, at: datetime
) -> tuple[Change, int]:
    """Take up to ``units`` reserved units of ``sku`` at ``location`` back from the order.

    Used when a stock count leaves a position with fewer units on hand than reserved: the count
    is the physical truth, so reservations it no longer backs are released, OPEN fulfillments
    before RELEASED ones (not yet handed to the floor), the newest first. The units become
    backordered; the caller re-routes them (``allocate``) in the same change. A fulfillment left
    with nothing to ship is cancelled. Returns the change and the units taken.
    """
    change = Change(state.id, state.version)
    left = max(0, units)
    live = [f for f in state.fulfillments if f.location == location and f.status in OPEN_STATES]
    live.sort(
        key=lambda f: (f.status == F.OPEN, f.created_at.isoformat() if f.created_at else "", f.id),
        reverse=True,
    )
    taken: list[dict[str, Any]] = []
    for f in live:
        for line in sorted(state.lines, key=lambda x: -x.position):
            if left == 0:
                break
            if line.sku != sku or f.ships.get(line.id, 0) == 0:
                continue
            take = min(left, f.ships[line.id])
            f.ships[line.id] -= take
            change.ships.append(Ships(f.id, line.id, f.ships[line.id]))
            change.reserve(location, sku, reserved=-take)
            line.allocated -= take
            line.backordered += take
            taken.append({"fulfillment": f.id, "line": line.id, "quantity": take})
            left -= take
            if f.pickup_id is not None:  # a transfer's pickup waits for fewer units
                pickup = state.fulfillment(f.pickup_id)
                pickup.ships[line.id] = max(0, pickup.ships.get(line.id, 0) - take)
                change.ships.append(Ships(pickup.id, line.id, pickup.ships[line.id]))
                if sum(pickup.ships.values()) == 0 and pickup.status == F.AWAITING_TRANSFER:
                    change.move(FulfillmentMove(pickup.id, F.CANCELLED, at, reason))
                    pickup.status = F.CANCELLED
        if sum(f.ships.values()) == 0 and any(t["fulfillment"] == f.id for t in taken):
            change.move(FulfillmentMove(f.id, F.CANCELLED, at, reason))
            f.status = F.CANCELLED
    if taken:
        change.event(
            state,
            "ReservationUnbacked",
            {
                "location": location,
                "sku": sku,
                "units": sum(t["quantity"] for t in taken),
                "taken": taken,
                "reason": reason,
            },
            at,
        )
    return change, sum(t["quantity"] for t in taken)


def receive(state: OrderState, transfer_id: str, at: datetime) -> Change:
    """The store receives a shipped TRANSFER (docs/transfers.md): its units go on hand at the
    store, those its pickup still waits for are reserved there at once, the transfer is
    DELIVERED and the pickup OPEN (ready to pick). Units whose pickup was cancelled meanwhile
    stay in the store's stock, free."""
    t = state.fulfillment(transfer_id)
    if t.kind != K.TRANSFER or t.to_location is None:
        raise InvalidTransition(
            f"fulfillment {t.id} is not a transfer; only a TRANSFER is received",
            ("fulfillmentId",),
        )
    check_fulfillment_move(t.id, t.status, F.DELIVERED, t.kind)
    change = Change(state.id, state.version)
    change.move(FulfillmentMove(t.id, F.DELIVERED, at))
    pickup = None if t.pickup_id is None else state.fulfillment(t.pickup_id)
    waiting = pickup is not None and pickup.status == F.AWAITING_TRANSFER
    received = []
    for line_id, quantity in sorted(t.ships.items()):
        if not quantity:
            continue
        sku = state.line(line_id).sku
        held = min(quantity, pickup.ships.get(line_id, 0)) if pickup and waiting else 0
        change.reserve(t.to_location, sku, reserved=held, on_hand=quantity)
        received.append({"line": line_id, "sku": sku, "quantity": quantity, "held": held})
    if pickup is not None and waiting:
        if sum(pickup.ships.values()) > 0:
            change.move(FulfillmentMove(pickup.id, F.OPEN, at))
        else:
            change.move(FulfillmentMove(pickup.id, F.CANCELLED, at, "nothing left to pick up"))
    change.event(
        state,
        "TransferReceived",
        {
            "fulfillment": t.id,
            "location": t.to_location,
            "from": t.location,
            "pickup": None if pickup is None else pickup.id,
            "lines": received,
        },
        at,
    )
    return finish(state, change, at)
