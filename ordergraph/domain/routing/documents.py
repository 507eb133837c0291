"""Routing policy documents: the JSON format, its validation, and what it compiles to.

``parse_policy(raw)`` checks a decoded document (docs/routing-policies.md has every field) and
returns a ``PolicyDocument``, or raises ``PolicyDocumentError`` listing EVERY problem with its
JSON path (``rules[2].actions[0].maxShipments``), never stopping at the first.
``compile_policy(document, fallbacks)`` gives the ``Policy`` that ``route()`` takes, its
fallback actions pointing at the compiled fallback policies.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ordergraph.domain.errors import PolicyDocumentError, Problem
from ordergraph.domain.kpis import KPI_NAMES, RATE_KPIS, Gate
from ordergraph.domain.network import LOCATION_KINDS, id_problem
from ordergraph.domain.routing.rules import Action, ActionKind, Conditions, Rule, Selector
from ordergraph.domain.routing.types import Policy, ServiceLevel

__all__ = [
    "GATE_KPIS",
    "MAX_ACTIONS",
    "MAX_PROBLEMS",
    "MAX_RULES",
    "POLICY_ID",
    "Gate",
    "PolicyDocument",
    "compile_policy",
    "parse_policy",
]

POLICY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
"""What a policy id may be: a plain word (letters, digits, ``_``, ``-``, ``.``), 1-100 long."""
MAX_RULES = 100
MAX_ACTIONS = 20
"""The most actions one rule may have."""
MAX_LIST = 1000
MAX_PROBLEMS = 50
"""The most problems one document's error lists (then it stops reading): a hostile document
of 100 rules of 1000-id lists would otherwise give millions of userErrors and minutes of CPU."""
MAX_REASON = 300
"""The most characters of one problem's reason (it may quote what the document said)."""
MAX_SHIPMENTS_CAP = 100
MAX_WEIGHT = 1e9

OBJECTIVE_KEYS = {
    "shippingCost": "cost_weight",
    "handlingCost": "handling_weight",
    "shipments": "shipment_weight",
    "deliveryDays": "delivery_day_weight",
    "distanceKm": "distance_weight",
    "storeExcessUnits": "store_excess_weight",
    "lookAhead": "lookahead_weight",
}
TOP_KEYS = frozenset(
    {"id", "version", "state", "description", "channels", "objective", "rules", "gates"}
)
RULE_KEYS = frozenset({"name", "conditions", "actions"})
CONDITION_KEYS = frozenset(
    {"channels", "serviceLevels", "skuTags", "regions", "orderValue", "customerTiers"}
)
SELECTOR_KEYS = frozenset({"ids", "kinds", "tags"})
ACTION_KEYS: Mapping[ActionKind, frozenset[str]] = {
    ActionKind.EXCLUDE_LOCATIONS: frozenset({"type", "locations", "skuTags"}),
    ActionKind.REQUIRE_LOCATIONS: frozenset({"type", "locations", "skuTags"}),
    ActionKind.MAX_SHIPMENTS: frozenset({"type", "maxShipments"}),
    ActionKind.PREFER_LOCATIONS: frozenset({"type", "locations", "bonusPerUnit"}),
    ActionKind.DAILY_SHARE: frozenset({"type", "locations", "fraction"}),
    ActionKind.FALLBACK: frozenset({"type", "policy", "version"}),
}
GATE_KEYS = frozenset({"kpi", "min", "max", "relativeToBaseline"})
GATE_KPIS = frozenset(KPI_NAMES)
"""The KPIs a gate may name: the camelCase names of the sandbox's KPIs (``domain/kpis.py
KPI_NAMES``, issue #14's list); rates are fractions from 0 to 1."""


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """A valid document: what it says, typed, and ``body``, its normalised JSON (defaults
    written out, key order fixed), which is what a version stores."""

    id: str
    version: int | None
    channels: tuple[str, ...]
    description: str | None
    policy: Policy  # fallbacks not yet compiled (``compile_policy`` does that)
    gates: tuple[Gate, ...]
    body: Mapping[str, Any]

    @property
    def fallbacks(self) -> tuple[tuple[str, int | None], ...]:
        """The (policy id, version or None for the active one) its fallback actions name."""
        return tuple(
            dict.fromkeys(
                (a.fallback_id, a.fallback_version)
                for rule in self.policy.rules
                for a in rule.actions
                if a.kind is ActionKind.FALLBACK and a.fallback_id is not None
            )
        )

    @property
    def digest(self) -> str:
        """SHA-256 of the body without ``version``: the same rules give the same digest."""
        body = {k: v for k, v in self.body.items() if k != "version"}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def compile_policy(
    document: PolicyDocument,
    fallback: Callable[[str, int | None], Policy],
    version: int | None = None,
) -> Policy:
    """The policy ``route()`` takes: ``document``'s, as version ``version`` (its own when
    None), each fallback action holding ``fallback(id, version)``, the compiled policy it
    names."""
    rules = tuple(
        replace(
            rule,
            actions=tuple(
                replace(a, fallback=fallback(a.fallback_id, a.fallback_version))
                if a.kind is ActionKind.FALLBACK and a.fallback_id is not None
                else a
                for a in rule.actions
            ),
        )
        for rule in document.policy.rules
    )
    return replace(document.policy, rules=rules, version=version or document.version)


