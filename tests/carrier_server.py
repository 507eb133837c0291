"""A local EasyPost: answers as https://docs.easypost.com documents, on a free loopback port.

``behaviour`` picks how it answers rates: ``ok`` (every service), ``partial`` (one service, the
others named in ``messages`` as ``rate_error``), ``error`` (HTTP 500 with an EasyPost error
object) or ``slow`` (answers after ``delay_s``). Purchases and refunds keep state per shipment,
so a test can count what was bought. Trackers (``/v2/trackers``): a purchase creates one for its
tracking code, as EasyPost does; ``POST /v2/trackers`` answers the existing Tracker of the same
(tracking_code, carrier) instead of creating another, ``GET /v2/trackers/{id}`` reads one;
``track_update`` moves one as a carrier's scans would; ``tracking_behaviour="error"`` answers
every tracker call with HTTP 500, ``"slow"`` after ``delay_s``.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson

SERVICES: Sequence[tuple[str, str, str, int]] = (
    ("USPS", "Priority", "4.10", 2),
    ("UPS", "Ground", "5.25", 3),
    ("FedEx", "FEDEX_2_DAY", "9.80", 2),
)


@dataclass
class FakeEasyPost:
    api_key: str = "EZTK-test"
    behaviour: str = "ok"
    delay_s: float = 0.0
    services: Sequence[tuple[str, str, str, int]] = SERVICES
    by_origin: Mapping[str, Sequence[tuple[str, str, str, int]]] = field(default_factory=dict)
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)
    buys: int = 0
    refunds: int = 0
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    trackers: dict[str, dict[str, Any]] = field(default_factory=dict)
    tracking_behaviour: str = "ok"
    tracking_prefix: str = "9400"
    url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def _rates(
        self, shipment_id: str, origin: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        services = self.by_origin.get(origin, self.services)
        offered = services[:1] if self.behaviour == "partial" else services
        rates = [
            {
                "id": f"rate_{shipment_id}_{n}",
                "object": "Rate",
                "mode": "test",
                "service": service,
                "carrier": carrier,
                "rate": price,
                "currency": "USD",
                "retail_rate": None,
                "delivery_days": days,
                "delivery_date": None,
                "delivery_date_guaranteed": False,
                "est_delivery_days": days,
                "shipment_id": shipment_id,
                "carrier_account_id": f"ca_{carrier.lower()}",
            }
            for n, (carrier, service, price, days) in enumerate(offered)
        ]
        messages = [
            {"carrier": carrier, "type": "rate_error", "message": f"{carrier} did not respond"}
            for carrier, *_ in services[len(offered) :]
        ]
        return rates, messages

    def _tracker(self, code: str, carrier: str) -> dict[str, Any]:
        """The Tracker of (code, carrier), created (status unknown, no scans) when missing."""
        for tracker in self.trackers.values():
            if tracker["tracking_code"] == code and tracker["carrier"] == carrier:
                return tracker
        tid = f"trk_{len(self.trackers) + 1:04d}"
        self.trackers[tid] = {
            "object": "Tracker",
            "id": tid,
            "mode": "test",
            "tracking_code": code,
            "status": "unknown",
            "status_detail": None,
            "carrier": carrier,
            "est_delivery_date": None,
            "updated_at": "2026-03-02T15:00:00Z",
            "tracking_details": [],
        }
        return self.trackers[tid]

    def track_update(
        self, code: str, status: str, *, eta: str | None = None, at: str = "2026-03-03T10:00:00Z"
    ) -> None:
        """A scan of ``code``: the Tracker's status, its ETA and one more tracking detail."""
        [tracker] = [t for t in self.trackers.values() if t["tracking_code"] == code]
        tracker.update(status=status, est_delivery_date=eta, updated_at=at)
        tracker["tracking_details"].append(
            {
                "object": "TrackingDetail",
                "message": f"Status {status}",
                "status": status,
                "datetime": at,
                "source": tracker["carrier"],
            }
        )

    def _trackers(self, method: str, parts: list[str], body: Any) -> tuple[int, Any]:
        if self.tracking_behaviour == "slow":
            time.sleep(self.delay_s)
        if self.tracking_behaviour == "error":
            return 500, {
                "error": {"code": "INTERNAL_SERVER_ERROR", "message": "Boom", "errors": []}
            }
        if method == "POST" and len(parts) == 1:
            asked = body["tracker"]
            return 200, self._tracker(asked["tracking_code"], asked.get("carrier", ""))
        if method == "GET" and len(parts) == 2 and parts[1] in self.trackers:
            return 200, self.trackers[parts[1]]
        return 404, {"error": {"code": "NOT_FOUND", "message": "not found", "errors": []}}

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        self.requests.append((method, path, body))
        parts = [p for p in path.split("/") if p][1:]  # drop "v2"
        if parts and parts[0] == "trackers":
            return self._trackers(method, parts, body)
        if method == "POST" and parts == ["shipments"]:
            if self.behaviour == "slow":
                time.sleep(self.delay_s)
            if self.behaviour == "error":
                return 500, {
                    "error": {"code": "INTERNAL_SERVER_ERROR", "message": "Boom", "errors": []}
                }
            sid = f"shp_{next(self._ids):04d}"
            asked = body["shipment"]
            is_return = bool(asked.get("is_return"))
            # a return Shipment swaps the outbound addresses (docs.easypost.com/docs/returns)
            to, src = (
                (asked["from_address"], asked["to_address"])
                if is_return
                else (asked["to_address"], asked["from_address"])
            )
            rates, messages = self._rates(sid, src.get("zip", ""))
            shipment = {
                "id": sid,
                "object": "Shipment",
                "mode": "test",
                "is_return": is_return,
                "reference": asked.get("reference"),
                "to_address": to,
                "from_address": src,
                "parcel": body["shipment"]["parcel"],
                "rates": rates,
                "messages": messages,
                "postage_label": None,
                "tracking_code": None,
                "selected_rate": None,
                "refund_status": None,
                "status": "unknown",
            }
            self.shipments[sid] = shipment
            return 200, shipment
        if len(parts) >= 2 and parts[0] == "shipments" and parts[1] in self.shipments:
            shipment = self.shipments[parts[1]]
            if method == "GET" and len(parts) == 2:
                return 200, shipment
            if method == "POST" and parts[2:] == ["buy"]:
                if shipment["postage_label"] is not None:
                    return 422, {
                        "error": {
                            "code": "SHIPMENT.POSTAGE.EXISTS",
                            "message": "postage already exists",
                            "errors": [],
                        }
                    }
                chosen = next((r for r in shipment["rates"] if r["id"] == body["rate"]["id"]), None)
                if chosen is None:
                    return 422, {
                        "error": {
                            "code": "SHIPMENT.RATE.INVALID",
                            "message": "rate not found",
                            "errors": [],
                        }
                    }
                self.buys += 1
                shipment["selected_rate"] = chosen
                shipment["tracking_code"] = f"{self.tracking_prefix}{self.buys:018d}"
                shipment["tracker"] = self._tracker(shipment["tracking_code"], chosen["carrier"])
                shipment["postage_label"] = {
                    "object": "PostageLabel",
                    "label_file_type": "image/png",
                    "label_size": "4x6",
                    "label_resolution": 300,
                    "label_url": f"{self.url}/files/postage_label/{parts[1]}.png",
                }
                return 200, shipment
            if method == "POST" and parts[2:] == ["refund"]:
                self.refunds += 1
                shipment["refund_status"] = "submitted"
                return 200, shipment
        return 404, {"error": {"code": "NOT_FOUND", "message": "not found", "errors": []}}


