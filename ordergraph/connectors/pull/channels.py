"""What each channel's pull connector fetches, and from where.

* BigCommerce: ``GET {api}/stores/{hash}/v2/orders/{id}``, ``.../products`` and
  ``.../shipping_addresses`` (pages of 250; 204 means none), header ``X-Auth-Token``. 429 answers
  carry ``X-Rate-Limit-Time-Reset-Ms``.
* WooCommerce: ``GET {url}/wp-json/wc/v3/orders/{id}/refunds`` (pages of 100), and the order
  itself for an action webhook; HTTP Basic with the consumer key and secret.
* eBay: ``GET {api}/sell/fulfillment/v1/order/{orderId}``, ``Authorization: Bearer`` (a user
  access token).
* Amazon: ``GET {api}/orders/2026-01-01/orders/{orderId}?includedData=...``, header
  ``x-amz-access-token`` (an LWA access token; a restricted data token for buyer and address).
* Square: ``GET {api}/v2/orders/{order_id}`` (RetrieveOrder), ``Authorization: Bearer`` and
  ``Square-Version``, for an ``order.created`` / ``order.updated`` event, which names the order
  in ``data.id`` (``data.object.order_created.order_id``) without carrying it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import orjson

from ordergraph.connectors.channels.amazon import order_id_of
from ordergraph.connectors.channels.woocommerce import needs_refunds
from ordergraph.connectors.pull.http import (
    NOT_CONFIGURED,
    UNAVAILABLE,
    PullFailed,
    RetryPolicy,
    get_json,
)

BIGCOMMERCE_PAGE = 250
WOO_PAGE = 100
AMAZON_INCLUDED = "BUYER,RECIPIENT,PROCEEDS,PROMOTION,CANCELLATION,FULFILLMENT"
BIGCOMMERCE_ORDER_SCOPES = frozenset(
    {
        "store/order/created",
        "store/order/updated",
        "store/order/statusUpdated",
        "store/order/refund/created",
    }
)
EBAY_ORDER_TOPICS = frozenset({"ORDER_CONFIRMATION"})
SQUARE_VERSION = "2025-01-23"  # the Square-Version header sent with RetrieveOrder
A = TypeVar("A")  # a channel's credentials


@dataclass(frozen=True)
class BigCommerceStore:
    store_hash: str
    access_token: str
    api_url: str = "https://api.bigcommerce.com"


@dataclass(frozen=True)
class WooStore:
    url: str
    consumer_key: str
    consumer_secret: str


@dataclass(frozen=True)
class EbayAccount:
    access_token: str
    api_url: str = "https://api.ebay.com"


@dataclass(frozen=True)
class AmazonAccount:
    access_token: str
    api_url: str = "https://sellingpartnerapi-na.amazon.com"


@dataclass(frozen=True)
class SquareAccount:
    access_token: str
    api_url: str = "https://connect.squareup.com"
    version: str = SQUARE_VERSION


@dataclass(frozen=True)
class PullConfig:
    square: SquareAccount | None = None
    bigcommerce: BigCommerceStore | None = None
    woocommerce: WooStore | None = None
    ebay: EbayAccount | None = None
    amazon: AmazonAccount | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> PullConfig:
        def get(name: str) -> str | None:
            value = environ.get(f"ORDERGRAPH_{name}", "").strip()
            return value or None

        def millis(name: str, default: float) -> float:
            raw = get(name)
            if raw is None:
                return default
            if not _DIGITS.fullmatch(raw):  # ASCII: str.isdigit() also takes '²'
                raise ValueError(f"ORDERGRAPH_{name} must be a whole number of milliseconds")
            return int(raw) / 1000

        defaults = RetryPolicy()
        attempts = get("PULL_ATTEMPTS")
        if attempts is not None and (not _DIGITS.fullmatch(attempts) or int(attempts) < 1):
            raise ValueError("ORDERGRAPH_PULL_ATTEMPTS must be a whole number of at least 1")
        policy = RetryPolicy(
            attempts=int(attempts) if attempts else defaults.attempts,
            base_s=millis("PULL_RETRY_BASE_MS", defaults.base_s),
            max_wait_s=millis("PULL_MAX_WAIT_MS", defaults.max_wait_s),
            timeout_s=millis("PULL_TIMEOUT_MS", defaults.timeout_s),
        )
        bc_hash, bc_token = get("BIGCOMMERCE_STORE_HASH"), get("BIGCOMMERCE_ACCESS_TOKEN")
        woo_url = get("WOOCOMMERCE_URL")
        woo_key, woo_secret = get("WOOCOMMERCE_CONSUMER_KEY"), get("WOOCOMMERCE_CONSUMER_SECRET")
        ebay_token, amazon_token = get("EBAY_ACCESS_TOKEN"), get("AMAZON_ACCESS_TOKEN")
        square_token = get("SQUARE_ACCESS_TOKEN")
        return cls(
            square=SquareAccount(
                square_token,
                get("SQUARE_API_URL") or SquareAccount.api_url,
                get("SQUARE_VERSION") or SQUARE_VERSION,
            )
            if square_token
            else None,
            bigcommerce=BigCommerceStore(
                bc_hash, bc_token, get("BIGCOMMERCE_API_URL") or BigCommerceStore.api_url
            )
            if bc_hash and bc_token
            else None,
            woocommerce=WooStore(woo_url, woo_key, woo_secret)
            if woo_url and woo_key and woo_secret
            else None,
            ebay=EbayAccount(ebay_token, get("EBAY_API_URL") or EbayAccount.api_url)
            if ebay_token
            else None,
            amazon=AmazonAccount(amazon_token, get("AMAZON_API_URL") or AmazonAccount.api_url)
            if amazon_token
            else None,
            policy=policy,
        )


@dataclass(frozen=True)
class Resolved:
    """A body the channel's parser reads (``body``), or why the notification carries no order
    (``ignored``). ``pulled`` says whether the channel was called."""

    body: bytes | None = None
    ignored: str | None = None
    pulled: bool = False


PASS = Resolved()  # the body is already what the parser reads
_DIGITS = re.compile(r"[0-9]{1,9}")  # a setting: milliseconds or attempts
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # order ids of every channel here


def _order_id(channel: str, value: object) -> str:
    """The order id a notification names, as one URL path segment; refused when it is not
    a plain id (no slashes, dots or query: the pull must not reach another resource)."""
    text = (
        str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
    )
    if not _ID.fullmatch(text):
        raise PullFailed(
            f"the {channel} notification names the order {str(value)[:80]!r}, which is not an "
            "order id",
            "INVALID_INPUT",
        )
    return quote(text, safe="")


async def resolve(channel: str, body: bytes, config: PullConfig) -> Resolved:
    """Fetch what a notification names. Raises ``PullFailed``."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return PASS  # the parser says what is wrong with it
    if not isinstance(doc, Mapping):
        return PASS
    if channel == "bigcommerce":
        return await _bigcommerce(doc, config)
    if channel == "woocommerce":
        return await _woocommerce(doc, config)
    if channel == "ebay":
        return await _ebay(doc, config)
    if channel == "amazon":
        return await _amazon(doc, config)
    if channel == "square":
        return await _square(doc, config)
    return PASS


