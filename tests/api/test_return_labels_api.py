"""Return labels (issue #17): with a carrier account, ``returnCreate`` buys the return label
from a local EasyPost (``is_return: true`` on the outbound address pair), once however often it
is asked for, and shows it on the Return; without accounts a return is exactly as before."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from ordergraph.connectors.carriers.easypost import EasyPost
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.labels import buy_return_label
from tests.api.test_lifecycle_api import mutate, place
from tests.api.test_returns_api import shipped_order
from tests.carrier_server import FakeEasyPost, carrier_client, easypost_server
from tests.conftest import GraphQLClient

RET = """return { id location { id } trackingNumber labelUrl labelFormat }
  userErrors { field code message }"""


@pytest.fixture
def fake() -> Iterator[FakeEasyPost]:
    with easypost_server() as server:
        yield server


@pytest.fixture
async def http(loaded: FalkorStore, fake: FakeEasyPost) -> AsyncIterator[httpx.AsyncClient]:
    async with carrier_client(loaded, fake) as client:
        yield client


async def test_return_create_buys_the_return_label_once(
    http: httpx.AsyncClient, loaded: FalkorStore, fake: FakeEasyPost
) -> None:
    gql = GraphQLClient(http)
    order = await shipped_order(gql)
    sku = "SKU-1"
    created = await mutate(
        gql, "returnCreate", {"orderId": order["id"], "lines": [{"sku": sku, "quantity": 1}]}, RET
    )
    assert created["userErrors"] == []
    ret = created["return"]
    assert ret["trackingNumber"] and ret["labelUrl"] and ret["labelFormat"] == "image/png"
    [shipment] = [
        r[2]["shipment"]
        for r in fake.requests
        if r[:2] == ("POST", "/v2/shipments") and r[2]["shipment"].get("is_return")
    ]
    assert shipment["reference"] == f"{ret['id']}:label"
    # the outbound pair (return location -> customer): EasyPost swaps it for the return
    assert shipment["to_address"]["zip"] == "94107"  # the order's ship-to
    buys = fake.buys

    carriers = {"easypost": EasyPost(fake.api_key, base_url=fake.url)}
    again = await asyncio.gather(*(buy_return_label(loaded, carriers, ret["id"]) for _ in range(3)))
    assert fake.buys == buys == 1
    assert {c.label.tracking_number for c in again} == {ret["trackingNumber"]}


async def test_a_carrier_error_keeps_the_return_and_a_retry_buys_one_label(
    loaded: FalkorStore, http: httpx.AsyncClient, fake: FakeEasyPost
) -> None:
    gql = GraphQLClient(http)
    order = await shipped_order(gql)
    fake.behaviour = "error"  # the rate request fails: the return stands, without a label
    created = await mutate(
        gql,
        "returnCreate",
        {"orderId": order["id"], "lines": [{"sku": "SKU-1", "quantity": 1}]},
        RET,
    )
    assert created["return"]["id"] and created["return"]["trackingNumber"] is None
    assert [e["code"] for e in created["userErrors"]] == ["CONFLICT"]
    fake.behaviour = "ok"
    carriers = {"easypost": EasyPost(fake.api_key, base_url=fake.url)}
    done = await asyncio.gather(
        buy_return_label(loaded, carriers, created["return"]["id"]),
        buy_return_label(loaded, carriers, created["return"]["id"]),
    )
    assert fake.buys == 1 and done[0].label.tracking_number == done[1].label.tracking_number


async def test_without_carrier_accounts_a_return_has_no_label(gql: GraphQLClient) -> None:
    order = await shipped_order(gql)
    created = await mutate(
        gql,
        "returnCreate",
        {"orderId": order["id"], "lines": [{"sku": "SKU-1", "quantity": 1}]},
        RET,
    )
    assert created["userErrors"] == []
    ret = created["return"]
    assert ret["trackingNumber"] is None and ret["labelUrl"] is None


SHIP = """fulfillment { status trackingNumber labelUrl } userErrors { code message }"""


async def test_ship_without_a_tracking_number_buys_the_label(
    http: httpx.AsyncClient, fake: FakeEasyPost
) -> None:
    gql = GraphQLClient(http)
    order = await place(gql)
    fid = order["fulfillments"][0]["id"]
    await mutate(gql, "fulfillmentRelease", {"fulfillmentId": fid})
    shipped = await mutate(gql, "fulfillmentShip", {"fulfillmentId": fid}, SHIP)
    assert shipped["userErrors"] == []
    assert shipped["fulfillment"]["status"] == "SHIPPED" and fake.buys == 1
    assert shipped["fulfillment"]["trackingNumber"] and shipped["fulfillment"]["labelUrl"]


async def test_ship_with_a_tracking_number_or_without_accounts_buys_nothing(
    http: httpx.AsyncClient, fake: FakeEasyPost, gql: GraphQLClient
) -> None:
    given = GraphQLClient(http)
    order = await place(given)
    fid = order["fulfillments"][0]["id"]
    await mutate(given, "fulfillmentRelease", {"fulfillmentId": fid})
    shipped = await mutate(
        given, "fulfillmentShip", {"fulfillmentId": fid, "trackingNumber": "1Z9"}, SHIP
    )
    assert shipped["fulfillment"]["trackingNumber"] == "1Z9" and fake.buys == 0
    plain = await place(gql)
    pid = plain["fulfillments"][0]["id"]
    await mutate(gql, "fulfillmentRelease", {"fulfillmentId": pid})
    refused = await mutate(gql, "fulfillmentShip", {"fulfillmentId": pid}, SHIP)
    assert refused["fulfillment"] is None and refused["userErrors"]
