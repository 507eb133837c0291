"""Webhook subscriptions, dead letters and live order events through the GraphQL API.

Until the root schema carries the event fields, the tests serve a schema that merges them in
(the same Gateway and GraphQL view as the app); once it does, they use ``create_app`` itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from functools import cache
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from strawberry import Schema
from strawberry.tools import merge_types
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from ordergraph.app import create_app
from ordergraph.connectors import webhooks
from ordergraph.domain.access import Principal, Role
from ordergraph.graph import events as q
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.records.events import PendingEvent
from ordergraph.http.gateway import Gateway
from ordergraph.http.graphql import GraphQLApp
from ordergraph.http.metrics import Metrics
from ordergraph.http.state import AppState
from ordergraph.resolvers import root
from ordergraph.resolvers.events import EventMutation, EventQuery, EventSubscription
from ordergraph.schema.access import Budgets
from ordergraph.schema.build import build_schema
from ordergraph.schema.context import Context
from ordergraph.services import events, lifecycle
from ordergraph.settings import Settings
from tests.conftest import GraphQLClient
from tests.integration.test_webhooks import place, subscription

SETTINGS = Settings(auth=False, webhook_poll_ms=20)
SECRET = "0123456789abcdef-secret"
SUB = "subscription { id url eventTypes active description createdAt }"
ERR = "userErrors { field code message }"
CREATE = f"""mutation($input: WebhookSubscriptionCreateInput!) {{
  webhookSubscriptionCreate(input: $input) {{ {SUB} {ERR} }} }}"""


@cache
def wired() -> bool:
    sdl = root.schema(SETTINGS).as_str()
    return "webhookSubscriptions" in sdl and "orderEvents" in sdl


def event_schema(settings: Settings = SETTINGS) -> Schema:
    if wired():
        return root.schema(settings)
    return build_schema(
        merge_types("Query", (root.Query, EventQuery)),
        merge_types("Mutation", (root.Mutation, EventMutation)),
        EventSubscription,
        settings=settings,
    )


def events_app(store: FalkorStore) -> Starlette:
    if wired():
        return create_app(SETTINGS, store=store)
    state = AppState(
        settings=SETTINGS,
        metrics=Metrics(),
        injected=store,
        budgets=Budgets(SETTINGS.cost_bucket, SETTINGS.cost_restore_per_second),
    )
    gateway = Gateway(GraphQLApp(event_schema(), state), auth=False, ide=False)
    return Starlette(
        routes=[
            Route("/graphql", gateway, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", gateway),
        ]
    )


@pytest.fixture
async def api(loaded: FalkorStore) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=events_app(loaded))
    async with httpx.AsyncClient(transport=transport, base_url="http://ordergraph.test") as http:
        yield GraphQLClient(http)


async def create(api: GraphQLClient, **fields: Any) -> dict[str, Any]:
    data = await api(
        CREATE, input={"url": "https://hooks.example.com/og", "secret": SECRET, **fields}
    )
    return data["webhookSubscriptionCreate"]  # type: ignore[no-any-return]


# ---- subscriptions ---------------------------------------------------------------------------


async def test_a_subscription_is_created_listed_and_never_shows_its_secret(
    api: GraphQLClient,
    loaded: FalkorStore,
) -> None:
    made = await create(api, eventTypes=["OrderCreated", "FulfillmentShipped"], description="ERP")
    assert made["userErrors"] == []
    sub = made["subscription"]
    assert sub["id"].startswith("WH-") and sub["active"] is True and sub["description"] == "ERP"
    assert sub["eventTypes"] == ["FulfillmentShipped", "OrderCreated"]
    everything = await create(api)
    assert everything["subscription"]["eventTypes"] == []
    listed = (await api("{ webhookSubscriptions { id url eventTypes } }"))["webhookSubscriptions"]
    assert [s["id"] for s in listed] == [sub["id"], everything["subscription"]["id"]]
    asked = await api.raw("{ webhookSubscriptions { id secret } }")
    assert "Cannot query field 'secret'" in asked["errors"][0]["message"]
    assert SECRET not in json.dumps(listed)
    stored = await loaded.read(
        "MATCH (s:WebhookSubscription {id: $id}) RETURN s.secret AS secret", {"id": sub["id"]}
    )
    assert stored == [{"secret": SECRET}]  # kept, to sign with


@pytest.mark.parametrize(
    "fields,path,words",
    [
        ({"url": "ftp://files.example.com/x"}, ["input", "url"], "http or https"),
        ({"url": "javascript:alert(1)"}, ["input", "url"], "http or https"),
        ({"url": "hooks.example.com/og"}, ["input", "url"], "http or https"),
        ({"url": "https://"}, ["input", "url"], "needs a host"),
        ({"secret": "too-short"}, ["input", "secret"], "16"),
        ({"eventTypes": ["Order Created"]}, ["input", "eventTypes", "0"], "not an event type"),
    ],
)
async def test_a_bad_subscription_is_a_user_error_and_nothing_is_stored(
    api: GraphQLClient,
    fields: dict[str, Any],
    path: list[str],
    words: str,
) -> None:
    made = await create(api, **fields)
    assert made["subscription"] is None
    (error,) = made["userErrors"]
    assert error["code"] == "INVALID_INPUT" and error["field"] == path and words in error["message"]
    assert (await api("{ webhookSubscriptions { id } }"))["webhookSubscriptions"] == []


async def test_deleting_a_subscription_then_deleting_it_again(api: GraphQLClient) -> None:
    sub = (await create(api))["subscription"]
    delete = f"""mutation($id: ID!) {{ webhookSubscriptionDelete(input: {{id: $id}}) {{
      deletedId {ERR} }} }}"""
    gone = (await api(delete, id=sub["id"]))["webhookSubscriptionDelete"]
    assert gone == {"deletedId": sub["id"], "userErrors": []}
    again = (await api(delete, id=sub["id"]))["webhookSubscriptionDelete"]
    assert again["deletedId"] is None
    (error,) = again["userErrors"]
    assert error["code"] == "NOT_FOUND" and error["field"] == ["input", "id"]


async def test_only_admins_may_manage_webhooks(loaded: FalkorStore) -> None:
    context = Context.create(loaded, SETTINGS)
    context.principal = Principal("key-1", Role.INTEGRATION)
    result = await event_schema().execute("{ webhookSubscriptions { id } }", context_value=context)
    assert result.errors and (result.errors[0].extensions or {})["code"] == "FORBIDDEN"


# ---- dead letters ----------------------------------------------------------------------------


async def kill(store: FalkorStore, sub_id: str, order_ids: list[str], at: int) -> list[str]:
    """Make each order's first delivery a dead letter, as the dispatcher would."""
    planned = events.plan_fan_out(
        [PendingEvent(f"{o}-E1", o, 1, "OrderCreated", at) for o in order_ids],
        [subscription(sub_id, (), 0)],
        set(),
        at,
    )
    await q.fan_out(store, planned, [f"{o}-E1" for o in order_ids], at)
    config = events.DeliveryConfig(max_attempts=1)
    failed = webhooks.Outcome(False, 502, "HTTP 502: bad gateway")
    await q.record_results(
        store, [events.settle(d, failed, at + i, config) for i, d in enumerate(planned)]
    )
    return [d.id for d in planned]