def _missing(channel: str, variables: str) -> PullFailed:
    return PullFailed(
        f"this {channel} notification names an order but carries none, and no credentials are "
        f"configured to fetch it ({variables}); kept for replay",
        NOT_CONFIGURED,
    )


def _target(channel: str, value: object, account: A | None, variables: str) -> tuple[str, A]:
    """The order id a notification names (checked first, ``_order_id``) and the credentials to
    fetch it with; without credentials (``variables`` unset) the pull fails, kept for replay."""
    order_id = _order_id(channel, value)
    if account is None:
        raise _missing(channel, variables)
    return order_id, account


def _pulled(doc: Any) -> Resolved:
    """What a pull fetched, as the body the channel's parser reads."""
    return Resolved(orjson.dumps(doc), pulled=True)


# ---- BigCommerce ---------------------------------------------------------------------------


async def _bigcommerce(doc: Mapping[str, Any], config: PullConfig) -> Resolved:
    scope = doc.get("scope")
    data = doc.get("data")
    if not isinstance(scope, str) or not isinstance(data, Mapping):
        return PASS  # not a webhook: an order envelope
    if scope in BIGCOMMERCE_ORDER_SCOPES and data.get("type") == "order":
        order_id = data.get("id")  # store/order/refund/created too: {type, id, refund}
    else:
        return Resolved(ignored=f"BigCommerce {scope} carries no order")
    if order_id is None or order_id == "":
        return Resolved(ignored=f"BigCommerce {scope} names no order id")
    order_id, store = _target(
        "BigCommerce",
        order_id,
        config.bigcommerce,
        "ORDERGRAPH_BIGCOMMERCE_STORE_HASH, ORDERGRAPH_BIGCOMMERCE_ACCESS_TOKEN",
    )
    return _pulled(await fetch_bigcommerce(store, order_id, config.policy))