def _handler(fake: FakeEasyPost) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{fake.api_key}:".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.headers.get("Authorization") != expected:
                status, body = (
                    401,
                    {"error": {"code": "APIKEY.REQUIRED", "message": "no key", "errors": []}},
                )
            else:
                status, body = fake.answer(method, self.path, orjson.loads(raw) if raw else None)
            data = orjson.dumps(body)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the deadline): fine

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler


@contextmanager
def easypost_server(**options: Any) -> Iterator[FakeEasyPost]:
    fake = FakeEasyPost(**options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v2"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def tracker_event(
    tracking_code: str,
    status: str,
    *,
    eta: str | None = None,
    event_id: str = "evt_1",
    at: str = "2026-12-08T15:00:00Z",
) -> dict[str, Any]:
    """An EasyPost ``tracker.updated`` Event, as its webhook delivers it."""
    return {
        "object": "Event",
        "id": event_id,
        "mode": "test",
        "description": "tracker.updated",
        "status": "pending",
        "created_at": at,
        "updated_at": at,
        "result": {
            "object": "Tracker",
            "id": "trk_1",
            "mode": "test",
            "tracking_code": tracking_code,
            "status": status,
            "status_detail": "arrived_at_facility",
            "carrier": "USPS",
            "est_delivery_date": eta,
            "shipment_id": "shp_0001",
            "updated_at": at,
            "tracking_details": [
                {
                    "object": "TrackingDetail",
                    "message": f"Status {status}",
                    "status": status,
                    "datetime": at,
                    "source": "USPS",
                },
            ],
        },
    }


def headers_of(signature: str) -> Mapping[str, str]:
    return {"X-Hmac-Signature": signature, "Content-Type": "application/json"}


@contextlib.asynccontextmanager
async def carrier_client(
    store: Any, fake: FakeEasyPost, **env: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on ``store`` with one EasyPost account at ``fake`` (auth off; ``env`` adds
    ``ORDERGRAPH_*`` settings), as an httpx client."""
    from ordergraph.app import create_app
    from ordergraph.settings import Settings

    settings = Settings.from_env(
        {
            "ORDERGRAPH_AUTH": "off",
            "ORDERGRAPH_CARRIER_EASYPOST_API_KEY": fake.api_key,
            "ORDERGRAPH_CARRIER_EASYPOST_URL": fake.url,
            **env,
        }
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, store=store)),
        base_url="http://ordergraph.test",
    ) as client:
        yield client
