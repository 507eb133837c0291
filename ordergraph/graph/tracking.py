"""The Cypher of carrier tracking: find a fulfillment by tracking number, apply one event."""

from __future__ import annotations

from ordergraph.graph.records.tracking import TrackedRecord, TrackingWrite
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