async def fetch_bigcommerce(
    store: BigCommerceStore, order_id: str, policy: RetryPolicy
) -> dict[str, Any]:
    base = f"{store.api_url.rstrip('/')}/stores/{quote(store.store_hash, safe='')}/v2/orders/"
    base += quote(order_id, safe="")
    headers = {"X-Auth-Token": store.access_token, "Accept": "application/json"}
    order = await get_json("BigCommerce", base, headers=headers, policy=policy)
    products = await _pages("BigCommerce", f"{base}/products", headers, None, policy)
    addresses = await _pages("BigCommerce", f"{base}/shipping_addresses", headers, None, policy)
    return {"order": order, "products": products, "shipping_addresses": addresses}


async def _pages(
    channel: str,
    url: str,
    headers: Mapping[str, str],
    auth: httpx.BasicAuth | None,
    policy: RetryPolicy,
    *,
    size: int = BIGCOMMERCE_PAGE,
    size_param: str = "limit",
) -> list[Any]:
    found: list[Any] = []
    page = 1
    while True:
        batch = await get_json(
            channel,
            url,
            headers=headers,
            params={size_param: str(size), "page": str(page)},
            auth=auth,
            policy=policy,
            empty=[],
        )
        if not isinstance(batch, list):
            raise PullFailed(
                f"{channel} answered {url} with something other than a list", UNAVAILABLE
            )
        found.extend(batch)
        if len(batch) < size:
            return found
        page += 1


# ---- WooCommerce ---------------------------------------------------------------------------


async def _woocommerce(doc: Mapping[str, Any], config: PullConfig) -> Resolved:
    action, arg = doc.get("action"), doc.get("arg")
    if isinstance(action, str) and "id" not in doc:  # an action webhook: names the order
        if arg is None or arg == "":
            return Resolved(ignored=f"WooCommerce action {action} names no order")
        order_id, store = _target("WooCommerce", arg, config.woocommerce, _WOO_VARIABLES)
        order = await get_json(
            "WooCommerce",
            _woo_order_url(store, order_id),
            auth=_woo_auth(store),
            policy=config.policy,
        )
        refunds = await fetch_woo_refunds(store, order_id, config.policy)
        return _pulled({"order": order, "refunds": refunds})
    if not needs_refunds(doc):
        return PASS
    if config.woocommerce is None:
        return PASS  # the parser refuses it, saying what to send or configure
    order_id = _order_id("WooCommerce", doc.get("id"))
    refunds = await fetch_woo_refunds(config.woocommerce, order_id, config.policy)
    return _pulled({"order": doc, "refunds": refunds})


