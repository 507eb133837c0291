"""Browser sessions: a signed cookie that names the API key's id and the session's CSRF token.

The cookie (``og_session``) is ``base64url(json).base64url(hmac_sha256(secret, json))``: it is
not encrypted, so it holds nothing secret: the key's *id* (never the key), the CSRF token
(which the page holds anyway) and the expiry. It is httpOnly, ``SameSite=Strict``, ``Secure``
unless the request came to a loopback host, and lives ``web_session_minutes``. A session without
a key id is anonymous: the sign-in page has one, so that its form is CSRF-protected too.

CSRF is the synchronizer pattern: every page carries the session's token (a hidden ``csrf``
field in every form, and an ``X-CSRF-Token`` header on every htmx request, set once on
``<body hx-headers>``); ``web.pages`` refuses any POST whose token does not match with 403.
Signing in issues a new session (new token), so a token seen before sign-in is worth nothing
after it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ordergraph.settings import is_loopback

COOKIE = "og_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
MAX_COOKIE = 2048  # a longer cookie is not ours


@dataclass(frozen=True)
class Session:
    csrf: str
    expires: int  # epoch seconds
    key_id: str | None = None  # the API key signed in with; None: anonymous

    @classmethod
    def anonymous(cls, minutes: int) -> Session:
        return cls(secrets.token_urlsafe(24), int(time.time()) + 60 * minutes)

    @classmethod
    def signed_in(cls, key_id: str, minutes: int) -> Session:
        return cls(secrets.token_urlsafe(24), int(time.time()) + 60 * minutes, key_id)

    def csrf_matches(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf.encode(), str(given).encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), b"ordergraph-web-session\0" + body, hashlib.sha256).digest()


def encode(session: Session, secret: str) -> str:
    body = json.dumps(
        {"c": session.csrf, "e": session.expires, "k": session.key_id}, separators=(",", ":")
    ).encode()
    return f"{_b64(body)}.{_b64(_mac(secret, body))}"


def decode(value: str | None, secret: str, now: float | None = None) -> Session | None:
    """The session a cookie holds; None when it is absent, forged, malformed or expired."""
    if not value or len(value) > MAX_COOKIE or value.count(".") != 1:
        return None
    body_text, mac_text = value.split(".")
    try:
        body, mac = _unb64(body_text), _unb64(mac_text)
    except ValueError:
        return None
    if not hmac.compare_digest(mac, _mac(secret, body)):
        return None
    try:
        doc = json.loads(body)
        session = Session(str(doc["c"]), int(doc["e"]), None if doc["k"] is None else str(doc["k"]))
    except (ValueError, KeyError, TypeError):
        return None
    if session.expires <= (time.time() if now is None else now):
        return None
    return session


def secure_request(request: Request) -> bool:
    """Cookies are ``Secure`` unless the browser reached us on a loopback host (development)."""
    return not is_loopback(request.url.hostname or "")


def store_cookie(response: Response, request: Request, session: Session, secret: str) -> None:
    response.set_cookie(
        COOKIE,
        encode(session, secret),
        max_age=max(0, session.expires - int(time.time())),
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure_request(request),
    )
