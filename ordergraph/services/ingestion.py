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

import asyncio
import hashlib
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ordergraph.connectors.canonical import CANCELLED, CanonicalOrder
from ordergraph.connectors.ingest import (
    CHANNELS,
    X12,
    DecodeContext,
    Decoded,
    order_request,
)
from ordergraph.connectors.pull.channels import PullConfig, resolve
from ordergraph.connectors.pull.http import PullFailed
from ordergraph.connectors.x12 import order as x12_order
from ordergraph.connectors.x12.acknowledgement import build_855
from ordergraph.connectors.x12.envelope import ControlNumbers
from ordergraph.connectors.x12.order import HeldLine, X12Lines
from ordergraph.connectors.x12.order import channel_id as po_channel
from ordergraph.connectors.x12.purchase_order import PurchaseOrder850
from ordergraph.domain.access import Role
from ordergraph.domain.errors import ErrorCode, OrderGraphError, ValidationError
from ordergraph.domain.keys import channel_external_id
from ordergraph.domain.lifecycle import OrderState, cancellable
from ordergraph.domain.orders import OrderStatus
from ordergraph.graph import asn as graph_asn
from ordergraph.graph import catalog
from ordergraph.graph import ingestion as q
from ordergraph.graph import orders as order_reads
from ordergraph.graph.records.asn import PartnerRecord
from ordergraph.graph.records.ingestion import StoredPayload
from ordergraph.graph.store import GraphStore, GraphUnavailable
from ordergraph.services.asn import partner_lines, remember_partner
from ordergraph.services.carrier_rates import RateShopper, shopper_for
from ordergraph.services.lifecycle import cancel_order, load
from ordergraph.services.orders import place_order
from ordergraph.settings import Settings

log = logging.getLogger("ordergraph.ingestion")

PLACED, DUPLICATE, UPDATED, UNCHANGED = "placed", "duplicate", "updated", "unchanged"
IGNORED, FAILED, NOT_FOUND = "ignored", "failed", "not_found"
INTERNAL = "INTERNAL"  # failure code of an unexpected fault (details in the server log)
_PRECEDENCE = (FAILED, PLACED, UPDATED, DUPLICATE, UNCHANGED, IGNORED)


# Channels whose notifications may name an order without carrying it (connectors.pull).
PULLING = frozenset({"bigcommerce", "woocommerce", "ebay", "amazon", "square"})


@dataclass(frozen=True)
class IngestConfig:
    square_catalog: Mapping[str, str] = field(default_factory=dict)  # variation id -> SKU
    pull: PullConfig = field(default_factory=PullConfig)  # store credentials per channel
    rates: RateShopper | None = None  # live carrier rates, as orderCreate prices (#17)

    @classmethod
    def from_settings(cls, settings: object) -> IngestConfig:
        pull = getattr(settings, "channel_pull", None)
        return cls(
            square_catalog=getattr(settings, "square_catalog", None) or {},
            pull=pull if isinstance(pull, PullConfig) else PullConfig.from_env(os.environ),
            rates=shopper_for(settings) if isinstance(settings, Settings) else None,
        )


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
    x12: X12Lines | None = None  # X12: each PO line's SKU, and the lines refused


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
    config = config or IngestConfig()
    body = payload.body
    if spec.name in PULLING:
        try:
            resolved = await resolve(spec.name, payload.body, config.pull)
        except Exception as exc:  # PullFailed, or a bug: the notification is kept for replay
            return await _failed(store, key, payload, topic, now, [exc], [], None)
        if resolved.ignored is not None:
            outcome = Outcome(IGNORED, reason=resolved.ignored)
            return await _receipt(store, key, payload, topic, now, outcome, None)
        body = resolved.body if resolved.body is not None else body
    try:
        # parsing is CPU work (an X12 interchange of 5 MB takes seconds): off the event loop
        decoded = await asyncio.to_thread(
            spec.decode, body, topic, DecodeContext(config.square_catalog)
        )
    except GraphUnavailable:
        raise
    except Exception as exc:
        return await _failed(store, key, payload, topic, now, [exc], [], None)
    reads = await _x12_reads(store, decoded) if spec.name == X12 else _NO_X12
    done = [await _apply_one(store, doc, now, reads, config.rates) for doc in decoded]
    order_ids = [d.order_id for d in done if d.order_id]
    external = next((doc.external_id for doc in decoded if doc.external_id), None)
    reply = await _x12_reply(store, decoded, done, now, reads) if spec.name == X12 else None
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


