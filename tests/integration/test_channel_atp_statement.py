"""The reservation statement's channel ATP (graph/fragments.py: channel_atp) is the domain's
(domain/atp.py: channel_atp): checked on the real engine over random positions, and the
statement itself refuses more than the channel's ATP and takes the channel's own units first."""

from __future__ import annotations

import asyncio
import itertools
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ordergraph.domain.atp import ChannelRules, Protection, Sourcing, channel_atp
from ordergraph.graph import fragments, lifecycle, orders
from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.records.catalog import ChannelRecord
from tests.integration.test_fragments import _change as guarded_change

TODAY = date(2026, 12, 4)
CHANNELS = ("web", "amazon", "b2b")
KINDS = ("WAREHOUSE", "STORE", "DARK_STORE", "DROPSHIP")
_graphs = itertools.count()

WRITE_POSITION = """
MERGE (l:Location {id: 'L'})
SET l.kind = $kind, l.tags = $tags
MERGE (k:Sku {id: 'K'})
MERGE (l)-[s:STOCKS]->(k)
SET s.onHand = $onHand, s.reserved = $reserved, s.safetyStock = $safety,
    s.protectChannels = $pc, s.protectRemaining = $pr, s.protectUntil = $pu
"""
READ_ATP = (
    "MATCH (l:Location {id: 'L'})-[s:STOCKS]->(:Sku {id: 'K'}) RETURN "
    + fragments.channel_atp("s", "l", "$atp")
    + " AS atp"
)

protections = st.lists(
    st.tuples(
        st.sampled_from(CHANNELS),
        st.integers(0, 40),
        st.sampled_from([None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=30)]),
    ),
    max_size=3,
    unique_by=lambda p: p[0],  # one protection per channel at a position
)
rules = st.builds(
    ChannelRules,
    sourcing=st.builds(
        Sourcing,
        locations=st.sampled_from([None, frozenset({"L"}), frozenset({"M"})]),
        kinds=st.one_of(st.none(), st.sets(st.sampled_from(KINDS)).map(frozenset)),
        exclude_tags=st.sets(st.sampled_from(["outlet", "hazmat"])).map(frozenset),
    ),
    buffer_units=st.integers(0, 10),
    share_percent=st.integers(0, 100),
)


@settings(max_examples=120, deadline=None, database=None)
@given(
    on_hand=st.integers(0, 120),
    reserved=st.integers(0, 60),
    safety=st.integers(0, 10),
    held=protections,
    channel=st.sampled_from(CHANNELS),
    chosen=rules,
    kind=st.sampled_from(KINDS),
    tags=st.sets(st.sampled_from(["outlet", "hazmat", "secure"])),
)
def test_the_statement_computes_the_domain_atp_on_any_position(
    engine: EmbeddedEngine,
    on_hand: int,
    reserved: int,
    safety: int,
    held: list[tuple[str, int, date | None]],
    channel: str,
    chosen: ChannelRules,
    kind: str,
    tags: set[str],
) -> None:
    expected = channel_atp(
        channel,
        chosen,
        on_hand=on_hand,
        reserved=reserved,
        safety_stock=safety,
        protections=[Protection(c, n, u) for c, n, u in held],
        today=TODAY,
        in_sourcing=chosen.sourcing.allows("L", kind, tags),
    )
    position = {
        "onHand": on_hand,
        "reserved": reserved,
        "safety": safety,
        "kind": kind,
        "tags": sorted(tags),
        # no protection: the lists are absent, as on a position never protected
        "pc": [c for c, _, _ in held] or None,
        "pr": [n for _, n, _ in held] or None,
        "pu": [u.isoformat() if u else "" for _, _, u in held] or None,
    }
    params = orders.atp_params(ChannelRecord(channel, None, None, None, None, chosen).seller(TODAY))
    got = asyncio.run(_engine_atp(engine.url, position, params))
    assert got == {
        "free": expected.free,
        "own": expected.own,
        "shared": expected.shared,
        "atp": expected.result,
    }


async def _engine_atp(url: str, position: dict[str, Any], params: dict[str, Any]) -> Any:
    graph = FalkorStore(url, f"atp-{os.getpid()}-{next(_graphs)}")
    try:
        await graph.write(WRITE_POSITION, position)
        rows = await graph.read(READ_ATP, {"atp": params})
        return rows[0]["atp"]
    finally:
        await graph.drop()
        await graph.close()


# ---- the statement: never above ATP, own units first -----------------------------------------


async def _protect(store: FalkorStore, location: str, sku: str, held: list[Any]) -> None:
    await store.write(
        "MATCH (:Location {id: $l})-[s:STOCKS]->(:Sku {id: $k}) "
        "SET s.protectChannels = $pc, s.protectRemaining = $pr, s.protectUntil = $pu",
        {
            "l": location,
            "k": sku,
            "pc": [c for c, _ in held],
            "pr": [n for _, n in held],
            "pu": ["" for _ in held],
        },
    )


def _reserve(order_id: str, channel: str, quantity: int) -> dict[str, Any]:
    record = ChannelRecord(channel, None, None, None, None, rules_version=1)
    return {
        "order": {"id": order_id, "channelExternalId": f"{channel}:{order_id}", "version": 1},
        "lines": [],
        "fulfillments": [],
        "alloc": [{"location": "DC-RENO", "sku": "SKU-3", "quantity": quantity}],
        "capacity": [],
        "events": [],
        "atp": orders.atp_params(record.seller(TODAY)),
    }


