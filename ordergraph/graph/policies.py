"""Cypher for routing policies: versions, their states, and their audit events.

Every change is one statement under the lock of the policy's ``RoutingPolicyHead`` (taken by
writing to it first), which appends its event in the same statement
(``(:RoutingPolicyHead)-[:HAS_EVENT]->(:Event)``, ``orderId`` null, ``policyId`` set, stream
``POL:<id>``; the webhook fan-out delivers them like order events):

* ``CREATE``: the next version (``latest + 1``) as a DRAFT, unless the latest version has the
  same digest (then that one is answered: a repeat creates nothing), or the caller expected
  another version number; appends ``routing_policy.created``.
  Policy ids are plain words (``documents.POLICY_ID``), so the statement may quote them.
* ``ACTIVATE``: a DRAFT version becomes ACTIVE; every ACTIVE version of the same id, or serving
  one of its channels, becomes RETIRED in the same statement. Appends
  ``routing_policy.activated`` (payload with ``forced``) and one ``routing_policy.retired`` per
  retired version, on that version's own head.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ordergraph.graph.fragments import projection
from ordergraph.graph.records.policies import FIELDS, RoutingPolicyRecord
from ordergraph.graph.store import GraphStore

POLICY = projection("p", FIELDS)

CREATED = "routing_policy.created"
ACTIVATED = "routing_policy.activated"
RETIRED = "routing_policy.retired"


def _event(head: str, kind: str, payload: str) -> str:
    """Inside a FOREACH with the head ``head`` in scope: its next event, of ``kind``."""
    return f"""SET {head}.eventSeq = {head}.eventSeq + 1
  CREATE ({head})-[:HAS_EVENT]->(e:Event)
  SET e.id = 'POL:' + {head}.id + '-E' + toString({head}.eventSeq), e.type = '{kind}',
      e.policyId = {head}.id, e.sequence = {head}.eventSeq, e.at = $at, e.atMs = $atMs,
      e.pending = true, e.stream = 'POL:' + {head}.id, e.payload = {payload}"""


# JSON text built in the statement (the version is the statement's to number)
_CREATED_PAYLOAD = (
    """'{"id":' + $idJson + ',"version":' + toString(h.latest) + ',"channels":' + """
    """$channelsJson + ',"by":' + $byJson + '}'"""
)
_RETIRED_PAYLOAD = (
    """'{"id":"' + o.id + '","version":' + toString(o.version) + ',"replacedBy":{"id":' + """
    """$idJson + ',"version":' + toString($version) + '}}'"""
)

CREATE = f"""
MERGE (h:RoutingPolicyHead {{id: $props.id}})
ON CREATE SET h.latest = 0, h.eventSeq = 0
SET h._lock = true
WITH h
OPTIONAL MATCH (last:RoutingPolicy {{id: $props.id}})
WHERE last.version = h.latest
WITH h, coalesce(last.digest = $props.digest, false) AS same
WITH h, same, NOT same AND ($expected IS NULL OR $expected = h.latest + 1) AS fresh
FOREACH (_ IN CASE WHEN fresh THEN [1] ELSE [] END |
  SET h.latest = h.latest + 1
  CREATE (p:RoutingPolicy)
  SET p += $props, p.version = h.latest, p.key = h.id + '|' + toString(h.latest)
  {_event("h", CREATED, _CREATED_PAYLOAD)})
REMOVE h._lock
WITH h, same, fresh
OPTIONAL MATCH (p:RoutingPolicy {{id: $props.id}})
WHERE p.version = h.latest
RETURN CASE WHEN same OR fresh THEN {POLICY} ELSE null END AS p, fresh, h.latest AS latest
"""


@dataclass(frozen=True, slots=True)
class Created:
    record: RoutingPolicyRecord | None  # None when ``expected`` was not the next version
    created: bool
    latest: int


async def create(
    store: GraphStore, record: RoutingPolicyRecord, expected: int | None, at: datetime
) -> Created:
    """Store ``record`` as the next version of its id (see the module doc)."""
    rows = await store.write(
        CREATE,
        {
            "props": record.to_params(),
            "expected": expected,
            "idJson": json.dumps(record.id),
            "channelsJson": json.dumps(list(record.channels)),
            "byJson": json.dumps(record.created_by),
            **_instant(at),
        },
    )
    row = rows[0]
    found = row["p"]
    return Created(
        None if found is None else RoutingPolicyRecord.from_row(found),
        bool(row["fresh"]),
        int(row["latest"]),
    )


ACTIVATE = f"""
MATCH (h:RoutingPolicyHead {{id: $id}})
SET h._lock = true
WITH h
MATCH (p:RoutingPolicy {{key: $key}})
WITH h, p, p.state = 'DRAFT' AS ok
OPTIONAL MATCH (old:RoutingPolicy {{state: 'ACTIVE'}})
WHERE ok AND (old.id = $id OR any(c IN old.channels WHERE c IN p.channels))
WITH h, p, ok, collect(old) AS olds
FOREACH (_ IN CASE WHEN ok THEN [1] ELSE [] END |
  SET p.state = 'ACTIVE', p.activatedAt = $at, p.activatedBy = $by, p.forced = $forced
  {_event("h", ACTIVATED, "$payload")})
