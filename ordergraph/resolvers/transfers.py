"""Mutations of transfers (docs/transfers.md): transfer lanes, and receiving a transfer."""

from __future__ import annotations

import strawberry

from ordergraph.graph import lifecycle as graph_lifecycle
from ordergraph.graph.records.catalog import TransferLaneRecord
from ordergraph.resolvers.lifecycle import fulfillment_payload
from ordergraph.resolvers.network import attempt
from ordergraph.schema.context import Info
from ordergraph.schema.inputs import given
from ordergraph.schema.transfers import (
    TransferLane,
    TransferLaneInput,
    TransferLaneUpsertPayload,
    TransferReceiveInput,
    TransferReceivePayload,
)
from ordergraph.services import network, transfers


def _transfer_lane(rec: TransferLaneRecord) -> TransferLane:
    return TransferLane(
        from_=strawberry.ID(rec.from_),
        to=strawberry.ID(rec.to),
        carrier=rec.carrier,
        service=rec.service,
        transit_days=rec.transit_days,
        base_cost=rec.base_cost,
        cost_per_kg=rec.cost_per_kg,
        cutoff=rec.cutoff,
    )


@strawberry.type
class TransferMutation:
    @strawberry.mutation(
        description="Create or replace a transfer lane from a location to a pickup store."
    )
    async def transfer_lane_upsert(
        self, info: Info, input: TransferLaneInput
    ) -> TransferLaneUpsertPayload:
        fields = {k: v for k, v in given(input, input.FIELDS).items() if v is not None}
        rec, errors = await attempt(network.upsert_transfer_lane(info.context.store, fields))
        return TransferLaneUpsertPayload(
            transfer_lane=None if rec is None else _transfer_lane(rec), user_errors=errors
        )

    @strawberry.mutation(
        description="The pickup store received a shipped TRANSFER: its units go on hand there, "
        "held for the pickup, which becomes OPEN (ready to pick)."
    )
    async def transfer_receive(
        self, info: Info, input: TransferReceiveInput
    ) -> TransferReceivePayload:
        return await fulfillment_payload(
            info,
            TransferReceivePayload,
            input.fulfillment_id,
            lambda store, fid: transfers.receive(store, fid, input.received_at),
            acting=graph_lifecycle.acting_location,
        )
