"""The read tools: each decodes its arguments, calls the service a GraphQL root field calls, and
maps the answer to its shape and a short sentence an assistant can say."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from mcp.types import CallToolResult

from ordergraph.domain.access import Principal
from ordergraph.domain.assistant import explain_status
from ordergraph.domain.errors import ErrorCode, ValidationError
from ordergraph.domain.orders import Address as DomainAddress
from ordergraph.domain.orders import OrderLine
from ordergraph.domain.routing.types import RoutingPlan
from ordergraph.domain.transfers import customer_plan
from ordergraph.domain.ucp import restock_date, stock_status
from ordergraph.graph.inbound import inbound_of_skus
from ordergraph.graph.store import GraphStore
from ordergraph.mcp import shapes
from ordergraph.mcp.guard import Refusal, answered
from ordergraph.services import availability as atp
from ordergraph.services import delivery
from ordergraph.services.carrier_rates import RateShopper
from ordergraph.services.products import find_products as search_products
from ordergraph.services.tracking import OrderView, ProofAttempts, proved_view
from ordergraph.services.worker_cache import WorkerCache

NEAR_KM = 100.0  # "near the shopper": the stores and warehouses within this distance
PICKUP_STORES = 3


def to_near(near: shapes.Near | None) -> atp.Near | None:
    return None if near is None else atp.Near(near.postal_code, near.country, near.lat, near.lon)


def to_lines(lines: Sequence[shapes.Line]) -> tuple[OrderLine, ...]:
    if not lines or len(lines) > 100:
        raise ValidationError("give 1 to 100 lines", field=("lines",))
    return tuple(OrderLine(sku=line.sku, quantity=line.quantity) for line in lines)


def check_channel(who: Principal, channel: str | None) -> None:
    if channel is not None and who.limited_to_channels(channel):
        raise ValidationError(
            f"this API key may not use channel {channel}", ErrorCode.FORBIDDEN, ("channel",)
        )


def own_channel(who: Principal, channel: str | None) -> str | None:
    """The channel a question is about: the one given, else a storefront key's only channel.
    An assistant leaves ``channel`` out; without this it was answered with the network's free
    stock (no buffer, share or protections of its channel), more than the shop's orders can
    take, so the shopper was told "in stock" and the order backordered."""
    if channel is None and who.needs_proof() and len(who.channels) == 1:
        (channel,) = who.channels
    return channel


async def find_products(
    store: GraphStore, who: Principal, query: str, limit: int
) -> CallToolResult:
    found = await search_products(store, query, limit)
    shape = shapes.Products(
        products=[shapes.Product(sku=s.id, name=s.name, tags=sorted(s.tags)) for s in found]
    )
    if not found:
        return answered(shape, f"No product matches {query!r}.")
    listed = "; ".join(f"{p.sku} {p.name}" for p in shape.products)
    return answered(shape, f"Found {len(found)}: {listed}.")


async def check_availability(
    store: GraphStore,
    who: Principal,
    skus: Sequence[str],
    near: shapes.Near | None,
    channel: str | None,
    cache: WorkerCache | None = None,
) -> CallToolResult:
    check_channel(who, channel)
    channel = own_channel(who, channel)
    where = to_near(near)
    answer = await atp.availability(store, list(skus), where, None, channel=channel, cache=cache)
    sold_out = [item.sku for item in answer if item.available == 0]
    # the restock date is told only of what is sold out: no inbound read when nothing is
    coming = await inbound_of_skus(store, sold_out) if sold_out else {}
    items = []
    for item in answer:
        inbound = [(line.expected_at, line.to_receive) for line in coming.get(item.sku, [])]
        restock = restock_date(inbound) if item.available == 0 else None
        close = [
            p
            for p in item.locations
            if where is None or (p.distance_km is not None and p.distance_km <= NEAR_KM)
        ]
        stores = [p for p in item.locations if p.location.pickup and p.available > 0]
        items.append(
            shapes.SkuAvailability(
                sku=item.sku,
                status=stock_status(
                    item.available,
                    carried=bool(item.locations) or restock is not None,
                    inbound=item.preorder > 0,  # the channel sells inbound: preorders
                ).value,
                available=sum(p.available for p in close),
                available_total=item.available,
                pickup_stores=[
                    shapes.PickupStore(
                        location=p.location.id,
                        name=p.location.name,
                        available=p.available,
                        distance_km=p.distance_km,
                    )
                    for p in stores[:PICKUP_STORES]
                ],
                restock_date=None if restock is None else restock.isoformat(),
            )
        )
    said = []
    for i in items:
        where_words = " near you" if where is not None else ""
        store_words = (
            f"; pick up at {i.pickup_stores[0].location} ({i.pickup_stores[0].available})"
            if i.pickup_stores
            else ""
        )
        said.append(f"{i.sku}: {i.status}, {i.available} available{where_words}{store_words}")
    return answered(shapes.Availability(items=items), ". ".join(said) + ".")


async def delivery_options(
    store: GraphStore,
    who: Principal,
    lines: Sequence[shapes.Line],
    ship_to: shapes.Address | None,
    near: shapes.Near | None,
    channel: str | None,
    wanted_by: date | None,
    rates: RateShopper | None = None,
) -> CallToolResult:
    if channel is not None and not who.may_use_channel(channel):  # as deliveryOptions
        raise ValidationError(
            f"this API key may not use channel {channel}", ErrorCode.FORBIDDEN, ("channel",)
        )
    channel = own_channel(who, channel)
    address = (
        None
        if ship_to is None
        else DomainAddress(
            postal_code=ship_to.postal_code,
            country=ship_to.country,
            name=ship_to.name,
            line1=ship_to.line1,
            line2=ship_to.line2,
            city=ship_to.city,
            region=ship_to.region,
        )
    )
    found = await delivery.delivery_options(
        store,
        to_lines(lines),
        channel=channel,
        ship_to=address,
        near=to_near(near),
        placed_at=None,
        rates=rates,
    )
    options = []
    for o in found:
        arrives = o.delivery_by or (o.ready_by.date() if o.ready_by else None)
        options.append(
            shapes.DeliveryOption(
                kind=o.kind,
                service_level=None if o.service_level is None else o.service_level.value,
                pickup_store=o.pickup_at,
                ships_whole=o.ships_whole,
                shipments=o.shipments,
                cost=o.cost,
                ship_by=None if o.ship_by is None else o.ship_by.isoformat(),
                delivery_by=None if o.delivery_by is None else o.delivery_by.isoformat(),
                ready_by=None if o.ready_by is None else o.ready_by.isoformat(),
                distance_km=o.distance_km,
                in_time=None if wanted_by is None or arrives is None else arrives <= wanted_by,
                explanation=list(o.explanation),
            )
        )
    if not options:
        text = "No way to get these items there now."
    else:
        parts = []
        for op in options:
            when = op.delivery_by or op.ready_by or "?"
            what = op.service_level if op.kind == "SHIP" else f"pickup at {op.pickup_store}"
            late = "" if op.in_time is None else (" (in time)" if op.in_time else " (too late)")
            parts.append(f"{what}: by {when}, cost {op.cost:.2f}{late}")
        text = "; ".join(parts) + "."
    return answered(shapes.DeliveryOptions(options=options), text)


async def _view(
    store: GraphStore,
    who: Principal,
    attempts: ProofAttempts,
    order_id: str | None,
    channel: str | None,
    external_id: str | None,
    verification: shapes.Verification | None,
) -> OrderView:
    proof = None if verification is None else verification.postal_code
    return await proved_view(store, who, attempts, order_id, channel, external_id, proof)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


async def order_status(
    store: GraphStore,
    who: Principal,
    attempts: ProofAttempts,
    order_id: str | None,
    channel: str | None,
    external_id: str | None,
    verification: shapes.Verification | None,
) -> CallToolResult:
    view = await _view(store, who, attempts, order_id, channel, external_id, verification)
    rec = view.order
    live = [f for f in view.fulfillments if f.status.value not in ("REJECTED", "CANCELLED")]
    words = explain_status(
        rec.status.value,
        _day(rec.promised_by),
        [
            (
                f.location_id,
                f.status.value,
                f.carrier,
                f.tracking_number,
                _day(f.estimated_delivery),
            )
            for f in live
        ],
        [(line.sku, line.backordered) for line in view.lines if line.backordered > 0],
        rec.pickup_at,
    )
    shape = shapes.OrderStatus(
        order_id=rec.id,
        channel=rec.channel,
        external_id=rec.external_id,
        status=rec.status.value,
        placed_at=rec.placed_at.isoformat(),
        promised_by=_day(rec.promised_by),
        pickup_at=rec.pickup_at,
        lines=[
            shapes.LineStatus(
                sku=line.sku,
                quantity=line.quantity,
                allocated=line.allocated,
                backordered=line.backordered,
                cancelled=line.cancelled,
                status=line.status,
            )
            for line in view.lines
        ],
        shipments=[
            shapes.Shipment(
                fulfillment_id=f.id,
                location=f.location_id,
                status=f.status.value,
                carrier=f.carrier,
                service=f.service,
                tracking_number=f.tracking_number,
                ship_by=_day(f.ship_by),
                estimated_delivery=_day(f.estimated_delivery),
                ready_by=None if f.ready_by is None else f.ready_by.isoformat(),
            )
            for f in view.fulfillments
        ],
        explanation=words,
        personal_data_redacted=not view.personal,
        ship_to_postal_code=(
            rec.ship_to.postal_code if view.personal and rec.ship_to is not None else None
        ),
    )
    return answered(shape, " ".join(words))


async def explain_routing(
    store: GraphStore,
    who: Principal,
    attempts: ProofAttempts,
    order_id: str,
    verification: shapes.Verification | None,
) -> CallToolResult:
    if not who.sees_routing():
        raise Refusal("FORBIDDEN", "this API key may not read routing decisions")
    view = await _view(store, who, attempts, order_id, None, None, verification)
    if view.order.routing is None:
        raise Refusal("NOT_FOUND", f"order {order_id} has no stored routing decision")
    plan = RoutingPlan.from_record(view.order.routing)
    if not who.sees_transfers():  # the customer's one pickup (docs/transfers.md)
        plan = customer_plan(plan)
    shape = shapes.RoutingExplanation(
        order_id=view.order.id,
        policy=plan.policy,
        shipments=[
            shapes.RoutedShipment(
                location=s.location_id,
                carrier=s.carrier,
                service=s.service,
                cost=round(s.cost, 2),
                estimated_delivery=s.estimated_delivery.isoformat(),
                lines=[shapes.Line(sku=sku, quantity=n) for sku, n in s.lines],
            )
            for s in plan.shipments
        ],
        explanation=list(plan.explanation),
    )
    places = ", ".join(s.location for s in shape.shipments) or "nowhere yet"
    text = f"Order {view.order.id} ships from {places} ({plan.policy} policy). " + " ".join(
        plan.explanation
    )
    return answered(shape, text)
