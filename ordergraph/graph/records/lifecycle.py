"""The lifecycle's side of the record boundary: an order's whole state as the rules read it, and
the properties a ``Change`` writes.

``order_state`` reads what ``graph/lifecycle.py: ORDER_STATE`` returns through the order's
records (``OrderRecord``, ``LineRecord``, ``FulfillmentRecord``), plus the few properties only
the lifecycle reads: the order's event sequence, routing policy, region and who placed it, the
lines' returned units and when each fulfillment was created.

``change_params`` turns a Change's typed values into the parameters of ``APPLY_CHANGE``; with
``event_params`` and ``new_fulfillment_params`` it is the one place they become properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ordergraph.domain import events
from ordergraph.domain import lifecycle as lc
from ordergraph.domain.atp import DEFAULT_RULES, Seller
from ordergraph.domain.orders import Address
from ordergraph.domain.orders import FulfillmentStatus as F
from ordergraph.graph.orders import atp_params, shipment_params
from ordergraph.graph.records.orders import FulfillmentRecord, LineRecord, OrderRecord
from ordergraph.graph.records.returns import ReturnRecord, receipt_params, returned_params

__all__ = ["change_params", "event_params", "new_fulfillment_params", "order_state"]

# the property that records when a fulfillment reached a status, and the one for why
STAMPS = {
    F.RELEASED: "releasedAt",
    F.SHIPPED: "shippedAt",
    F.DELIVERED: "deliveredAt",
    F.REJECTED: "rejectedAt",
    F.CANCELLED: "cancelledAt",
}
REASONS = {F.REJECTED: "rejectReason", F.CANCELLED: "cancelReason"}


def order_state(row: Mapping[str, Any]) -> lc.OrderState:
    """The state of ``ORDER_STATE``'s row: lines by position, fulfillments by number."""
    props = row["o"]
    order = OrderRecord.from_row(props)
    ship_to = order.ship_to
    return lc.OrderState(
        id=order.id,
        version=order.version,
        event_seq=int(props.get("eventSeq") or 0),
        status=order.status,
        terms=lc.OrderTerms(
            channel=order.channel,
            service_level=order.service_level,
            ship_to=None
            if ship_to is None
            else Address(
                ship_to.postal_code,
                ship_to.country,
                ship_to.name,
                ship_to.line1,
                ship_to.line2,
                ship_to.city,
                ship_to.region,
            ),
            pickup_at=order.pickup_at,
            # the policy it was routed under (not a fallback that made the plan), so that its
            # rules apply again; orders from before versioned policies stored only ``policy``
            policy=props.get("routingPolicyId") or props.get("policy"),
            region=props.get("region"),
            placed_by=props.get("placedBy"),
            held=order.held_until is not None,
            customer_tier=props.get("customerTier"),
        ),
        lines=sorted(
            (_line(line) for line in row["lines"]), key=lambda line: (line.position, line.id)
        ),
        fulfillments=sorted(
            (_fulfillment(f["f"], f["ships"]) for f in row["fulfillments"]),
            key=lambda f: lc.fulfillment_number(f.id),
        ),
    )


def _line(props: Mapping[str, Any]) -> lc.LineState:
    rec = LineRecord.from_row(props)
    return lc.LineState(
        rec.id,
        rec.sku,
        rec.quantity,
        rec.allocated,
        rec.backordered,
        rec.cancelled,
        rec.unit_price,
        rec.currency,
        rec.position,
        returned=int(props.get("returned") or 0),
    )


def _fulfillment(props: Mapping[str, Any], ships: list[Mapping[str, Any]]) -> lc.FulfillmentState:
    rec = FulfillmentRecord.from_row(props, ships)
    created_at = props.get("createdAt")
    return lc.FulfillmentState(
        rec.id,
        rec.location_id,
        rec.status,
        {li.line: li.quantity for li in rec.lines},
        None if created_at is None else datetime.fromisoformat(created_at),
        rec.estimated_delivery,
        rec.inbound_id,
        int(props.get("arrived") or 0),
        rec.stage,
        rec.picked,
        rec.boxes,
        kind=rec.kind,
        transfer_id=rec.transfer_id,
        pickup_id=rec.pickup_id,
        to_location=rec.to_location,
    )


# A change that reserves nothing new names no seller: its ``$atp`` is never consulted.
NO_SELLER = Seller("", DEFAULT_RULES, 0, date.min)


