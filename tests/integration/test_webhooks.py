"""Webhook delivery on the real engine to a real HTTP receiver: failures, order, dead letters.

The receiver is a small HTTP/1.1 server on 127.0.0.1 (a random port) that answers each request
as the test scripts it: 200, 500, or too late (the dispatcher times out first).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from ordergraph.connectors import webhooks
from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.graph import events as q
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.orders import events_by_order
from ordergraph.graph.records.events import EventRecord, PendingEvent, SubscriptionRecord, instant
from ordergraph.graph.store import GraphUnavailable
from ordergraph.services import events, lifecycle
from ordergraph.services.events import DeliveryConfig
from ordergraph.services.orders import place_order

SECRET = "s3cret-s3cret-s3cret"
FAST = DeliveryConfig(poll_s=0.02, retry_base_s=0.02, max_attempts=8, timeout_s=0.3, lease_s=1.0)
LOOPBACK = ("127.0.0.0/8",)  # the receiver is on loopback: allowed explicitly, as an operator would


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    arrived: float
    status: int = 0
    answered: float = 0.0
    late: bool = False  # answered after the sender gave up: not an acknowledgement

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]

    @property
    def acked(self) -> bool:
        return 200 <= self.status < 300 and not self.late


Decide = Callable[[Hit, int], Awaitable[int]]


async def always_ok(hit: Hit, n: int) -> int:
    return 200


class Receiver:
    """A real HTTP endpoint. ``decide(hit, n)`` answers the n-th request (from 0)."""

    def __init__(self, decide: Decide = always_ok) -> None:
        self.decide = decide
        self.hits: list[Hit] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        for writer in list(self._writers):  # EOF for idle connections; late answers go nowhere
            writer.close()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        await self._server.wait_closed()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            while line := await reader.readline():
                path = line.decode().split(" ")[1]
                headers: dict[str, str] = {}
                while (raw := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = raw.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                hit = Hit(path, headers, body, time.monotonic())
                self.hits.append(hit)
                status = await self.decide(hit, len(self.hits) - 1)
                hit.status, hit.answered = status, time.monotonic()
                text = b"" if status < 300 else b"nope"
                head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(text)}\r\n\r\n"
                writer.write(head.encode() + text)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()

    def acked_ids(self, path: str | None = None) -> set[str]:
        return {h.event["id"] for h in self.hits if h.acked and (path is None or h.path == path)}


async def late(hit: Hit, seconds: float = 0.6) -> int:
    """Answer after the dispatcher's timeout (0.3 s): it counts as a failure."""
    hit.late = True
    await asyncio.sleep(seconds)
    return 200


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def dispatcher(
    store: FalkorStore, config: DeliveryConfig = FAST, owner: str | None = None
) -> AsyncIterator[asyncio.Task[None]]:
    async with webhooks.http_client(allow=LOOPBACK) as client:
        stop = asyncio.Event()
        task = asyncio.create_task(
            events.run_dispatcher(store, client, stop_event=stop, config=config, owner=owner)
        )
        try:
            yield task
        finally:
            stop.set()
            if not task.done():
                await task


async def place(store: FalkorStore, units: int = 1) -> str:
    placed = await place_order(
        store,
        OrderRequest(
            channel="web",
            lines=(OrderLine("SKU-1", units),),
            ship_to=Address(postal_code="94107", country="US"),
        ),
    )
    return placed.order_id


async def move_on(store: FalkorStore, order_id: str) -> None:
    """Two more events: the fulfillment is released, then shipped."""
    await lifecycle.release(store, f"{order_id}-F1")
    await lifecycle.ship(store, f"{order_id}-F1", "1Z999")


async def event_ids(store: FalkorStore, order_ids: Sequence[str]) -> dict[str, list[str]]:
    found = await events_by_order(store, list(order_ids))
    return {o: [e.id for e in evs] for o, evs in zip(order_ids, found, strict=True)}


