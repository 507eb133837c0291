"""The console's pages (GET): overview, network map, order search, the order page, the
exception queue (and its live fragment), KPI charts, the routing sandbox's runs and reports
(and the report's live fragment) and the live stream. Each calls the
services with the signed-in principal, as a resolver does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.responses import Response

from ordergraph.domain.errors import NotFound, ValidationError
from ordergraph.domain.simulation import SimulationStatus
from ordergraph.services import console, policies, simulation
from ordergraph.web.console import svg
from ordergraph.web.console.views import (
    KPI_TILES,
    event_summary,
    failure_hint,
    kpi_rows,
    queue_counts,
    shipments,
)
from ordergraph.web.live import event_stream
from ordergraph.web.pages import WebRequest

DEFAULT_DAYS = 14


def _query_int(wr: WebRequest, name: str, default: int) -> int | None:
    raw = wr.request.query_params.get(name, "").strip()
    if not raw:
        return default
    return int(raw) if raw.isdigit() and len(raw) < 6 else None


def backorder_hours(wr: WebRequest) -> int | None:
    """``?hours=N``, else the server's setting (ORDERGRAPH_CONSOLE_BACKORDER_HOURS)."""
    return _query_int(wr, "hours", wr.web.state.settings.console_backorder_hours)


async def overview(wr: WebRequest) -> Response:
    total, series = await console.kpis_by_day(wr.store, 7, None)
    queue = await console.exception_queue(wr.store, backorder_hours=backorder_hours(wr) or 24)
    loads = await console.network_load(wr.store)
    return wr.render(
        "console/overview.html",
        nav="overview",
        tiles=_tiles(total, series),
        counts=queue_counts(queue),
        maps=svg.network_maps(loads),
        bands=svg.BANDS,
        days=7,
    )


async def network_map(wr: WebRequest) -> Response:
    loads = await console.network_load(wr.store)
    return wr.render(
        "console/map.html",
        nav="map",
        maps=svg.network_maps(loads),
        bands=svg.BANDS,
        rows=[(x, svg.load_of(x), svg.band(svg.load_of(x))) for x in loads],
        fmt=svg.fmt,
    )


async def order_search(wr: WebRequest) -> Response:
    typed = wr.request.query_params.get("q", "")
    try:
        found = await console.search_orders(wr.store, wr.who, typed)
    except ValidationError as exc:
        return wr.render(
            "console/orders.html", 422, nav="orders", q=typed, found=[], error=exc.message
        )
    if len(found) == 1 and typed.strip():
        return wr.redirect(f"/console/orders/{found[0].id}")
    return wr.render("console/orders.html", nav="orders", q=typed, found=found, error=None)


async def order_page(wr: WebRequest) -> Response:
    order_id = wr.request.path_params["order_id"]
    try:
        story = await console.order_story(wr.store, wr.who, order_id)
    except NotFound:
        return wr.refuse(404, f"no order {order_id}")
    template = "console/_order_body.html" if wr.htmx else "console/order.html"
    return wr.render(
        template,
        nav="orders",
        story=story,
        order=story.view.order,
        events=[(e, event_summary(e)) for e in reversed(story.events)],
        may_cancel=wr.who.may("orderCancel"),
        may_reroute=wr.who.may("fulfillmentReject"),
        today=datetime.now(UTC).date(),
    )


async def exceptions(wr: WebRequest) -> Response:
    return await _queue(wr, "console/exceptions.html")


async def exception_list(wr: WebRequest) -> Response:
    return await _queue(wr, "console/_queue.html")


async def _queue(wr: WebRequest, template: str, notice: str | None = None) -> Response:
    hours = backorder_hours(wr)
    if hours is None:
        return wr.refuse(422, "hours must be a whole number of hours (e.g. ?hours=24)")
    try:
        queue = await console.exception_queue(wr.store, backorder_hours=hours)
    except ValidationError as exc:
        return wr.refuse(422, exc.message)
    return wr.render(
        template,
        nav="exceptions",
        queue=queue,
        counts=queue_counts(queue),
        hint=failure_hint,
        notice=notice,
        who=wr.who,
    )


async def kpi_charts(wr: WebRequest) -> Response:
    days = _query_int(wr, "days", DEFAULT_DAYS)
    channel = wr.request.query_params.get("channel", "").strip()[:100] or None
    if days is None:
        return wr.refuse(422, "days must be a whole number (e.g. ?days=14)")
    try:
        total, series = await console.kpis_by_day(wr.store, days, channel)
    except ValidationError as exc:
        return wr.refuse(422, exc.message)
    return wr.render(
        "console/kpis.html",
        nav="kpis",
        tiles=_tiles(total, series),
        days=days,
        channel=channel or "",
        orders=total.orders,
    )


def _tiles(total: object, series: list[console.KpiDay]) -> list[dict[str, object]]:
    days = [s.day for s in series]
    made = []
    for name, title, percent, unit in KPI_TILES:
        values = [getattr(s.kpis, name) for s in series]
        value = getattr(total, name)
        made.append(
            {
                "name": name,
                "title": title,
                "value": svg.fmt(value, percent, unit),
                "chart": svg.line_chart(days, values, percent=percent, unit=unit),
            }
        )
    return made


async def live(wr: WebRequest) -> Response:
    """Server-sent events for the console: every order event (an order's page re-reads its
    story, the queue re-reads itself), and a change of the ingestion failures or dead letters
    (they make no order event), asked once a second."""
    order_id = wr.request.query_params.get("order")

    async def digest() -> object:
        return await console.exception_digest(wr.store)

    if order_id:
        return await event_stream(wr, lambda row: row.order_id == order_id)
    return await event_stream(wr, lambda row: True, digest)


# -- the routing sandbox (docs/simulation.md) ------------------------------------------------------


def _may_read_runs(wr: WebRequest) -> Response | None:
    if wr.who.may("routingSimulation"):
        return None
    return wr.refuse(403, f"this {wr.who.role.value} key may not use routingSimulation")


async def simulations(
    wr: WebRequest, status: int = 200, error: str | None = None, form: dict[str, str] | None = None
) -> Response:
    """The sandbox runs (newest first), the policies that can be simulated, and the form that
    starts a run (``actions.start_simulation``)."""
    if (refused := _may_read_runs(wr)) is not None:
        return refused
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    given = form or {
        "from": (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "to": (now + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    return wr.render(
        "console/simulations.html",
        status,
        nav="simulations",
        runs=await simulation.recent(wr.store),
        policies=await policies.list_policies(wr.store),
        may_run=wr.who.may("routingSimulationRun"),
        error=error,
        form=given,
    )


async def simulation_page(wr: WebRequest) -> Response:
    """A run: its progress (the fragment re-reads itself every second while RUNNING), the KPI
    table of both sides, the gates' verdict and the changed orders side by side."""
    if (refused := _may_read_runs(wr)) is not None:
        return refused
    run_id = wr.request.path_params["run_id"]
    run = await simulation.simulation(wr.store, run_id)
    if run is None:
        return wr.refuse(404, f"no sandbox run {run_id}")
    report = run.report
    return wr.render(
        "console/_simulation.html" if wr.htmx else "console/simulation.html",
        nav="simulations",
        run=run,
        running=run.status is SimulationStatus.RUNNING,
        report=report,
        kpis=[] if report is None else kpi_rows(report),
        changed=[]
        if report is None
        else [(c, shipments(c.plan), shipments(c.baseline_plan)) for c in report.changed_orders],
        # a window's keys are order ids; a file's are external ids or "#n"
        real_orders=run.request.get("window") is not None,
    )