def change_params(change: lc.Change) -> dict[str, Any]:
    """The parameters of ``APPLY_CHANGE`` for ``change``."""
    return {
        "atp": atp_params(change.seller or NO_SELLER),
        "orderId": change.order_id,
        "version": change.version,
        "order": _order_params(change.order),
        "stock": [
            {"location": s.location, "sku": s.sku, "reserved": s.reserved, "onHand": s.on_hand}
            for s in sorted(change.stock, key=lambda s: (s.location, s.sku))  # one lock order
        ],
        "capacity": sorted(change.capacity, key=lambda c: c["key"]),
        "lines": [_line_params(u) for u in change.lines]
        + [u for r in change.returns for u in returned_params(r)],
        "fulfillments": [{"id": m.id, "props": _move_params(m)} for m in change.fulfillments]
        + [{"id": u.id, "props": _stage_params(u)} for u in change.stages],
        "ships": [
            {"fulfillment": s.fulfillment, "line": s.line, "quantity": s.quantity}
            for s in change.ships
        ],
        "newFulfillments": [p for f in change.new_fulfillments for p in new_fulfillment_params(f)],
        "events": [event_params(e) for e in change.events],
        "newReturns": [
            {"location": r.location, "props": ReturnRecord.requested(r).to_params()}
            for r in change.new_returns
        ],
        "returns": [{"id": r.id, "props": receipt_params(r)} for r in change.returns],
        "preorders": [{"inbound": p.inbound, "quantity": p.quantity} for p in change.preorders],
        "inboundIds": sorted({p.inbound for p in change.preorders}),
        "locationIds": sorted(
            {f.location for f in change.new_fulfillments}
            | {f.shipment.via for f in change.new_fulfillments if f.shipment.via is not None}
            | {r.location for r in change.new_returns}
        ),
    }


def event_params(event: events.Event) -> dict[str, Any]:
    """The properties of an ``:Event`` (``EventRecord.from_row`` reads them back)."""
    return {
        "id": event.id,
        "type": event.type,
        "orderId": event.order_id,
        "sequence": event.sequence,
        "at": event.at.isoformat(),
        "atMs": int(event.at.timestamp() * 1000),
        "pending": True,  # not yet delivered to webhooks
        "payload": events.encode(event.payload),
    }


def new_fulfillment_params(new: lc.NewFulfillment) -> list[dict[str, Any]]:
    """A re-route's new fulfillment as ``graph.orders.new_fulfillments`` creates it, with the
    properties a placement's have (``graph.orders.shipment_params``): two for a transfer, then
    pickup (the TRANSFER is ``new.id``, its pickup numbered next)."""
    order_id, _, _ = new.id.rpartition("-F")
    return shipment_params(
        order_id,
        lc.fulfillment_number(new.id),
        new.shipment,
        new.ships,
        new.created_at.isoformat(),
    )


def _order_params(update: lc.OrderUpdate) -> dict[str, Any]:
    props: dict[str, Any] = {}
    if update.status is not None:
        props["status"] = update.status.value
    if update.version is not None:
        props["version"] = update.version
    if update.event_seq is not None:
        props["eventSeq"] = update.event_seq
    if update.updated_at is not None:
        props["updatedAt"] = update.updated_at.isoformat()
    if update.promised_by is not None:
        props["promisedBy"] = update.promised_by.isoformat()
    if update.ship_to is not None:  # every part: one the new address lacks is removed
        ship_to = update.ship_to
        props |= {
            "shipToPostalCode": ship_to.postal_code,
            "shipToCountry": ship_to.country,
            "shipToName": ship_to.name,
            "shipToLine1": ship_to.line1,
            "shipToLine2": ship_to.line2,
            "shipToCity": ship_to.city,
            "shipToRegion": ship_to.region,
        }
    if update.service_level is not None:
        props["serviceLevel"] = update.service_level.value
    if update.pickup_at is not None:
        props["pickupAt"] = update.pickup_at
    if update.release_hold:  # null removes the properties
        props |= {"heldUntil": None, "heldUntilMs": None}
    return props


def _line_params(update: lc.LineUpdate) -> dict[str, Any]:
    return {
        "id": update.id,
        "props": {
            "quantity": update.quantity,
            "allocated": update.allocated,
            "backordered": update.backordered,
            "cancelled": update.cancelled,
            "status": update.status,
        },
    }


def _move_params(move: lc.FulfillmentMove) -> dict[str, Any]:
    props = {
        "status": move.status.value,
        STAMPS.get(move.status, "updatedAt"): move.at.isoformat(),
        "trackingNumber": move.tracking_number,
        "carrier": move.carrier,
        "arrived": move.arrived,
    }
    if move.status in REASONS:
        props[REASONS[move.status]] = move.reason
    return {k: v for k, v in props.items() if v is not None}


def _stage_params(update: lc.StageUpdate) -> dict[str, Any]:
    """A fulfillment's store-floor progress; a None stage or boxes removes the property."""
    return {
        "stage": update.stage,
        "picked": list(update.picked),
        "boxes": update.boxes,
        "stagedAt": update.at.isoformat(),
    }
