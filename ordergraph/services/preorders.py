"""What a channel that sells inbound may preorder, per location and SKU (``availability``).

For a channel with ``sellInbound``, ``inboundRemaining(l, s)`` (DOMAIN.md: inbound neither
received nor preordered) at every active location of its sourcing is preorder availability,
promised from the earliest line with units left: it ships on ``domain.preorder``'s ship date
(the line's expected date plus processing, never before an order placed now could ship). A
channel without ``sellInbound`` sees none: nothing is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ordergraph.domain.preorder import preorder_ship_date
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
