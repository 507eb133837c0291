"""Cypher for orders: the candidate read, the one-statement reserve-and-create, order reads.

The reserve-and-create statement follows CYPHER.md ("Atomic check-and-reserve in one
statement"): it takes the write lock on every stock position and capacity day it needs (by
writing to it, for Neo4j), decides ``ok`` from what it then reads, applies the reservations only
when ``ok``, and creates the order only when ``ok``. When it is not ok it returns no row and
changes nothing; the service then finds out why (a repeat of an order that exists, or stock that
moved) and re-routes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ordergraph.graph.catalog import LOCATION, REGION
from ordergraph.graph.store import GraphStore, Row

LANE = "ln {.carrier, .service, .transitDays, .baseCost, .costPerKg}"

# One read for routing: the ship-to region (longest matching prefix), every SKU of the order,
# and for each active location holding any of them (one row per location, its record, lanes and
# capacity sent once): its stock of each SKU, its lanes to that region and the shipments it has
# already taken on the days that matter (capacity).
CANDIDATES = f"""
OPTIONAL MATCH (ch:Channel {{id: $channel}})
OPTIONAL MATCH (r:Region) WHERE r.id IN $regionIds
WITH ch, r ORDER BY size(r.postalPrefix) DESC LIMIT 1
UNWIND $skus AS skuId
OPTIONAL MATCH (k:Sku {{id: skuId}})
OPTIONAL MATCH (l:Location)-[s:STOCKS]->(k)
WHERE l.active = true AND ($pickupAt IS NULL OR l.id = $pickupAt)
WITH ch, r, l, collect({{skuId: skuId, sku: k {{.id, .weightKg, .tags}}, onHand: s.onHand,
                          reserved: s.reserved, safetyStock: s.safetyStock}}) AS stock
RETURN {REGION} AS region, ch {{.id, .partialPolicy, .routingPolicy}} AS channel,
       {LOCATION} AS location, stock,
       CASE WHEN r IS NULL OR l IS NULL THEN [] ELSE [(l)-[ln:LANE]->(r) | {LANE}] END AS lanes,
       CASE WHEN l IS NULL THEN [] ELSE
         [(l)-[:CAPACITY]->(d:CapacityDay) WHERE d.day >= $fromDay | d {{.day, .used}}] END
         AS capacity
"""


async def candidate_rows(
    store: GraphStore,
    skus: Sequence[str],
    region_ids: Sequence[str],
    pickup_at: str | None,
    from_day: str,
    *,
    channel: str,
) -> list[Row]:
    return await store.read(
        CANDIDATES,
        {
            "skus": list(skus),
            "regionIds": list(region_ids),
            "pickupAt": pickup_at,
            "fromDay": from_day,
            "channel": channel,
        },
    )


# With o (the order), ols (its lines) and locs (the locations named) in scope: create the
# fulfillments that ship lines from locations, and link the capacity days they use.
NEW_FULFILLMENTS = """
FOREACH (f IN $newFulfillments |
  CREATE (o)-[:HAS_FULFILLMENT]->(ff:Fulfillment)
  SET ff += f.props
  FOREACH (l IN [y IN locs WHERE y.id = f.location] | CREATE (ff)-[:FROM]->(l))
  FOREACH (sl IN f.lines |
    FOREACH (ol IN [y IN ols WHERE y.id = sl.line] |
      CREATE (ff)-[:SHIPS {quantity: sl.quantity}]->(ol))))
FOREACH (c IN $capacity |
  FOREACH (l IN [y IN locs WHERE y.id = c.location] |
    MERGE (cd:CapacityDay {id: c.key})
    MERGE (l)-[:CAPACITY]->(cd)))
"""

CREATE_ORDER = (
    """
