"""The SKU's stock version moves with every write path that changes one of its positions, each
through its service or its mutation (tests/unit/test_stock_version.py enumerates the
statements)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ordergraph.graph import channel_feed
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import network, stockstates
from tests.conftest import GraphQLClient

CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id } userErrors { code } } }"""
CANCEL = """mutation($input: OrderCancelInput!) { orderCancel(input: $input) {
  order { status } userErrors { code } } }"""


async def version(store: FalkorStore, sku: str) -> int:
    return (await channel_feed.stock_versions(store, [sku]))[sku]


async def moves(store: FalkorStore, sku: str, write: Callable[[], Awaitable[object]]) -> None:
    before = await version(store, sku)
    await write()
    assert await version(store, sku) > before


async def test_every_write_path_moves_the_version(loaded: FalkorStore, gql: GraphQLClient) -> None:
    s = loaded
    assert await version(s, "SKU-1") > 0  # the network load wrote its positions
    await moves(s, "SKU-2", lambda: network.set_inventory(s, "DC-RENO", "SKU-2", 40, None))
    await moves(s, "SKU-2", lambda: network.adjust_inventory(s, "DC-RENO", "SKU-2", -3))
    await moves(s, "SKU-2", lambda: network.set_protection(s, "DC-RENO", "SKU-2", "b2b", 5, None))
    await moves(s, "SKU-2", lambda: stockstates.set_stock_states(s, "DC-RENO", "SKU-2", 1, None))
    order = {
        "channel": "web",
        "lines": [{"sku": "SKU-2", "quantity": 1}],
        "shipTo": {"postalCode": "94107", "country": "US"},
        "placedAt": "2026-11-23T17:00:00Z",
    }
    placed: dict[str, str] = {}

    async def create() -> None:
        got = await gql(CREATE, input=order)
        assert got["orderCreate"]["userErrors"] == []
        placed["id"] = got["orderCreate"]["order"]["id"]

    await moves(s, "SKU-2", create)

    async def cancel() -> None:
        got = await gql(CANCEL, input={"orderId": placed["id"]})
        assert got["orderCancel"]["order"]["status"] == "CANCELLED"

    await moves(s, "SKU-2", cancel)
    other = await version(s, "SKU-3")
    await network.set_inventory(s, "DC-RENO", "SKU-2", 41, None)
    assert await version(s, "SKU-3") == other  # only the SKU written moves
