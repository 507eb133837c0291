"""Store floor use cases (issue #16): a store's queue, pick (per line or short), pack, ready for
pickup, hand over at the counter, ship, and returns received in store.

Every use case runs through ``services.lifecycle.run``: read the order, decide with
``domain.picking`` (pure), write once with the guarded statement; on a conflict it reads and
decides again, so the second of two associates gets the domain's reason, not a double change.
``fulfillment_at`` is the object check every entry point makes first (the API's own: the key
may act at the fulfillment's location), with the store the caller is working in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ordergraph.domain import lifecycle as lc
from ordergraph.domain import picking
from ordergraph.domain.access import Principal
from ordergraph.domain.errors import NotFound
from ordergraph.domain.returns import Disposition, ReturnStatus
from ordergraph.graph import catalog
from ordergraph.graph import lifecycle as q
from ordergraph.graph import orders as order_reads
from ordergraph.graph import picking as floor
from ordergraph.graph.records.orders import FulfillmentRecord
from ordergraph.graph.records.picking import WorkItem
from ordergraph.graph.records.returns import ReturnRecord
from ordergraph.graph.store import GraphStore
from ordergraph.services import lifecycle, returns
from ordergraph.services.tracking import OrderView, order_view


async def fulfillment_at(
    store: GraphStore, who: Principal, fulfillment_id: str, location: str | None = None
) -> str:
    """The order of a fulfillment ``who`` may act on (and, given ``location``, that is there);
    otherwise ``NotFound``, as if it did not exist (another store learns nothing of it)."""
    where = await q.fulfillment_location(store, fulfillment_id)
    if where is None or not who.may_act_at(where) or (location is not None and where != location):
        shown = f" at {location}" if location else ""
        raise NotFound(f"no fulfillment {fulfillment_id}{shown}", ("fulfillmentId",))
    return await lifecycle.order_of_fulfillment(store, fulfillment_id)


def _check_store(who: Principal, location: str) -> None:
    if not who.may_act_at(location):
        raise NotFound(f"no store {location} for this key", ("location",))


async def queue(store: GraphStore, who: Principal, location: str) -> list[WorkItem]:
    """The store's open work, oldest promise first (then the oldest order)."""
    _check_store(who, location)
    work = await floor.store_work(store, location)
    return sorted(work, key=lambda w: (w.due, w.placed_at, w.fulfillment.id))


@dataclass(frozen=True)
class PickView:
    """One fulfillment as the store sees it: the order (as ``who`` may read it), the
    fulfillment, and the names of its SKUs."""

    order: OrderView
    fulfillment: FulfillmentRecord
    names: Mapping[str, str]

    @property
    def pickup(self) -> bool:
        return self.order.order.pickup_at == self.fulfillment.location_id


async def pick_view(
    store: GraphStore, who: Principal, location: str, fulfillment_id: str
) -> PickView:
    order_id = await fulfillment_at(store, who, fulfillment_id, location)
    view = await order_view(store, who, order_id, None)
    f = next((f for f in view.fulfillments if f.id == fulfillment_id), None)
    if f is None:
        raise NotFound(f"no fulfillment {fulfillment_id} at {location}", ("fulfillmentId",))
    skus = sorted({line.sku for line in f.lines})
    found = await catalog.skus_by_id(store, skus)
    names = {sku: rec.name for sku, rec in zip(skus, found, strict=True) if rec and rec.name}
    return PickView(view, f, names)


@dataclass(frozen=True)
class ShortPickOutcome:
    change: lc.Change
    sku: str
    short: int
    rerouted: tuple[tuple[str, int], ...]  # (location, units of the line) of new fulfillments
    backordered: int  # short units nobody could take


