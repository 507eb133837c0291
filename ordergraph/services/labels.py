"""Shipping labels: buy one for a fulfillment, idempotently; void them when an order is
cancelled before handover (issue #17, docs/carriers.md).

The idempotency key is the fulfillment's own (``<fulfillment id>:label``): it is sent to the
carrier as the shipment's reference and stored with the claim. A purchase first records
(claims) which carrier shipment and rate it buys from, in one guarded write; a retry or a
concurrent call finds the claim and buys from the same shipment, which the adapter buys at most
once. So a retried request never buys two labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from ordergraph.connectors.carriers.port import (
    Carrier,
    CarrierError,
    Label,
    Place,
    Rate,
    RateQuery,
    RateSource,
)
from ordergraph.domain.errors import ErrorCode, InvalidTransition, NotFound, OrderGraphError
from ordergraph.domain.lifecycle import Change
from ordergraph.domain.orders import FulfillmentStatus
from ordergraph.graph import labels as q
from ordergraph.graph.records.labels import LabelContext, LabelState
from ordergraph.graph.store import GraphStore
from ordergraph.services import lifecycle

BUYABLE = frozenset({FulfillmentStatus.OPEN, FulfillmentStatus.RELEASED})


def label_key(fulfillment_id: str) -> str:
    return f"{fulfillment_id}:label"


def _query(ctx: LabelContext, key: str) -> RateQuery:
    if ctx.ship_to is None:
        raise InvalidTransition(f"{ctx.fulfillment_id} has no ship-to address: nothing to label")
    ship_to = ctx.ship_to
    return RateQuery(
        origin=Place(
            ctx.location_id, ctx.location_postal_code, ctx.location_country, name=ctx.location_name
        ),
        destination=Place(
            "",
            ship_to.postal_code,
            ship_to.country,
            name=ship_to.name or "",
            street=ship_to.line1 or "",
            city=ship_to.city or "",
            state=ship_to.region or "",
        ),
        weight_kg=ctx.weight_kg,
        reference=key,
    )


def _choose(rates: list[Rate], ctx: LabelContext) -> Rate:
    """The rate of the fulfillment's planned carrier service, else the cheapest."""
    if not rates:
        raise OrderGraphError(
            f"the carrier offered no rate for {ctx.fulfillment_id}", ErrorCode.CONFLICT
        )
    wanted = ((ctx.carrier or "").lower(), (ctx.service or "").lower())
    same = [r for r in rates if (r.carrier.lower(), r.service.lower()) == wanted]
    return min(same or rates, key=lambda r: (r.amount, r.carrier, r.service))


def _claimed(label: LabelState, adapter: str) -> Rate:
    return Rate(
        carrier="",
        service="",
        amount=0.0,
        currency="",
        transit_days=None,
        source=RateSource.LIVE,
        adapter=adapter,
        rate_id=label.rate_id or "",
        shipment_id=label.shipment_id or "",
    )


async def buy_label(
    graph: GraphStore,
    carriers: Mapping[str, Carrier],
    fulfillment_id: str,
    adapter: str | None = None,
) -> LabelContext:
    """Buy (or answer the already bought) label of one open or released fulfillment; answers
    the fulfillment as it is after (``.label``: what is stored of the label)."""
    ctx = await q.label_context(graph, fulfillment_id)
    if ctx is None:
        raise NotFound(f"no fulfillment {fulfillment_id}", ("fulfillmentId",))
    if ctx.label.bought:
        return ctx
    if ctx.status not in BUYABLE:
        raise InvalidTransition(f"{fulfillment_id} is {ctx.status.value}: no label to buy")
    name = ctx.label.adapter or adapter or next(iter(sorted(carriers)), None)
    if name is None or name not in carriers:
        raise OrderGraphError(
            f"no carrier account {name!r} is configured", ErrorCode.INVALID_INPUT, ("carrier",)
        )
    carrier = carriers[name]
    key = label_key(fulfillment_id)
    try:
        if ctx.label.shipment_id is None:
            rate = _choose(await carrier.rates(_query(ctx, key)), ctx)
            if not await q.claim_label(
                graph, fulfillment_id, key, name, rate.shipment_id, rate.rate_id
            ):
                ctx = await q.label_context(graph, fulfillment_id)
                assert ctx is not None
                if ctx.label.bought:
                    return ctx
                name, carrier = ctx.label.adapter or name, carriers[ctx.label.adapter or name]
                rate = _claimed(ctx.label, name)
        else:
            rate = _claimed(ctx.label, name)
        label: Label = await carrier.buy_label(rate, idempotency_key=key)
    except CarrierError as error:
        raise OrderGraphError(
            f"the label could not be bought: {error}", ErrorCode.CONFLICT
        ) from None
    await q.store_label(
        graph,
        fulfillment_id,
        rate.shipment_id,
        label.tracking_number,
        label.label_url,
        label.label_format,
    )
    done = await q.label_context(graph, fulfillment_id)
    assert done is not None
    return done


async def void_cancelled(
    graph: GraphStore,
    carriers: Mapping[str, Carrier],
    order_id: str,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Void the labels of the order's cancelled fulfillments (never handed over); answers the
    fulfillments voided. A carrier that refuses leaves the label as it was, to try again."""
    voided: list[str] = []
    for fid in await q.cancelled_with_labels(graph, order_id):
        ctx = await q.label_context(graph, fid)
        if ctx is None or ctx.label.adapter not in carriers:
            continue
        label = Label(
            carrier=ctx.carrier or "",
            service=ctx.service or "",
            tracking_number=ctx.label.tracking_number or "",
            label_url=ctx.label.label_url or "",
            label_format=ctx.label.label_format or "",
            cost=0.0,
            adapter=ctx.label.adapter or "",
            shipment_id=ctx.label.shipment_id or "",
            idempotency_key=ctx.label.key or "",
        )
        try:
            accepted = await carriers[ctx.label.adapter or ""].void_label(label)
        except CarrierError:
            continue
        if accepted:
            await q.mark_voided(graph, fid, (now or datetime.now(UTC)).isoformat())
            voided.append(fid)
    return voided


async def cancel_order_voiding(
    graph: GraphStore,
    carriers: Mapping[str, Carrier],
    order_id: str,
    lines: Sequence[tuple[str, int]] | None,
    reason: str | None,
) -> Change:
    """``lifecycle.cancel_order``, then void the labels of what it cancelled (before handover).
    A carrier failing to void never fails the cancel: the label stays to void again."""
    change = await lifecycle.cancel_order(graph, order_id, lines, reason)
    if carriers:
        await void_cancelled(graph, carriers, order_id)
    return change