# Stored failures, newest first; ``first + 1`` of them, so that the caller sees more. A plain
# read with no rule to apply: the graph's query is the use case.
failure_page = q.failure_page


async def replay(
    store: GraphStore,
    ids: Sequence[str],
    *,
    config: IngestConfig | None = None,
    now: datetime | None = None,
) -> list[tuple[str, Outcome]]:
    """Run stored failures again; a success resolves the failure, another failure counts."""
    results = []
    for failure_id, record in zip(ids, await q.failure_records(store, ids), strict=True):
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
        payload = Payload(record.channel, record.body, dict(record.headers), record.content_type)
        results.append((failure_id, await ingest(store, payload, config=config, now=now)))
    return results


# ---- one order -----------------------------------------------------------------------------


async def _apply_one(
    store: GraphStore, doc: Decoded, now: datetime, reads: _X12Reads, rates: RateShopper | None
) -> _Done:
    if doc.error is not None or doc.order is None:
        return _Done(FAILED, error=doc.error or ValidationError("no order in the payload"))
    try:
        if doc.po is not None:
            return await _apply_x12(store, doc.po, now, reads, rates)
        return await _apply(store, doc.order, now, rates)
    except GraphUnavailable:
        raise
    except Exception as exc:
        return _Done(FAILED, error=exc)


async def _apply(
    store: GraphStore, order: CanonicalOrder, now: datetime, rates: RateShopper | None
) -> _Done:
    existing = await order_reads.order_ids_by(
        store, None, channel_external_id(order.channel, order.external_id)
    )
    if existing is not None:
        return await _update(store, existing, order)
    if order.status == CANCELLED:
        return _Done(IGNORED, note=f"order {order.external_id} was cancelled before it was placed")
    shipping = [line for line in order.lines if line.requires_shipping and line.quantity > 0]
    if not shipping:
        return _Done(IGNORED, note=f"order {order.external_id} has nothing left to ship")
    placed = await place_order(store, order_request(order, shipping), now=now, rates=rates)
    return _Done(PLACED if placed.created else DUPLICATE, placed.order_id)


def check_channels_own(state: OrderState, channel: str, external_id: str | None) -> None:
    """An order placed through the API by a storefront key is not the channel's order of that
    id: a low-trust key could otherwise place orders first under ids the channel will use (its
    own ship-to), and the channel's orders would be taken as repeats and never placed."""
    if state.terms.placed_by == Role.STOREFRONT.value:
        raise OrderGraphError(
            f"order {external_id} of channel {channel} has the id of order {state.id}, placed "
            "through the API with a storefront key: the channel's order is not taken as that "
            "one; check both, cancel the wrong one, then replay",
            ErrorCode.CONFLICT,
            ("externalId",),
        )


async def _update(store: GraphStore, order_id: str, order: CanonicalOrder) -> _Done:
    """Bring an existing order down to what the channel still wants shipped."""
    state = await load(store, order_id)
    check_channels_own(state, order.channel, order.external_id)
    if order.status == CANCELLED:
        if state.status == OrderStatus.CANCELLED:
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


@dataclass(frozen=True)
class _X12Reads:
    """What the 850s of a payload read of the graph, read once for all of them rather than once
    per PO: which of the SKUs their lines name the catalog knows, and the partner record of each
    order placed from one of them before (by order id; None: the order keeps none)."""

    known: frozenset[str]
    partners: Mapping[str, PartnerRecord | None]


_NO_X12 = _X12Reads(frozenset(), {})


