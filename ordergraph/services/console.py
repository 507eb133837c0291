"""What the operations console reads (ordergraph/web/console/, docs/console.md): order search,
one order's whole story, the network's load, the exception queue and KPIs by day.

Reads only: the console's actions call the use cases every other entry point calls
(``ingestion.replay``, ``events.replay_dead_letters``, ``lifecycle.reject``,
``lifecycle.allocate_backorders``, ``labels.cancel_order_voiding``). Objects are checked as the
API checks them (``Principal.order_access`` through ``tracking.order_view``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ordergraph.domain import kpis
from ordergraph.domain.access import Principal
from ordergraph.domain.errors import ValidationError
from ordergraph.domain.geo import normalise_postal_code
from ordergraph.domain.lifecycle import MAX_REJECTIONS
from ordergraph.domain.orders import MAX_TEXT, normal_email
from ordergraph.domain.routing.types import RoutingPlan
from ordergraph.graph import console as q
from ordergraph.graph import events as event_reads
from ordergraph.graph import kpis as kpi_reads
from ordergraph.graph import lifecycle as fulfillment_reads
from ordergraph.graph import orders as order_reads
from ordergraph.graph import returns as return_reads
from ordergraph.graph.records.console import (
    BackorderedLine,
    ExceptionDigest,
    LateFulfillment,
)
from ordergraph.graph.records.events import DeliveryRecord, EventRecord
from ordergraph.graph.records.ingestion import IngestionFailureRecord
from ordergraph.graph.records.orders import OrderRecord
from ordergraph.graph.records.returns import ReturnRecord
from ordergraph.graph.store import GraphStore
from ordergraph.services import ingestion
from ordergraph.services.kpis import order_fact
from ordergraph.services.tracking import OrderView, order_view

MAX_FOUND = 50
QUEUE_ROWS = 100  # per kind of exception
MAX_CHART_DAYS = 92


async def search_orders(store: GraphStore, who: Principal, text: str) -> list[OrderRecord]:
    """Orders by id, external id, customer e-mail or ship-to postal code (what was typed,
    tried as each), newest first, only those ``who`` may read."""
    typed = text.strip()
    if not typed:
        return []
    if len(typed) > MAX_TEXT:
        raise ValidationError(f"search for at most {MAX_TEXT} characters", field=("q",))
    found = await q.find_orders(
        store,
        typed,
        normal_email(typed) or "",
        normalise_postal_code(typed) if "@" not in typed else "",
        MAX_FOUND,
    )
    if who.trusted():
        return found
    held = await order_reads.fulfillments_by_order(store, [o.id for o in found])
    return [
        o
        for o, fs in zip(found, held, strict=True)
        if who.order_access(o.channel, [(f.location_id, f.status.value) for f in fs]) is not None
    ]


@dataclass(frozen=True)
class OrderStory:
    """One order for the console: what the API shows of it, its events, routing and returns."""

    view: OrderView
    events: tuple[EventRecord, ...]
    plan: RoutingPlan | None  # None for a partner (``sees_routing``) or an order without one
    returns: tuple[ReturnRecord, ...]


async def order_story(store: GraphStore, who: Principal, order_id: str) -> OrderStory:
    """``NotFound`` when the order does not exist or ``who`` may not read it."""
    view = await order_view(store, who, order_id, None)
    (events,) = await order_reads.events_by_order(store, [order_id])
    (returns,) = await return_reads.returns_of_order(store, [order_id])
    routing = view.order.routing
    plan = RoutingPlan.from_record(routing) if routing and who.sees_routing() else None
    seen = tuple(r for r in returns if who.sees_fulfillment_at(r.location_id))
    return OrderStory(view, tuple(events), plan, seen)


network_load = q.network_load  # a plain read with no rule to apply


@dataclass(frozen=True)
class ExceptionQueue:
    """What needs a person, by kind (each at most ``QUEUE_ROWS``, oldest or newest first)."""

    capped: tuple[BackorderedLine, ...]  # re-routed ``MAX_REJECTIONS`` times: no longer routed
    backorders: tuple[BackorderedLine, ...]  # waiting longer than ``backorder_hours``
    late: tuple[LateFulfillment, ...]
    failures: tuple[IngestionFailureRecord, ...]
    dead_letters: tuple[DeliveryRecord, ...]
    backorder_hours: int
    today: date

    @property
    def size(self) -> int:
        return (
            len(self.capped)
            + len(self.backorders)
            + len(self.late)
            + len(self.failures)
            + len(self.dead_letters)
        )


def check_hours(hours: int) -> int:
    if not 0 <= hours <= 24 * 366:
        raise ValidationError("backorder hours must be between 0 and 8784", field=("hours",))
    return hours


async def exception_queue(
    store: GraphStore, *, backorder_hours: int, now: datetime | None = None
) -> ExceptionQueue:
    at = (now or datetime.now(UTC)).astimezone(UTC)
    before = at - timedelta(hours=check_hours(backorder_hours))
    lines = await q.backordered_lines(
        store,
        before_ms=int(before.timestamp() * 1000),
        cap=MAX_REJECTIONS,
        limit=2 * QUEUE_ROWS,
    )
    failures = await ingestion.failure_page(
        store, first=QUEUE_ROWS - 1, after=None, channel=None, status="OPEN"
    )
    dead = await event_reads.dead_letters(store, first=QUEUE_ROWS - 1, after=None)
    return ExceptionQueue(
        capped=tuple(line for line in lines if line.rejections >= MAX_REJECTIONS)[:QUEUE_ROWS],
        backorders=tuple(line for line in lines if line.rejections < MAX_REJECTIONS)[:QUEUE_ROWS],
        late=tuple(await q.late_fulfillments(store, at.date().isoformat(), QUEUE_ROWS)),
        failures=tuple(failures),
        dead_letters=tuple(dead),
        backorder_hours=backorder_hours,
        today=at.date(),
    )


async def exception_digest(store: GraphStore) -> ExceptionDigest:
    return await q.exception_digest(store)


@dataclass(frozen=True)
class KpiDay:
    day: date
    kpis: kpis.Kpis


async def kpis_by_day(
    store: GraphStore, days: int, channel: str | None, *, today: date | None = None
) -> tuple[kpis.Kpis, list[KpiDay]]:
    """The KPIs of the orders placed over the last ``days`` UTC days (today included), for the
    whole window and per day (one read; the same formulas as ``kpis(from, to, channel)``)."""
    if not 1 <= days <= MAX_CHART_DAYS:
        raise ValidationError(f"days must be between 1 and {MAX_CHART_DAYS}", field=("days",))
    last = today or datetime.now(UTC).date()
    first = last - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    end = start + timedelta(days=days)
    found = await kpi_reads.orders_placed(
        store, int(start.timestamp() * 1000), int(end.timestamp() * 1000), channel or None
    )
    facts = [order_fact(o) for o in found]
    by_day: dict[date, list[kpis.OrderFact]] = {}
    for fact in facts:
        by_day.setdefault(fact.placed_at.astimezone(UTC).date(), []).append(fact)
    series = [
        KpiDay(d, kpis.compute(by_day.get(d, [])))
        for d in (first + timedelta(days=n) for n in range(days))
    ]
    return kpis.compute(facts), series


fulfillment_location = fulfillment_reads.fulfillment_location  # an action's object check
