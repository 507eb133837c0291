"""The console's actions (POST, CSRF-checked by ``Web.route``): each asks the principal for the
GraphQL operation it stands for (``Principal.may``, as the schema's role check does), makes
the same object check as the resolver, and calls the same use case.

| action | operation | use case |
|---|---|---|
| replay an ingestion failure | ``ingestionReplay`` | ``ingestion.replay`` |
| retry a dead-lettered webhook | ``webhookDeadLetterReplay`` | ``events.replay_dead_letters`` |
| re-route a fulfillment | ``fulfillmentReject`` (+ ``may_act_at``) | ``lifecycle.reject`` |
| cancel an order, or units of a line | ``orderCancel`` | ``labels.cancel_order_voiding`` |
| allocate backorders of SKUs | ``backordersAllocate`` | ``lifecycle.allocate_backorders`` |
| start a sandbox run | ``routingSimulationRun`` | ``simulation.start`` |
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response

from ordergraph.domain.errors import ErrorCode, OrderGraphError, ValidationError
from ordergraph.services import console, events, ingestion, lifecycle, simulation
from ordergraph.services.carrier_rates import carrier_accounts
from ordergraph.services.labels import cancel_order_voiding
from ordergraph.web.console.pages import _queue, order_page, simulations
from ordergraph.web.pages import WebRequest

REROUTE_REASON = "re-routed from the operations console"
STATUS = {ErrorCode.NOT_FOUND: 404, ErrorCode.FORBIDDEN: 403, ErrorCode.INVALID_TRANSITION: 409}


def _refused(wr: WebRequest, operation: str) -> Response | None:
    if wr.who.may(operation):
        return None
    return wr.refuse(403, f"this {wr.who.role.value} key may not use {operation}")


def _failed(wr: WebRequest, exc: OrderGraphError) -> Response:
    return wr.refuse(STATUS.get(exc.code, 422), exc.message)


async def _done(wr: WebRequest, notice: str) -> Response:
    """Where an action answers: the order it was taken on (``back=order``), else the queue;
    an htmx form gets the fragment it replaces, a plain form a redirect."""
    order_id = wr.field("order")
    if wr.field("back") == "order" and order_id:
        if not wr.htmx:
            return wr.redirect(f"/console/orders/{order_id}")
        wr.request.scope["path_params"] = {"order_id": order_id}
        response = await order_page(wr)
        response.headers["hx-trigger"] = "console-done"
        return response
    if not wr.htmx:
        return wr.redirect("/console/exceptions")
    return await _queue(wr, "console/_queue.html", notice)


async def replay_ingestion(wr: WebRequest) -> Response:
    if (refused := _refused(wr, "ingestionReplay")) is not None:
        return refused
    failure_id = wr.request.path_params["failure_id"]
    ((_, outcome),) = await ingestion.replay(
        wr.store,
        [failure_id],
        config=ingestion.IngestConfig.from_settings(wr.web.state.settings),
    )
    if outcome.status == ingestion.NOT_FOUND:
        return wr.refuse(404, outcome.reason or f"no ingestion failure {failure_id}")
    if outcome.status == ingestion.FAILED:
        return wr.refuse(422, f"{failure_id} failed again: {outcome.reason}")
    placed = ", ".join(outcome.order_ids)
    return await _done(
        wr, f"{failure_id} replayed: {outcome.status}" + (f" ({placed})" if placed else "")
    )


async def replay_webhook(wr: WebRequest) -> Response:
    if (refused := _refused(wr, "webhookDeadLetterReplay")) is not None:
        return refused
    delivery_id = wr.request.path_params["delivery_id"]
    try:
        replayed, problems = await events.replay_dead_letters(wr.store, [delivery_id])
    except OrderGraphError as exc:
        return _failed(wr, exc)
    if problems:
        return _failed(wr, problems[0])
    return await _done(wr, f"webhook {', '.join(replayed)} will be delivered again")


async def reroute_fulfillment(wr: WebRequest) -> Response:
    if (refused := _refused(wr, "fulfillmentReject")) is not None:
        return refused
    fulfillment_id = wr.request.path_params["fulfillment_id"]
    location = await console.fulfillment_location(wr.store, fulfillment_id)
    if location is None or not wr.who.may_act_at(location):
        return wr.refuse(404, f"no fulfillment {fulfillment_id}")
    try:
        await lifecycle.reject(wr.store, fulfillment_id, wr.field("reason") or REROUTE_REASON)
    except OrderGraphError as exc:
        return _failed(wr, exc)
    return await _done(wr, f"{fulfillment_id} re-routed away from {location}")


async def cancel_order(wr: WebRequest) -> Response:
    if (refused := _refused(wr, "orderCancel")) is not None:
        return refused
    order_id = wr.request.path_params["order_id"]
    sku, units = wr.field("sku"), wr.number("quantity")
    if sku and units <= 0:
        return wr.refuse(422, "give the units of the line to cancel (a whole number above 0)")
    lines = [(sku, units)] if sku else None
    try:
        await cancel_order_voiding(
            wr.store,
            carrier_accounts(wr.web.state.settings),
            order_id,
            lines,
            wr.field("reason") or "cancelled from the operations console",
        )
    except OrderGraphError as exc:
        return _failed(wr, exc)
    what = f"{units} x {sku} of {order_id}" if sku else f"order {order_id}"
    return await _done(wr, f"cancelled {what}")


async def allocate_backorders(wr: WebRequest) -> Response:
    if (refused := _refused(wr, "backordersAllocate")) is not None:
        return refused
    skus = [s for s in (wr.form.getlist("sku") if wr.form else []) if isinstance(s, str) and s]
    if not skus or len(skus) > 100:
        return wr.refuse(422, "name 1 to 100 SKUs whose backorders to allocate")
    try:
        served = await lifecycle.allocate_backorders(wr.store, skus)
    except OrderGraphError as exc:
        return _failed(wr, exc)
    if not served:
        return await _done(wr, f"no stock yet for the backorders of {', '.join(skus)}")
    return await _done(wr, f"allocated backorders of {', '.join(served)}")


def _instant(wr: WebRequest, name: str) -> datetime:
    raw = wr.field(name)
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"{name} must be a date and time (YYYY-MM-DDTHH:MM, UTC)", field=(name,)
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _version(wr: WebRequest, name: str) -> int | None:
    raw = wr.field(name)
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 6:
        raise ValidationError(f"{name} must be a whole version number", field=(name,))
    return int(raw)


async def start_simulation(wr: WebRequest) -> Response:
    """Replay a window of past orders under a policy against a baseline, as
    ``routingSimulationRun`` does (the same check, the same ``simulation.start``); then the
    run's page, which follows its progress."""
    if (refused := _refused(wr, "routingSimulationRun")) is not None:
        return refused
    given = {k: wr.field(k) for k in ("policy", "version", "baseline", "from", "to", "channel")}
    try:
        if not given["policy"]:
            raise ValidationError("choose the policy to simulate", field=("policy",))
        spec = simulation.SimulationInput(
            policy=given["policy"][:200],
            version=_version(wr, "version"),
            baseline=given["baseline"][:200] or None,
            window=simulation.Window(
                _instant(wr, "from"), _instant(wr, "to"), given["channel"][:100] or None
            ),
        )
        run_id = await simulation.start(wr.store, spec)
    except OrderGraphError as exc:
        if wr.htmx:
            return _failed(wr, exc)
        return await simulations(wr, 422, exc.message, given)
    return wr.redirect(f"/console/simulations/{run_id}")
