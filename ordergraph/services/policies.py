"""Routing policies as versioned data: create, activate, read, and compile for ``route()``.

A policy is a JSON document (``domain/routing/documents.py``, docs/routing-policies.md) stored
as immutable versions, each DRAFT -> ACTIVE -> RETIRED. One ACTIVE version serves a channel.
The four policies of old (``CHEAPEST``...) are shipped documents, version 1, always ACTIVE, not
stored; a channel setting that names one keeps working unchanged.

Which policy routes an order (``policy_for_order``): the order's own ``policy`` if it names
one, else the ACTIVE version serving its channel, else the channel's ``routingPolicy`` (a
policy id: its ACTIVE version, or the shipped document), else ``CHEAPEST``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ordergraph.domain.errors import (
    ErrorCode,
    InvalidTransition,
    NotFound,
    OrderGraphError,
    PolicyDocumentError,
    Problem,
    ValidationError,
)
from ordergraph.domain.kpis import gate_failures
from ordergraph.domain.routing.documents import PolicyDocument, compile_policy, parse_policy
from ordergraph.domain.routing.rules import ActionKind
from ordergraph.domain.routing.shipped import SHIPPED
from ordergraph.domain.routing.types import CHEAPEST, Policy
from ordergraph.graph import policies as q
from ordergraph.graph import simulations
from ordergraph.graph.records.catalog import ChannelRecord
from ordergraph.graph.records.policies import RoutingPolicyRecord
from ordergraph.graph.store import GraphStore

__all__ = [
    "MAX_FALLBACK_DEPTH",
    "PolicyChoice",
    "activate_policy",
    "activation_check",
    "compiled_policy",
    "create_policy",
    "list_policies",
    "policy_for_order",
    "policy_version",
]

MAX_FALLBACK_DEPTH = 3
STATES = ("DRAFT", "ACTIVE", "RETIRED")


def shipped_record(policy_id: str) -> RoutingPolicyRecord | None:
    """A shipped document as a record: version 1, ACTIVE, serving no channel by itself."""
    doc = SHIPPED.get(policy_id)
    if doc is None:
        return None
    return RoutingPolicyRecord(
        id=doc.id,
        version=1,
        state="ACTIVE",
        channels=(),
        body=doc.body,
        digest=doc.digest,
        created_at=None,
        shipped=True,
    )


_PARSED: dict[tuple[str, int, str], PolicyDocument] = {}
_PARSED_MAX = 512


def document_of(record: RoutingPolicyRecord) -> PolicyDocument:
    """The stored version's document, as valid as when it was stored. A version never changes,
    so each is parsed once per process (by id, version and digest; shipped ones are parsed)."""
    if record.shipped:
        return SHIPPED[record.id]
    key = (record.id, record.version, record.digest)
    found = _PARSED.get(key)
    if found is None:
        found = parse_policy({**record.body, "version": record.version})
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = found
    return found


async def policy_version(
    store: GraphStore, policy_id: str, version: int | None = None
) -> RoutingPolicyRecord | None:
    """A version (``version`` None: the ACTIVE one, else the latest), shipped ones included."""
    shipped = shipped_record(policy_id)
    if shipped is not None:
        return shipped if version in (None, 1) else None
    return await q.version(store, policy_id, version)


async def list_policies(
    store: GraphStore, *, channel: str | None = None, state: str | None = None, limit: int = 100
) -> list[RoutingPolicyRecord]:
    """Every version, by id and version: the shipped ones (ACTIVE, serving no channel) and the
    stored ones, filtered by a channel served and a state."""
    if state is not None and state not in STATES:
        raise ValidationError(f"state must be one of {', '.join(STATES)}", field=("state",))
    found: list[RoutingPolicyRecord] = []
    if channel is None and state in (None, "ACTIVE"):
        found = [r for r in (shipped_record(i) for i in sorted(SHIPPED)) if r is not None]
    found += await q.listing(store, channel=channel, state=state, limit=limit)
    return sorted(found, key=lambda r: (r.id, r.version))[:limit]


async def compiled_policy(store: GraphStore, policy_id: str, version: int | None = None) -> Policy:
    """The ``Policy`` that ``route(request, candidates, policy)`` takes, compiled from the
    stored document ``policy_id`` (``version`` None: its ACTIVE version; a shipped id: its
    document), with every fallback it names compiled in (their ACTIVE version unless the
    document pins one). ``NotFound`` when there is no such version or no ACTIVE one; a
    ``ValidationError`` when fallbacks loop or nest deeper than ``MAX_FALLBACK_DEPTH``."""
    return await _compiled(store, policy_id, version, (), ("policy",))


async def _compiled(
    store: GraphStore,
    policy_id: str,
    version: int | None,
    chain: tuple[str, ...],
    field: tuple[str, ...],
) -> Policy:
    if policy_id in chain:
        raise ValidationError(
            f"routing policy fallbacks loop: {' -> '.join((*chain, policy_id))}", field=field
        )
    if len(chain) > MAX_FALLBACK_DEPTH:
        raise ValidationError(
            f"routing policy fallbacks nest deeper than {MAX_FALLBACK_DEPTH}: "
            + " -> ".join((*chain, policy_id)),
            field=field,
        )
    record = await policy_version(store, policy_id, version)
    if record is None and (version is None or await policy_version(store, policy_id) is None):
        known = ", ".join(sorted(SHIPPED))
        raise NotFound(f"unknown routing policy {policy_id!r} (shipped: {known})", field)
    if record is None:
        raise NotFound(f"routing policy {policy_id!r} has no version {version}", field)
    if version is None and record.state != "ACTIVE":
        raise NotFound(f"routing policy {policy_id!r} has no ACTIVE version", field)
    return await _compiled_record(store, record, chain, field)


async def _compiled_record(
    store: GraphStore,
    record: RoutingPolicyRecord,
    chain: tuple[str, ...],
    field: tuple[str, ...],
) -> Policy:
    """``record``'s document compiled, with its fallbacks (read and compiled in turn)."""
    policy_id = record.id
    document = document_of(record)
    fallbacks: dict[tuple[str, int | None], Policy] = {}
    for other, pinned in document.fallbacks:
        fallbacks[(other, pinned)] = await _compiled(
            store, other, pinned, (*chain, policy_id), field
        )
    return compile_policy(document, lambda i, v: fallbacks[(i, v)], record.version)


