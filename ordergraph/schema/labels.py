"""Inputs and payloads of carrier labels (docs/carriers.md)."""

from __future__ import annotations

import strawberry

from ordergraph.schema.lifecycle import FulfillmentPayload


@strawberry.input
class FulfillmentLabelBuyInput:
    fulfillment_id: strawberry.ID
    carrier: str | None = strawberry.field(
        default=None,
        description="The carrier account to buy from (ORDERGRAPH_CARRIER_<NAME>_API_KEY); "
        "default: the first configured. A retry buys nothing more.",
    )


@strawberry.type
class FulfillmentLabelBuyPayload(FulfillmentPayload):
    pass
