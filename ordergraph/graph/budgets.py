"""Cypher for the shared cost buckets: one small node per API key, leased from in chunks.

Each API process keeps the points it leased in memory and spends them there (no graph write per
request); when it runs short it leases another chunk with ONE statement that refills the bucket
for the time elapsed, then takes the chunk if the bucket holds at least what is needed now.
"""

from __future__ import annotations

from ordergraph.graph.store import GraphStore

LEASE = """
MERGE (b:CostBucket {key: $key})
ON CREATE SET b.level = toFloat($capacity), b.at = $now
SET b._lock = true
WITH b, $now - b.at AS elapsed
WITH b, b.level + (CASE WHEN elapsed > 0 THEN elapsed ELSE 0 END) * $restore / 1000.0 AS grown
WITH b, CASE WHEN grown > $capacity THEN toFloat($capacity) ELSE grown END AS level
WITH b, level,
     CASE WHEN level < $need THEN 0.0 WHEN level < $want THEN level ELSE toFloat($want) END AS taken
SET b.level = level - taken, b.at = CASE WHEN $now > b.at THEN $now ELSE b.at END
REMOVE b._lock
RETURN taken, level - taken AS left
"""


async def lease(
    store: GraphStore,
    key: str,
    *,
    need: float,
    want: float,
    capacity: int,
    restore_per_second: int,
    now_ms: int,
) -> tuple[float, float]:
    """(points taken, points left in the shared bucket); nothing is taken below ``need``."""
    rows = await store.write(
        LEASE,
        {
            "key": key,
            "need": float(need),
            "want": float(want),
            "capacity": capacity,
            "restore": float(restore_per_second),
            "now": now_ms,
        },
    )
    row = rows[0]
    return float(row["taken"]), float(row["left"])
