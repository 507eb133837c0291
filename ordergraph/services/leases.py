"""Background loops that must run once per graph: the holder of a lease in the graph works,
every other process waits (``graph/events.py`` keeps the leases).

``LeasedLoop`` is the one loop: every ``poll_s`` it takes or renews its lease (renewed once half
of it has passed), runs ``work`` while it holds it, backs off when a poll fails (doubling, at most
10 s) and never stops for a failure, and hands the lease over when it stops. The channel feed
(``services/channel_feed.py``) and the carrier tracking poller (``services/carrier_tracking.py``)
are two; ``services.events.running`` runs one for the duration of the app's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from datetime import UTC, datetime

from ordergraph.graph import events as leases
from ordergraph.graph.store import GraphStore

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 10.0


class LeasedLoop:
    """Subclasses name their lease (``lease_name``) and do one poll's work (``work``)."""

    lease_name = ""

    def __init__(
        self, store: GraphStore, poll_s: float, *, lease_s: float = 10.0, owner: str | None = None
    ) -> None:
        self.store, self.poll_s, self.lease_s = store, poll_s, lease_s
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.leader = False
        self._until = 0

    async def work(self) -> int:
        """One poll's work while the lease is held; how much it did."""
        raise NotImplementedError

    async def hold_lease(self) -> bool:
        now = int(datetime.now(UTC).timestamp() * 1000)
        lease_ms = int(self.lease_s * 1000)
        if self.leader and now < self._until - lease_ms // 2:
            return True
        if not self.leader and await leases.lease_holder(self.store, self.lease_name) is None:
            await leases.know_lease_label(self.store)
        ok = await leases.take_lease(self.store, self.lease_name, self.owner, now, now + lease_ms)
        self.leader, self._until = ok, now + lease_ms if ok else 0
        return ok

    async def tick(self) -> int:
        return await self.work() if await self.hold_lease() else 0

    async def _poll(self, failures: int) -> int:
        """One poll; the failures in a row after it (a failing poll is retried less often)."""
        try:
            await self.tick()
        except Exception:
            log.warning(
                "%s poll failed (%d in a row)", self.lease_name, failures + 1, exc_info=True
            )
            return failures + 1
        return 0

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        try:
            while not stop.is_set():
                failures = await self._poll(failures)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        stop.wait(), min(self.poll_s * 2**failures, MAX_BACKOFF_S)
                    )
        finally:
            if self.leader:
                with contextlib.suppress(Exception):
                    await leases.release_lease(self.store, self.lease_name, self.owner)
                self.leader = False
