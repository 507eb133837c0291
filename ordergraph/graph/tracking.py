"""The Cypher of carrier tracking: find a fulfillment by tracking number, apply one event, and
the shipments the tracking poller asks about."""

from __future__ import annotations

from ordergraph.graph.records.tracking import PollDue, TrackedRecord, TrackingWrite
from ordergraph.graph.store import GraphStore

TRACKED = """
MATCH (o:Order)-[:HAS_FULFILLMENT]->(f:Fulfillment)
WHERE f.trackingNumber = $tracking
RETURN o.id AS order, o.version AS version, o.eventSeq AS eventSeq, o.promisedBy AS promisedBy,
       f.id AS fulfillment, f.status AS status, f.estimatedDelivery AS estimatedDelivery,
       coalesce(f.trackingEventIds, []) AS seen,
       [(o)-[:HAS_FULFILLMENT]->(x:Fulfillment)
          WHERE x.id <> f.id AND NOT x.status IN ['CANCELLED', 'REJECTED']
            AND x.estimatedDelivery IS NOT NULL | x.estimatedDelivery] AS others
ORDER BY fulfillment LIMIT 1
"""

# Under the order's version and only once per carrier event: the tracking state, the moved
# estimate and promise (keeping the first of each), and the order events, in one statement.
APPLY = """
MATCH (o:Order {id: $order})-[:HAS_FULFILLMENT]->(f:Fulfillment {id: $id})
SET o._lock = true
WITH o, f, coalesce(o.version, 1) = $version
           AND NOT $eventId IN coalesce(f.trackingEventIds, []) AS ok
FOREACH (_ IN CASE WHEN ok THEN [1] ELSE [] END |
  SET f.trackingEventIds = coalesce(f.trackingEventIds, []) + [$eventId],
      f.trackingStatus = $status, f.carrierStatus = $carrierStatus, f.trackingAt = $at,
      f.trackingException = $exception,
      o.version = coalesce(o.version, 1) + 1, o.updatedAt = $at)
FOREACH (_ IN CASE WHEN ok AND $eta IS NOT NULL THEN [1] ELSE [] END |
  SET f.originalEstimatedDelivery = coalesce(f.originalEstimatedDelivery, f.estimatedDelivery),
      f.estimatedDelivery = $eta)
FOREACH (_ IN CASE WHEN ok AND $promise IS NOT NULL THEN [1] ELSE [] END |
  SET o.originalPromisedBy = coalesce(o.originalPromisedBy, o.promisedBy),
      o.promisedBy = $promise)
FOREACH (ev IN CASE WHEN ok THEN $events ELSE [] END |
  CREATE (o)-[:HAS_EVENT]->(e:Event)
  SET e.id = ev.id, e.type = ev.type, e.orderId = o.id, e.sequence = ev.sequence,
      e.at = $at, e.atMs = $atMs, e.pending = true, e.payload = ev.payload)
FOREACH (_ IN CASE WHEN ok AND size($events) > 0 THEN [1] ELSE [] END |
  SET o.eventSeq = $seq)
REMOVE o._lock
RETURN ok
"""


async def tracked(store: GraphStore, tracking_number: str) -> TrackedRecord | None:
    rows = await store.read(TRACKED, {"tracking": tracking_number})
    return TrackedRecord.from_row(rows[0]) if rows else None


async def apply_tracking(store: GraphStore, write: TrackingWrite) -> bool:
    rows = await store.write(APPLY, write.to_params())
    return bool(rows and rows[0]["ok"])


async def original_promises(store: GraphStore, order_id: str) -> dict[str, str | None]:
    """The order's first promise and its fulfillments' first estimates (the on-time KPI)."""
    rows = await store.read(
        "MATCH (o:Order {id: $id}) RETURN coalesce(o.originalPromisedBy, o.promisedBy) AS p, "
        "o.promisedBy AS now",
        {"id": order_id},
    )
    return {"original": rows[0]["p"], "current": rows[0]["now"]} if rows else {}


# Shipped fulfillments whose label a polled account bought, each account's not asked since its
# interval, least recently asked first, at most $batch (indexed on labelAdapter).
DUE = """
UNWIND $accounts AS a
MATCH (f:Fulfillment {labelAdapter: a.name})
WHERE f.status = 'SHIPPED' AND f.trackingNumber IS NOT NULL
  AND coalesce(f.trackingPolledAtMs, 0) <= a.dueBefore
RETURN f.id AS fulfillment, f.trackingNumber AS tracking, f.carrier AS carrier,
       a.name AS adapter, coalesce(f.trackingPolledAtMs, 0) AS polledAtMs
ORDER BY polledAtMs, fulfillment LIMIT $batch
"""

POLLED = """
UNWIND $ids AS id
MATCH (f:Fulfillment {id: id})
SET f.trackingPolledAtMs = $at
RETURN count(f) AS n
"""


async def due_for_poll(
    store: GraphStore, due_before_ms: dict[str, int], batch: int
) -> list[PollDue]:
    """``due_before_ms``: per polled account, the latest last poll that is due again."""
    accounts = [{"name": name, "dueBefore": at} for name, at in sorted(due_before_ms.items())]
    if not accounts or batch < 1:
        return []
    rows = await store.read(DUE, {"accounts": accounts, "batch": batch})
    return [PollDue.from_row(row) for row in rows]


async def mark_polled(store: GraphStore, fulfillment_ids: list[str], at_ms: int) -> None:
    if fulfillment_ids:
        await store.write(POLLED, {"ids": fulfillment_ids, "at": at_ms})