UNWIND $capacity AS c
MERGE (cd:CapacityDay {id: c.key})
ON CREATE SET cd.used = 0, cd.day = c.day, cd.location = c.location
SET cd._lock = true
WITH collect({d: cd, limit: c.limit}) AS days
UNWIND CASE WHEN size($alloc) = 0 THEN [null] ELSE $alloc END AS a
OPTIONAL MATCH (:Location {id: a.location})-[s:STOCKS]->(:Sku {id: a.sku})
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | SET s._lock = true)
WITH days, collect(CASE WHEN s IS NULL THEN null ELSE {s: s, q: a.quantity} END) AS rows
OPTIONAL MATCH (x:Order {id: $order.id})
OPTIONAL MATCH (y:Order {channelExternalId: $order.channelExternalId})
WITH days, rows, x, y,
     size(rows) = size($alloc) AND x IS NULL AND y IS NULL
     AND all(r IN rows WHERE r.s.onHand - r.s.reserved - r.s.safetyStock >= r.q)
     AND all(c IN days WHERE c.limit IS NULL OR c.d.used < c.limit) AS ok
UNWIND CASE WHEN size(rows) = 0 THEN [{s: null, q: 0}] ELSE rows END AS r
WITH days, r.s AS s, r.q AS q, ok
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END |
  SET s.reserved = s.reserved + CASE WHEN ok THEN q ELSE 0 END
  REMOVE s._lock)
WITH days, ok, count(*) AS locked
UNWIND CASE WHEN size(days) = 0 THEN [{d: null}] ELSE days END AS c
WITH c.d AS cd, ok
FOREACH (_ IN CASE WHEN cd IS NULL THEN [] ELSE [1] END |
  SET cd.used = cd.used + CASE WHEN ok THEN 1 ELSE 0 END
  REMOVE cd._lock)
