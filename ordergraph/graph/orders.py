"""Cypher for orders: the candidate read, the one-statement reserve-and-create, order reads.

The reserve-and-create statement follows CYPHER.md ("Atomic check-and-reserve in one
statement"): it takes the write lock on every stock position and capacity day it needs (by
writing to it, for Neo4j), decides ``ok`` from what it then reads, applies the reservations only
when ``ok``, and creates the order only when ``ok``. When it is not ok it returns no row and
changes nothing; the service then finds out why (a repeat of an order that exists, or stock that
moved) and re-routes. The guard is ``graph/fragments.py: reserve_guard``, shared with
``APPLY_CHANGE`` (graph/lifecycle.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ordergraph.domain.atp import Seller
from ordergraph.domain.orders import (
    FulfillmentKind,
    FulfillmentStatus,
    OrderLine,
    OrderRequest,
    OrderStatus,
)
from ordergraph.domain.preorder import Preorder
from ordergraph.domain.routing.types import PICKUP, PlannedShipment, RoutingPlan
from ordergraph.graph.catalog import CHANNEL, CHANNEL_REGION_STOCK, LOCATION, REGION, SKU
from ordergraph.graph.fragments import RESERVE_NEW_ORDER, RESERVE_PREORDER, by_ids, projection
from ordergraph.graph.records import codec
from ordergraph.graph.records.catalog import LocationRecord
from ordergraph.graph.records.events import EventRecord
from ordergraph.graph.records.orders import FulfillmentRecord, LineRecord, OrderRecord
from ordergraph.graph.records.routing import Candidates, RegionDemand
from ordergraph.graph.store import GraphStore, Row

LANE = "ln {.carrier, .service, .transitDays, .baseCost, .costPerKg}"
TRANSFER_LANE = "tl {.carrier, .service, .transitDays, .baseCost, .costPerKg, .cutoff, to: ps.id}"

# One read for routing: the ship-to region (longest matching prefix), every SKU of the order,
# and for each active location holding any of them (one row per location, its record, lanes and
# capacity sent once): its stock of each SKU, its lanes to that region and the shipments it has
# already taken on the days that matter (capacity).
# A pickup order also reads the locations with a transfer lane to its store (docs/transfers.md).
CANDIDATES = f"""{CHANNEL_REGION_STOCK}WHERE l.active = true
  AND ($pickupAt IS NULL OR l.id = $pickupAt OR l.id IN $transferSources)
WITH ch, r, l, collect({{sku: sku, item: {SKU}, location: l.id, onHand: s.onHand,
                          reserved: s.reserved, safetyStock: s.safetyStock,
                          protectChannels: s.protectChannels,
                          protectRemaining: s.protectRemaining,
                          protectUntil: s.protectUntil}}) AS stock
RETURN {REGION} AS region, {CHANNEL} AS channel,
       {LOCATION} AS location, stock,
       CASE WHEN r IS NULL OR l IS NULL THEN [] ELSE [(l)-[ln:LANE]->(r) | {LANE}] END AS lanes,
       CASE WHEN $pickupAt IS NULL OR l IS NULL THEN [] ELSE
         [(l)-[tl:TRANSFER_LANE]->(ps:Location {{id: $pickupAt}}) | {TRANSFER_LANE}] END
         AS transfers,
       CASE WHEN l IS NULL THEN [] ELSE
         [(l)-[:CAPACITY]->(d:CapacityDay) WHERE d.day >= $fromDay | d {{.day, .used}}] END
         AS capacity
