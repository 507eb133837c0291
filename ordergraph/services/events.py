"""Outbound events: webhook subscriptions, the delivery dispatcher, live event streams.

The dispatcher (one per graph at a time, chosen by a lease in the graph) loops every poll:

1. **fan out**: events with ``pending = true`` (oldest orders' events in sequence order) become
   one ``Delivery`` per matching subscription, in the same write that clears ``pending``. The
   first open delivery of a stream (subscription + order) is READY, later ones WAITING;
2. **send**: READY deliveries that are due are POSTed concurrently (at most one per stream, so
   one order's failures never hold up another order);
3. **record**: each answer is written back: DELIVERED, or READY again with ``attempts`` and
   ``nextAtMs`` (exponential backoff with jitter), or DEAD after the last attempt. A settled
   head makes its stream's next WAITING delivery READY in the same statement.

Everything that matters is in the graph, so a restart resumes where the last process stopped;
an attempt that was in flight when it died is simply sent again (at least once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import re
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import httpx

from ordergraph.connectors import webhooks
from ordergraph.domain.errors import NotFound, ValidationError
from ordergraph.domain.events import selected
from ordergraph.graph import events as q
from ordergraph.graph.records.events import (
    AttemptResult,
    DeliveryRecord,
    DeliveryStatus,
    Endpoint,
    EventRecord,
    PendingEvent,
    SubscriptionRecord,
    instant,
)
from ordergraph.graph.store import GraphStore
from ordergraph.settings import Settings

log = logging.getLogger("ordergraph.webhooks")

MIN_SECRET = 16
MAX_SECRET = 512
MAX_TYPES = 100
MAX_IDS = 100
_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,99}")
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def now_ms() -> int:
    return int(time.time() * 1000)


# ---- subscriptions ---------------------------------------------------------------------------


async def create_subscription(
    store: GraphStore,
    url: str,
    secret: str,
    event_types: Sequence[str] | None = None,
    description: str | None = None,
    *,
    at_ms: int | None = None,
    allow_private: Sequence[str] = (),
) -> SubscriptionRecord:
    """Validate and store a subscription; it receives events created from now on.

    The URL must be public (``webhooks.resolved_problem``) unless ``allow_private``
    (``settings.webhook_allow_private``) holds its address; every delivery checks again."""
    url = url.strip()
    problem = await webhooks.resolved_problem(url, webhooks.networks(allow_private))
    if problem:
        raise ValidationError(problem, field=("url",))
    if not MIN_SECRET <= len(secret) <= MAX_SECRET:
        raise ValidationError(
            f"secret must be {MIN_SECRET} to {MAX_SECRET} characters "
            "(a random value; it signs every delivery)",
            field=("secret",),
        )
    types = sorted({t.strip() for t in event_types or ()})
    if len(types) > MAX_TYPES:
        raise ValidationError(f"at most {MAX_TYPES} event types", field=("eventTypes",))
    for i, kind in enumerate(types):
        if not _TYPE.fullmatch(kind):
            raise ValidationError(
                f"{kind!r} is not an event type name (e.g. OrderCreated)",
                field=("eventTypes", str(i)),
            )
    if description is not None and len(description) > 500:
        raise ValidationError("description may be at most 500 characters", field=("description",))
    at = now_ms() if at_ms is None else at_ms
    subscription = SubscriptionRecord(
        id="WH-" + "".join(secrets.choice(_ALPHABET) for _ in range(10)),
        url=url,
        event_types=tuple(types),
        active=True,
        description=description or None,
        created_at=instant(at),
        created_at_ms=at,
    )
    return await q.create_subscription(store, subscription, secret)


def shown_url(url: str) -> str:
    """A subscription's URL as the API shows it: never with credentials."""
    return webhooks.redacted(url)


async def delete_subscription(store: GraphStore, subscription_id: str) -> None:
    if not await q.delete_subscription(store, subscription_id):
        raise NotFound(f"no webhook subscription {subscription_id!r}", ("id",))


