"""The records of the KPI read (``graph/kpis.py``): each order placed in a window with what the
KPIs need of its lines, fulfillments (their stamps and the coordinates of their location) and
returns, and the centroid of its ship-to region."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ordergraph.domain.orders import FulfillmentStatus
from ordergraph.graph.records.orders import OrderRecord

__all__ = ["KpiFulfillment", "KpiOrder"]


def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class KpiFulfillment:
    id: str
    location_id: str
    status: FulfillmentStatus
    units: int  # its SHIPS quantities
    cost: float
    shipped_at: datetime | None
    delivered_at: datetime | None
    lat: float | None  # its location's
    lon: float | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> KpiFulfillment:
        return cls(
            id=str(row["id"]),
            location_id=str(row["locationId"]),
            status=FulfillmentStatus(row["status"]),
            units=int(row.get("units") or 0),
            cost=float(row.get("cost") or 0.0),
            shipped_at=_moment(row.get("shippedAt")),
            delivered_at=_moment(row.get("deliveredAt")),
            lat=row.get("lat"),
            lon=row.get("lon"),
        )


@dataclass(frozen=True, slots=True)
class KpiOrder:
    order: OrderRecord
    ordered: int  # units over its lines
    cancelled: int  # units cancelled over its lines
    fulfillments: tuple[KpiFulfillment, ...]  # by id
    returns: int  # returns opened for it
    region_lat: float | None  # the ship-to region's centroid
    region_lon: float | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> KpiOrder:
        return cls(
            order=OrderRecord.from_row(row["o"]),
            ordered=int(row.get("ordered") or 0),
            cancelled=int(row.get("cancelled") or 0),
            fulfillments=tuple(
                sorted(
                    (KpiFulfillment.from_row(f) for f in row["fulfillments"]), key=lambda f: f.id
                )
            ),
            returns=int(row.get("returns") or 0),
            region_lat=row.get("regionLat"),
            region_lon=row.get("regionLon"),
        )
