"""Cypher for outbound events: webhook subscriptions, per-subscription deliveries, the lease.

The graph is the queue. Nodes (see docs/events.md):

- ``(:WebhookSubscription {id, url, eventTypes, secret, description, active, createdAt,
  createdAtMs})``: ``eventTypes = []`` means every type. The secret is read only as a
  delivery's ``Endpoint``.
- ``(:Delivery {id: "<subscription>|<event>", subscriptionId, eventId, orderId, eventType,
  sequence, stream: "<subscription>|<order>", status, attempts, nextAtMs, lastError,
  lastStatusCode, lastAttemptAt, lastAttemptAtMs, createdAtMs, replay})``: one event for one
  subscription. ``status`` is WAITING (an earlier event of the same stream is not settled yet),
  READY (the head of its stream: send when ``nextAtMs`` is due), DELIVERED or DEAD.
- ``(:Lease {id, owner, untilMs})``: which process dispatches (one at a time per graph).

``Event.pending = true`` (written by whoever creates the event) means "not yet fanned out to
the subscriptions"; the fan-out statement creates the deliveries and clears it in one write.

Portable Cypher only (CYPHER.md): instants are epoch-ms integers passed as parameters, every
range filter is on an integer (FalkorDB 4.16 answers a range filter on an indexed string
wrongly; the keyset tie-break on ``id`` goes through ``toString``), no filter after a write
(``ok`` flags with FOREACH/CASE instead), writes that check take the lock first.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from ordergraph.graph.records.events import (
    AttemptResult,
    DeliveryRecord,
    DueDelivery,
    EventRecord,
    LeaseRecord,
    PendingEvent,
    SubscriptionRecord,
)
from ordergraph.graph.store import GraphStore

SUBSCRIPTION = "s {.id, .url, .eventTypes, .description, .active, .createdAt, .createdAtMs}"
DELIVERY = (
    "d {.id, .subscriptionId, .eventId, .orderId, .eventType, .sequence, .stream, .status, "
    ".attempts, .nextAtMs, .createdAtMs, .lastError, .lastStatusCode, .lastAttemptAt, "
    ".lastAttemptAtMs, .replay}"
)
EVENT = "e {.id, .type, .orderId, .sequence, .at, .atMs, .payload}"

# Indexes this module's reads rely on (label, property). The key properties (`id`) belong in
# graph/store.py NODE_KEYS, the others in SECONDARY_INDEXES, so every engine's migrate makes them.
KEYS: tuple[tuple[str, str], ...] = (
    ("WebhookSubscription", "id"),
    ("Delivery", "id"),
    ("Lease", "id"),
)
INDEXES: tuple[tuple[str, str], ...] = (
    ("Event", "pending"),
    ("Event", "atMs"),
    ("Delivery", "status"),
    ("Delivery", "stream"),
    ("Delivery", "subscriptionId"),
)


# ---- subscriptions ---------------------------------------------------------------------------


async def create_subscription(
    store: GraphStore, subscription: SubscriptionRecord, secret: str
) -> SubscriptionRecord:
    rows = await store.write(
        f"CREATE (s:WebhookSubscription) SET s = $props RETURN {SUBSCRIPTION} AS s",
        {"props": subscription.to_params(secret)},
    )
    return SubscriptionRecord.from_row(rows[0]["s"])


async def subscriptions(store: GraphStore) -> list[SubscriptionRecord]:
    rows = await store.read(
        f"MATCH (s:WebhookSubscription) RETURN {SUBSCRIPTION} AS s ORDER BY s.createdAtMs, s.id"
    )
    return [SubscriptionRecord.from_row(row["s"]) for row in rows]


DELETE_SUBSCRIPTION = """
OPTIONAL MATCH (s:WebhookSubscription {id: $id})
OPTIONAL MATCH (d:Delivery {subscriptionId: $id})
WITH s, collect(d) AS deliveries
WITH s IS NOT NULL AS found, [x IN collect(s) WHERE x IS NOT NULL] AS subs, deliveries
FOREACH (x IN deliveries | DETACH DELETE x)
FOREACH (x IN subs | DETACH DELETE x)
RETURN found
"""


async def delete_subscription(store: GraphStore, subscription_id: str) -> bool:
    """Delete the subscription and every delivery it had; False when there was none."""
    rows = await store.write(DELETE_SUBSCRIPTION, {"id": subscription_id})
    return bool(rows and rows[0]["found"])


async def active_subscriptions(store: GraphStore) -> list[SubscriptionRecord]:
    """The subscriptions the fan-out makes deliveries for."""
    rows = await store.read(
        f"MATCH (s:WebhookSubscription) WHERE s.active = true RETURN {SUBSCRIPTION} AS s "
        "ORDER BY s.id"
    )
    return [SubscriptionRecord.from_row(row["s"]) for row in rows]


# ---- fan-out: pending events -> deliveries --------------------------------------------------


async def pending_events(store: GraphStore, limit: int) -> list[PendingEvent]:
    """Events not yet fanned out, grouped by order and in sequence order within each order.

    Ordering by (orderId, sequence) means a batch that cuts an order's events in two takes the
    earlier ones: event n+1 is never fanned out before event n.
    """
    rows = await store.read(
        "MATCH (e:Event) WHERE e.pending = true "
        "RETURN e {.id, .type, .orderId, .sequence, .atMs, .stream} AS e "
        "ORDER BY e.orderId, e.sequence LIMIT $limit",
        {"limit": limit},
    )
    return [PendingEvent.from_row(row["e"]) for row in rows]


async def open_streams(store: GraphStore, streams: Sequence[str]) -> set[str]:
    """The streams (subscription|order) that already hold an unsettled, non-replay delivery."""
    rows = await store.read(
        "UNWIND $streams AS st "
        "MATCH (d:Delivery {stream: st}) WHERE d.status IN ['READY', 'WAITING'] "
        "AND d.replay IS NULL "
        "RETURN DISTINCT st",
        {"streams": list(streams)},
    )
    return {row["st"] for row in rows}


FAN_OUT = """
FOREACH (x IN $deliveries |
  MERGE (d:Delivery {id: x.id})
  ON CREATE SET d += x)