async def short_pick(
    store: GraphStore,
    fulfillment_id: str,
    line: str,
    found: int,
    reason: picking.ShortReason,
    expected: int | None = None,
    *,
    now: datetime | None = None,
    actor: Mapping[str, str] | None = None,
) -> ShortPickOutcome:
    """Reject only the short units of one line and re-route just them (``domain.picking``)."""
    order_id = await lifecycle.order_of_fulfillment(store, fulfillment_id)
    seen: dict[str, str] = {}

    async def decide(state: lc.OrderState, at: datetime) -> lc.Change:
        f = state.fulfillment(fulfillment_id)
        line_id = picking.find_line(state, f, line)
        sku = state.line(line_id).sku
        held = await q.stock_positions(store, [(f.location, sku)])
        change, _ = picking.short_pick(
            state,
            fulfillment_id,
            line_id,
            found,
            reason,
            expected,
            at,
            on_hand=held[0].on_hand if held else 0,
        )
        excluded = frozenset({f.location})
        await lifecycle.allocate(store, state, change, at, "OrderRerouted", also_excluded=excluded)
        lifecycle.promise(state, change)
        seen.update(line=line_id, sku=sku)
        return lc.finish(state, change, at)

    change = await lifecycle.run(store, order_id, decide, now, actor=actor)
    short = next(
        int(e.payload["short"]) for e in change.events if e.type == "FulfillmentShortPicked"
    )
    rerouted = tuple(
        (new.location, units)
        for new in change.new_fulfillments
        for line_id, units in new.ships
        if line_id == seen["line"] and units
    )
    return ShortPickOutcome(
        change, seen["sku"], short, rerouted, short - sum(u for _, u in rerouted)
    )


async def start_picking(
    store: GraphStore, fulfillment_id: str, *, now: datetime | None = None
) -> lc.Change:
    """The associate takes the order: OPEN -> RELEASED (a second associate is refused)."""
    return await lifecycle.release(store, fulfillment_id, now=now)


async def confirm_line(
    store: GraphStore,
    fulfillment_id: str,
    line: str,
    expected: int | None = None,
    *,
    now: datetime | None = None,
) -> lc.Change:
    order_id = await lifecycle.order_of_fulfillment(store, fulfillment_id)
    return await lifecycle.run(
        store,
        order_id,
        lambda s, at: picking.confirm_line(s, fulfillment_id, line, expected, at),
        now,
    )


async def pack(
    store: GraphStore, fulfillment_id: str, boxes: int, *, now: datetime | None = None
) -> lc.Change:
    order_id = await lifecycle.order_of_fulfillment(store, fulfillment_id)
    return await lifecycle.run(
        store, order_id, lambda s, at: picking.pack(s, fulfillment_id, boxes, at), now
    )


async def ready_for_pickup(
    store: GraphStore, fulfillment_id: str, *, now: datetime | None = None
) -> lc.Change:
    order_id = await lifecycle.order_of_fulfillment(store, fulfillment_id)
    return await lifecycle.run(
        store, order_id, lambda s, at: picking.ready_for_pickup(s, fulfillment_id, at), now
    )


async def hand_over(
    store: GraphStore,
    fulfillment_id: str,
    order_number: str,
    name: str,
    *,
    now: datetime | None = None,
) -> lc.Change:
    """At the counter: the customer gives the order number and the name it was placed in."""
    order_id = await lifecycle.order_of_fulfillment(store, fulfillment_id)
    (rec,) = await order_reads.orders_by_id(store, [order_id])
    stored = None if rec is None else rec.pickup_name
    return await lifecycle.run(
        store,
        order_id,
        lambda s, at: picking.hand_over(s, fulfillment_id, order_number, name, stored, at),
        now,
    )


OPEN_RETURNS = [ReturnStatus.REQUESTED.value, ReturnStatus.PARTIALLY_RECEIVED.value]


async def returns_at(store: GraphStore, who: Principal, location: str) -> list[ReturnRecord]:
    """Returns coming to the store and not fully received, oldest first."""
    _check_store(who, location)
    found = await floor.returns_to(store, location, OPEN_RETURNS)
    return sorted(found, key=lambda r: (r.created_at, r.id))


async def receive_at(
    store: GraphStore,
    who: Principal,
    return_id: str,
    lines: Sequence[tuple[str, int, Disposition]],
    location: str | None = None,
    *,
    now: datetime | None = None,
) -> lc.Change:
    """Receive returned units where ``who`` may act (a partner: at its own locations only;
    given ``location``, only a return coming there)."""
    rec = await returns.find_return(store, return_id)
    if (
        rec is None
        or not who.may_act_at(rec.location_id)
        or (location is not None and rec.location_id != location)
    ):
        shown = f" coming to {location}" if location else ""
        raise NotFound(f"no return {return_id}{shown}", ("returnId",))
    return await returns.receive_return(store, return_id, lines, now=now)
