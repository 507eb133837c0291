"""Cypher of the simulation sandbox (docs/simulation.md).

Reads: the world a run owns, read once (regions, channels, the SKUs its orders name, every
active location with the capacity it has taken, their stock of those SKUs, and their lanes to
the regions its orders go to); the past orders of a window; what orders placed since an instant
hold or shipped (to reconstruct the stock as it was then).

Writes: only the run's own ``:SimulationRun`` node (created, progress, finished). Nothing here
writes stock, reservations, orders or events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ordergraph.graph.catalog import CHANNEL, LOCATION, REGION, SKU
from ordergraph.graph.orders import LANE, LINE, ORDER
from ordergraph.graph.records.catalog import (
    ChannelRecord,
    LaneRecord,
    LocationRecord,
    RegionRecord,
    SkuRecord,
    StockRecord,
)
from ordergraph.graph.records.simulations import (
    RUN,
    HeldUnits,
    PastOrder,
    SimulationRecord,
    World,
    finished_params,
    new_run_params,
)
from ordergraph.graph.store import GraphStore

REGIONS = f"MATCH (r:Region) RETURN {REGION} AS r"
CHANNELS = f"MATCH (ch:Channel) RETURN {CHANNEL} AS ch"
LOCATIONS = f"""MATCH (l:Location) WHERE l.active = true
RETURN {LOCATION} AS l,
  [(l)-[:CAPACITY]->(d:CapacityDay) WHERE d.day >= $fromDay | d {{.day, .used}}] AS capacity"""
STOCK = f"""UNWIND $skus AS sku
MATCH (k:Sku {{id: sku}})
OPTIONAL MATCH (l:Location)-[s:STOCKS]->(k) WHERE l.active = true
RETURN {SKU} AS k, collect(CASE WHEN l IS NULL THEN NULL ELSE {{location: l.id, sku: sku,
  onHand: s.onHand, reserved: s.reserved, safetyStock: s.safetyStock,
  protectChannels: s.protectChannels, protectRemaining: s.protectRemaining,
  protectUntil: s.protectUntil}} END) AS stock"""
LANES = f"""MATCH (l:Location)-[ln:LANE]->(r:Region) WHERE r.id IN $regions AND l.active = true
RETURN l.id AS location, r.id AS region, {LANE} AS lane"""
PAST_ORDERS = f"""MATCH (o:Order) WHERE o.placedAtMs >= $from AND o.placedAtMs < $to
  AND ($channel IS NULL OR o.channel = $channel)
