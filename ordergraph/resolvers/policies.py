"""Root fields of routing policies: ``routingPolicies``, ``routingPolicy``,
``routingPolicyCreate`` and ``routingPolicyActivate`` (docs/routing-policies.md)."""

from __future__ import annotations

import strawberry

from ordergraph.resolvers.network import attempt
from ordergraph.schema.context import Info
from ordergraph.schema.policies import (
    RoutingPolicy,
    RoutingPolicyActivatePayload,
    RoutingPolicyCreateInput,
    RoutingPolicyCreatePayload,
    RoutingPolicyState,
)
from ordergraph.schema.problems import raise_as_graphql
from ordergraph.services import policies


def _by(info: Info) -> str | None:
    principal = info.context.principal
    return None if principal is None else principal.key_id


@strawberry.type
class PolicyQuery:
    @strawberry.field(
        description="Routing policy versions by id and version (shipped ones included, as "
        "ACTIVE version 1 serving no channel by themselves); filter by a channel served and a "
        "state. At most 100."
    )
    async def routing_policies(
        self,
        info: Info,
        channel: strawberry.ID | None = None,
        state: RoutingPolicyState | None = None,
    ) -> list[RoutingPolicy]:
        with raise_as_graphql():
            found = await policies.list_policies(
                info.context.store,
                channel=None if channel is None else str(channel),
                state=None if state is None else state.value,
            )
        return [RoutingPolicy.from_record(r) for r in found]

    @strawberry.field(
        description="One version of a routing policy; without version, its ACTIVE version, "
        "else its latest."
    )
    async def routing_policy(
        self, info: Info, id: strawberry.ID, version: int | None = None
    ) -> RoutingPolicy | None:
        found = await policies.policy_version(info.context.store, str(id), version)
        return None if found is None else RoutingPolicy.from_record(found)


@strawberry.type
class PolicyMutation:
    @strawberry.mutation(
        description="Store a routing policy document as a new DRAFT version of its id "
        "(routing_policy.created). Every problem of the document is a userError naming its "
        "JSON path."
    )
    async def routing_policy_create(
        self, info: Info, input: RoutingPolicyCreateInput
    ) -> RoutingPolicyCreatePayload:
        done, errors = await attempt(
            policies.create_policy(info.context.store, input.document, by=_by(info))
        )
        if done is None:
            return RoutingPolicyCreatePayload(
                routing_policy=None, created=False, user_errors=errors
            )
        record, created = done
        return RoutingPolicyCreatePayload(
            routing_policy=RoutingPolicy.from_record(record), created=created, user_errors=[]
        )

    @strawberry.mutation(
        description="Make a DRAFT version ACTIVE, retiring the ACTIVE versions of its id and of "
        "every channel it serves (routing_policy.activated, routing_policy.retired). Refused "
        "when its activation gates fail, unless force (recorded as forced in the event)."
    )
    async def routing_policy_activate(
        self, info: Info, id: strawberry.ID, version: int, force: bool = False
    ) -> RoutingPolicyActivatePayload:
        done, errors = await attempt(
            policies.activate_policy(
                info.context.store, str(id), version, force=force, by=_by(info)
            )
        )
        if done is None:
            return RoutingPolicyActivatePayload(routing_policy=None, retired=[], user_errors=errors)
        retired = [
            await policies.policy_version(info.context.store, pid, number)
            for pid, number in done.retired
        ]
        return RoutingPolicyActivatePayload(
            routing_policy=RoutingPolicy.from_record(done.record),
            retired=[RoutingPolicy.from_record(r) for r in retired if r is not None],
            user_errors=[],
        )