DEAD = """query($first: Int, $after: String) { webhookDeadLetters(first: $first, after: $after) {
  edges { cursor node { id eventId orderId type sequence subscriptionId attempts lastError
                        lastStatusCode lastAttemptAt } }
  pageInfo { hasNextPage endCursor } } }"""


async def test_dead_letters_page_newest_first_and_replay_reports_unknown_ids(
    api: GraphQLClient,
    loaded: FalkorStore,
) -> None:
    sub = (await create(api))["subscription"]
    orders = sorted([await place(loaded) for _ in range(3)])  # fan-out goes by order id
    ids = await kill(loaded, sub["id"], orders, 1_800_000_000_000)

    first = (await api(DEAD, first=2))["webhookDeadLetters"]
    assert [e["node"]["id"] for e in first["edges"]] == [ids[2], ids[1]]
    assert first["pageInfo"]["hasNextPage"] is True
    node = first["edges"][0]["node"]
    assert node == {
        "id": ids[2],
        "eventId": f"{orders[2]}-E1",
        "orderId": orders[2],
        "type": "OrderCreated",
        "sequence": 1,
        "subscriptionId": sub["id"],
        "attempts": 1,
        "lastError": "HTTP 502: bad gateway",
        "lastStatusCode": 502,
        "lastAttemptAt": "2027-01-15T08:00:00.002000+00:00",
    }
    rest = (await api(DEAD, first=2, after=first["pageInfo"]["endCursor"]))["webhookDeadLetters"]
    assert [e["node"]["id"] for e in rest["edges"]] == [ids[0]]
    assert rest["pageInfo"]["hasNextPage"] is False
    bad = await api.raw(DEAD, first=2, after="bm90LWEtY3Vyc29y")
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"

    replay = f"""mutation($ids: [ID!]!) {{ webhookDeadLetterReplay(input: {{ids: $ids}}) {{
      replayed {ERR} }} }}"""
    done = (await api(replay, ids=[ids[0], "WH-NOPE|OG-1-E1", ids[2]]))["webhookDeadLetterReplay"]
    assert done["replayed"] == [ids[0], ids[2]]
    problems = [(e["code"], e["field"]) for e in done["userErrors"]]
    assert problems == [("NOT_FOUND", ["input", "ids", "1"])]
    left = (await api(DEAD, first=10))["webhookDeadLetters"]["edges"]
    assert [e["node"]["id"] for e in left] == [ids[1]]
    empty = (await api(replay, ids=[]))["webhookDeadLetterReplay"]
    assert empty["userErrors"][0]["code"] == "INVALID_INPUT"


