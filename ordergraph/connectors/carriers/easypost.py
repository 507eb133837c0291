"""EasyPost (https://docs.easypost.com): rates, labels, refunds and tracker webhooks.

- Rates: ``POST /v2/shipments`` with ``{"shipment": {from_address, to_address, parcel,
  reference}}`` answers a Shipment whose ``rates`` list each carrier service (``id``, ``carrier``,
  ``service``, ``rate`` as a decimal string, ``currency``, ``delivery_days``, ``shipment_id``);
  carriers that failed are named in ``messages`` (``type: rate_error``) and missing from
  ``rates``: a partial list is a normal answer. Parcel weight is in ounces.
- Labels: ``POST /v2/shipments/{id}/buy`` with ``{"rate": {"id": ...}}`` answers the Shipment
  with ``tracking_code`` and ``postage_label`` (``label_url``, ``label_file_type``). A shipment is
  bought at most once, so the shipment is the idempotency unit: before buying we read it
  (``GET /v2/shipments/{id}``) and answer the label it already has.
- Returns: the same ``POST /v2/shipments`` with the outbound addresses and ``is_return: true``
  (EasyPost swaps ``to_address`` and ``from_address``, https://docs.easypost.com/docs/returns).
- Void: ``POST /v2/shipments/{id}/refund`` answers the Shipment with ``refund_status``
  (``submitted``, ``refunded``, ``rejected``, ``not_applicable``).
- Tracking: an Event (``description: tracker.updated``/``tracker.created``) whose ``result`` is
  a Tracker (``tracking_code``, ``status``, ``est_delivery_date``, ``tracking_details``), signed
  with ``X-Hmac-Signature: hmac-sha256-hex=<hex HMAC-SHA256 of the raw body>``, keyed with the
  webhook secret normalised to Unicode NFKD (as EasyPost's client libraries validate it).
- Polling (accounts without webhooks): ``POST /v2/trackers`` with ``{"tracker": {tracking_code,
  carrier}}`` answers the Tracker; EasyPost answers the original Tracker for the same
  (tracking_code, carrier) of the same user within three months instead of creating another
  (https://docs.easypost.com/docs/trackers), so the first poll creates or finds it, and later
  polls read it by id (``GET /v2/trackers/{id}``).

Authentication is HTTP basic with the API key as user name and an empty password.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import httpx
import orjson

from ordergraph.connectors.carriers.port import (
    CarrierError,
    Label,
    Place,
    Rate,
    RateQuery,
    RateSource,
    TrackingEvent,
    TrackingStatus,
)

OUNCES_PER_KG = 35.27396195
SIGNATURE_HEADER = "x-hmac-signature"
SIGNATURE_PREFIX = "hmac-sha256-hex="

STATUSES: Mapping[str, TrackingStatus] = {
    "unknown": TrackingStatus.UNKNOWN,
    "pre_transit": TrackingStatus.PRE_TRANSIT,
    "in_transit": TrackingStatus.IN_TRANSIT,
    "out_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
    "available_for_pickup": TrackingStatus.OUT_FOR_DELIVERY,
    "delivered": TrackingStatus.DELIVERED,
    "failure": TrackingStatus.FAILED_ATTEMPT,
    "return_to_sender": TrackingStatus.RETURNED_TO_SENDER,
    "cancelled": TrackingStatus.EXCEPTION,
    "error": TrackingStatus.EXCEPTION,
}
"""EasyPost's Tracker ``status`` values onto ours."""


def sign(secret: str, body: bytes) -> str:
    """The ``X-Hmac-Signature`` value EasyPost sends for ``body``."""
    key = unicodedata.normalize("NFKD", secret).encode()
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def _address(place: Place) -> dict[str, str]:
    fields = {
        "name": place.name,
        "street1": place.street,
        "city": place.city,
        "state": place.state,
        "zip": place.postal_code,
        "country": place.country,
    }
    return {key: value for key, value in fields.items() if value}


