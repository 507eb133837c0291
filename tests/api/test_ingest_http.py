"""``POST /ingest/{channel}`` end to end: signatures, idempotent redelivery, updates, failures
stored and replayed, X12 acknowledgements. Real payloads from tests/fixtures/channels, with
their SKUs and addresses moved onto the small network."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from strawberry.tools import merge_types

from ordergraph.app import create_app
from ordergraph.connectors.ingest import sign, webhook_secrets_from_env
from ordergraph.domain.access import Principal, Role
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.http.ingest import ingest_routes
from ordergraph.resolvers import root
from ordergraph.resolvers.ingestion import IngestionMutation, IngestionQuery
from ordergraph.schema.build import build_schema
from ordergraph.schema.context import Context
from ordergraph.services import network
from ordergraph.services.apikeys import create_key
from ordergraph.services.ingestion import IngestConfig
from ordergraph.settings import Settings
from tests.conftest import FIXTURES

CHANNELS = FIXTURES / "channels"
SECRETS = {"shopify": "shpss_secret", "woocommerce": "wc_secret", "square": "sq_signature_key"}
SQUARE_CATALOG = {"W62UWFY35CWMYGVWK6TWJDNI": "SKU-1", "AAGN6CZZRWVZ2BJW3VJ3JJHV": "SKU-2"}
BASE = "http://ordergraph.test"


def fixture(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((CHANNELS / name).read_text(encoding="utf-8"))
    return doc


def shopify_order(*, refunded: bool = False) -> dict[str, Any]:
    """The partially refunded Shopify order, shipped to San Francisco, SKUs of the network."""
    doc = fixture("shopify_order_partially_refunded.json")
    for item in doc["line_items"]:
        item["sku"] = {"MCS-NAVY-M": "SKU-1", "WHS-GREY": "SKU-2"}.get(item["sku"], item["sku"])
        if not refunded:
            item["current_quantity"] = item["quantity"]
    if not refunded:
        doc["refunds"] = []
    doc["shipping_address"].update(
        address1="500 Howard St",
        city="San Francisco",
        zip="94107",
        province="California",
        province_code="CA",
        country="United States",
        country_code="US",
    )
    return doc


def woo_order() -> dict[str, Any]:
    """WooCommerce order with two known SKUs and TEA-SAMPLER-3, which the network lacks."""
    doc = fixture("woocommerce_order_processing.json")
    for item in doc["line_items"]:
        item["sku"] = {"WOO-SINGLE-1": "SKU-1", "Bar3": "SKU-2"}.get(item["sku"], item["sku"])
    return doc


def body_of(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


def shopify_headers(
    body: bytes, topic: str = "orders/create", secret: str = SECRETS["shopify"]
) -> dict[str, str]:
    return {
        "X-Shopify-Hmac-Sha256": sign(secret, body),
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": "example.myshopify.com",
        "Content-Type": "application/json",
    }


def woo_headers(body: bytes) -> dict[str, str]:
    return {
        "X-WC-Webhook-Signature": sign(SECRETS["woocommerce"], body),
        "X-WC-Webhook-Topic": "order.created",
        "Content-Type": "application/json",
    }


async def count(store: FalkorStore, label: str) -> int:
    rows = await store.read(f"MATCH (n:{label}) RETURN count(n) AS c")
    return int(rows[0]["c"])


@pytest.fixture
async def shop(loaded: FalkorStore) -> FalkorStore:
    await network.load_network(
        loaded,
        {
            "channels": [
                {"id": c}
                for c in ("shopify", "woocommerce", "square", "bigcommerce", "x12:9251234567")
            ]
        },
    )
    return loaded


def app_over(store: FalkorStore, settings: Settings, **options: Any) -> Any:
    """The app, with ingestion routes given these options ahead of any create_app mounted."""
    app = create_app(settings, store=store)
    app.router.routes[0:0] = ingest_routes(app.state.ordergraph, **options)
    return app


@pytest.fixture
async def http(shop: FalkorStore) -> AsyncIterator[httpx.AsyncClient]:
    """The production app (API keys on) with the ingestion routes and webhook secrets."""
    app = app_over(
        shop,
        Settings(env="production"),
        secrets=SECRETS,
        config=IngestConfig(square_catalog=SQUARE_CATALOG),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


def ingestion_schema() -> Any:
    """The served schema once ingestion is wired into resolvers/root.py; until then, root+ours."""
    served = root.schema()
    if "ingestionFailures" in served.as_str():
        return served
    return build_schema(
        merge_types("Query", (root.Query, IngestionQuery)),
        merge_types("Mutation", (root.Mutation, IngestionMutation)),
    )


async def graphql(store: FalkorStore, document: str, **variables: Any) -> dict[str, Any]:
    context = Context.create(store, Settings())
    context.principal = Principal("integration-test", Role.INTEGRATION)
    result = await ingestion_schema().execute(
        document, variable_values=variables, context_value=context
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


FAILURES = """query($status: IngestionFailureStatus) {
  ingestionFailures(first: 10, channel: "woocommerce", status: $status) {
    edges { node { id channel topic externalId status code reason attempts orderIds body
                   headers { name value } } } } }"""
REPLAY = """mutation($ids: [ID!]!) { ingestionReplay(input: {ids: $ids}) {
  results { id status orderIds reason code acknowledgement } userErrors { code message } } }"""


async def test_a_signed_shopify_order_is_placed_once_however_often_it_is_delivered(
    http: httpx.AsyncClient, shop: FalkorStore
) -> None:
    body = body_of(shopify_order())
    first = await http.post("/ingest/shopify", content=body, headers=shopify_headers(body))
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "placed"
    order_id = first.json()["orderId"]
    again = await http.post("/ingest/shopify", content=body, headers=shopify_headers(body))
    assert again.status_code == 200
    assert again.json() | {"receiptId": None} == {
        "status": "duplicate",
        "orderId": order_id,
        "receiptId": None,
    }
    assert await count(shop, "Order") == 1
    receipt = (await shop.read("MATCH (r:IngestionReceipt) RETURN r {.*} AS r"))[0]["r"]
    assert receipt["deliveries"] == 2 and receipt["orderId"] == order_id
    assert receipt["channel"] == "shopify" and receipt["externalId"] == "5730412331234"
    line = await shop.read(
        "MATCH (:Order {id: $id})-[:HAS_LINE]->(l:OrderLine {sku: 'SKU-1'}) "
        "RETURN l.quantity AS q, l.unitPrice AS price",
        {"id": order_id},
    )
    assert line == [{"q": 3, "price": "80.00"}]


async def test_tampered_unsigned_or_wrongly_signed_webhooks_are_401_and_store_nothing(
    http: httpx.AsyncClient, shop: FalkorStore
) -> None:
    body = body_of(shopify_order())
    tampered = body.replace(b'"quantity": 3', b'"quantity": 30')
    assert tampered != body
    attempts = [
        ("shopify", tampered, shopify_headers(body)),
        ("shopify", body, shopify_headers(body, secret="someone else's secret")),
        ("shopify", body, {"X-Shopify-Topic": "orders/create"}),
        ("woocommerce", body_of(woo_order()) + b" ", woo_headers(body_of(woo_order()))),
        ("square", body, {"x-square-hmacsha256-signature": sign(SECRETS["square"], body)}),
    ]
    for channel, content, headers in attempts:
        answer = await http.post(f"/ingest/{channel}", content=content, headers=headers)
        assert answer.status_code == 401, (channel, answer.text)
        assert answer.json()["status"] == "unauthorized"
    for label in ("Order", "IngestionFailure", "IngestionReceipt"):
        assert await count(shop, label) == 0, label


async def test_without_a_secret_production_refuses_and_development_accepts_with_a_warning(
    shop: FalkorStore, caplog: pytest.LogCaptureFixture
) -> None:
    body = body_of(shopify_order())
    production = app_over(shop, Settings(env="production"), secrets={})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=production), base_url=BASE
    ) as client:
        refused = await client.post("/ingest/shopify", content=body, headers=shopify_headers(body))
    assert refused.status_code == 401
    assert "ORDERGRAPH_SHOPIFY_WEBHOOK_SECRET" in refused.json()["reason"]
    assert await count(shop, "IngestionFailure") + await count(shop, "Order") == 0

    development = app_over(shop, Settings(env="development", auth=False), secrets={})
    with caplog.at_level(logging.WARNING, logger="ordergraph.ingest"):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=development), base_url=BASE
        ) as client:
            accepted = await client.post(
                "/ingest/shopify", content=body, headers={"X-Shopify-Topic": "orders/create"}
            )
    assert accepted.status_code == 200 and accepted.json()["status"] == "placed"
    assert any("ORDERGRAPH_SHOPIFY_WEBHOOK_SECRET is not set" in r.message for r in caplog.records)


async def test_orders_updated_cancels_refunded_units_and_a_cancellation_the_order(
    http: httpx.AsyncClient, shop: FalkorStore
) -> None:
    created = body_of(shopify_order())
    order_id = (
        await http.post("/ingest/shopify", content=created, headers=shopify_headers(created))
    ).json()["orderId"]
    refunded = body_of(shopify_order(refunded=True))  # one SKU-1 unit refunded (restock: cancel)
    update = await http.post(
        "/ingest/shopify", content=refunded, headers=shopify_headers(refunded, "orders/updated")
    )
    assert update.status_code == 200, update.text
    assert update.json()["status"] == "updated" and update.json()["orderId"] == order_id
    lines = await shop.read(
        "MATCH (:Order {id: $id})-[:HAS_LINE]->(l:OrderLine) "
        "RETURN l.sku AS sku, l.quantity - l.cancelled AS open ORDER BY sku",
        {"id": order_id},
    )
    assert lines == [{"sku": "SKU-1", "open": 2}, {"sku": "SKU-2", "open": 2}]
    redelivered = await http.post(
        "/ingest/shopify", content=refunded, headers=shopify_headers(refunded, "orders/updated")
    )
    assert redelivered.json()["status"] == "duplicate"

    doc = shopify_order(refunded=True)
    doc["cancelled_at"] = "2024-03-11T08:00:00-05:00"
    cancelled = body_of(doc)
    answer = await http.post(
        "/ingest/shopify", content=cancelled, headers=shopify_headers(cancelled, "orders/cancelled")
    )
    assert answer.json()["status"] == "updated"
    status = await shop.read("MATCH (o:Order {id: $id}) RETURN o.status AS s", {"id": order_id})
    assert status == [{"s": "CANCELLED"}]
    reserved = await shop.read("MATCH (:Location)-[s:STOCKS]->(:Sku) RETURN sum(s.reserved) AS r")
    assert int(reserved[0]["r"]) == 0
    ignored = await http.post(
        "/ingest/shopify",
        content=b'{"id": 5730412331234}',
        headers=shopify_headers(b'{"id": 5730412331234}', "orders/delete"),
    )
    assert ignored.json()["status"] == "ignored"


async def test_an_unknown_sku_is_stored_as_a_failure_and_a_replay_places_it_once_the_sku_exists(
    http: httpx.AsyncClient, shop: FalkorStore
) -> None:
    body = body_of(woo_order())
    failed = await http.post("/ingest/woocommerce", content=body, headers=woo_headers(body))
    assert failed.status_code == 422
    answer = failed.json()
    assert answer["status"] == "failed" and answer["code"] == "UNKNOWN_SKU"
    assert "TEA-SAMPLER-3" in answer["reason"]
    failure_id = answer["failureId"]
    again = await http.post("/ingest/woocommerce", content=body, headers=woo_headers(body))
    assert again.json()["failureId"] == failure_id and again.json()["attempts"] == 2

    listed = await graphql(shop, FAILURES)
    [node] = [e["node"] for e in listed["ingestionFailures"]["edges"]]
    assert node["id"] == failure_id and node["status"] == "OPEN" and node["attempts"] == 2
    assert node["externalId"] == "727" and node["topic"] == "order.created"
    assert node["body"].encode() == body  # as received, byte for byte
    assert {"name": "x-wc-webhook-topic", "value": "order.created"} in node["headers"]
    assert not any(h["name"] == "x-wc-webhook-signature" for h in node["headers"])

    await network.upsert_sku(shop, {"id": "TEA-SAMPLER-3", "name": "Tea sampler", "weightKg": 0.3})
    await network.set_inventory(shop, "DC-RENO", "TEA-SAMPLER-3", 20, None)
    replayed = await graphql(shop, REPLAY, ids=[failure_id, "IF-nope"])
    ok, missing = replayed["ingestionReplay"]["results"]
    assert ok["status"] == "PLACED" and len(ok["orderIds"]) == 1
    assert missing == {
        "id": "IF-nope",
        "status": "NOT_FOUND",
        "orderIds": [],
        "reason": "no ingestion failure IF-nope",
        "code": "NOT_FOUND",
        "acknowledgement": None,
    }
    assert (await graphql(shop, FAILURES))["ingestionFailures"]["edges"] == []
    [resolved] = (await graphql(shop, FAILURES, status=None))["ingestionFailures"]["edges"]
    assert resolved["node"]["status"] == "RESOLVED" and resolved["node"]["attempts"] == 3
    assert resolved["node"]["orderIds"] == ok["orderIds"]
    late = await http.post("/ingest/woocommerce", content=body, headers=woo_headers(body))
    assert late.json()["status"] == "duplicate" and late.json()["orderId"] == ok["orderIds"][0]
    assert await count(shop, "Order") == 1


async def test_a_malformed_payload_is_stored_as_received_with_the_reason(
    http: httpx.AsyncClient, shop: FalkorStore
) -> None:
    for body, code, words in [
        (b'{"id": 1, "line_items": [', "INVALID_INPUT", "not valid JSON"),
        (
            body_of({k: v for k, v in shopify_order().items() if k != "line_items"}),
            "INVALID_INPUT",
            "$.line_items: is missing",
        ),
    ]:
        answer = await http.post("/ingest/shopify", content=body, headers=shopify_headers(body))
        assert answer.status_code == 422
        assert answer.json()["code"] == code and words in answer.json()["reason"]
        stored = await shop.read(
            "MATCH (f:IngestionFailure {id: $id}) RETURN f.body AS body",
            {"id": answer.json()["failureId"]},
        )
        assert stored == [{"body": body.decode()}]


async def test_non_signing_channels_need_an_integration_api_key_and_a_channel_node(
    http: httpx.AsyncClient, shop: FalkorStore
) -> None:
    body = (CHANNELS / "ebay_order_not_started.json").read_bytes()
    assert (await http.post("/ingest/ebay", content=body)).status_code == 401
    storefront, _ = await create_key(shop, "shop", "storefront", channels=["web"])
    forbidden = await http.post(
        "/ingest/ebay", content=body, headers={"Authorization": f"Bearer {storefront}"}
    )
    assert forbidden.status_code == 403
    assert await count(shop, "IngestionFailure") == 0
    connector, _ = await create_key(shop, "ebay connector", "integration")
    failed = await http.post(
        "/ingest/ebay", content=body, headers={"Authorization": f"Bearer {connector}"}
    )
    assert failed.status_code == 422
    assert failed.json()["code"] == "UNKNOWN_CHANNEL" and "'ebay'" in failed.json()["reason"]
    assert (await http.post("/ingest/nowhere", content=body)).status_code == 404


async def test_square_signs_the_notification_url_with_the_body(
    http: httpx.AsyncClient, shop: FalkorStore
) -> None:
    event = {
        "merchant_id": "ML8M1AQ1GQG2K",
        "type": "order.created",
        "event_id": "e-1",
        "data": {
            "type": "order",
            "id": "CAISENgvlJ6jLWAzERDzjyHVybY",
            "object": {"order": fixture("square_order_shipment_with_return.json")},
        },
    }
    body = body_of(event)
    url = f"{BASE}/ingest/square"
    body_only = await http.post(
        "/ingest/square",
        content=body,
        headers={"x-square-hmacsha256-signature": sign(SECRETS["square"], body)},
    )
    assert body_only.status_code == 401
    answer = await http.post(
        "/ingest/square",
        content=body,
        headers={"x-square-hmacsha256-signature": sign(SECRETS["square"], url.encode() + body)},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "placed"
    lines = await shop.read(
        "MATCH (:Order {id: $id})-[:HAS_LINE]->(l:OrderLine) "
        "RETURN l.sku AS sku, l.quantity AS q ORDER BY sku",
        {"id": answer.json()["orderId"]},
    )
    assert lines == [{"sku": "SKU-1", "q": 2}, {"sku": "SKU-2", "q": 2}]  # one filter returned


def x12_850(*, spoon: str = "SKU-5") -> str:
    text = (FIXTURES / "x12" / "two_pos_4010.edi").read_text()
    for old, new in (
        ("SKU-BLUE-CUP", "SKU-1"),
        ("SKU-POT", "SKU-2"),
        ("SKU-SPOON", spoon),
        ("N4*Austin*TX*78701", "N4*San Francisco*CA*94107"),
        ("N4*Denver*CO*80202*US", "N4*New York*NY*10001*US"),
    ):
        text = text.replace(old, new)
    return text


async def test_an_x12_850_is_answered_with_an_855_and_a_failed_po_is_rejected_in_it(
    http: httpx.AsyncClient, shop: FalkorStore
) -> None:
    key, _ = await create_key(shop, "edi gateway", "integration")
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/edi-x12"}
    failed = await http.post("/ingest/x12", content=x12_850(spoon="SKU-SPOON"), headers=auth)
    assert failed.status_code == 422
    assert failed.headers["content-type"].startswith("application/edi-x12")
    assert failed.headers["x-ordergraph-code"] == "UNKNOWN_SKU"
    acks = failed.text
    assert acks.count("ST*855*") == 2
    assert "BAK*00*AD*PO-A100*20240501" in acks and "BAK*00*RD*PO-B200*20240501" in acks
    assert "ACK*IR*6*EA" in acks
    assert "ISA*00*          *00*          *ZZ*ORDERGRAPHWMS  *08*9251234567     *" in acks

    await network.upsert_sku(shop, {"id": "SKU-SPOON", "name": "Spoon", "weightKg": 0.05})
    await network.set_inventory(shop, "DC-NEWARK", "SKU-SPOON", 50, None)
    replayed = await graphql(shop, REPLAY, ids=[failed.headers["x-ordergraph-failure-id"]])
    [result] = replayed["ingestionReplay"]["results"]
    assert result["status"] == "PLACED" and len(result["orderIds"]) == 2
    assert result["acknowledgement"].count("BAK*00*AD*") == 2  # to forward to the partner
    orders = await shop.read("MATCH (o:Order) RETURN o.channel AS c, o.externalId AS x ORDER BY x")
    assert orders == [
        {"c": "x12:9251234567", "x": "PO-A100"},
        {"c": "x12:9251234567", "x": "PO-B200"},
    ]
    ok = await http.post("/ingest/x12", content=x12_850(spoon="SKU-SPOON"), headers=auth)
    assert ok.status_code == 200 and ok.headers["x-ordergraph-status"] == "duplicate"
    assert "BAK*00*RD" not in ok.text and ok.text.count("ST*855*") == 2
    controls = [line.split("*")[13] for line in ok.text.splitlines() if line.startswith("ISA")]
    assert controls == ["000000005", "000000006"]  # never repeated: 1-2 first answer, 3-4 replay


async def test_a_woocommerce_ping_is_acknowledged_and_nothing_is_stored(
    http: httpx.AsyncClient, shop: FalkorStore
) -> None:
    answer = await http.post(
        "/ingest/woocommerce",
        content=b"webhook_id=17",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    assert await count(shop, "IngestionReceipt") + await count(shop, "IngestionFailure") == 0


def test_webhook_secrets_come_from_ordergraph_channel_webhook_secret_variables() -> None:
    assert webhook_secrets_from_env(
        {
            "ORDERGRAPH_SHOPIFY_WEBHOOK_SECRET": " s1 ",
            "ORDERGRAPH_WOOCOMMERCE_WEBHOOK_SECRET": "",
            "ORDERGRAPH_WEBHOOK_SECRET": "outbound, not ours",
            "SHOPIFY_WEBHOOK_SECRET": "x",
        }
    ) == {"shopify": "s1"}


async def test_an_x12_order_that_ships_produces_its_856_ship_notice(
    http: httpx.AsyncClient, shop: FalkorStore
) -> None:
    from ordergraph.connectors.x12.envelope import read_interchange

    key, _ = await create_key(shop, "edi gateway", "integration")
    placed = await http.post(
        "/ingest/x12",
        content=x12_850(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/edi-x12"},
    )
    assert placed.status_code == 200, placed.text
    [order] = await shop.read(
        "MATCH (o:Order {externalId: 'PO-A100'})-[:HAS_FULFILLMENT]->(f:Fulfillment) "
        "RETURN f.id AS f LIMIT 1"
    )
    auth = {"Authorization": f"Bearer {key}"}
    for mutation in (
        'fulfillmentRelease(input: {fulfillmentId: "%s"})',
        'fulfillmentShip(input: {fulfillmentId: "%s", trackingNumber: "1Z999AA10123456784", carrier: "UPSN"})',
    ):
        r = await http.post(
            "/graphql",
            headers=auth,
            json={
                "query": "mutation { m: "
                + mutation % order["f"]
                + " { fulfillment { asn status } userErrors { code } } }"
            },
        )
        assert r.json()["data"]["m"]["userErrors"] == [], r.text
    shipped = r.json()["data"]["m"]["fulfillment"]
    assert shipped["status"] == "SHIPPED"
    asn = shipped["asn"]
    assert "ST*856*" in asn and "PRF*PO-A100" in asn and "REF*CN*1Z999AA10123456784" in asn
    interchange = read_interchange(asn)  # a valid envelope, addressed back to the partner
    assert "9251234567" in asn.split("~")[0]
    assert interchange is not None
    events = await shop.read(
        "MATCH (o:Order {externalId: 'PO-A100'})-[:HAS_EVENT]->(e:Event) "
        "RETURN e.type AS t ORDER BY e.sequence"
    )
    assert [e["t"] for e in events][-2:] == ["FulfillmentShipped", "ShipNoticeCreated"]
