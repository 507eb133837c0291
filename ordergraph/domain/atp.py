"""Channel available-to-promise: the one function every channel's number comes from.

DOMAIN.md ("Channel available-to-promise"). For channel ``c``, location ``l``, SKU ``s``::

    free(l,s)      = max(0, onHand - reserved - safetyStock)
    own(c,l,s)     = min(protectedRemaining(c,l,s), free)
    protected(l,s) = min(free, sum over all channels of protectedRemaining(., l, s))
    shared(l,s)    = free - protected(l,s)
    ATP(c,l,s)     = 0                                     if l is outside c's sourcing
                   = own + max(0, floor(shared * sharePercent / 100) - bufferUnits)

A protection counts while its ``until`` day has not passed (``until`` is the last day it holds;
none = no end). A reservation by ``c`` takes ``own`` first, then shared (``take``).

Display (availability, deliveryOptions), routing candidates and the reservation statement use
these same inputs; the statement's Cypher (``graph/fragments.py: channel_atp``) is checked
against ``channel_atp`` by a property test.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from ordergraph.domain.stock import available

__all__ = [
    "DEFAULT_RULES",
    "ChannelAtp",
    "ChannelRules",
    "Protection",
    "Seller",
    "Sourcing",
    "atp_number",
    "channel_atp",
    "take",
]


@dataclass(frozen=True, slots=True)
class Sourcing:
    """Where a channel may sell from: location ids and kinds (None = any), minus the locations
    carrying one of ``exclude_tags``."""

    locations: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    exclude_tags: frozenset[str] = frozenset()

    def allows(self, location_id: str, kind: str, tags: Iterable[str]) -> bool:
        if self.locations is not None and location_id not in self.locations:
            return False
        if self.kinds is not None and kind not in self.kinds:
            return False
        return self.exclude_tags.isdisjoint(tags)


@dataclass(frozen=True, slots=True)
class ChannelRules:
    """A channel's sourcing rules. The defaults are the whole network, all of it, no buffer:
    what every channel saw before channels had rules. Whether the channel may backorder is its
    partial policy (``domain/network.py: PARTIAL_POLICIES``)."""

    sourcing: Sourcing = field(default_factory=Sourcing)
    buffer_units: int = 0  # held back from the channel per location and SKU
    share_percent: int = 100  # of each position's shared free stock the channel may sell
    sell_inbound: bool = False

    def digest(self) -> str:
        """A canonical text of the rules: equal rules, equal digest (a change bumps the
        channel's ``rulesVersion``)."""
        s = self.sourcing

        def listed(values: frozenset[str] | None) -> str:
            return "*" if values is None else ",".join(sorted(values))

        return "|".join(
            (
                listed(s.locations),
                listed(s.kinds),
                listed(s.exclude_tags),
                str(self.buffer_units),
                str(self.share_percent),
                str(self.sell_inbound),
            )
        )


DEFAULT_RULES = ChannelRules()


@dataclass(frozen=True, slots=True)
class Seller:
    """Who reserves stock, as the reservation statement checks it: the channel, its rules and
    their version as routing read them, and the UTC day protections are counted on."""

    channel: str
    rules: ChannelRules
    rules_version: int
    today: date


@dataclass(frozen=True, slots=True)
class Protection:
    """Units of a stock position held for one channel until a day (inclusive; None = no end)."""

    channel: str
    remaining: int
    until: date | None = None

    def active(self, today: date) -> bool:
        return self.until is None or today <= self.until


@dataclass(frozen=True, slots=True)
class ChannelAtp:
    """A channel's number for one position, and how it was reached."""

    channel: str
    on_hand: int
    reserved: int
    safety_stock: int
    free: int
    in_sourcing: bool
    protected: int  # min(free, all active protections)
    own: int  # protected for this channel
    shared: int
    share_percent: int
    buffer_units: int
    from_shared: int  # what the channel may sell of the shared units
    result: int

    @property
    def protected_for_others(self) -> int:
        return self.protected - self.own

    def explanation(self) -> tuple[str, ...]:
        head = (
            f"on hand {self.on_hand} - reserved {self.reserved} - safety {self.safety_stock}"
            f" = free {self.free}"
        )
        if not self.in_sourcing:
            return (head, f"outside channel {self.channel}'s sourcing: 0")
        return (
            head,
            f"protected for other channels {self.protected_for_others}, "
            f"own protected {self.own}, shared {self.shared}",
            f"share {self.share_percent}% of shared {self.shared} = "
            f"{self.shared * self.share_percent // 100}, less buffer {self.buffer_units} "
            f"= {self.from_shared}",
            f"available to {self.channel}: own {self.own} + {self.from_shared} = {self.result}",
        )


def channel_atp(
    channel: str,
    rules: ChannelRules,
    *,
    on_hand: int,
    reserved: int,
    safety_stock: int,
    protections: Sequence[Protection],
    today: date,
    in_sourcing: bool = True,
) -> ChannelAtp:
    """ATP of ``channel`` (with ``rules``) at one position on ``today``; ``in_sourcing`` says
    whether the position's location is one the channel may sell from (``Sourcing.allows``)."""
    free = available(on_hand, reserved, safety_stock)
    own, protected, from_shared = _split(channel, rules, free, protections, today)
    shared = free - protected
    return ChannelAtp(
        channel=channel,
        on_hand=on_hand,
        reserved=reserved,
        safety_stock=safety_stock,
        free=free,
        in_sourcing=in_sourcing,
        protected=protected,
        own=own,
        shared=shared,
        share_percent=rules.share_percent,
        buffer_units=rules.buffer_units,
        from_shared=from_shared,
        result=own + from_shared if in_sourcing else 0,
    )


def atp_number(
    channel: str,
    rules: ChannelRules,
    free: int,
    protections: Sequence[Protection],
    today: date,
    in_sourcing: bool = True,
) -> int:
    """``channel_atp(...).result`` of a position with ``free`` units (``domain.stock.available``),
    the number alone: the hot path of availability, which explains a number only when asked."""
    if not in_sourcing:
        return 0
    own, _, from_shared = _split(channel, rules, free, protections, today)
    return own + from_shared


def _split(
    channel: str, rules: ChannelRules, free: int, protections: Sequence[Protection], today: date
) -> tuple[int, int, int]:
    """Of ``free``: (own, protected, from_shared) as the module's formula gives them."""
    own = protected = 0
    if protections:  # most positions have none
        active = [p for p in protections if p.active(today)]
        own = min(free, sum(max(0, p.remaining) for p in active if p.channel == channel))
        protected = min(free, sum(max(0, p.remaining) for p in active))
    from_shared = max(0, (free - protected) * rules.share_percent // 100 - rules.buffer_units)
    return own, protected, from_shared


def take(atp: ChannelAtp, quantity: int) -> tuple[int, int]:
    """How a reservation of ``quantity`` (at most ``atp.result``) splits: (own, shared)."""
    assert 0 <= quantity <= atp.result, (quantity, atp.result)
    own = min(quantity, atp.own)
    return own, quantity - own