@dataclass(frozen=True, slots=True)
class PolicyChoice:
    """The policy an order routes under, and the version it records (None: none stored)."""

    policy: Policy
    policy_id: str
    version: int | None


async def policy_for_order(
    store: GraphStore, name: str | None, channel: ChannelRecord, *, strict: bool = True
) -> PolicyChoice:
    """The policy for an order of ``channel`` (see the module doc); ``name`` is the order's
    own choice. An unknown name is a ``ValidationError`` on ``policy``; with ``strict=False``
    (re-routing an order whose policy has since been retired) the channel's choice instead."""
    if name is not None and not strict:
        try:
            policy = await compiled_policy(store, name)
        except NotFound:
            return await policy_for_order(store, None, channel)
        return PolicyChoice(policy, policy.name, policy.version)
    if name is None:
        active = await q.active_for_channel(store, channel.id)
        if active is not None:  # compiled from the version just read, not read again
            policy = await _compiled_record(store, active, (), ("policy",))
            return PolicyChoice(policy, active.id, active.version)
    chosen = name or channel.routing_policy
    if chosen is None:
        return PolicyChoice(CHEAPEST, CHEAPEST.name, CHEAPEST.version)
    try:
        policy = await compiled_policy(store, chosen)
    except NotFound:
        known = ", ".join(sorted(SHIPPED))
        raise ValidationError(
            f"unknown routing policy {chosen!r}, or it has no ACTIVE version (shipped: {known})",
            field=("policy",),
        ) from None
    return PolicyChoice(policy, policy.name, policy.version)


async def create_policy(
    store: GraphStore,
    raw: object,
    *,
    by: str | None = None,
    at: datetime | None = None,
) -> tuple[RoutingPolicyRecord, bool]:
    """Store ``raw`` as the next DRAFT version of its id: (the version, whether it is new).

    The same document as the latest version creates nothing and answers that version. A
    ``version`` in the document must be the next one (else ``CONFLICT``). Every problem of the
    document comes back at once with its path (``PolicyDocumentError``); fallbacks must name
    shipped or stored policies, and may not loop."""
    at = at or datetime.now(UTC)
    document = parse_policy(raw)
    if document.id in SHIPPED:
        raise OrderGraphError(
            f"{document.id} is a shipped policy and cannot be changed; create a policy under "
            "another id (it may fall back to this one)",
            ErrorCode.CONFLICT,
            ("id",),
        )
    await _check_fallbacks(store, document)
    record = RoutingPolicyRecord(
        id=document.id,
        version=0,
        state="DRAFT",
        channels=document.channels,
        body={k: v for k, v in document.body.items() if k != "version"},
        digest=document.digest,
        created_at=at,
        created_by=by,
    )
    created = await q.create(store, record, document.version, at)
    if created.record is None:
        raise OrderGraphError(
            f"version {document.version} of routing policy {document.id} cannot be created: "
            f"the latest is {created.latest}, so the next is {created.latest + 1}",
            ErrorCode.CONFLICT,
            ("version",),
        )
    return created.record, created.created


