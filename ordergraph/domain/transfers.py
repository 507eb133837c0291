"""Transfer-then-pickup as the customer sees it (docs/transfers.md).

A pickup order whose store lacks stock may be served by a TRANSFER fulfillment from another
location to the store, then the pickup there. Operations see both fulfillments; the customer
(a storefront key: the shop, a shopping assistant) sees one pickup: the plan's transfer
shipments as pickups at the store, no TRANSFER fulfillment, no transfer events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ordergraph.domain.routing.types import PICKUP, RoutingPlan

__all__ = ["TRANSFER_EVENTS", "customer_event", "customer_plan"]

TRANSFER = "TRANSFER"
TRANSFER_EVENTS = frozenset({"TransferReleased", "TransferShipped", "TransferReceived"})


def customer_plan(plan: RoutingPlan) -> RoutingPlan:
    """``plan`` with each transfer-then-pickup shown as the pickup at its store: ready by the
    same time, at the same total cost."""
    shipments = tuple(
        s
        if s.via is None
        else replace(
            s,
            location_id=s.via,
            carrier=PICKUP,
            service=PICKUP,
            transit_days=0,
            ship_by=s.estimated_delivery,
            via=None,
            arrives=None,
        )
        for s in plan.shipments
    )
    return replace(plan, shipments=shipments)


def customer_event(kind: str, payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """An order event as the customer sees it: None for a transfer's own events; the TRANSFER
    fulfillments left out of the lists of new fulfillments."""
    if kind in TRANSFER_EVENTS:
        return None
    seen = dict(payload)
    items = seen.get("fulfillments")
    if isinstance(items, list):
        seen["fulfillments"] = [
            f for f in items if not isinstance(f, Mapping) or f.get("kind") != TRANSFER
        ]
    return seen
