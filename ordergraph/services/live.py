"""Live order events for GraphQL subscriptions: one shared poll per process, fanned out.

However many subscriptions a process serves, it polls the graph for new events once every
``poll_s`` (one ``watch_events`` loop, started with the first subscriber and stopped with the
last) and hands each event to the subscribers whose filter it matches. A subscriber that falls
``QUEUE`` events behind is ended rather than buffered without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from ordergraph.domain.errors import ValidationError
from ordergraph.domain.events import selected
from ordergraph.graph.records.events import EventRecord
from ordergraph.graph.store import GraphStore
from ordergraph.services import events

QUEUE = 1000
RECENT_MS = 5000  # events kept to replay to a subscriber that joins just after they were read


@dataclass(eq=False)
class _Subscriber:
    order_id: str | None
    types: frozenset[str] | None
    since_ms: int
    # an event; None: too far behind; an exception: the shared poll failed with it
    queue: asyncio.Queue[EventRecord | Exception | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE + 1)
    )

    def wants(self, row: EventRecord) -> bool:
        return (
            events.event_ms(row) >= self.since_ms
            and (self.order_id is None or row.order_id == self.order_id)
            and selected(row.type, self.types)
        )

    def offer(self, row: EventRecord) -> bool:
        if self.queue.qsize() >= QUEUE:
            self.queue.put_nowait(None)  # too far behind: the stream ends
            return False
        self.queue.put_nowait(row)
        return True


class EventHub:
    """One poll loop for every live subscription of this process."""

    def __init__(self, store: Callable[[], GraphStore], poll_s: float) -> None:
        self._store, self.poll_s = store, poll_s
        self._subscribers: set[_Subscriber] = set()
        self._recent: deque[EventRecord] = deque(maxlen=5000)
        self._task: asyncio.Task[None] | None = None

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    async def watch(
        self,
        *,
        order_id: str | None = None,
        types: Sequence[str] | None = None,
        since_ms: int | None = None,
    ) -> AsyncIterator[EventRecord]:
        sub = _Subscriber(
            order_id,
            frozenset(types) if types else None,
            events.now_ms() if since_ms is None else since_ms,
        )
        for row in list(self._recent):
            if sub.wants(row):
                sub.offer(row)
        self._subscribers.add(sub)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(sub.since_ms), name="live-events")
        try:
            while True:
                got = await sub.queue.get()
                if got is None:
                    raise ValidationError(
                        f"this subscription fell more than {QUEUE} events behind and was ended"
                    )
                if isinstance(got, Exception):
                    raise got
                yield got
        finally:
            self._subscribers.discard(sub)
            if not self._subscribers and self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._task
                self._task = None
                self._recent.clear()

    async def _run(self, since_ms: int) -> None:
        try:
            await self._poll(since_ms)
        except Exception as exc:  # e.g. a corrupt event: every subscriber ends with the error
            for sub in list(self._subscribers):
                sub.queue.put_nowait(exc)
            self._subscribers.clear()
            raise

    async def _poll(self, since_ms: int) -> None:
        async for row in events.watch_events(self._store(), poll_s=self.poll_s, since_ms=since_ms):
            self._recent.append(row)
            floor = events.now_ms() - RECENT_MS
            while self._recent and events.event_ms(self._recent[0]) < floor:
                self._recent.popleft()
            for sub in list(self._subscribers):
                if sub.wants(row) and not sub.offer(row):
                    self._subscribers.discard(sub)