# ---- live order events over websockets ------------------------------------------------------


@contextlib.asynccontextmanager
async def serving(store: FalkorStore) -> AsyncIterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(
            events_app(store),
            host="127.0.0.1",
            port=0,
            lifespan="off",
            log_level="warning",
            ws="websockets-sansio",
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "the test server did not start"
        yield f"ws://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/graphql"
    finally:
        server.should_exit = True
        await task


class Socket:
    """A graphql-transport-ws client: init, subscribe, read ``next`` payloads."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def start(self, query: str, **variables: Any) -> None:
        await self.ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await self.ws.recv())["type"] == "connection_ack"
        await self.ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables},
                }
            )
        )

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        assert message["type"] == "next", message
        return message["payload"]  # type: ignore[no-any-return]


PROTOCOL = Subprotocol("graphql-transport-ws")
FOLLOW = """subscription($orderId: ID, $types: [String!]) {
  orderEvents(orderId: $orderId, types: $types) { id type sequence at payload } }"""


async def test_order_events_stream_over_websockets_as_they_are_written(loaded: FalkorStore) -> None:
    order_id = await place(loaded)  # its OrderCreated is older than the subscription
    async with (
        serving(loaded) as url,
        connect(url, subprotocols=[PROTOCOL]) as one,
        connect(url, subprotocols=[PROTOCOL]) as created,
    ):
        follow, new_orders = Socket(one), Socket(created)
        await follow.start(FOLLOW, orderId=order_id)
        await new_orders.start(FOLLOW, types=["OrderCreated"])
        await asyncio.sleep(0.5)  # both subscriptions are live and polling
        await lifecycle.release(loaded, f"{order_id}-F1")
        await lifecycle.ship(loaded, f"{order_id}-F1", "1Z999")
        other = await place(loaded)
        got = [(await follow.next())["data"]["orderEvents"] for _ in range(2)]
        assert [(e["id"], e["type"], e["sequence"]) for e in got] == [
            (f"{order_id}-E2", "FulfillmentReleased", 2),
            (f"{order_id}-E3", "FulfillmentShipped", 3),
        ]
        assert got[1]["payload"]["trackingNumber"] == "1Z999"
        first_new = (await new_orders.next())["data"]["orderEvents"]
        assert (first_new["id"], first_new["type"]) == (f"{other}-E1", "OrderCreated")
        with pytest.raises(TimeoutError):  # each event once: nothing more is coming
            await follow.next(timeout=0.3)


async def test_following_an_unknown_order_is_an_error_with_a_code(loaded: FalkorStore) -> None:
    context = Context.create(loaded, SETTINGS)
    context.principal = Principal.unrestricted()
    stream = await event_schema().subscribe(
        FOLLOW, variable_values={"orderId": "OG-NOPE"}, context_value=context
    )
    assert not isinstance(stream, list | tuple) and hasattr(stream, "__anext__")
    result = await stream.__anext__()
    assert result.errors and (result.errors[0].extensions or {})["code"] == "NOT_FOUND"
    await stream.aclose()