REMOVE h._lock
WITH p, ok, olds
UNWIND CASE WHEN size(olds) = 0 THEN [null] ELSE olds END AS o
OPTIONAL MATCH (oh:RoutingPolicyHead {{id: o.id}})
FOREACH (_ IN CASE WHEN o IS NULL THEN [] ELSE [1] END |
  SET o.state = 'RETIRED', o.retiredAt = $at
  {_event("oh", RETIRED, _RETIRED_PAYLOAD)})
WITH p, ok, collect(o {{.id, .version}}) AS retired
RETURN {POLICY} AS p, ok, retired
"""


@dataclass(frozen=True, slots=True)
class Activated:
    record: RoutingPolicyRecord  # as it now is
    ok: bool  # False: it was not a DRAFT, and nothing changed
    retired: tuple[tuple[str, int], ...]


async def activate(
    store: GraphStore,
    policy_id: str,
    version: int,
    *,
    forced: bool,
    by: str | None,
    at: datetime,
) -> Activated | None:
    """Activate a DRAFT version (see the module doc); None when there is no such version."""
    payload = json.dumps(
        {"id": policy_id, "version": version, "forced": forced, "by": by},
        separators=(",", ":"),
    )
    rows = await store.write(
        ACTIVATE,
        {
            "id": policy_id,
            "key": f"{policy_id}|{version}",
            "version": version,
            "forced": forced,
            "by": by,
            "payload": payload,
            "idJson": json.dumps(policy_id),
            **_instant(at),
        },
    )
    if not rows:
        return None
    row = rows[0]
    return Activated(
        RoutingPolicyRecord.from_row(row["p"]),
        bool(row["ok"]),
        tuple(
            (str(r["id"]), int(r["version"]))
            for r in row["retired"]
            if r is not None and r.get("version") is not None  # a projection of null
        ),
    )


async def version(
    store: GraphStore, policy_id: str, number: int | None
) -> RoutingPolicyRecord | None:
    """One version; ``number`` None: the ACTIVE one, else the latest."""
    if number is not None:
        rows = await store.read(
            f"MATCH (p:RoutingPolicy {{key: $key}}) RETURN {POLICY} AS p",
            {"key": f"{policy_id}|{number}"},
        )
    else:
        rows = await store.read(
            f"MATCH (p:RoutingPolicy {{id: $id}}) RETURN {POLICY} AS p "
            "ORDER BY CASE WHEN p.state = 'ACTIVE' THEN 0 ELSE 1 END, p.version DESC LIMIT 1",
            {"id": policy_id},
        )
    return RoutingPolicyRecord.from_row(rows[0]["p"]) if rows else None


async def active_for_channel(store: GraphStore, channel: str) -> RoutingPolicyRecord | None:
    """The ACTIVE version that serves ``channel``, if any (at most one does)."""
    rows = await store.read(
        f"MATCH (p:RoutingPolicy {{state: 'ACTIVE'}}) WHERE $channel IN p.channels "
        f"RETURN {POLICY} AS p ORDER BY p.id LIMIT 1",
        {"channel": channel},
    )
    return RoutingPolicyRecord.from_row(rows[0]["p"]) if rows else None


async def listing(
    store: GraphStore, *, channel: str | None, state: str | None, limit: int
) -> list[RoutingPolicyRecord]:
    """Stored versions, by id then version, filtered by a channel served and a state."""
    rows = await store.read(
        "MATCH (p:RoutingPolicy) WHERE ($state IS NULL OR p.state = $state) "
        "AND ($channel IS NULL OR $channel IN p.channels) "
        f"RETURN {POLICY} AS p ORDER BY p.id, p.version LIMIT $limit",
        {"channel": channel, "state": state, "limit": limit},
    )
    return [RoutingPolicyRecord.from_row(row["p"]) for row in rows]


async def known_ids(store: GraphStore, ids: list[str]) -> set[str]:
    """Those of ``ids`` that have a stored version."""
    rows = await store.read(
        "UNWIND $ids AS id MATCH (h:RoutingPolicyHead {id: id}) WHERE h.latest > 0 "
        "RETURN h.id AS id",
        {"ids": sorted(set(ids))},
    )
    return {str(row["id"]) for row in rows}


def _instant(at: datetime) -> dict[str, Any]:
    return {"at": at.isoformat(), "atMs": int(at.timestamp() * 1000)}
