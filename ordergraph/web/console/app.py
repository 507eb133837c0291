"""The operations console (``/console``; issue #16, docs/console.md): admin and integration
("ops") keys sign in. Its sign-in target, its gate and its routes; the pages are in
``pages.py``, the actions in ``actions.py``, the drawings in ``svg.py``."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.routing import Route

from ordergraph.domain.access import Principal
from ordergraph.web.console import actions, pages
from ordergraph.web.pages import SignInTarget, Web


def admits(principal: Principal, params: Mapping[str, str] | None = None) -> str | None:
    """Who may use the console: the operations team's keys, admin and integration (the keys
    the API trusts with every order). Each action still asks for its own operation, as the
    GraphQL mutation does (an integration key replays ingestion, not webhooks)."""
    if not principal.trusted():
        return (
            "the operations console is for admin keys and integration (ops) keys; "
            f"this is a {principal.role.value} key"
        )
    return None


def gate(principal: Principal, request: Request) -> str | None:
    return admits(principal)


def console_routes(web: Web) -> list[Route]:
    web.apps["console"] = SignInTarget("Operations console", admits, lambda _: "/console")
    get = [
        ("/console", pages.overview),
        ("/console/map", pages.network_map),
        ("/console/orders", pages.order_search),
        ("/console/orders/{order_id}", pages.order_page),
        ("/console/exceptions", pages.exceptions),
        ("/console/exceptions/list", pages.exception_list),
        ("/console/kpis", pages.kpi_charts),
        ("/console/simulations", pages.simulations),
        ("/console/simulations/{run_id}", pages.simulation_page),
        ("/console/live", pages.live),
    ]
    post = [
        ("/console/ingestion/{failure_id}/replay", actions.replay_ingestion),
        ("/console/webhooks/{delivery_id}/replay", actions.replay_webhook),
        ("/console/fulfillments/{fulfillment_id}/reroute", actions.reroute_fulfillment),
        ("/console/orders/{order_id}/cancel", actions.cancel_order),
        ("/console/backorders/allocate", actions.allocate_backorders),
        ("/console/simulations", actions.start_simulation),
    ]
    return [web.route(path, handler, gate=gate) for path, handler in get] + [
        web.route(path, handler, ["POST"], gate=gate) for path, handler in post
    ]