async def _x12_reads(store: GraphStore, decoded: Sequence[Decoded]) -> _X12Reads:
    pos = [doc.po for doc in decoded if doc.po is not None]
    if not pos:
        return _NO_X12
    ids = sorted({c for po in pos for line in po.lines for c in x12_order.sku_candidates(line)})
    known = frozenset(sku.id for sku in await catalog.skus_by_id(store, ids) if sku)
    keys = sorted({channel_external_id(po_channel(po), po.po_number) for po in pos})
    return _X12Reads(known, await graph_asn.partners(store, keys))


async def _apply_x12(
    store: GraphStore,
    po: PurchaseOrder850,
    now: datetime,
    reads: _X12Reads,
    rates: RateShopper | None,
) -> _Done:
    """One 850: its lines checked one by one (unit, quantity, SKU in the catalog), then by BEG01
    placed, left as it is (a resend), brought down to the replacement, or cancelled."""
    verdicts = x12_order.resolve(x12_order.verdicts(po), reads.known, po)
    info = X12Lines(
        skus={v.line.line_number: v.candidates[0] for v in verdicts if v.error is None},
        rejected={v.line.line_number: str(v.error) for v in verdicts if v.error is not None},
    )
    errors = [v.error for v in verdicts if v.error is not None]
    note = "; ".join(info.rejected.values()) or None
    order_id: str | None = None
    try:
        order = x12_order.to_canonical(po, verdicts)
        order_id = await order_reads.order_ids_by(
            store, None, channel_external_id(order.channel, order.external_id)
        )
        if order_id is None:
            if po.purpose == x12_order.CANCELLATION:
                why = f"PO {po.po_number} was cancelled before it was placed"
                return _Done(IGNORED, note=why, x12=info)
            shipping = [line for line in order.lines if line.quantity > 0]
            if not shipping and errors:  # every line refused: the PO fails, kept for a replay
                first = errors[0]
                error = ValidationError(note or first.message, first.code, first.field)
                return _Done(FAILED, error=error, x12=info)
            if not shipping:
                why = f"PO {po.po_number} has nothing left to ship"
                return _Done(IGNORED, note=why, x12=info)
            placed = await place_order(store, order_request(order, shipping), now=now, rates=rates)
            status = PLACED if placed.created else DUPLICATE
            return _Done(status, placed.order_id, note=note, x12=info)
        previous = partner_lines(reads.partners.get(order_id))
        return await _x12_update(store, order_id, po, verdicts, note, info, previous)
    except GraphUnavailable:
        raise
    except Exception as exc:
        return _Done(FAILED, order_id, error=exc, x12=info)


