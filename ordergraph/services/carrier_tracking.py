"""Tracking back in (issue #17, docs/carriers.md): a carrier's tracking events applied to the
fulfillment that carries the tracking number.

Each carrier event is applied once (its id is kept on the fulfillment), under the order's
version, in one statement: the fulfillment's tracking status (failed attempts, exceptions and
returns to sender are flagged as its ``trackingException``, the exception queue), a
``fulfillment.tracking_updated`` event, and, when the carrier's ETA is later than the estimate,
the moved estimate and promise with one ``order.promise_changed`` event (``domain.tracking``).
Delivered goes through the existing deliver use case.

Accounts without webhooks (``ORDERGRAPH_CARRIER_<NAME>_TRACKING=poll``) are polled: the
``TrackingPoller`` (a leased loop, one per graph) asks each polled account, at most every
``_POLL_S`` seconds per shipment and at most ``carrier_poll_batch`` shipments per wake, for the
tracking of the SHIPPED fulfillments whose label it bought (``Carrier.track``), and applies each
answer through ``apply_event``, the webhook's own path: the same statuses, the same promise
moves, each state applied once (the answer's event id names the state it reports).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ordergraph.connectors.carriers.port import Carrier, TrackingEvent, TrackingStatus
from ordergraph.domain.errors import ErrorCode, OrderGraphError
from ordergraph.domain.events import encode
from ordergraph.domain.orders import FulfillmentStatus
from ordergraph.domain.tracking import move_promise
from ordergraph.graph import tracking as q
from ordergraph.graph.records.tracking import PollDue, TrackingWrite
from ordergraph.graph.store import GraphStore, GraphUnavailable
from ordergraph.services import lifecycle
from ordergraph.services.carrier_rates import carrier_accounts
from ordergraph.services.events import running
from ordergraph.services.leases import LeasedLoop
from ordergraph.settings import Settings

log = logging.getLogger(__name__)

EXCEPTIONS = frozenset(
    {TrackingStatus.FAILED_ATTEMPT, TrackingStatus.EXCEPTION, TrackingStatus.RETURNED_TO_SENDER}
)
ATTEMPTS = 5


def _event_id(event: TrackingEvent) -> str:
    if event.event_id:
        return event.event_id
    when = event.occurred_at.isoformat() if event.occurred_at else ""
    return f"{event.tracking_number}:{event.carrier_status}:{when}"


async def apply_event(
    store: GraphStore, adapter: str, event: TrackingEvent, *, now: datetime | None = None
) -> str:
    """``applied``, ``duplicate`` or ``unknown`` (no fulfillment has the tracking number)."""
    now = now or datetime.now(UTC)
    event_id = f"{adapter}:{_event_id(event)}"
    for _ in range(ATTEMPTS):
        rec = await q.tracked(store, event.tracking_number)
        if rec is None:
            return "unknown"
        if event_id in rec.seen:
            return "duplicate"
        move = move_promise(
            event.estimated_delivery, rec.estimated_delivery, rec.other_estimates, rec.promised_by
        )
        at = event.occurred_at or now
        events = [
            (
                "fulfillment.tracking_updated",
                encode(
                    {
                        "fulfillmentId": rec.fulfillment_id,
                        "status": event.status.value,
                        "carrierStatus": event.carrier_status,
                        "detail": event.detail,
                        "estimatedDelivery": None
                        if event.estimated_delivery is None
                        else event.estimated_delivery.isoformat(),
                    }
                ),
            )
        ]
        if move is not None and move.promised_by is not None:
            events.append(
                (
                    "order.promise_changed",
                    encode(
                        {
                            "fulfillmentId": rec.fulfillment_id,
                            "promisedBy": move.promised_by.isoformat(),
                            "previousPromisedBy": None
                            if rec.promised_by is None
                            else rec.promised_by.isoformat(),
                            "estimatedDelivery": move.estimated_delivery.isoformat(),
                            "reason": "carrier ETA",
                        }
                    ),
                )
            )
        write = TrackingWrite(
            order_id=rec.order_id,
            version=rec.version,
            fulfillment_id=rec.fulfillment_id,
            event_id=event_id,
            status=event.status.value,
            carrier_status=event.carrier_status,
            at=at.isoformat(),
            at_ms=int(at.timestamp() * 1000),
            exception=event.status.value if event.status in EXCEPTIONS else None,
            estimated_delivery=None if move is None else move.estimated_delivery,
            promised_by=None if move is None else move.promised_by,
            events=tuple(events),
            first_sequence=rec.event_seq + 1,
        )
        if await q.apply_tracking(store, write):
            break
    else:
        raise OrderGraphError(
            "the order kept changing while tracking was applied", ErrorCode.CONFLICT
        )
    if event.status is TrackingStatus.DELIVERED and rec.status is FulfillmentStatus.SHIPPED:
        await lifecycle.deliver(store, rec.fulfillment_id, event.occurred_at, now=now)
    return "applied"


async def apply_events(
    store: GraphStore, adapter: str, events: Sequence[TrackingEvent], *, now: datetime | None = None
) -> list[str]:
    return [await apply_event(store, adapter, event, now=now) for event in events]


# ---- the poller, for carrier accounts without webhooks ------------------------------------------

POLL_CONCURRENCY = 4  # carrier calls in flight at once during one poll


@dataclass
class PollResult:
    """What one poll did: shipments asked about, states applied, answers that changed nothing
    (the same state again, or nothing scanned yet), and asks or applications that failed."""

    asked: int = 0
    applied: int = 0
    unchanged: int = 0
    failed: int = 0


async def poll_tracking(
    store: GraphStore,
    carriers: Mapping[str, Carrier],
    intervals_s: Mapping[str, float],
    *,
    batch: int,
    timeout_s: float,
    budget_s: float | None = None,
    now: datetime | None = None,
) -> PollResult:
    """One poll: the due shipments of the polled accounts (``intervals_s``: account -> seconds
    between two asks about one shipment), asked concurrently, each answer applied as a webhook's
    would be. A failing carrier fails only its own shipments (counted and logged); every asked
    shipment waits its interval again, so a failing one never starves the others. The asks
    take at most ``budget_s`` together (the poller: half its lease); what has not answered by
    then is cancelled and counted as failed."""
    now = now or datetime.now(UTC)
    now_ms = int(now.timestamp() * 1000)
    polled = {name: every for name, every in intervals_s.items() if name in carriers}
    due = await q.due_for_poll(
        store, {name: now_ms - int(every * 1000) for name, every in polled.items()}, batch
    )
    result = PollResult(asked=len(due))
    if not due:
        return result
    gate = asyncio.Semaphore(POLL_CONCURRENCY)

    async def ask(shipment: PollDue) -> TrackingEvent | None:
        async with gate:  # httpx bounds each phase; this bounds the whole ask
            return await asyncio.wait_for(
                carriers[shipment.adapter].track(
                    shipment.tracking_number, carrier=shipment.carrier, timeout_s=timeout_s
                ),
                timeout_s * 2,
            )

    tasks = [asyncio.create_task(ask(d)) for d in due]
    try:
        _, late = await asyncio.wait(tasks, timeout=budget_s)
    finally:
        for task in tasks:
            task.cancel()  # past the budget (or the loop is stopping): no answer awaited
    await asyncio.gather(*tasks, return_exceptions=True)
    await q.mark_polled(store, [d.fulfillment_id for d in due], now_ms)
    for shipment, task in zip(due, tasks, strict=True):
        answer = (
            TimeoutError(f"no answer within the poll's {budget_s:.1f} s")
            if task in late
            else task.exception() or task.result()
        )
        if isinstance(answer, BaseException):
            result.failed += 1
            log.warning(
                "tracking poll of %s (%s) failed: %s: %s",
                shipment.fulfillment_id,
                shipment.adapter,
                type(answer).__name__,
                answer,
            )
            continue
        if answer is None:
            result.unchanged += 1
            continue
        try:
            outcome = await apply_event(store, shipment.adapter, answer, now=now)
        except GraphUnavailable:
            raise  # the graph is down: the loop backs off
        except Exception:
            result.failed += 1
            log.warning("tracking of %s not applied", shipment.fulfillment_id, exc_info=True)
            continue
        if outcome == "applied":
            result.applied += 1
        else:
            result.unchanged += 1
    return result


class TrackingPoller(LeasedLoop):
    """The polling loop; only the holder of the graph's ``carrier-tracking-poll`` lease polls."""

    lease_name = "carrier-tracking-poll"

    def __init__(
        self,
        store: GraphStore,
        carriers: Mapping[str, Carrier],
        intervals_s: Mapping[str, float],
        *,
        poll_s: float = 5.0,
        batch: int = 50,
        timeout_s: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lease_s: float = 10.0,
        owner: str | None = None,
    ) -> None:
        super().__init__(store, poll_s, lease_s=lease_s, owner=owner)
        self.carriers, self.intervals_s = dict(carriers), dict(intervals_s)
        self.batch, self.timeout_s, self.clock = batch, timeout_s, clock
        self.last = PollResult()

    @classmethod
    def from_settings(cls, store: GraphStore, settings: Settings) -> TrackingPoller | None:
        """None when no account is polled (every account has webhooks, or there are none)."""
        intervals = {
            name: float(account.poll_interval_s)
            for name, account in settings.carriers.items()
            if account.polled
        }
        if not intervals:
            return None
        return cls(
            store,
            carrier_accounts(settings),
            intervals,
            poll_s=settings.carrier_poll_tick_ms / 1000,
            batch=settings.carrier_poll_batch,
            timeout_s=settings.carrier_poll_timeout_ms / 1000,
        )

    async def work(self) -> int:
        started = time.perf_counter()
        self.last = await poll_tracking(
            self.store,
            self.carriers,
            self.intervals_s,
            batch=self.batch,
            timeout_s=self.timeout_s,
            budget_s=self.lease_s / 2,  # the lease outlives every poll: one poller at a time
            now=self.clock(),
        )
        if self.last.asked:
            log.info(
                "tracking poll: %d asked, %d applied, %d failed in %.0f ms",
                self.last.asked,
                self.last.applied,
                self.last.failed,
                (time.perf_counter() - started) * 1000,
            )
        return self.last.applied


@contextlib.asynccontextmanager
async def polling(store: GraphStore, settings: Settings) -> AsyncIterator[TrackingPoller | None]:
    """Run the tracking poller for the duration of the block (the app's lifespan), when some
    carrier account is polled."""
    poller = TrackingPoller.from_settings(store, settings)
    if poller is None:
        yield None
        return
    async with running(poller, "carrier-tracking-poll"):
        yield poller
