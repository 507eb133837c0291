"""The store fulfilment app (``/store/{location}``; issue #16): a key that may act at the
location signs in (a partner key scoped to it; admin and integration keys reach every
location, as in the API; a storefront key never). Every page and action is gated on the path's
location (``Principal.may_act_at``), and every action on a fulfillment or a return checks,
again, that it is at that location (``services/picking.py fulfillment_at``, ``receive_at``): a
tampered form naming another store's work is answered as if it did not exist.

Pages: the queue (oldest promise first, live), one fulfillment with its next step (start
picking, confirm or short-pick each line, pack, ready for pickup or ship, hand over), and the
returns coming to the store. Each step is one form and one tap; its answer is the fulfillment
page again with what happened, or with why not (someone else acted first: the guarded
statement refused the loser, and the page says so).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ordergraph.domain.access import Principal, Role
from ordergraph.domain.errors import ErrorCode, OrderGraphError
from ordergraph.domain.picking import MAX_BOXES, ShortReason
from ordergraph.domain.returns import Disposition
from ordergraph.graph.records.events import EventRecord
from ordergraph.services import labels, picking
from ordergraph.services.carrier_rates import carrier_accounts
from ordergraph.web.live import event_locations, event_stream
from ordergraph.web.pages import SignInTarget, Web, WebRequest

STATUS = {
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.FORBIDDEN: 403,
}
MAX_RETURN_LINES = 1000
"""The most lines a receive-return form may name (the form itself is at most 64 KiB)."""
BOX_CHOICES = (1, 2, 3, 4)


def admits(principal: Principal, params: Mapping[str, str]) -> str | None:
    location = params.get("location", "")
    if principal.role == Role.STOREFRONT:
        return "a storefront key cannot sign in to the store app; use the store's partner key"
    if not location:
        return "open the store app at /store/<your store's id>"
    if not principal.may_act_at(location):
        return f"this key may not work at {location}"
    return None


def gate(principal: Principal, request: Request) -> str | None:
    return admits(principal, {"location": str(request.path_params.get("location", ""))})


def explain(exc: OrderGraphError, action: str) -> str:
    """What the associate reads when a step is refused."""
    if exc.code == ErrorCode.INVALID_TRANSITION and action == "start":
        return "Someone else already started this order: it is being picked. Nothing changed."
    if exc.code == ErrorCode.INVALID_TRANSITION and "cannot become" in exc.message:
        # a lifecycle table's refusal: someone moved the order on first
        return "Not done: someone else moved this order on first. This is where it is now."
    if exc.code in (ErrorCode.CONFLICT, ErrorCode.INVALID_TRANSITION):
        return f"Not done: this order changed before your tap arrived. {exc.message}"
    return exc.message


def short_note(who: Principal, outcome: picking.ShortPickOutcome, reason: ShortReason) -> str:
    units = f"{outcome.short} x {outcome.sku}"
    why = "missing" if reason == ShortReason.MISSING else "damaged"
    parts = []
    moved = sum(u for _, u in outcome.rerouted)
    if moved:
        where = (
            ", ".join(f"{u} to {loc}" for loc, u in outcome.rerouted)
            if who.trusted()
            else "another location"
        )
        parts.append(f"{moved} re-routed to {where}")
    if outcome.backordered:
        parts.append(f"{outcome.backordered} backordered (no other location has it now)")
    return (
        f"Short pick recorded: {units} {why}; {'; '.join(parts)}. "
        "Only that moved: the rest stays here."
    )


Action = Callable[[WebRequest, str], Awaitable[str]]  # (request, fulfillment id) -> what it did


def _expected(wr: WebRequest) -> int | None:
    """The units the page showed for the line (None when the form did not say)."""
    seen = wr.number("expected", -1)
    return None if seen < 0 else seen


async def _start(wr: WebRequest, fid: str) -> str:
    await picking.start_picking(wr.store, fid)
    return "Picking started: this order is yours."


async def _pick(wr: WebRequest, fid: str) -> str:
    await picking.confirm_line(wr.store, fid, wr.field("sku"), _expected(wr))
    return "Line confirmed: all found."


async def _short(wr: WebRequest, fid: str) -> str:
    reason = ShortReason.DAMAGED if wr.field("reason") == "DAMAGED" else ShortReason.MISSING
    outcome = await picking.short_pick(
        wr.store,
        fid,
        wr.field("sku"),
        wr.number("found", -1),
        reason,
        _expected(wr),
    )
    return short_note(wr.who, outcome, reason)


async def _pack(wr: WebRequest, fid: str) -> str:
    boxes = wr.number("boxes")
    await picking.pack(wr.store, fid, boxes)
    return f"Packed in {boxes} box{'es' if boxes != 1 else ''}."


async def _ready(wr: WebRequest, fid: str) -> str:
    await picking.ready_for_pickup(wr.store, fid)
    return "Ready for pickup: the customer is told."


async def _hand_over(wr: WebRequest, fid: str) -> str:
    await picking.hand_over(wr.store, fid, wr.field("order"), wr.field("name"))
    return "Handed over. The order is complete."


async def _ship(wr: WebRequest, fid: str) -> str:
    tracking = wr.field("tracking") or None
    carrier = wr.field("carrier") or None
    await labels.ship_labelled(
        wr.store, carrier_accounts(wr.web.state.settings), fid, tracking, carrier
    )
    return "Shipped."


ACTIONS: Mapping[str, Action] = {
    "start": _start,
    "pick": _pick,
    "short": _short,
    "pack": _pack,
    "ready": _ready,
    "handover": _hand_over,
    "ship": _ship,
}


def store_routes(web: Web) -> list[Route]:
    web.apps["store"] = SignInTarget(
        "Store fulfilment", admits, lambda p: f"/store/{p['location']}", params=("location",)
    )

    async def queue(wr: WebRequest) -> Response:
        location = wr.request.path_params["location"]
        work = await picking.queue(wr.store, wr.who, location)
        template = "store/_queue.html" if wr.htmx else "store/queue.html"
        return wr.render(template, location=location, work=work)

    async def live(wr: WebRequest) -> Response:
        location = wr.request.path_params["location"]

        def here(row: EventRecord) -> bool:
            return location in event_locations(row)

        return await event_stream(wr, here)

    async def show(
        wr: WebRequest,
        *,
        note: str | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        location, fid = wr.request.path_params["location"], wr.request.path_params["fid"]
        try:
            view = await picking.pick_view(wr.store, wr.who, location, fid)
        except OrderGraphError as exc:
            return wr.refuse(STATUS.get(exc.code, 422), exc.message)
        return wr.render(
            "store/fulfillment.html",
            status,
            location=location,
            view=view,
            f=view.fulfillment,
            note=note,
            error=error,
            boxes=BOX_CHOICES,
            max_boxes=MAX_BOXES,
        )

    async def fulfillment(wr: WebRequest) -> Response:
        return await show(wr)

    async def act(wr: WebRequest) -> Response:
        location = wr.request.path_params["location"]
        fid, action = wr.request.path_params["fid"], wr.request.path_params["action"]
        step = ACTIONS.get(action)
        if step is None:
            return wr.refuse(404, f"no step {action!r} (steps: {', '.join(ACTIONS)})")
        try:
            await picking.fulfillment_at(wr.store, wr.who, fid, location)
            note = await step(wr, fid)
        except OrderGraphError as exc:
            if exc.code == ErrorCode.NOT_FOUND:
                return wr.refuse(404, exc.message)
            return await show(wr, error=explain(exc, action), status=STATUS.get(exc.code, 422))
        return await show(wr, note=note)

    async def returns_page(
        wr: WebRequest, note: str | None = None, error: str | None = None, status: int = 200
    ) -> Response:
        location = wr.request.path_params["location"]
        found = await picking.returns_at(wr.store, wr.who, location)
        return wr.render(
            "store/returns.html",
            status,
            location=location,
            returns=found,
            dispositions=[d.value for d in Disposition],
            note=note,
            error=error,
        )

    async def returns_list(wr: WebRequest) -> Response:
        return await returns_page(wr)

    async def receive(wr: WebRequest) -> Response:
        location, rid = wr.request.path_params["location"], wr.request.path_params["rid"]
        lines = []
        count = wr.number("count")
        if count > MAX_RETURN_LINES:  # each line is a form field: no loop of a billion
            return await returns_page(
                wr, error=f"a return has at most {MAX_RETURN_LINES} lines", status=422
            )
        for i in range(count):
            quantity = wr.number(f"quantity-{i}")
            if quantity <= 0:
                continue
            try:
                disposition = Disposition(wr.field(f"disposition-{i}"))
            except ValueError:
                return await returns_page(
                    wr, error="choose restock, damaged or refurbish", status=422
                )
            lines.append((wr.field(f"sku-{i}"), quantity, disposition))
        if not lines:
            return await returns_page(wr, error="enter the units received", status=422)
        try:
            await picking.receive_at(wr.store, wr.who, rid, lines, location)
        except OrderGraphError as exc:
            if exc.code == ErrorCode.NOT_FOUND:
                return wr.refuse(404, exc.message)
            return await returns_page(wr, error=explain(exc, "receive"), status=409)
        units = sum(q for _, q, _ in lines)
        return await returns_page(wr, note=f"Return {rid}: {units} unit(s) received.")

    base = "/store/{location}"
    return [
        web.route(base, queue, gate=gate),
        web.route(base + "/queue", queue, gate=gate),
        web.route(base + "/live", live, gate=gate),
        web.route(base + "/returns", returns_list, gate=gate),
        web.route(base + "/returns/{rid}", receive, ["POST"], gate=gate),
        web.route(base + "/f/{fid}", fulfillment, gate=gate),
        web.route(base + "/f/{fid}/{action}", act, ["POST"], gate=gate),
    ]
