"""Cypher for inbound supply: purchase-order and transfer lines, their receipts and events.

Each change is one statement that checks and writes together, and appends its event in the
same statement (``(:Inbound)-[:HAS_EVENT]->(:Event)``, ``orderId`` null, ``inboundId`` set; the
webhook fan-out delivers them like order events):

* ``UPSERT``: creates a line or changes its kind, quantity and expected date. It takes the
  line's lock first, and writes only if the line is as the caller read it (its expected date,
  ``seen``) and the new quantity still covers what is received and preordered; a moved date
  appends ``inbound.expected_date_changed``.
* ``RECEIVE``: under the stock position's lock, then the line's (the order everything that
  takes both uses), adds a receipt's units to on-hand and to ``received`` if they fit in what is
  still to arrive, and appends ``inbound.received``. Two concurrent receipts of the same line
  can never receive more than its quantity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ordergraph.domain import events, inbound
from ordergraph.graph.fragments import BUMP_STOCK_VERSION, projection
from ordergraph.graph.records.catalog import StockRecord
from ordergraph.graph.records.inbound import FIELDS, InboundRecord, InboundSupply, InboundWrite
from ordergraph.graph.store import GraphStore

INBOUND = projection("i", FIELDS)


def _append_event(kind: str, at: str, at_ms: str, payload: str) -> str:
    """Inside a FOREACH with the line ``i`` in scope: its next event, of ``kind``."""
    return f"""SET i.eventSeq = i.eventSeq + 1
  CREATE (i)-[:HAS_EVENT]->(e:Event)
  SET e.id = 'INB:' + i.id + '-E' + toString(i.eventSeq), e.type = '{kind}',
      e.inboundId = i.id, e.sequence = i.eventSeq, e.at = {at}, e.atMs = {at_ms},
      e.pending = true, e.payload = {payload}"""


UPSERT = f"""
UNWIND $rows AS r
MATCH (l:Location {{id: r.location}})
MATCH (k:Sku {{id: r.sku}})
MERGE (i:Inbound {{id: r.id}})
ON CREATE SET i.location = r.location, i.sku = r.sku, i.received = 0, i.preordered = 0,
              i.eventSeq = 0, i.createdAt = r.at, i.expectedAt = r.expectedAt, i._new = true
SET i._lock = true
WITH r, i, i._new IS NOT NULL AS created, i.expectedAt AS before
WITH r, i, created, before,
     i.location = r.location AND i.sku = r.sku
     AND r.quantity >= i.received + i.preordered
     AND (created OR coalesce(before = r.seen, false)) AS ok
WITH r, i, created, ok, ok AND NOT created AND before <> r.expectedAt AS moved
FOREACH (_ IN CASE WHEN ok THEN [1] ELSE [] END |
  SET i.kind = r.kind, i.quantity = r.quantity, i.expectedAt = r.expectedAt, i.updatedAt = r.at)
FOREACH (_ IN CASE WHEN moved THEN [1] ELSE [] END |
  {_append_event(inbound.DATE_CHANGED_EVENT, "r.at", "r.atMs", "r.payload")})
REMOVE i._lock, i._new
RETURN ok, created, moved, {INBOUND} AS i
"""

RECEIVE = f"""
MATCH (i:Inbound {{id: $id}})
MATCH (l:Location {{id: i.location}})
MATCH (k:Sku {{id: i.sku}})
MERGE (l)-[s:STOCKS]->(k)
ON CREATE SET s.onHand = 0, s.reserved = 0, s.safetyStock = 0
SET s._lock = true, i._lock = true, {BUMP_STOCK_VERSION}
WITH i, l, k, s, i.quantity - i.received AS toReceive
WITH i, l, k, s, toReceive, $quantity <= toReceive AS ok
FOREACH (_ IN CASE WHEN ok THEN [1] ELSE [] END |
  SET s.onHand = s.onHand + $quantity, i.received = i.received + $quantity, i.updatedAt = $at
  {_append_event(inbound.RECEIVED_EVENT, "$at", "$atMs", "$payload")})
REMOVE s._lock, i._lock
RETURN ok, toReceive, {INBOUND} AS i, l.id AS location, k.id AS sku, s.onHand AS onHand,
       s.reserved AS reserved, s.safetyStock AS safetyStock, s.damaged AS damaged,
       s.qualityControl AS qualityControl
