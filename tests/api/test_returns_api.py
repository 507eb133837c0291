"""Returns on the real engine: routed to the nearest accepting location, received, restocked,
refunded, with events; in-store returns of online orders (BORIS)."""

from __future__ import annotations

from typing import Any

from tests.api.test_lifecycle_api import mutate, place
from tests.api.test_orders_api import stock
from tests.conftest import GraphQLClient
from tests.integration.test_concurrency import invariants

RET = """return { id status location { id } lines { sku quantity } received { sku quantity disposition }
  refund { amount currency status } order { id status events { type payload } } }
  userErrors { field code message }"""


async def shipped_order(gql: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    order = await place(gql, **overrides)
    for f in order["fulfillments"]:
        await mutate(gql, "fulfillmentRelease", {"fulfillmentId": f["id"]})
        await mutate(gql, "fulfillmentShip", {"fulfillmentId": f["id"], "trackingNumber": "1Z1"})
    return order


async def test_a_return_goes_to_the_nearest_accepting_location_and_is_restocked_and_refunded(
    gql: GraphQLClient, client: Any
) -> None:
    order = await shipped_order(
        gql, lines=[{"sku": "SKU-2", "quantity": 3, "unitPrice": "89.50", "currency": "USD"}]
    )
    created = await mutate(
        gql,
        "returnCreate",
        {"orderId": order["id"], "reason": "too small", "lines": [{"sku": "SKU-2", "quantity": 2}]},
        RET,
    )
    assert created["userErrors"] == []
    ret = created["return"]
    # shipped to 94107: the store in San Francisco is the nearest location that accepts returns
    assert ret["location"]["id"] == "STORE-SF" and ret["status"] == "REQUESTED"
    before = (await stock(gql, "SKU-2"))["STORE-SF"]["onHand"]

    received = await mutate(
        gql,
        "returnReceive",
        {
            "returnId": ret["id"],
            "lines": [
                {"sku": "SKU-2", "quantity": 1, "disposition": "RESTOCK"},
                {"sku": "SKU-2", "quantity": 1, "disposition": "DAMAGED"},
            ],
        },
        RET,
    )
    assert received["userErrors"] == []
    ret = received["return"]
    assert ret["status"] == "RECEIVED"
    assert ret["refund"] == {"amount": "179.00", "currency": "USD", "status": "PENDING"}
    assert (await stock(gql, "SKU-2"))["STORE-SF"][
        "onHand"
    ] == before + 1  # damaged is not sellable
    kinds = [e["type"] for e in ret["order"]["events"]]
    assert kinds[-3:] == ["ReturnCreated", "ReturnReceived", "RefundCreated"]
    await invariants(client._transport.app.state.ordergraph.store)

    again = await mutate(
        gql,
        "returnReceive",
        {
            "returnId": ret["id"],
            "lines": [{"sku": "SKU-2", "quantity": 1, "disposition": "RESTOCK"}],
        },
        RET,
    )
    assert again["userErrors"][0]["code"] == "INVALID_TRANSITION"


async def test_an_online_order_can_be_returned_in_a_store(gql: GraphQLClient) -> None:
    order = await shipped_order(gql, lines=[{"sku": "SKU-1", "quantity": 2}])
    created = await mutate(
        gql,
        "returnCreate",
        {
            "orderId": order["id"],
            "dropOffAt": "STORE-LA",
            "lines": [{"sku": "SKU-1", "quantity": 2}],
        },
        RET,
    )
    assert created["return"]["location"]["id"] == "STORE-LA"
    before = (await stock(gql, "SKU-1"))["STORE-LA"]["onHand"]
    await mutate(
        gql,
        "returnReceive",
        {
            "returnId": created["return"]["id"],
            "lines": [{"sku": "SKU-1", "quantity": 2, "disposition": "RESTOCK"}],
        },
        RET,
    )
    assert (await stock(gql, "SKU-1"))["STORE-LA"]["onHand"] == before + 2


async def test_only_shipped_units_can_be_returned_and_only_once(gql: GraphQLClient) -> None:
    unshipped = await place(gql, lines=[{"sku": "SKU-1", "quantity": 2}])
    refused = await mutate(
        gql,
        "returnCreate",
        {"orderId": unshipped["id"], "lines": [{"sku": "SKU-1", "quantity": 1}]},
        RET,
    )
    assert refused["userErrors"][0]["code"] == "INVALID_TRANSITION"
    order = await shipped_order(gql, lines=[{"sku": "SKU-1", "quantity": 2}])
    ok = await mutate(
        gql,
        "returnCreate",
        {"orderId": order["id"], "lines": [{"sku": "SKU-1", "quantity": 2}]},
        RET,
    )
    assert ok["userErrors"] == []
    twice = await mutate(
        gql,
        "returnCreate",
        {"orderId": order["id"], "lines": [{"sku": "SKU-1", "quantity": 1}]},
        RET,
    )
    assert twice["userErrors"][0]["code"] == "INVALID_TRANSITION"
    nowhere = await mutate(
        gql,
        "returnCreate",
        {
            "orderId": order["id"],
            "dropOffAt": "DROPSHIP-ACME",
            "lines": [{"sku": "SKU-1", "quantity": 1}],
        },
        RET,
    )
    assert nowhere["userErrors"][0]["field"] == ["input", "dropOffAt"]


async def test_a_receipt_of_two_skus_counts_the_returned_units_on_both_lines(
    gql: GraphQLClient, client: Any
) -> None:
    order = await shipped_order(
        gql, lines=[{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-2", "quantity": 3}]
    )
    want = [{"sku": "SKU-1", "quantity": 1}, {"sku": "SKU-2", "quantity": 2}]
    created = await mutate(gql, "returnCreate", {"orderId": order["id"], "lines": want}, RET)
    assert created["userErrors"] == []
    got = [{**line, "disposition": "DAMAGED"} for line in want]
    received = await mutate(
        gql, "returnReceive", {"returnId": created["return"]["id"], "lines": got}, RET
    )
    assert received["userErrors"] == [] and received["return"]["status"] == "RECEIVED"
    store = client._transport.app.state.ordergraph.store
    rows = await store.read(
        "MATCH (:Order {id: $id})-[:HAS_LINE]->(ol:OrderLine) "
        "RETURN ol.sku AS sku, ol.returned AS returned ORDER BY sku",
        {"id": order["id"]},
    )
    assert [(r["sku"], r["returned"]) for r in rows] == [("SKU-1", 1), ("SKU-2", 2)]