class _TooManyProblems(Exception):
    """The reader has ``MAX_PROBLEMS`` problems: it stops reading the document."""


class _Reader:
    """Notes every problem with its path (up to ``MAX_PROBLEMS``, then it stops with a last
    one saying so); each reader returns the value or None."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, path: str, reason: str) -> None:
        if len(reason) > MAX_REASON:
            reason = reason[: MAX_REASON - 3] + "..."
        self.problems.append(Problem(path or "document", reason))
        if len(self.problems) >= MAX_PROBLEMS:
            self.problems.append(
                Problem("document", f"more problems: only the first {MAX_PROBLEMS} are listed")
            )
            raise _TooManyProblems

    def obj(self, value: object, path: str, keys: frozenset[str]) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.problem(path, f"expected an object, got {_kind(value)}")
            return None
        for key in sorted(set(map(str, value)) - keys):
            self.problem(_at(path, key), f"unknown key (one of {', '.join(sorted(keys))})")
        return value

    def number(
        self, value: object, path: str, low: float, high: float, *, open_low: bool = False
    ) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(path, f"expected a number, got {_kind(value)}")
            return None
        number = float(value)
        if (
            not math.isfinite(number)
            or number > high
            or number < low
            or (open_low and number == low)
        ):
            side = f"more than {low:g}" if open_low else f"at least {low:g}"
            self.problem(path, f"must be {side} and at most {high:g}, got {value}")
            return None
        return number

    def integer(self, value: object, path: str, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, f"expected an integer, got {_kind(value)}")
            return None
        if not low <= value <= high:
            self.problem(path, f"must be between {low} and {high}, got {value}")
            return None
        return value

    def ident(self, value: object, path: str) -> str | None:
        if not isinstance(value, str):
            self.problem(path, f"expected a string, got {_kind(value)}")
            return None
        why = id_problem(value)
        if why is not None:
            self.problem(path, why)
            return None
        return value

    def policy_id(self, value: object, path: str) -> str | None:
        if not isinstance(value, str):
            self.problem(path, f"expected a string, got {_kind(value)}")
            return None
        if not POLICY_ID.fullmatch(value):
            self.problem(path, "a policy id is 1-100 letters, digits, '_', '-' or '.'")
            return None
        return value

    def names(
        self, value: object, path: str, allowed: Sequence[str] | None = None
    ) -> tuple[str, ...] | None:
        """A non-empty list of distinct ids (or of ``allowed`` words)."""
        if not isinstance(value, list):
            self.problem(path, f"expected a list, got {_kind(value)}")
            return None
        if not value:
            self.problem(path, "must list at least one value (leave the key out to match any)")
            return None
        if len(value) > MAX_LIST:
            self.problem(path, f"at most {MAX_LIST} values, got {len(value)}")
            return None
        good: list[str] = []
        for i, item in enumerate(value):
            name = self.ident(item, f"{path}[{i}]")
            if name is None:
                continue
            if allowed is not None and name not in allowed:
                self.problem(
                    f"{path}[{i}]", f'unknown value "{name}" (one of {", ".join(allowed)})'
                )
                continue
            good.append(name)
        return tuple(dict.fromkeys(good)) if len(good) == len(value) else None


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def parse_policy(raw: object) -> PolicyDocument:
    """A valid ``PolicyDocument`` from a decoded JSON document, or ``PolicyDocumentError``."""
    r = _Reader()
    try:
        return _parse(r, raw)
    except _TooManyProblems:
        raise PolicyDocumentError("invalid routing policy", problems=r.problems) from None


def _parse(r: _Reader, raw: object) -> PolicyDocument:
    doc = r.obj(raw, "", TOP_KEYS)
    if doc is None:
        raise PolicyDocumentError("invalid routing policy", problems=r.problems)
    policy_id = r.policy_id(doc.get("id"), "id") if "id" in doc else None
    if "id" not in doc:
        r.problem("id", "required")
    version = None
    if doc.get("version") is not None:
        version = r.integer(doc["version"], "version", 1, 2**31 - 1)
    if doc.get("state") not in (None, "DRAFT", "ACTIVE"):
        r.problem("state", f"a document starts as DRAFT or ACTIVE, got {doc.get('state')!r}")
    description = doc.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 2000):
        r.problem("description", "expected a string of at most 2000 characters")
        description = None
    channels: tuple[str, ...] = ()
    if doc.get("channels") not in (None, []):  # none: it serves channels that name it
        channels = r.names(doc["channels"], "channels") or ()
    weights = _objective(r, doc.get("objective"))
    rules = _rules(r, doc.get("rules"), policy_id)
    gates = _gates(r, doc.get("gates"))
    if r.problems or policy_id is None:
        raise PolicyDocumentError("invalid routing policy", problems=r.problems)
    if weights.get("handling_weight") == weights.get("cost_weight", 1.0):
        weights.pop("handling_weight")  # the same weight: the policy says so by leaving it out
    policy = Policy(policy_id, rules=rules, version=version, **weights)  # weights are checked
    body = {
        "id": policy_id,
        "version": version,
        "description": description,
        "channels": list(channels),
        "objective": {key: _weight(policy, attr) for key, attr in OBJECTIVE_KEYS.items()},
        "rules": _rule_bodies(doc.get("rules") or []),
        "gates": [_gate_body(g) for g in gates],
    }
    return PolicyDocument(policy_id, version, channels, description, policy, gates, body)


def _weight(policy: Policy, attr: str) -> float:
    return policy.handling if attr == "handling_weight" else float(getattr(policy, attr))


def _objective(r: _Reader, raw: object) -> dict[str, float]:
    if raw is None:
        return {}
    obj = r.obj(raw, "objective", frozenset(OBJECTIVE_KEYS))
    weights: dict[str, float] = {}
    for key, attr in OBJECTIVE_KEYS.items():
        if obj is not None and obj.get(key) is not None:
            value = r.number(obj[key], f"objective.{key}", 0.0, MAX_WEIGHT)
            if value is not None:
                weights[attr] = value
    return weights


def _rules(r: _Reader, raw: object, policy_id: str | None) -> tuple[Rule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        r.problem("rules", f"expected a list, got {_kind(raw)}")
        return ()
    if len(raw) > MAX_RULES:
        r.problem("rules", f"at most {MAX_RULES} rules, got {len(raw)}")
        return ()
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        path = f"rules[{i}]"
        obj = r.obj(item, path, RULE_KEYS)
        if obj is None:
            continue
        name = f"rules[{i}]"
        if obj.get("name") is not None:
            name = r.ident(obj["name"], f"{path}.name") or name
            if name in seen:
                r.problem(f"{path}.name", f'"{name}" names an earlier rule too')
            seen.add(name)
        conditions = _conditions(r, obj.get("conditions"), f"{path}.conditions")
        actions = _actions(r, obj.get("actions"), f"{path}.actions", policy_id)
        rules.append(Rule(name, conditions, actions))
    return tuple(rules)


def _conditions(r: _Reader, raw: object, path: str) -> Conditions:
    if raw is None:
        return Conditions()
    obj = r.obj(raw, path, CONDITION_KEYS)
    if obj is None:
        return Conditions()
    levels = tuple(level.value for level in ServiceLevel)

    def listed(key: str, allowed: Sequence[str] | None = None) -> tuple[str, ...] | None:
        return None if obj.get(key) is None else r.names(obj[key], f"{path}.{key}", allowed)

    low = high = None
    if obj.get("orderValue") is not None:
        value_path = f"{path}.orderValue"
        bounds = r.obj(obj["orderValue"], value_path, frozenset({"min", "max"}))
        if bounds is not None:
            if bounds.get("min") is None and bounds.get("max") is None:
                r.problem(value_path, "needs min, max or both")
            if bounds.get("min") is not None:
                low = r.number(bounds["min"], f"{value_path}.min", 0.0, MAX_WEIGHT)
            if bounds.get("max") is not None:
                high = r.number(bounds["max"], f"{value_path}.max", 0.0, MAX_WEIGHT)
            if low is not None and high is not None and low > high:
                r.problem(f"{value_path}.max", f"must be at least min ({low:g})")
    channels, service, tags = listed("channels"), listed("serviceLevels", levels), listed("skuTags")
    tiers = listed("customerTiers")
    return Conditions(
        channels=None if channels is None else frozenset(channels),
        service_levels=None if service is None else frozenset(service),
        sku_tags=None if tags is None else frozenset(tags),
        regions=listed("regions"),
        min_value=low,
        max_value=high,
        customer_tiers=None if tiers is None else frozenset(tiers),
    )


def _selector(r: _Reader, raw: object, path: str) -> Selector:
    obj = r.obj(raw, path, SELECTOR_KEYS)
    if obj is None:
        return Selector()
    if all(obj.get(k) is None for k in SELECTOR_KEYS):
        r.problem(path, "needs ids, kinds or tags")
    found: dict[str, frozenset[str]] = {}
    for key in SELECTOR_KEYS:
        if obj.get(key) is not None:
            allowed = LOCATION_KINDS if key == "kinds" else None
            found[key] = frozenset(r.names(obj[key], f"{path}.{key}", allowed) or ())
    return Selector(**found)


def _actions(r: _Reader, raw: object, path: str, policy_id: str | None) -> tuple[Action, ...]:
    if not isinstance(raw, list) or not raw:
        r.problem(path, f"expected a non-empty list of actions, got {_kind(raw)}")
        return ()
    if len(raw) > MAX_ACTIONS:
        r.problem(path, f"at most {MAX_ACTIONS} actions, got {len(raw)}")
        return ()
    actions: list[Action] = []
    kinds = ", ".join(k.value for k in ActionKind)
    for j, item in enumerate(raw):
        at = f"{path}[{j}]"
        if not isinstance(item, Mapping):
            r.problem(at, f"expected an object, got {_kind(item)}")
            continue
        try:
            kind = ActionKind(str(item.get("type")))
        except ValueError:
            r.problem(f"{at}.type", f"unknown action type {item.get('type')!r} (one of {kinds})")
            continue
        r.obj(item, at, ACTION_KEYS[kind])
        action = _action(r, kind, item, at, policy_id)
        if action is not None:
            actions.append(action)
    return tuple(actions)


def _action(
    r: _Reader, kind: ActionKind, item: Mapping[str, Any], at: str, policy_id: str | None
) -> Action | None:
    def required(key: str) -> object:
        if item.get(key) is None:
            r.problem(f"{at}.{key}", "required")
        return item.get(key)

    match kind:
        case ActionKind.EXCLUDE_LOCATIONS | ActionKind.REQUIRE_LOCATIONS:
            where = _selector(r, required("locations"), f"{at}.locations")
            tags = None
            if item.get("skuTags") is not None:
                tags = frozenset(r.names(item["skuTags"], f"{at}.skuTags") or ())
            return Action(kind, locations=where, sku_tags=tags)
        case ActionKind.MAX_SHIPMENTS:
            cap = r.integer(required("maxShipments"), f"{at}.maxShipments", 1, MAX_SHIPMENTS_CAP)
            return None if cap is None else Action(kind, max_shipments=cap)
        case ActionKind.PREFER_LOCATIONS:
            where = _selector(r, required("locations"), f"{at}.locations")
            bonus = r.number(required("bonusPerUnit"), f"{at}.bonusPerUnit", 0.0, MAX_WEIGHT,
                             open_low=True)  # fmt: skip
            return None if bonus is None else Action(kind, locations=where, bonus=bonus)
        case ActionKind.DAILY_SHARE:
            where = _selector(r, required("locations"), f"{at}.locations")
            share = r.number(required("fraction"), f"{at}.fraction", 0.0, 1.0, open_low=True)
            return None if share is None else Action(kind, locations=where, fraction=share)
        case ActionKind.FALLBACK:
            other = r.policy_id(required("policy"), f"{at}.policy")
            version = None
            if item.get("version") is not None:
                version = r.integer(item["version"], f"{at}.version", 1, 2**31 - 1)
            if other is not None and other == policy_id:
                r.problem(f"{at}.policy", "a policy cannot fall back to itself")
                return None
            return Action(kind, fallback_id=other, fallback_version=version)
    raise AssertionError(kind)  # pragma: no cover


def _gates(r: _Reader, raw: object) -> tuple[Gate, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        r.problem("gates", f"expected a list, got {_kind(raw)}")
        return ()
    gates: list[Gate] = []
    for i, item in enumerate(raw):
        at = f"gates[{i}]"
        obj = r.obj(item, at, GATE_KEYS)
        if obj is None:
            continue
        kpi = obj.get("kpi")
        if kpi not in GATE_KPIS:
            r.problem(f"{at}.kpi", f"unknown KPI {kpi!r} (one of {', '.join(sorted(GATE_KPIS))})")
            continue
        relative = obj.get("relativeToBaseline", False)
        if not isinstance(relative, bool):
            r.problem(f"{at}.relativeToBaseline", f"expected a boolean, got {_kind(relative)}")
            continue
        high_bound = 1.0 if kpi in RATE_KPIS and not relative else MAX_WEIGHT
        low_bound = -1.0 if relative else 0.0
        if obj.get("min") is None and obj.get("max") is None:
            r.problem(at, "needs min, max or both")
            continue
        low = high = None
        if obj.get("min") is not None:
            low = r.number(obj["min"], f"{at}.min", low_bound, high_bound)
        if obj.get("max") is not None:
            high = r.number(obj["max"], f"{at}.max", low_bound, high_bound)
        if low is not None and high is not None and low > high:
            r.problem(f"{at}.max", f"must be at least min ({low:g})")
        gates.append(Gate(str(kpi), low, high, relative))
    return tuple(gates)


def _gate_body(gate: Gate) -> dict[str, Any]:
    return {
        "kpi": gate.kpi,
        "min": gate.min,
        "max": gate.max,
        "relativeToBaseline": gate.relative_to_baseline,
    }


def _rule_bodies(raw: list[Any]) -> list[dict[str, Any]]:
    """The rules as given (already valid), with names filled in: what a version stores."""
    bodies = []
    for i, rule in enumerate(raw):
        bodies.append(
            {
                "name": rule.get("name") or f"rules[{i}]",
                "conditions": dict(rule.get("conditions") or {}),
                "actions": [dict(a) for a in rule["actions"]],
            }
        )
    return bodies