def _moment(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class EasyPost:
    """The EasyPost adapter: one account (API key, webhook secret) and one HTTP client."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://api.easypost.com/v2",
        webhook_secret: str = "",
        timeout_s: float = 5.0,
        name: str = "easypost",
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._name = name
        self._secret = webhook_secret
        self._trackers: dict[tuple[str, str], str] = {}  # (tracking code, carrier) -> Tracker id
        self._client = client or httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            auth=(api_key, ""),
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 2.0)),
            trust_env=False,
            follow_redirects=False,
        )

    @property
    def name(self) -> str:
        return self._name

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        body: object | None = None,
        *,
        timeout_s: float | None = None,
    ) -> dict[str, Any]:
        try:
            response = await self._client.request(
                method,
                path,
                content=None if body is None else orjson.dumps(body),
                headers={"Content-Type": "application/json"} if body is not None else None,
                timeout=httpx.USE_CLIENT_DEFAULT
                if timeout_s is None
                else httpx.Timeout(timeout_s, connect=min(timeout_s, 2.0)),
            )
        except httpx.HTTPError as error:
            raise CarrierError(f"{self._name}: {type(error).__name__} on {method} {path}") from None
        try:
            answer = orjson.loads(response.content) if response.content else {}
        except orjson.JSONDecodeError:
            answer = None
        if response.status_code >= 400 or not isinstance(answer, dict):
            message = ""
            if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
                problem = answer["error"]
                message = f": {problem.get('code', '')} {problem.get('message', '')}".rstrip()
            raise CarrierError(f"{self._name}: HTTP {response.status_code} on {path}{message}")
        return answer

    async def rates(self, query: RateQuery) -> list[Rate]:
        shipment: dict[str, Any] = {
            "from_address": _address(query.origin),
            "to_address": _address(query.destination),
            "parcel": {"weight": round(max(query.weight_kg, 0.01) * OUNCES_PER_KG, 1)},
        }
        if query.reference:
            shipment["reference"] = query.reference
        if query.is_return:
            # EasyPost keeps the outbound addresses and swaps them for a return Shipment
            shipment["is_return"] = True
        answer = await self._call("POST", "/shipments", {"shipment": shipment})
        rates: list[Rate] = []
        for row in answer.get("rates") or []:
            try:
                amount = float(row["rate"])
                days = row.get("delivery_days")
                rates.append(
                    Rate(
                        carrier=str(row["carrier"]),
                        service=str(row["service"]),
                        amount=amount,
                        currency=str(row.get("currency") or "USD"),
                        transit_days=int(days) if days is not None else None,
                        source=RateSource.LIVE,
                        adapter=self._name,
                        rate_id=str(row["id"]),
                        shipment_id=str(row.get("shipment_id") or answer.get("id") or ""),
                    )
                )
            except (KeyError, TypeError, ValueError):
                continue  # one unreadable rate does not spoil the others
        return rates

    def _label(self, shipment: Mapping[str, Any], key: str) -> Label | None:
        postage = shipment.get("postage_label")
        if not isinstance(postage, dict) or not postage.get("label_url"):
            return None
        chosen = shipment.get("selected_rate") or {}
        return Label(
            carrier=str(chosen.get("carrier") or ""),
            service=str(chosen.get("service") or ""),
            tracking_number=str(shipment.get("tracking_code") or ""),
            label_url=str(postage["label_url"]),
            label_format=str(postage.get("label_file_type") or postage.get("label_format") or ""),
            cost=float(chosen.get("rate") or 0.0),
            adapter=self._name,
            shipment_id=str(shipment.get("id") or ""),
            idempotency_key=key,
        )

    async def buy_label(self, rate: Rate, *, idempotency_key: str) -> Label:
        if not rate.shipment_id or not rate.rate_id:
            raise CarrierError(f"{self._name}: a label needs a live rate of one of its shipments")
        path = f"/shipments/{rate.shipment_id}"
        bought = self._label(await self._call("GET", path), idempotency_key)
        if bought is not None:
            return bought
        try:
            answer = await self._call("POST", f"{path}/buy", {"rate": {"id": rate.rate_id}})
        except CarrierError:
            # the buy may have gone through before the answer was lost: read it once more
            bought = self._label(await self._call("GET", path), idempotency_key)
            if bought is None:
                raise
            return bought
        label = self._label(answer, idempotency_key)
        if label is None:
            raise CarrierError(f"{self._name}: the purchase answered no postage label")
        return label

    async def void_label(self, label: Label) -> bool:
        answer = await self._call("POST", f"/shipments/{label.shipment_id}/refund", {})
        return answer.get("refund_status") in ("submitted", "refunded")

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bool:
        if not self._secret:
            return False
        given = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), "")
        return hmac.compare_digest(given.strip().encode(), sign(self._secret, body).encode())

    def parse_tracking(self, body: bytes) -> list[TrackingEvent]:
        try:
            event = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise CarrierError(f"{self._name}: the notification is not JSON") from None
        if not isinstance(event, dict) or not isinstance(event.get("result"), dict):
            raise CarrierError(f"{self._name}: the notification is not an Event")
        tracker = event["result"]
        if tracker.get("object") != "Tracker" or not tracker.get("tracking_code"):
            return []  # events about other objects carry no tracking
        return [_tracking_event(tracker, str(event.get("id") or ""))]

    async def track(
        self, tracking_number: str, *, carrier: str = "", timeout_s: float = 5.0
    ) -> TrackingEvent | None:
        known = self._trackers.get((tracking_number, carrier))
        if known is not None:
            try:
                tracker = await self._call("GET", f"/trackers/{known}", timeout_s=timeout_s)
            except CarrierError:
                del self._trackers[(tracking_number, carrier)]  # next time: find it again
                raise
        else:
            asked = {"tracking_code": tracking_number, **({"carrier": carrier} if carrier else {})}
            tracker = await self._call("POST", "/trackers", {"tracker": asked}, timeout_s=timeout_s)
        if tracker.get("object") != "Tracker" or not tracker.get("tracking_code"):
            raise CarrierError(f"{self._name}: /trackers answered no Tracker")
        if tracker.get("id"):
            self._trackers[(tracking_number, carrier)] = str(tracker["id"])
        # a polled Tracker has no Event id: the state answered names it, so the same answer
        # twice is one event (applied once) and any change (status, scan, ETA) is a new one
        details = [d for d in tracker.get("tracking_details") or [] if isinstance(d, dict)]
        if not details and str(tracker.get("status") or "unknown") == "unknown":
            return None  # the carrier has not scanned it yet: nothing to apply
        last = details[-1] if details else {}
        state = ":".join(
            str(part or "")
            for part in (
                tracker.get("id") or tracking_number,
                tracker.get("status"),
                last.get("datetime"),
                tracker.get("est_delivery_date"),
            )
        )
        return _tracking_event(tracker, f"poll:{state}")


def _tracking_event(tracker: Mapping[str, Any], event_id: str) -> TrackingEvent:
    """A Tracker (a webhook Event's ``result``, or a polled one) in our words."""
    details = [d for d in tracker.get("tracking_details") or [] if isinstance(d, dict)]
    last = details[-1] if details else {}
    eta = _moment(tracker.get("est_delivery_date"))
    status = str(tracker.get("status") or "unknown")
    return TrackingEvent(
        event_id=event_id,
        tracking_number=str(tracker["tracking_code"]),
        status=STATUSES.get(status, TrackingStatus.UNKNOWN),
        carrier_status=status,
        occurred_at=_moment(last.get("datetime")) or _moment(tracker.get("updated_at")),
        estimated_delivery=date(eta.year, eta.month, eta.day) if eta else None,
        detail=str(last.get("message") or tracker.get("status_detail") or ""),
    )