"""


async def candidates(
    store: GraphStore,
    skus: Sequence[str],
    region_ids: Sequence[str],
    pickup_at: str | None,
    from_day: str,
    *,
    channel: str,
) -> Candidates:
    """What routing may use for these SKUs: capacity counted from ``from_day`` (ISO) on, and
    only the location ``pickup_at`` when the customer collects there, with the locations that
    have a transfer lane to it (docs/transfers.md)."""
    sources = [] if pickup_at is None else await transfer_sources(store, pickup_at)
    rows = await store.read(
        CANDIDATES,
        {
            "transferSources": sources,
            "skus": list(skus),
            "regionIds": list(region_ids),
            "pickupAt": pickup_at,
            "fromDay": from_day,
            "channel": channel,
        },
    )
    return Candidates.from_rows(rows)


# Recent demand for the look-ahead term (issue #18): per region, the lines of the orders placed
# to it in [$from, $to) (epoch ms, on the indexed placedAtMs); and, per region, every active
# location's lanes to it with the location's handling cost (homes and penalties are computed
# over every region, as the bench does). Two row kinds, one read.
RECENT_DEMAND = """MATCH (o:Order)
WHERE o.placedAtMs >= $from AND o.placedAtMs < $to AND o.region IS NOT NULL
MATCH (o)-[:HAS_LINE]->(ol:OrderLine)
WITH o.region AS region, collect({order: o.id, sku: ol.sku, quantity: ol.quantity}) AS lines
RETURN region, lines, [] AS lanes
UNION ALL
MATCH (l:Location)-[ln:LANE]->(r:Region)
WHERE l.active = true
WITH r.id AS region,
     collect({location: l.id, handling: l.handlingCost, cost: ln.baseCost + ln.costPerKg}) AS lanes
RETURN region, [] AS lines, lanes
"""


async def recent_demand(store: GraphStore, since: datetime, until: datetime) -> list[RegionDemand]:
    """Each region's order lines placed in [since, until) and the unit costs to it."""
    rows = await store.read(
        RECENT_DEMAND,
        {"from": int(since.timestamp() * 1000), "to": int(until.timestamp() * 1000)},
    )
    return RegionDemand.from_rows(rows)


async def transfer_sources(store: GraphStore, store_id: str) -> list[str]:
    """The active locations with a transfer lane to the pickup store ``store_id``."""
    rows = await store.read(
        "MATCH (l:Location)-[tl:TRANSFER_LANE]->(:Location {id: $id}) WHERE l.active = true "
        "RETURN DISTINCT l.id AS id",
        {"id": store_id},
    )
    return sorted(str(r["id"]) for r in rows)


# With o (the order), ols (its lines) and locs (the locations named) in scope: create the
# fulfillments of ``$<param>`` that ship lines from locations, and link the capacity days they use.
def new_fulfillments(param: str) -> str:
    return f"""
FOREACH (f IN ${param} |
  CREATE (o)-[:HAS_FULFILLMENT]->(ff:Fulfillment)
  SET ff += f.props
  FOREACH (l IN [y IN locs WHERE y.id = f.location] | CREATE (ff)-[:FROM]->(l))
  FOREACH (sl IN f.lines |
    FOREACH (ol IN [y IN ols WHERE y.id = sl.line] |
      CREATE (ff)-[:SHIPS {{quantity: sl.quantity}}]->(ol))))
FOREACH (c IN $capacity |
  FOREACH (l IN [y IN locs WHERE y.id = c.location] |
    MERGE (cd:CapacityDay {{id: c.key}})
    MERGE (l)-[:CAPACITY]->(cd)))
"""


NEW_FULFILLMENTS = new_fulfillments("newFulfillments")

_CREATE_ORDER_TAIL = (
    """CREATE (o:Order {id: $order.id})
SET o += $order
FOREACH (line IN $lines | CREATE (o)-[:HAS_LINE]->(ol:OrderLine) SET ol += line)
FOREACH (e IN $events | CREATE (o)-[:HAS_EVENT]->(ev:Event) SET ev += e)
WITH o
OPTIONAL MATCH (loc:Location) WHERE loc.id IN $locationIds
WITH o, collect(loc) AS locs
OPTIONAL MATCH (o)-[:HAS_LINE]->(ol:OrderLine)
WITH o, locs, collect(ol) AS ols
"""
    + new_fulfillments("fulfillments")
    + "RETURN o.id AS id\n"
)
CREATE_ORDER = RESERVE_NEW_ORDER + _CREATE_ORDER_TAIL
# An order of which some units are preorders: the same statement, whose guard also locks the
# inbound lines of ``$preorders`` and raises their ``preordered`` (never above what remains).
CREATE_PREORDER = RESERVE_PREORDER + _CREATE_ORDER_TAIL