def assert_in_order(hits: Sequence[Hit]) -> None:
    """Per endpoint and order: sequences never go back, and n+1 comes after n was acknowledged."""
    streams: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        streams.setdefault((hit.path, hit.event["orderId"]), []).append(hit)
    for key, stream in streams.items():
        sequences = [h.event["sequence"] for h in stream]
        assert sequences == sorted(sequences), (key, sequences)
        for i, hit in enumerate(stream):
            earlier = [h for h in stream[:i] if h.event["sequence"] < hit.event["sequence"]]
            if earlier:
                last = max(h.event["sequence"] for h in earlier)
                assert any(
                    h.acked and h.answered <= hit.arrived
                    for h in earlier
                    if h.event["sequence"] == last
                ), (key, hit.event["id"])


def assert_signed(hits: Sequence[Hit], secret: str = SECRET) -> None:
    for hit in hits:
        assert hit.headers["x-ordergraph-event-id"] == hit.event["id"]
        assert hit.headers["x-ordergraph-event-type"] == hit.event["type"]
        assert webhooks.verify(
            secret,
            hit.headers["x-ordergraph-timestamp"],
            hit.body,
            hit.headers["x-ordergraph-signature"],
        )
        assert set(hit.event) == {"id", "type", "orderId", "sequence", "at", "payload"}
        assert isinstance(hit.event["payload"], dict)


async def statuses(store: FalkorStore) -> dict[str, str]:
    rows = await store.read("MATCH (d:Delivery) RETURN d.id AS id, d.status AS status")
    return {r["id"]: r["status"] for r in rows}


# ---- the whole path ----------------------------------------------------------------------------


async def test_every_event_arrives_signed_in_order_despite_failures_and_a_timeout(
    loaded: FalkorStore,
) -> None:
    async def flaky(hit: Hit, n: int) -> int:
        if n < 3:
            return 500
        return await late(hit) if n == 3 else 200

    async with Receiver(flaky) as receiver:
        await events.create_subscription(loaded, receiver.url(), SECRET, allow_private=LOOPBACK)
        orders = [await place(loaded) for _ in range(3)]
        async with dispatcher(loaded):
            for order_id in orders:  # events keep coming while the dispatcher works
                await move_on(loaded, order_id)
            orders.append(await place(loaded))
            expected = {i for ids in (await event_ids(loaded, orders)).values() for i in ids}
            assert len(expected) == 10
            await eventually(lambda: _all_acked(receiver, expected))
        assert receiver.hits[3].late and sum(h.status == 500 for h in receiver.hits) == 3
        assert_signed(receiver.hits)
        assert_in_order(receiver.hits)
        delivered = [h.event["id"] for h in receiver.hits if h.acked]
        assert sorted(delivered) == sorted(expected)  # exactly once each, once de-duplicated
        assert set((await statuses(loaded)).values()) == {"DELIVERED"}
        assert await q.pending_events(loaded, 10) == []


async def _all_acked(receiver: Receiver, expected: set[str], path: str | None = None) -> bool:
    return receiver.acked_ids(path) >= expected


async def test_one_orders_failures_do_not_hold_up_another_order(loaded: FalkorStore) -> None:
    blocked = await place(loaded)

    async def refuse_blocked(hit: Hit, n: int) -> int:
        return 503 if hit.event["orderId"] == blocked else 200

    async with Receiver(refuse_blocked) as receiver:
        await events.create_subscription(
            loaded, receiver.url(), SECRET, allow_private=LOOPBACK, at_ms=0
        )
        free = [await place(loaded) for _ in range(2)]
        for order_id in free:
            await move_on(loaded, order_id)
        expected = {i for ids in (await event_ids(loaded, free)).values() for i in ids}
        slow = DeliveryConfig(poll_s=0.02, retry_base_s=0.2, max_attempts=8, timeout_s=0.3)
        async with dispatcher(loaded, slow):
            await eventually(lambda: _all_acked(receiver, expected))
            sub_id = (await q.subscriptions(loaded))[0].id
            head = (await statuses(loaded))[f"{sub_id}|{blocked}-E1"]
        assert head == "READY"  # still retrying the blocked order while the others went through
        assert_in_order(receiver.hits)


