"""The record of the one candidate read of routing (``graph/orders.py: CANDIDATES``).

For one request: its channel, the ship-to region, the SKUs it names (and which of them the graph
does not know), and every active location holding any of them with its stock of each, its lanes
to the region and the shipments it has already taken per day (its capacity used).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ordergraph.graph.records.catalog import (
    ChannelRecord,
    LaneRecord,
    LocationRecord,
    RegionRecord,
    SkuRecord,
    StockRecord,
    TransferLaneRecord,
    maybe,
)

__all__ = ["CandidateLocation", "Candidates", "RegionDemand"]


@dataclass(frozen=True, slots=True)
class CandidateLocation:
    """A location that stocks some SKU of the request."""

    location: LocationRecord
    stock: Mapping[str, StockRecord]  # by SKU id: only the SKUs it stocks
    lanes: tuple[LaneRecord, ...]  # to the ship-to region, by (carrier, service)
    used: Mapping[str, int]  # ISO day -> shipments already taken that day
    transfers: tuple[TransferLaneRecord, ...] = ()  # to the pickup store, by (carrier, service)

    @classmethod
    def from_group(cls, row: Mapping[str, Any]) -> CandidateLocation | None:
        """``row``: one group of ``CANDIDATES``; None for the group without a location."""
        location = maybe(row["location"], LocationRecord.from_row)
        if location is None:
            return None
        used: dict[str, int] = {}
        for day in row["capacity"]:
            used[day["day"]] = used.get(day["day"], 0) + int(day.get("used") or 0)
        return cls(
            location=location,
            stock={entry["sku"]: StockRecord.from_row(entry) for entry in row["stock"]},
            lanes=tuple(
                sorted(
                    (LaneRecord.from_row(lane) for lane in row["lanes"]),
                    key=lambda lane: (lane.carrier, lane.service),
                )
            ),
            used=used,
            transfers=tuple(
                sorted(
                    (TransferLaneRecord.from_row(t) for t in row.get("transfers") or ()),
                    key=lambda t: (t.carrier, t.service),
                )
            ),
        )


@dataclass(frozen=True, slots=True)
class Candidates:
    channel: ChannelRecord | None  # None: no such channel
    region: RegionRecord | None  # None: no region serves the ship-to address (or none given)
    skus: Mapping[str, SkuRecord]  # the known SKUs of the request, by id
    unknown_skus: tuple[str, ...]  # the SKU ids the graph does not know, sorted
    locations: tuple[CandidateLocation, ...]  # by location id

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> Candidates:
        """The groups of ``CANDIDATES``: one per location (and one without a location for the
        SKUs no active location stocks); channel and region are the same on every group."""
        first = rows[0] if rows else {}
        items = {
            entry["sku"]: maybe(entry["item"], SkuRecord.from_row)
            for row in rows
            for entry in row["stock"]
        }
        found = (CandidateLocation.from_group(row) for row in rows)
        return cls(
            channel=maybe(first.get("channel"), ChannelRecord.from_row),
            region=maybe(first.get("region"), RegionRecord.from_row),
            skus={sku_id: sku for sku_id, sku in items.items() if sku is not None},
            unknown_skus=tuple(sorted(sku_id for sku_id, sku in items.items() if sku is None)),
            locations=tuple(
                sorted((c for c in found if c is not None), key=lambda c: c.location.id)
            ),
        )


@dataclass(frozen=True, slots=True)
class RegionDemand:
    """One region's recent demand (``graph/orders.py: RECENT_DEMAND``, issue #18): the order
    lines placed to it in the window as (order id, SKU, units, none for a region nobody ordered
    to), and what one unit (1 kg) costs from each active location with a lane to it (handling
    + its cheapest lane)."""

    region: str
    lines: tuple[tuple[str, str, int], ...]
    unit_cost: Mapping[str, float]  # by location id

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> list[RegionDemand]:
        """``rows``: of ``RECENT_DEMAND``, lines and lanes of a region in separate rows."""
        lines: dict[str, list[tuple[str, str, int]]] = {}
        unit_cost: dict[str, dict[str, float]] = {}
        for row in rows:
            region = str(row["region"])
            lines.setdefault(region, []).extend(
                (str(li["order"]), str(li["sku"]), int(li["quantity"]))
                for li in row["lines"]
                if li.get("sku") is not None
            )
            costs = unit_cost.setdefault(region, {})
            for lane in row["lanes"]:
                cost = float(lane["handling"] or 0.0) + float(lane["cost"] or 0.0)
                location = str(lane["location"])
                costs[location] = min(cost, costs.get(location, cost))
        return [cls(r, tuple(lines[r]), unit_cost[r]) for r in sorted(lines)]
