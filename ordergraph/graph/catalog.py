"""Cypher for the static network (locations, SKUs, regions, lanes, channels) and stock.

Every statement is in the portable subset of CYPHER.md. Writes MERGE on business keys, so
each can run twice (the Neo4j driver retries transient failures).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ordergraph.domain.reconciliation import CountedRow
from ordergraph.graph import ingestion
from ordergraph.graph.fragments import (
    BUMP_NETWORK_VERSION,
    BUMP_STOCK_VERSION,
    LOCK_ROW_POSITIONS,
    WRITE_STOCK,
    by_ids,
    checked_label,
    projection,
    upsert,
)
from ordergraph.graph.records.catalog import (
    ChannelRecord,
    LaneRecord,
    LocationRecord,
    RegionRecord,
    SkuRecord,
    StockRecord,
    TransferLaneRecord,
    maybe,
)
from ordergraph.graph.store import GraphStore, Row

R = TypeVar("R")

LOCATION_FIELDS = (
    "id",
    "name",
    "kind",
    "lat",
    "lon",
    "postalCode",
    "country",
    "timezone",
    "cutoff",
    "processingDays",
    "handlingCost",
    "dailyCapacity",
    "tags",
    "shipFromStore",
    "pickup",
    "active",
    "acceptsReturns",
    "carrierCaps",
    "carrierCapLimits",
)
SKU_FIELDS = ("id", "name", "weightKg", "tags")
REGION_FIELDS = ("id", "country", "postalPrefix", "lat", "lon")
CHANNEL_FIELDS = (
    "id",
    "name",
    "kind",
    "partialPolicy",
    "routingPolicy",
    "sourcingLocations",
    "sourcingKinds",
    "sourcingExcludeTags",
    "bufferUnits",
    "sharePercent",
    "sellInbound",
    "rulesVersion",
    "batchWindowSeconds",
)
CHANNEL = projection("ch", CHANNEL_FIELDS)
# With s (a STOCKS edge) in scope: the protections of the position (records/catalog.py).
PROTECTIONS = (
    "s.protectChannels AS protectChannels, s.protectRemaining AS protectRemaining, "
    "s.protectUntil AS protectUntil"
)


LOCATION = projection("l", LOCATION_FIELDS)
SKU = projection("k", SKU_FIELDS)
REGION = projection("r", REGION_FIELDS)

UPSERT_REGIONS = upsert("Region", network=True)
UPSERT_LOCATIONS = upsert("Location", network=True)
UPSERT_SKUS = upsert("Sku")
# A channel's rules are versioned: a row whose rules differ from the stored ones (its
# ``rulesDigest``) bumps ``rulesVersion``; the same rules again (a reload) leave it as it is.
UPSERT_CHANNELS = (
    """
UNWIND $rows AS r
MERGE (n:Channel {id: r.id})
WITH n, r, coalesce(n.rulesVersion, 0)
     + CASE WHEN n.rulesDigest = r.rulesDigest THEN 0 ELSE 1 END AS version
SET n += r
SET n.rulesVersion = version
"""
    + BUMP_NETWORK_VERSION
)
UPSERT_LANES = (
    """
UNWIND $rows AS r
MATCH (l:Location {id: r.from})
MATCH (g:Region {id: r.to})
MERGE (l)-[ln:LANE {carrier: r.carrier, service: r.service}]->(g)
SET ln.transitDays = r.transitDays, ln.baseCost = r.baseCost, ln.costPerKg = r.costPerKg
"""
    + BUMP_NETWORK_VERSION
)
UPSERT_TRANSFER_LANES = (
    """
UNWIND $rows AS r
MATCH (l:Location {id: r.from})
MATCH (t:Location {id: r.to})
MERGE (l)-[tl:TRANSFER_LANE {carrier: r.carrier, service: r.service}]->(t)
SET tl.transitDays = r.transitDays, tl.baseCost = r.baseCost, tl.costPerKg = r.costPerKg,
    tl.cutoff = r.cutoff