async def test_after_the_last_attempt_a_dead_letter_and_the_order_moves_on_then_replay(
    loaded: FalkorStore,
) -> None:
    healthy = False

    async def down_then_up(hit: Hit, n: int) -> int:
        return 200 if healthy else 500

    config = DeliveryConfig(poll_s=0.02, retry_base_s=0.01, max_attempts=3, timeout_s=0.3)
    async with Receiver(down_then_up) as receiver:
        sub = await events.create_subscription(
            loaded, receiver.url(), SECRET, allow_private=LOOPBACK
        )
        order_id = await place(loaded)
        await lifecycle.release(loaded, f"{order_id}-F1")
        async with dispatcher(loaded, config):
            await eventually(lambda: _dead_count(loaded, 2))
            assert [h.event["sequence"] for h in receiver.hits] == [1, 1, 1, 2, 2, 2]
            dead = await q.dead_letters(loaded, first=10, after=None)
            assert [(d.event_id, d.attempts, d.last_status_code) for d in dead] == [
                (f"{order_id}-E2", 3, 500),
                (f"{order_id}-E1", 3, 500),
            ]
            assert dead[0].last_error == "HTTP 500: nope" and dead[0].order_id == order_id
            assert dead[0].subscription_id == sub.id
            assert dead[0].event_type == "FulfillmentReleased"

            healthy = True
            await lifecycle.ship(loaded, f"{order_id}-F1", "1Z1")  # later events flow again
            await eventually(lambda: _all_acked(receiver, {f"{order_id}-E3"}))
            replayed, problems = await events.replay_dead_letters(
                loaded, [d.id for d in dead] + ["WH-NOPE|x"]
            )
            assert sorted(replayed) == sorted(d.id for d in dead) and len(problems) == 1
            await eventually(lambda: _all_acked(receiver, {f"{order_id}-E1", f"{order_id}-E2"}))
        assert await q.dead_letters(loaded, first=10, after=None) == []
        assert_signed(receiver.hits)


async def _dead_count(store: FalkorStore, n: int) -> bool:
    return len(await q.dead_letters(store, first=50, after=None)) >= n


async def test_subscriptions_get_their_event_types_and_only_events_after_they_were_made(
    loaded: FalkorStore,
) -> None:
    async with Receiver() as receiver:
        await events.create_subscription(
            loaded, receiver.url("/all"), SECRET, allow_private=LOOPBACK
        )
        await events.create_subscription(
            loaded, receiver.url("/created"), SECRET, ["OrderCreated"], allow_private=LOOPBACK
        )
        await events.create_subscription(
            loaded,
            receiver.url("/shipped"),
            SECRET,
            ["FulfillmentShipped", "OrderCancelled"],
            allow_private=LOOPBACK,
        )
        first = await place(loaded)
        await move_on(loaded, first)
        late_sub = await events.create_subscription(
            loaded, receiver.url("/late"), SECRET, allow_private=LOOPBACK
        )
        second = await place(loaded)
        ids = await event_ids(loaded, [first, second])
        async with dispatcher(loaded):
            await eventually(lambda: _all_acked(receiver, set(ids[first] + ids[second]), "/all"))
            await eventually(lambda: _all_acked(receiver, set(ids[second]), "/late"))
            await asyncio.sleep(0.1)  # nothing else is on its way
        by_path: dict[str, list[str]] = {}
        for hit in receiver.hits:
            by_path.setdefault(hit.path, []).append(hit.event["id"])
        assert sorted(by_path["/created"]) == sorted([f"{first}-E1", f"{second}-E1"])
        assert by_path["/shipped"] == [f"{first}-E3"]
        assert by_path["/late"] == ids[second]
        assert late_sub.event_types == ()
        assert_in_order(receiver.hits)


# ---- restarts and hand-overs ---------------------------------------------------------------------