_WOO_VARIABLES = (
    "ORDERGRAPH_WOOCOMMERCE_URL, ORDERGRAPH_WOOCOMMERCE_CONSUMER_KEY, "
    "ORDERGRAPH_WOOCOMMERCE_CONSUMER_SECRET"
)


def _woo_order_url(store: WooStore, order_id: str) -> str:
    return f"{store.url.rstrip('/')}/wp-json/wc/v3/orders/{quote(order_id, safe='')}"


def _woo_auth(store: WooStore) -> httpx.BasicAuth:
    return httpx.BasicAuth(store.consumer_key, store.consumer_secret)


async def fetch_woo_refunds(store: WooStore, order_id: str, policy: RetryPolicy) -> list[Any]:
    return await _pages(
        "WooCommerce",
        f"{_woo_order_url(store, order_id)}/refunds",
        {},
        _woo_auth(store),
        policy,
        size=WOO_PAGE,
        size_param="per_page",
    )


# ---- eBay ----------------------------------------------------------------------------------


async def _ebay(doc: Mapping[str, Any], config: PullConfig) -> Resolved:
    metadata, notification = doc.get("metadata"), doc.get("notification")
    if not isinstance(metadata, Mapping) or not isinstance(notification, Mapping):
        return PASS  # an Order, not a notification
    topic = metadata.get("topic")
    data = notification.get("data")
    order_id = data.get("orderId") if isinstance(data, Mapping) else None
    if (
        not isinstance(topic, str)  # any JSON value: a dict or list is not hashable
        or topic not in EBAY_ORDER_TOPICS
        or not isinstance(order_id, str)
        or not order_id.strip()
    ):
        return Resolved(ignored=f"eBay {topic} carries no order id")
    order_id, account = _target("eBay", order_id, config.ebay, "ORDERGRAPH_EBAY_ACCESS_TOKEN")
    url = f"{account.api_url.rstrip('/')}/sell/fulfillment/v1/order/{order_id}"
    headers = {"Authorization": f"Bearer {account.access_token}"}
    return _pulled(await get_json("eBay", url, headers=headers, policy=config.policy))


# ---- Amazon --------------------------------------------------------------------------------


async def _amazon(doc: Mapping[str, Any], config: PullConfig) -> Resolved:
    if "NotificationType" not in doc:
        return PASS
    order_id = order_id_of(doc)
    if order_id is None:
        return Resolved(ignored=f"Amazon {doc.get('NotificationType')} names no order")
    order_id, account = _target("Amazon", order_id, config.amazon, "ORDERGRAPH_AMAZON_ACCESS_TOKEN")
    url = f"{account.api_url.rstrip('/')}/orders/2026-01-01/orders/{order_id}"
    order = await get_json(
        "Amazon",
        url,
        headers={"x-amz-access-token": account.access_token},
        params={"includedData": AMAZON_INCLUDED},
        policy=config.policy,
    )
    return _pulled(order)


# ---- Square --------------------------------------------------------------------------------


async def _square(doc: Mapping[str, Any], config: PullConfig) -> Resolved:
    data = doc.get("data")
    if not isinstance(data, Mapping):
        return PASS  # an Order or a RetrieveOrder answer
    found = data.get("object")
    if isinstance(found, Mapping) and "order" in found:
        return PASS  # the event carries the Order
    order_id = data.get("id")
    if not isinstance(order_id, str) or not order_id.strip():
        objects = found.values() if isinstance(found, Mapping) else ()  # any JSON value
        inner = next((v for v in objects if isinstance(v, Mapping)), {})
        order_id = inner.get("order_id")
    if not isinstance(order_id, str) or not order_id.strip():
        return PASS  # the parser says what is missing
    order_id, account = _target("Square", order_id, config.square, "ORDERGRAPH_SQUARE_ACCESS_TOKEN")
    url = f"{account.api_url.rstrip('/')}/v2/orders/{order_id}"
    headers = {"Authorization": f"Bearer {account.access_token}", "Square-Version": account.version}
    return _pulled(await get_json("Square", url, headers=headers, policy=config.policy))
