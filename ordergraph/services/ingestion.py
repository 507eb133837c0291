"""Ingestion use cases: channel payloads become orders, and nothing received is lost.

``ingest`` takes one payload as received (already authenticated by the caller) and:

1. decodes it with the channel's parser (``connectors.ingest.CHANNELS``);
2. for each order it carries: places it through ``place_order`` (idempotent on (channel,
   externalId)), or, when the order exists already, applies what the channel changed since:
   a cancelled order is cancelled, lines with fewer open units (cancelled, refunded, returned)
   are cancelled down to what is left; more units are not added (answered ``unchanged`` with a
   note); a payload that changes nothing is a ``duplicate``;
3. records the outcome: a receipt for a payload that worked (which also resolves an earlier
   failure of the same payload), or the payload as received, with the reason and an error code,
   as an ``IngestionFailure`` that ``replay`` runs again once the cause is fixed.

Payloads are keyed by a digest of (channel, topic, body): a redelivery updates the same receipt
or failure (``attempts`` counts them).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from ordergraph.connectors.canonical import CANCELLED, CanonicalOrder
from ordergraph.connectors.ingest import (
    CHANNELS,
    X12,
    DecodeContext,
    Decoded,
    line_acks,
    order_request,
)
from ordergraph.connectors.x12 import ControlNumbers, build_855
from ordergraph.services.asn import remember_partner
from ordergraph.domain.errors import ErrorCode, OrderGraphError, ValidationError
from ordergraph.graph import ingestion as q
from ordergraph.graph import orders as order_reads
from ordergraph.graph.store import GraphStore, GraphUnavailable
from ordergraph.services.lifecycle import cancel_order, load
from ordergraph.services.orders import place_order

log = logging.getLogger("ordergraph.ingestion")

PLACED, DUPLICATE, UPDATED, UNCHANGED = "placed", "duplicate", "updated", "unchanged"
IGNORED, FAILED, NOT_FOUND = "ignored", "failed", "not_found"
INTERNAL = "INTERNAL"  # failure code of an unexpected fault (details in the server log)
_PRECEDENCE = (FAILED, PLACED, UPDATED, DUPLICATE, UNCHANGED, IGNORED)
_SEP = "\u241f"  # as in OrderRequest.channel_external_id


@dataclass(frozen=True)
class IngestConfig:
    square_catalog: Mapping[str, str] = field(default_factory=dict)  # variation id -> SKU

    @classmethod
    def from_settings(cls, settings: object) -> IngestConfig:
        return cls(square_catalog=getattr(settings, "square_catalog", None) or {})


@dataclass(frozen=True)
class Payload:
    channel: str  # a name in CHANNELS
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names, of interest
    content_type: str | None = None


@dataclass
class Outcome:
    status: str
    order_ids: list[str] = field(default_factory=list)
    reason: str | None = None
    code: str | None = None
    failure_id: str | None = None
    receipt_id: str | None = None
    attempts: int | None = None
    reply: str | None = None  # X12: the 855 acknowledgement(s)

    @property
    def order_id(self) -> str | None:
        return self.order_ids[0] if self.order_ids else None


@dataclass
class _Done:
    status: str
    order_id: str | None = None
    error: Exception | None = None
    note: str | None = None


def payload_key(channel: str, topic: str | None, body: bytes) -> str:
    digest = hashlib.sha256(f"{channel}\n{topic or ''}\n".encode() + body).hexdigest()
    return digest[:24]


async def ingest(
    store: GraphStore,
    payload: Payload,
    *,
    config: IngestConfig | None = None,
    now: datetime | None = None,
) -> Outcome:
    spec = CHANNELS.get(payload.channel)
    if spec is None:
        raise ValidationError(
            f"unknown channel {payload.channel!r} (one of {', '.join(sorted(CHANNELS))})",
            ErrorCode.UNKNOWN_CHANNEL,
        )
    now = now or datetime.now(UTC)
    topic = spec.topic(payload.headers, payload.body)
    key = payload_key(payload.channel, topic, payload.body)
    if not spec.carries_order(topic):
        return await _receipt(
            store,
            key,
            payload,
            topic,
            now,
            Outcome(IGNORED, reason=f"topic {topic} carries no order"),
            None,
        )
    try:
        decoded = spec.decode(
            payload.body, topic, DecodeContext((config or IngestConfig()).square_catalog)
        )
    except GraphUnavailable:
        raise
    except Exception as exc:
        return await _failed(store, key, payload, topic, now, [exc], [], None)
    done = [await _apply_one(store, doc, now) for doc in decoded]
    order_ids = [d.order_id for d in done if d.order_id]
    external = next((doc.external_id for doc in decoded if doc.external_id), None)
    reply = await _x12_reply(store, decoded, done, now) if spec.name == X12 else None
    errors = [d.error for d in done if d.error is not None]
    if errors:
        outcome = await _failed(store, key, payload, topic, now, errors, order_ids, external)
    else:
        status = min((d.status for d in done), key=_PRECEDENCE.index, default=IGNORED)
        notes = "; ".join(d.note for d in done if d.note) or None
        outcome = await _receipt(
            store, key, payload, topic, now, Outcome(status, order_ids, reason=notes), external
        )
    outcome.reply = reply
    return outcome


async def replay(
    store: GraphStore,
    ids: Sequence[str],
    *,
    config: IngestConfig | None = None,
    now: datetime | None = None,
) -> list[tuple[str, Outcome]]:
    """Run stored failures again; a success resolves the failure, another failure counts."""
    results = []
    for failure_id, record in zip(ids, await q.failures_by_id(store, ids), strict=True):
        if record is None:
            results.append(
                (
                    failure_id,
                    Outcome(
                        NOT_FOUND,
                        reason=f"no ingestion failure {failure_id}",
                        code=ErrorCode.NOT_FOUND.value,
                    ),
                )
            )
            continue
        body = record.get("body") or ""
        raw = base64.b64decode(body) if record.get("bodyEncoding") == "base64" else body.encode()
        payload = Payload(
            record["channel"],
            raw,
            orjson.loads(record.get("headers") or "{}"),
            record.get("contentType"),
        )
        results.append((failure_id, await ingest(store, payload, config=config, now=now)))
    return results


# ---- one order -----------------------------------------------------------------------------


async def _apply_one(store: GraphStore, doc: Decoded, now: datetime) -> _Done:
    if doc.error is not None or doc.order is None:
        return _Done(FAILED, error=doc.error or ValidationError("no order in the payload"))
    try:
        return await _apply(store, doc.order, now)
    except GraphUnavailable:
        raise
    except Exception as exc:
        return _Done(FAILED, error=exc)


async def _apply(store: GraphStore, order: CanonicalOrder, now: datetime) -> _Done:
    existing = await order_reads.order_ids_by(
        store, None, f"{order.channel}{_SEP}{order.external_id}"
    )
    if existing is not None:
        return await _update(store, existing, order)
    if order.status == CANCELLED:
        return _Done(IGNORED, note=f"order {order.external_id} was cancelled before it was placed")
    shipping = [line for line in order.lines if line.requires_shipping and line.quantity > 0]
    if not shipping:
        return _Done(IGNORED, note=f"order {order.external_id} has nothing left to ship")
    placed = await place_order(store, order_request(order, shipping), now=now)
    return _Done(PLACED if placed.created else DUPLICATE, placed.order_id)


async def _update(store: GraphStore, order_id: str, order: CanonicalOrder) -> _Done:
    """Bring an existing order down to what the channel still wants shipped."""
    state = await load(store, order_id)
    if order.status == CANCELLED:
        if state.props.get("status") == "CANCELLED":
            return _Done(DUPLICATE, order_id)
        await cancel_order(store, order_id, None, reason=f"cancelled on {order.channel}")
        return _Done(UPDATED, order_id)
    wanted: dict[str, int] = {}
    for line in order.lines:
        if line.requires_shipping and line.sku is not None:
            wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    have: dict[str, int] = {}
    for ol in state.lines:
        have[ol.sku] = have.get(ol.sku, 0) + ol.open_quantity
    cuts = [
        (sku, n - wanted.get(sku, 0)) for sku, n in sorted(have.items()) if n > wanted.get(sku, 0)
    ]
    more = sorted(sku for sku, n in wanted.items() if n > have.get(sku, 0))
    note = f"more units of {', '.join(more)} on the channel are not added" if more else None
    if not cuts:  # the order is as the channel says (a redelivery), or wants more units
        return _Done(UNCHANGED if more else DUPLICATE, order_id, note=note)
    await cancel_order(
        store, order_id, cuts, reason=f"cancelled, refunded or returned on {order.channel}"
    )
    return _Done(UPDATED, order_id, note=note)


async def _x12_reply(
    store: GraphStore, decoded: Sequence[Decoded], done: Sequence[_Done], now: datetime
) -> str:
    """One 855 per purchase order: IA (IB when backordered) for an order we hold, else IR."""
    replies = []
    for doc, result in zip(decoded, done, strict=True):
        po = doc.po
        if po is None:
            continue
        backordered: dict[int, int] = {}
        if result.order_id is not None:
            await remember_partner(store, result.order_id, po)
            lines = (await order_reads.lines_by_order(store, [result.order_id]))[0]
            backordered = {
                int(ol.get("position") or 0): int(ol.get("backordered") or 0) for ol in lines
            }
        acks = line_acks(po, result.order_id is not None, backordered)
        control = await q.next_control_number(store, po.envelope.sender.id)
        replies.append(
            build_855(
                po,
                acks,
                our_id=po.envelope.receiver.id,
                controls=ControlNumbers(control, control, 1),
                when=now,
                order_reference=result.order_id,
            )
        )
    return "".join(replies)


# ---- records -------------------------------------------------------------------------------


def _stored(payload: Payload, topic: str | None, now: datetime) -> dict[str, Any]:
    try:
        body, encoding = payload.body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        body, encoding = base64.b64encode(payload.body).decode(), "base64"
    return {
        "channel": payload.channel,
        "topic": topic,
        "contentType": payload.content_type,
        "headers": orjson.dumps(dict(payload.headers)).decode(),
        "body": body,
        "bodyEncoding": encoding,
        "receivedAt": now.isoformat(),
        "receivedAtMs": int(now.timestamp() * 1000),
    }


async def _failed(
    store: GraphStore,
    key: str,
    payload: Payload,
    topic: str | None,
    now: datetime,
    errors: Sequence[Exception],
    order_ids: list[str],
    external_id: str | None,
) -> Outcome:
    first = errors[0]
    if isinstance(first, OrderGraphError):
        code, reason = first.code.value, first.message
    else:
        log.error("unexpected error ingesting a %s payload", payload.channel, exc_info=first)
        code, reason = INTERNAL, f"unexpected error ({type(first).__name__}); see the server log"
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more)"
    row = await q.record_failure(
        store,
        f"IF-{key}",
        {k: v for k, v in _stored(payload, topic, now).items() if v is not None},
        at=now.isoformat(),
        reason=reason,
        code=code,
        external_id=external_id,
        order_ids=order_ids,
    )
    return Outcome(
        FAILED, order_ids, reason, code, failure_id=row["id"], attempts=int(row["attempts"])
    )


async def _receipt(
    store: GraphStore,
    key: str,
    payload: Payload,
    topic: str | None,
    now: datetime,
    outcome: Outcome,
    external_id: str | None,
) -> Outcome:
    props = {
        "channel": payload.channel,
        "topic": topic,
        "receivedAt": now.isoformat(),
        "receivedAtMs": int(now.timestamp() * 1000),
    }
    row = await q.record_receipt(
        store,
        f"IR-{key}",
        f"IF-{key}",
        {k: v for k, v in props.items() if v is not None},
        at=now.isoformat(),
        status=outcome.status,
        external_id=external_id,
        order_ids=outcome.order_ids,
    )
    outcome.receipt_id = row["id"]
    outcome.failure_id = row.get("resolved")
    return outcome
