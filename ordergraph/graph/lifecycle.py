"""Cypher for the order lifecycle: read an order's whole state, apply a Change atomically.

``APPLY_CHANGE`` starts with the same guard as the reserve-and-create statement
(``graph/fragments.py: reserve_guard``, CYPHER.md), in its existing-order, signed-delta form:
it takes the write locks on the order, the stock positions and the capacity days it
touches, decides ``ok`` (the order's version is the one read; every reservation it adds is still
available; on-hand and reserved never go below zero; capacity is left), applies the stock deltas
only when ok, and then every property update, new fulfillment and event. When not ok it returns no
row and changes nothing, and the service reads again and decides again.
"""

from __future__ import annotations

from collections.abc import Sequence

from ordergraph.domain.lifecycle import Change, OrderState
from ordergraph.graph.fragments import RESERVE_CHANGE, projection
from ordergraph.graph.orders import FULFILLMENT, LINE_FIELDS, NEW_FULFILLMENTS, ORDER
from ordergraph.graph.records.catalog import StockRecord
from ordergraph.graph.records.lifecycle import change_params
from ordergraph.graph.records.lifecycle import order_state as state_of
from ordergraph.graph.store import GraphStore, Row

ORDER_STATE = f"""
MATCH (o:Order {{id: $id}})
OPTIONAL MATCH (o)-[:HAS_FULFILLMENT]->(f:Fulfillment)
WITH o, f, CASE WHEN f IS NULL THEN [] ELSE
  [(f)-[sh:SHIPS]->(x:OrderLine) | {{line: x.id, sku: x.sku, quantity: sh.quantity}}] END
  AS ships
WITH o,
  collect(CASE WHEN f IS NULL THEN null ELSE {{f: {FULFILLMENT}, ships: ships}} END) AS fulfillments
RETURN {ORDER} AS o,
  [(o)-[:HAS_LINE]->(ol:OrderLine) | {projection("ol", (*LINE_FIELDS, "returned"))}]
  AS lines,
  fulfillments
"""


async def order_state(store: GraphStore, order_id: str) -> OrderState | None:
    """The order's whole state as the rules decide on it, or None if there is no such order."""
    rows = await store.read(ORDER_STATE, {"id": order_id})
    return state_of(rows[0]) if rows else None


def _apply_change(preorders: str) -> str:
    return (
        RESERVE_CHANGE
        + """SET o += $order
FOREACH (e IN $events | CREATE (o)-[:HAS_EVENT]->(ev:Event) SET ev += e)
WITH o
OPTIONAL MATCH (o)-[:HAS_LINE]->(ol:OrderLine)
WITH o, collect(ol) AS ols
OPTIONAL MATCH (o)-[:HAS_FULFILLMENT]->(ef:Fulfillment)
WITH o, ols, collect(ef) AS fs
OPTIONAL MATCH (o)-[:HAS_RETURN]->(er:Return)
WITH o, ols, fs, collect(er) AS rs
OPTIONAL MATCH (loc:Location) WHERE loc.id IN $locationIds
WITH o, ols, fs, rs, collect(loc) AS locs
"""
        + preorders
        + """FOREACH (r IN $newReturns |
  CREATE (o)-[:HAS_RETURN]->(rt:Return)
  SET rt += r.props
  FOREACH (l IN [y IN locs WHERE y.id = r.location] | CREATE (rt)-[:TO]->(l)))
FOREACH (u IN $returns | FOREACH (rt IN [y IN rs WHERE y.id = u.id] | SET rt += u.props))
FOREACH (u IN $lines | FOREACH (ol IN [y IN ols WHERE y.id = u.id] | SET ol += u.props))
FOREACH (u IN $fulfillments | FOREACH (f IN [y IN fs WHERE y.id = u.id] | SET f += u.props))
FOREACH (u IN $ships |
  FOREACH (f IN [y IN fs WHERE y.id = u.fulfillment] |
    FOREACH (ol IN [y IN ols WHERE y.id = u.line] |
      MERGE (f)-[sh:SHIPS]->(ol)
      SET sh.quantity = u.quantity)))
"""
        + NEW_FULFILLMENTS
        + "RETURN o.id AS id\n"
    )


APPLY_CHANGE = _apply_change("")
# A change that gives preorder units back to their inbound lines (a cancel): each line's
# ``preordered`` falls by them (written after the guard, under the order's lock).
APPLY_PREORDER_CHANGE = _apply_change(
    """OPTIONAL MATCH (inb:Inbound) WHERE inb.id IN $inboundIds
WITH o, ols, fs, rs, locs, collect(inb) AS inbs
FOREACH (p IN $preorders | FOREACH (i IN [y IN inbs WHERE y.id = p.inbound] |
  SET i.preordered = CASE WHEN i.preordered > p.quantity THEN i.preordered - p.quantity
                          ELSE 0 END))
"""
)


async def apply_change(store: GraphStore, change: Change) -> bool:
    """Write ``change``; False (nothing written) when the guard said no (see the docstring)."""
    statement = APPLY_PREORDER_CHANGE if change.preorders else APPLY_CHANGE
    return bool(await store.write(statement, change_params(change)))


