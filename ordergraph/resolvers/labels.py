"""``fulfillmentLabelBuy``: buy the carrier label of an open or released fulfillment."""

from __future__ import annotations

import strawberry

from ordergraph.domain.errors import NotFound, OrderGraphError
from ordergraph.graph import lifecycle as graph_lifecycle
from ordergraph.resolvers.lifecycle import _fulfillment, _order
from ordergraph.schema.context import Info
from ordergraph.schema.errors import user_errors
from ordergraph.schema.labels import FulfillmentLabelBuyInput, FulfillmentLabelBuyPayload
from ordergraph.schema.permissions import principal
from ordergraph.services import labels
from ordergraph.services.carrier_rates import carrier_accounts


@strawberry.type
class LabelMutation:
    @strawberry.mutation(
        description="Buy the shipping label of a fulfillment (once: a retry answers the same "
        "label); stores tracking number, label URL and format on it."
    )
    async def fulfillment_label_buy(
        self, info: Info, input: FulfillmentLabelBuyInput
    ) -> FulfillmentLabelBuyPayload:
        store, fid = info.context.store, str(input.fulfillment_id)
        try:
            location = await graph_lifecycle.fulfillment_location(store, fid)
            if location is None or not principal(info).may_act_at(location):
                raise NotFound(f"no fulfillment {fid}", ("fulfillmentId",))
            carriers = carrier_accounts(info.context.settings)
            order_id = (await labels.buy_label(store, carriers, fid, input.carrier)).order_id
        except OrderGraphError as exc:
            return FulfillmentLabelBuyPayload(
                order=None, fulfillment=None, user_errors=user_errors(exc)
            )
        finally:
            info.context.loaders.changed()
        return FulfillmentLabelBuyPayload(
            order=await _order(info, order_id),
            fulfillment=await _fulfillment(info, order_id, fid),
            user_errors=[],
        )
