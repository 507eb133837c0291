"""``/healthz`` (the process is up), ``/readyz`` (the graph answers) and ``/metrics``."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ordergraph.domain.access import Role
from ordergraph.http.gateway import bearer
from ordergraph.http.state import AppState


def health_routes(state: AppState) -> list[Route]:
    settings = state.settings

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
        """Per-channel counts are business data: an admin key, or ORDERGRAPH_METRICS_TOKEN."""
        if settings.auth:
            given = bearer(request.headers.get("authorization"))
            token = settings.metrics_token
            if not (given and token and hmac.compare_digest(given.encode(), token.encode())):
                who = await state.keys.principal(given) if given and state.keys else None
                if who is None or who.role is not Role.ADMIN:
                    return JSONResponse(
                        {
                            "status": "unauthorized" if who is None else "forbidden",
                            "reason": "/metrics needs an admin API key or the metrics token "
                            "(ORDERGRAPH_METRICS_TOKEN): 'Authorization: Bearer <key or token>'",
                        },
                        status_code=401 if who is None else 403,
                        headers={"WWW-Authenticate": "Bearer"} if who is None else None,
                    )
        return Response(state.metrics.exposition(), media_type="text/plain; version=0.0.4")

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
    ]
