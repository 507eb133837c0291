"""Preorders beyond placement: what a channel that sells inbound may preorder, per location
and SKU (``availability``), and re-promising a line's preorders when its date moves.

For a channel with ``sellInbound``, ``inboundRemaining(l, s)`` (DOMAIN.md: inbound neither
received nor preordered) at every active location of its sourcing is preorder availability,
promised from the earliest line with units left: it ships on ``domain.preorder``'s ship date
(the line's expected date plus processing, never before an order placed now could ship). A
channel without ``sellInbound`` sees none: nothing is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ordergraph.domain import events
from ordergraph.domain.preorder import preorder_promise, preorder_ship_date
from ordergraph.graph import inbound as lines
from ordergraph.graph.records.catalog import ChannelRecord, LocationRecord
from ordergraph.graph.records.inbound import InboundRecord
from ordergraph.graph.store import GraphStore


@dataclass(frozen=True)
class PreorderStock:
    """Units of ``sku`` a channel may preorder at ``location``: the remaining units of its
    open inbound lines there (``lines``, earliest expected first), first shipping on
    ``ship_date``."""

    location: LocationRecord
    sku: str
    lines: tuple[InboundRecord, ...]
    ship_date: date

    @property
    def units(self) -> int:
        return sum(line.remaining for line in self.lines)

    def explanation(self) -> str:
        first = self.lines[0]
        return (
            f"preorder {self.units} from inbound (not yet received nor preordered): "
            + ", ".join(f"{line.id} {line.remaining} on {line.expected_at}" for line in self.lines)
            + f"; ships from {self.ship_date.isoformat()} ({first.id} expected "
            f"{first.expected_at.isoformat()})"
        )


async def preorder_stock(
    store: GraphStore, channel: ChannelRecord, skus: Sequence[str], now: datetime
) -> list[PreorderStock]:
    """``channel``'s preorder availability of ``skus`` (none unless it sells inbound)."""
    if not channel.rules.sell_inbound:
        return []
    found: dict[tuple[str, str], list[InboundRecord]] = {}
    places: dict[str, LocationRecord] = {}
    for offer in await lines.preorder_offers(store, skus, None):
        loc = offer.location
        if not channel.rules.sourcing.allows(loc.id, loc.kind, loc.tags):
            continue
        places[loc.id] = loc
        found.setdefault((loc.id, offer.line.sku), []).append(offer.line)
    made = []
    for (location_id, sku), held in sorted(found.items()):
        loc = places[location_id]
        ordered = tuple(sorted(held, key=lambda line: (line.expected_at, line.id)))
        ship = preorder_ship_date(
            ordered[0].expected_at, now, loc.timezone, loc.cutoff, loc.processing_days, loc.country
        )
        made.append(PreorderStock(loc, sku, ordered, ship))
    return made


async def repromise(store: GraphStore, line: InboundRecord, *, now: datetime | None = None) -> int:
    """Promise the line's preorders again from its (moved) expected date: each PREORDER
    fulfillment sold against it gets the preorder ship and delivery dates of
    ``domain.preorder`` as of ``now`` over its lane, an ``OrderRepromised`` event
    (``{fulfillment, inbound, expectedAt, from, to}``: the old and new delivery dates), and its
    order the latest promise of its fulfillments. How many preorders were promised again."""
    at = now if now is not None else datetime.now(UTC)
    rows = []
    for held in await lines.held_preorders(store, line.id):
        loc = held.location
        ship, delivery = preorder_promise(
            line.expected_at,
            at,
            loc.timezone,
            loc.cutoff,
            loc.processing_days,
            loc.country,
            held.transit_days,
        )
        before = held.estimated_delivery
        payload = {
            "fulfillment": held.fulfillment_id,
            "inbound": line.id,
            "expectedAt": line.expected_at.isoformat(),
            "from": None if before is None else before.isoformat(),
            "to": delivery.isoformat(),
        }
        rows.append(
            {
                "order": held.order_id,
                "fulfillment": held.fulfillment_id,
                "shipBy": ship.isoformat(),
                "estimatedDelivery": delivery.isoformat(),
                "payload": events.encode(payload),
            }
        )
    if not rows:
        return 0
    return await lines.repromise(store, line.id, line.expected_at.isoformat(), rows, at)