async def create_order(
    store: GraphStore,
    *,
    order: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    fulfillments: Sequence[Mapping[str, Any]],
    alloc: Sequence[Mapping[str, Any]],
    capacity: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
    atp: Mapping[str, Any],
    preorders: Sequence[Mapping[str, Any]] = (),
) -> bool:
    """Reserve and create in one statement; False when stock, channel ATP, capacity or a
    duplicate said no.

    ``order`` and ``lines`` are ``order_properties`` and ``line_properties``, ``fulfillments``
    ``fulfillment_params``; ``alloc`` the ``{location, sku, quantity}`` to reserve,
    ``capacity`` the ``{key, day, location, limit}`` days to count a shipment against and
    ``atp`` the channel's rules as ``atp_params`` gives them; ``preorders`` the
    ``{inbound, quantity, expectedAt}`` units sold against inbound lines (one row per line,
    sorted by id), whose PREORDER fulfillments are among ``fulfillments``."""
    params: dict[str, Any] = {}
    if preorders:
        params["preorders"] = sorted((dict(p) for p in preorders), key=lambda p: p["inbound"])
    rows = await store.write(
        CREATE_PREORDER if preorders else CREATE_ORDER,
        {
            **params,
            "order": dict(order),
            "lines": list(lines),
            "fulfillments": list(fulfillments),
            "alloc": list(alloc),
            "capacity": list(capacity),
            "events": list(events),
            "atp": dict(atp),
            "locationIds": sorted({f["location"] for f in fulfillments}),
        },
    )
    return bool(rows)


def atp_params(seller: Seller) -> dict[str, Any]:
    """The ``$atp`` map of ``fragments.channel_atp``: the seller's rules on its day."""
    rules = seller.rules
    s = rules.sourcing
    return {
        "channel": seller.channel,
        "today": seller.today.isoformat(),
        "sharePercent": rules.share_percent,
        "bufferUnits": rules.buffer_units,
        "locations": None if s.locations is None else sorted(s.locations),
        "kinds": None if s.kinds is None else sorted(s.kinds),
        "excludeTags": sorted(s.exclude_tags),
        "rulesVersion": seller.rules_version,
    }


def order_properties(
    order_id: str,
    request: OrderRequest,
    plan: RoutingPlan,
    *,
    status: OrderStatus,
    region: str | None,
    body_digest: str,
    placed_by: str | None,
    at: datetime,
    rules_version: int = 0,
    routing_policy: tuple[str, int | None] | None = None,
) -> dict[str, Any]:
    """The properties of a new ``:Order`` placed at ``at`` (absent values left out):
    ``body_digest`` tells a repeat of its (channel, externalId) from another order,
    ``placed_by`` is the role of the API key that placed it, if any, ``rules_version`` the
    version of its channel's sourcing rules it was placed under, ``routing_policy`` the
    (id, version) of the routing policy it was routed under."""
    assert request.placed_at is not None
    ship_to = request.ship_to
    stamp = at.astimezone(UTC).isoformat()
    order = {
        "id": order_id,
        "channel": request.channel,
        "externalId": request.external_id,
        "channelExternalId": request.channel_external_id,
        "status": status.value,
        "placedAt": request.placed_at.isoformat(),
        "placedAtMs": int(request.placed_at.timestamp() * 1000),
        "serviceLevel": request.service_level.value,
        "promisedBy": plan.promised_by.isoformat() if plan.promised_by else None,
        "shippingCost": round(plan.total_cost, 2),
        "version": 1,
        "eventSeq": 1,
        "routing": codec.encode(plan.to_record()),
        "policy": plan.policy,
        "pickupAt": request.pickup_at,
        "pickupName": request.pickup_name,
        "region": region,
        "currency": next((line.currency for line in request.lines if line.currency), None),
        "createdAt": stamp,
        "updatedAt": stamp,
        "bodyDigest": body_digest,
        "placedBy": placed_by,
        "channelRulesVersion": rules_version,
        "routingPolicyId": None if routing_policy is None else routing_policy[0],
        "routingPolicyVersion": None if routing_policy is None else routing_policy[1],
        "customerTier": request.customer_tier,
        "customerEmail": request.customer_email,
        **(
            {}
            if ship_to is None
            else {
                "shipToName": ship_to.name,
                "shipToLine1": ship_to.line1,
                "shipToLine2": ship_to.line2,
                "shipToCity": ship_to.city,
                "shipToRegion": ship_to.region,
                "shipToPostalCode": ship_to.postal_code,
                "shipToCountry": ship_to.country,
            }
        ),
    }
    return _present(order)


