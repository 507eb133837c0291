"""Composition root: ``create_app(settings) -> Starlette``. The lifespan owns the graph store."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from ordergraph.connectors import webhooks
from ordergraph.connectors.pull.http import close_shared_client
from ordergraph.graph.connect import open_store
from ordergraph.graph.store import GraphStore
from ordergraph.http.carriers import carrier_routes
from ordergraph.http.gateway import Gateway
from ordergraph.http.graphql import GraphQLApp
from ordergraph.http.health import health_routes
from ordergraph.http.ingest import ingest_routes
from ordergraph.http.metrics import Metrics
from ordergraph.http.state import AppState
from ordergraph.mcp.guard import Deps
from ordergraph.mcp.server import HttpEndpoint, build_server, http_caller
from ordergraph.resolvers.root import schema as build_root_schema
from ordergraph.schema.access import Budgets
from ordergraph.schema.order_inputs import harden_datetimes
from ordergraph.services.apikeys import KeyCache
from ordergraph.services.channel_feed import publishing
from ordergraph.services.events import dispatching
from ordergraph.services.live import EventHub
from ordergraph.settings import Settings

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
    state = AppState(
        settings=settings,
        metrics=Metrics(),
        injected=store,
        budgets=Budgets(lambda: state.store),
    )
    schema = build_root_schema(settings)
    harden_datetimes(schema)
    state.hub = EventHub(lambda: state.store, settings.webhook_poll_ms / 1000)
    graphql = GraphQLApp(schema, state)
    assistant = HttpEndpoint(  # MCP over streamable HTTP (issue #15)
        build_server(Deps(lambda: state.store, settings, state.budgets, http_caller))
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
        ],
        lifespan=lifespan,
    )
    app.state.ordergraph = state
    return app
