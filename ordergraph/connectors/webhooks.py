"""Outbound webhooks: the body, the signature, one POST. Retries and order live in services/events.

A delivery is ``POST <url>`` with the JSON body ``{id, type, orderId, sequence, at, payload}`` and:

- ``X-OrderGraph-Event-Id``: the event id; the same on every retry (de-duplicate on it);
- ``X-OrderGraph-Event-Type``: the event type;
- ``X-OrderGraph-Timestamp``: unix seconds when this attempt was signed;
- ``X-OrderGraph-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with the subscription's
  secret, of ``"<timestamp>.<raw body>"`` (Stripe's scheme; see docs/events.md).

Any 2xx acknowledges. Redirects are not followed (a 3xx is a failure), so a signed body never
travels to a host the subscriber did not name.

Targets (server-side request forgery): a URL may not carry credentials (``user:pass@``), and may
not point at this machine or its networks: loopback, private (RFC 1918, ``fc00::/7``),
link-local (``169.254.0.0/16``, where cloud metadata lives; ``fe80::/10``), ``0.0.0.0``, shared,
reserved and multicast ranges, in any spelling (``2130706433``, ``0x7f.1``, ``::ffff:127.0.0.1``,
``localhost``). The URL is checked when a subscription is made, and every connection is checked
again at delivery after DNS resolution: the client connects only to the very address it checked
(TLS still verifies the host name). Environment proxies are ignored. An operator may allow
private ranges explicitly: ``ORDERGRAPH_WEBHOOK_ALLOW_PRIVATE=10.1.0.0/16,127.0.0.1``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import re
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
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


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
RESOLVE_TIMEOUT_S = 3.0
_NUMERIC_V4 = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}", re.IGNORECASE)
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The allow-list (``ORDERGRAPH_WEBHOOK_ALLOW_PRIVATE``) as networks."""
    return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip())


def literal_address(host: str) -> IPAddress | None:
    """The address a host names by itself, in every spelling a resolver accepts
    (``127.0.0.1``, ``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``[::ffff:127.0.0.1]``)."""
    name = host.strip().strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        pass
    if _NUMERIC_V4.fullmatch(name):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    return None


