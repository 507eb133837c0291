"""HTTP concerns around the GraphQL view: request ids, API-key authentication, access logs.

Every request gets an id (the client's ``X-Request-Id`` if sane, else a new one), echoed in the
response and written in every log line about it, so that a masked "Internal error." can be found
in the logs. Logs are JSON lines on stderr.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import sys
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ordergraph.domain.access import Principal
from ordergraph.services.apikeys import KeyCache

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
log = logging.getLogger("ordergraph.http")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "requestId": request_id.get(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: int = logging.WARNING) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("ordergraph.http").setLevel(logging.INFO)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class Gateway:
    """Wraps the GraphQL view: request id, then the API key, then an access log line."""

    def __init__(self, app: ASGIApp, *, auth: bool, ide: bool) -> None:
        self.app, self.auth, self.ide = app, auth, ide
        self.keys: KeyCache | None = None  # set once the store is open

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        rid = given if given and _SANE_ID.fullmatch(given) else secrets.token_hex(8)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = {"code": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            scope.setdefault("state", {})
            if not self.auth:
                scope["state"]["principal"] = Principal.unrestricted()
            elif self.keys is None:
                await self._unauthorized(scope, send_with_id, "the server is starting")
                return
            else:
                key = bearer(_header(scope, b"authorization"))
                principal = await self.keys.principal(key) if key else None
                scope["state"]["principal"] = principal
                if principal is None and not self._anonymous_ok(scope):
                    await self._unauthorized(
                        scope,
                        send_with_id,
                        "missing API key" if not key else "unknown or revoked API key",
                    )
                    return
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                log.info(
                    "request",
                    extra={
                        "fields": {
                            "method": scope.get("method"),
                            "path": scope.get("path"),
                            "status": status["code"],
                            "ms": round((time.perf_counter() - started) * 1000, 2),
                        }
                    },
                )
            request_id.reset(token)

    def _anonymous_ok(self, scope: Scope) -> bool:
        if scope["type"] == "websocket":  # the key may come in connection_init instead
            return True
        accept = _header(scope, b"accept") or ""
        return self.ide and scope.get("method") == "GET" and "text/html" in accept

    async def _unauthorized(self, scope: Scope, send: Send, why: str) -> None:
        body = json.dumps(
            {
                "errors": [
                    {
                        "message": f"unauthorized: {why}; send 'Authorization: Bearer <API key>'",
                        "extensions": {"code": "UNAUTHENTICATED"},
                    }
                ]
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b"Bearer"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
