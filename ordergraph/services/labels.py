"""Shipping labels: buy one for a fulfillment, idempotently; void them when an order is
cancelled before handover (issue #17, docs/carriers.md).

The idempotency key is the fulfillment's own (``<fulfillment id>:label``): it is sent to the
carrier as the shipment's reference and stored with the claim. A purchase first records
(claims) which carrier shipment and rate it buys from, in one guarded write; a retry or a
concurrent call finds the claim and buys from the same shipment, which the adapter buys at most
once. So a retried request never buys two labels.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar

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
from ordergraph.graph.records.labels import LabelContext, LabelState, ReturnLabelContext
from ordergraph.graph.records.orders import ShipTo
from ordergraph.graph.store import GraphStore
from ordergraph.services import lifecycle, returns


class HasLabel(Protocol):
    @property
    def owner_id(self) -> str: ...

    @property
    def label(self) -> LabelState: ...


Labelled = TypeVar("Labelled", bound=HasLabel)

BUYABLE = frozenset({FulfillmentStatus.OPEN, FulfillmentStatus.RELEASED})


def label_key(fulfillment_id: str) -> str:
    return f"{fulfillment_id}:label"


def _query_between(
    location_id: str,
    location_name: str,
    postal_code: str,
    country: str,
    ship_to: ShipTo,
    weight_kg: float,
    key: str,
) -> RateQuery:
    return RateQuery(
        origin=Place(location_id, postal_code, country, name=location_name),
        destination=Place(
            "",
            ship_to.postal_code,
            ship_to.country,
            name=ship_to.name or "",
            street=ship_to.line1 or "",
            city=ship_to.city or "",
            state=ship_to.region or "",
        ),
        weight_kg=weight_kg,
        reference=key,
    )


def _query(ctx: LabelContext, key: str) -> RateQuery:
    if ctx.ship_to is None:
        raise InvalidTransition(f"{ctx.fulfillment_id} has no ship-to address: nothing to label")
    return _query_between(
        ctx.location_id,
        ctx.location_name,
        ctx.location_postal_code,
        ctx.location_country,
        ctx.ship_to,
        ctx.weight_kg,
        key,
    )


def _choose(rates: list[Rate], ctx: LabelContext) -> Rate:
    """The rate of the fulfillment's planned carrier service, else the cheapest."""
    wanted = ((ctx.carrier or "").lower(), (ctx.service or "").lower())
    same = [r for r in rates if (r.carrier.lower(), r.service.lower()) == wanted]
    return _cheapest(same or rates, ctx.fulfillment_id)


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


def _account(carriers: Mapping[str, Carrier], claimed: str | None, asked: str | None) -> str:
    name = claimed or asked or next(iter(sorted(carriers)), None)
    if name is None or name not in carriers:
        raise OrderGraphError(
            f"no carrier account {name!r} is configured", ErrorCode.INVALID_INPUT, ("carrier",)
        )
    return name


async def _purchase(
    graph: GraphStore,
    carriers: Mapping[str, Carrier],
    owner: q.Owner,
    ctx: Labelled,
    adapter: str | None,
    query: Callable[[str], RateQuery],
    choose: Callable[[list[Rate]], Rate],
    load: Callable[[], Awaitable[Labelled | None]],
) -> Labelled:
    """Claim a carrier shipment and rate for the owner (or find the claim of an earlier or
    concurrent attempt), buy that shipment's label at most once, store it; answers the owner
    as it is after."""

    async def reread() -> Labelled:
        again = await load()
        assert again is not None
        return again

    owner_id, label = ctx.owner_id, ctx.label
    if label.bought:
        return ctx
    name = _account(carriers, label.adapter, adapter)
    carrier = carriers[name]
    key = label_key(owner_id)
    try:
        if label.shipment_id is None:
            rate = choose(await carrier.rates(query(key)))
            if not await q.claim_label(
                graph, owner_id, key, name, rate.shipment_id, rate.rate_id, owner
            ):
                ctx = await reread()
                label = ctx.label
                if label.bought:
                    return ctx
                name = _account(carriers, label.adapter, name)
                carrier, rate = carriers[name], _claimed(label, name)
        else:
            rate = _claimed(label, name)
        bought: Label = await carrier.buy_label(rate, idempotency_key=key)
    except CarrierError as error:
        raise OrderGraphError(
            f"the label could not be bought: {error}", ErrorCode.CONFLICT
        ) from None
    await q.store_label(
        graph,
        owner_id,
        rate.shipment_id,
        bought.tracking_number,
        bought.label_url,
        bought.label_format,
        owner,
    )
    return await reread()


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

    return await _purchase(
        graph,
        carriers,
        "Fulfillment",
        ctx,
        adapter,
        lambda key: _query(ctx, key),
        lambda rates: _choose(rates, ctx),
        lambda: q.label_context(graph, fulfillment_id),
    )