async def test_a_new_dispatcher_resumes_from_the_graph_after_the_old_one_died(
    loaded: FalkorStore,
) -> None:
    healthy = False

    async def down_then_up(hit: Hit, n: int) -> int:
        return 200 if healthy else 500

    async with Receiver(down_then_up) as receiver:
        await events.create_subscription(loaded, receiver.url(), SECRET, allow_private=LOOPBACK)
        orders = [await place(loaded) for _ in range(2)]
        for order_id in orders:
            await move_on(loaded, order_id)
        expected = {i for ids in (await event_ids(loaded, orders)).values() for i in ids}
        config = DeliveryConfig(
            poll_s=0.02, retry_base_s=0.05, max_attempts=50, timeout_s=0.3, lease_s=0.5
        )
        mortal = Mortal(loaded)
        async with webhooks.http_client(allow=LOOPBACK) as client:
            crashed = asyncio.create_task(
                events.run_dispatcher(
                    mortal, client, stop_event=asyncio.Event(), config=config, owner="first"
                )
            )
            await eventually(lambda: _attempted(loaded, 2))
            mortal.dead = True  # from here on it reaches nothing: no result, no hand-over
            crashed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await crashed
        lease = await q.lease_holder(loaded, config.lease_name)
        assert lease is not None
        assert lease.owner == "first" and lease.until_ms > events.now_ms() - 100
        healthy = True
        async with dispatcher(loaded, config, owner="second"):
            await eventually(lambda: _all_acked(receiver, expected))
        handed_over = await q.lease_holder(loaded, config.lease_name)
        assert handed_over is not None and handed_over.until_ms == 0
        assert_in_order(receiver.hits)
        assert_signed(receiver.hits)


class Mortal:
    """The store as a process sees it: once ``dead``, nothing it sends arrives (a crash)."""

    def __init__(self, store: FalkorStore) -> None:
        self.store, self.engine, self.dead = store, store.engine, False

    async def read(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        if self.dead:
            raise GraphUnavailable("the process is gone")
        return await self.store.read(query, params)

    async def write(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        if self.dead:
            raise GraphUnavailable("the process is gone")
        return await self.store.write(query, params)

    async def migrate(self) -> None:
        await self.store.migrate()

    async def ping(self) -> bool:
        return not self.dead

    async def close(self) -> None:
        pass


async def _attempted(store: FalkorStore, attempts: int) -> bool:
    rows = await store.read("MATCH (d:Delivery) RETURN max(d.attempts) AS n")
    return bool(rows and (rows[0]["n"] or 0) >= attempts)


async def test_two_dispatchers_on_one_graph_send_each_event_once_and_in_order(
    loaded: FalkorStore,
) -> None:
    async def flaky(hit: Hit, n: int) -> int:
        return 500 if n % 3 == 0 else 200

    async with Receiver(flaky) as receiver:
        await events.create_subscription(loaded, receiver.url(), SECRET, allow_private=LOOPBACK)
        async with dispatcher(loaded, owner="one"), dispatcher(loaded, owner="two"):
            orders = [await place(loaded) for _ in range(3)]
            for order_id in orders:
                await move_on(loaded, order_id)
            expected = {i for ids in (await event_ids(loaded, orders)).values() for i in ids}
            await eventually(lambda: _all_acked(receiver, expected))
        acked = [h.event["id"] for h in receiver.hits if h.acked]
        assert sorted(acked) == sorted(expected)
        assert_in_order(receiver.hits)


async def test_deleting_a_subscription_removes_its_deliveries(loaded: FalkorStore) -> None:
    sub = await events.create_subscription(loaded, "https://example.invalid/hook", SECRET, at_ms=0)
    order_id = await place(loaded)
    async with webhooks.http_client(allow=LOOPBACK) as client:
        await events.Dispatcher(loaded, client, FAST).fan_out(events.now_ms())
    assert await statuses(loaded) == {f"{sub.id}|{order_id}-E1": "READY"}
    await events.delete_subscription(loaded, sub.id)
    assert await statuses(loaded) == {} and await q.subscriptions(loaded) == []


async def test_an_event_whose_stored_payload_is_corrupt_is_a_dead_letter_and_others_still_go(
    loaded: FalkorStore,
) -> None:
    """The corrupt event cannot be sent as the public body says (payload: an object): it is
    dead at once, named in its last error, and the same batch's other events are delivered."""
    async with Receiver() as receiver:
        sub = await events.create_subscription(
            loaded, receiver.url(), SECRET, allow_private=LOOPBACK, at_ms=0
        )
        await loaded.write(
            "CREATE (e:Event {id: 'OG-BAD-E1', type: 'OrderCreated', orderId: 'OG-BAD', "
            "sequence: 1, at: '2026-12-01T09:00:00+00:00', atMs: 1, pending: true, "
            "payload: '{\"status\": '})"
        )
        good = await place(loaded)
        async with dispatcher(loaded):
            await eventually(lambda: _dead_count(loaded, 1))
            await eventually(lambda: _all_acked(receiver, {f"{good}-E1"}))
        (dead,) = await q.dead_letters(loaded, first=10, after=None)
        assert dead.id == f"{sub.id}|OG-BAD-E1" and dead.attempts == 1
        assert (dead.last_error or "").startswith(
            "Event OG-BAD-E1: stored property 'payload' is not valid JSON"
        )
        assert "OG-BAD-E1" not in receiver.acked_ids()


# ---- the pieces --------------------------------------------------------------------------------


def test_a_signature_covers_the_timestamp_and_the_exact_body() -> None:
    event = EventRecord.from_row(
        {
            "id": "OG-1-E1",
            "type": "OrderCreated",
            "orderId": "OG-1",
            "sequence": 1,
            "at": "2026-11-23T17:00:00+00:00",
            "payload": '{"status":"ALLOCATED"}',
        }
    )
    raw = webhooks.body(events.message(event))
    assert json.loads(raw)["payload"] == {"status": "ALLOCATED"}
    now = 1_800_000_000
    sig = webhooks.sign(SECRET, now, raw)
    assert sig.startswith("sha256=") and len(sig) == 7 + 64
    assert webhooks.verify(SECRET, str(now), raw, sig, now=now + 10)
    assert not webhooks.verify(SECRET, str(now), raw + b" ", sig, now=now)
    assert not webhooks.verify(SECRET, str(now + 1), raw, sig, now=now)
    assert not webhooks.verify("another-secret-value", str(now), raw, sig, now=now)
    assert not webhooks.verify(SECRET, str(now), raw, sig, now=now + 301)  # too old: a replay


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://hooks.example.com/og", True),
        ("http://127.0.0.1:8080/x?y=1", True),
        ("ftp://example.com/x", False),
        ("javascript:alert(1)", False),
        ("example.com/x", False),
        ("https:///nohost", False),
        ("https://exa mple.com", False),
        ("http://h:99999/", False),
        ("", False),
    ],
)
def test_only_absolute_http_urls_may_receive_webhooks(url: str, ok: bool) -> None:
    assert (webhooks.url_problem(url) is None) is ok


