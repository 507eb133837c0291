"""The store floor: pick (per line, or short), pack, ready for pickup, hand over (issue #16).

A fulfillment at a store is RELEASED when an associate starts picking it; its progress on the
floor is its ``stage`` beside its status: None (picking), ``PICKED`` (every line confirmed),
``PACKED`` (in ``boxes``), ``READY`` (a pickup order waiting at the counter). Hand-over at the
counter moves it to DELIVERED (through SHIPPED: the units leave the store's on-hand).

A **short pick** (found fewer than asked, or some damaged) takes only the short units off the
fulfillment: they leave the store's reservation and its on-hand (they are not there, or not
sellable), become backordered on their line, and the service re-routes them, without this
store, in the same guarded change. The rest of the fulfillment stays with the store. Anchors:
Fluent Order Management and Manhattan's store apps move the whole order, or zero the item's
ATP at the store; HotWax's "reject item" re-routes one item. Here exactly the short units move.

Every decision is guarded twice: by the order's version (the statement refuses a stale change)
and, because the service re-reads and decides again on a conflict, by what the associate saw
(``expected``: the units the page showed). Two associates acting on the same line at once: the
second's decision is refused with a reason (``CONFLICT``) instead of applying twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from ordergraph.domain import lifecycle as lc
from ordergraph.domain.errors import ErrorCode, InvalidTransition, OrderGraphError, ValidationError
from ordergraph.domain.orders import FulfillmentKind
from ordergraph.domain.orders import FulfillmentStatus as F

PICKED, PACKED, READY = "PICKED", "PACKED", "READY"
MAX_BOXES = 50


class ShortReason(StrEnum):
    MISSING = "MISSING"  # found fewer than the system holds
    DAMAGED = "DAMAGED"  # found, but not sellable


def conflict(message: str) -> OrderGraphError:
    return OrderGraphError(message, ErrorCode.CONFLICT, ("fulfillmentId",))


def _on_floor(state: lc.OrderState, fulfillment_id: str, *, open_ok: bool) -> lc.FulfillmentState:
    f = state.fulfillment(fulfillment_id)
    allowed = (F.OPEN, F.RELEASED) if open_ok else (F.RELEASED,)
    if f.status not in allowed:
        if f.status == F.OPEN:
            raise InvalidTransition(
                f"fulfillment {f.id} is not being picked yet: start picking first",
                ("fulfillmentId",),
            )
        raise InvalidTransition(
            f"fulfillment {f.id} is {f.status.value}: it is no longer on the floor",
            ("fulfillmentId",),
        )
    return f


def find_line(state: lc.OrderState, f: lc.FulfillmentState, line: str) -> str:
    """The line id of ``f`` named by ``line``: a line id, or a SKU the fulfillment ships."""
    if f.ships.get(line, 0) > 0:
        return line
    for line_id, quantity in sorted(f.ships.items()):
        if quantity > 0 and state.line(line_id).sku == line:
            return line_id
    raise ValidationError(f"fulfillment {f.id} ships no units of {line}", field=("sku",))


def _check_seen(f: lc.FulfillmentState, line_id: str, sku: str, expected: int | None) -> int:
    quantity = f.ships.get(line_id, 0)
    if line_id in f.picked:
        raise conflict(f"{sku} on {f.id} is already confirmed (by someone else just now?)")
    if f.stage in (PACKED, READY):
        raise conflict(f"{f.id} is already packed: its lines cannot change")
    if expected is not None and expected != quantity:
        raise conflict(
            f"{sku} on {f.id} changed while you were picking: it now asks for {quantity}, "
            f"not {expected}; look at it again"
        )
    return quantity


def _stage_after(f: lc.FulfillmentState, picked: tuple[str, ...]) -> str | None:
    needed = {line for line, quantity in f.ships.items() if quantity > 0}
    return PICKED if needed and needed <= set(picked) else None


def confirm_line(
    state: lc.OrderState, fulfillment_id: str, line: str, expected: int | None, at: datetime
) -> lc.Change:
    """Every unit of the line was found: the line is confirmed."""
    f = _on_floor(state, fulfillment_id, open_ok=False)
    line_id = find_line(state, f, line)
    sku = state.line(line_id).sku
    quantity = _check_seen(f, line_id, sku, expected)
    picked = (*f.picked, line_id)
    change = lc.Change(state.id, state.version)
    change.stages.append(lc.StageUpdate(f.id, _stage_after(f, picked), picked, None, at))
    change.event(
        state,
        "FulfillmentLinePicked",
        {"fulfillment": f.id, "location": f.location, "line": line_id, "sku": sku}
        | {"quantity": quantity},
        at,
    )
    return lc.finish(state, change, at)


def short_pick(
    state: lc.OrderState,
    fulfillment_id: str,
    line: str,
    found: int,
    reason: ShortReason,
    expected: int | None,
    at: datetime,
    *,
    on_hand: int | None = None,
) -> tuple[lc.Change, int]:
    """``found`` of the line's units were found: take the rest (the short units) off the
    fulfillment, out of the store's reservation and on-hand (at most ``on_hand``, what the
    position holds), back to backordered on the line. The caller re-routes them without this
    store in the same change, then ``lc.finish``-es it. Returns the change and the short units.
    A fulfillment left with nothing is REJECTED."""
    f = _on_floor(state, fulfillment_id, open_ok=True)
    line_id = find_line(state, f, line)
    order_line = state.line(line_id)
    quantity = _check_seen(f, line_id, order_line.sku, expected)
    if not 0 <= found < quantity:
        raise ValidationError(
            f"found must be 0 to {quantity - 1} (all {quantity} found: confirm the line instead)",
            field=("found",),
        )
    short = quantity - found
    change = lc.Change(state.id, state.version)
    f.ships[line_id] = found
    change.ships.append(lc.Ships(f.id, line_id, found))
    gone = short if on_hand is None else max(0, min(short, on_hand))
    change.reserve(f.location, order_line.sku, reserved=-short, on_hand=-gone)
    order_line.allocated -= short
    order_line.backordered += short
    picked = (*f.picked, line_id) if found else f.picked
    change.event(
        state,
        "FulfillmentShortPicked",
        {
            "fulfillment": f.id,
            "location": f.location,
            "line": line_id,
            "sku": order_line.sku,
            "asked": quantity,
            "found": found,
            "short": short,
            "reason": reason.value,
        },
        at,
    )
    if sum(f.ships.values()) == 0:
        change.move(lc.FulfillmentMove(f.id, F.REJECTED, at, f"short pick: {reason.value}"))
        f.status = F.REJECTED
    else:
        change.stages.append(lc.StageUpdate(f.id, _stage_after(f, picked), picked, None, at))
    return change, short


def pack(state: lc.OrderState, fulfillment_id: str, boxes: int, at: datetime) -> lc.Change:
    f = _on_floor(state, fulfillment_id, open_ok=False)
    if not 1 <= boxes <= MAX_BOXES:
        raise ValidationError(f"boxes must be 1 to {MAX_BOXES}", field=("boxes",))
    if f.stage in (PACKED, READY):
        raise conflict(f"{f.id} is already packed (in {f.boxes} box(es))")
    if f.stage != PICKED:
        raise InvalidTransition(f"confirm every line of {f.id} before packing", ("fulfillmentId",))
    change = lc.Change(state.id, state.version)
    change.stages.append(lc.StageUpdate(f.id, PACKED, f.picked, boxes, at))
    change.event(
        state,
        "FulfillmentPacked",
        {"fulfillment": f.id, "location": f.location, "boxes": boxes},
        at,
    )
    return lc.finish(state, change, at)


def ready_for_pickup(state: lc.OrderState, fulfillment_id: str, at: datetime) -> lc.Change:
    """A packed pickup order waits at the counter: the customer is told (the event)."""
    f = _on_floor(state, fulfillment_id, open_ok=False)
    if state.terms.pickup_at != f.location:
        raise InvalidTransition(
            f"{f.id} ships to the customer; ship it instead", ("fulfillmentId",)
        )
    if f.stage == READY:
        raise conflict(f"{f.id} is already marked ready for pickup")
    if f.stage != PACKED:
        raise InvalidTransition(f"pack {f.id} before marking it ready", ("fulfillmentId",))
    change = lc.Change(state.id, state.version)
    change.stages.append(lc.StageUpdate(f.id, READY, f.picked, f.boxes, at))
    change.event(
        state,
        "FulfillmentReadyForPickup",
        {"fulfillment": f.id, "location": f.location, "boxes": f.boxes},
        at,
    )
    return lc.finish(state, change, at)


def same_name(typed: str, stored: str) -> bool:
    """Names compared as people say them: case, accents' case and spacing ignored."""
    return " ".join(typed.casefold().split()) == " ".join(stored.casefold().split())


