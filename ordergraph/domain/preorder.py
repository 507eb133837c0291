"""Preorder promise dates: when units sold from inbound supply ship and arrive.

A preorder is promised from the inbound line it is sold against (DOMAIN.md, "Channel
available-to-promise"): the units can ship once they have arrived and been processed, so

    ship date     = the later of the usual ship date of an order placed now
                    (``promise.ship_date``: cut-off, processing days) and the first business day
                    on or after the line's ``expected_at`` plus ``processing_days`` business days
    delivery date = ship date + the lane's ``transit_days`` business days

Arrival counts as before the cut-off of its day: units that arrive on a business day with no
processing days ship that day. Every calendar rule (business days, the location's public
holidays) is ``domain.promise``'s; nothing here counts days itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ordergraph.domain.promise import (
    add_business_days,
    delivery_date,
    is_business_day,
    next_business_day,
    ship_date,
)
from ordergraph.domain.routing.types import Lane, PlannedShipment

__all__ = [
    "Preorder",
    "PreorderSource",
    "plan_preorders",
    "preorder_promise",
    "preorder_ship_date",
]


def preorder_ship_date(
    expected_at: date,
    placed_at: datetime,
    timezone: str,
    cutoff: str | None,
    processing_days: int,
    country: str,
) -> date:
    """The local date the location ships a preorder placed at ``placed_at`` for units expected
    on ``expected_at``."""
    usual = ship_date(placed_at, timezone, cutoff, processing_days, country)
    arrival = (
        expected_at
        if is_business_day(expected_at, country)
        else next_business_day(expected_at, country)
    )
    return max(usual, add_business_days(arrival, processing_days, country))


def preorder_promise(
    expected_at: date,
    placed_at: datetime,
    timezone: str,
    cutoff: str | None,
    processing_days: int,
    country: str,
    transit_days: int,
) -> tuple[date, date]:
    """(ship date, delivery date) of a preorder placed (or promised again) at ``placed_at``
    for units expected on ``expected_at``, over a lane of ``transit_days``."""
    ship = preorder_ship_date(expected_at, placed_at, timezone, cutoff, processing_days, country)
    return ship, delivery_date(ship, transit_days, country)


@dataclass(frozen=True, slots=True)
class PreorderSource:
    """An inbound line a channel may sell as preorders: units ``remaining`` (neither received
    nor preordered) of ``sku`` expected at ``location_id`` on ``expected_at``, with what its
    promise needs (the location's calendar and the cheapest lane that meets the order's service
    level; ``weight_kg`` of one unit)."""

    inbound_id: str
    location_id: str
    sku: str
    remaining: int
    expected_at: date
    timezone: str
    cutoff: str | None
    processing_days: int
    country: str
    handling_cost: float
    lane: Lane
    weight_kg: float = 0.0


@dataclass(frozen=True, slots=True)
class Preorder:
    """Units of order lines sold against one inbound line, shipped as ``shipment`` (its dates
    are the preorder promise)."""

    inbound_id: str
    expected_at: date
    shipment: PlannedShipment
    ships: tuple[tuple[str, int], ...]  # (line id, units)

    @property
    def units(self) -> int:
        return sum(units for _, units in self.ships)


def plan_preorders(
    needs: Sequence[tuple[str, str, int]],
    sources: Sequence[PreorderSource],
    placed_at: datetime,
) -> list[Preorder]:
    """Sell the units on-hand stock could not serve (``needs``: (line id, sku, units) in line
    order) from ``sources``, the earliest expected line first (then by id), never more than a
    line's ``remaining``: one preorder per inbound line used."""
    left = {s.inbound_id: s.remaining for s in sources}
    ordered = sorted(sources, key=lambda s: (s.expected_at, s.inbound_id))
    taken: dict[str, list[tuple[str, int]]] = {}
    for line_id, sku, units in needs:
        for source in ordered:
            if units == 0:
                break
            if source.sku != sku or left[source.inbound_id] == 0:
                continue
            take = min(units, left[source.inbound_id])
            left[source.inbound_id] -= take
            units -= take
            taken.setdefault(source.inbound_id, []).append((line_id, take))
    made = []
    for source in ordered:
        ships = taken.get(source.inbound_id)
        if not ships:
            continue
        units = sum(u for _, u in ships)
        lane = source.lane
        ship, delivery = preorder_promise(
            source.expected_at,
            placed_at,
            source.timezone,
            source.cutoff,
            source.processing_days,
            source.country,
            lane.transit_days,
        )
        made.append(
            Preorder(
                source.inbound_id,
                source.expected_at,
                PlannedShipment(
                    location_id=source.location_id,
                    lines=((source.sku, units),),
                    carrier=lane.carrier,
                    service=lane.service,
                    transit_days=lane.transit_days,
                    cost=round(
                        source.handling_cost
                        + lane.base_cost
                        + lane.cost_per_kg * source.weight_kg * units,
                        2,
                    ),
                    ship_by=ship,
                    estimated_delivery=delivery,
                ),
                tuple(ships),
            )
        )
    return made
