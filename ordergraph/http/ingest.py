"""HTTP ingestion: ``POST /ingest/{channel}`` and ``POST /feeds/inventory/{snapshot|delta}``.

Mounted by the app factory: ``app.router.routes.extend(ingest_routes(state))``.

* ``/ingest/{channel}`` takes the channel's native body and headers. Shopify, WooCommerce and
  Square webhooks are authenticated by their signature over the raw body
  (``connectors.ingest.authenticate``); the other channels (our own connectors, X12 over HTTP),
  and orders of a signing channel pulled from its REST API (no signature header, an
  ``Authorization`` header instead), by an API key of role integration or admin
  (``Authorization: Bearer og_...``). A bad or missing signature or key is 401 (403 for a key
  of another role) and nothing is stored. Then the payload goes through
  ``services.ingestion.ingest``; the answer is JSON ``{status, orderId?, reason?}`` (200), or
  ``{status: "failed", reason, code, failureId}`` (422; 500 for an unexpected fault) with the
  payload stored for replay. X12 850s are answered with the 855 acknowledgement(s)
  (``application/edi-x12``; 422 when a PO failed, with ``X-OrderGraph-*`` headers saying why).
* ``/feeds/inventory/{snapshot|delta}`` takes CSV (``text/csv``) or JSON, with an API key that
  may write stock (integration, admin, or a partner for its own locations); 200 with what was
  applied, or 422 with every bad row (nothing applied).
* ``/feeds/inbound`` takes the ERP's purchase-order and transfer lines (``connectors.inbound``),
  CSV or JSON, with a key that may change inbound; answered like the stock feeds.

With ``ORDERGRAPH_AUTH=off`` (development only) no API key is asked for.

The caller is authenticated before the body is read: the API key, or for signing channels the
presence of a signature header and a configured secret (the signature itself covers the body,
so it is checked once the body, bounded, is in). Bodies are bounded (``max_ingest_bytes``,
``max_feed_bytes``: 413) and read incrementally; a NUL byte, or a JSON ``\\u0000`` or
lone-surrogate escape, is refused with 422 ``INVALID_INPUT`` before any parser sees it (the
graph engine cannot store it; the channel must fix the payload, so a retry would not help).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ordergraph.connectors.feeds import DELTA, SNAPSHOT, FeedError, FeedFormat, detect_format
from ordergraph.connectors.ingest import CHANNELS, authenticate, webhook_secrets_from_env
from ordergraph.domain.access import Principal, Role
from ordergraph.domain.reconciliation import FeedLine
from ordergraph.graph.store import GraphStore, GraphUnavailable
from ordergraph.http.gateway import bearer
from ordergraph.http.text import bytes_problem, text_problem
from ordergraph.services import feeds, inbound
from ordergraph.services import ingestion as svc
from ordergraph.services.apikeys import KeyCache
from ordergraph.settings import Settings

log = logging.getLogger("ordergraph.ingest")

MAX_PAYLOAD = 5 * 1024 * 1024  # one channel payload (default of settings.max_ingest_bytes)
MAX_FEED = 8 * 1024 * 1024  # one inventory feed file (default of settings.max_feed_bytes)
MAX_PING = 1024  # an unsigned WooCommerce ping
MAX_LISTED = 1000  # problems or shortfalls listed in one answer
_WOO_PING = re.compile(rb"webhook_id=\d+")


class AppStateLike(Protocol):
    settings: Settings
    keys: KeyCache | None  # set by the app once the store is open (auth on)

    @property
    def store(self) -> GraphStore: ...


class TooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _unstorable(body: bytes, headers: Mapping[str, str], *, json_escapes: bool) -> str | None:
    """Why the body or a kept header holds what the engine cannot store, or None. JSON
    escapes are looked at only in JSON bodies (in CSV or X12, ``\\u0000`` is just text)."""
    why = bytes_problem(body) if json_escapes else None
    at = body.find(b"\x00")
    if why is None and at >= 0:
        why = f"a NUL byte (U+0000) at byte {at}"
    if why:
        return f"the body holds {why}"
    for name, value in headers.items():
        bad = text_problem(value)
        if bad:
            return f"the {name} header holds {bad}"
    return None


def _looks_json(body: bytes, content_type: str | None) -> bool:
    return "json" in (content_type or "").lower() or body.lstrip()[:1] in (b"{", b"[")


def _invalid(reason: str) -> JSONResponse:
    return _json(422, status="failed", code="INVALID_INPUT", reason=reason)


def _json(http_status: int, /, **fields: Any) -> JSONResponse:
    return JSONResponse({k: v for k, v in fields.items() if v is not None}, status_code=http_status)


def ingest_routes(
    state: AppStateLike,
    *,
    secrets: Mapping[str, str] | None = None,
    config: svc.IngestConfig | None = None,
) -> list[Route]:
    """The ingestion routes over the app's store. ``secrets``: ``{channel: secret}``; by default
    ``settings.webhook_secrets``, else the ``ORDERGRAPH_<CHANNEL>_WEBHOOK_SECRET`` variables."""
    settings = state.settings
    if secrets is None:
        secrets = getattr(settings, "webhook_secrets", None)
        if secrets is None:
            secrets = webhook_secrets_from_env(os.environ)
    known: Mapping[str, str] = dict(secrets)
    config = config or svc.IngestConfig.from_settings(settings)
    notification_url: str | None = getattr(settings, "square_notification_url", None)
    development = settings.development
    max_payload: int = getattr(settings, "max_ingest_bytes", MAX_PAYLOAD)
    max_feed: int = getattr(settings, "max_feed_bytes", MAX_FEED)
    warned: set[str] = set()

    def unsigned(name: str, request: Request, body: bytes) -> Response | None:
        headers = {k.lower(): v for k, v in request.headers.items()}
        verdict = authenticate(
            name,
            known.get(name),
            body,
            headers,
            url=notification_url or str(request.url),
            development=development,
        )
        if not verdict.ok:
            log.warning(
                "refused a %s webhook from %s: %s",
                name,
                request.client.host if request.client else "?",
                verdict.reason,
            )
            return _json(401, status="unauthorized", reason=verdict.reason)
        if verdict.warning and name not in warned:
            warned.add(name)
            log.warning(verdict.warning)
        return None

    def unsigned_early(name: str, request: Request) -> str | None:
        """Before the body: why this signing channel's request cannot pass, or None."""
        spec = CHANNELS[name]
        if not known.get(name):
            if development:
                return None
            variable = f"ORDERGRAPH_{name.upper()}_WEBHOOK_SECRET"
            return f"no webhook secret is configured for {name} ({variable})"
        if spec.signature_header and not request.headers.get(spec.signature_header, "").strip():
            return f"missing {spec.signature_header} header"
        return None

    async def caller(request: Request) -> Principal | Response:
        if not settings.auth:
            return Principal.unrestricted()
        key = bearer(request.headers.get("authorization"))
        keys = state.keys
        found = await keys.principal(key) if key and keys is not None else None
        if found is None:
            return _json(
                401,
                status="unauthorized",
                reason="missing, unknown or revoked API "
                "key; send 'Authorization: Bearer <API key>'",
            )
        return found

    async def ingest_channel(request: Request) -> Response:
        name = request.path_params["channel"]
        spec = CHANNELS.get(name)
        if spec is None:
            return _json(
                404,
                status="failed",
                code="UNKNOWN_CHANNEL",
                reason=f"no channel {name!r} (one of {', '.join(sorted(CHANNELS))})",
            )
        limit = max_payload
        # A signing channel's order pulled over its REST API (not a webhook) has no signature;
        # our connector sends it with an integration API key instead, checked like any key.
        pulled = spec.signature_header is not None and (
            spec.signature_header not in request.headers and "authorization" in request.headers
        )
        if spec.signature_header is not None and not pulled:
            early = unsigned_early(name, request)
            if early is not None and name == "woocommerce":
                limit = MAX_PING  # an unsigned WooCommerce ping, nothing more
            elif early is not None:
                log.warning("refused a %s webhook before its body: %s", name, early)
                return _json(401, status="unauthorized", reason=early)
        else:
            who = await caller(request)
            if isinstance(who, Response):
                return who
            if who.role not in (Role.INTEGRATION, Role.ADMIN):
                return _json(
                    403,
                    status="forbidden",
                    reason=f"a {who.role.value} API key may not ingest orders",
                )
        try:
            body = await _body(request, limit)
        except TooLarge:
            if limit == MAX_PING:
                return _json(401, status="unauthorized", reason=unsigned_early(name, request))
            return _json(413, status="failed", reason=f"payloads are at most {limit} bytes")
        if name == "woocommerce" and _WOO_PING.fullmatch(body.strip()):
            return _json(200, status="ignored", reason="webhook ping")
        if spec.signature_header is not None and not pulled:
            denied = unsigned(name, request, body)
            if denied is not None:
                return denied
        kept = {h: request.headers[h] for h in spec.headers if h in request.headers}
        bad = _unstorable(
            body, kept, json_escapes=_looks_json(body, request.headers.get("content-type"))
        )
        if bad is not None:
            log.warning("refused a %s payload: %s", name, bad)
            return _invalid(bad)
        payload = svc.Payload(name, body, kept, request.headers.get("content-type"))
        try:
            outcome = await svc.ingest(state.store, payload, config=config)
        except GraphUnavailable:
            return _unavailable(f"ingesting a {name} payload")
        return _answer(outcome)

    async def feed_request(
        request: Request, operation: str, what: str
    ) -> tuple[Principal, bytes, FeedFormat] | Response:
        """The caller, body and format of a feed (stock or inbound), or the refusal."""
        who = await caller(request)
        if isinstance(who, Response):
            return who
        if not who.may(operation):
            return _json(
                403, status="forbidden", reason=f"a {who.role.value} API key may not change {what}"
            )
        try:
            body = await _body(request, max_feed)
        except TooLarge:
            return _json(413, status="failed", reason=f"feeds are at most {max_feed} bytes")
        bad = _unstorable(
            body, {}, json_escapes=_looks_json(body, request.headers.get("content-type"))
        )
        if bad is not None:
            return _invalid(bad)
        return who, body, detect_format(request.headers.get("content-type"), None, body)

    async def inventory_feed(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in (SNAPSHOT, DELTA):
            return _json(404, status="failed", reason="feeds are snapshot or delta")
        operation = "inventorySet" if kind == SNAPSHOT else "inventoryAdjust"
        asked = await feed_request(request, operation, "stock")
        if isinstance(asked, Response):
            return asked
        who, body, fmt = asked
        try:
            rows = await feeds.read_checked_feed(state.store, body, kind, fmt)
            refused = _outside(who, rows, "stock")
            if refused is not None:
                return refused
            # the rows are of the feed's kind; read_checked_feed's union is not narrowed by it
            if kind == SNAPSHOT:
                result = await feeds.apply_snapshot(state.store, rows)  # type: ignore[arg-type]
            else:
                result = await feeds.apply_deltas(state.store, rows)  # type: ignore[arg-type]
        except FeedError as exc:
            return _feed_problems(exc)
        except GraphUnavailable:
            return _unavailable("applying an inventory feed")
        return _json(
            200,
            status="applied",
            kind=result.kind,
            rows=result.rows,
            written=result.written,
            refused=[{"row": p.row, "reason": p.reason} for p in result.refused[:MAX_LISTED]],
            shortfalls=[
                {
                    "row": s.row,
                    "location": s.location,
                    "sku": s.sku,
                    "onHand": s.on_hand,
                    "reserved": s.reserved,
                    "safetyStock": s.safety_stock,
                    "shortfall": s.shortfall,
                }
                for s in result.short[:MAX_LISTED]
            ],
            backordersServed=result.backorders_served,
            # reservations the new counts no longer back: re-routed, or waiting for stock
            rerouted=result.rerouted,
            backordered=result.backordered,
            affectedOrders=result.affected_orders[:MAX_LISTED],
        )

    async def inbound_feed(request: Request) -> Response:
        """The ERP's inbound lines (connectors.inbound): all or nothing, like the stock feeds."""
        asked = await feed_request(request, "inboundUpsert", "inbound")
        if isinstance(asked, Response):
            return asked
        who, body, fmt = asked
        try:
            rows = await inbound.read_checked_inbound_feed(
                state.store, body, fmt, may_act_at=who.may_act_at
            )
            refused = _outside(who, rows, "inbound")
            if refused is not None:
                return refused
            result = await inbound.apply_inbound_feed(state.store, rows)
        except FeedError as exc:
            return _feed_problems(exc)
        except GraphUnavailable:
            return _unavailable("applying an inbound feed")
        return _json(
            200,
            status="applied",
            kind="inbound",
            rows=result.rows,
            written=result.written,
            created=result.created,
            moved=result.moved,
            refused=[{"row": p.row, "reason": p.reason} for p in result.refused[:MAX_LISTED]],
        )

    return [
        Route("/ingest/{channel}", ingest_channel, methods=["POST"]),
        Route("/feeds/inventory/{kind}", inventory_feed, methods=["POST"]),
        Route("/feeds/inbound", inbound_feed, methods=["POST"]),
    ]


def _outside(who: Principal, rows: Sequence[FeedLine], what: str) -> Response | None:
    """403 when a feed names locations the key may not act at."""
    outside = sorted({r.location for r in rows if not who.may_act_at(r.location)})
    if not outside:
        return None
    return _json(
        403,
        status="forbidden",
        reason=f"this API key may not change {what} at {', '.join(outside[:20])}",
    )


def _unavailable(doing: str) -> Response:
    """The 503 of a request the graph could not serve while ``doing`` it (logged)."""
    log.exception("graph unavailable while %s", doing)
    return _json(503, status="unavailable", reason="the graph database is unavailable")


def _feed_problems(exc: FeedError) -> Response:
    return _json(
        422,
        status="invalid",
        reason=exc.message,
        problemCount=len(exc.problems),
        problems=[
            {"row": p.row, "field": p.field, "reason": p.reason} for p in exc.problems[:MAX_LISTED]
        ],
    )


def _answer(outcome: svc.Outcome) -> Response:
    failed = outcome.status == svc.FAILED
    status = (500 if outcome.code == svc.INTERNAL else 422) if failed else 200
    if outcome.reply:
        headers = {"X-OrderGraph-Status": outcome.status}
        if outcome.failure_id and failed:
            headers["X-OrderGraph-Failure-Id"] = outcome.failure_id
        if outcome.code and failed:
            headers["X-OrderGraph-Code"] = outcome.code
        if outcome.reason:  # why it failed, or the PO lines refused / not changed
            headers["X-OrderGraph-Reason"] = _header_text(outcome.reason)
        return Response(
            outcome.reply, status_code=status, media_type="application/edi-x12", headers=headers
        )
    return _json(
        status,
        status=outcome.status,
        orderId=outcome.order_id,
        orderIds=outcome.order_ids if len(outcome.order_ids) > 1 else None,
        reason=outcome.reason,
        code=outcome.code if failed else None,
        failureId=outcome.failure_id if failed else None,
        attempts=outcome.attempts if failed else None,
        receiptId=outcome.receipt_id,
    )


def _header_text(text: str) -> str:
    return re.sub(r"[^\x20-\x7e]", "?", text)[:300]
