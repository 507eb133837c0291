"""Returns: route the return to the best place, receive it, restock, record the refund.

The best place is the ``dropOffAt`` location when the customer chose one (a store, for an online
order returned in store: BORIS), else the nearest active location that accepts returns and may
hold the SKUs (a hazmat SKU only to a hazmat location), measured from where the order was
delivered (its ship-to region's centroid, or its pickup store).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from ordergraph.domain import returns as rd
from ordergraph.domain.errors import ErrorCode, NotFound, ValidationError
from ordergraph.domain.geo import haversine_km
from ordergraph.domain.lifecycle import Change, OrderState
from ordergraph.domain.orders import check_lines, check_text
from ordergraph.graph import catalog
from ordergraph.graph import returns as q
from ordergraph.graph.catalog import skus_by_id
from ordergraph.graph.records.catalog import LocationRecord
from ordergraph.graph.records.returns import ReturnRecord
from ordergraph.graph.store import GraphStore
from ordergraph.services.lifecycle import allocate_backorders, load, run

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_return_id() -> str:
    return "RT-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


async def find_return(store: GraphStore, return_id: str) -> ReturnRecord | None:
    return await q.return_by_id(store, return_id)


async def choose_location(
    store: GraphStore, state: OrderState, skus: Sequence[str], drop_off_at: str | None
) -> tuple[str, float | None]:
    places = await q.return_places(store, state.terms.region, state.terms.pickup_at)
    infos = [i for i in await skus_by_id(store, list(skus)) if i]
    needs_hazmat = any("hazmat" in i.tags for i in infos)

    def fits(loc: LocationRecord) -> bool:
        return not needs_hazmat or "hazmat" in loc.tags

    if drop_off_at is not None:
        for loc in places.locations:
            if loc.id == drop_off_at:
                if not fits(loc):
                    raise ValidationError(
                        f"{drop_off_at} cannot take back hazmat items", field=("dropOffAt",)
                    )
                return drop_off_at, None
        if not await catalog.existing_ids(store, "Location", [drop_off_at]):
            raise ValidationError(
                f"unknown location {drop_off_at!r}", ErrorCode.UNKNOWN_LOCATION, ("dropOffAt",)
            )
        raise ValidationError(f"{drop_off_at} does not accept returns", field=("dropOffAt",))
    origin = places.origin
    ranked = sorted(
        (haversine_km(origin[0], origin[1], loc.lat, loc.lon) if origin else 0.0, loc.id)
        for loc in places.locations
        if fits(loc)
    )
    if not ranked:
        raise ValidationError("no location accepts this return", field=("lines",))
    distance, best = ranked[0]
    return best, (round(distance, 1) if origin else None)


async def create_return(
    store: GraphStore,
    order_id: str,
    lines: Sequence[tuple[str, int]],
    reason: str | None = None,
    drop_off_at: str | None = None,
    *,
    now: datetime | None = None,
    actor: Mapping[str, str] | None = None,
) -> tuple[str, Change]:
    check_lines(lines)
    reason = check_text(reason, "reason")
    state = await load(store, order_id)
    location, _ = await choose_location(store, state, sorted({s for s, _ in lines}), drop_off_at)
    return_id = new_return_id()

    async def decide(state: OrderState, at: datetime) -> Change:
        earlier = [r.state() for r in (await q.returns_of_order(store, [state.id]))[0]]
        if any(r.id == return_id for r in earlier):  # a retry after our write landed
            raise ValidationError("duplicate return", ErrorCode.CONFLICT)
        return rd.create(state, return_id, lines, location, reason, earlier, at)

    change = await run(store, order_id, decide, now, actor=actor)
    return return_id, change


async def receive_return(
    store: GraphStore,
    return_id: str,
    lines: Sequence[tuple[str, int, rd.Disposition]],
    *,
    now: datetime | None = None,
) -> Change:
    check_lines([(sku, quantity) for sku, quantity, _ in lines])
    rec = await q.return_by_id(store, return_id)
    if rec is None:
        raise NotFound(f"no return {return_id}", ("returnId",))
    ret = rec.state()
    restock = sorted({(ret.location, sku) for sku, _, d in lines if d == rd.Disposition.RESTOCK})
    await q.ensure_stock_positions(store, restock)

    async def decide(state: OrderState, at: datetime) -> Change:
        fresh = await q.return_by_id(store, return_id)
        assert fresh is not None
        return rd.receive(state, fresh.state(), lines, at)

    change = await run(store, ret.order_id, decide, now or datetime.now(UTC))
    if restock:
        await allocate_backorders(store, [sku for _, sku in restock])
    return change
