"""Statuses derived, never set by hand: of an order line and of an order.

* At placement, an order (all its units) and each of its lines is ``ALLOCATED`` when every unit
  is allocated, ``BACKORDERED`` when none is, ``PARTIALLY_ALLOCATED`` otherwise
  (``status_after_allocation``).
* After every lifecycle change, a line's status follows from its open (not cancelled) units and
  how many of them shipped and were delivered (``line_status``), and the order's from its lines and
  fulfillments (``order_status``): see DOMAIN.md, "Order lifecycle".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ordergraph.domain.orders import FulfillmentKind as K
from ordergraph.domain.orders import FulfillmentStatus as F
from ordergraph.domain.orders import OrderStatus as O

if TYPE_CHECKING:
    from ordergraph.domain.lifecycle import LineState, OrderState

OPEN_STATES = frozenset({F.OPEN, F.RELEASED})  # fulfillments that hold a reservation


def status_after_allocation(ordered: int, allocated: int) -> O:
    """The status of ``ordered`` units of which ``allocated`` are allocated (an order or a line)."""
    if allocated == 0:
        return O.BACKORDERED
    return O.ALLOCATED if allocated >= ordered else O.PARTIALLY_ALLOCATED


def line_status(line: LineState, shipped: int, delivered: int) -> str:
    if line.open_quantity == 0:
        return "CANCELLED"
    if delivered >= line.open_quantity:
        return "DELIVERED"
    if shipped >= line.open_quantity:
        return "SHIPPED"
    if line.backordered == 0:
        return "ALLOCATED"
    return "BACKORDERED" if line.allocated == 0 else "PARTIALLY_ALLOCATED"


def order_status(state: OrderState) -> O:
    """The order's status, derived from its lines and fulfillments (after a change)."""
    open_units = sum(line.open_quantity for line in state.lines)
    if open_units == 0:
        return O.CANCELLED
    delivered = sum(state.units(line.id, frozenset({F.DELIVERED})) for line in state.lines)
    shipped = sum(state.units(line.id, frozenset({F.SHIPPED, F.DELIVERED})) for line in state.lines)
    backordered = sum(line.backordered for line in state.lines)
    if delivered >= open_units:
        return O.DELIVERED
    if shipped >= open_units:
        return O.SHIPPED
    if shipped > 0:
        return O.PARTIALLY_SHIPPED
    allocated = sum(line.allocated for line in state.lines)
    if allocated == 0:
        return O.BACKORDERED
    if backordered > 0:
        return O.PARTIALLY_ALLOCATED
    waiting = (F.PREORDER, F.AWAITING_TRANSFER)  # a pickup awaiting its transfer: not released
    live = [
        f
        for f in state.fulfillments
        if (f.status in OPEN_STATES or f.status in waiting) and f.kind != K.TRANSFER
    ]
    if live and all(f.status == F.RELEASED for f in live):  # a preorder waiting: not released
        return O.RELEASED
    return O.ALLOCATED
