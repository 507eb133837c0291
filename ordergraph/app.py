"""Composition root: ``create_app(settings) -> Starlette``. The lifespan owns the graph store."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ordergraph.connectors import webhooks
from ordergraph.connectors.pull.http import close_shared_client
from ordergraph.graph.connect import open_store
from ordergraph.graph.embedded import die_with_parent
from ordergraph.graph.store import GraphStore
from ordergraph.http.carriers import carrier_routes
from ordergraph.http.gateway import Gateway
from ordergraph.http.graphql import GraphQLApp
from ordergraph.http.health import health_routes
from ordergraph.http.ingest import ingest_routes
from ordergraph.http.logs import configure_logging
from ordergraph.http.metrics import Metrics
from ordergraph.http.state import AppState
from ordergraph.mcp.guard import Deps
from ordergraph.mcp.server import HttpEndpoint, build_server, http_caller
from ordergraph.resolvers.root import schema as build_root_schema
from ordergraph.schema.access import Budgets
from ordergraph.schema.order_inputs import harden_datetimes
from ordergraph.services import simulation
from ordergraph.services.allocation import releasing
from ordergraph.services.apikeys import KeyCache
from ordergraph.services.carrier_tracking import polling
from ordergraph.services.channel_feed import publishing
from ordergraph.services.events import dispatching
from ordergraph.services.live import EventHub
from ordergraph.services.worker_cache import WorkerCache
from ordergraph.settings import Settings
from ordergraph.web.routes import web_routes

log = logging.getLogger("ordergraph")

Bootstrap = Callable[[GraphStore], Any]  # awaited once the store is open (demo or network load)


def create_app(
    settings: Settings | None = None,
    *,
    store: GraphStore | None = None,
    bootstrap: Bootstrap | None = None,
) -> Starlette:
    """The ASGI app. With ``store`` given, the caller owns it; else the lifespan opens one."""
    settings = settings or Settings.from_env()
    if not settings.web_secret:  # browser sessions end when this process does (docs/web.md)
        settings = settings.with_(web_secret=secrets.token_urlsafe(32))
    state = AppState(
        settings=settings,
        metrics=Metrics(),
        injected=store,
        budgets=Budgets(lambda: state.store),
        cache=WorkerCache(
            settings.availability_cache,
            lambda hit: state.metrics.availability_answers.labels("hit" if hit else "miss").inc(),
        ),
    )
    schema = build_root_schema(settings)
    harden_datetimes(schema)
    state.hub = EventHub(lambda: state.store, settings.webhook_poll_ms / 1000)
    graphql = GraphQLApp(schema, state)
    assistant = HttpEndpoint(  # MCP over streamable HTTP (issue #15)
        build_server(
            Deps(lambda: state.store, settings, state.budgets, http_caller, cache=state.cache)
        )
    )
    log.warning("environment: %s (%s)", settings.env, settings.env_reason)
    if not settings.auth:
        if not settings.development:
            raise ValueError(
                "ORDERGRAPH_AUTH=off is for local development only "
                f"(this is production: {settings.env_reason}; production needs API keys)"
            )
        log.warning(
            "AUTH IS OFF: every caller is an admin. Never expose this server; "
            "unset ORDERGRAPH_AUTH to require API keys."
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if state.injected is None:
            state.opened = await open_store(settings)
        if hasattr(state.store, "observe"):
            state.store.observe = lambda kind, seconds: state.metrics.graph_queries.labels(
                kind=kind
            ).observe(seconds)
        if settings.auth and state.keys is None:
            state.keys = gateway.keys = mcp_gateway.keys = KeyCache(state.store)
        try:
            if bootstrap is not None:
                await bootstrap(state.store)
            client = webhooks.http_client(allow=settings.webhook_allow_private)
            async with (
                client as http,
                dispatching(state.store, http, settings),
                assistant.running(),
                publishing(state.store, settings),
                polling(state.store, settings),
                releasing(state.store, settings),
                simulation.jobs(),
            ):
                gc.collect()
                gc.freeze()  # start-up objects leave the collector's scans: shorter pauses (bench/)
                yield
        finally:
            await close_shared_client()  # the pull connectors' client (connectors/pull)
            if state.opened is not None:
                await state.opened.close()
                state.opened = None

    gateway = Gateway(
        graphql, auth=settings.auth, ide=settings.development, max_body=settings.max_graphql_bytes
    )
    mcp_gateway = Gateway(
        assistant, auth=settings.auth, ide=False, max_body=settings.max_graphql_bytes
    )
    if settings.auth and store is not None:
        state.keys = gateway.keys = mcp_gateway.keys = KeyCache(store)
    app = Starlette(
        routes=[
            Route("/graphql", gateway, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", gateway),
            Route("/mcp", mcp_gateway, methods=["POST"]),  # stateless JSON: no GET stream
            *health_routes(state),
            *ingest_routes(state),
            *carrier_routes(state),
            *web_routes(state),  # the browser apps (issue #16): cookie sessions, not bearer keys
        ],
        lifespan=lifespan,
    )
    app.state.ordergraph = state
    return app


# `ordergraph serve --workers N`: what the parent passes to each worker (uvicorn spawns them)
WORKER_PARENT = "ORDERGRAPH_WORKER_PARENT"  # the supervisor's pid: a worker dies with it
WORKER_ENGINE_URL = "ORDERGRAPH_WORKER_ENGINE_URL"  # the embedded engine the parent started
WORKER_COUNT = "ORDERGRAPH_WORKER_COUNT"
WORKER_HEADER = "x-ordergraph-worker"  # development only: which worker answered (its pid)


def worker_app() -> ASGIApp:
    """The app of one worker of ``ordergraph serve --workers N`` (uvicorn's app factory).

    The parent has started the engine and run the bootstrap; the worker only connects. It is
    tied to its parent with PR_SET_PDEATHSIG, so a SIGKILL of the parent leaves no worker.
    """
    parent = int(os.environ[WORKER_PARENT])
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the tie was made
        raise SystemExit(1)
    configure_logging()  # a spawned interpreter: as `ordergraph` configures its own
    settings = Settings.from_env()
    if url := os.environ.get(WORKER_ENGINE_URL):
        settings = settings.with_(embedded_url=url)
    workers = int(os.environ.get(WORKER_COUNT, "1"))
    # a key's subscriptions are counted per process: share the cap so N workers never multiply it
    per_key = max(1, settings.max_subscriptions_per_key // workers)
    app = create_app(settings.with_(max_subscriptions_per_key=per_key))
    return _WorkerHeader(app) if settings.development else app


class _WorkerHeader:
    """Adds ``X-OrderGraph-Worker: <pid>`` to every HTTP answer (development servers only)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.state = app.state
        self.pid = str(os.getpid()).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((WORKER_HEADER.encode(), self.pid))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, tagged)