async def replay_dead_letters(
    store: GraphStore, ids: Sequence[str], *, at_ms: int | None = None
) -> tuple[list[str], list[NotFound]]:
    """Send dead deliveries again (full attempts). Returns (replayed, problems per unknown id)."""
    if not ids:
        raise ValidationError("give at least one dead letter id", field=("ids",))
    if len(ids) > MAX_IDS:
        raise ValidationError(f"at most {MAX_IDS} ids at once", field=("ids",))
    unique = list(dict.fromkeys(ids))
    done = await q.replay(store, unique, now_ms() if at_ms is None else at_ms)
    problems = [
        NotFound(f"{i!r} is not a dead letter", ("ids", str(ids.index(i))))
        for i in unique
        if not done.get(i)
    ]
    return [i for i in unique if done.get(i)], problems


# ---- delivery policy -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryConfig:
    poll_s: float = 0.2
    retry_base_s: float = 0.5
    retry_cap_s: float = 3600.0  # no wait between two attempts is longer than this
    max_attempts: int = 8
    timeout_s: float = 10.0  # per attempt, on top of the shared client's own timeouts
    batch: int = 500  # events fanned out per poll
    concurrency: int = 32  # attempts in flight at once
    lease_s: float = 10.0  # a dead dispatcher's lease expires after this
    lease_name: str = "webhook-dispatcher"
    shutdown_grace_s: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> DeliveryConfig:
        return replace(
            cls(
                poll_s=settings.webhook_poll_ms / 1000,
                retry_base_s=settings.webhook_retry_base_ms / 1000,
                max_attempts=max(1, settings.webhook_max_attempts),
            ),
            **overrides,
        )


def backoff_s(
    attempts: int, config: DeliveryConfig, rand: Callable[[], float] = random.random
) -> float:
    """Wait after the ``attempts``-th failure: base * 2^(n-1), capped, with equal jitter."""
    ceiling = min(config.retry_cap_s, config.retry_base_s * 2.0 ** max(0, attempts - 1))
    return ceiling / 2 + rand() * ceiling / 2


def wants(subscription: SubscriptionRecord, event: PendingEvent) -> bool:
    """Its types (none: all but ``events.NAMED_ONLY``), and only events from its creation on."""
    return (
        selected(event.type, subscription.event_types) and event.at_ms >= subscription.created_at_ms
    )


def stream_of(subscription_id: str, event: PendingEvent) -> str:
    return f"{subscription_id}|{event.order_id or event.stream or event.id}"


def plan_fan_out(
    events: Iterable[PendingEvent],
    subscriptions: Sequence[SubscriptionRecord],
    open_streams: set[str],
    at_ms: int,
) -> list[DeliveryRecord]:
    """One delivery per (event, matching subscription): READY heads its stream, else WAITING."""
    busy = set(open_streams)
    planned = []
    for event in sorted(events, key=lambda e: (str(e.order_id), e.sequence)):
        for sub in subscriptions:
            if not wants(sub, event):
                continue
            stream = stream_of(sub.id, event)
            planned.append(
                DeliveryRecord(
                    id=f"{sub.id}|{event.id}",
                    subscription_id=sub.id,
                    event_id=event.id,
                    order_id=event.order_id,
                    event_type=event.type,
                    sequence=event.sequence,
                    stream=stream,
                    status=DeliveryStatus.WAITING if stream in busy else DeliveryStatus.READY,
                    attempts=0,
                    next_at_ms=at_ms,
                    created_at_ms=at_ms,
                )
            )
            busy.add(stream)
    return planned


def settle(
    delivery: DeliveryRecord,
    outcome: webhooks.Outcome,
    at_ms: int,
    config: DeliveryConfig,
    rand: Callable[[], float] = random.random,
) -> AttemptResult:
    """What one attempt's outcome does to its delivery (for ``q.record_results``)."""
    attempts = delivery.attempts + 1
    if outcome.ok:
        status, next_at = DeliveryStatus.DELIVERED, None
    elif attempts >= config.max_attempts:
        status, next_at = DeliveryStatus.DEAD, None
    else:
        status = DeliveryStatus.READY
        next_at = at_ms + int(backoff_s(attempts, config, rand) * 1000)
    return AttemptResult(
        id=delivery.id,
        before=delivery.attempts,
        status=status,
        attempts=attempts,
        next_at_ms=next_at,
        error=outcome.error,
        code=outcome.status,
        at_ms=at_ms,
    )


