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

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ordergraph.domain import events, inbound
from ordergraph.graph.catalog import LOCATION
from ordergraph.graph.fragments import BUMP_STOCK_VERSION, projection
from ordergraph.graph.records.catalog import StockRecord
from ordergraph.graph.records.inbound import (
    FIELDS,
    HeldPreorder,
    InboundRecord,
    InboundSupply,
    InboundWrite,
    PreorderOffer,
)
from ordergraph.graph.store import GraphStore

INBOUND = projection("i", FIELDS)


def _append_event(kind: str, at: str, at_ms: str, payload: str) -> str:
    """Inside a FOREACH with the line ``i`` in scope: its next event, of ``kind``."""
    return f"""SET i.eventSeq = i.eventSeq + 1
  CREATE (i)-[:HAS_EVENT]->(e:Event)
  SET e.id = 'INB:' + i.id + '-E' + toString(i.eventSeq), e.type = '{kind}',
      e.inboundId = i.id, e.sequence = i.eventSeq, e.at = {at}, e.atMs = {at_ms},
      e.pending = true, e.payload = {payload}"""


# With i (the line, locked), s (its position, locked) and moved (the received units that go to
# the line's preorders) in scope: the line's PREORDER fulfillments, oldest first, take them
# (``arrived``); on-hand reservations rise and ``preordered`` falls by ``moved``. A
# fulfillment whose every unit has arrived becomes OPEN, a normal reservation. Each order
# touched gets a new version and a ``PreorderReceived`` event.
PREORDERS_ARRIVE = """
OPTIONAL MATCH (pf:Fulfillment {inboundId: i.id})
WHERE pf.status = 'PREORDER'
OPTIONAL MATCH (o:Order)-[:HAS_FULFILLMENT]->(pf)
WITH i, l, k, s, toReceive, ok, moved, o, pf,
     reduce(t = 0, x IN [(pf)-[sh:SHIPS]->(:OrderLine) | sh.quantity] | t + x) AS units
ORDER BY pf.createdAt, pf.id
WITH i, l, k, s, toReceive, ok, moved,
     collect(CASE WHEN pf IS NULL THEN null
             ELSE {o: o, f: pf, need: units - coalesce(pf.arrived, 0)} END) AS pres
WITH i, l, k, s, toReceive, ok, moved,
     [j IN range(0, size(pres) - 1) |
       [rest IN [moved - reduce(t = 0, x IN pres[0..j] | t + x.need)] |
         {o: pres[j].o, f: pres[j].f, need: pres[j].need,
          give: CASE WHEN rest <= 0 THEN 0 WHEN rest < pres[j].need THEN rest
                     ELSE pres[j].need END}][0]] AS gives
FOREACH (g IN [x IN gives WHERE x.give > 0] |
  FOREACH (f IN [g.f] |
    SET f.arrived = coalesce(f.arrived, 0) + g.give
    FOREACH (_ IN CASE WHEN g.give = g.need THEN [1] ELSE [] END |
      SET f.status = 'OPEN', f.receivedAt = $at))
  FOREACH (o IN [g.o] |
    SET o.version = o.version + 1, o.eventSeq = o.eventSeq + 1, o.updatedAt = $at
    CREATE (o)-[:HAS_EVENT]->(e:Event)
    SET e.id = o.id + '-E' + toString(o.eventSeq), e.type = 'PreorderReceived',
        e.orderId = o.id, e.sequence = o.eventSeq, e.at = $at, e.atMs = $atMs, e.pending = true,
        e.payload = '{"fulfillment":"' + g.f.id + '","inbound":' + $inboundJson
          + ',"units":' + toString(g.give) + ',"open":'
          + CASE WHEN g.give = g.need THEN 'true' ELSE 'false' END + '}'))
SET s.reserved = s.reserved + moved, i.preordered = i.preordered - moved
WITH i, l, k, s, toReceive, ok"""

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
WITH i, l, k, s, toReceive, ok,
     CASE WHEN NOT ok THEN 0 WHEN $quantity < i.preordered THEN $quantity
          ELSE i.preordered END AS moved
{PREORDERS_ARRIVE}
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
    moved: list[InboundRecord] | None = None,
) -> int:
    """Write checked network-file records of the ``inbound`` section a batch at a time (each
    batch read, then written by ``upsert``): how many lines were written. A line whose quantity
    would fall below what it has received and preordered is left as it is. The lines whose
    date moved are appended to ``moved`` when given (their preorders are promised again)."""
    written = 0
    for start in range(0, len(records), batch_size):
        lines = [InboundRecord.from_row(r) for r in records[start : start + batch_size]]
        stored = await by_ids(store, [line.id for line in lines])
        wrote = await upsert(store, lines, stored, at)
        written += sum(w.ok for w in wrote)
        if moved is not None:
            moved.extend(w.inbound for w in wrote if w.ok and w.moved)
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
        RECEIVE,
        {
            "id": line.id,
            "quantity": quantity,
            "payload": payload,
            "inboundJson": json.dumps(line.id),
            **_instant(at),
        },
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


