"""Channel ATP under load and on random networks, on the real engine: three channels racing
for scarce shared and protected stock never sell a unit twice, never take another channel's
protected units and never go above their ATP; and what availability(channel:) shows is exactly
what orderCreate on that channel can get."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ordergraph.domain.atp import ChannelRules, Protection, channel_atp
from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.store import GraphStore
from ordergraph.services.availability import availability
from ordergraph.services.delivery import delivery_options
from ordergraph.services.network import load_network
from ordergraph.services.orders import place_order
from tests.conftest import small_network
from tests.integration.test_concurrency import invariants

PLACED = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
SF = Address("94107", "US")
# every location stocking SKU-2 has a lane to San Francisco that STANDARD accepts
SKU2_PLACES = ("DC-RENO", "DC-NEWARK", "STORE-SF", "STORE-OAKLAND")
_graphs = itertools.count()


def racing_network() -> dict[str, Any]:
    """SKU-2 scarce: DC-RENO 8 (safety 1) of which b2b holds 4, DC-NEWARK 6 of which amazon
    holds 2, STORE-SF 3, STORE-OAKLAND 4 (safety 1): 19 free units. Amazon sells only from
    warehouses, half of the shared stock, less 1."""
    doc = small_network()
    doc["stock"] = [row for row in doc["stock"] if row["sku"] != "SKU-2"] + [
        {"location": "DC-RENO", "sku": "SKU-2", "onHand": 8, "safetyStock": 1},
        {"location": "DC-NEWARK", "sku": "SKU-2", "onHand": 6},
        {"location": "STORE-SF", "sku": "SKU-2", "onHand": 3},
        {"location": "STORE-OAKLAND", "sku": "SKU-2", "onHand": 4, "safetyStock": 1},
    ]
    doc["channels"] = [
        {"id": "web", "name": "Web"},
        {"id": "amazon", "name": "Amazon", "kind": "MARKETPLACE", "bufferUnits": 1,
         "sharePercent": 50, "sourcing": {"kinds": ["WAREHOUSE"]}},
        {"id": "b2b", "name": "Wholesale", "kind": "B2B"},
    ]  # fmt: skip
    doc["stockProtections"] = [
        {"location": "DC-RENO", "sku": "SKU-2", "channel": "b2b", "quantity": 4},
        {"location": "DC-NEWARK", "sku": "SKU-2", "channel": "amazon", "quantity": 2},
    ]
    return doc


def most_amazon_can_take(free: int, own: int) -> int:
    """Amazon alone, one unit at a time, at a position with ``free`` units and ``own`` of them
    protected for it and none for others: the most it can ever hold there (others only lower
    its ATP, never raise it)."""
    rules = ChannelRules(buffer_units=1, share_percent=50)
    taken = 0
    while True:
        atp = channel_atp(
            "amazon",
            rules,
            on_hand=free,
            reserved=taken,
            safety_stock=0,
            protections=[Protection("amazon", max(0, own - taken))],
            today=NOW.date(),
        )
        if atp.result == 0:
            return taken
        taken += 1


async def test_three_channels_racing_for_scarce_stock_keep_every_rule(
    store: FalkorStore,
) -> None:
    await three_channels_race_keeping_every_rule(store)


async def three_channels_race_keeping_every_rule(store: GraphStore) -> None:
    """Also run on Neo4j by tests/integration/test_neo4j.py (the store contract)."""
    await load_network(store, racing_network())
    rng = random.Random(12)
    requests = [
        OrderRequest(
            channel=rng.choice(["web", "amazon", "b2b"]),
            lines=(OrderLine("SKU-2", rng.randint(1, 2)),),
            ship_to=SF,
            placed_at=PLACED,
            external_id=f"race-{i}",
        )
        for i in range(120)
    ]
    gate = asyncio.Semaphore(32)  # as many racing at once as the connection pool allows

    async def place(request: OrderRequest) -> Any:
        async with gate:
            return await place_order(store, request, now=NOW)

    placements = await asyncio.gather(*(place(r) for r in requests))
    assert all(p.created for p in placements)
    await invariants(store)  # reserved == open SHIPS, never above on hand less safety

    rows = await store.read("""
        MATCH (o:Order)-[:HAS_FULFILLMENT]->(f:Fulfillment)-[sh:SHIPS]->(ol:OrderLine)
        MATCH (f)-[:FROM]->(l:Location)
        RETURN o.channel AS channel, l.id AS location, toInteger(sum(sh.quantity)) AS units""")
    got = {(r["channel"], r["location"]): r["units"] for r in rows}

    def units(location: str, *, by: str | None = None, not_by: str | None = None) -> int:
        return sum(
            n
            for (c, loc), n in got.items()
            if loc == location and (by is None or c == by) and (not_by is None or c != not_by)
        )

    assert sum(got.values()) == 7 + 6 + 3 + 3  # demand is far above supply: all of it sold
    # protected units only to their channel
    assert units("DC-RENO", not_by="b2b") <= 7 - 4
    assert units("DC-NEWARK", not_by="amazon") <= 6 - 2
    # amazon: never from a store, never more than its ATP would ever allow
    assert units("STORE-SF", by="amazon") == units("STORE-OAKLAND", by="amazon") == 0
    assert units("DC-RENO", by="amazon") <= most_amazon_can_take(7 - 4, 0)
    assert units("DC-NEWARK", by="amazon") <= 2 + most_amazon_can_take(6 - 2, 0)
    # own units first: b2b's protection at DC-RENO is spent by what b2b took there
    left = await store.read(
        "MATCH (:Location {id: 'DC-RENO'})-[s:STOCKS]->(:Sku {id: 'SKU-2'}) "
        "RETURN s.protectRemaining AS remaining"
    )
    assert left[0]["remaining"] == [max(0, 4 - units("DC-RENO", by="b2b"))]
    # and nothing is left that any channel could still sell
    for channel in ("web", "amazon", "b2b"):
        (seen,) = await availability(store, ["SKU-2"], channel=channel, now=NOW)
        assert seen.available == 0, (channel, seen)


# ---- what availability shows can be ordered, and no more --------------------------------------

stock = st.fixed_dictionaries(
    {place: st.tuples(st.integers(0, 12), st.integers(0, 3)) for place in SKU2_PLACES}
)
protected = st.lists(
    st.tuples(st.sampled_from(SKU2_PLACES), st.sampled_from(["web", "b2b"]), st.integers(1, 8)),
    max_size=3,
    unique_by=lambda p: (p[0], p[1]),
)
sourcing = st.sampled_from([None, ["WAREHOUSE"], ["STORE"], ["WAREHOUSE", "STORE"]])


@settings(max_examples=12, deadline=None, database=None)
@given(
    counts=stock,
    held=protected,
    kinds=sourcing,
    share=st.integers(0, 100),
    buffer=st.integers(0, 3),
)
def test_what_availability_shows_a_channel_is_what_it_can_order(
    engine: EmbeddedEngine,
    counts: dict[str, tuple[int, int]],
    held: list[tuple[str, str, int]],
    kinds: list[str] | None,
    share: int,
    buffer: int,
) -> None:
    doc = small_network()
    doc["stock"] = [r for r in doc["stock"] if r["sku"] != "SKU-2"] + [
        {"location": place, "sku": "SKU-2", "onHand": on_hand, "safetyStock": safety}
        for place, (on_hand, safety) in counts.items()
    ]
    doc["channels"] = [
        {"id": "web", "name": "Web"},
        {"id": "b2b", "name": "Wholesale"},
        {"id": "amazon", "name": "Amazon", "bufferUnits": buffer, "sharePercent": share,
         "sourcing": {"kinds": kinds}},
    ]  # fmt: skip
    doc["stockProtections"] = [
        {"location": place, "sku": "SKU-2", "channel": channel, "quantity": n}
        for place, channel, n in held
    ]
    asyncio.run(_shows_what_it_can_order(engine.url, doc))


async def _shows_what_it_can_order(url: str, doc: dict[str, Any]) -> None:
    store = FalkorStore(url, f"atp-orders-{os.getpid()}-{next(_graphs)}")
    try:
        await store.migrate()
        await load_network(store, doc)
        for channel in ("amazon", "web", "b2b"):
            (seen,) = await availability(store, ["SKU-2"], channel=channel, now=NOW)
            shown = seen.available
            if shown > 0:
                options = await delivery_options(
                    store,
                    (OrderLine("SKU-2", shown),),
                    channel=channel,
                    ship_to=SF,
                    near=None,
                    placed_at=PLACED,
                    now=NOW,
                )
                assert any(o.ships_whole for o in options), (channel, shown)
            more = await delivery_options(
                store,
                (OrderLine("SKU-2", shown + 1),),
                channel=channel,
                ship_to=SF,
                near=None,
                placed_at=PLACED,
                now=NOW,
            )
            assert not any(o.ships_whole for o in more), (channel, shown)
            placed = await place_order(
                store,
                OrderRequest(
                    channel=channel,
                    lines=(OrderLine("SKU-2", shown + 1),),
                    ship_to=SF,
                    placed_at=PLACED,
                    external_id=f"all-{channel}",
                ),
                now=NOW,
            )
            rows = await store.read(
                "MATCH (o:Order {id: $id})-[:HAS_LINE]->(ol:OrderLine) "
                "RETURN ol.allocated AS allocated",
                {"id": placed.order_id},
            )
            assert rows[0]["allocated"] == shown, (channel, shown)
            # a share applies to what is free now, so some may show again, never more
            (after,) = await availability(store, ["SKU-2"], channel=channel, now=NOW)
            assert after.available <= shown, channel
    finally:
        await store.drop()
        await store.close()
