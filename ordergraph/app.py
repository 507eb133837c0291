"""Composition root: ``create_app(settings) -> Starlette``. The lifespan owns the graph store."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from ordergraph.connectors import webhooks
from ordergraph.graph.connect import OpenStore, open_store
from ordergraph.graph.store import GraphStore
from ordergraph.http_ingest import ingest_routes
from ordergraph.metrics import Metrics
from ordergraph.resolvers.root import schema as build_root_schema
from ordergraph.schema.access import Budgets
from ordergraph.schema.context import Context
from ordergraph.services.apikeys import KeyCache
from ordergraph.services.events import dispatching
from ordergraph.settings import Settings
from ordergraph.web import Gateway, bearer

log = logging.getLogger("ordergraph")

GRAPHQL_RESPONSE = "application/graphql-response+json"
Bootstrap = Callable[[GraphStore], Any]  # awaited once the store is open (demo or network load)


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, schema: Any, state: AppState) -> None:
        super().__init__(schema, graphql_ide="graphiql" if state.settings.development else None)
        self.state = state

    async def get_context(self, request: Any, response: Any) -> Context:
        context = Context.create(self.state.store, self.state.settings, request, response)
        context.extra["metrics"] = self.state.metrics
        context.extra["budgets"] = self.state.budgets
        context.principal = request.scope.get("state", {}).get("principal")
        return context

    async def on_ws_connect(self, context: Context) -> Any:
        """A websocket may bring its key in connection_init: {"Authorization": "Bearer ..."}."""
        if context.principal is None:
            params = (
                context.connection_params if isinstance(context.connection_params, dict) else {}
            )
            key = bearer(str(params.get("Authorization") or params.get("authorization") or ""))
            keys = self.state.keys
            context.principal = await keys.principal(key) if key and keys else None
            if context.principal is None:
                raise ConnectionRejectionError({"reason": "missing, unknown or revoked API key"})
        return await super().on_ws_connect(context)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_sub_response(self, request: Any) -> Response:
        sub = await super().get_sub_response(request)
        accept = request.headers.get("accept", "")
        sub.graphql_response_json = GRAPHQL_RESPONSE in accept  # type: ignore[attr-defined]
        return sub

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        """GraphQL over HTTP: ``application/graphql-response+json`` when asked for, and then a
        request that never executed (bad document, failed validation or variables) is a 400
        without ``data``, as the spec says."""
        if not getattr(sub_response, "graphql_response_json", False) or isinstance(response_data, list):
            return super().create_response(response_data, sub_response)
        errors = response_data.get("errors") or []
        request_error = response_data.get("data") is None and errors and not any(
            e.get("path") for e in errors
        )
        if request_error:
            response_data = {k: v for k, v in response_data.items() if k != "data"}
            sub_response.status_code = 400
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = GRAPHQL_RESPONSE + "; charset=utf-8"
        return response


@dataclass
class AppState:
    settings: Settings
    metrics: Metrics
    budgets: Budgets
    opened: OpenStore | None = None
    injected: GraphStore | None = None
    keys: KeyCache | None = None

    @property
    def store(self) -> GraphStore:
        if self.injected is not None:
            return self.injected
        if self.opened is None:
            raise RuntimeError("the graph store is not open (the app's lifespan has not run)")
        return self.opened.store


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
        budgets=Budgets(settings.cost_bucket, settings.cost_restore_per_second),
    )
    graphql = GraphQLApp(build_root_schema(settings), state)
    if not settings.auth:
        if not settings.development:
            raise ValueError(
                "ORDERGRAPH_AUTH=off is for local development only "
                "(ORDERGRAPH_ENV=production needs API keys)"
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
            state.keys = gateway.keys = KeyCache(state.store)
        try:
            if bootstrap is not None:
                await bootstrap(state.store)
            async with webhooks.http_client() as http, dispatching(state.store, http, settings):
                gc.collect()
                gc.freeze()  # start-up objects leave the collector's scans: shorter pauses (bench/)
                yield
        finally:
            if state.opened is not None:
                await state.opened.close()
                state.opened = None

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            ok = await state.store.ping()
        except Exception:
            ok = False
        return JSONResponse(
            {"status": "ready" if ok else "unavailable", "engine": settings.engine},
            status_code=200 if ok else 503,
        )

    async def metrics(request: Request) -> Response:
        return Response(state.metrics.exposition(), media_type="text/plain; version=0.0.4")

    gateway = Gateway(graphql, auth=settings.auth, ide=settings.development)
    if settings.auth and store is not None:
        state.keys = gateway.keys = KeyCache(store)
    app = Starlette(
        routes=[
            Route("/graphql", gateway, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", gateway),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            *ingest_routes(state),
        ],
        lifespan=lifespan,
    )
    app.state.ordergraph = state
    return app
