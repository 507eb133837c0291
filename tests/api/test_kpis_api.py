"""``kpis(from, to, channel)`` on the real engine after placing, shipping and delivering orders
through the API; and only ops (integration) and admin keys may read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.apikeys import create_key
from tests.api.test_lifecycle_api import mutate, place
from tests.conftest import GraphQLClient


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


KPIS = """query($from: DateTime!, $to: DateTime!, $channel: String) {
  kpis(from: $from, to: $to, channel: $channel) {
    orders unitsOrdered fillRate splitRate shipmentsPerOrder costPerOrder costPerUnit
    averageDistanceKm averagePromisedDays onTimeRate cancellationRate rerouteRate
    backorderRate hoursToShip hoursToDeliver cycleHours returnRate perfectOrderRate } }"""
NOW = datetime.now(UTC)
DAY = {"from": iso(NOW - timedelta(days=1)), "to": iso(NOW + timedelta(days=1))}
PLACED = iso(NOW - timedelta(hours=1))  # shipping stamps are the server's clock: place just before


async def kpis(gql: GraphQLClient, **kw: Any) -> dict[str, Any]:
    data = await gql(KPIS, **{**DAY, **kw})
    return data["kpis"]  # type: ignore[no-any-return]


async def test_kpis_of_placed_shipped_and_delivered_orders(gql: GraphQLClient) -> None:
    on_time = await place(gql, placedAt=PLACED)  # 2 x SKU-1 to San Francisco
    late = await place(gql, placedAt=PLACED, lines=[{"sku": "SKU-2", "quantity": 1}])
    cancelled = await place(gql, placedAt=PLACED, lines=[{"sku": "SKU-1", "quantity": 1}])
    await place(gql, placedAt=PLACED, channel="amazon", lines=[{"sku": "SKU-1", "quantity": 1}])
    await place(gql, placedAt=iso(NOW - timedelta(days=3)))  # outside the window
    for order, deliver_at in ((on_time, None), (late, iso(NOW + timedelta(days=30)))):
        fid = order["fulfillments"][0]["id"]
        released = await mutate(gql, "fulfillmentRelease", {"fulfillmentId": fid})
        assert released["userErrors"] == []
        shipped = await mutate(
            gql, "fulfillmentShip", {"fulfillmentId": fid, "trackingNumber": "1Z" + fid[-6:]}
        )
        assert shipped["userErrors"] == []
        done = {"fulfillmentId": fid} | ({} if deliver_at is None else {"deliveredAt": deliver_at})
        assert (await mutate(gql, "fulfillmentDeliver", done))["userErrors"] == []
    gone = await mutate(gql, "orderCancel", {"orderId": cancelled["id"]})
    assert gone["userErrors"] == []

    web = await kpis(gql, channel="web")
    assert web["orders"] == 3 and web["unitsOrdered"] == 4
    assert web["fillRate"] == 1.0 and web["splitRate"] == 0.0
    assert web["onTimeRate"] == 0.5  # delivered now (by the promise), and in 30 days
    assert web["cancellationRate"] == pytest.approx(1 / 3)
    assert web["perfectOrderRate"] == pytest.approx(1 / 3)  # on time / (two delivered + cancelled)
    assert web["costPerOrder"] > 0 and web["averageDistanceKm"] > 0
    assert web["hoursToShip"] > 0 and web["cycleHours"] > web["hoursToShip"]
    assert web["backorderRate"] == 0.0 and web["rerouteRate"] == 0.0
    everything = await kpis(gql)
    assert everything["orders"] == 4


async def test_a_window_that_ends_before_it_starts_is_refused(gql: GraphQLClient) -> None:
    body = await gql.raw(KPIS, **{"from": DAY["to"], "to": DAY["from"]})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_only_ops_and_admin_keys_read_kpis(
    http: httpx.AsyncClient, loaded: FalkorStore
) -> None:
    ok = await http.post("/graphql", json={"query": KPIS, "variables": DAY})
    assert ok.json()["data"]["kpis"]["orders"] == 0
    shop, _ = await create_key(loaded, "shop", "storefront", channels=["web"])
    refused = await http.post(
        "/graphql",
        json={"query": KPIS, "variables": DAY},
        headers={"Authorization": f"Bearer {shop}"},
    )
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
