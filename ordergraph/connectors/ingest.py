"""Inbound channels: which parser reads a channel's payload, and how its webhooks are signed.

``CHANNELS`` maps a channel name (the ``{channel}`` of ``POST /ingest/{channel}``) to its
``ChannelSpec``: how to decode the raw body into canonical orders, which headers to keep with a
stored payload, which header names the webhook topic and which topics carry an order.

Authentication of the channels that sign their webhooks, checked over the RAW body before
anything is parsed or stored (``authenticate``):

* Shopify: ``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(secret, body)).
* WooCommerce: ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(secret, body)).
* Square: ``x-square-hmacsha256-signature`` = base64(HMAC-SHA256(key, notification URL + body)).

The secret of channel ``c`` comes from ``ORDERGRAPH_<C>_WEBHOOK_SECRET``. Without one the request
is refused, except in development, where it is accepted and a warning is logged. Channels that
do not sign (BigCommerce, Amazon and eBay relays, X12 over HTTP) are called by our own
connectors, which present an API key like any other client (see ``http.ingest``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from ordergraph.connectors.canonical import (
    CanonicalLine,
    CanonicalOrder,
    ChannelParseError,
    to_order_input,
)
from ordergraph.connectors.channels import (
    amazon,
    bigcommerce,
    ebay,
    shopify,
    square,
    woocommerce,
)
from ordergraph.connectors.jsontext import json_problem
from ordergraph.connectors.x12 import order as x12_order
from ordergraph.connectors.x12.purchase_order import PurchaseOrder850, read_850s
from ordergraph.connectors.x12.syntax import X12Error
from ordergraph.domain.errors import OrderGraphError, ValidationError
from ordergraph.domain.orders import Address as OrderAddress
from ordergraph.domain.orders import OrderLine, OrderRequest
from ordergraph.domain.routing.types import ServiceLevel

X12 = x12_order.X12
EACH_UNITS = x12_order.EACH_UNITS  # X12 units of measure that count single units


@dataclass(frozen=True)
class Decoded:
    """One order a payload carries, or why it could not be read (X12: one per PO)."""

    order: CanonicalOrder | None
    error: OrderGraphError | None = None
    po: PurchaseOrder850 | None = None

    @property
    def external_id(self) -> str | None:
        if self.order is not None:
            return self.order.external_id
        return self.po.po_number if self.po is not None else None


@dataclass(frozen=True)
class DecodeContext:
    square_catalog: Mapping[str, str] = field(default_factory=dict)  # variation id -> SKU


Decoder = Callable[[bytes, str | None, DecodeContext], list[Decoded]]


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    decode: Decoder  # (raw body, topic, context) -> orders; raises OrderGraphError
    signature_header: str | None = None  # lower case; None: the caller shows an API key
    signs_url: bool = False  # Square: the notification URL is signed with the body
    topic_header: str | None = None
    order_topics: frozenset[str] | None = None  # topics that carry an order; None: any
    headers: tuple[str, ...] = ()  # kept with a stored payload (never credentials)

    def topic(self, headers: Mapping[str, str], body: bytes) -> str | None:
        if self.topic_header is not None:
            return headers.get(self.topic_header)
        if self.name == "square":
            return _square_event_type(body)
        return None

    def carries_order(self, topic: str | None) -> bool:
        return topic is None or self.order_topics is None or topic in self.order_topics


# ---- authentication ------------------------------------------------------------------------


def sign(secret: str, message: bytes) -> str:
    """base64(HMAC-SHA256(secret, message)), the signature Shopify, WooCommerce, Square send."""
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    warning: str | None = None  # accepted without a secret (development only)


def authenticate(
    name: str,
    secret: str | None,
    body: bytes,
    headers: Mapping[str, str],
    *,
    url: str = "",
    development: bool = False,
) -> Verdict:
    """Whether a webhook of signing channel ``name`` was signed with ``secret``.

    ``headers`` have lower-case names; ``url`` is the notification URL (Square signs it).
    """
    spec = CHANNELS[name]
    if spec.signature_header is None:
        raise ValueError(f"{name} does not sign its webhooks")
    if not secret:
        variable = f"ORDERGRAPH_{name.upper()}_WEBHOOK_SECRET"
        if development:
            return Verdict(
                True,
                warning=f"{variable} is not set: accepting {name} webhooks "
                "without checking their signature (development only)",
            )
        return Verdict(False, f"no webhook secret is configured for {name} ({variable})")
    given = headers.get(spec.signature_header, "").strip()
    if not given:
        return Verdict(False, f"missing {spec.signature_header} header")
    message = url.encode() + body if spec.signs_url else body
    if not hmac.compare_digest(sign(secret, message).encode(), given.encode()):
        return Verdict(False, f"{spec.signature_header} does not match the body")
    return Verdict(True)


def webhook_secrets_from_env(environ: Mapping[str, str]) -> dict[str, str]:
    """``ORDERGRAPH_<NAME>_WEBHOOK_SECRET`` variables as ``{name: secret}`` (name lower case)."""
    prefix, suffix = "ORDERGRAPH_", "_WEBHOOK_SECRET"
    return {
        key[len(prefix) : -len(suffix)].lower(): value.strip()
        for key, value in environ.items()
        if key.startswith(prefix)
        and key.endswith(suffix)
        and len(key) > len(prefix + suffix)
        and value.strip()
    }


# ---- decoding ------------------------------------------------------------------------------


def json_body(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ChannelParseError(f"the body is {json_problem(body, exc)}") from None


def _one(parse: Callable[..., CanonicalOrder], channel_id: str) -> Decoder:
    """A channel whose body is one order; the channel id is the channel's name."""

    def decode(body: bytes, topic: str | None, context: DecodeContext) -> list[Decoded]:
        return [Decoded(parse(json_body(body), channel_id=channel_id))]

    return decode