def _return_query(ctx: ReturnLabelContext, key: str) -> RateQuery:
    """The outbound pair (return location -> customer) with ``is_return``: the carrier swaps
    them, so the label takes the parcel from the customer back to the return location."""
    if ctx.ship_to is None:
        raise InvalidTransition(f"{ctx.return_id} has no ship-to address to return from")
    outbound = _query_between(
        ctx.location_id,
        ctx.location_name,
        ctx.location_postal_code,
        ctx.location_country,
        ctx.ship_to,
        ctx.weight_kg,
        key,
    )
    return RateQuery(outbound.origin, outbound.destination, outbound.weight_kg, key, True)


def _cheapest(rates: list[Rate], what: str) -> Rate:
    if not rates:
        raise OrderGraphError(f"the carrier offered no rate for {what}", ErrorCode.CONFLICT)
    return min(rates, key=lambda r: (r.amount, r.carrier, r.service))


async def buy_return_label(
    graph: GraphStore,
    carriers: Mapping[str, Carrier],
    return_id: str,
    adapter: str | None = None,
) -> ReturnLabelContext:
    """Buy (or answer the already bought) return label of a return, the cheapest rate from the
    customer back to the return location; idempotent as ``buy_label`` (key ``<id>:label``)."""
    ctx = await q.return_label_context(graph, return_id)
    if ctx is None:
        raise NotFound(f"no return {return_id}", ("returnId",))

    return await _purchase(
        graph,
        carriers,
        "Return",
        ctx,
        adapter,
        lambda key: _return_query(ctx, key),
        lambda rates: _cheapest(rates, return_id),
        lambda: q.return_label_context(graph, return_id),
    )


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


async def create_return_labelled(
    graph: GraphStore,
    carriers: Mapping[str, Carrier],
    order_id: str,
    lines: Sequence[tuple[str, int]],
    reason: str | None = None,
    drop_off_at: str | None = None,
) -> tuple[str, OrderGraphError | None]:
    """``returns.create_return``, then (with carrier accounts) buy its return label. The return
    stands when the label cannot be bought: answers the return id and that error, if any."""
    return_id, _ = await returns.create_return(graph, order_id, lines, reason, drop_off_at)
    if not carriers:
        return return_id, None
    try:
        await buy_return_label(graph, carriers, return_id)
    except OrderGraphError as error:
        return return_id, error
    return return_id, None


async def ship_labelled(
    graph: GraphStore,
    carriers: Mapping[str, Carrier],
    fulfillment_id: str,
    tracking_number: str | None,
    carrier: str | None = None,
) -> Change:
    """``lifecycle.ship``; without a tracking number and with carrier accounts, the label is
    bought first (``buy_label``, idempotent) and its tracking number shipped."""
    if tracking_number is None and carriers:
        tracking_number = (await buy_label(graph, carriers, fulfillment_id)).label.tracking_number
    return await lifecycle.ship(graph, fulfillment_id, tracking_number or "", carrier)
