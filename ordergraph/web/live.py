"""Live updates for the browser apps: server-sent events from the shared event poll.

``event_stream(wr, wants)`` answers ``text/event-stream`` with one SSE message per order event
that the signed-in principal may see (``visible``: the API's scoping, a partner only events
about its locations' work) and that ``wants`` selects. A message carries no personal data and
no payload, only what to refresh: ``event: order`` with ``{"type", "orderId", "sequence",
"location"}``. The page's script (``static/web.js``) turns each message into an htmx
``refresh`` event on every element marked ``data-live``; those re-fetch themselves.

The first line (``retry:``) is sent once the subscription is in place: a client that has
read it misses no later event. The stream re-checks the session's key every ``RECHECK_S`` and
ends when the key is revoked or the session expires; a comment is sent every ``HEARTBEAT_S`` so
that proxies keep it open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.responses import Response, StreamingResponse

from ordergraph.domain.access import Principal
from ordergraph.graph.records.events import EventRecord
from ordergraph.web.pages import WebRequest

HEARTBEAT_S = 15.0
RECHECK_S = 30.0
CHANGED_S = 1.0  # how often ``changed`` is asked (state that makes no order event)


def event_locations(row: EventRecord) -> set[str]:
    """The locations an event is about: its ``location`` and its fulfillments' locations."""
    found = set()
    location = row.payload.get("location")
    if isinstance(location, str):
        found.add(location)
    for f in row.payload.get("fulfillments") or ():
        if isinstance(f, dict) and isinstance(f.get("location"), str):
            found.add(f["location"])
    return found


def visible(principal: Principal, row: EventRecord) -> bool:
    """Whether ``principal`` may learn that this event happened (as the API scopes events)."""
    if principal.trusted():
        return True
    return bool(principal.locations & event_locations(row))


async def event_stream(
    wr: WebRequest,
    wants: Callable[[EventRecord], bool],
    changed: Callable[[], Awaitable[object]] | None = None,
) -> Response:
    """``changed`` (optional): a cheap read of state that makes no order event (the console's
    ingestion failures and dead letters), asked every ``CHANGED_S``; when its answer differs
    from the last, the stream sends ``event: order`` with ``{"type": "Changed"}``."""
    hub = wr.web.state.hub
    if hub is None:
        return wr.refuse(503, "live updates are not running on this server")
    who = wr.who
    key_id, expires = wr.session.key_id, wr.session.expires

    async def messages() -> AsyncIterator[str]:
        source = hub.watch().__aiter__()
        checked = time.monotonic()
        # the subscription is made by the watch's first step: take it before the first line, so
        # that a client that has read the first line misses no event after it
        pending: asyncio.Future[EventRecord] | None = asyncio.ensure_future(source.__anext__())
        try:
            last = None if changed is None else await changed()
            asked = quiet = time.monotonic()
            await asyncio.sleep(0)
            yield "retry: 3000\n\n"
            while True:
                if time.time() >= expires:
                    return
                if time.monotonic() - checked > RECHECK_S:
                    checked = time.monotonic()
                    if key_id is None or await wr.web.principal(key_id) is None:
                        return
                if pending is None:
                    pending = asyncio.ensure_future(source.__anext__())
                wait = HEARTBEAT_S if changed is None else CHANGED_S
                done, _ = await asyncio.wait({pending}, timeout=wait)
                if changed is not None and time.monotonic() - asked >= CHANGED_S:
                    asked = time.monotonic()
                    if (now := await changed()) != last:
                        last, quiet = now, asked
                        yield f"event: order\ndata: {json.dumps({'type': 'Changed'})}\n\n"
                if not done:
                    if time.monotonic() - quiet >= HEARTBEAT_S:
                        quiet = time.monotonic()
                        yield ": keep-alive\n\n"
                    continue
                row, pending = pending.result(), None
                if not (visible(who, row) and wants(row)):
                    continue
                data = {
                    "type": row.type,
                    "orderId": row.order_id,
                    "sequence": row.sequence,
                    "locations": sorted(_shown(who, event_locations(row))),
                }
                yield f"event: order\ndata: {json.dumps(data)}\n\n"
        finally:
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending
            with contextlib.suppress(Exception):
                await source.aclose()  # type: ignore[attr-defined]

    return StreamingResponse(
        messages(),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


def _shown(who: Principal, locations: set[str]) -> set[str]:
    """The locations whose names ``who`` may see in a message (a partner: its own)."""
    return locations if who.trusted() else locations & who.locations
