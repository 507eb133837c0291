"""X12 856 ship notices: a trading partner's order that ships gets its ASN.

When an 850 becomes an order, the partner's envelope (ids, version, delimiters) and the PO line
number of each SKU are kept on the order (``x12``). When one of its fulfillments ships, the 856
is built from them with the next control number for that partner, stored on the fulfillment
(``asn``, readable as ``Fulfillment.asn``) and announced in a ``ShipNoticeCreated`` event, which the
partner's integration receives by webhook.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ordergraph.connectors.x12.envelope import ControlNumbers, Endpoint, Envelope
from ordergraph.connectors.x12.purchase_order import PurchaseOrder850
from ordergraph.connectors.x12.ship_notice import Asn, AsnLine, build_856
from ordergraph.connectors.x12.syntax import Delimiters
from ordergraph.domain import events
from ordergraph.graph import asn as graph_asn
from ordergraph.graph import ingestion as controls
from ordergraph.graph.records.asn import PartnerRecord
from ordergraph.graph.store import GraphStore


def partner_record(po: PurchaseOrder850) -> PartnerRecord:
    """What an order placed from ``po`` keeps for its 856s (each resolved SKU's PO101)."""
    env, d = po.envelope, po.envelope.delimiters
    return PartnerRecord(
        sender=(env.sender.qualifier, env.sender.id, env.sender.application_id),
        receiver=(env.receiver.qualifier, env.receiver.id, env.receiver.application_id),
        interchange_version=env.interchange_version,
        group_version=env.group_version,
        usage=env.usage,
        po_number=po.po_number,
        delimiters=(d.element, d.component, d.segment, d.repetition, d.line_break),
        lines={line.sku: line.line_number for line in po.lines if line.sku},
    )


def partner_lines(record: PartnerRecord | None) -> dict[str, str]:
    """PO101 -> SKU of the lines that ``partner_record`` kept (nothing kept: empty)."""
    return {} if record is None else record.skus_by_line


async def remember_partner(store: GraphStore, order_id: str, po: PurchaseOrder850) -> PartnerRecord:
    """Keep ``po``'s partner record on the order (replacing an earlier 850's); the record."""
    record = partner_record(po)
    await graph_asn.set_partner(store, order_id, record)
    return record


def _envelope(rec: PartnerRecord) -> Envelope:
    """The envelope of the 856: the 850's, sides swapped."""
    inbound = Envelope(
        sender=Endpoint(*rec.sender),
        receiver=Endpoint(*rec.receiver),
        interchange_version=rec.interchange_version,
        group_version=rec.group_version,
        delimiters=Delimiters(*rec.delimiters),
        usage=rec.usage,
    )
    return inbound.reply()


async def ship_notice(
    store: GraphStore, fulfillment_id: str, now: datetime | None = None
) -> str | None:
    """Build, store and announce the 856 for a shipped fulfillment of an X12 order (else None)."""
    shipment = await graph_asn.shipment(store, fulfillment_id)
    if shipment is None or shipment.partner is None:
        return None
    if shipment.asn:
        return shipment.asn  # once per shipment
    partner = shipment.partner
    envelope = _envelope(partner)
    now = now or datetime.now(UTC)
    asn = Asn(
        po_number=partner.po_number,
        shipment_id=fulfillment_id,
        ship_date=(shipment.shipped_at or now).date(),
        carrier=(shipment.carrier or "UNKN")[:4].upper(),
        tracking_number=shipment.tracking or "",
        lines=tuple(
            AsnLine(partner.lines.get(ln.sku, "1"), ln.sku, ln.quantity)
            for ln in shipment.lines
            if ln.quantity
        ),
    )
    control = await controls.next_control_number(store, envelope.receiver.id)
    text = build_856(asn, envelope=envelope, controls=ControlNumbers(control, control, 1), when=now)
    payload = events.encode(events.ship_notice_created(fulfillment_id, shipment.location, text))
    if not await graph_asn.store_asn(store, shipment.order, fulfillment_id, text, now, payload):
        # another run stored its notice first: that one stands
        again = await graph_asn.shipment(store, fulfillment_id)
        return None if again is None else again.asn
    return text