def held_properties(until: datetime) -> dict[str, Any]:
    """An order held for a batch allocation wave (issue #18): ``heldUntilMs`` (the wave's end)
    marks it until the wave routes it; the backorder allocator passes it by."""
    return {
        "heldUntil": until.astimezone(UTC).isoformat(),
        "heldUntilMs": int(until.timestamp() * 1000),
    }


def line_properties(
    line_id: str, position: int, line: OrderLine, allocated: int, status: OrderStatus
) -> dict[str, Any]:
    """The properties of a new ``:OrderLine`` (``position`` from 1) with ``allocated`` of its
    units allocated and the rest backordered."""
    return _present(
        {
            "id": line_id,
            "position": position,
            "sku": line.sku,
            "quantity": line.quantity,
            "allocated": allocated,
            "backordered": line.quantity - allocated,
            "cancelled": 0,
            "unitPrice": None if line.unit_price is None else str(line.unit_price),
            "currency": line.currency,
            "status": status.value,
        }
    )


def fulfillment_params(
    fulfillment_id: str, shipment: PlannedShipment, ships: Sequence[tuple[str, int]], at: str
) -> dict[str, Any]:
    """A new fulfillment as ``new_fulfillments`` creates it: the location it ships from, the
    (line id, units) it ships and its properties (an OPEN fulfillment created at ``at``)."""
    return {
        "location": shipment.location_id,
        "lines": [{"line": line_id, "quantity": quantity} for line_id, quantity in ships],
        "props": _present(
            {
                "id": fulfillment_id,
                "status": "OPEN",
                "carrier": shipment.carrier,
                "service": shipment.service,
                "shipBy": shipment.ship_by.isoformat(),
                "estimatedDelivery": shipment.estimated_delivery.isoformat(),
                "readyBy": shipment.ready_by.isoformat() if shipment.ready_by else None,
                "cost": shipment.cost,
                "locationId": shipment.location_id,
                "createdAt": at,
            }
        ),
    }


