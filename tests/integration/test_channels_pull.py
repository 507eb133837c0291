"""Pull connectors against channel APIs on 127.0.0.1 (real HTTP servers answering as each channel
documents): a notification that names an order becomes the order, through 429s and 500s; a
channel that does not answer leaves the notification kept for replay, and the replay places it
once the channel answers. Nothing is written for a notification whose order could not be read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ordergraph.connectors.canonical import (
    EXPRESS,
    NEXT_DAY,
    OPEN,
    Address,
    CanonicalLine,
    CanonicalOrder,
    Customer,
)
from ordergraph.connectors.ingest import CHANNELS
from ordergraph.connectors.pull.channels import (
    AmazonAccount,
    BigCommerceStore,
    EbayAccount,
    PullConfig,
    Resolved,
    SquareAccount,
    WooStore,
    resolve,
)
from ordergraph.connectors.pull.http import RetryPolicy
from ordergraph.graph import ingestion as q
from ordergraph.graph import orders as order_reads
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import network
from ordergraph.services.ingestion import FAILED, IGNORED, PLACED, IngestConfig, Payload, ingest
from ordergraph.services.ingestion import replay as replay_failures
from tests.channel_api import ChannelAPI, Reply, channel_api
from tests.conftest import FIXTURES

PULL = FIXTURES / "channels" / "pull"
FAST = RetryPolicy(attempts=3, base_s=0.01, max_wait_s=2.0, timeout_s=2.0)
BC_BASE = "/stores/s1x2y3/v2/orders/4107"


def doc(name: str) -> Any:
    return json.loads((PULL / name).read_text(encoding="utf-8"))


def raw(name: str) -> bytes:
    return (PULL / name).read_bytes()


@pytest.fixture
async def shop(loaded: FalkorStore) -> FalkorStore:
    await network.load_network(
        loaded, {"channels": [{"id": c} for c in ("bigcommerce", "woocommerce", "ebay")]}
    )
    return loaded


@pytest.fixture
def api() -> Any:
    with channel_api() as server:
        yield server


def bigcommerce(api: ChannelAPI, policy: RetryPolicy = FAST) -> IngestConfig:
    return IngestConfig(
        pull=PullConfig(
            bigcommerce=BigCommerceStore("s1x2y3", "bc-token-1", api.url), policy=policy
        )
    )


def answer_bigcommerce(api: ChannelAPI, *order_replies: Reply) -> None:
    api.answer(BC_BASE, *(order_replies or (Reply(200, doc("bigcommerce_order_4107.json")),)))
    api.answer(f"{BC_BASE}/products", Reply(200, doc("bigcommerce_products_4107.json")))
    api.answer(
        f"{BC_BASE}/shipping_addresses", Reply(200, doc("bigcommerce_shipping_addresses_4107.json"))
    )


async def count(store: FalkorStore, label: str) -> int:
    rows = await store.read(f"MATCH (n:{label}) RETURN count(n) AS c")
    return int(rows[0]["c"])


async def open_lines(store: FalkorStore, order_id: str) -> dict[str, int]:
    [lines] = await order_reads.lines_by_order(store, [order_id])
    return {line.sku: line.quantity for line in lines}


BIGCOMMERCE_4107 = CanonicalOrder(
    channel="bigcommerce",
    external_id="4107",
    number="4107",
    created_at=datetime(2026, 11, 11, 16, 5, 12, tzinfo=UTC),
    currency="USD",
    customer=Customer(
        email="priya.h@example.net", name="Priya Halvorsen", phone="415-555-0134", external_id="88"
    ),
    ship_to=Address(
        country="US",
        name="Priya Halvorsen",
        line1="500 Howard St",
        line2="Floor 3",
        city="San Francisco",
        region="California",
        postal_code="94105",
    ),
    lines=(
        CanonicalLine(
            "901",
            "SKU-1",
            "Canvas Tote, Sand",
            2,
            3,
            Decimal("14.5000"),
            Decimal("2.0000"),
            Decimal("3.6000"),
        ),
        CanonicalLine(
            "902", "SKU-2", "Enamel Mug", 1, 1, Decimal("18.5000"), Decimal("0"), Decimal("1.5200")
        ),
    ),
    service_level=EXPRESS,
    notes="Side door, please",
    status=OPEN,
    raw_status="Awaiting Fulfillment",
)


async def test_a_bigcommerce_webhook_pulls_order_products_and_addresses_through_429_and_500(
    shop: FalkorStore, api: ChannelAPI
) -> None:
    api.answer(
        BC_BASE,
        Reply(
            429,
            {"status": 429, "title": "Too many requests"},
            headers={"X-Rate-Limit-Time-Reset-Ms": "150", "X-Rate-Limit-Requests-Left": "0"},
        ),
        Reply(200, doc("bigcommerce_order_4107.json")),
    )
    api.answer(
        f"{BC_BASE}/products",
        Reply(500, {"status": 500}),
        Reply(200, doc("bigcommerce_products_4107.json")),
    )
    api.answer(
        f"{BC_BASE}/shipping_addresses", Reply(200, doc("bigcommerce_shipping_addresses_4107.json"))
    )
    config = bigcommerce(api)
    webhook = raw("bigcommerce_webhook_order_created.json")

    resolved = await resolve("bigcommerce", webhook, config.pull)
    assert resolved.pulled and resolved.body is not None
    [decoded] = CHANNELS["bigcommerce"].decode(resolved.body, None, _context())
    assert decoded.order == BIGCOMMERCE_4107
    order_calls = api.calls(BC_BASE)
    assert len(order_calls) == 2  # the 429, then the order
    assert all(c.headers["x-auth-token"] == "bc-token-1" for c in api.seen)
    assert api.calls(f"{BC_BASE}/products")[-1].query == {"limit": ["250"], "page": ["1"]}

    outcome = await ingest(shop, Payload("bigcommerce", webhook), config=config)
    assert outcome.status == PLACED, outcome.reason
    assert await open_lines(shop, outcome.order_ids[0]) == {"SKU-1": 2, "SKU-2": 1}


async def test_a_channel_that_times_out_keeps_the_notification_and_replay_places_it(
    shop: FalkorStore, api: ChannelAPI
) -> None:
    slow = RetryPolicy(attempts=2, base_s=0.01, max_wait_s=1.0, timeout_s=0.3)
    answer_bigcommerce(api, Reply(200, doc("bigcommerce_order_4107.json"), delay_s=1.0))
    config = bigcommerce(api, slow)
    webhook = raw("bigcommerce_webhook_order_created.json")

    failed = await ingest(shop, Payload("bigcommerce", webhook), config=config)

    assert failed.status == FAILED and failed.code == "CHANNEL_UNAVAILABLE"
    assert "did not answer within 0.3 s after 2 attempts" in (failed.reason or "")
    assert len(api.calls(BC_BASE)) == 2
    assert await count(shop, "Order") == 0  # nothing half-written
    [stored] = await q.failures_by_id(shop, [failed.failure_id or ""])
    assert stored is not None and stored["body"].encode() == webhook  # as received

    answer_bigcommerce(api)  # the store answers again
    [(_, replayed)] = await replay_failures(shop, [failed.failure_id or ""], config=config)
    assert replayed.status == PLACED, replayed.reason
    assert await open_lines(shop, replayed.order_ids[0]) == {"SKU-1": 2, "SKU-2": 1}
    [resolved] = await q.failures_by_id(shop, [failed.failure_id or ""])
    assert resolved is not None and resolved["status"] == "RESOLVED"


async def test_a_notification_without_credentials_is_kept_until_they_are_configured(
    shop: FalkorStore, api: ChannelAPI
) -> None:
    webhook = raw("bigcommerce_webhook_order_created.json")
    failed = await ingest(shop, Payload("bigcommerce", webhook), config=IngestConfig())
    assert failed.status == FAILED and failed.code == "CHANNEL_NOT_CONFIGURED"
    assert "ORDERGRAPH_BIGCOMMERCE_STORE_HASH" in (failed.reason or "")
    assert api.seen == [] and await count(shop, "Order") == 0

    answer_bigcommerce(api)
    [(_, replayed)] = await replay_failures(
        shop, [failed.failure_id or ""], config=bigcommerce(api)
    )
    assert replayed.status == PLACED


async def test_channel_refusals_and_long_rate_limits_fail_at_once_with_their_codes(
    shop: FalkorStore, api: ChannelAPI
) -> None:
    webhook = raw("bigcommerce_webhook_order_created.json")
    api.answer(
        BC_BASE, Reply(404, [{"status": 404, "message": "The requested resource was not found."}])
    )
    refused = await ingest(shop, Payload("bigcommerce", webhook), config=bigcommerce(api))
    assert refused.status == FAILED and refused.code == "CHANNEL_REFUSED"
    assert "BigCommerce answered 404" in (refused.reason or "")
    assert len(api.calls(BC_BASE)) == 1  # a 4xx is not retried

    api.answer(BC_BASE, Reply(429, {"status": 429}, headers={"Retry-After": "3600"}))
    limited = await ingest(shop, Payload("bigcommerce", webhook), config=bigcommerce(api))
    assert limited.status == FAILED and limited.code == "CHANNEL_UNAVAILABLE"
    assert "asks to wait 3600 s" in (limited.reason or "")
    assert await count(shop, "Order") == 0


async def test_a_bigcommerce_event_without_an_order_is_receipted_as_ignored(
    shop: FalkorStore, api: ChannelAPI
) -> None:
    body = json.dumps(
        {
            "scope": "store/order/message/created",
            "store_id": "1",
            "data": {"type": "order", "id": 4107},
        }
    ).encode()
    outcome = await ingest(shop, Payload("bigcommerce", body), config=bigcommerce(api))
    assert outcome.status == IGNORED and api.seen == []


async def test_a_woocommerce_webhook_with_a_refund_fetches_which_lines_it_took_back(
    shop: FalkorStore, api: ChannelAPI
) -> None:
    body = raw("woocommerce_order_5120.json")
    unconfigured = await ingest(shop, Payload("woocommerce", body), config=IngestConfig())
    assert unconfigured.status == FAILED and unconfigured.code == "INVALID_INPUT"
    assert (unconfigured.reason or "").startswith("$.refunds[0].id: a refund whose refunded lines")
    assert await count(shop, "Order") == 0  # refunded units are not shipped on a guess

    api.answer(
        "/wp-json/wc/v3/orders/5120/refunds",
        Reply(503, {"code": "unavailable"}),
        Reply(200, doc("woocommerce_refunds_5120.json")),
    )
    config = IngestConfig(
        pull=PullConfig(woocommerce=WooStore(api.url, "ck_test_1", "cs_test_1"), policy=FAST)
    )
    [(_, replayed)] = await replay_failures(shop, [unconfigured.failure_id or ""], config=config)

    assert replayed.status == PLACED, replayed.reason
    assert await open_lines(shop, replayed.order_ids[0]) == {"SKU-1": 2, "SKU-2": 2}
    last = api.calls("/wp-json/wc/v3/orders/5120/refunds")[-1]
    assert last.headers["authorization"].startswith("Basic ")
    assert last.query == {"per_page": ["100"], "page": ["1"]}


async def test_an_ebay_order_confirmation_pulls_the_order(
    shop: FalkorStore, api: ChannelAPI
) -> None:
    api.answer(
        "/sell/fulfillment/v1/order/27-13377-40041",
        Reply(429, {"errors": []}, headers={"Retry-After": "0"}),
        Reply(200, doc("ebay_order_27-13377-40041.json")),
    )
    config = IngestConfig(
        pull=PullConfig(ebay=EbayAccount("v^1.1#ebay-user-token", api.url), policy=FAST)
    )
    outcome = await ingest(
        shop, Payload("ebay", raw("ebay_order_confirmation.json")), config=config
    )
    assert outcome.status == PLACED, outcome.reason
    assert await open_lines(shop, outcome.order_ids[0]) == {"SKU-3": 2}
    calls = api.calls("/sell/fulfillment/v1/order/27-13377-40041")
    assert len(calls) == 2 and calls[-1].headers["authorization"] == "Bearer v^1.1#ebay-user-token"


async def test_an_amazon_order_change_pulls_the_2026_order(
    shop: FalkorStore, api: ChannelAPI
) -> None:
    api.answer(
        "/orders/2026-01-01/orders/114-2093388-4417201",
        Reply(500, {"errors": []}),
        Reply(200, doc("amazon_2026_order.json")),
    )
    config = IngestConfig(
        pull=PullConfig(amazon=AmazonAccount("Atza|lwa-token", api.url), policy=FAST)
    )
    body = raw("amazon_order_change_notification.json")
    resolved = await resolve("amazon", body, config.pull)
    assert resolved.body is not None
    [decoded] = CHANNELS["amazon"].decode(resolved.body, None, _context())
    assert decoded.order is not None and decoded.order.service_level == NEXT_DAY

    outcome = await ingest(shop, Payload("amazon", body), config=config)
    assert outcome.status == PLACED, outcome.reason
    assert await open_lines(shop, outcome.order_ids[0]) == {"SKU-1": 3, "SKU-3": 2}
    last = api.calls("/orders/2026-01-01/orders/114-2093388-4417201")[-1]
    assert last.headers["x-amz-access-token"] == "Atza|lwa-token"
    assert "RECIPIENT" in last.query["includedData"][0]


def _context() -> Any:
    from ordergraph.connectors.ingest import DecodeContext

    return DecodeContext()


def test_pull_settings_come_from_ordergraph_channel_variables() -> None:
    config = PullConfig.from_env(
        {
            "ORDERGRAPH_BIGCOMMERCE_STORE_HASH": "abc",
            "ORDERGRAPH_BIGCOMMERCE_ACCESS_TOKEN": "t",
            "ORDERGRAPH_BIGCOMMERCE_API_URL": "http://127.0.0.1:9",
            "ORDERGRAPH_PULL_ATTEMPTS": "2",
            "ORDERGRAPH_PULL_TIMEOUT_MS": "1500",
            "ORDERGRAPH_WOOCOMMERCE_URL": "https://shop",
        }
    )
    assert config.bigcommerce == BigCommerceStore("abc", "t", "http://127.0.0.1:9")
    assert config.woocommerce is None  # no keys: nothing to pull with
    assert (config.policy.attempts, config.policy.timeout_s) == (2, 1.5)
    with pytest.raises(ValueError, match="ORDERGRAPH_PULL_ATTEMPTS"):
        PullConfig.from_env({"ORDERGRAPH_PULL_ATTEMPTS": "0"})
    for name in ("PULL_ATTEMPTS", "PULL_TIMEOUT_MS"):  # isdigit() takes '²', int() refuses it
        with pytest.raises(ValueError, match=f"ORDERGRAPH_{name} must be a whole number"):
            PullConfig.from_env({f"ORDERGRAPH_{name}": "\u00b2"})


async def test_a_square_event_naming_the_order_retrieves_it(
    loaded: FalkorStore, api: ChannelAPI
) -> None:
    await network.load_network(loaded, {"channels": [{"id": "square"}]})
    order = json.loads(
        (FIXTURES / "channels" / "square_order_shipment_with_return.json").read_text()
    )
    api.answer(
        f"/v2/orders/{order['id']}",
        Reply(429, {"errors": [{"category": "RATE_LIMIT_ERROR", "code": "RATE_LIMITED"}]}),
        Reply(200, {"order": order}),
    )
    event = json.dumps(
        {
            "merchant_id": "ML3TEST",
            "type": "order.updated",
            "event_id": "ev-1",
            "created_at": "2026-11-16T10:00:00Z",
            "data": {
                "type": "order",
                "id": order["id"],
                "object": {
                    "order_updated": {"order_id": order["id"], "state": "OPEN", "version": 4}
                },
            },
        }
    ).encode()
    catalog = {"W62UWFY35CWMYGVWK6TWJDNI": "SKU-1", "AAGN6CZZRWVZ2BJW3VJ3JJHV": "SKU-2"}
    unconfigured = await ingest(
        loaded, Payload("square", event), config=IngestConfig(square_catalog=catalog)
    )
    assert unconfigured.code == "CHANNEL_NOT_CONFIGURED"

    config = IngestConfig(
        square_catalog=catalog,
        pull=PullConfig(square=SquareAccount("EAAA-sandbox-token", api.url), policy=FAST),
    )
    [(_, replayed)] = await replay_failures(loaded, [unconfigured.failure_id or ""], config=config)
    assert replayed.status == PLACED, replayed.reason
    assert await open_lines(loaded, replayed.order_ids[0]) == {"SKU-1": 2, "SKU-2": 2}
    last = api.calls(f"/v2/orders/{order['id']}")[-1]
    assert last.headers["authorization"] == "Bearer EAAA-sandbox-token"
    assert last.headers["square-version"]


async def test_a_bigcommerce_refund_webhook_cuts_the_refunded_units_of_a_placed_order(
    shop: FalkorStore, api: ChannelAPI
) -> None:
    products = doc("bigcommerce_products_4107.json")
    products[0]["quantity_refunded"] = 0
    answer_bigcommerce(api)
    api.answer(f"{BC_BASE}/products", Reply(200, products))
    created = raw("bigcommerce_webhook_order_created.json")
    placed = await ingest(shop, Payload("bigcommerce", created), config=bigcommerce(api))
    assert placed.status == PLACED
    assert await open_lines(shop, placed.order_ids[0]) == {"SKU-1": 3, "SKU-2": 1}

    products[0]["quantity_refunded"] = 1
    api.answer(f"{BC_BASE}/products", Reply(200, products))
    refund = json.dumps(
        {
            "created_at": 1794250000,
            "store_id": "1099512",
            "producer": "stores/s1x2y3",
            "scope": "store/order/refund/created",
            "hash": "a1",
            "data": {"type": "order", "id": 4107, "refund": {"refund_id": 7}},
        }
    ).encode()
    updated = await ingest(shop, Payload("bigcommerce", refund), config=bigcommerce(api))
    assert (updated.status, updated.order_ids) == ("updated", placed.order_ids)
    [lines] = await order_reads.lines_by_order(shop, placed.order_ids)
    open_units = {line.sku: line.quantity - line.cancelled for line in lines}
    assert open_units["SKU-1"] == 2, lines


@pytest.mark.parametrize(
    "order_id", ["4107/../../../v3/customers", "4107?limit=1", True, "..", 4.5]
)
async def test_a_notification_naming_something_other_than_an_order_id_calls_nothing(
    shop: FalkorStore, api: ChannelAPI, order_id: object
) -> None:
    body = json.dumps(
        {"scope": "store/order/created", "store_id": "1", "data": {"type": "order", "id": order_id}}
    ).encode()
    outcome = await ingest(shop, Payload("bigcommerce", body), config=bigcommerce(api))
    assert outcome.status == FAILED and outcome.code == "INVALID_INPUT"
    assert "is not an order id" in (outcome.reason or "")
    assert api.seen == [] and await count(shop, "Order") == 0


async def test_a_misconfigured_api_url_keeps_the_notification_as_an_internal_failure(
    shop: FalkorStore,
) -> None:
    config = IngestConfig(
        pull=PullConfig(bigcommerce=BigCommerceStore("s1x2y3", "t", "http://[::1"), policy=FAST)
    )
    webhook = raw("bigcommerce_webhook_order_created.json")
    outcome = await ingest(shop, Payload("bigcommerce", webhook), config=config)
    assert outcome.status == FAILED and outcome.code == "INTERNAL"
    [stored] = await q.failures_by_id(shop, [outcome.failure_id or ""])
    assert stored is not None and stored["body"].encode() == webhook


@pytest.mark.parametrize("found", [[1], "order", 5, None])
async def test_a_square_event_whose_object_is_not_a_json_object_is_left_to_the_parser(
    shop: FalkorStore, found: object
) -> None:
    event = json.dumps(
        {"type": "order.updated", "data": {"type": "order", "id": "", "object": found}}
    ).encode()
    config = PullConfig(square=SquareAccount("EAAA-sandbox-token", "http://127.0.0.1:9"))
    assert await resolve("square", event, config) == Resolved()
    outcome = await ingest(shop, Payload("square", event), config=IngestConfig(pull=config))
    assert outcome.status == FAILED and outcome.code == "INVALID_INPUT"
    assert await count(shop, "Order") == 0


@pytest.mark.parametrize(
    "header", [("X-Rate-Limit-Time-Reset-Ms", "9" * 5000), ("Retry-After", "9" * 5000)]
)
async def test_a_rate_limit_asking_for_an_absurd_wait_fails_as_unavailable_not_internal(
    shop: FalkorStore, api: ChannelAPI, header: tuple[str, str]
) -> None:
    webhook = raw("bigcommerce_webhook_order_created.json")
    api.answer(BC_BASE, Reply(429, {"status": 429}, headers=dict([header])))
    limited = await ingest(shop, Payload("bigcommerce", webhook), config=bigcommerce(api))
    assert limited.status == FAILED and limited.code == "CHANNEL_UNAVAILABLE"
    assert "rate-limited the request (429) and asks to wait" in (limited.reason or "")
    assert len(api.calls(BC_BASE)) == 1 and await count(shop, "Order") == 0