def message(event: EventRecord) -> webhooks.Message:
    """The event as its webhook subscribers receive it."""
    return webhooks.Message(
        id=event.id,
        type=event.type,
        order_id=event.order_id,
        sequence=event.sequence,
        at=event.at.isoformat(),
        payload=event.payload,
    )


# ---- the dispatcher --------------------------------------------------------------------------


class Dispatcher:
    """One process's dispatcher. ``run`` until ``stop`` is set; ``tick`` is one poll."""

    def __init__(
        self,
        store: GraphStore,
        client: httpx.AsyncClient,
        config: DeliveryConfig,
        *,
        owner: str | None = None,
    ) -> None:
        self.store, self.client, self.config = store, client, config
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.leader = False
        self._lease_until = 0
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._results: list[AttemptResult] = []
        self._wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        try:
            while not stop.is_set():
                try:
                    await self.tick()
                    failures = 0
                except Exception:
                    failures += 1
                    log.warning(
                        "webhook dispatcher tick failed (%d in a row)",
                        failures,
                        exc_info=failures == 1,
                    )
                await self._pause(stop, min(self.config.poll_s * 2**failures, 5.0))
        finally:
            await self._shutdown()

    async def tick(self) -> None:
        if not await self._hold_lease(now_ms()):
            return
        await self._record()
        await self.fan_out(now_ms())
        await self._launch(now_ms())

    async def _hold_lease(self, now: int) -> bool:
        lease_ms = int(self.config.lease_s * 1000)
        if self.leader and now < self._lease_until - lease_ms // 2:
            return True
        if not self.leader:
            holder = await q.lease_holder(self.store, self.config.lease_name)
            if holder and holder.owner != self.owner and holder.until_ms >= now:
                return False
            if holder is None:
                await q.know_lease_label(self.store)
        ok = await q.take_lease(self.store, self.config.lease_name, self.owner, now, now + lease_ms)
        if ok and not self.leader:
            repaired = await q.repair_streams(self.store, now)
            log.info(
                "webhook dispatcher %s leads%s",
                self.owner,
                f"; repaired {repaired} streams" if repaired else "",
            )
        elif not ok and self.leader:
            log.warning("webhook dispatcher %s lost its lease", self.owner)
        self.leader, self._lease_until = ok, now + lease_ms if ok else 0
        return ok

    async def _record(self) -> None:
        if not self._results:
            return
        batch, self._results = self._results, []
        try:
            await q.record_results(self.store, batch)
        except BaseException:
            self._results = batch + self._results
            raise

    async def fan_out(self, now: int) -> None:
        """Turn pending events into deliveries (one statement); public for tests and tools."""
        events = await q.pending_events(self.store, self.config.batch)
        if not events:
            return
        subs = await q.active_subscriptions(self.store)
        streams = sorted({stream_of(s.id, e) for e in events for s in subs if wants(s, e)})
        busy = await q.open_streams(self.store, streams) if streams else set()
        planned = plan_fan_out(events, subs, busy, now)
        await q.fan_out(self.store, planned, [e.id for e in events], now)

    async def _launch(self, now: int) -> None:
        free = self.config.concurrency - len(self._inflight)
        if free <= 0:
            return
        # busy: in flight, or answered but not recorded yet (still READY in the graph)
        busy = [*self._inflight, *(r.id for r in self._results)]
        for due in await q.due_deliveries(self.store, now, free, busy):
            delivery, event, endpoint = due.delivery, due.event, due.endpoint
            if event is None or endpoint is None:
                # it cannot be sent (gone, or its event unreadable): a dead letter at once
                unsendable = webhooks.Outcome(False, None, due.problem)
                once = replace(self.config, max_attempts=1)
                self._results.append(settle(delivery, unsendable, now, once))
                continue
            self._inflight[delivery.id] = asyncio.create_task(
                self._send(delivery, message(event), endpoint)
            )

    async def _send(
        self, delivery: DeliveryRecord, outgoing: webhooks.Message, endpoint: Endpoint
    ) -> None:
        try:
            outcome = await webhooks.post(
                self.client, endpoint.url, outgoing, endpoint.secret, timeout=self.config.timeout_s
            )
        except Exception as exc:
            log.exception("webhook attempt %s failed unexpectedly", delivery.id)
            outcome = webhooks.Outcome(False, None, f"internal error: {type(exc).__name__}")
        self._results.append(settle(delivery, outcome, now_ms(), self.config))
        self._inflight.pop(delivery.id, None)
        self._wake.set()

    async def _pause(self, stop: asyncio.Event, seconds: float) -> None:
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            self._wake.clear()

    async def _shutdown(self) -> None:
        tasks = list(self._inflight.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.config.shutdown_grace_s)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self.leader:
            try:
                await self._record()
                await q.release_lease(self.store, self.config.lease_name, self.owner)
            except Exception:
                log.warning("webhook dispatcher could not hand over cleanly", exc_info=True)
            self.leader = False