def shipment_params(
    order_id: str,
    number: int,
    shipment: PlannedShipment,
    ships: Sequence[tuple[str, int]],
    at: str,
) -> list[dict[str, Any]]:
    """The fulfillments one planned shipment becomes, numbered from ``number``: one, or for a
    transfer-then-pickup (``shipment.via``) two (docs/transfers.md): the TRANSFER from the
    source to the store (it holds the reservation at the source) and the pickup at the store,
    AWAITING_TRANSFER (it holds nothing until the transfer is received). Both ship the lines;
    each names the other."""
    first = f"{order_id}-F{number}"
    if shipment.via is None:
        return [fulfillment_params(first, shipment, ships, at)]
    second = f"{order_id}-F{number + 1}"
    transfer = fulfillment_params(first, shipment, ships, at)
    transfer["props"] |= _present(
        {
            "kind": FulfillmentKind.TRANSFER.value,
            "toLocation": shipment.via,
            "pickupId": second,
            "estimatedDelivery": None if shipment.arrives is None else str(shipment.arrives),
        }
    )
    transfer["props"].pop("readyBy", None)
    pickup = {
        "location": shipment.via,
        "lines": transfer["lines"],
        "props": _present(
            {
                "id": second,
                "status": FulfillmentStatus.AWAITING_TRANSFER.value,
                "kind": FulfillmentKind.PICKUP.value,
                "carrier": PICKUP,
                "service": PICKUP,
                "shipBy": shipment.estimated_delivery.isoformat(),
                "estimatedDelivery": shipment.estimated_delivery.isoformat(),
                "readyBy": shipment.ready_by.isoformat() if shipment.ready_by else None,
                "cost": 0.0,
                "locationId": shipment.via,
                "transferId": first,
                "createdAt": at,
            }
        ),
    }
    return [transfer, pickup]


def preorder_params(fulfillment_id: str, preorder: Preorder, at: str) -> dict[str, Any]:
    """A new PREORDER fulfillment: ``fulfillment_params`` of its shipment, sold against the
    inbound line ``inboundId`` expected on ``expectedAt`` (its dates are the preorder
    promise)."""
    made = fulfillment_params(fulfillment_id, preorder.shipment, preorder.ships, at)
    made["props"] |= {
        "status": FulfillmentStatus.PREORDER.value,
        "inboundId": preorder.inbound_id,
        "expectedAt": preorder.expected_at.isoformat(),
        "transitDays": preorder.shipment.transit_days,  # to promise it again from a new date
    }
    return made


def _present(properties: Mapping[str, Any]) -> dict[str, Any]:
    """The properties to store: a null one is simply not written."""
    return {k: v for k, v in properties.items() if v is not None}


ORDER_FIELDS = (
    "id",
    "channel",
    "externalId",
    "status",
    "placedAt",
    "serviceLevel",
    "promisedBy",
    "originalPromisedBy",
    "shippingCost",
    "version",
    "routing",
    "pickupAt",
    "pickupName",
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
    "placedBy",
    "channelRulesVersion",
    "heldUntil",
    "routingPolicyId",
    "routingPolicyVersion",
    "customerTier",
    "customerEmail",
)
ORDER = projection("o", ORDER_FIELDS)
LINE_FIELDS = (
    "id",
    "sku",
    "quantity",
    "allocated",
    "backordered",
    "cancelled",
    "unitPrice",
    "currency",
    "status",
    "position",
)
LINE = projection("ol", LINE_FIELDS)
FULFILLMENT = (
    "f {.id, .status, .carrier, .service, .shipBy, .estimatedDelivery, .readyBy, .cost, "
    ".trackingNumber, .locationId, .createdAt, .asn, .inboundId, .expectedAt, .arrived, "
    ".labelUrl, .labelFormat, .labelVoidedAt, .stage, .picked, .boxes, .kind, .toLocation, "
    ".transferId, .pickupId, .receivedAt}"
)
EVENT = "e {.id, .type, .orderId, .sequence, .at, .atMs, .payload}"


async def order_ids_by(
    store: GraphStore, order_id: str | None, channel_external_id: str | None
) -> str | None:
    rows = await store.read(
        "OPTIONAL MATCH (x:Order {id: $id}) OPTIONAL MATCH (y:Order {channelExternalId: $cx}) "
        "RETURN coalesce(x.id, y.id) AS id",
        {"id": order_id or "", "cx": channel_external_id or ""},
    )
    return rows[0]["id"] if rows else None


async def order_proof(store: GraphStore, order_id: str) -> tuple[str, str | None] | None:
    """(channel, ship-to postal code) of an order, if it exists: what a shopper's proof is
    checked against, read alone so that a wrong proof costs what an unknown order costs."""
    rows = await store.read(
        "MATCH (o:Order {id: $id}) RETURN o.channel AS channel, o.shipToPostalCode AS postal",
        {"id": order_id},
    )
    return (rows[0]["channel"], rows[0]["postal"]) if rows else None


