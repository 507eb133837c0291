"""HTTP concerns around the GraphQL view: request ids, API-key authentication, body limits
and access logs.

Every request gets an id (the client's ``X-Request-Id`` if sane, else a new one), echoed in the
response and written in every log line about it (``http.logs``), so that a masked "Internal
error." can be found in the logs.

The API key is checked before a byte of the body is read; then the body is read incrementally
(``Content-Length`` or chunked) and refused with 413 as soon as it passes the route's limit, so
an oversized or unauthenticated request never costs more memory than the limit.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ordergraph.domain.access import Principal
from ordergraph.http.logs import request_id
from ordergraph.services.apikeys import KeyCache

_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
log = logging.getLogger("ordergraph.http")


def _header(scope: Scope, name: bytes) -> str | None:
    headers: Iterable[tuple[bytes, bytes]] = scope.get("headers", ())
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.limit = limit


def declared_length(scope: Scope) -> int | None:
    raw = _header(scope, b"content-length")
    return int(raw) if raw is not None and raw.strip().isdigit() else None


async def read_limited(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body, read chunk by chunk; ``BodyTooLarge`` as soon as it passes ``limit``
    (at once when ``Content-Length`` says so), so at most ``limit`` bytes are ever held."""
    declared = declared_length(scope)
    if declared is not None and declared > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then waits as the real one."""
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


async def send_json(
    send: Send, status: int, doc: object, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    body = json.dumps(doc).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def too_large(limit: int) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": f"payload too large: request bodies here are at most {limit} bytes",
                "extensions": {"code": "PAYLOAD_TOO_LARGE", "limit": limit},
            }
        ]
    }


class Gateway:
    """Wraps the GraphQL view: request id, then the API key, then the body (at most
    ``max_body`` bytes, read only once the key is good), then an access log line."""

    def __init__(self, app: ASGIApp, *, auth: bool, ide: bool, max_body: int = 1 << 20) -> None:
        self.app, self.auth, self.ide, self.max_body = app, auth, ide, max_body
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
            if scope["type"] == "http":
                try:
                    receive = replay(await read_limited(scope, receive, self.max_body), receive)
                except BodyTooLarge as exc:
                    await send_json(send_with_id, 413, too_large(exc.limit))
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
        doc = {
            "errors": [
                {
                    "message": f"unauthorized: {why}; send 'Authorization: Bearer <API key>'",
                    "extensions": {"code": "UNAUTHENTICATED"},
                }
            ]
        }
        await send_json(send, 401, doc, [(b"www-authenticate", b"Bearer")])
