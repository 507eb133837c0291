"""Labels on a real FalkorDB against a local EasyPost: one label per fulfillment however often
(or however concurrently) it is asked for, stored on the fulfillment, voided on cancel."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from ordergraph.connectors.carriers.easypost import EasyPost
from ordergraph.domain.errors import OrderGraphError
from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.labels import label_context
from ordergraph.services import lifecycle
from ordergraph.services.labels import buy_label, label_key, void_cancelled
from ordergraph.services.orders import place_order
from tests.carrier_server import easypost_server

PLACED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


async def placed_fulfillment(store: FalkorStore, external: str) -> tuple[str, str]:
    placed = await place_order(
        store,
        OrderRequest(
            channel="web",
            lines=(OrderLine("SKU-1", 2),),
            ship_to=Address(
                "94105",
                "US",
                name="A. Shopper",
                line1="1 Market St",
                city="San Francisco",
                region="CA",
            ),
            placed_at=PLACED,
            external_id=external,
        ),
    )
    return placed.order_id, f"{placed.order_id}-F1"


async def test_a_label_is_bought_once_and_stored(loaded: FalkorStore) -> None:
    order_id, fid = await placed_fulfillment(loaded, "L-1")
    with easypost_server() as fake:
        carriers = {"easypost": EasyPost(fake.api_key, base_url=fake.url)}
        first, second, third = (
            ctx.label
            for ctx in [
                *await asyncio.gather(
                    buy_label(loaded, carriers, fid), buy_label(loaded, carriers, fid)
                ),
                await buy_label(loaded, carriers, fid),
            ]
        )
        assert fake.buys == 1
        assert first.tracking_number == second.tracking_number == third.tracking_number
        assert first.tracking_number and first.label_format == "image/png"
        assert first.label_url is not None and first.label_url.endswith(".png")
        # the key went to the carrier as the shipment's reference, and is stored
        [shipment] = [s for s in fake.shipments.values() if s["postage_label"] is not None]
        assert shipment["reference"] == label_key(fid) == first.key
        assert shipment["to_address"]["street1"] == "1 Market St"
        ctx = await label_context(loaded, fid)
        assert ctx is not None and ctx.label.shipment_id == shipment["id"]
        # the planned carrier service (the lane table's UPS GROUND) is bought, not the cheapest
        assert ctx.carrier == "UPS" and ctx.service == "GROUND"
        assert (shipment["selected_rate"]["carrier"], shipment["selected_rate"]["service"]) == (
            "UPS",
            "Ground",
        )

        # cancelled before handover: the label is voided, once
        await lifecycle.cancel_order(loaded, order_id, reason="changed mind")
        assert await void_cancelled(loaded, carriers, order_id) == [fid]
        assert await void_cancelled(loaded, carriers, order_id) == []
        assert fake.refunds == 1
        with pytest.raises(OrderGraphError, match="CANCELLED"):
            await buy_label(loaded, carriers, fid)


async def test_a_failing_carrier_buys_nothing_and_a_retry_buys_one(loaded: FalkorStore) -> None:
    _, fid = await placed_fulfillment(loaded, "L-2")
    with easypost_server(behaviour="error") as fake:
        carriers = {"easypost": EasyPost(fake.api_key, base_url=fake.url)}
        with pytest.raises(OrderGraphError, match="could not be bought"):
            await buy_label(loaded, carriers, fid)
        fake.behaviour = "ok"
        label = (await buy_label(loaded, carriers, fid)).label
        assert fake.buys == 1 and label.bought
    with pytest.raises(OrderGraphError, match="no carrier account"):
        _, other = await placed_fulfillment(loaded, "L-3")
        await buy_label(loaded, {}, other)