def _square(body: bytes, topic: str | None, context: DecodeContext) -> list[Decoded]:
    doc = json_body(body)
    order = doc
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict):  # a webhook event
        obj = doc["data"].get("object")
        order = obj.get("order") if isinstance(obj, dict) else None
        if order is None:
            raise ChannelParseError(
                "this Square notification names the order but does not carry it; post the "
                "Order object (RetrieveOrder) instead",
                ("data", "object", "order"),
            )
    elif isinstance(doc, dict) and isinstance(doc.get("order"), dict):  # RetrieveOrder answer
        order = doc["order"]
    catalog = _IdentityCatalog(context.square_catalog)
    return [Decoded(square.parse(order, channel_id="square", catalog=catalog))]


def _square_event_type(body: bytes) -> str | None:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    kind = doc.get("type") if isinstance(doc, dict) and "data" in doc else None
    return kind if isinstance(kind, str) else None


class _IdentityCatalog(Mapping[str, str]):
    """Square variation id -> SKU: the configured mapping, else the variation id itself."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self._mapping = mapping

    def __getitem__(self, key: str) -> str:
        return self._mapping.get(key, key)

    def __iter__(self) -> Any:
        return iter(self._mapping)

    def __len__(self) -> int:
        return len(self._mapping)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key]


def _x12(body: bytes, topic: str | None, context: DecodeContext) -> list[Decoded]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("latin-1")
    decoded = []
    for po in read_850s(text):  # a broken envelope raises; a broken PO fails alone
        if isinstance(po, X12Error):
            decoded.append(Decoded(None, po))
            continue
        try:
            decoded.append(Decoded(po_to_canonical(po), po=po))
        except (OrderGraphError, ValueError) as exc:
            error = exc if isinstance(exc, OrderGraphError) else ValidationError(str(exc))
            decoded.append(Decoded(None, error, po))
    return decoded


def x12_channel_id(po: PurchaseOrder850) -> str:
    return x12_order.channel_id(po)


def po_to_canonical(po: PurchaseOrder850) -> CanonicalOrder:
    """An 850 purchase order as a canonical order on channel ``x12:<sender id>``: its lines
    that can be read in eaches (see ``connectors.x12_order``; the catalog is not checked)."""
    return x12_order.to_canonical(po, x12_order.verdicts(po))


# ---- canonical order -> the order request ---------------------------------------------------


def order_request(order: CanonicalOrder, shipping: Sequence[CanonicalLine]) -> OrderRequest:
    """The request ``place_order`` takes; ``shipping``: the order's open lines that ship."""
    wanted = to_order_input(order)  # the checks every channel gets (SKU, address, ...)
    to = wanted["shipTo"]
    return OrderRequest(
        channel=order.channel,
        external_id=order.external_id,
        lines=tuple(
            OrderLine(line["sku"], line["quantity"], source.unit_price, order.currency)
            for line, source in zip(wanted["lines"], shipping, strict=True)
        ),
        ship_to=OrderAddress(
            postal_code=to["postalCode"] or "",
            country=to["country"],
            name=to["name"],
            line1=to["line1"],
            line2=to["line2"],
            city=to["city"],
            region=to["region"],
        ),
        service_level=ServiceLevel(order.service_level),
        placed_at=order.created_at,
        customer_email=None if order.customer is None else order.customer.email,
    )


CHANNELS: dict[str, ChannelSpec] = {
    "shopify": ChannelSpec(
        "shopify",
        _one(shopify.parse, "shopify"),
        signature_header="x-shopify-hmac-sha256",
        topic_header="x-shopify-topic",
        order_topics=frozenset(
            {
                "orders/create",
                "orders/updated",
                "orders/cancelled",
                "orders/paid",
                "orders/fulfilled",
                "orders/partially_fulfilled",
            }
        ),
        headers=(
            "x-shopify-topic",
            "x-shopify-shop-domain",
            "x-shopify-webhook-id",
            "x-shopify-event-id",
            "x-shopify-triggered-at",
            "x-shopify-api-version",
        ),
    ),
    "woocommerce": ChannelSpec(
        "woocommerce",
        _one(woocommerce.parse, "woocommerce"),
        signature_header="x-wc-webhook-signature",
        topic_header="x-wc-webhook-topic",
        order_topics=frozenset({"order.created", "order.updated", "order.restored"}),
        headers=(
            "x-wc-webhook-topic",
            "x-wc-webhook-source",
            "x-wc-webhook-id",
            "x-wc-webhook-delivery-id",
            "x-wc-webhook-resource",
            "x-wc-webhook-event",
        ),
    ),
    "square": ChannelSpec(
        "square",
        _square,
        signature_header="x-square-hmacsha256-signature",
        signs_url=True,
        order_topics=frozenset({"order.created", "order.updated"}),
        headers=("square-environment", "square-version"),
    ),
    "bigcommerce": ChannelSpec("bigcommerce", _one(bigcommerce.parse, "bigcommerce")),
    "amazon": ChannelSpec("amazon", _one(amazon.parse, "amazon")),
    "ebay": ChannelSpec("ebay", _one(ebay.parse, "ebay")),
    X12: ChannelSpec(X12, _x12, headers=("x-edi-sender", "as2-from", "as2-to", "message-id")),
}
