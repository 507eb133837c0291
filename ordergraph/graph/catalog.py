"""Cypher for the static network (locations, SKUs, regions, lanes, channels) and stock.

Every statement is in the portable subset of CYPHER.md. Writes MERGE on business keys, so
each can run twice (the Neo4j driver retries transient failures).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ordergraph.graph.store import GraphStore, Row

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
)
SKU_FIELDS = ("id", "name", "weightKg", "tags")
REGION_FIELDS = ("id", "country", "postalPrefix", "lat", "lon")
CHANNEL_FIELDS = ("id", "name", "kind")


def projection(var: str, fields: Sequence[str]) -> str:
    """A map projection ``n {.id, .name}`` so that answers are plain maps on both engines."""
    return f"{var} {{{', '.join('.' + f for f in fields)}}}"


LOCATION = projection("l", LOCATION_FIELDS)
SKU = projection("k", SKU_FIELDS)
REGION = projection("r", REGION_FIELDS)

UPSERT_REGIONS = """
UNWIND $rows AS r
MERGE (n:Region {id: r.id})
SET n += r
RETURN count(n) AS n
"""
UPSERT_LOCATIONS = """
UNWIND $rows AS r
MERGE (n:Location {id: r.id})
SET n += r
RETURN count(n) AS n
"""
UPSERT_SKUS = """
UNWIND $rows AS r
MERGE (n:Sku {id: r.id})
SET n += r
RETURN count(n) AS n
"""
UPSERT_CHANNELS = """
UNWIND $rows AS r
MERGE (n:Channel {id: r.id})
SET n += r
RETURN count(n) AS n
"""
UPSERT_LANES = """
UNWIND $rows AS r
MATCH (l:Location {id: r.from})
MATCH (g:Region {id: r.to})
MERGE (l)-[ln:LANE {carrier: r.carrier, service: r.service}]->(g)
SET ln.transitDays = r.transitDays, ln.baseCost = r.baseCost, ln.costPerKg = r.costPerKg
RETURN count(ln) AS n
"""
# Absolute on-hand (a snapshot): reserved is ours and is never overwritten by a feed.
SET_STOCK = """
UNWIND $rows AS r
MATCH (l:Location {id: r.location})
MATCH (k:Sku {id: r.sku})
MERGE (l)-[s:STOCKS]->(k)
ON CREATE SET s.reserved = 0, s.safetyStock = 0
SET s.onHand = r.onHand, s.safetyStock = coalesce(r.safetyStock, s.safetyStock)
RETURN count(s) AS n
"""

BATCHES: tuple[tuple[str, str], ...] = (
    ("regions", UPSERT_REGIONS),
    ("channels", UPSERT_CHANNELS),
    ("skus", UPSERT_SKUS),
    ("locations", UPSERT_LOCATIONS),
    ("lanes", UPSERT_LANES),
    ("stock", SET_STOCK),
)


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
        f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) RETURN n.id AS id", {"ids": wanted}
    )
    return {row["id"] for row in rows}


# ---- reads ---------------------------------------------------------------------------------


async def location(store: GraphStore, location_id: str) -> Row | None:
    rows = await store.read(
        f"MATCH (l:Location {{id: $id}}) RETURN {LOCATION} AS l", {"id": location_id}
    )
    return rows[0]["l"] if rows else None


async def locations_by_id(store: GraphStore, ids: Sequence[str]) -> list[Row | None]:
    """For a DataLoader: one read for many ids, answers in the order asked."""
    rows = await store.read(
        f"UNWIND $ids AS id MATCH (l:Location {{id: id}}) RETURN {LOCATION} AS l",
        {"ids": list(ids)},
    )
    found = {row["l"]["id"]: row["l"] for row in rows}
    return [found.get(i) for i in ids]


async def skus_by_id(store: GraphStore, ids: Sequence[str]) -> list[Row | None]:
    rows = await store.read(
        f"UNWIND $ids AS id MATCH (k:Sku {{id: id}}) RETURN {SKU} AS k", {"ids": list(ids)}
    )
    found = {row["k"]["id"]: row["k"] for row in rows}
    return [found.get(i) for i in ids]


async def location_page(
    store: GraphStore, *, first: int, after: str | None, kind: str | None
) -> list[Row]:
    """Keyset page ordered by id: ``first + 1`` rows so the caller knows if more follow."""
    where = ["($after IS NULL OR l.id > $after)"]
    if kind is not None:
        where.append("l.kind = $kind")
    return [
        row["l"]
        for row in await store.read(
            f"MATCH (l:Location) WHERE {' AND '.join(where)} "
            f"RETURN {LOCATION} AS l ORDER BY l.id LIMIT $limit",
            {"after": after, "kind": kind, "limit": first + 1},
        )
    ]


async def sku_page(store: GraphStore, *, first: int, after: str | None) -> list[Row]:
    return [
        row["k"]
        for row in await store.read(
            f"MATCH (k:Sku) WHERE $after IS NULL OR k.id > $after "
            f"RETURN {SKU} AS k ORDER BY k.id LIMIT $limit",
            {"after": after, "limit": first + 1},
        )
    ]


AVAILABILITY = f"""
OPTIONAL MATCH (r:Region) WHERE r.id IN $regionIds
WITH r ORDER BY size(r.postalPrefix) DESC LIMIT 1
UNWIND $skus AS sku
OPTIONAL MATCH (k:Sku {{id: sku}})
OPTIONAL MATCH (l:Location)-[s:STOCKS]->(k)
WHERE l.active = true
WITH r, l, collect({{sku: sku, known: k.id, onHand: s.onHand, reserved: s.reserved,
                     safetyStock: s.safetyStock}}) AS stock
