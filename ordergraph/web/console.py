"""The operations console (``/console``; issue #16): admin keys sign in. This module is the
console's start: its sign-in target, its gate and its home page; the pages are built on it."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ordergraph.domain.access import Principal, Role
from ordergraph.web.pages import SignInTarget, Web, WebRequest


def admits(principal: Principal, params: Mapping[str, str] | None = None) -> str | None:
    """Who may use the console: admin keys (the operations team)."""
    if principal.role != Role.ADMIN:
        return f"the operations console is for admin keys; this is a {principal.role.value} key"
    return None


def gate(principal: Principal, request: Request) -> str | None:
    return admits(principal)


def console_routes(web: Web) -> list[Route]:
    web.apps["console"] = SignInTarget("Operations console", admits, lambda _: "/console")

    async def home(wr: WebRequest) -> Response:
        return wr.render("console/home.html")

    return [web.route("/console", home, gate=gate)]