def address_problem(address: IPAddress, allow: Sequence[IPNetwork] = ()) -> str | None:
    """Why a webhook may not be sent to ``address``, or None: only public unicast addresses,
    unless an allowed network holds it. IPv4-mapped/translated IPv6 is judged as its IPv4."""
    if any(address.version == net.version and address in net for net in allow):
        return None
    judged: IPAddress = address
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in ipaddress.IPv6Network("64:ff9b::/96"):
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            if any(net.version == 4 and inner in net for net in allow):
                return None
            judged = inner
    if judged.is_global and not judged.is_multicast:
        return None
    kind = (
        "loopback"
        if judged.is_loopback
        else "link-local (cloud metadata)"
        if judged.is_link_local
        else "unspecified"
        if judged.is_unspecified
        else "multicast"
        if judged.is_multicast
        else "private or reserved"
    )
    return (
        f"url points at {judged}, a {kind} address; webhooks go to public addresses only "
        "(an operator may allow private ranges with ORDERGRAPH_WEBHOOK_ALLOW_PRIVATE)"
    )


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks, or None. Only absolute http(s) URLs with a host
    and no credentials. (The message never repeats the URL: it may hold a secret.)"""
    if not url or len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        return f"url must be an absolute http(s) URL of at most {MAX_URL} characters, no spaces"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a malformed port
    except ValueError:
        return "url is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return f"url must use http or https, not {parts.scheme or 'nothing'!r}"
    if "@" in parts.netloc:
        return (
            "url may not hold credentials (user:password@); authenticate deliveries with "
            "the subscription's signing secret"
        )
    if not parts.hostname:
        return "url needs a host"
    if port == 0:
        return "url has an invalid port"
    return None


def target_problem(url: str, allow: Sequence[IPNetwork] = ()) -> str | None:
    """``url_problem``, then where it points, without DNS: a literal address in any spelling,
    or a name of this machine (``localhost``)."""
    problem = url_problem(url)
    if problem:
        return problem
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    address = literal_address(host)
    if address is None and (host in _LOCAL_NAMES or host.endswith(".localhost")):
        address = ipaddress.IPv4Address("127.0.0.1")
    return None if address is None else address_problem(address, allow)


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal host: itself)."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S
    )
    found: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in found:
            found.append(address)
    return found


async def resolved_problem(url: str, allow: Sequence[IPNetwork] = ()) -> str | None:
    """``target_problem``, then the addresses the host resolves to now (a host that does not
    resolve yet passes: every delivery resolves and checks again)."""
    problem = target_problem(url, allow)
    if problem:
        return problem
    parts = urlsplit(url)
    try:
        addresses = await resolve(parts.hostname or "", parts.port or 443)
    except (OSError, TimeoutError, UnicodeError):
        return None
    for address in addresses:
        problem = address_problem(address, allow)
        if problem:
            return problem
    return None


class TargetRefused(httpcore.ConnectError):
    """A delivery's host resolved to an address webhooks may not reach."""


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses ``address_problem`` passes: resolves the host itself,
    checks every address, and connects to a checked one (never resolving twice)."""

    def __init__(self, allow: Sequence[IPNetwork] = ()) -> None:
        self.allow = tuple(allow)
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve(host, port)
        except (OSError, TimeoutError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        for address in addresses:
            problem = address_problem(address, self.allow)
            if problem:
                raise TargetRefused(f"refused: {host} resolves to {address}: {problem}")
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are not sent over unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def http_client(
    timeout: httpx.Timeout = TIMEOUT, *, allow: Iterable[str] = ()
) -> httpx.AsyncClient:
    """The one client the process shares for webhooks: explicit timeouts, no redirects, no
    proxies from the environment, and every connection checked (``CheckedBackend``);
    ``allow``: CIDRs that may be reached although private."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=CheckedBackend(networks(allow)),
    )
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        transport=transport,
        headers={"User-Agent": USER_AGENT},
    )


def redacted(url: str) -> str:
    """``url`` as it may be shown: any ``user:password@`` (stored before they were refused)
    replaced by ``***@``."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]).geturl()


@dataclass(frozen=True, slots=True)
class Message:
    """One event as its subscribers receive it (the body is a public format: docs/events.md)."""

    id: str
    type: str
    order_id: str | None
    sequence: int
    at: str  # ISO 8601
    payload: Mapping[str, Any]


def body(message: Message) -> bytes:
    """The exact bytes sent (and signed): compact JSON, payload as an object."""
    return orjson.dumps(
        {
            "id": message.id,
            "type": message.type,
            "orderId": message.order_id,
            "sequence": message.sequence,
            "at": message.at,
            "payload": dict(message.payload),
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


def headers(message: Message, secret: str, raw_body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        EVENT_ID: message.id,
        EVENT_TYPE: message.type,
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
    message: Message,
    secret: str,
    *,
    timeout: float | None = None,
    now: float | None = None,
) -> Outcome:
    """Sign and send one event. Never raises for the receiver's or the network's faults."""
    raw = body(message)
    stamp = int(time.time() if now is None else now)
    try:
        response = await client.post(
            url,
            content=raw,
            headers=headers(message, secret, raw, stamp),
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )
    except httpx.TimeoutException as exc:
        return Outcome(False, None, f"timeout: {type(exc).__name__}")
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:ERROR_CHARS])
    except ValueError as exc:  # a URL httpx cannot use (stored before today's checks)
        return Outcome(False, None, f"invalid url: {type(exc).__name__}")
    if 200 <= response.status_code < 300:
        return Outcome(True, response.status_code)
    text = response.text.strip().replace("\n", " ")
    return Outcome(
        False,
        response.status_code,
        f"HTTP {response.status_code}{': ' + text if text else ''}"[:ERROR_CHARS],
    )
