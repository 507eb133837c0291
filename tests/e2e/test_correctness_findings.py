"""Correctness findings, shown over real HTTP against a real ``ordergraph serve`` (auth on).

#11.2 ``feasible`` means every unit allocated; #11.3 a country-wide region (``postalPrefix: ""``);
#10.13 stock counted below its reservations; #10.15 money; #9 follow-up steps (cancel ->
backorders) that every entry point gets, here a Shopify ``orders/cancelled`` webhook.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from typing import Any

import pytest

from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import network
from tests.api.test_ingest_http import SECRETS, body_of, shopify_headers, shopify_order
from tests.live import LiveServer

pytestmark = pytest.mark.slow

SF = '{name: "A", line1: "1 Main", city: "SF", postalCode: "94107", country: "US"}'


@pytest.fixture(scope="module")
def server(engine: EmbeddedEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The live server, with a Shopify webhook secret and the ``shopify`` channel."""
    live = LiveServer.start(
        engine.url,
        tmp_path_factory.mktemp("live"),
        env={"ORDERGRAPH_SHOPIFY_WEBHOOK_SECRET": SECRETS["shopify"]},
    )

    async def add_channel() -> None:
        store = FalkorStore(engine.url, live.graph)
        try:
            await network.load_network(store, {"channels": [{"id": "shopify"}]})
        finally:
            await store.close()

    asyncio.run(add_channel())
    yield live
    live.stop()


def data(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]  # type: ignore[no-any-return]


