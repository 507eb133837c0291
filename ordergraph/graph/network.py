"""Cypher for what a worker keeps between requests (issue #13, docs/performance.md): the
network version with the stock versions of some SKUs (one small read per availability
request), the whole static network (read when its version moved) and the stock positions of
some SKUs without their locations' properties (which the worker keeps).

The network version is the one ``NetworkVersion`` node's, moved by every statement that writes
a location, region, lane or channel (``fragments.BUMP_NETWORK_VERSION``); a SKU's stock version
is ``Sku.stockVersion`` (``fragments.BUMP_STOCK_VERSION``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ordergraph.graph.catalog import CHANNEL, LOCATION, REGION
from ordergraph.graph.records.catalog import (
    ChannelRecord,
    LocationRecord,
    RegionRecord,
    StockRecord,
)
from ordergraph.graph.records.network import NetworkSnapshot, StockOfSkus, Versions
from ordergraph.graph.store import GraphStore

NETWORK_VERSION = "OPTIONAL MATCH (nv:NetworkVersion {id: 'network'}) "
# -1 for a SKU that is not in the catalog; one row, two lists in the order of $skus
VERSIONS = f"""{NETWORK_VERSION}
WITH coalesce(nv.version, 0) AS network
UNWIND $skus AS sku
OPTIONAL MATCH (k:Sku {{id: sku}})
RETURN network, collect(sku) AS skus,
       collect(CASE WHEN k IS NULL THEN -1 ELSE coalesce(k.stockVersion, 0) END) AS versions
"""
# one row per SKU: its version and its positions as lists (no maps: fewer values to decode)
STOCK_OF_SKUS = """
UNWIND $skus AS sku
OPTIONAL MATCH (k:Sku {id: sku})
OPTIONAL MATCH (l:Location)-[s:STOCKS]->(k)
RETURN sku, CASE WHEN k IS NULL THEN -1 ELSE coalesce(k.stockVersion, 0) END AS version,
       collect(CASE WHEN s IS NULL THEN null ELSE [l.id, s.onHand, s.reserved, s.safetyStock,
         s.damaged, s.qualityControl, s.protectChannels, s.protectRemaining, s.protectUntil]
       END) AS stock
"""
STOCK_KEYS = (
    "location",
    "onHand",
    "reserved",
    "safetyStock",
    "damaged",
    "qualityControl",
    "protectChannels",
    "protectRemaining",
    "protectUntil",
)


def _version(value: int | float | None) -> int | None:
    number = int(value or 0)
    return None if number < 0 else number


async def versions(store: GraphStore, skus: Sequence[str]) -> Versions:
    """The network version and the stock version of each of ``skus``, in one read."""
    rows = await store.read(VERSIONS, {"skus": list(skus)})
    if not rows:  # no SKUs asked
        found = await store.read(NETWORK_VERSION + "RETURN coalesce(nv.version, 0) AS network")
        return Versions(int(found[0]["network"]), {})
    row = rows[0]
    return Versions(
        int(row["network"]),
        {sku: _version(v) for sku, v in zip(row["skus"], row["versions"], strict=True)},
    )


async def snapshot(store: GraphStore, version: int) -> NetworkSnapshot:
    """Every location, region and channel, read after the network version was ``version``."""
    locations = await store.read(f"MATCH (l:Location) RETURN {LOCATION} AS l")
    regions = await store.read(f"MATCH (r:Region) RETURN {REGION} AS r")
    channels = await store.read(f"MATCH (ch:Channel) RETURN {CHANNEL} AS ch")
    return NetworkSnapshot(
        version=version,
        locations={rec.id: rec for rec in (LocationRecord.from_row(row["l"]) for row in locations)},
        regions={rec.id: rec for rec in (RegionRecord.from_row(row["r"]) for row in regions)},
        channels={rec.id: rec for rec in (ChannelRecord.from_row(row["ch"]) for row in channels)},
    )


async def stock_of_skus(store: GraphStore, skus: Sequence[str]) -> StockOfSkus:
    """Every stock position of ``skus`` and each SKU's stock version, in one read."""
    rows = await store.read(STOCK_OF_SKUS, {"skus": list(skus)})
    positions = [
        StockRecord.from_row({**dict(zip(STOCK_KEYS, entry, strict=True)), "sku": row["sku"]})
        for row in rows
        for entry in row["stock"]
        if entry is not None
    ]
    return StockOfSkus(
        positions=tuple(positions),
        versions={row["sku"]: _version(row["version"]) for row in rows},
    )