"""


def _instant(at: datetime) -> dict[str, Any]:
    return {"at": at.isoformat(), "atMs": int(at.timestamp() * 1000)}


async def by_ids(store: GraphStore, ids: Sequence[str]) -> dict[str, InboundRecord]:
    """The stored lines of these ids (unknown ids are left out)."""
    rows = await store.read(
        f"UNWIND $ids AS id MATCH (i:Inbound {{id: id}}) RETURN {INBOUND} AS i",
        {"ids": sorted(set(ids))},
    )
    return {row["i"]["id"]: InboundRecord.from_row(row["i"]) for row in rows}


async def upsert(
    store: GraphStore,
    lines: Sequence[InboundRecord],
    seen: Mapping[str, InboundRecord],
    at: datetime,
) -> list[InboundWrite]:
    """Create or change ``lines`` in one statement; ``seen``: the stored lines as the caller
    read them (a line changed since is not written: see ``InboundWrite.ok``)."""
    rows = []
    for line in lines:
        before = seen.get(line.id)
        payload = None
        if before is not None and before.expected_at != line.expected_at:
            payload = inbound.date_changed_payload(line.line, before.expected_at)
        rows.append(
            {
                **line.to_params(),
                "seen": None if before is None else before.expected_at.isoformat(),
                "payload": None if payload is None else events.encode(payload),
                **_instant(at),
            }
        )
    answer = await store.write(UPSERT, {"rows": rows})
    return [InboundWrite.from_row(row) for row in answer]


async def load(
    store: GraphStore,
    records: Sequence[Mapping[str, Any]],
    at: datetime,
    *,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write checked network-file records of the ``inbound`` section a batch at a time (each
    batch read, then written by ``upsert``): how many lines were written. A line whose quantity
    would fall below what it has received and preordered is left as it is."""
    written = 0
    for start in range(0, len(records), batch_size):
        lines = [InboundRecord.from_row(r) for r in records[start : start + batch_size]]
        stored = await by_ids(store, [line.id for line in lines])
        written += sum(w.ok for w in await upsert(store, lines, stored, at))
        if progress is not None:
            progress(len(lines))
    return written


async def receive(
    store: GraphStore, line: InboundRecord, quantity: int, at: datetime
) -> tuple[bool, int, InboundRecord, StockRecord] | None:
    """Receive ``quantity`` units of ``line`` into on-hand at its location, if that many are
    still to arrive: whether they were received, how many were still to arrive, the line and
    the stock position as they now are. None when the line (or its location, SKU) is gone."""
    payload = events.encode(inbound.received_payload(line.line, quantity))
    rows = await store.write(
        RECEIVE, {"id": line.id, "quantity": quantity, "payload": payload, **_instant(at)}
    )
    if not rows:
        return None
    row = rows[0]
    return (
        bool(row["ok"]),
        int(row["toReceive"]),
        InboundRecord.from_row(row["i"]),
        StockRecord.from_row(row),
    )


async def page(
    store: GraphStore, *, first: int, after: str | None, location: str | None, sku: str | None
) -> list[InboundRecord]:
    """Keyset page ordered by id (``first + 1`` lines so the caller knows if more follow)."""
    rows = await store.read(
        "MATCH (i:Inbound) WHERE ($after IS NULL OR i.id > $after) "
        "AND ($location IS NULL OR i.location = $location) AND ($sku IS NULL OR i.sku = $sku) "
        f"RETURN {INBOUND} AS i ORDER BY i.id LIMIT $limit",
        {"after": after, "location": location, "sku": sku, "limit": first + 1},
    )
    return [InboundRecord.from_row(row["i"]) for row in rows]


INBOUND_REMAINING = f"""
UNWIND $keys AS key
OPTIONAL MATCH (i:Inbound {{location: key.location, sku: key.sku}})
WITH key, i ORDER BY i.expectedAt, i.id
RETURN key.location AS location, key.sku AS sku, collect({INBOUND}) AS lines
"""


async def inbound_remaining(
    store: GraphStore, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], InboundSupply]:
    """``inboundRemaining(l, s)`` of each (location, sku) asked for, in one read: its lines
    that still have units neither received nor preordered, earliest expected first (a position
    without any has no lines and a remaining of 0)."""
    rows = await store.read(
        INBOUND_REMAINING,
        {"keys": [{"location": loc, "sku": sku} for loc, sku in sorted(set(keys))]},
    )
    supply = {}
    for row in rows:
        lines = tuple(
            line
            for line in (InboundRecord.from_row(x) for x in row["lines"] if x and x.get("id"))
            if line.remaining > 0
        )
        supply[(row["location"], row["sku"])] = InboundSupply(row["location"], row["sku"], lines)
    return {key: supply.get(key, InboundSupply(key[0], key[1], ())) for key in keys}
