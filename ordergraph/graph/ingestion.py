"""Cypher for ingestion: stored payloads (failures and receipts), X12 control numbers, and the
stock reads and batched writes of inventory feeds.

``(:IngestionFailure)`` holds a payload that could not become an order, as received, until a
replay succeeds; ``(:IngestionReceipt)`` records one that did. Both are keyed by the same digest
of (channel, topic, body), so a redelivery of a payload updates its record instead of adding one,
and the receipt of a successful replay resolves the failure in the same statement. Every write
MERGEs on that key: running one twice is harmless (the Neo4j driver retries).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ordergraph.graph.fragments import LOCK_ROW_POSITIONS, WRITE_STOCK, by_ids, projection
from ordergraph.graph.records.ingestion import IngestionFailureRecord, StoredPayload
from ordergraph.graph.store import GraphStore, Row

FAILURE_FIELDS = (
    "id",
    "channel",
    "topic",
    "externalId",
    "status",
    "reason",
    "code",
    "attempts",
    "receivedAt",
    "receivedAtMs",
    "lastAttemptAt",
    "resolvedAt",
    "orderIds",
    "contentType",
    "headers",
    "body",
    "bodyEncoding",
)
FAILURE = projection("f", FAILURE_FIELDS)
OPEN, RESOLVED = "OPEN", "RESOLVED"

RECORD_FAILURE = f"""
MERGE (f:IngestionFailure {{id: $id}})
ON CREATE SET f += $props, f.attempts = 0
SET f.attempts = f.attempts + 1, f.lastAttemptAt = $at, f.reason = $reason, f.code = $code,
    f.status = '{OPEN}', f.externalId = $externalId, f.orderIds = $orderIds, f.resolvedAt = null
RETURN f.id AS id, f.attempts AS attempts
"""

# The receipt, and the failure of the same payload (if any) marked resolved, in one statement.
RECORD_RECEIPT = f"""
MERGE (r:IngestionReceipt {{id: $id}})
ON CREATE SET r += $props, r.deliveries = 0
SET r.deliveries = r.deliveries + 1, r.lastReceivedAt = $at, r.status = $status,
    r.orderId = $orderId, r.orderIds = $orderIds, r.externalId = $externalId
WITH r
OPTIONAL MATCH (f:IngestionFailure {{id: $failureId}})
FOREACH (_ IN CASE WHEN f IS NULL OR f.status = '{RESOLVED}' THEN [] ELSE [1] END |
  SET f.status = '{RESOLVED}', f.resolvedAt = $at, f.orderIds = $orderIds,
      f.attempts = f.attempts + 1, f.lastAttemptAt = $at)
