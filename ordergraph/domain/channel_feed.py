"""The channel stock feed out: which channel numbers to announce (docs/channel-atp.md).

A marketplace is told a SKU's number for it (its ATP summed over its sourcing) whenever the
number changes. The loop that publishes (``services/channel_feed.py``) recomputes the numbers
of the SKUs whose stock version moved and announces, per channel, only those that differ from
what the channel was last told. The first numbers of a SKU are a baseline: they are stored and
not announced (a connector's first sync reads ``channelAvailability``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CHANNEL_AVAILABILITY_CHANGED = "channel.availability_changed"


@dataclass(frozen=True, slots=True)
class Change:
    """A channel's number for a SKU that differs from the one it was last told."""

    channel: str
    available: int
    previous: int | None  # None: the channel was never told a number for the SKU

    def payload(self, sku: str, stock_version: int) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "sku": sku,
            "available": self.available,
            "previous": self.previous,
            "stockVersion": stock_version,
        }


def changes(told: Mapping[str, int] | None, now: Mapping[str, int]) -> tuple[Change, ...]:
    """The changes to announce when the channels were ``told`` (None: nothing yet, a baseline)
    and the numbers are ``now``; channels by id. A channel new since (not in ``told``) is
    announced with ``previous`` None."""
    if told is None:
        return ()
    return tuple(
        Change(channel, n, told.get(channel))
        for channel, n in sorted(now.items())
        if told.get(channel) != n
    )