async def _x12_update(
    store: GraphStore,
    order_id: str,
    po: PurchaseOrder850,
    verdicts: Sequence[x12_order.LineVerdict],
    note: str | None,
    info: X12Lines,
    previous: Mapping[str, str],
) -> _Done:
    """An 850 for an order we hold: a cancellation or a replacement changes it (through
    ``cancel_order``, never below what shipped); an original or duplicate resend does not.
    ``previous``: PO101 -> SKU as the order's earlier 850s gave them."""
    state = await load(store, order_id)
    check_channels_own(state, po_channel(po), po.po_number)
    wanted: dict[str, int] = {}
    for v in verdicts:
        if v.error is None:
            wanted[v.candidates[0]] = wanted.get(v.candidates[0], 0) + v.eaches
    have: dict[str, int] = {}
    room: dict[str, int] = {}
    for line in state.lines:
        have[line.sku] = have.get(line.sku, 0) + line.open_quantity
        room[line.sku] = room.get(line.sku, 0) + cancellable(state, line)
    # a SKU named by a refused line of the replacement, or that an earlier 850 gave the refused
    # line's PO101, is left as it is; a cancellation cancels the order whatever its lines say
    keep = {c for v in verdicts if v.error is not None for c in x12_order.sku_candidates(v.line)}
    keep |= set(x12_order.carried_over(po, info, previous, have).values())
    if po.purpose == x12_order.CANCELLATION:
        keep = set()
    if po.purpose in (x12_order.CANCELLATION, x12_order.REPLACE):
        want = {} if po.purpose == x12_order.CANCELLATION else wanted
        cuts = [
            (sku, min(n - want.get(sku, 0), room[sku]))
            for sku, n in sorted(have.items())
            if sku not in keep and n > want.get(sku, 0) and room[sku] > 0
        ]
        more = sorted(sku for sku, n in want.items() if n > have.get(sku, 0))
        shipped = [
            f"{sku}: {n - want.get(sku, 0) - room[sku]} units shipped or shipping are not cancelled"
            for sku, n in sorted(have.items())
            if sku not in keep and n - want.get(sku, 0) > room[sku]
        ]
        notes = [note] if note else []
        if more:
            notes.append(f"more units of {', '.join(more)} on PO {po.po_number} are not added")
        notes += shipped
        if not cuts:
            status = UNCHANGED if more or shipped else DUPLICATE
            return _Done(status, order_id, note="; ".join(notes) or None, x12=info)
        purpose = x12_order.PURPOSES[po.purpose]
        await cancel_order(
            store, order_id, cuts, reason=f"{purpose} of PO {po.po_number} on {po_channel(po)}"
        )
        return _Done(UPDATED, order_id, note="; ".join(notes) or None, x12=info)
    if wanted == {sku: n for sku, n in have.items() if n or sku in wanted}:
        return _Done(DUPLICATE, order_id, note=note, x12=info)
    resent = (
        f"PO {po.po_number} was sent again ({x12_order.PURPOSES[po.purpose]}) with other lines or "
        "quantities: the order is unchanged (a replacement, BEG01 05, changes it)"
    )
    return _Done(UNCHANGED, order_id, note="; ".join(n for n in (note, resent) if n), x12=info)


async def _x12_reply(
    store: GraphStore,
    decoded: Sequence[Decoded],
    done: Sequence[_Done],
    now: datetime,
    reads: _X12Reads,
) -> str:
    """One 855 per purchase order, telling per line what the order holds (``x12_order``). Each
    order keeps its partner record for the 856: a later PO of the payload for the same order
    starts from the record an earlier one stored."""
    partners = dict(reads.partners)
    replies = []
    for doc, result in zip(decoded, done, strict=True):
        po = doc.po
        if po is None:
            continue
        info = result.x12 or X12Lines()
        held: list[HeldLine] | None = None
        if result.order_id is not None:
            lines = (await order_reads.lines_by_order(store, [result.order_id]))[0]
            previous = partner_lines(partners.get(result.order_id))
            kept = x12_order.carried_over(po, info, previous, (ol.sku for ol in lines))
            partners[result.order_id] = await remember_partner(
                store, result.order_id, x12_order.with_skus(po, info, kept)
            )
            held = [HeldLine(ol.sku, ol.open, ol.backordered) for ol in lines]
        acks = x12_order.acknowledgements(po, info, held)
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


def _stored(payload: Payload, topic: str | None, now: datetime) -> StoredPayload:
    return StoredPayload(
        payload.channel, topic, payload.content_type, payload.headers, payload.body, now
    )


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
    if isinstance(first, PullFailed):
        code, reason = first.failure_code, first.message
    elif isinstance(first, OrderGraphError):
        code, reason = first.code.value, first.message
    elif isinstance(first, ArithmeticError):  # decimal.Overflow: an amount far beyond 1e12
        code = ErrorCode.INVALID_INPUT.value
        reason = "an amount in the payload is out of range (amounts must be below 1e12)"
    else:
        log.error("unexpected error ingesting a %s payload", payload.channel, exc_info=first)
        code, reason = INTERNAL, f"unexpected error ({type(first).__name__}); see the server log"
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more)"
    row = await q.record_failure(
        store,
        f"IF-{key}",
        _stored(payload, topic, now),
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
    row = await q.record_receipt(
        store,
        f"IR-{key}",
        f"IF-{key}",
        _stored(payload, topic, now),
        at=now.isoformat(),
        status=outcome.status,
        external_id=external_id,
        order_ids=outcome.order_ids,
    )
    outcome.receipt_id = row["id"]
    outcome.failure_id = row.get("resolved")
    return outcome