RETURN r.id AS id, f.id AS resolved
"""


async def record_failure(
    store: GraphStore,
    failure_id: str,
    payload: StoredPayload,
    *,
    at: str,
    reason: str,
    code: str,
    external_id: str | None,
    order_ids: Sequence[str],
) -> Row:
    """Store (or count another attempt of) a payload that failed; its id and attempts."""
    rows = await store.write(
        RECORD_FAILURE,
        {
            "id": failure_id,
            "props": payload.to_params(),
            "at": at,
            "reason": reason,
            "code": code,
            "externalId": external_id,
            "orderIds": list(order_ids),
        },
    )
    return rows[0]


async def record_receipt(
    store: GraphStore,
    receipt_id: str,
    failure_id: str,
    payload: StoredPayload,
    *,
    at: str,
    status: str,
    external_id: str | None,
    order_ids: Sequence[str],
) -> Row:
    rows = await store.write(
        RECORD_RECEIPT,
        {
            "id": receipt_id,
            "failureId": failure_id,
            "props": payload.receipt_params(),
            "at": at,
            "status": status,
            "externalId": external_id,
            "orderId": order_ids[0] if order_ids else None,
            "orderIds": list(order_ids),
        },
    )
    return rows[0]


async def receipt(store: GraphStore, receipt_id: str) -> Row | None:
    rows = await store.read(
        "MATCH (r:IngestionReceipt {id: $id}) "
        "RETURN r {.id, .channel, .externalId, .orderId, .orderIds, .status, .receivedAt, "
        ".deliveries} AS r",
        {"id": receipt_id},
    )
    return rows[0]["r"] if rows else None


async def failures_by_id(store: GraphStore, ids: Sequence[str]) -> list[Row | None]:
    """The failures asked for, in the order asked (None for an unknown id), as stored rows.
    Deprecated (issue #9): use ``failure_records``; kept for the tests that read stored text."""
    return await by_ids(store, "IngestionFailure", FAILURE_FIELDS, ids)


async def failure_records(
    store: GraphStore, ids: Sequence[str]
) -> list[IngestionFailureRecord | None]:
    """The failures asked for, in the order asked (None for an unknown id)."""
    return [
        None if row is None else IngestionFailureRecord.from_row(row)
        for row in await failures_by_id(store, ids)
    ]


async def failure_page(
    store: GraphStore,
    *,
    first: int,
    after: tuple[int, str] | None,
    channel: str | None,
    status: str | None,
) -> list[IngestionFailureRecord]:
    """Newest first, keyset on (receivedAtMs, id); ``first + 1`` rows so the caller sees more."""
    return [
        IngestionFailureRecord.from_row(row["f"])
        for row in await store.read(
            f"""
        MATCH (f:IngestionFailure)
        WHERE ($channel IS NULL OR f.channel = $channel) AND ($status IS NULL OR f.status = $status)
          AND ($ms IS NULL OR f.receivedAtMs < $ms OR (f.receivedAtMs = $ms AND f.id < $id))
        RETURN {FAILURE} AS f ORDER BY f.receivedAtMs DESC, f.id DESC LIMIT $limit
        """,
            {
                "channel": channel,
                "status": status,
                "limit": first + 1,
                "ms": after[0] if after else None,
                "id": after[1] if after else None,
            },
        )
    ]


NEXT_CONTROL = """
MERGE (c:X12Control {id: $partner})
ON CREATE SET c.last = 0
SET c.last = CASE WHEN c.last >= 999999999 THEN 1 ELSE c.last + 1 END
RETURN c.last AS n
"""


async def next_control_number(store: GraphStore, partner: str) -> int:
    """The next interchange control number for a trading partner (1..999999999, then again)."""
    if not partner:  # MERGE on an empty unique id brings the FalkorDB engine down
        raise ValueError("a trading partner id is required for a control number")
    rows = await store.write(NEXT_CONTROL, {"partner": partner})
    return int(rows[0]["n"])


# ---- inventory feeds -----------------------------------------------------------------------

POSITIONS = """
UNWIND $rows AS r
OPTIONAL MATCH (l:Location {id: r.location})
OPTIONAL MATCH (k:Sku {id: r.sku})
OPTIONAL MATCH (l)-[s:STOCKS]->(k)
RETURN r.location AS location, r.sku AS sku, s.onHand AS onHand, s.reserved AS reserved,
       s.safetyStock AS safetyStock, s.damaged AS damaged, s.qualityControl AS qualityControl
"""


async def positions(store: GraphStore, keys: Sequence[tuple[str, str]]) -> list[Row]:
    """The stock of each (location, sku) asked for; null counts where there is no position."""
    return await store.read(
        POSITIONS, {"rows": [{"location": loc, "sku": sku} for loc, sku in keys]}
    )


async def positions_at(store: GraphStore, locations: Sequence[str]) -> list[Row]:
    """Every stock position at the given locations."""
    return await store.read(
        "UNWIND $ids AS id MATCH (l:Location {id: id})-[s:STOCKS]->(k:Sku) "
        "RETURN l.id AS location, k.id AS sku, s.onHand AS onHand, s.reserved AS reserved, "
        "s.safetyStock AS safetyStock, s.damaged AS damaged, s.qualityControl AS qualityControl",
        {"ids": list(locations)},
    )


# A snapshot batch: absolute on-hand; reserved is ours and never written. Answers the positions
# whose new on-hand no longer covers reserved plus safety stock.
SET_STOCK_BATCH = (
    WRITE_STOCK
    + """RETURN count(s) AS n,
       collect(CASE WHEN s.onHand < s.reserved + s.safetyStock
               THEN {row: r.row, onHand: s.onHand, reserved: s.reserved,
                     safetyStock: s.safetyStock} END) AS short
"""
)

# A delta batch, one row per position (the service sums a file's movements first). A movement
# that would take on-hand below zero is not applied and its row is answered in ``refused``.
ADJUST_STOCK_BATCH = (
    LOCK_ROW_POSITIONS
    + """WITH r, s, s.onHand + r.delta >= 0 AS ok
FOREACH (_ IN CASE WHEN ok THEN [1] ELSE [] END | SET s.onHand = s.onHand + r.delta)
REMOVE s._lock
RETURN count(s) AS n,
       collect(CASE WHEN ok THEN null ELSE {row: r.row, onHand: s.onHand} END) AS refused
"""
)


async def set_stock_batch(store: GraphStore, rows: Sequence[dict[str, Any]]) -> Row:
    """``rows``: {row, location, sku, onHand[, safetyStock]}. Answers n and short."""
    result = await store.write(SET_STOCK_BATCH, {"rows": list(rows)})
    return result[0] if result else {"n": 0, "short": []}


async def adjust_stock_batch(store: GraphStore, rows: Sequence[dict[str, Any]]) -> Row:
    """``rows``: {row, location, sku, delta}. Answers n and refused."""
    result = await store.write(ADJUST_STOCK_BATCH, {"rows": list(rows)})
    return result[0] if result else {"n": 0, "refused": []}