WITH 1 AS one
UNWIND $eventIds AS eventId
MATCH (e:Event {id: eventId})
SET e.pending = false, e.fannedOutAtMs = $now
RETURN count(e) AS events
"""


async def fan_out(
    store: GraphStore, deliveries: Sequence[DeliveryRecord], event_ids: Sequence[str], now_ms: int
) -> int:
    """Create the deliveries (MERGE on id: safe to run twice) and clear the events' ``pending``."""
    rows = await store.write(
        FAN_OUT,
        {
            "deliveries": [d.to_params() for d in deliveries],
            "eventIds": list(event_ids),
            "now": now_ms,
        },
    )
    return int(rows[0]["events"]) if rows else 0


# ---- delivery ---------------------------------------------------------------------------------

DUE = f"""
MATCH (d:Delivery) WHERE d.status = 'READY' AND d.nextAtMs <= $now AND NOT d.id IN $busy
WITH d ORDER BY d.nextAtMs, d.id LIMIT $limit
OPTIONAL MATCH (e:Event {{id: d.eventId}})
OPTIONAL MATCH (s:WebhookSubscription {{id: d.subscriptionId}})
RETURN {DELIVERY} AS d, {EVENT} AS e, s {{.id, .url, .secret}} AS s
"""


async def due_deliveries(
    store: GraphStore, now_ms: int, limit: int, busy: Sequence[str]
) -> list[DueDelivery]:
    """Heads of streams (and replays) whose time has come, with their event and endpoint."""
    rows = await store.read(DUE, {"now": now_ms, "limit": limit, "busy": list(busy)})
    return [DueDelivery.from_row(row) for row in rows]