"""
    + BUMP_NETWORK_VERSION
)
SET_STOCK = WRITE_STOCK + "RETURN count(s) AS n\n"
# With l, k and s in scope: the stock position as a row.
STOCK_ROW = (
    "RETURN l.id AS location, k.id AS sku, s.onHand AS onHand, s.reserved AS reserved, "
    "s.safetyStock AS safetyStock, s.damaged AS damaged, s.qualityControl AS qualityControl, "
    + PROTECTIONS
)

# Protections of a position (records/catalog.py: StockRecord), one row per position (``$rows``
# of ``protection_rows``): each channel named gets its new remaining quantity and end day
# (0 ends it), the others are kept. The position is locked before its lists are read.
SET_PROTECTIONS = (
    LOCK_ROW_POSITIONS
    + """WITH s, r, [c IN r.set | c.channel] AS named, coalesce(s.protectChannels, []) AS pc,
     coalesce(s.protectRemaining, []) AS pr, coalesce(s.protectUntil, []) AS pu
WITH s, [i IN range(0, size(pc) - 1) WHERE NOT pc[i] IN named | {c: pc[i], q: pr[i], u: pu[i]}]
        + [c IN r.set WHERE c.quantity > 0 | {c: c.channel, q: c.quantity, u: c.until}] AS held
SET s.protectChannels = CASE WHEN size(held) = 0 THEN null ELSE [h IN held | h.c] END,
    s.protectRemaining = CASE WHEN size(held) = 0 THEN null ELSE [h IN held | h.q] END,
    s.protectUntil = CASE WHEN size(held) = 0 THEN null ELSE [h IN held | h.u] END
REMOVE s._lock
RETURN count(s) AS n
"""
)

BATCHES: tuple[tuple[str, str], ...] = (
    ("regions", UPSERT_REGIONS),
    ("channels", UPSERT_CHANNELS),
    ("skus", UPSERT_SKUS),
    ("locations", UPSERT_LOCATIONS),
    ("lanes", UPSERT_LANES),
    ("transferLanes", UPSERT_TRANSFER_LANES),
    ("stock", SET_STOCK),
    ("stockProtections", SET_PROTECTIONS),
)


def prepared(section: str, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of a checked section as its statement takes them: a channel's through its
    record (``ChannelRecord.to_params``, which adds the digest of its rules)."""
    if section == "channels":
        return [ChannelRecord.from_row(row).to_params() for row in rows]
    if section == "stockProtections":
        return protection_rows(rows)
    return list(rows)


def protection_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Protections (``{location, sku, channel, quantity, until}``) as ``SET_PROTECTIONS`` takes
    them: one row per position, with the channels it sets (``set``)."""
    positions: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        positions.setdefault((row["location"], row["sku"]), []).append(
            {"channel": row["channel"], "quantity": row["quantity"], "until": row["until"]}
        )
    return [{"location": loc, "sku": sku, "set": held} for (loc, sku), held in positions.items()]


async def write_batches(
    store: GraphStore,
    query: str,
    rows: Sequence[dict[str, Any]],
    *,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """UNWIND ``rows`` into ``query`` a batch at a time; the number of rows written."""
    written = 0
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        result = await store.write(query, {"rows": list(batch)})
        written += int(result[0]["n"]) if result else 0
        if progress is not None:
            progress(len(batch))
    return written


async def existing_ids(store: GraphStore, label: str, ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    rows = await store.read(
        f"UNWIND $ids AS id MATCH (n:{checked_label(label)} {{id: id}}) RETURN n.id AS id",
        {"ids": wanted},
    )
    return {row["id"] for row in rows}


async def upsert_records(store: GraphStore, section: str, rows: Sequence[dict[str, Any]]) -> None:
    """Write checked records of one network-file section (``locations``, ``lanes``, ...) in one
    statement: the section's UNWIND/MERGE query of ``BATCHES``."""
    await store.write(dict(BATCHES)[section], {"rows": prepared(section, rows)})


async def _upsert_one(
    store: GraphStore, section: str, row: dict[str, Any], read: Callable[[Row], R]
) -> R:
    """Write one checked record of ``section``; the record as it is now stored."""
    await upsert_records(store, section, [row])
    return read(row)


async def upsert_location(store: GraphStore, row: dict[str, Any]) -> LocationRecord:
    return await _upsert_one(store, "locations", row, LocationRecord.from_row)


async def upsert_sku(store: GraphStore, row: dict[str, Any]) -> SkuRecord:
    return await _upsert_one(store, "skus", row, SkuRecord.from_row)


