"""Root fields for orders: place, preview, delivery options, read and list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import strawberry

from ordergraph.domain.errors import OrderGraphError
from ordergraph.domain.keys import channel_external_id, join_key, split_key
from ordergraph.domain.transfers import customer_plan
from ordergraph.graph import orders as reads
from ordergraph.schema.context import Info
from ordergraph.schema.errors import user_errors
from ordergraph.schema.limits import page_size
from ordergraph.schema.order_inputs import (
    DeliveryOptionsInput,
    OrderCreateInput,
    OrderFilter,
    to_address,
    to_lines,
    to_request,
)
from ordergraph.schema.orders import (
    DeliveryKind,
    DeliveryOption,
    Order,
    OrderConnection,
    OrderCreatePayload,
    RoutingPlan,
    readable_order,
    readable_order_by_id,
)
from ordergraph.schema.permissions import (
    Forbidden,
    order_scope,
    principal,
    require_channel,
    require_channel_in_scope,
)
from ordergraph.schema.problems import raise_as_graphql
from ordergraph.schema.types import Edge, decode_cursor, encode_cursor, page
from ordergraph.services import availability as atp
from ordergraph.services import delivery, orders
from ordergraph.services.carrier_rates import shopper_for

PAST_SKEW = timedelta(minutes=5)  # clock skew allowed to an untrusted key's placedAt in previews


async def visible_order(info: Info, order_id: str) -> Order | None:
    """The order if this caller may see it; None otherwise (its existence is not revealed)."""
    return await readable_order_by_id(info, order_id)


def check_placed_at(info: Info, placed_at: datetime | None, *, placing: bool) -> None:
    """Only trusted keys (integration, admin) choose an order's placedAt: it decides its place in
    the backorder queue and the capacity days it uses. Other keys placing an order get the
    server's clock (giving placedAt is refused); in previews they may ask about now or later."""
    if placed_at is None or principal(info).trusted():
        return
    if placing:
        raise Forbidden(
            "this API key may not set placedAt: leave it out and the server's clock is used "
            "(only integration and admin keys may place orders with another time)",
            ("placedAt",),  # the payload's userErrors put it under input
        )
    if placed_at.tzinfo is not None and placed_at < datetime.now(UTC) - PAST_SKEW:
        raise Forbidden(
            "this API key may not ask about a time in the past (placedAt); leave it out for now",
            ("input", "placedAt"),
        )


@strawberry.type
class OrderQuery:
    @strawberry.field(description="An order by its id.")
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        return await visible_order(info, str(id))

    @strawberry.field(description="An order by the id its channel gave it.")
    async def order_by_external_id(
        self, info: Info, channel: strawberry.ID, external_id: str
    ) -> Order | None:
        with raise_as_graphql():
            require_channel_in_scope(info, str(channel))
        found = await reads.order_ids_by(
            info.context.store, None, channel_external_id(str(channel), external_id)
        )
        return None if found is None else await visible_order(info, found)

    @strawberry.field(description="Orders, newest first; filter by channel, status and date.")
    async def orders(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        filter: OrderFilter | None = None,
    ) -> OrderConnection:
        with raise_as_graphql():
            size = page_size(50 if first is None else first)
            key = None
            if after:
                at, order_id = split_key(decode_cursor(after))
                if not order_id or not at.isdigit():
                    raise ValueError(f"not a cursor this API gave out: {after!r}")
                key = (int(at), order_id)
            f = filter or OrderFilter()
            if f.channel is not None:
                require_channel_in_scope(info, str(f.channel), ("filter", "channel"))
        channels, locations = order_scope(info)
        rows = await reads.order_page(
            info.context.store,
            first=size,
            after=key,
            channels=channels,
            locations=locations,
            channel=None if f.channel is None else str(f.channel),
            status=None if f.status is None else f.status.value,
            placed_from=None if f.placed_from is None else orders.epoch_ms(f.placed_from),
            placed_to=None if f.placed_to is None else orders.epoch_ms(f.placed_to),
        )
        nodes, info_ = page(rows, size, lambda r: join_key(r.placed_at_ms, r.id))
        edges = []
        for r in nodes:  # the scope limited the read; each order still passes the object check
            node = await readable_order(info, r)
            if node is not None:
                cursor = encode_cursor(join_key(r.placed_at_ms, r.id))
                edges.append(Edge(cursor=cursor, node=node))
        return OrderConnection(edges=edges, page_info=info_)

    @strawberry.field(
        description="The plan orderCreate would make now, without reserving anything."
    )
    async def routing_preview(self, info: Info, input: OrderCreateInput) -> RoutingPlan:
        with raise_as_graphql():
            require_channel(info, str(input.channel), ("input", "channel"))
            check_placed_at(info, input.placed_at, placing=False)
            _, _, plan = await orders.plan(
                info.context.store, to_request(input), rates=shopper_for(info.context.settings)
            )
        if not principal(info).sees_transfers():  # the customer's one pickup
            plan = customer_plan(plan)
        return RoutingPlan.from_plan(plan)

    @strawberry.field(
        description="Delivery options for a prospective basket: 'can I get it by Friday?'"
    )
    async def delivery_options(
        self, info: Info, input: DeliveryOptionsInput
    ) -> list[DeliveryOption]:
        near = input.near
        with raise_as_graphql():
            if input.channel is not None:
                require_channel(info, str(input.channel), ("input", "channel"))
            check_placed_at(info, input.placed_at, placing=False)
            found = await delivery.delivery_options(
                info.context.store,
                to_lines(input.lines),
                channel=None if input.channel is None else str(input.channel),
                ship_to=to_address(input.ship_to),
                near=None
                if near is None
                else atp.Near(near.postal_code, near.country, near.lat, near.lon),
                placed_at=input.placed_at,
                rates=shopper_for(info.context.settings),
            )
        return [
            DeliveryOption(
                kind=DeliveryKind(o.kind),
                service_level=o.service_level,
                pickup_at_id=o.pickup_at,
                ships_whole=o.ships_whole,
                shipments=o.shipments,
                cost=o.cost,
                ship_by=o.ship_by,
                delivery_by=o.delivery_by,
                ready_by=o.ready_by,
                distance_km=o.distance_km,
                explanation=list(o.explanation),
            )
            for o in found
        ]


@strawberry.type
class OrderMutation:
    @strawberry.mutation(description="Place an order: route it, reserve its stock, promise a date.")
    async def order_create(self, info: Info, input: OrderCreateInput) -> OrderCreatePayload:
        store = info.context.store
        metrics = info.context.extra.get("metrics")
        try:
            require_channel(info, str(input.channel))
            check_placed_at(info, input.placed_at, placing=True)
            placed = await orders.place_order(
                store,
                to_request(input),
                on_conflict=None if metrics is None else metrics.reservation_conflicts.inc,
                on_routed=None if metrics is None else metrics.routing.observe,
                placed_by=principal(info).role.value,
                rates=shopper_for(info.context.settings),
            )
        except OrderGraphError as exc:
            return OrderCreatePayload(order=None, user_errors=user_errors(exc))
        rec = await info.context.loaders.order.load(placed.order_id)
        if metrics is not None and placed.created and rec is not None:
            metrics.orders_placed.labels(channel=rec.channel, status=rec.status.value).inc()
        # echo the personal data only of the order this call placed: it is what the caller just
        # sent. A repeat answers the order as this key reads it: its ship-to may have been
        # changed since (orderUpdate), and that is not the caller's to read.
        order = await readable_order(info, rec, echo=placed.created)
        return OrderCreatePayload(order=order, user_errors=[])
