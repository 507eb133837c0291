"""The HTTP side of pull connectors: one shared client, timeouts, retries, rate limits."""

from __future__ import annotations

import asyncio
import logging
import random
import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from ordergraph.domain.errors import ErrorCode, OrderGraphError

log = logging.getLogger("ordergraph.pull")

USER_AGENT = "OrderGraph-Pull/1"
# Failure codes kept on the stored notification (IngestionFailure.code).
UNAVAILABLE = "CHANNEL_UNAVAILABLE"  # timeouts, 5xx, rate limit outlasting our patience
REFUSED = "CHANNEL_REFUSED"  # 4xx: bad credentials, unknown order
NOT_CONFIGURED = "CHANNEL_NOT_CONFIGURED"  # a notification, but no credentials to pull with


class PullFailed(OrderGraphError):
    """The channel's API did not give us the order. ``failure_code`` is one of the codes above."""

    def __init__(self, message: str, failure_code: str, *, status: int | None = None) -> None:
        super().__init__(message, ErrorCode.INVALID_INPUT)
        self.failure_code = failure_code
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # in all, the first included
    base_s: float = 0.5  # backoff before attempt n+1: base * 2**(n-1), with jitter
    max_wait_s: float = 30.0  # a longer Retry-After is not waited for: the pull fails
    timeout_s: float = 10.0  # read/write/pool; connect is at most 3 s


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def shared_client() -> httpx.AsyncClient:
    """The process's one pull client (per event loop): no redirects, bounded pool."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
        )
        _clients[loop] = client
    return client


async def close_shared_client() -> None:
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


def _wait_from_headers(headers: Mapping[str, str]) -> float | None:
    """Seconds the channel asks us to wait: Retry-After (seconds), BigCommerce's
    X-Rate-Limit-Time-Reset-Ms (milliseconds)."""
    # ASCII digits only (str.isdigit() also takes '²'), read with float(): int() refuses more
    # than 4300 digits, float() makes such a wait infinite, which is over any max_wait_s
    raw = headers.get("retry-after")
    if raw is not None and _DIGITS.fullmatch(raw.strip()):
        return float(raw.strip())
    raw = headers.get("x-rate-limit-time-reset-ms")
    if raw is not None and _DIGITS.fullmatch(raw.strip()):
        return float(raw.strip()) / 1000
    return None


_DIGITS = re.compile(r"[0-9]+")


async def get_json(
    channel: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    auth: httpx.BasicAuth | None = None,
    policy: RetryPolicy,
    empty: Any = None,
) -> Any:
    """GET ``url`` and decode its JSON. 204 answers ``empty``. Retries timeouts, connection
    errors, 429 and 5xx up to ``policy.attempts``; other 4xx fail at once (REFUSED)."""
    client = shared_client()
    timeout = httpx.Timeout(policy.timeout_s, connect=min(3.0, policy.timeout_s))
    last = ""
    for attempt in range(1, policy.attempts + 1):
        wait = policy.base_s * 2 ** (attempt - 1) * (1 + random.random() / 4)
        try:
            response = await client.get(
                url, headers=dict(headers or {}), params=params, auth=auth, timeout=timeout
            )
        except httpx.TimeoutException:
            last = f"{channel} did not answer within {policy.timeout_s:g} s"
        except httpx.TransportError as exc:
            last = f"{channel} could not be reached ({type(exc).__name__})"
        else:
            status = response.status_code
            if status == 204:
                return empty
            if 200 <= status < 300:
                try:
                    return orjson.loads(response.content)
                except orjson.JSONDecodeError:
                    raise PullFailed(
                        f"{channel} answered {url} with a body that is not JSON", UNAVAILABLE
                    ) from None
            if status == 429:
                asked = _wait_from_headers(response.headers)
                last = f"{channel} rate-limited the request (429)"
                if asked is not None:
                    if asked > policy.max_wait_s:
                        raise PullFailed(
                            f"{last} and asks to wait {asked:g} s; kept for replay",
                            UNAVAILABLE,
                            status=status,
                        )
                    wait = max(wait, asked)
            elif status >= 500:
                last = f"{channel} answered {status}"
            else:
                raise PullFailed(
                    f"{channel} answered {status} for {_safe(url)}: {_excerpt(response.text)}",
                    REFUSED,
                    status=status,
                )
        if attempt < policy.attempts:
            log.info("pull from %s: %s; attempt %d in %.2f s", channel, last, attempt + 1, wait)
            await asyncio.sleep(wait)
    raise PullFailed(f"{last} after {policy.attempts} attempts; kept for replay", UNAVAILABLE)


def _excerpt(text: str) -> str:
    return " ".join(text.split())[:200]


def _safe(url: str) -> str:
    return url.split("?", 1)[0]