async def upsert_region(store: GraphStore, row: dict[str, Any]) -> RegionRecord:
    return await _upsert_one(store, "regions", row, RegionRecord.from_row)


async def upsert_lane(store: GraphStore, row: dict[str, Any]) -> LaneRecord:
    return await _upsert_one(store, "lanes", row, LaneRecord.from_row)


async def upsert_transfer_lane(store: GraphStore, row: dict[str, Any]) -> TransferLaneRecord:
    return await _upsert_one(store, "transferLanes", row, TransferLaneRecord.from_row)


async def upsert_channel(store: GraphStore, row: dict[str, Any]) -> ChannelRecord:
    """Write one checked channel; the channel as it is now stored (its rules version too)."""
    await upsert_records(store, "channels", [row])
    found = await channel(store, row["id"])
    assert found is not None
    return found


async def channel(store: GraphStore, channel_id: str) -> ChannelRecord | None:
    rows = await store.read(
        f"MATCH (ch:Channel {{id: $id}}) RETURN {CHANNEL} AS ch", {"id": channel_id}
    )
    return ChannelRecord.from_row(rows[0]["ch"]) if rows else None


# ---- reads ---------------------------------------------------------------------------------


async def has_locations(store: GraphStore) -> bool:
    """Whether any location is loaded (a network is there)."""
    return bool(await store.read("MATCH (l:Location) RETURN l.id AS id LIMIT 1"))