WITH ok, count(*) AS counted
UNWIND CASE WHEN ok THEN [1] ELSE [] END AS go
CREATE (o:Order {id: $order.id})
SET o += $order
FOREACH (line IN $lines | CREATE (o)-[:HAS_LINE]->(ol:OrderLine) SET ol += line)
FOREACH (e IN $events | CREATE (o)-[:HAS_EVENT]->(ev:Event) SET ev += e)
WITH o
OPTIONAL MATCH (loc:Location) WHERE loc.id IN $locationIds
WITH o, collect(loc) AS locs
OPTIONAL MATCH (o)-[:HAS_LINE]->(ol:OrderLine)
WITH o, locs, collect(ol) AS ols
"""
    + NEW_FULFILLMENTS.replace("$newFulfillments", "$fulfillments")
    + "RETURN o.id AS id\n"
)


async def create_order(store: GraphStore, params: dict[str, Any]) -> bool:
    """Reserve and create in one statement; False when stock, capacity or a duplicate said no."""
    rows = await store.write(CREATE_ORDER, params)
    return bool(rows)


ORDER_FIELDS = (
    "id",
    "channel",
    "externalId",
    "status",
    "placedAt",
    "serviceLevel",
    "promisedBy",
    "shippingCost",
    "version",
    "routing",
    "pickupAt",
    "region",
    "shipToName",
    "shipToLine1",
    "shipToLine2",
    "shipToCity",
    "shipToRegion",
    "shipToPostalCode",
    "shipToCountry",
    "currency",
    "createdAt",
    "updatedAt",
    "eventSeq",
    "policy",
    "placedAtMs",
)
ORDER = "o {" + ", ".join("." + f for f in ORDER_FIELDS) + "}"
LINE = "ol {.id, .sku, .quantity, .allocated, .backordered, .cancelled, .unitPrice, .currency, .status, .position}"
FULFILLMENT = (
    "f {.id, .status, .carrier, .service, .shipBy, .estimatedDelivery, .readyBy, .cost, "
    ".trackingNumber, .locationId, .createdAt, .asn}"
)
EVENT = "e {.id, .type, .orderId, .sequence, .at, .payload}"


async def order_ids_by(
    store: GraphStore, order_id: str | None, channel_external_id: str | None
) -> str | None:
    rows = await store.read(
        "OPTIONAL MATCH (x:Order {id: $id}) OPTIONAL MATCH (y:Order {channelExternalId: $cx}) "
        "RETURN coalesce(x.id, y.id) AS id",
        {"id": order_id or "", "cx": channel_external_id or ""},
    )
    return rows[0]["id"] if rows else None


async def orders_by_id(store: GraphStore, ids: Sequence[str]) -> list[Row | None]:
    rows = await store.read(
        f"UNWIND $ids AS id MATCH (o:Order {{id: id}}) RETURN {ORDER} AS o", {"ids": list(ids)}
    )
    found = {row["o"]["id"]: row["o"] for row in rows}
    return [found.get(i) for i in ids]


async def lines_by_order(store: GraphStore, ids: Sequence[str]) -> list[list[Row]]:
    rows = await store.read(
        f"UNWIND $ids AS id MATCH (o:Order {{id: id}})-[:HAS_LINE]->(ol:OrderLine) "
        f"RETURN id, {LINE} AS line",
        {"ids": list(ids)},
    )
    grouped: dict[str, list[Row]] = {i: [] for i in ids}
    for row in rows:
        grouped[row["id"]].append(row["line"])
    for lines in grouped.values():
        lines.sort(key=lambda line: (line.get("position") or 0, line["id"]))
    return [grouped[i] for i in ids]


async def fulfillments_by_order(store: GraphStore, ids: Sequence[str]) -> list[list[Row]]:
    rows = await store.read(
        f"UNWIND $ids AS id MATCH (o:Order {{id: id}})-[:HAS_FULFILLMENT]->(f:Fulfillment) "
        f"RETURN id, {FULFILLMENT} AS f, "
        "[(f)-[sh:SHIPS]->(ol:OrderLine) | {sku: ol.sku, quantity: sh.quantity, line: ol.id}] AS lines",
        {"ids": list(ids)},
    )
    grouped: dict[str, list[Row]] = {i: [] for i in ids}
    for row in rows:
        grouped[row["id"]].append({**row["f"], "lines": row["lines"]})
    for items in grouped.values():
        items.sort(key=lambda f: f["id"])
    return [grouped[i] for i in ids]


async def events_by_order(store: GraphStore, ids: Sequence[str]) -> list[list[Row]]:
    rows = await store.read(
        f"UNWIND $ids AS id MATCH (o:Order {{id: id}})-[:HAS_EVENT]->(e:Event) RETURN id, {EVENT} AS e",
        {"ids": list(ids)},
    )
    grouped: dict[str, list[Row]] = {i: [] for i in ids}
    for row in rows:
        grouped[row["id"]].append(row["e"])
    for items in grouped.values():
        items.sort(key=lambda e: e["sequence"])
    return [grouped[i] for i in ids]


async def order_page(
    store: GraphStore,
    *,
    first: int,
    after: tuple[int, str] | None,
    channel: str | None,
    status: str | None,
    placed_from: int | None,
    placed_to: int | None,
    channels: list[str] | None = None,
    locations: list[str] | None = None,
) -> list[Row]:
    """Newest first, keyset on (placedAtMs, id) so that pages never skip or repeat.

    Instants are compared as epoch milliseconds: FalkorDB 4.16 answers a range filter on an
    indexed *string* property with every row (see docs/decisions.md), integers work.
    """
    where = []
    if channel is not None:
        where.append("o.channel = $channel")
    if status is not None:
        where.append("o.status = $status")
    if placed_from is not None:
        where.append("o.placedAtMs >= $from")
    if placed_to is not None:
        where.append("o.placedAtMs < $to")
    if channels is not None:
        where.append("o.channel IN $channels")
    if after is not None:
        where.append(
            "(o.placedAtMs < $afterAt OR (o.placedAtMs = $afterAt AND toString(o.id) < $afterId))"
        )
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    match = (
        "MATCH (pl:Location)<-[fr:FROM]-(:Fulfillment)<-[hf:HAS_FULFILLMENT]-(x:Order) "
        "WHERE pl.id IN $locations WITH DISTINCT x AS o"
        if locations is not None
        else "MATCH (o:Order)"
    )
    if locations is not None and clause:
        clause = "WITH o " + clause
    rows = await store.read(
        f"{match} {clause} RETURN {ORDER} AS o ORDER BY o.placedAtMs DESC, o.id DESC LIMIT $limit",
        {
            "channel": channel,
            "status": status,
            "from": placed_from,
            "to": placed_to,
            "afterAt": after[0] if after else None,
            "afterId": after[1] if after else None,
            "limit": first + 1,
            "channels": channels,
            "locations": locations,
        },
    )
    return [row["o"] for row in rows]
