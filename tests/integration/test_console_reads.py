"""The operations console's reads on a real engine (graph/console.py, services/console.py):
order search by every key, the network's load and stock-outs, the exception queue's kinds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ordergraph.domain.access import Principal, Role
from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.graph import console as graph_console
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import console, lifecycle
from ordergraph.services.orders import place_order

ADMIN = Principal("k-admin", Role.ADMIN)
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def order(external: str, sku: str = "SKU-1", quantity: int = 1, **extra: object) -> OrderRequest:
    return OrderRequest(
        channel="web",
        lines=(OrderLine(sku, quantity),),
        ship_to=Address("94105", "US", name="A. Shopper"),
        placed_at=NOW - timedelta(hours=30),
        external_id=external,
        **extra,  # type: ignore[arg-type]
    )


async def test_an_order_is_found_by_id_external_id_email_and_postal_code(
    loaded: FalkorStore,
) -> None:
    placed = await place_order(loaded, order("EXT-77", customer_email=" Ada@Example.com "))
    await place_order(loaded, order("EXT-78"))
    for typed in (placed.order_id, "EXT-77", "ada@example.COM"):
        found = await console.search_orders(loaded, ADMIN, typed)
        assert [o.id for o in found] == [placed.order_id], typed
    by_postal = await console.search_orders(loaded, ADMIN, "94105")
    assert len(by_postal) == 2 and placed.order_id in {o.id for o in by_postal}
    assert await console.search_orders(loaded, ADMIN, "nobody@example.com") == []
    partner = Principal("k-p", Role.PARTNER, locations=frozenset({"DROPSHIP-ACME"}))
    assert await console.search_orders(loaded, partner, "EXT-77") == []  # not its order


async def test_the_network_load_counts_reservations_open_shipments_and_stock_outs(
    loaded: FalkorStore,
) -> None:
    before = {x.location.id: x for x in await console.network_load(loaded)}
    placed = await place_order(loaded, order("LOAD-1", "SKU-5", 6))
    after = {x.location.id: x for x in await console.network_load(loaded)}
    story = await console.order_story(loaded, ADMIN, placed.order_id)
    assert story.view.fulfillments
    for f in story.view.fulfillments:
        where, units = f.location_id, sum(line.quantity for line in f.lines)
        assert after[where].reserved == before[where].reserved + units
        assert after[where].open_shipments == before[where].open_shipments + 1
    emptied = {loc for loc, x in after.items() if "SKU-5" in x.stock_outs}
    assert emptied & {f.location_id for f in story.view.fulfillments}
    assert not emptied & {loc for loc, x in before.items() if "SKU-5" in x.stock_outs}


async def test_the_queue_lists_old_backorders_and_lines_past_the_reject_cap(
    loaded: FalkorStore,
) -> None:
    placed = await place_order(loaded, order("BO-1", "SKU-4", 500))  # more than the network has
    queue = await console.exception_queue(loaded, backorder_hours=24, now=NOW)
    assert [b.order_id for b in queue.backorders] == [placed.order_id]
    assert queue.backorders[0].backordered > 0 and queue.capped == ()
    younger = await console.exception_queue(loaded, backorder_hours=48, now=NOW)
    assert younger.backorders == ()  # placed 30 hours before NOW

    small = await place_order(loaded, order("CAP-1", "SKU-3", 1))
    (first,) = (await console.order_story(loaded, ADMIN, small.order_id)).view.fulfillments
    await lifecycle.reject(loaded, first.id, "damaged")
    # the read counts each backordered line's rejections; a line at the cap is listed however
    # young its order (the service's cap is MAX_REJECTIONS; here 1, as one rejection is enough
    # to backorder this small network's only lane-served SKU-3)
    rows = await graph_console.backordered_lines(loaded, before_ms=0, cap=1, limit=10)
    capped = [r for r in rows if r.order_id == small.order_id]
    assert len(capped) == 1 and capped[0].rejections == 1 and capped[0].sku == "SKU-3"
    assert await graph_console.backordered_lines(loaded, before_ms=0, cap=2, limit=10) == []
    queue = await console.exception_queue(loaded, backorder_hours=48, now=NOW)
    assert queue.capped == ()  # one rejection is under MAX_REJECTIONS


async def test_a_fulfillment_past_its_ship_by_day_is_late(loaded: FalkorStore) -> None:
    placed = await place_order(loaded, order("LATE-1"))
    (f,) = (await console.order_story(loaded, ADMIN, placed.order_id)).view.fulfillments
    assert f.ship_by is not None
    on_time = await console.exception_queue(loaded, backorder_hours=24, now=NOW - timedelta(days=2))
    assert on_time.late == ()
    later = datetime(f.ship_by.year, f.ship_by.month, f.ship_by.day, tzinfo=UTC) + timedelta(days=1)
    late = await console.exception_queue(loaded, backorder_hours=24, now=later)
    assert [x.fulfillment.id for x in late.late] == [f.id]
