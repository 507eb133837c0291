"""Batch windows and re-optimisation over HTTP on the real engine (issue #18)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient
from tests.integration.test_reoptimise import only_b

UPSERT = """mutation($input: ChannelInput!) { channelUpsert(input: $input) {
  channel { id batchWindowSeconds } userErrors { field code message } } }"""

CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id status heldUntil fulfillments { location { id } } }
  userErrors { field code message } } }"""

REOPTIMISE = """mutation($input: AllocationReoptimiseInput!) { allocationReoptimise(input: $input) {
  considered saving leftAlone changes { orderId reason saving costBefore costAfter }
  userErrors { field code message } } }"""

INVENTORY = """mutation($input: InventorySetInput!) { inventorySet(input: $input) {
  userErrors { code } } }"""


@pytest.fixture
def network_doc() -> dict[str, Any]:
    return only_b(1)


def order(channel: str, ext: str) -> dict[str, Any]:
    return {
        "channel": channel,
        "externalId": ext,
        "lines": [{"sku": "SKU-X", "quantity": 1}],
        "shipTo": {"postalCode": "90001", "country": "US"},
    }


async def test_a_channel_batch_window_holds_its_orders(gql: GraphQLClient) -> None:
    data = await gql(UPSERT, input={"id": "web", "batchWindowSeconds": 300})
    assert data["channelUpsert"]["channel"]["batchWindowSeconds"] == 300
    bad = await gql(UPSERT, input={"id": "web", "batchWindowSeconds": 100_000})
    assert bad["channelUpsert"]["userErrors"][0]["code"] == "INVALID_INPUT"
    made = (await gql(CREATE, input=order("web", "H1")))["orderCreate"]
    assert made["userErrors"] == []
    assert made["order"]["status"] == "BACKORDERED" and made["order"]["heldUntil"]
    assert made["order"]["fulfillments"] == []


async def test_allocation_reoptimise_saves_and_reports(gql: GraphQLClient) -> None:
    made = (await gql(CREATE, input=order("web", "R1")))["orderCreate"]["order"]
    assert made["fulfillments"] == [{"location": {"id": "DC-B"}}]
    await gql(INVENTORY, input={"location": "DC-A", "sku": "SKU-X", "onHand": 1})
    bad = await gql(REOPTIMISE, input={"threshold": -1})
    assert bad["allocationReoptimise"]["userErrors"][0]["field"] == ["input", "threshold"]
    got = (await gql(REOPTIMISE, input={"threshold": 1.0, "channel": "web"}))[
        "allocationReoptimise"
    ]
    assert got["userErrors"] == [] and got["considered"] == 1
    [change] = got["changes"]
    assert change["orderId"] == made["id"] and change["saving"] == 15.0
    assert (change["costBefore"], change["costAfter"]) == (21.0, 6.0)