async def order_digest_by(
    store: GraphStore, channel_external_id: str
) -> tuple[str, str | None] | None:
    """(id, bodyDigest) of the order placed with this (channel, externalId), if any."""
    rows = await store.read(
        "MATCH (o:Order {channelExternalId: $cx}) RETURN o.id AS id, o.bodyDigest AS digest",
        {"cx": channel_external_id},
    )
    return (rows[0]["id"], rows[0]["digest"]) if rows else None


async def orders_by_id(store: GraphStore, ids: Sequence[str]) -> list[OrderRecord | None]:
    rows = await by_ids(store, "Order", ORDER_FIELDS, ids)
    return [None if row is None else OrderRecord.from_row(row) for row in rows]


async def per_order(
    store: GraphStore, ids: Sequence[str], pattern: str, returns: str
) -> list[list[Row]]:
    """For a DataLoader: the rows of what each order reaches by ``pattern`` (from
    ``(o:Order)``), read in one statement (``returns``: the columns); one list per id asked, in
    that order (empty for an unknown id)."""
    rows = await store.read(
        f"UNWIND $ids AS id MATCH (o:Order {{id: id}}){pattern} RETURN id, {returns}",
        {"ids": list(ids)},
    )
    grouped: dict[str, list[Row]] = {i: [] for i in ids}
    for row in rows:
        grouped[row["id"]].append(row)
    return [grouped[i] for i in ids]


async def lines_by_order(store: GraphStore, ids: Sequence[str]) -> list[list[LineRecord]]:
    found = await per_order(store, ids, "-[:HAS_LINE]->(ol:OrderLine)", f"{LINE} AS line")
    lines = [[LineRecord.from_row(row["line"]) for row in rows] for rows in found]
    return [sorted(each, key=lambda line: (line.position, line.id)) for each in lines]


async def fulfillments_by_order(
    store: GraphStore, ids: Sequence[str]
) -> list[list[FulfillmentRecord]]:
    found = await per_order(
        store,
        ids,
        "-[:HAS_FULFILLMENT]->(f:Fulfillment)",
        f"{FULFILLMENT} AS f, [(f)-[sh:SHIPS]->(ol:OrderLine) | "
        "{sku: ol.sku, quantity: sh.quantity, line: ol.id}] AS lines",
    )
    made = [[FulfillmentRecord.from_row(row["f"], row["lines"]) for row in rows] for rows in found]
    return [sorted(each, key=lambda f: f.id) for each in made]


async def events_by_order(store: GraphStore, ids: Sequence[str]) -> list[list[EventRecord]]:
    found = await per_order(store, ids, "-[:HAS_EVENT]->(e:Event)", f"{EVENT} AS e")
    made = [[EventRecord.from_row(row["e"]) for row in rows] for rows in found]
    return [sorted(each, key=lambda e: e.sequence) for each in made]


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
) -> list[OrderRecord]:
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
    return [OrderRecord.from_row(row["o"]) for row in rows]


async def pickup_location(store: GraphStore, location_id: str) -> LocationRecord | None:
    """The location a pickup order names (open or not), or None if there is no such location."""
    rows = await store.read(
        f"MATCH (l:Location {{id: $id}}) RETURN {LOCATION} AS l", {"id": location_id}
    )
    return LocationRecord.from_row(rows[0]["l"]) if rows else None


async def capacity_used(store: GraphStore, keys: Sequence[str]) -> dict[str, int]:
    """Shipments already counted on these capacity days (absent: none yet)."""
    if not keys:
        return {}
    rows = await store.read(
        "MATCH (d:CapacityDay) WHERE d.id IN $keys RETURN d.id AS id, d.used AS used",
        {"keys": list(keys)},
    )
    return {str(r["id"]): int(r["used"] or 0) for r in rows}
