"""The browser apps' page machinery: every web route goes through ``Web.route``.

``Web.route(path, handler, methods, gate=...)`` makes a Starlette route whose endpoint

1. reads the session cookie (``web.session``), or starts an anonymous one;
2. finds the signed-in principal from the session's key id (the same API keys and ``Principal``
   as the GraphQL API: a revoked key ends its sessions within ``KEY_TTL`` seconds);
3. on POST: refuses a cross-origin ``Origin`` (403), a body over ``MAX_FORM`` bytes (413) and a
   missing or wrong CSRF token (403, form field ``csrf`` or header ``X-CSRF-Token``), before the
   handler runs;
4. applies the route's ``gate`` (who may use it, decided on the principal and the path): no
   session is a redirect to sign in (a GET) or 401 (a POST, an htmx request); a refusal is 403
   with its reason;
5. calls the handler with a ``WebRequest`` (request, session, principal, the checked form) and
   sends its response with the cookie and the security headers (a strict CSP: scripts and styles
   only from ``/web/static``, no frames).

Handlers call services with ``wr.principal`` exactly as resolvers do; a gate is the operation
check, the service's object check (e.g. the fulfillment's location) is still theirs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from ordergraph.domain.access import Principal
from ordergraph.graph.store import GraphStore
from ordergraph.http.state import AppState
from ordergraph.services.apikeys import principal_by_id
from ordergraph.web import session as sessions
from ordergraph.web.session import Session

HERE = Path(__file__).parent
MAX_FORM = 64 * 1024
_FORM_INT = re.compile(r"-?[0-9]{1,9}")


def form_int(raw: str, default: int = 0) -> int:
    """A form field's whole number (ASCII digits, an optional minus, at most 9 digits), or
    ``default``: ``--1`` or ``²`` pass ``str.isdigit`` yet ``int()`` refuses them (a 500)."""
    return int(raw) if _FORM_INT.fullmatch(raw) else default


KEY_TTL = 5.0  # seconds a session's key is trusted before it is read again
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}

# who may use a route: None when ``principal`` may, else the reason it may not
Gate = Callable[[Principal, Request], str | None]
Handler = Callable[["WebRequest"], Awaitable[Response]]


@dataclass(frozen=True)
class SignInTarget:
    """An app people sign in to: who it admits (None, or why not) and where it starts."""

    title: str
    admits: Callable[[Principal, Mapping[str, str]], str | None]
    home: Callable[[Mapping[str, str]], str]
    params: tuple[str, ...] = ()  # the sign-in form's hidden fields (e.g. the store's location)


@dataclass
class Web:
    """What every page needs: the app state, the templates and the apps one signs in to."""

    state: AppState
    templates: Jinja2Templates = field(
        default_factory=lambda: Jinja2Templates(directory=HERE / "templates")
    )
    apps: dict[str, SignInTarget] = field(default_factory=dict)
    _keys: dict[str, tuple[float, Principal | None]] = field(default_factory=dict)

    @property
    def store(self) -> GraphStore:
        return self.state.store

    @property
    def secret(self) -> str:
        return self.state.settings.web_secret

    @property
    def minutes(self) -> int:
        return self.state.settings.web_session_minutes

    async def principal(self, key_id: str) -> Principal | None:
        if not self.state.settings.auth:
            return Principal.unrestricted() if key_id == Principal.unrestricted().key_id else None
        now = time.monotonic()
        hit = self._keys.get(key_id)
        if hit is not None and now - hit[0] < KEY_TTL:
            return hit[1]
        found = await principal_by_id(self.store, key_id)
        if len(self._keys) > 10_000:
            self._keys.clear()
        self._keys[key_id] = (now, found)
        return found

    def route(
        self,
        path: str,
        handler: Handler,
        methods: Sequence[str] = ("GET",),
        *,
        gate: Gate | None = None,
        name: str | None = None,
    ) -> Route:
        async def endpoint(request: Request) -> Response:
            return await self._serve(request, handler, gate)

        endpoint.web_guarded = True  # type: ignore[attr-defined]  # tests: every route is
        return Route(path, endpoint, methods=list(methods), name=name)

    async def _serve(self, request: Request, handler: Handler, gate: Gate | None) -> Response:
        cookie = request.cookies.get(sessions.COOKIE)
        found = sessions.decode(cookie, self.secret)
        session = found or Session.anonymous(self.minutes)
        principal = None if session.key_id is None else await self.principal(session.key_id)
        if session.key_id is not None and principal is None:  # revoked, or the server's keys
            session = Session.anonymous(self.minutes)
        form: FormData | None = None
        if request.method == "POST":
            refused = await self._check_post(request, session)
            if isinstance(refused, Response):
                return self._finish(request, refused, session, found is None)
            form = refused
        if gate is not None:
            if principal is None:
                return self._finish(request, self._sign_in_first(request), session, True)
            reason = gate(principal, request)
            if reason is not None:
                return self._finish(request, self.refuse(request, 403, reason), session, False)
        wr = WebRequest(self, request, session, principal, form)
        response = await handler(wr)
        return self._finish(request, response, wr.session, wr.session is not found)

    async def _check_post(self, request: Request, session: Session) -> FormData | Response:
        origin = request.headers.get("origin")
        # the host only: behind a TLS proxy the scheme we see may not be the browser's
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
            return self.refuse(request, 403, f"a form from another site ({origin}) is refused")
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_FORM):
            return self.refuse(request, 413, f"forms here are at most {MAX_FORM} bytes")
        kind = request.headers.get("content-type", "")
        form = (
            await request.form(max_files=0, max_fields=200)
            if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))
            else FormData()
        )
        given = request.headers.get(sessions.CSRF_HEADER) or form.get(sessions.CSRF_FIELD)
        if not session.csrf_matches(given if isinstance(given, str) else None):
            why = "missing" if not given else "wrong or expired"
            return self.refuse(
                request,
                403,
                f"the form's security token (CSRF) is {why}: reload the page and try again",
            )
        return form

    def _sign_in_first(self, request: Request) -> Response:
        if request.method != "GET" or request.headers.get("hx-request"):
            return self.refuse(request, 401, "sign in first (your session ended)")
        target = request.url.path
        return RedirectResponse(f"/web/signin?next={quote(target, safe='/')}", status_code=303)

    def refuse(self, request: Request, status: int, reason: str) -> Response:
        """A refusal people can read: the reason in a page (or an htmx fragment)."""
        template = "refused_fragment.html" if request.headers.get("hx-request") else "refused.html"
        response = self.templates.TemplateResponse(
            request, template, {"status": status, "reason": reason, "csrf": ""}, status_code=status
        )
        if request.headers.get("hx-request"):  # htmx swaps error answers only when told to
            response.headers["hx-retarget"] = "#notice"
            response.headers["hx-reswap"] = "innerHTML"
        return response

    def _finish(
        self, request: Request, response: Response, session: Session, new: bool
    ) -> Response:
        if new:
            sessions.store_cookie(response, request, session, self.secret)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


@dataclass
class WebRequest:
    """One request to a page: the request, its session and principal, the checked form."""

    web: Web
    request: Request
    session: Session
    principal: Principal | None
    form: FormData | None = None

    @property
    def store(self) -> GraphStore:
        return self.web.store

    @property
    def who(self) -> Principal:
        """The signed-in principal (a gated route always has one)."""
        assert self.principal is not None, "a gated route has a principal"
        return self.principal

    def field(self, name: str, default: str = "") -> str:
        value = None if self.form is None else self.form.get(name)
        return value.strip() if isinstance(value, str) else default

    def number(self, name: str, default: int = 0) -> int:
        return form_int(self.field(name), default)

    @property
    def htmx(self) -> bool:
        return bool(self.request.headers.get("hx-request"))

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        """``template`` with the session's CSRF token, the principal and ``context``."""
        return self.web.templates.TemplateResponse(
            self.request,
            template,
            {"csrf": self.session.csrf, "principal": self.principal, **context},
            status_code=status,
        )

    def redirect(self, url: str) -> Response:
        """After a POST: see the page again (303); for htmx, tell it to go there."""
        if self.htmx:
            return HTMLResponse("", headers={"hx-redirect": url})
        return RedirectResponse(url, status_code=303)

    def refuse(self, status: int, reason: str) -> Response:
        return self.web.refuse(self.request, status, reason)
