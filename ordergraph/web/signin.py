"""Sign in with an API key, sign out. The key is checked as the API checks it (``KeyCache``),
then the target app's ``admits`` decides (a storefront key signs in to no app); the session
keeps the key's id, never the key."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response
from starlette.routing import Route

from ordergraph.domain.access import Principal
from ordergraph.web.pages import SignInTarget, Web, WebRequest
from ordergraph.web.session import Session

MAX_KEY = 200


def _target(web: Web, wr: WebRequest) -> tuple[str, SignInTarget, dict[str, str]] | None:
    """The app named by ``app`` (a query or form field), or by the ``next`` path's first part."""
    source: Mapping[str, str] = wr.request.query_params
    name = wr.field("app") if wr.form is not None else source.get("app", "")
    params = {}
    nxt = source.get("next", "") if wr.form is None else wr.field("next")
    if not name and nxt.startswith("/"):
        parts = nxt.strip("/").split("/")
        name = parts[0]
        if name == "store" and len(parts) > 1:
            params["location"] = parts[1]
    target = web.apps.get(name)
    if target is None:
        return None
    for p in target.params:
        params.setdefault(p, (wr.field(p) if wr.form is not None else source.get(p, "")) or "")
    return name, target, params


def _onward(nxt: str, home: str) -> str:
    """Where to go after signing in: ``next`` when it is a page of the app's own (its home or
    under it; never another site or app), else the app's home."""
    plain = nxt.isascii() and "//" not in nxt and "\\" not in nxt and ".." not in nxt
    if plain and (nxt == home or nxt.startswith(home.rstrip("/") + "/")):
        return nxt
    return home


async def _show(wr: WebRequest, status: int = 200, error: str | None = None) -> Response:
    found = _target(wr.web, wr)
    if found is None:
        return wr.render("signin_choose.html", status, apps=wr.web.apps, error=error)
    name, target, params = found
    nxt = wr.field("next") if wr.form is not None else wr.request.query_params.get("next", "")
    return wr.render(
        "signin.html", status, app=name, target=target, params=params, error=error, next=nxt
    )


def signin_routes(web: Web) -> list[Route]:
    async def show(wr: WebRequest) -> Response:
        return await _show(wr)

    async def submit(wr: WebRequest) -> Response:
        found = _target(web, wr)
        if found is None:
            return await _show(wr, 400, "choose the app to sign in to")
        _, target, params = found
        key = wr.field("key")
        principal: Principal | None
        if not web.state.settings.auth:
            principal = Principal.unrestricted()
        elif not key or len(key) > MAX_KEY or web.state.keys is None:
            principal = None
        else:
            principal = await web.state.keys.principal(key)
        if principal is None:
            return await _show(wr, 401, "that API key is unknown or revoked")
        reason = target.admits(principal, params)
        if reason is not None:
            return await _show(wr, 403, reason)
        wr.session = Session.signed_in(principal.key_id, web.minutes)
        return wr.redirect(_onward(wr.field("next"), target.home(params)))

    async def signout(wr: WebRequest) -> Response:
        wr.session = Session.anonymous(web.minutes)
        return wr.redirect("/web/signin")

    return [
        web.route("/web/signin", show, ["GET"]),
        web.route("/web/signin", submit, ["POST"]),
        web.route("/web/signout", signout, ["POST"]),
    ]