def hand_over(
    state: lc.OrderState,
    fulfillment_id: str,
    order_number: str,
    name: str,
    stored_name: str | None,
    at: datetime,
) -> lc.Change:
    """The customer collects at the counter: checked by order number and name, the units
    leave the store (SHIPPED, consuming reservation and on-hand) and are DELIVERED at once."""
    f = _on_floor(state, fulfillment_id, open_ok=False)
    if f.kind == FulfillmentKind.TRANSFER:  # docs/transfers.md
        raise InvalidTransition(
            f"{f.id} is a TRANSFER to {f.to_location}: it ships to the store and is received "
            "there (transferReceive), it is not handed to a customer",
            ("fulfillmentId",),
        )
    if f.stage != READY:
        raise InvalidTransition(
            f"{f.id} is not ready for pickup yet: it cannot be handed over", ("fulfillmentId",)
        )
    if order_number.strip().upper() != state.id.upper():
        raise ValidationError(
            "the order number does not match this order: check the customer's confirmation",
            ErrorCode.FORBIDDEN,
            ("orderNumber",),
        )
    if stored_name is not None and not same_name(name, stored_name):
        raise ValidationError(
            "the name does not match the order's: ask for the name the order was placed in",
            ErrorCode.FORBIDDEN,
            ("name",),
        )
    lc.check_fulfillment_move(f.id, f.status, F.SHIPPED)
    lc.check_fulfillment_move(f.id, F.SHIPPED, F.DELIVERED)
    change = lc.Change(state.id, state.version)
    for line_id, quantity in f.ships.items():
        if quantity:
            sku = state.line(line_id).sku
            change.reserve(f.location, sku, reserved=-quantity, on_hand=-quantity)
    change.move(lc.FulfillmentMove(f.id, F.DELIVERED, at))
    where = {"fulfillment": f.id, "location": f.location}
    change.event(state, "FulfillmentShipped", where | {"handedOver": True}, at)
    change.event(state, "FulfillmentDelivered", where | {"handedOver": True}, at)
    return lc.finish(state, change, at)