def test_backoff_doubles_from_the_base_with_jitter_and_a_cap() -> None:
    config = DeliveryConfig(retry_base_s=0.5, retry_cap_s=10.0)
    assert [events.backoff_s(n, config, lambda: 1.0) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert [events.backoff_s(n, config, lambda: 0.0) for n in (1, 2)] == [0.25, 0.5]
    assert events.backoff_s(30, config, lambda: 1.0) == 10.0


def test_fan_out_opens_one_stream_per_subscription_and_order() -> None:
    subs = [
        subscription("WH-A", (), 0),
        subscription("WH-B", ("OrderCreated",), 150),
    ]
    evs = [
        PendingEvent(
            id=f"O{o}-E{s}",
            order_id=f"O{o}",
            sequence=s,
            at_ms=100 * s,
            type="OrderCreated" if s == 1 else "FulfillmentShipped",
        )
        for o in (1, 2)
        for s in (2, 1)
    ]
    planned = events.plan_fan_out(evs, subs, {"WH-A|O2"}, 5)
    assert [(d.id, d.status) for d in planned] == [
        ("WH-A|O1-E1", "READY"),
        ("WH-A|O1-E2", "WAITING"),
        ("WH-A|O2-E1", "WAITING"),
        ("WH-A|O2-E2", "WAITING"),
    ]  # WH-B was made after the OrderCreated events (atMs 100 < 150)


def subscription(sub_id: str, types: tuple[str, ...], created_at_ms: int) -> SubscriptionRecord:
    """A subscription as the fan-out reads it."""
    return SubscriptionRecord(
        id=sub_id,
        url="https://hooks.example.com/og",
        event_types=types,
        active=True,
        description=None,
        created_at=instant(created_at_ms),
        created_at_ms=created_at_ms,
    )