async def _position(store: FalkorStore) -> dict[str, Any]:
    rows = await store.read(
        "MATCH (:Location {id: 'DC-RENO'})-[s:STOCKS]->(:Sku {id: 'SKU-3'}) "
        "RETURN s.reserved AS reserved, s.protectRemaining AS remaining"
    )
    return rows[0]


async def test_the_statement_never_reserves_above_the_channel_atp(loaded: FalkorStore) -> None:
    # DC-RENO holds 30 of SKU-3, no safety stock; b2b protects 20 of them, pos 4
    await _protect(loaded, "DC-RENO", "SKU-3", [("b2b", 20), ("pos", 4)])
    # web: free 30, protected 24, shared 6
    assert not await orders.create_order(loaded, **_reserve("OG-1", "web", 7))
    assert await _position(loaded) == {"reserved": 0, "remaining": [20, 4]}
    assert await orders.create_order(loaded, **_reserve("OG-2", "web", 6))
    assert await _position(loaded) == {"reserved": 6, "remaining": [20, 4]}
    # b2b: free 24, own 20, shared 0: 21 is too many, 20 are its own
    assert not await orders.create_order(loaded, **_reserve("OG-3", "b2b", 21))
    assert await orders.create_order(loaded, **_reserve("OG-4", "b2b", 20))
    assert await _position(loaded) == {"reserved": 26, "remaining": [0, 4]}
    # pos: its 4, and nobody else can have them
    assert not await orders.create_order(loaded, **_reserve("OG-5", "web", 1))
    assert await orders.create_order(loaded, **_reserve("OG-6", "pos", 4))
    assert await _position(loaded) == {"reserved": 30, "remaining": [0, 0]}


async def test_own_units_go_first_then_shared(loaded: FalkorStore) -> None:
    await _protect(loaded, "DC-RENO", "SKU-3", [("b2b", 10)])
    # b2b: free 30, own 10, shared 20: 15 take its 10 and 5 shared
    assert await orders.create_order(loaded, **_reserve("OG-1", "b2b", 15))
    assert await _position(loaded) == {"reserved": 15, "remaining": [0]}
    # web now sees the 15 shared units left
    assert not await orders.create_order(loaded, **_reserve("OG-2", "web", 16))
    assert await orders.create_order(loaded, **_reserve("OG-3", "web", 15))


async def test_a_change_of_the_channel_rules_since_routing_refuses_the_reservation(
    loaded: FalkorStore,
) -> None:
    stale = _reserve("OG-1", "web", 1)
    stale["atp"]["rulesVersion"] = 0  # routed under rules that have changed since
    assert not await orders.create_order(loaded, **stale)
    assert (await _position(loaded))["reserved"] == 0


def test_the_formula_is_written_once_and_read_under_the_lock() -> None:
    graph = Path(fragments.__file__).parent
    holders = sorted(p.name for p in graph.glob("*.py") if "sharePercent / 100" in p.read_text())
    assert holders == ["fragments.py"]
    guard = fragments.RESERVE_NEW_ORDER
    assert guard.index("SET s._lock") < guard.index("sharePercent / 100") < guard.index("AS ok")
    assert guard.index("AS ok") < guard.index("SET s.protectRemaining")


def _change(order_id: str, channel: str, reserved: int, version: int) -> dict[str, Any]:
    """A guarded change of ``order_id`` (lifecycle.APPLY_CHANGE) that reserves ``reserved`` more
    units of SKU-3 at DC-RENO for ``channel``, as re-routing or a backorder allocation does."""
    record = ChannelRecord(channel, None, None, None, None, rules_version=1)
    return guarded_change(order_id, "DC-RENO", "SKU-3", 5, version) | {
        "stock": [{"location": "DC-RENO", "sku": "SKU-3", "reserved": reserved, "onHand": 0}],
        "capacity": [],
        "atp": orders.atp_params(record.seller(TODAY)),
    }


async def test_a_change_that_reserves_more_keeps_the_channel_atp_and_spends_own_first(
    loaded: FalkorStore,
) -> None:
    await _protect(loaded, "DC-RENO", "SKU-3", [("b2b", 20), ("pos", 4)])
    assert await orders.create_order(loaded, **_reserve("OG-W", "web", 1))
    assert await orders.create_order(loaded, **_reserve("OG-B", "b2b", 1))
    # free 28, protected 23 (b2b 19 left, pos 4), shared 5
    assert not await loaded.write(lifecycle.APPLY_CHANGE, _change("OG-W", "web", 6, 1))
    assert await _position(loaded) == {"reserved": 2, "remaining": [19, 4]}
    assert await loaded.write(lifecycle.APPLY_CHANGE, _change("OG-W", "web", 5, 1))
    assert await _position(loaded) == {"reserved": 7, "remaining": [19, 4]}
    # b2b: own 19, shared 0 now
    assert not await loaded.write(lifecycle.APPLY_CHANGE, _change("OG-B", "b2b", 20, 1))
    assert await loaded.write(lifecycle.APPLY_CHANGE, _change("OG-B", "b2b", 19, 1))
    assert await _position(loaded) == {"reserved": 26, "remaining": [0, 4]}
    # a release is never held back by the rules
    assert await loaded.write(lifecycle.APPLY_CHANGE, _change("OG-W", "web", -6, 2))
    assert await _position(loaded) == {"reserved": 20, "remaining": [0, 4]}
