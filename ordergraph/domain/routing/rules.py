"""Routing rules: conditions over an order and the actions they take on the routing model.

A policy (``types.Policy``) carries ordered rules. Each rule whose ``Conditions`` hold for a
request fires, and its actions change the SAME model the exact solvers work on
(docs/routing-policies.md):

- ``EXCLUDE_LOCATIONS`` / ``REQUIRE_LOCATIONS`` filter the candidates (for the whole order, or
  only for the SKUs carrying one of ``sku_tags``), before any solver runs;
- ``MAX_SHIPMENTS`` is a constraint (at most n shipments) in branch and bound and in the MILP;
- ``PREFER_LOCATIONS`` is an objective term: ``bonus`` off the cost of every unit a matching
  location ships;
- ``DAILY_SHARE`` is a capacity limit: a matching location takes this policy's shipments only
  while they are fewer than ``fraction`` of its daily capacity that day;
- ``FALLBACK`` routes the order under a second policy when the first leaves units unallocated.

``effects(policy, request)`` evaluates the rules for one request, in order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ordergraph.domain.routing.types import Candidate, Policy, RoutingRequest

__all__ = [
    "Action",
    "ActionKind",
    "Conditions",
    "Effects",
    "Rule",
    "Selector",
    "effects",
]


class ActionKind(StrEnum):
    EXCLUDE_LOCATIONS = "EXCLUDE_LOCATIONS"
    REQUIRE_LOCATIONS = "REQUIRE_LOCATIONS"
    MAX_SHIPMENTS = "MAX_SHIPMENTS"
    PREFER_LOCATIONS = "PREFER_LOCATIONS"
    DAILY_SHARE = "DAILY_SHARE"
    FALLBACK = "FALLBACK"


@dataclass(frozen=True, slots=True)
class Selector:
    """Locations by id, kind or tag: a location matches when any of the three names it."""

    ids: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()

    def matches(self, c: Candidate) -> bool:
        return c.location_id in self.ids or c.kind in self.kinds or bool(self.tags & c.tags)

    def describe(self) -> str:
        parts = [
            f"{what} {', '.join(sorted(values))}"
            for what, values in (("ids", self.ids), ("kinds", self.kinds), ("tags", self.tags))
            if values
        ]
        return "; ".join(parts) or "no location"


@dataclass(frozen=True, slots=True)
class Conditions:
    """When a rule fires. Every condition given must hold (an absent one always holds); within
    one condition, any listed value will do.

    ``sku_tags``: some SKU of the order carries one of them. ``regions``: the ship-to region's
    id is one of them or starts with one (``US`` matches ``US-941``). ``min_value`` and
    ``max_value`` bound the order's value (sum of unit price x quantity; an order without prices
    matches no value condition). ``customer_tiers``: the order's customer tier is one of them.
    """

    channels: frozenset[str] | None = None
    service_levels: frozenset[str] | None = None
    sku_tags: frozenset[str] | None = None
    regions: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    customer_tiers: frozenset[str] | None = None

    def hold(self, request: RoutingRequest) -> bool:
        if self.channels is not None and request.channel not in self.channels:
            return False
        if self.service_levels is not None and request.service_level not in self.service_levels:
            return False
        if self.sku_tags is not None and not any(
            self.sku_tags & request.skus[line.sku].tags
            for line in request.lines
            if line.sku in request.skus
        ):
            return False
        if self.regions is not None:
            region = request.region
            if region is None or not any(region.startswith(r) for r in self.regions):
                return False
        if self.min_value is not None or self.max_value is not None:
            value = request.order_value
            if value is None:
                return False
            if self.min_value is not None and value < self.min_value:
                return False
            if self.max_value is not None and value > self.max_value:
                return False
        return self.customer_tiers is None or request.customer_tier in self.customer_tiers


@dataclass(frozen=True, slots=True)
class Action:
    """One action of a rule; which fields count depends on ``kind`` (see the module doc)."""

    kind: ActionKind
    locations: Selector = field(default_factory=Selector)
    sku_tags: frozenset[str] | None = None  # EXCLUDE/REQUIRE: only for SKUs with one of these
    max_shipments: int | None = None  # MAX_SHIPMENTS
    bonus: float = 0.0  # PREFER_LOCATIONS: currency off each unit a matching location ships
    fraction: float = 0.0  # DAILY_SHARE: of the location's daily capacity, for this policy
    fallback: Policy | None = None  # FALLBACK: the compiled second strategy
    fallback_id: str | None = None  # FALLBACK: what the document names (the version or None
    fallback_version: int | None = None  # for the active one); ``fallback`` is it compiled

    def describe(self) -> str:
        where = self.locations.describe()
        skus = (
            "" if self.sku_tags is None else f" for SKUs tagged {', '.join(sorted(self.sku_tags))}"
        )
        match self.kind:
            case ActionKind.EXCLUDE_LOCATIONS:
                return f"exclude {where}{skus}"
            case ActionKind.REQUIRE_LOCATIONS:
                return f"only {where}{skus}"
            case ActionKind.MAX_SHIPMENTS:
                return f"at most {self.max_shipments} shipments"
            case ActionKind.PREFER_LOCATIONS:
                return f"prefer {where} ({self.bonus:g} off per unit)"
            case ActionKind.DAILY_SHARE:
                return f"{where} take at most {self.fraction:g} of their daily capacity"
            case ActionKind.FALLBACK:
                name = self.fallback_id or "?" if self.fallback is None else self.fallback.label
                return f"fall back to {name} when the order cannot be served whole"
        raise AssertionError(self.kind)  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    conditions: Conditions
    actions: tuple[Action, ...]

    def describe(self) -> str:
        return f"{self.name} ({'; '.join(a.describe() for a in self.actions)})"


@dataclass(frozen=True, slots=True)
class Effects:
    """What the rules that fired for one request do: the model's filters, caps and terms."""

    fired: tuple[Rule, ...] = ()
    excludes: tuple[tuple[str, Action], ...] = ()  # (rule name, action)
    requires: tuple[tuple[str, Action], ...] = ()
    max_shipments: int | None = None
    cap_rule: str | None = None
    prefers: tuple[tuple[str, Action], ...] = ()
    shares: tuple[tuple[str, Action], ...] = ()
    fallback: Policy | None = None
    fallback_rule: str | None = None

    def blocked(self, c: Candidate) -> str | None:
        """Why rules keep ``c`` out of the whole order, or None."""
        for name, action in self.excludes:
            if action.sku_tags is None and action.locations.matches(c):
                return f"excluded by rule {name}"
        for name, action in self.requires:
            if action.sku_tags is None and not action.locations.matches(c):
                return f"not among the locations rule {name} requires"
        return None

    def sku_block(self, c: Candidate, sku_tags: frozenset[str]) -> str | None:
        """Why rules keep ``c`` from shipping a SKU with ``sku_tags``, or None."""
        for name, action in self.excludes:
            tagged = action.sku_tags is not None and bool(action.sku_tags & sku_tags)
            if tagged and action.locations.matches(c):
                return f"excluded for it by rule {name}"
        for name, action in self.requires:
            tagged = action.sku_tags is not None and bool(action.sku_tags & sku_tags)
            if tagged and not action.locations.matches(c):
                return f"rule {name} requires {action.locations.describe()} for it"
        return None

    def share_full(self, c: Candidate, policy: str, used: Mapping[str, int]) -> str | None:
        """Why ``c``'s daily share for ``policy`` is used up (``used``: shipments it took today
        under each policy), or None. A location without a daily capacity has no share cap."""
        for name, action in self.shares:
            if c.daily_capacity is None or not action.locations.matches(c):
                continue
            cap = share_cap(action.fraction, c.daily_capacity)
            taken = used.get(policy, 0)
            if taken >= cap:
                return f"daily share of rule {name} used ({taken} of {cap} shipments today)"
        return None

    def bonus(self, c: Candidate) -> float:
        return sum(a.bonus for _, a in self.prefers if a.locations.matches(c))