async def _check_fallbacks(store: GraphStore, document: PolicyDocument) -> None:
    stored = await q.known_ids(store, [i for i, _ in document.fallbacks if i not in SHIPPED])
    problems: list[Problem] = []
    for i, rule in enumerate(document.policy.rules):
        for j, action in enumerate(rule.actions):
            if action.kind is not ActionKind.FALLBACK or action.fallback_id is None:
                continue
            other, path = action.fallback_id, f"rules[{i}].actions[{j}]"
            if other not in SHIPPED and other not in stored:
                problems.append(Problem(f"{path}.policy", f"unknown routing policy {other!r}"))
                continue
            try:
                await _compiled(store, other, action.fallback_version, (document.id,), ("policy",))
            except (NotFound, ValidationError) as exc:
                where = (
                    "version" if isinstance(exc, NotFound) and action.fallback_version else "policy"
                )
                problems.append(Problem(f"{path}.{where}", exc.message))
    if problems:
        raise PolicyDocumentError("invalid routing policy", problems=problems)


async def activation_check(store: GraphStore, policy: str, version: int) -> list[str]:
    """The messages of the activation gates ``version`` of ``policy`` fails (empty: it may be
    activated). A document without gates passes. Otherwise its gates (``domain/kpis.py
    gate_failures``) are judged on the last finished sandbox run that named this version
    (``routingSimulationRun(input: {policy, version})``) against that run's baseline; with no
    such run, activation fails and says what to run."""
    record = await policy_version(store, policy, version)
    if record is None:
        return []
    gates = document_of(record).gates
    if not gates:
        return []
    run = await simulations.latest_done_run(store, policy, version)
    if run is None or run.report is None:
        return [
            f"no finished simulation of {policy} version {version} has judged its gates: run "
            f"routingSimulationRun(input: {{policy: {policy!r}, version: {version}}}) first"
        ]
    report = run.report
    failures = gate_failures(gates, report.kpis.values(), report.baseline_kpis.values())
    return [f"{message} (simulation {run.id})" for message in failures]


@dataclass(frozen=True, slots=True)
class Activation:
    record: RoutingPolicyRecord
    retired: tuple[tuple[str, int], ...]
    failures: tuple[str, ...] = ()  # gate messages (also when forced past them)


async def activate_policy(
    store: GraphStore,
    policy_id: str,
    version: int,
    *,
    force: bool = False,
    by: str | None = None,
    at: datetime | None = None,
) -> Activation:
    """Make a DRAFT version ACTIVE, retiring the ACTIVE versions of the same id or of any
    channel it serves, in one statement. Gates (``activation_check``) must pass unless
    ``force``, which the ``routing_policy.activated`` event records as ``forced: true``.
    Activating the ACTIVE version again changes nothing; a RETIRED one is
    ``INVALID_TRANSITION``; a shipped one is always ACTIVE."""
    at = at or datetime.now(UTC)
    record = await policy_version(store, policy_id, version)
    if record is None:
        raise NotFound(f"routing policy {policy_id!r} has no version {version}", ("version",))
    if record.state == "ACTIVE":
        return Activation(record, ())
    if record.state == "RETIRED":
        raise InvalidTransition(
            f"version {version} of routing policy {policy_id} is RETIRED; create a new version "
            "to route under it again",
            ("version",),
        )
    failures = tuple(await activation_check(store, policy_id, version))
    if failures and not force:
        raise OrderGraphError(
            f"version {version} of routing policy {policy_id} fails its activation gates: "
            + "; ".join(failures)
            + " (force: true activates it anyway, recorded in the audit event)",
            ErrorCode.INVALID_TRANSITION,
            ("version",),
        )
    await compiled_policy(store, policy_id, version)  # its fallbacks must still resolve
    done = await q.activate(store, policy_id, version, forced=force, by=by, at=at)
    if done is None:  # pragma: no cover - read just now; versions are never deleted
        raise NotFound(f"routing policy {policy_id!r} has no version {version}", ("version",))
    if not done.ok and done.record.state != "ACTIVE":
        raise InvalidTransition(
            f"version {version} of routing policy {policy_id} is {done.record.state}",
            ("version",),
        )
    return Activation(done.record, done.retired, failures)


def document_json(record: RoutingPolicyRecord) -> Mapping[str, Any]:
    """The document of a version as the API shows it: its body with its version."""
    return {**record.body, "version": record.version}
