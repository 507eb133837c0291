"""Cypher for X12 856 ship notices: the partner record on an order, and the stored ASN."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ordergraph.graph.records.asn import PartnerRecord, ShipmentRecord
from ordergraph.graph.store import GraphStore

SET_PARTNER = "MATCH (o:Order {id: $id}) SET o.x12 = $x12 RETURN o.id AS id"

PARTNERS = """
UNWIND $keys AS key
MATCH (o:Order {channelExternalId: key})
RETURN o.id AS id, o.x12 AS x12
"""

SHIPMENT = """
MATCH (o:Order)-[:HAS_FULFILLMENT]->(f:Fulfillment {id: $id})
RETURN o.id AS order, o.x12 AS x12, f.locationId AS location, f.carrier AS carrier,
       f.trackingNumber AS tracking,
       f.shippedAt AS shippedAt, f.asn AS asn,
       [(f)-[sh:SHIPS]->(ol:OrderLine) | {line: ol.id, sku: ol.sku, quantity: sh.quantity}]
         AS lines
"""

# The ASN and its event in one statement; once per shipment (a second run finds f.asn set).
STORE_ASN = """
MATCH (o:Order {id: $order})-[:HAS_FULFILLMENT]->(f:Fulfillment {id: $id})
WHERE f.asn IS NULL
SET f.asn = $asn, o.eventSeq = o.eventSeq + 1, o.version = o.version + 1
CREATE (o)-[:HAS_EVENT]->(e:Event)
SET e.id = o.id + '-E' + toString(o.eventSeq), e.type = 'ShipNoticeCreated',
    e.orderId = o.id, e.sequence = o.eventSeq, e.at = $at, e.atMs = $atMs, e.pending = true,
    e.payload = $payload
RETURN e.id AS id
"""


async def set_partner(store: GraphStore, order_id: str, record: PartnerRecord) -> None:
    await store.write(SET_PARTNER, {"id": order_id, **record.to_params()})


async def partners(
    store: GraphStore, channel_external_ids: Sequence[str]
) -> dict[str, PartnerRecord | None]:
    """The partner record of each order placed under one of these (channel, externalId) keys,
    in one read, by order id (None: the order keeps none; no order yet: not in the answer)."""
    rows = await store.read(PARTNERS, {"keys": list(channel_external_ids)})
    return {row["id"]: PartnerRecord.from_row(row) for row in rows}


async def shipment(store: GraphStore, fulfillment_id: str) -> ShipmentRecord | None:
    rows = await store.read(SHIPMENT, {"id": fulfillment_id})
    return ShipmentRecord.from_row(rows[0]) if rows else None


async def store_asn(
    store: GraphStore, order_id: str, fulfillment_id: str, asn: str, at: datetime, payload: str
) -> bool:
    """Store the 856 on the fulfillment with its event (``payload``, encoded) stamped ``at``;
    False if one was stored already."""
    params = {
        "order": order_id,
        "id": fulfillment_id,
        "asn": asn,
        "at": at.isoformat(),
        "atMs": int(at.timestamp() * 1000),
        "payload": payload,
    }
    return bool(await store.write(STORE_ASN, params))