def share_cap(fraction: float, daily_capacity: int) -> int:
    """Shipments a day a share of ``fraction`` leaves a location of ``daily_capacity``."""
    return math.floor(fraction * daily_capacity + 1e-9)


def effects(policy: Policy, request: RoutingRequest) -> Effects:
    """The rules of ``policy`` that fire for ``request``, in order, and what they do. Caps
    combine to the smallest; the first fallback that fires is the one used."""
    fired: list[Rule] = []
    excludes: list[tuple[str, Action]] = []
    requires: list[tuple[str, Action]] = []
    prefers: list[tuple[str, Action]] = []
    shares: list[tuple[str, Action]] = []
    cap: int | None = None
    cap_rule: str | None = None
    fallback: Policy | None = None
    fallback_rule: str | None = None
    for rule in policy.rules:
        if not rule.conditions.hold(request):
            continue
        fired.append(rule)
        for action in rule.actions:
            match action.kind:
                case ActionKind.EXCLUDE_LOCATIONS:
                    excludes.append((rule.name, action))
                case ActionKind.REQUIRE_LOCATIONS:
                    requires.append((rule.name, action))
                case ActionKind.MAX_SHIPMENTS:
                    assert action.max_shipments is not None
                    if cap is None or action.max_shipments < cap:
                        cap, cap_rule = action.max_shipments, rule.name
                case ActionKind.PREFER_LOCATIONS:
                    prefers.append((rule.name, action))
                case ActionKind.DAILY_SHARE:
                    shares.append((rule.name, action))
                case ActionKind.FALLBACK:
                    if fallback is None:
                        fallback, fallback_rule = action.fallback, rule.name
    return Effects(
        fired=tuple(fired),
        excludes=tuple(excludes),
        requires=tuple(requires),
        max_shipments=cap,
        cap_rule=cap_rule,
        prefers=tuple(prefers),
        shares=tuple(shares),
        fallback=fallback,
        fallback_rule=fallback_rule,
    )
