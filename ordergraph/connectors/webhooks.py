"""Outbound webhooks: the body, the signature, one POST. Retries and order live in services/events.

A delivery is ``POST <url>`` with the JSON body ``{id, type, orderId, sequence, at, payload}`` and:

- ``X-OrderGraph-Event-Id``: the event id; the same on every retry (de-duplicate on it);
- ``X-OrderGraph-Event-Type``: the event type;
- ``X-OrderGraph-Timestamp``: unix seconds when this attempt was signed;
- ``X-OrderGraph-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with the subscription's
  secret, of ``"<timestamp>.<raw body>"`` (Stripe's scheme; see docs/events.md).

Any 2xx acknowledges. Redirects are not followed (a 3xx is a failure), so a signed body never
travels to a host the subscriber did not name.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

EVENT_ID = "X-OrderGraph-Event-Id"
EVENT_TYPE = "X-OrderGraph-Event-Type"
TIMESTAMP = "X-OrderGraph-Timestamp"
SIGNATURE = "X-OrderGraph-Signature"
USER_AGENT = "OrderGraph-Webhooks/1"
# Connect fast or give up; a receiver should answer within seconds (and queue its own work).
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
MAX_URL = 2000
ERROR_CHARS = 300


def http_client(timeout: httpx.Timeout = TIMEOUT) -> httpx.AsyncClient:
    """The one client the process shares for webhooks: explicit timeouts, no redirects."""
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
    )


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks, or None. Only absolute http(s) URLs with a host."""
    if not url or len(url) > MAX_URL or any(c.isspace() for c in url):
        return f"url must be an absolute http(s) URL of at most {MAX_URL} characters, no spaces"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a malformed port
    except ValueError:
        return "url is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return f"url must use http or https, not {parts.scheme or 'nothing'!r}"
    if not parts.hostname:
        return "url needs a host"
    if port == 0:
        return "url has an invalid port"
    return None


def body(event: Mapping[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, payload as an object."""
    raw = event.get("payload")
    try:
        payload = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        payload = raw
    return orjson.dumps(
        {
            "id": event["id"],
            "type": event["type"],
            "orderId": event.get("orderId"),
            "sequence": event.get("sequence"),
            "at": event.get("at"),
            "payload": payload,
        }
    )


def sign(secret: str, timestamp: int | str, raw_body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + raw_body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: str,
    raw_body: bytes,
    signature: str,
    *,
    tolerance_s: int = 300,
    now: float | None = None,
) -> bool:
    """The receiver's check: a fresh timestamp and a matching signature (constant time)."""
    try:
        age = (time.time() if now is None else now) - int(timestamp)
    except ValueError:
        return False
    if abs(age) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, raw_body), signature)


def headers(
    event: Mapping[str, Any], secret: str, raw_body: bytes, timestamp: int
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        EVENT_ID: str(event["id"]),
        EVENT_TYPE: str(event["type"]),
        TIMESTAMP: str(timestamp),
        SIGNATURE: sign(secret, timestamp, raw_body),
    }


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: acknowledged or not, and why not (for the dead-letter list)."""

    ok: bool
    status: int | None = None
    error: str | None = None


async def post(
    client: httpx.AsyncClient,
    url: str,
    event: Mapping[str, Any],
    secret: str,
    *,
    timeout: float | None = None,
    now: float | None = None,
) -> Outcome:
    """Sign and send one event. Never raises for the receiver's or the network's faults."""
    raw = body(event)
    stamp = int(time.time() if now is None else now)
    try:
        response = await client.post(
            url,
            content=raw,
            headers=headers(event, secret, raw, stamp),
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )
    except httpx.TimeoutException as exc:
        return Outcome(False, None, f"timeout: {type(exc).__name__}")
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:ERROR_CHARS])
    if 200 <= response.status_code < 300:
        return Outcome(True, response.status_code)
    text = response.text.strip().replace("\n", " ")
    return Outcome(
        False,
        response.status_code,
        f"HTTP {response.status_code}{': ' + text if text else ''}"[:ERROR_CHARS],
    )