RETURN {REGION} AS region, {LOCATION} AS location, stock
"""


async def availability_rows(
    store: GraphStore, skus: Sequence[str], region_ids: Sequence[str]
) -> list[Row]:
    """Per active location holding any of the SKUs: its record once and its stock rows; plus
    the best-matching region (one read; a location's map is sent once, not once per SKU)."""
    return await store.read(AVAILABILITY, {"skus": list(skus), "regionIds": list(region_ids)})


async def stock_level(store: GraphStore, location_id: str, sku_id: str) -> Row | None:
    rows = await store.read(
        "MATCH (l:Location {id: $location})-[s:STOCKS]->(k:Sku {id: $sku}) "
        "RETURN l.id AS location, k.id AS sku, s.onHand AS onHand, s.reserved AS reserved, "
        "s.safetyStock AS safetyStock",
        {"location": location_id, "sku": sku_id},
    )
    return rows[0] if rows else None


ADJUST_STOCK = """
MATCH (l:Location {id: $location})
MATCH (k:Sku {id: $sku})
MERGE (l)-[s:STOCKS]->(k)
ON CREATE SET s.onHand = 0, s.reserved = 0, s.safetyStock = 0
SET s._lock = true
WITH l, k, s, s.onHand + $delta >= 0 AS ok
FOREACH (_ IN CASE WHEN ok THEN [1] ELSE [] END | SET s.onHand = s.onHand + $delta)
REMOVE s._lock
RETURN ok, l.id AS location, k.id AS sku, s.onHand AS onHand, s.reserved AS reserved,
       s.safetyStock AS safetyStock
"""


async def adjust_stock(store: GraphStore, location_id: str, sku_id: str, delta: int) -> Row | None:
    """Add ``delta`` to on-hand atomically unless it would go below zero (then ``ok`` is false)."""
    rows = await store.write(ADJUST_STOCK, {"location": location_id, "sku": sku_id, "delta": delta})
    return rows[0] if rows else None


async def set_stock(
    store: GraphStore, location_id: str, sku_id: str, on_hand: int, safety_stock: int | None
) -> Row | None:
    rows = await store.write(
        SET_STOCK.replace("RETURN count(s) AS n", "")
        + "RETURN l.id AS location, k.id AS sku, s.onHand AS onHand, s.reserved AS reserved, "
        "s.safetyStock AS safetyStock",
        {
            "rows": [
                {
                    "location": location_id,
                    "sku": sku_id,
                    "onHand": on_hand,
                    "safetyStock": safety_stock,
                }
            ]
        },
    )
    return rows[0] if rows else None


async def counts(store: GraphStore) -> dict[str, int]:
    rows = await store.read("MATCH (n) WITH labels(n)[0] AS label, count(n) AS c RETURN label, c")
    result = {row["label"]: int(row["c"]) for row in rows}
    stock = await store.read("MATCH (:Location)-[s:STOCKS]->(:Sku) RETURN count(s) AS c")
    lanes = await store.read("MATCH (:Location)-[ln:LANE]->(:Region) RETURN count(ln) AS c")
    result["STOCKS"] = int(stock[0]["c"])
    result["LANE"] = int(lanes[0]["c"])
    return result