async def over_stored(store: GraphStore, label: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A partial update: ``fields`` (property names, with the node's ``id``) over every property
    stored on that ``label`` node (none when it is new), for the parser to check as a whole."""
    rows = await store.read(
        f"MATCH (n:{checked_label(label)} {{id: $id}}) RETURN n {{.*}} AS n",
        {"id": fields.get("id")},
    )
    stored = dict(rows[0]["n"]) if rows else {}
    # a location's carrier caps are stored as two lists: back to the file's form
    carriers, limits = stored.pop("carrierCaps", None), stored.pop("carrierCapLimits", None)
    if carriers:
        stored["carrierCapacity"] = [
            {"carrier": c, "dailyCapacity": n} for c, n in zip(carriers, limits or [], strict=False)
        ]
    return {**stored, **fields}


async def locations_by_id(store: GraphStore, ids: Sequence[str]) -> list[LocationRecord | None]:
    """For a DataLoader: one read for many ids, answers in the order asked."""
    rows = await by_ids(store, "Location", LOCATION_FIELDS, ids)
    return [maybe(row, LocationRecord.from_row) for row in rows]


async def skus_by_id(store: GraphStore, ids: Sequence[str]) -> list[SkuRecord | None]:
    rows = await by_ids(store, "Sku", SKU_FIELDS, ids)
    return [maybe(row, SkuRecord.from_row) for row in rows]


async def location_page(
    store: GraphStore, *, first: int, after: str | None, kind: str | None
) -> list[LocationRecord]:
    """Keyset page ordered by id: ``first + 1`` records so the caller knows if more follow."""
    where = ["($after IS NULL OR l.id > $after)"]
    if kind is not None:
        where.append("l.kind = $kind")
    rows = await store.read(
        f"MATCH (l:Location) WHERE {' AND '.join(where)} "
        f"RETURN {LOCATION} AS l ORDER BY l.id LIMIT $limit",
        {"after": after, "kind": kind, "limit": first + 1},
    )
    return [LocationRecord.from_row(row["l"]) for row in rows]


async def sku_page(store: GraphStore, *, first: int, after: str | None) -> list[SkuRecord]:
    rows = await store.read(
        f"MATCH (k:Sku) WHERE $after IS NULL OR k.id > $after "
        f"RETURN {SKU} AS k ORDER BY k.id LIMIT $limit",
        {"after": after, "limit": first + 1},
    )
    return [SkuRecord.from_row(row["k"]) for row in rows]


# The opening of the availability read (below) and routing's candidate read (graph/orders.py):
# the channel, the ship-to region (the longest matching prefix of $regionIds), and each SKU of
# $skus with every location stocking it; ch, r, sku, k, l and s are in scope after it, and the
# statement goes on with its own WHERE on l.
CHANNEL_REGION_STOCK = """
OPTIONAL MATCH (ch:Channel {id: $channel})
OPTIONAL MATCH (r:Region) WHERE r.id IN $regionIds
WITH ch, r ORDER BY size(r.postalPrefix) DESC LIMIT 1
UNWIND $skus AS sku
OPTIONAL MATCH (k:Sku {id: sku})
OPTIONAL MATCH (l:Location)-[s:STOCKS]->(k)
"""

AVAILABILITY = f"""{CHANNEL_REGION_STOCK}WHERE l.active = true
WITH ch, r, l, collect({{sku: sku, known: k.id, stockVersion: k.stockVersion,
                     onHand: s.onHand, reserved: s.reserved,
                     safetyStock: s.safetyStock, damaged: s.damaged,
                     qualityControl: s.qualityControl, protectChannels: s.protectChannels,
                     protectRemaining: s.protectRemaining, protectUntil: s.protectUntil}}) AS stock
RETURN {REGION} AS region, {CHANNEL} AS channel, {LOCATION} AS location, stock
"""


@dataclass(frozen=True, slots=True)
class Availability:
    """What ``availability`` reads: the best-matching region, the channel asked about (None when
    none was asked or it is not stored), the SKUs asked for that are not in the catalog, and
    each stock position of the others at an active location, with it."""

    region: RegionRecord | None
    channel: ChannelRecord | None
    unknown_skus: frozenset[str]
    positions: tuple[tuple[LocationRecord, StockRecord], ...]
    versions: Mapping[str, int]  # the stock version of each known SKU, read with its stock


async def availability(
    store: GraphStore, skus: Sequence[str], region_ids: Sequence[str], channel: str | None = None
) -> Availability:
    """The stock of the SKUs at every active location, the region of ``region_ids`` with the
    longest prefix and the channel ``channel``, in one read (a location's map is sent once, not
    once per SKU)."""
    groups = await store.read(
        AVAILABILITY, {"skus": list(skus), "regionIds": list(region_ids), "channel": channel}
    )
    positions = []
    unknown = set()
    versions: dict[str, int] = {}
    for group in groups:
        place = maybe(group["location"], LocationRecord.from_row)
        for entry in group["stock"]:
            if entry["known"] is None:
                unknown.add(entry["sku"])
                continue
            versions[entry["sku"]] = int(entry["stockVersion"] or 0)
            if place is not None:
                positions.append((place, StockRecord.from_row({**entry, "location": place.id})))
    return Availability(
        region=maybe(groups[0]["region"], RegionRecord.from_row) if groups else None,
        channel=maybe(groups[0]["channel"], ChannelRecord.from_row) if groups else None,
        unknown_skus=frozenset(unknown),
        positions=tuple(positions),
        versions=versions,
    )


async def stock_level(store: GraphStore, location_id: str, sku_id: str) -> StockRecord | None:
    """The stock position of ``sku_id`` at ``location_id``; None when there is none."""
    rows = await store.read(
        "MATCH (l:Location {id: $location})-[s:STOCKS]->(k:Sku {id: $sku}) " + STOCK_ROW,
        {"location": location_id, "sku": sku_id},
    )
    return StockRecord.from_row(rows[0]) if rows else None


async def positions(store: GraphStore, keys: Sequence[tuple[str, str]]) -> list[StockRecord]:
    """The stock of each (location, sku) asked for; an empty position where there is none."""
    return [StockRecord.from_row(row) for row in await ingestion.positions(store, keys)]


async def positions_at(store: GraphStore, locations: Sequence[str]) -> list[StockRecord]:
    """Every stock position at the given locations."""
    return [StockRecord.from_row(row) for row in await ingestion.positions_at(store, locations)]


ADJUST_STOCK = f"""
MATCH (l:Location {{id: $location}})
MATCH (k:Sku {{id: $sku}})
MERGE (l)-[s:STOCKS]->(k)
ON CREATE SET s.onHand = 0, s.reserved = 0, s.safetyStock = 0
SET s._lock = true, {BUMP_STOCK_VERSION}
WITH l, k, s, s.onHand + $delta >= 0 AS ok
FOREACH (_ IN CASE WHEN ok THEN [1] ELSE [] END | SET s.onHand = s.onHand + $delta)
REMOVE s._lock
RETURN ok, l.id AS location, k.id AS sku, s.onHand AS onHand, s.reserved AS reserved,
       s.safetyStock AS safetyStock, s.damaged AS damaged, s.qualityControl AS qualityControl
"""


async def adjust_stock(
    store: GraphStore, location_id: str, sku_id: str, delta: int
) -> tuple[bool, StockRecord] | None:
    """Add ``delta`` to on-hand atomically unless it would go below zero: whether it was added,
    and the position as it now is. None when the location or the SKU is not there."""
    rows = await store.write(ADJUST_STOCK, {"location": location_id, "sku": sku_id, "delta": delta})
    return (bool(rows[0]["ok"]), StockRecord.from_row(rows[0])) if rows else None


async def set_protection(store: GraphStore, row: Mapping[str, Any]) -> StockRecord | None:
    """Set one channel's protection of a position (a checked ``stockProtections`` row); the
    position as it now is, None when the location or the SKU is not there."""
    await store.write(SET_PROTECTIONS, {"rows": protection_rows([row])})
    return await stock_level(store, row["location"], row["sku"])


def _count(
    location: str,
    sku: str,
    on_hand: int,
    safety_stock: int | None,
    row: int | None = None,
    states: tuple[int | None, int | None] = (None, None),
) -> dict[str, Any]:
    """The parameters of one position of ``WRITE_STOCK`` (a null safety stock keeps the
    stored one; so do null ``states``, the damaged and quality-control counts of a feed)."""
    return {
        "row": row,
        "location": location,
        "sku": sku,
        "onHand": on_hand,
        "safetyStock": safety_stock,
        "damaged": states[0],
        "qualityControl": states[1],
    }


async def set_stock(
    store: GraphStore, location_id: str, sku_id: str, on_hand: int, safety_stock: int | None
) -> StockRecord | None:
    """Set absolute on-hand (and safety stock when given); None when the location or the SKU
    is not there."""
    rows = await store.write(
        WRITE_STOCK + STOCK_ROW, {"rows": [_count(location_id, sku_id, on_hand, safety_stock)]}
    )
    return StockRecord.from_row(rows[0]) if rows else None


FeedPositions = list[tuple[int, StockRecord]]  # (feed row, the position it wrote or tried)


def _by_row(answered: Iterable[Row], named: Mapping[int, tuple[str, str]]) -> FeedPositions:
    """The positions a batch answers by feed row (``row`` and counts), with the location and
    SKU that row named."""
    return [
        (
            int(r["row"]),
            StockRecord.from_row({**r, "location": named[r["row"]][0], "sku": named[r["row"]][1]}),
        )
        for r in answered
    ]


async def set_stock_counts(
    store: GraphStore, counts: Sequence[CountedRow]
) -> tuple[int, FeedPositions]:
    """Write a batch of counts (absolute on-hand, and safety stock when given): how many
    positions were written, and those now short of their reservations plus safety stock."""
    rows = [
        _count(
            c.location,
            c.sku,
            c.on_hand,
            c.safety_stock,
            c.row,
            (c.damaged, c.quality_control),
        )
        for c in counts
    ]
    answer = await ingestion.set_stock_batch(store, rows)
    return int(answer["n"]), _by_row(answer["short"], {c.row: (c.location, c.sku) for c in counts})


async def adjust_stock_moves(
    store: GraphStore, moves: Sequence[tuple[int, str, str, int]]
) -> tuple[int, FeedPositions]:
    """Add a batch of movements ``(feed row, location, sku, delta)``, one per position: how
    many positions were written, and those refused because the delta would now take on-hand
    below zero (with their on-hand as it is)."""
    rows = [{"row": r, "location": loc, "sku": sku, "delta": d} for r, loc, sku, d in moves]
    answer = await ingestion.adjust_stock_batch(store, rows)
    return int(answer["n"]), _by_row(answer["refused"], {r: (loc, sku) for r, loc, sku, _ in moves})


async def counts(store: GraphStore) -> dict[str, int]:
    rows = await store.read("MATCH (n) WITH labels(n)[0] AS label, count(n) AS c RETURN label, c")
    result = {row["label"]: int(row["c"]) for row in rows}
    stock = await store.read("MATCH (:Location)-[s:STOCKS]->(:Sku) RETURN count(s) AS c")
    lanes = await store.read("MATCH (:Location)-[ln:LANE]->(:Region) RETURN count(ln) AS c")
    result["STOCKS"] = int(stock[0]["c"])
    result["LANE"] = int(lanes[0]["c"])
    return result
