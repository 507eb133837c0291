"""The browser apps' routes, for ``app.py``: static files, sign-in, the store fulfilment app
(``/store/{location}``) and, when enabled, the operations console (``/console``)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from ordergraph.http.state import AppState
from ordergraph.web.console.app import console_routes
from ordergraph.web.pages import HERE, Web
from ordergraph.web.signin import signin_routes
from ordergraph.web.store import store_routes


def web_routes(state: AppState) -> list[BaseRoute]:
    web = Web(state)
    routes: list[BaseRoute] = [
        Mount("/web/static", StaticFiles(directory=HERE / "static"), name="static"),
        *signin_routes(web),
        *store_routes(web),
    ]
    if state.settings.console_enabled:
        routes.extend(console_routes(web))
    return routes