RETURN {ORDER} AS o, [(o)-[:HAS_LINE]->(ol:OrderLine) | {LINE}] AS lines
ORDER BY o.placedAtMs, o.id
LIMIT $limit"""
HELD_SINCE = """MATCH (o:Order) WHERE o.placedAtMs >= $from
MATCH (o)-[:HAS_FULFILLMENT]->(f:Fulfillment)-[sh:SHIPS]->(ol:OrderLine)
WHERE f.status IN ['OPEN', 'RELEASED', 'SHIPPED', 'DELIVERED']
RETURN f.id AS fulfillment, f.locationId AS location, ol.sku AS sku, f.status AS status,
  f.shipBy AS shipBy, sum(sh.quantity) AS units"""


async def regions(store: GraphStore) -> dict[str, RegionRecord]:
    rows = await store.read(REGIONS, {})
    return {rec.id: rec for rec in (RegionRecord.from_row(row["r"]) for row in rows)}


async def world(
    store: GraphStore,
    skus: Sequence[str],
    region_ids: Sequence[str],
    from_day: str,
    known_regions: Mapping[str, RegionRecord],
) -> World:
    """The state a run owns, in four reads (it changes only in the run's memory)."""
    channels = await store.read(CHANNELS, {})
    located = await store.read(LOCATIONS, {"fromDay": from_day})
    stocked = await store.read(STOCK, {"skus": sorted(set(skus))})
    lanes: dict[tuple[str, str], list[LaneRecord]] = {}
    if region_ids:
        for row in await store.read(LANES, {"regions": sorted(set(region_ids))}):
            lanes.setdefault((row["location"], row["region"]), []).append(
                LaneRecord.from_row(row["lane"])
            )
    used: dict[str, dict[str, int]] = {}
    locations = {}
    for row in located:
        loc = LocationRecord.from_row(row["l"])
        locations[loc.id] = loc
        days = used.setdefault(loc.id, {})
        for day in row["capacity"]:
            days[day["day"]] = days.get(day["day"], 0) + int(day.get("used") or 0)
    stock: dict[tuple[str, str], StockRecord] = {}
    holders: dict[str, tuple[str, ...]] = {}
    found_skus: dict[str, SkuRecord] = {}
    for row in stocked:
        sku = SkuRecord.from_row(row["k"])
        found_skus[sku.id] = sku
        positions = [StockRecord.from_row(entry) for entry in row["stock"] if entry is not None]
        for position in positions:
            stock[(position.location, sku.id)] = position
        holders[sku.id] = tuple(sorted(p.location for p in positions))
    return World(
        regions=known_regions,
        channels={rec.id: rec for rec in (ChannelRecord.from_row(row["ch"]) for row in channels)},
        skus=found_skus,
        locations=locations,
        stock=stock,
        holders=holders,
        lanes={
            key: tuple(sorted(found, key=lambda ln: (ln.carrier, ln.service)))
            for key, found in lanes.items()
        },
        used=used,
    )


async def past_orders(
    store: GraphStore, from_ms: int, to_ms: int, channel: str | None, limit: int
) -> list[PastOrder]:
    """The orders placed in [from, to) (of ``channel``), the first ``limit`` of them."""
    params = {"from": from_ms, "to": to_ms, "channel": channel, "limit": limit}
    rows = await store.read(PAST_ORDERS, params)
    return [PastOrder.from_row(row) for row in rows]


async def held_since(store: GraphStore, from_ms: int) -> list[HeldUnits]:
    return [HeldUnits.from_row(row) for row in await store.read(HELD_SINCE, {"from": from_ms})]


# -- the run's own node ---------------------------------------------------------------------------

_CREATE = f"CREATE (n:{RUN}) SET n = $props RETURN n.id AS id"
_PROGRESS = f"MATCH (n:{RUN} {{id: $id}}) SET n.done = $done RETURN n.id AS id"
_FINISH = f"MATCH (n:{RUN} {{id: $id}}) SET n += $props, n.done = $done RETURN n.id AS id"
_READ = f"""MATCH (n:{RUN} {{id: $id}})
RETURN n {{.id, .status, .done, .total, .request, .createdAt, .finishedAt, .report, .error}} AS n"""


async def create_run(
    store: GraphStore, run_id: str, request: Mapping[str, Any], total: int, at: datetime
) -> None:
    await store.write(_CREATE, {"props": new_run_params(run_id, request, total, at)})


async def progress(store: GraphStore, run_id: str, done: int) -> None:
    await store.write(_PROGRESS, {"id": run_id, "done": done})


async def finish(
    store: GraphStore,
    run_id: str,
    done: int,
    report: Any,
    error: str | None,
    at: datetime,
) -> None:
    props = {k: v for k, v in finished_params(report, error, at).items() if v is not None}
    await store.write(_FINISH, {"id": run_id, "done": done, "props": props})


async def run_by_id(store: GraphStore, run_id: str) -> SimulationRecord | None:
    rows = await store.read(_READ, {"id": run_id})
    return None if not rows else SimulationRecord.from_row(rows[0]["n"])


_RECENT = f"""MATCH (n:{RUN})
RETURN n {{.id, .status, .done, .total, .request, .createdAt, .finishedAt, .report, .error}} AS n
ORDER BY n.createdAt DESC, n.id DESC LIMIT $limit"""


async def recent_runs(store: GraphStore, limit: int) -> list[SimulationRecord]:
    """The newest ``limit`` runs, newest first (the console's list of sandbox runs)."""
    rows = await store.read(_RECENT, {"limit": limit})
    return [SimulationRecord.from_row(row["n"]) for row in rows]


_LATEST_DONE = f"""MATCH (n:{RUN} {{policyId: $policy, policyVersion: $version, status: 'DONE'}})
RETURN n {{.id, .status, .done, .total, .request, .createdAt, .finishedAt, .report, .error}} AS n
ORDER BY n.finishedAt DESC LIMIT 1"""


async def latest_done_run(
    store: GraphStore, policy_id: str, version: int
) -> SimulationRecord | None:
    """The last finished run that simulated ``version`` of ``policy_id`` (named explicitly)."""
    rows = await store.read(_LATEST_DONE, {"policy": policy_id, "version": version})
    return None if not rows else SimulationRecord.from_row(rows[0]["n"])