BACKORDERED_ORDERS = """
UNWIND $skus AS sku
MATCH (o:Order)-[:HAS_LINE]->(ol:OrderLine {sku: sku})
WHERE ol.backordered > 0 AND o.status IN ['BACKORDERED', 'PARTIALLY_ALLOCATED']
  AND o.heldUntilMs IS NULL
RETURN DISTINCT o.id AS id, o.placedAtMs AS placedAtMs
ORDER BY placedAtMs, id
LIMIT $limit
"""

ALL_BACKORDERED_ORDERS = """
MATCH (o:Order)
WHERE o.status IN ['BACKORDERED', 'PARTIALLY_ALLOCATED'] AND o.heldUntilMs IS NULL
RETURN o.id AS id, o.placedAtMs AS placedAtMs
ORDER BY placedAtMs, id
LIMIT $limit
"""


async def backordered_orders(store: GraphStore, skus: list[str] | None, limit: int) -> list[str]:
    """Orders waiting for stock, oldest first (first come, first served)."""
    if skus is None:
        rows = await store.read(ALL_BACKORDERED_ORDERS, {"limit": limit})
    else:
        rows = await store.read(BACKORDERED_ORDERS, {"skus": skus, "limit": limit})
    return [row["id"] for row in rows]


RESERVATION_HOLDERS = """
MATCH (:Location {id: $location})<-[:FROM]-(f:Fulfillment)-[sh:SHIPS]->(ol:OrderLine {sku: $sku})
WHERE f.status IN ['OPEN', 'RELEASED'] AND sh.quantity > 0
MATCH (o:Order)-[:HAS_FULFILLMENT]->(f)
RETURN o.id AS order, f.id AS fulfillment, f.status AS status, f.createdAt AS createdAt,
       sh.quantity AS quantity
ORDER BY CASE WHEN f.status = 'OPEN' THEN 0 ELSE 1 END, createdAt DESC, fulfillment DESC
LIMIT $limit
"""


async def reservation_holders(
    store: GraphStore, location: str, sku: str, limit: int = 200
) -> list[Row]:
    """Open reservations of ``sku`` at ``location``: OPEN before RELEASED, newest first."""
    return await store.read(RESERVATION_HOLDERS, {"location": location, "sku": sku, "limit": limit})


STOCK_POSITIONS = """
UNWIND $keys AS key
MATCH (:Location {id: key[0]})-[s:STOCKS]->(:Sku {id: key[1]})
RETURN key[0] AS location, key[1] AS sku, s.onHand AS onHand, s.reserved AS reserved,
       s.safetyStock AS safetyStock
"""


async def stock_positions(store: GraphStore, keys: list[tuple[str, str]]) -> list[StockRecord]:
    """The stock positions ``(location, sku)`` as they are now (missing ones left out)."""
    rows = await store.read(STOCK_POSITIONS, {"keys": [list(k) for k in keys]})
    return [StockRecord.from_row(row) for row in rows]


async def unbacked_positions(store: GraphStore, limit: int = 10000) -> list[tuple[str, str]]:
    """Stock positions with fewer units on hand than reserved (one pass over STOCKS)."""
    rows = await store.read(
        "MATCH (l:Location)-[s:STOCKS]->(k:Sku) WHERE s.reserved > s.onHand "
        "RETURN l.id AS location, k.id AS sku ORDER BY location, sku LIMIT $limit",
        {"limit": limit},
    )
    return [(str(r["location"]), str(r["sku"])) for r in rows]


async def order_of_fulfillment(store: GraphStore, fulfillment_id: str) -> str | None:
    rows = await store.read(
        "MATCH (o:Order)-[:HAS_FULFILLMENT]->(:Fulfillment {id: $id}) RETURN o.id AS id",
        {"id": fulfillment_id},
    )
    return str(rows[0]["id"]) if rows else None


async def fulfillment_location(store: GraphStore, fulfillment_id: str) -> str | None:
    """The id of the location the fulfillment ships from, or None if there is no such
    fulfillment."""
    rows = await store.read(
        "MATCH (f:Fulfillment {id: $id}) RETURN f.locationId AS location", {"id": fulfillment_id}
    )
    return str(rows[0]["location"]) if rows else None


async def acting_location(store: GraphStore, fulfillment_id: str) -> str | None:
    """Where a fulfillment is worked on: a TRANSFER is received at its store, any other at its
    own location; None if there is no such fulfillment."""
    rows = await store.read(
        "MATCH (f:Fulfillment {id: $id}) RETURN coalesce(f.toLocation, f.locationId) AS location",
        {"id": fulfillment_id},
    )
    return str(rows[0]["location"]) if rows else None


async def ensure_positions(store: GraphStore, positions: Sequence[tuple[str, str]]) -> None:
    """Create the empty stock positions (location, SKU) that do not exist yet: where a received
    transfer's units go (docs/transfers.md). An existing position is left as it is."""
    if not positions:
        return
    await store.write(
        "UNWIND $rows AS r MATCH (l:Location {id: r.location}) MATCH (k:Sku {id: r.sku}) "
        "MERGE (l)-[s:STOCKS]->(k) "
        "ON CREATE SET s.onHand = 0, s.reserved = 0, s.safetyStock = 0 "
        "RETURN count(s) AS n",
        {"rows": [{"location": loc, "sku": sku} for loc, sku in sorted(set(positions))]},
    )
