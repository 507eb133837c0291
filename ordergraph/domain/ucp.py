"""Availability in the words of the Universal Commerce Protocol (UCP): what a shopping assistant
says about a SKU near a shopper.

- ``in_stock``: more than ``LOW_STOCK`` units can be promised;
- ``low_stock``: 1 to ``LOW_STOCK`` units;
- ``backorder``: none now, but the SKU is carried (it has stock positions, or inbound supply is
  on its way) and an order for it waits for the next units (the channel's partial policy
  decides at checkout);
- ``preorder``: none now, but the channel sells inbound supply (``sellInbound``) and some is
  left to preorder (docs/channel-atp.md, "Preorders");
- ``out_of_stock``: none, and no location carries it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import Enum

LOW_STOCK = 5


class StockStatus(str, Enum):
    IN_STOCK = "in_stock"
    LOW_STOCK = "low_stock"
    BACKORDER = "backorder"
    PREORDER = "preorder"
    OUT_OF_STOCK = "out_of_stock"


def stock_status(available: int, *, carried: bool, inbound: bool = False) -> StockStatus:
    """The word for ``available`` units (near the shopper, or in total)."""
    if available > LOW_STOCK:
        return StockStatus.IN_STOCK
    if available > 0:
        return StockStatus.LOW_STOCK
    if inbound:
        return StockStatus.PREORDER
    return StockStatus.BACKORDER if carried else StockStatus.OUT_OF_STOCK


def restock_date(inbound: Iterable[tuple[date, int]]) -> date | None:
    """When units come in next: the earliest expected date of the inbound lines ``(expected
    date, units still to receive)`` that still have units to receive."""
    return min((day for day, to_receive in inbound if to_receive > 0), default=None)