# Each result: an AttemptResult's params (``before``: the attempts it was read with). A stale
# result (the delivery moved since it was read) changes nothing. A final result of a stream's
# head makes the stream's next WAITING delivery (lowest sequence) READY.
RECORD = """
UNWIND $results AS r
MATCH (d:Delivery {id: r.id})
SET d._lock = true
WITH d, r
OPTIONAL MATCH (w:Delivery {stream: d.stream, status: 'WAITING'})
WITH d, r, collect(w) AS waiting
WITH d, r, d.status = 'READY' AND d.attempts = r.before AS ok, d.replay IS NULL AS head,
     reduce(m = null, x IN waiting |
       CASE WHEN m IS NULL OR x.sequence < m.sequence THEN x ELSE m END) AS next
FOREACH (_ IN CASE WHEN ok THEN [1] ELSE [] END |
  SET d.status = r.status, d.attempts = r.attempts, d.nextAtMs = r.nextAtMs,
      d.lastError = r.error, d.lastStatusCode = r.code, d.lastAttemptAt = r.at,
      d.lastAttemptAtMs = r.atMs)
FOREACH (x IN CASE WHEN ok AND r.final AND head AND next IS NOT NULL THEN [next] ELSE [] END |
  SET x.status = 'READY', x.nextAtMs = r.atMs)
REMOVE d._lock
RETURN d.id AS id, ok
"""


async def record_results(store: GraphStore, results: Sequence[AttemptResult]) -> dict[str, bool]:
    """Write back each result that is not stale: {delivery id: written}."""
    rows = await store.write(RECORD, {"results": [r.to_params() for r in results]})
    return {row["id"]: bool(row["ok"]) for row in rows}


# Streams whose head is gone without a successor being promoted (only possible when two
# dispatchers overlapped during a lease hand-over on an engine that interleaves statements):
# make the lowest WAITING delivery of each such stream READY. Run when a dispatcher takes over.
REPAIR = """
MATCH (w:Delivery {status: 'WAITING'})
WITH w.stream AS st, collect(w) AS waiting
OPTIONAL MATCH (h:Delivery {stream: st, status: 'READY'}) WHERE h.replay IS NULL
WITH st, waiting, count(h) AS heads
WITH heads, reduce(m = null, x IN waiting |
       CASE WHEN m IS NULL OR x.sequence < m.sequence THEN x ELSE m END) AS next
FOREACH (x IN CASE WHEN heads = 0 THEN [next] ELSE [] END |
  SET x.status = 'READY', x.nextAtMs = $now)
RETURN toInteger(sum(CASE WHEN heads = 0 THEN 1 ELSE 0 END)) AS repaired
"""


async def repair_streams(store: GraphStore, now_ms: int) -> int:
    rows = await store.write(REPAIR, {"now": now_ms})
    return int(rows[0]["repaired"] or 0) if rows else 0


# ---- dead letters ---------------------------------------------------------------------------


async def dead_letters(
    store: GraphStore, *, first: int, after: tuple[int, str] | None
) -> list[DeliveryRecord]:
    """Newest failure first; keyset on (lastAttemptAtMs, id), integers for the range."""
    where = "d.status = 'DEAD'"
    if after is not None:
        where += (
            " AND (d.lastAttemptAtMs < $at OR (d.lastAttemptAtMs = $at AND toString(d.id) < $id))"
        )
    rows = await store.read(
        f"MATCH (d:Delivery) WHERE {where} RETURN {DELIVERY} AS d "
        "ORDER BY d.lastAttemptAtMs DESC, d.id DESC LIMIT $limit",
        {"at": after[0] if after else None, "id": after[1] if after else None, "limit": first + 1},
    )
    return [DeliveryRecord.from_row(row["d"]) for row in rows]


REPLAY = """
UNWIND $ids AS id
OPTIONAL MATCH (d:Delivery {id: id})
WITH id, d, coalesce(d.status = 'DEAD', false) AS ok
FOREACH (_ IN CASE WHEN ok THEN [1] ELSE [] END |
  SET d.status = 'READY', d.attempts = 0, d.nextAtMs = $now, d.replay = true,
      d.replays = coalesce(d.replays, 0) + 1)
RETURN id, ok
"""


