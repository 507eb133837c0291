"""GraphQL types of routing policies (docs/routing-policies.md; API.md names:
``routingPolicyCreate``, ``routingPolicyActivate``, ``routingPolicies``, ``routingPolicy``).

The document travels as the ``JSON`` scalar, in and out: it is the same document as a policy
file and a network file's ``routingPolicies`` entry, checked by one parser that names each
problem by its JSON path in the document as written (``rules[2].actions[0].maxShipments``). A
structured input could not say it better: actions differ in shape by ``type`` and GraphQL
inputs have no unions, so it would either be a bag of optional fields or one input type per
action that every client must nest just so.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import cast

import strawberry

from ordergraph.graph.records.policies import RoutingPolicyRecord
from ordergraph.schema.errors import UserError
from ordergraph.services.policies import document_json


@strawberry.enum(description="DRAFT -> ACTIVE -> RETIRED; one ACTIVE version serves a channel.")
class RoutingPolicyState(Enum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    RETIRED = "RETIRED"


@strawberry.type(description="One immutable version of a routing policy document.")
class RoutingPolicy:
    id: strawberry.ID
    version: int
    state: RoutingPolicyState
    channels: list[strawberry.ID] = strawberry.field(
        description="The channels this version serves while ACTIVE."
    )
    document: strawberry.scalars.JSON = strawberry.field(
        description="The normalised document (defaults written out), with its version."
    )
    shipped: bool = strawberry.field(
        description="One of the four policies in code (CHEAPEST, FASTEST, FEWEST_SHIPMENTS, "
        "PREFER_STORE_EXCESS): version 1, always ACTIVE, serving channels that name it."
    )
    created_at: datetime | None
    activated_at: datetime | None
    forced: bool = strawberry.field(description="Activated with force, past failing gates.")
    retired_at: datetime | None

    @classmethod
    def from_record(cls, rec: RoutingPolicyRecord) -> RoutingPolicy:
        return cls(
            id=strawberry.ID(rec.id),
            version=rec.version,
            state=RoutingPolicyState(rec.state),
            channels=[strawberry.ID(c) for c in rec.channels],
            document=cast(strawberry.scalars.JSON, dict(document_json(rec))),
            shipped=rec.shipped,
            created_at=rec.created_at,
            activated_at=rec.activated_at,
            forced=rec.forced,
            retired_at=rec.retired_at,
        )


@strawberry.input
class RoutingPolicyCreateInput:
    document: strawberry.scalars.JSON = strawberry.field(
        description="The policy document (docs/routing-policies.md). A new DRAFT version of its "
        "id; the same document as the latest version answers that version."
    )


@strawberry.type
class RoutingPolicyCreatePayload:
    routing_policy: RoutingPolicy | None
    created: bool = strawberry.field(description="False when the latest version was the same.")
    user_errors: list[UserError]


@strawberry.type
class RoutingPolicyActivatePayload:
    routing_policy: RoutingPolicy | None
    retired: list[RoutingPolicy] = strawberry.field(
        description="The versions this activation retired (same id, or a channel it serves)."
    )
    user_errors: list[UserError]
