"""The lane table as a carrier: prices from the network file's lanes, always available.

It answers at once, sells no labels and sends no tracking: it is the fallback for every price a
carrier API did not answer in time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ordergraph.connectors.carriers.port import (
    CarrierError,
    Label,
    Rate,
    RateQuery,
    RateSource,
    TrackingEvent,
)
from ordergraph.domain.routing.types import Lane

NAME = "lanes"


def lane_rate(lane: Lane, weight_kg: float) -> Rate:
    """The lane's price for a parcel (``baseCost + costPerKg * weight``; handling is the
    location's, not the carrier's)."""
    return Rate(
        carrier=lane.carrier,
        service=lane.service,
        amount=lane.base_cost + lane.cost_per_kg * weight_kg,
        currency="USD",
        transit_days=lane.transit_days,
        source=RateSource.TABLE,
        adapter=NAME,
    )


class LaneTable:
    """Lanes keyed by (origin location id, destination region id)."""

    def __init__(self, lanes: Mapping[tuple[str, str], Sequence[Lane]]) -> None:
        self._lanes = lanes

    @property
    def name(self) -> str:
        return NAME

    async def rates(self, query: RateQuery) -> list[Rate]:
        lanes = self._lanes.get((query.origin.ref, query.destination.ref), ())
        return [lane_rate(lane, query.weight_kg) for lane in lanes]

    async def buy_label(self, rate: Rate, *, idempotency_key: str) -> Label:
        raise CarrierError("the lane table sells no labels: configure a carrier account")

    async def void_label(self, label: Label) -> bool:
        return False

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bool:
        return False

    def parse_tracking(self, body: bytes) -> list[TrackingEvent]:
        raise CarrierError("the lane table sends no tracking")

    async def track(
        self, tracking_number: str, *, carrier: str = "", timeout_s: float = 5.0
    ) -> TrackingEvent | None:
        raise CarrierError("the lane table tracks nothing")