async def replay(store: GraphStore, ids: Sequence[str], now_ms: int) -> dict[str, bool]:
    """Dead deliveries back to READY (as replays, outside their stream's order)."""
    rows = await store.write(REPLAY, {"ids": list(ids), "now": now_ms})
    return {row["id"]: bool(row["ok"]) for row in rows}


# ---- the dispatcher lease -------------------------------------------------------------------


async def lease_holder(store: GraphStore, name: str) -> LeaseRecord | None:
    rows = await store.read(
        "MATCH (l:Lease {id: $id}) RETURN l {.owner, .untilMs} AS l", {"id": name}
    )
    return LeaseRecord.from_row(rows[0]["l"]) if rows else None


TAKE_LEASE = """
MERGE (l:Lease {id: $id})
ON CREATE SET l.owner = $owner, l.untilMs = 0
SET l._lock = true
WITH l, l.owner = $owner OR l.untilMs < $now AS ok
FOREACH (_ IN CASE WHEN ok THEN [1] ELSE [] END | SET l.owner = $owner, l.untilMs = $until)
REMOVE l._lock
RETURN ok
"""


async def take_lease(store: GraphStore, name: str, owner: str, now_ms: int, until_ms: int) -> bool:
    """Take or renew the lease; False while another owner holds an unexpired one.

    FalkorDB 4.16 trap: two concurrent MERGEs of a label the graph has never held may both
    CREATE (measured: 6 in 100 first contests; none once the label exists). So call
    :func:`know_lease_label` before contending for a lease nobody holds; the unique key on
    ``Lease.id`` (graph/store.py) guards too. Should duplicates exist anyway, nobody wins this
    round and they are removed.
    """
    rows = await store.write(
        TAKE_LEASE, {"id": name, "owner": owner, "now": now_ms, "until": until_ms}
    )
    if len(rows) > 1:
        await store.write("MATCH (l:Lease {id: $id}) DETACH DELETE l", {"id": name})
        return False
    return bool(rows and rows[0]["ok"])


async def know_lease_label(store: GraphStore) -> None:
    """Make the ``Lease`` label known to the graph (see :func:`take_lease`); safe to repeat."""
    await store.write(
        "CREATE (l:Lease {id: $id}) DELETE l", {"id": "label-" + secrets.token_hex(8)}
    )


async def release_lease(store: GraphStore, name: str, owner: str) -> None:
    await store.write(
        "MATCH (l:Lease {id: $id}) "
        "FOREACH (_ IN CASE WHEN l.owner = $owner THEN [1] ELSE [] END | SET l.untilMs = 0)",
        {"id": name, "owner": owner},
    )


# ---- live events (the orderEvents subscription) ------------------------------------------------


async def events_since(
    store: GraphStore,
    since_ms: int,
    *,
    order_id: str | None,
    types: Sequence[str] | None,
    after: tuple[int, str] | None,
    limit: int,
) -> list[EventRecord]:
    """Events with ``atMs >= since_ms`` (optionally of one order, of some types), oldest first."""
    where = ["e.atMs >= $since"]
    if types:
        where.append("e.type IN $types")
    if after is not None:
        where.append("(e.atMs > $at OR (e.atMs = $at AND toString(e.id) > $id))")
    match = (
        "MATCH (o:Order {id: $orderId})-[he:HAS_EVENT]->(e:Event)"
        if order_id is not None
        else "MATCH (e:Event)"
    )
    rows = await store.read(
        f"{match} WHERE {' AND '.join(where)} RETURN {EVENT} AS e "
        "ORDER BY e.atMs, e.id LIMIT $limit",
        {
            "since": since_ms,
            "orderId": order_id,
            "types": list(types or []),
            "at": after[0] if after else None,
            "id": after[1] if after else None,
            "limit": limit,
        },
    )
    return [EventRecord.from_row(row["e"]) for row in rows]
