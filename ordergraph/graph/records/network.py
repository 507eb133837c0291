"""The records of what a worker keeps of the graph between requests (issue #13,
docs/performance.md): the static network at one network version, and the versions a request
reads to know whether what it keeps is still true."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ordergraph.graph.records.catalog import (
    ChannelRecord,
    LocationRecord,
    RegionRecord,
    StockRecord,
)

__all__ = ["NetworkSnapshot", "StockOfSkus", "Versions"]


@dataclass(frozen=True, slots=True)
class Versions:
    """The network version and the stock version of each SKU asked for (None: the SKU is not
    in the catalog), read together in one statement."""

    network: int
    stock: Mapping[str, int | None]


@dataclass(frozen=True, slots=True)
class NetworkSnapshot:
    """Every location, region and channel, as stored when the network version was ``version``
    or later (it was read after the version)."""

    version: int
    locations: Mapping[str, LocationRecord]
    regions: Mapping[str, RegionRecord]
    channels: Mapping[str, ChannelRecord]


@dataclass(frozen=True, slots=True)
class StockOfSkus:
    """Every stock position of the SKUs asked for (at any location, active or not), with the
    stock version of each SKU read in the same statement (None: not in the catalog)."""

    positions: tuple[StockRecord, ...]
    versions: Mapping[str, int | None]