ORDER = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id status lines { sku quantity } fulfillments { id status location { id }
          lines { sku quantity } }
          routing { feasible backordered { sku quantity } } }
  userErrors { code field message } } }"""

ORDER_STATE = """query($id: ID!) { order(id: $id) { id status
  lines { sku quantity }
  fulfillments { id status location { id } lines { sku quantity } }
  events { type } } }"""

STOCK = """query($sku: ID!) { availability(skus: [$sku]) {
  locations { location { id } onHand reserved available } } }"""


def place(server: Any, role: str = "storefront", **fields: Any) -> dict[str, Any]:
    payload = data(server.gql(role, ORDER, input={"channel": "web", **fields}))["orderCreate"]
    return payload  # type: ignore[no-any-return]


def ship_to(postal: str = "94107", country: str = "US") -> dict[str, str]:
    return {"name": "A", "line1": "1 Main", "city": "X", "postalCode": postal, "country": country}


def position(server: Any, sku: str, location: str) -> dict[str, int]:
    rows = data(server.gql("admin", STOCK, sku=sku))["availability"][0]["locations"]
    [row] = [r for r in rows if r["location"]["id"] == location]
    return row  # type: ignore[no-any-return]


def order(server: Any, order_id: str) -> dict[str, Any]:
    return data(server.gql("admin", ORDER_STATE, id=order_id))["order"]  # type: ignore[no-any-return]


# --- #11.2: feasible means every unit allocated -------------------------------------------------

PREVIEW = """query($input: OrderCreateInput!) { routingPreview(input: $input) {
  feasible allocatable backordered { sku quantity } shipments { location { id } } } }"""

EXPRESS_BASKET = [
    {"sku": "SKU-1", "quantity": 1},
    {"sku": "SKU-2", "quantity": 1},
    {"sku": "SKU-5", "quantity": 50},  # only DC-RENO ships SKU-5 EXPRESS to 941, and has 5
    {"sku": "SKU-3", "quantity": 1},
]


def test_a_plan_that_backorders_a_line_is_not_feasible_but_allocatable(server: Any) -> None:
    plan = data(
        server.gql(
            "storefront",
            PREVIEW,
            input={
                "channel": "web",
                "lines": EXPRESS_BASKET,
                "shipTo": ship_to(),
                "serviceLevel": "EXPRESS",
            },
        )
    )["routingPreview"]
    assert plan["backordered"] and plan["backordered"][0]["sku"] == "SKU-5"
    assert plan["feasible"] is False
    assert plan["allocatable"] is True and plan["shipments"]


def test_an_order_that_ships_whole_is_feasible(server: Any) -> None:
    plan = data(
        server.gql(
            "storefront",
            PREVIEW,
            input={
                "channel": "web",
                "lines": [{"sku": "SKU-1", "quantity": 1}],
                "shipTo": ship_to(),
            },
        )
    )["routingPreview"]
    assert plan["feasible"] is True and plan["allocatable"] is True and plan["backordered"] == []


def test_delivery_options_do_not_say_ships_whole_for_a_partial_plan(server: Any) -> None:
    options = data(
        server.gql(
            "storefront",
            """query($input: DeliveryOptionsInput!) { deliveryOptions(input: $input) {
              kind serviceLevel shipsWhole } }""",
            input={"channel": "web", "lines": EXPRESS_BASKET, "shipTo": ship_to()},
        )
    )["deliveryOptions"]
    express = [o for o in options if o["serviceLevel"] == "EXPRESS"]
    assert express and express[0]["shipsWhole"] is False


def test_a_placed_partial_order_stores_a_plan_that_is_not_feasible(server: Any) -> None:
    placed = place(
        server,
        externalId="feasible-1",
        lines=[{"sku": "SKU-5", "quantity": 40}],
        shipTo=ship_to(),
        serviceLevel="EXPRESS",
    )
    assert placed["userErrors"] == []
    routing = placed["order"]["routing"]
    assert placed["order"]["status"] == "PARTIALLY_ALLOCATED"
    assert routing["feasible"] is False and routing["backordered"] == [
        {"sku": "SKU-5", "quantity": 35}
    ]
    cancel = data(
        server.gql(
            "admin",
            "mutation($id: ID!) { orderCancel(input: {orderId: $id}) { userErrors { code } } }",
            id=placed["order"]["id"],
        )
    )
    assert cancel["orderCancel"]["userErrors"] == []


# --- #11.3: a country-wide region ------------------------------------------------------------


def test_a_country_wide_region_serves_an_address_without_a_postal_code(server: Any) -> None:
    region = data(
        server.gql(
            "admin",
            """mutation { regionUpsert(input: {country: "NZ", postalPrefix: "",
               lat: -41.29, lon: 174.78}) {
               region { id postalPrefix } userErrors { code message } } }""",
        )
    )["regionUpsert"]
    assert region["userErrors"] == [] and region["region"] == {"id": "NZ", "postalPrefix": ""}
    lane = data(
        server.gql(
            "admin",
            """mutation { laneUpsert(input: {from: "DC-RENO", to: "NZ", carrier: "DHL",
               service: "INTL", transitDays: 5, baseCost: 30, costPerKg: 4}) {
               userErrors { code message } } }""",
        )
    )["laneUpsert"]
    assert lane["userErrors"] == []
    for postal in ("", "6011"):  # none, and one no longer prefix serves: the catch-all
        placed = place(
            server,
            externalId=f"nz-{postal or 'none'}",
            lines=[{"sku": "SKU-1", "quantity": 1}],
            shipTo=ship_to(postal, "NZ"),
        )
        assert placed["userErrors"] == [], placed
        assert placed["order"]["status"] == "ALLOCATED"
        assert placed["order"]["fulfillments"][0]["location"]["id"] == "DC-RENO"
    near = data(
        server.gql(
            "storefront",
            """{ availability(skus: ["SKU-1"], near: {country: "NZ"}) {
                 locations { location { id } distanceKm } } }""",
        )
    )["availability"][0]["locations"]
    assert near and all(row["distanceKm"] > 9000 for row in near)  # from Wellington


def test_a_us_address_still_resolves_to_its_longest_prefix_and_unknown_is_unserviceable(
    server: Any,
) -> None:
    placed = place(server, lines=[{"sku": "SKU-1", "quantity": 1}], shipTo=ship_to("55401", "US"))
    assert [e["code"] for e in placed["userErrors"]] == ["UNSERVICEABLE_ADDRESS"]
    placed = place(server, lines=[{"sku": "SKU-1", "quantity": 1}], shipTo=ship_to("", "US"))
    assert [e["code"] for e in placed["userErrors"]] == ["UNSERVICEABLE_ADDRESS"]


# --- #10.13: stock counted below its reservations ------------------------------------------

INVENTORY_SET = """mutation($input: InventorySetInput!) { inventorySet(input: $input) {
  stock { onHand reserved available } rerouted backordered affectedOrders
  userErrors { code field message } } }"""
COUNT = """mutation($input: InventorySetInput!) { inventorySet(input: $input) {
  stock { onHand reserved available } userErrors { code field message } } }"""
INVENTORY_ADJUST = """mutation($input: InventoryAdjustInput!) { inventoryAdjust(input: $input) {
  stock { onHand reserved available } rerouted backordered affectedOrders
  userErrors { code field message } } }"""
RELEASE = """mutation($id: ID!) {
  r: fulfillmentRelease(input: {fulfillmentId: $id}) { userErrors { code message } } }"""
SHIP = """mutation($id: ID!) {
  s: fulfillmentShip(input: {fulfillmentId: $id, trackingNumber: "1Z1"}) {
     fulfillment { status } userErrors { code message } } }"""


def release_and_ship(server: Any, role: str, fulfillment_id: str) -> dict[str, Any]:
    released = data(server.gql(role, RELEASE, id=fulfillment_id))["r"]
    assert released["userErrors"] == [], released
    return data(server.gql(role, SHIP, id=fulfillment_id))


def test_a_count_below_reserved_reroutes_the_newest_reservation_and_shipping_works(
    server: Any,
) -> None:
    older = place(server, lines=[{"sku": "SKU-2", "quantity": 4}], shipTo=ship_to())["order"]
    newer = place(server, lines=[{"sku": "SKU-2", "quantity": 4}], shipTo=ship_to())["order"]
    for o in (older, newer):
        assert [f["location"]["id"] for f in o["fulfillments"]] == ["DC-RENO"], o
    before = position(server, "SKU-2", "DC-RENO")
    assert before["reserved"] >= 8
    counted = before["reserved"] - 3  # three reserved units are not on the shelf
    answer = data(
        server.gql(
            "admin",
            INVENTORY_SET,
            input={"location": "DC-RENO", "sku": "SKU-2", "onHand": counted},
        )
    )["inventorySet"]
    assert answer["userErrors"] == []
    assert answer["stock"]["onHand"] == counted  # the count is the truth
    assert answer["stock"]["reserved"] == counted  # every remaining reservation is backed
    assert answer["rerouted"] + answer["backordered"] == 3
    assert answer["rerouted"] == 3  # other locations hold SKU-2 for 94107
    assert answer["affectedOrders"] == [newer["id"]]  # the newest reservation goes first
    moved = order(server, newer["id"])
    assert "ReservationUnbacked" in [e["type"] for e in moved["events"]]
    assert "OrderRerouted" in [e["type"] for e in moved["events"]]
    assert moved["status"] == "ALLOCATED"
    assert (
        sum(
            line["quantity"]
            for f in moved["fulfillments"]
            if f["status"] == "OPEN"
            for line in f["lines"]
        )
        == 4
    )
    # the older order keeps its reservation and ships
    shipped = release_and_ship(server, "partner_reno", older["fulfillments"][0]["id"])
    assert shipped["s"]["userErrors"] == [], shipped
    assert shipped["s"]["fulfillment"]["status"] == "SHIPPED"


def test_a_shrink_nothing_else_can_serve_backorders_the_units(server: Any) -> None:
    placed = place(
        server,
        lines=[{"sku": "SKU-5", "quantity": 3}],
        shipTo=ship_to(),
        serviceLevel="EXPRESS",
    )["order"]
    assert placed["status"] == "ALLOCATED", placed
    [f] = placed["fulfillments"]
    assert f["location"]["id"] == "DC-RENO"
    now = position(server, "SKU-5", "DC-RENO")
    delta = -(now["onHand"] - now["reserved"]) - 2  # leaves two reserved units unbacked
    answer = data(
        server.gql(
            "partner_reno",
            INVENTORY_ADJUST,
            input={"location": "DC-RENO", "sku": "SKU-5", "delta": delta, "reason": "shrink"},
        )
    )["inventoryAdjust"]
    assert answer["userErrors"] == []
    assert answer["backordered"] == 2 and answer["rerouted"] == 0
    assert answer["affectedOrders"] == [placed["id"]]
    assert answer["stock"]["onHand"] == answer["stock"]["reserved"]
    after = order(server, placed["id"])
    assert after["status"] == "PARTIALLY_ALLOCATED"
    assert "OrderBackordered" in [e["type"] for e in after["events"]]
    [live_f] = [x for x in after["fulfillments"] if x["status"] == "OPEN"]
    assert live_f["lines"] == [{"sku": "SKU-5", "quantity": 1}]
    shipped = release_and_ship(server, "partner_reno", live_f["id"])
    assert shipped["s"]["userErrors"] == [], shipped


def test_an_adjustment_below_zero_on_hand_is_a_user_error_and_changes_nothing(
    server: Any,
) -> None:
    before = position(server, "SKU-3", "DC-NEWARK")
    answer = data(
        server.gql(
            "admin",
            INVENTORY_ADJUST.replace("rerouted backordered affectedOrders", ""),
            input={"location": "DC-NEWARK", "sku": "SKU-3", "delta": -(before["onHand"] + 1)},
        )
    )["inventoryAdjust"]
    assert [e["code"] for e in answer["userErrors"]] == ["INSUFFICIENT_STOCK"]
    assert answer["stock"] is None
    assert position(server, "SKU-3", "DC-NEWARK") == before


# --- #9: a cancellation through channel ingestion serves backorders -------------------------


def test_a_shopify_cancellation_webhook_frees_stock_for_a_backordered_order(server: Any) -> None:
    # SKU-4 (highValue) ships only from DC-NEWARK; make the Shopify order take all of it
    doc = shopify_order()
    item = copy.deepcopy(doc["line_items"][0])
    item.update(sku="SKU-4", quantity=2, current_quantity=2)
    doc["line_items"] = [item]
    doc["id"] = 990001
    count = data(
        server.gql("admin", COUNT, input={"location": "DC-NEWARK", "sku": "SKU-4", "onHand": 2})
    )["inventorySet"]
    assert count["userErrors"] == [] and count["stock"]["available"] == 2
    body = body_of(doc)
    created = server.post("/ingest/shopify", content=body, headers=shopify_headers(body))
    assert created.status_code == 200, created.text
    assert position(server, "SKU-4", "DC-NEWARK")["available"] == 0
    waiting = place(server, lines=[{"sku": "SKU-4", "quantity": 1}], shipTo=ship_to())["order"]
    assert waiting["status"] == "BACKORDERED"
    doc["cancelled_at"] = "2024-03-11T08:00:00-05:00"
    cancelled = body_of(doc)
    answer = server.post(
        "/ingest/shopify",
        content=cancelled,
        headers=shopify_headers(cancelled, "orders/cancelled"),
    )
    assert answer.status_code == 200, answer.text
    served = order(server, waiting["id"])
    assert served["status"] == "ALLOCATED", served
    assert [f["location"]["id"] for f in served["fulfillments"]] == ["DC-NEWARK"]
    assert "BackorderAllocated" in [e["type"] for e in served["events"]]


# --- #10.15: money -------------------------------------------------------------------------

EXISTS = """query($ext: String!) { orderByExternalId(channel: "web", externalId: $ext) { id } }"""


@pytest.mark.parametrize(
    "price",
    [
        "1e999999999",
        "1_000",
        "-0",
        "-1",
        "NaN",
        "Infinity",
        "-Infinity",
        " 1",
        "1e3",
        "0x10",
        "1000000000000",
        "1.0000001",
        "",
    ],
)
def test_a_price_that_is_not_a_plain_sane_decimal_is_refused_and_nothing_is_placed(
    server: Any, price: str
) -> None:
    ext = f"price-{abs(hash(price))}"
    placed = place(
        server,
        externalId=ext,
        lines=[{"sku": "SKU-1", "quantity": 1, "unitPrice": price, "currency": "USD"}],
        shipTo=ship_to(),
    )
    assert placed["order"] is None
    assert [(e["code"], e["field"]) for e in placed["userErrors"]] == [
        ("INVALID_INPUT", ["input", "lines", "0", "unitPrice"])
    ], placed
    assert data(server.gql("admin", EXISTS, ext=ext))["orderByExternalId"] is None


@pytest.mark.parametrize("currency", ["ÄÖÜ", "usd", "XYZ", "US", "USDX", "U$D"])
def test_a_currency_that_is_not_an_active_iso_4217_code_is_refused(
    server: Any, currency: str
) -> None:
    placed = place(
        server,
        lines=[{"sku": "SKU-1", "quantity": 1, "unitPrice": "10.00", "currency": currency}],
        shipTo=ship_to(),
    )
    assert placed["order"] is None
    assert [(e["code"], e["field"]) for e in placed["userErrors"]] == [
        ("INVALID_INPUT", ["input", "lines", "0", "currency"])
    ], placed


RETURN_CREATE = """mutation($input: ReturnCreateInput!) { returnCreate(input: $input) {
  return { id } userErrors { code message } } }"""
RETURN_RECEIVE = """mutation($input: ReturnReceiveInput!) { returnReceive(input: $input) {
  return { status refund { amount currency status } } userErrors { code message } } }"""


@pytest.mark.parametrize(
    ("price", "currency", "quantity", "refund"),
    [
        ("10.005", "USD", 1, "10.00"),  # half to even, to cents
        ("10.015", "USD", 1, "10.02"),
        ("100.5", "JPY", 1, "100"),  # JPY has no minor unit
        ("101.5", "JPY", 1, "102"),
        ("1.0005", "KWD", 1, "1.000"),  # KWD has three
        ("0.3333", "EUR", 3, "1.00"),
    ],
)
def test_a_refund_is_rounded_half_even_to_the_currencys_minor_unit(
    server: Any, price: str, currency: str, quantity: int, refund: str
) -> None:
    placed = place(
        server,
        lines=[{"sku": "SKU-1", "quantity": quantity, "unitPrice": price, "currency": currency}],
        shipTo=ship_to(),
    )
    assert placed["userErrors"] == [], placed
    for f in placed["order"]["fulfillments"]:
        shipped = release_and_ship(server, "admin", f["id"])
        assert shipped["s"]["userErrors"] == [], shipped
    created = data(
        server.gql(
            "admin",
            RETURN_CREATE,
            input={
                "orderId": placed["order"]["id"],
                "lines": [{"sku": "SKU-1", "quantity": quantity}],
            },
        )
    )["returnCreate"]
    assert created["userErrors"] == [], created
    received = data(
        server.gql(
            "admin",
            RETURN_RECEIVE,
            input={
                "returnId": created["return"]["id"],
                "lines": [{"sku": "SKU-1", "quantity": quantity, "disposition": "DAMAGED"}],
            },
        )
    )["returnReceive"]
    assert received["userErrors"] == [], received
    assert received["return"]["refund"] == {
        "amount": refund,
        "currency": currency,
        "status": "PENDING",
    }


def test_a_wms_delta_feed_over_http_below_reserved_reroutes_the_reservation(server: Any) -> None:
    # SKU-3 (hazmat) ships only from DC-RENO, the one location tagged hazmat
    placed = place(server, lines=[{"sku": "SKU-3", "quantity": 3}], shipTo=ship_to())["order"]
    assert [f["location"]["id"] for f in placed["fulfillments"]] == ["DC-RENO"], placed
    now = position(server, "SKU-3", "DC-RENO")
    shrink = now["onHand"] - now["reserved"] + 2  # leaves two reserved units unbacked
    answer = server.post(
        "/feeds/inventory/delta",
        "integration",
        content=f"location,sku,delta\nDC-RENO,SKU-3,-{shrink}\n".encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "applied"
    # the WMS is told what its count did to the orders: two units now wait, none re-routed
    assert answer.json()["backordered"] == 2 and answer.json()["rerouted"] == 0, answer.json()
    assert answer.json()["affectedOrders"] == [placed["id"]]
    after = position(server, "SKU-3", "DC-RENO")
    assert after["onHand"] == now["onHand"] - shrink  # the count stands
    assert after["reserved"] == after["onHand"]  # and every remaining reservation is backed
    moved = order(server, placed["id"])
    assert "ReservationUnbacked" in [e["type"] for e in moved["events"]]
    # only DC-RENO is tagged hazmat: nothing else can take the two units, they wait
    assert "OrderBackordered" in [e["type"] for e in moved["events"]]
    assert moved["status"] == "PARTIALLY_ALLOCATED"
    live = [f for f in moved["fulfillments"] if f["status"] == "OPEN"]
    assert sum(line["quantity"] for f in live for line in f["lines"]) == 1


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-05:00"],
)
def test_a_channel_order_dated_at_the_edges_of_time_is_a_4xx_kept_for_replay(
    server: Any, moment: str
) -> None:
    """Issue #10 (16), the class beyond GraphQL: a channel timestamp out of range was an
    OverflowError and a 500 (channels retry 5xx forever)."""
    doc = shopify_order()
    doc["id"] = 820982911946154508 + len(moment) + int(moment[0])
    doc["created_at"] = moment
    body = body_of(doc)
    response = server.post("/ingest/shopify", content=body, headers=shopify_headers(body))
    assert 400 <= response.status_code < 500, response.text
    answer = response.json()
    assert "created_at" in answer["reason"] and "between the years" in answer["reason"], answer
    assert answer.get("failureId"), answer
