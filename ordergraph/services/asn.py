"""X12 856 ship notices: a trading partner's order that ships gets its ASN.

When an 850 becomes an order, the partner's envelope (ids, version, delimiters) and the PO line
number of each SKU are kept on the order (``x12``). When one of its fulfillments ships, the 856
is built from them with the next control number for that partner, stored on the fulfillment
(``asn``, readable as ``Fulfillment.asn``) and announced in a ``ShipNoticeCreated`` event, which the
partner's integration receives by webhook.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from ordergraph.connectors.x12 import (
    Asn,
    AsnLine,
    ControlNumbers,
    Delimiters,
    Endpoint,
    Envelope,
    PurchaseOrder850,
    build_856,
)
from ordergraph.graph import ingestion as controls
from ordergraph.graph.store import GraphStore


def partner_record(po: PurchaseOrder850) -> str:
    env, d = po.envelope, po.envelope.delimiters
    return json.dumps({
        "sender": [env.sender.qualifier, env.sender.id, env.sender.application_id],
        "receiver": [env.receiver.qualifier, env.receiver.id, env.receiver.application_id],
        "interchangeVersion": env.interchange_version, "groupVersion": env.group_version,
        "usage": env.usage, "poNumber": po.po_number,
        "delimiters": [d.element, d.component, d.segment, d.repetition, d.line_break],
        "lines": {line.sku: line.line_number for line in po.lines if line.sku},
    })


async def remember_partner(store: GraphStore, order_id: str, po: PurchaseOrder850) -> None:
    await store.write("MATCH (o:Order {id: $id}) SET o.x12 = $x12 RETURN o.id AS id",
                      {"id": order_id, "x12": partner_record(po)})


def _envelope(rec: dict[str, Any]) -> Envelope:
    element, component, segment, repetition, line_break = rec["delimiters"]
    inbound = Envelope(
        sender=Endpoint(*rec["sender"]), receiver=Endpoint(*rec["receiver"]),
        interchange_version=rec["interchangeVersion"], group_version=rec["groupVersion"],
        delimiters=Delimiters(element, component, segment, repetition, line_break),
        usage=rec["usage"],
    )
    return inbound.reply()


async def ship_notice(store: GraphStore, fulfillment_id: str, now: datetime | None = None) -> str | None:
    """Build, store and announce the 856 for a shipped fulfillment of an X12 order (else None)."""
    rows = await store.read(
        "MATCH (o:Order)-[:HAS_FULFILLMENT]->(f:Fulfillment {id: $id}) "
        "RETURN o.id AS order, o.x12 AS x12, f.carrier AS carrier, f.trackingNumber AS tracking, "
        "f.shippedAt AS shippedAt, f.asn AS asn, "
        "[(f)-[sh:SHIPS]->(ol:OrderLine) | {sku: ol.sku, quantity: sh.quantity}] AS lines",
        {"id": fulfillment_id},
    )
    if not rows or not rows[0]["x12"]:
        return None
    row = rows[0]
    if row["asn"]:
        return str(row["asn"])  # once per shipment
    rec = json.loads(row["x12"])
    envelope = _envelope(rec)
    now = now or datetime.now(UTC)
    shipped = date.fromisoformat(row["shippedAt"][:10]) if row["shippedAt"] else now.date()
    asn = Asn(
        po_number=rec["poNumber"], shipment_id=fulfillment_id, ship_date=shipped,
        carrier=(row["carrier"] or "UNKN")[:4].upper(), tracking_number=row["tracking"] or "",
        lines=tuple(AsnLine(rec["lines"].get(l["sku"], "1"), l["sku"], int(l["quantity"]))
                    for l in sorted(row["lines"], key=lambda l: l["sku"]) if l["quantity"]),
    )
    control = await controls.next_control_number(store, envelope.receiver.id)
    text = build_856(asn, envelope=envelope, controls=ControlNumbers(control, control, 1), when=now)
    await store.write(
        "MATCH (o:Order {id: $order})-[:HAS_FULFILLMENT]->(f:Fulfillment {id: $id}) "
        "SET f.asn = $asn, o.eventSeq = o.eventSeq + 1, o.version = o.version + 1 "
        "CREATE (o)-[:HAS_EVENT]->(e:Event) "
        "SET e.id = o.id + '-E' + toString(o.eventSeq), e.type = 'ShipNoticeCreated', "
        "e.orderId = o.id, e.sequence = o.eventSeq, e.at = $at, e.atMs = $atMs, e.pending = true, "
        "e.payload = $payload RETURN e.id AS id",
        {"order": row["order"], "id": fulfillment_id, "asn": text, "at": now.isoformat(),
         "atMs": int(now.timestamp() * 1000),
         "payload": json.dumps({"fulfillment": fulfillment_id, "format": "X12 856", "asn": text})},
    )
    return text