PREORDER_OFFERS = f"""
UNWIND $skus AS skuId
MATCH (i:Inbound {{sku: skuId}})
WHERE i.quantity - i.received - i.preordered > 0
MATCH (l:Location {{id: i.location}})
WHERE l.active = true
OPTIONAL MATCH (r:Region {{id: $region}})
RETURN {INBOUND} AS i, {LOCATION} AS location,
       CASE WHEN r IS NULL THEN [] ELSE
         [(l)-[ln:LANE]->(r) | ln {{.carrier, .service, .transitDays, .baseCost, .costPerKg}}]
       END AS lanes
ORDER BY i.expectedAt, i.id
"""


async def preorder_offers(
    store: GraphStore, skus: Sequence[str], region: str | None
) -> list[PreorderOffer]:
    """Every inbound line of these SKUs with units left to sell at an active location, earliest
    expected first, with its location and that location's lanes to ``region``."""
    rows = await store.read(PREORDER_OFFERS, {"skus": sorted(set(skus)), "region": region})
    return [PreorderOffer.from_row(row) for row in rows]


HELD_PREORDERS = f"""
MATCH (f:Fulfillment {{inboundId: $id}})
WHERE f.status = 'PREORDER'
MATCH (o:Order)-[:HAS_FULFILLMENT]->(f)
MATCH (l:Location {{id: f.locationId}})
RETURN o.id AS order, f.id AS fulfillment, f.estimatedDelivery AS estimatedDelivery,
       f.transitDays AS transitDays, {LOCATION} AS location
ORDER BY fulfillment
"""


async def held_preorders(store: GraphStore, inbound_id: str) -> list[HeldPreorder]:
    """The PREORDER fulfillments sold against this inbound line."""
    rows = await store.read(HELD_PREORDERS, {"id": inbound_id})
    return [HeldPreorder.from_row(row) for row in rows]


# Only while the line is still expected on ``$expectedAt`` (a later move re-promises again)
# and each fulfillment is still a PREORDER: its new dates, a new order version, an
# ``OrderRepromised`` event, and the order's promise (the latest of its live fulfillments).
REPROMISE = """
MATCH (i:Inbound {id: $id})
WITH i, i.expectedAt = $expectedAt AS ok
UNWIND CASE WHEN ok THEN $rows ELSE [] END AS r
MATCH (o:Order {id: r.order})-[:HAS_FULFILLMENT]->(f:Fulfillment {id: r.fulfillment})
WHERE f.status = 'PREORDER'
SET o._lock = true
SET f.expectedAt = $expectedAt, f.shipBy = r.shipBy, f.estimatedDelivery = r.estimatedDelivery,
    o.version = o.version + 1, o.eventSeq = o.eventSeq + 1, o.updatedAt = $at
CREATE (o)-[:HAS_EVENT]->(e:Event)
SET e.id = o.id + '-E' + toString(o.eventSeq), e.type = 'OrderRepromised', e.orderId = o.id,
    e.sequence = o.eventSeq, e.at = $at, e.atMs = $atMs, e.pending = true, e.payload = r.payload
WITH o, reduce(m = '', d IN [(o)-[:HAS_FULFILLMENT]->(x:Fulfillment)
         WHERE NOT x.status IN ['CANCELLED', 'REJECTED'] AND x.estimatedDelivery IS NOT NULL
         | x.estimatedDelivery] | CASE WHEN d > m THEN d ELSE m END) AS latest
SET o.promisedBy = CASE WHEN latest = '' THEN o.promisedBy ELSE latest END
REMOVE o._lock
RETURN o.id AS id
"""


async def repromise(
    store: GraphStore,
    inbound_id: str,
    expected_at: str,
    rows: Sequence[Mapping[str, Any]],
    at: datetime,
) -> int:
    """Write new promises (``{order, fulfillment, shipBy, estimatedDelivery, payload}``) of
    the line's preorders while it is still expected on ``expected_at``: how many were
    written."""
    answer = await store.write(
        REPROMISE,
        {"id": inbound_id, "expectedAt": expected_at, "rows": list(rows), **_instant(at)},
    )
    return len(answer)


async def inbound_of_skus(store: GraphStore, skus: Sequence[str]) -> dict[str, list[InboundRecord]]:
    """Every inbound line of each SKU, earliest expected first (an assistant's restock date)."""
    rows = await store.read(
        f"UNWIND $skus AS sku MATCH (i:Inbound {{sku: sku}}) "
        f"RETURN sku, {INBOUND} AS i ORDER BY i.expectedAt, i.id",
        {"skus": list(dict.fromkeys(skus))},
    )
    found: dict[str, list[InboundRecord]] = {sku: [] for sku in skus}
    for row in rows:
        found[row["sku"]].append(InboundRecord.from_row(row["i"]))
    return found