async def run_dispatcher(
    store: GraphStore,
    client: httpx.AsyncClient,
    *,
    stop_event: asyncio.Event,
    config: DeliveryConfig | None = None,
    owner: str | None = None,
) -> None:
    await Dispatcher(store, client, config or DeliveryConfig(), owner=owner).run(stop_event)


@contextlib.asynccontextmanager
async def dispatching(
    store: GraphStore, client: httpx.AsyncClient, settings: Settings, **overrides: Any
) -> AsyncIterator[Dispatcher]:
    """Run the dispatcher for the duration of the block (the app's lifespan)."""
    dispatcher = Dispatcher(store, client, DeliveryConfig.from_settings(settings, **overrides))
    async with running(dispatcher, "webhook-dispatcher"):
        yield dispatcher


class Loop(Protocol):
    """A background loop that runs until its stop event is set."""

    async def run(self, stop: asyncio.Event) -> None: ...


@contextlib.asynccontextmanager
async def running(loop: Loop, name: str) -> AsyncIterator[None]:
    """Run ``loop`` as a task named ``name`` for the duration of the block; at its end, stop it
    and wait for it (the webhook dispatcher's and the channel feed's lifespans)."""
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop), name=name)
    try:
        yield
    finally:
        stop.set()
        await task


# ---- live events (GraphQL subscriptions) -------------------------------------------------------


async def watch_events(
    store: GraphStore,
    *,
    order_id: str | None = None,
    types: Sequence[str] | None = None,
    poll_s: float = 0.2,
    since_ms: int | None = None,
    lookback_ms: int = 3000,
    page: int = 100,
) -> AsyncIterator[EventRecord]:
    """Events as they are written (by any process), each once, oldest first.

    Polls for events with ``atMs`` from the start (or ``since_ms``); re-reads the last
    ``lookback_ms`` each time, so an event committed a little after its ``atMs`` is not missed.
    """
    start = now_ms() if since_ms is None else since_ms
    seen: dict[str, int] = {}
    newest = start
    while True:
        floor = max(start, min(newest, now_ms()) - lookback_ms)
        after: tuple[int, str] | None = None
        while True:
            rows = await q.events_since(
                store, floor, order_id=order_id, types=types, after=after, limit=page
            )
            rows.sort(key=lambda r: (event_ms(r), r.order_id, r.sequence))
            for row in rows:
                if row.id not in seen and selected(row.type, types):
                    seen[row.id] = event_ms(row)
                    newest = max(newest, event_ms(row))
                    yield row
            if len(rows) < page:
                break
            after = max((event_ms(r), r.id) for r in rows)  # the keyset order
        floor = max(start, min(newest, now_ms()) - lookback_ms)
        seen = {k: v for k, v in seen.items() if v >= floor}
        await asyncio.sleep(poll_s)


def event_ms(event: EventRecord) -> int:
    """The event's instant in epoch ms (``events_since`` reads only events that have one)."""
    return 0 if event.at_ms is None else event.at_ms
