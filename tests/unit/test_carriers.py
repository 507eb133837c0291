"""The carrier port's adapters against a local EasyPost that answers as its docs show."""

from __future__ import annotations

import asyncio
from datetime import date

import orjson
import pytest

from ordergraph.connectors.carriers.easypost import EasyPost, sign
from ordergraph.connectors.carriers.lanes import LaneTable
from ordergraph.connectors.carriers.port import (
    Carrier,
    CarrierError,
    Place,
    RateQuery,
    RateSource,
    TrackingStatus,
)
from ordergraph.connectors.carriers.registry import build_carriers
from ordergraph.domain.routing.types import Lane
from ordergraph.settings import Settings
from tests.carrier_server import easypost_server, headers_of, tracker_event

QUERY = RateQuery(
    origin=Place("DC-RENO", "89502", "US", name="Reno DC"),
    destination=Place("US-941", "94105", "US", name="A. Shopper"),
    weight_kg=1.0,
    reference="ORD-1",
)


async def test_rates_are_read_from_the_documented_shipment() -> None:
    with easypost_server() as fake:
        carrier = EasyPost(fake.api_key, base_url=fake.url)
        rates = await carrier.rates(QUERY)
        await carrier.aclose()
    assert [(r.carrier, r.service, r.amount, r.transit_days) for r in rates] == [
        ("USPS", "Priority", 4.10, 2),
        ("UPS", "Ground", 5.25, 3),
        ("FedEx", "FEDEX_2_DAY", 9.80, 2),
    ]
    assert all(r.source is RateSource.LIVE and r.shipment_id == "shp_0001" for r in rates)
    method, path, body = fake.requests[0]
    assert (method, path) == ("POST", "/v2/shipments")
    assert body["shipment"]["parcel"] == {"weight": 35.3}  # ounces
    assert body["shipment"]["to_address"] == {"name": "A. Shopper", "zip": "94105", "country": "US"}
    assert body["shipment"]["reference"] == "ORD-1"


async def test_a_partial_list_is_an_answer_and_an_error_is_a_carrier_error() -> None:
    with easypost_server(behaviour="partial") as fake:
        carrier = EasyPost(fake.api_key, base_url=fake.url)
        assert [r.carrier for r in await carrier.rates(QUERY)] == ["USPS"]
        fake.behaviour = "error"
        with pytest.raises(CarrierError, match=r"HTTP 500.*INTERNAL_SERVER_ERROR"):
            await carrier.rates(QUERY)
        wrong = EasyPost("EZTK-wrong", base_url=fake.url)
        with pytest.raises(CarrierError, match="HTTP 401"):
            await wrong.rates(QUERY)
        await carrier.aclose()
        await wrong.aclose()


async def test_a_slow_api_is_a_timeout_not_a_hang() -> None:
    with easypost_server(behaviour="slow", delay_s=1.0) as fake:
        carrier = EasyPost(fake.api_key, base_url=fake.url, timeout_s=0.1)
        with pytest.raises(CarrierError, match="Timeout"):
            await carrier.rates(QUERY)
        await carrier.aclose()


async def test_buying_twice_with_the_same_rate_buys_one_label_and_void_refunds_it() -> None:
    with easypost_server() as fake:
        carrier = EasyPost(fake.api_key, base_url=fake.url)
        rate = (await carrier.rates(QUERY))[1]
        first, second = await asyncio.gather(
            carrier.buy_label(rate, idempotency_key="F-1"),
            carrier.buy_label(rate, idempotency_key="F-1"),
        )
        again = await carrier.buy_label(rate, idempotency_key="F-1")
        assert fake.buys == 1
        assert first.tracking_number == second.tracking_number == again.tracking_number != ""
        assert (first.carrier, first.service, first.cost) == ("UPS", "Ground", 5.25)
        assert first.label_format == "image/png" and first.label_url.endswith("shp_0001.png")
        assert await carrier.void_label(first) is True
        assert fake.refunds == 1
        await carrier.aclose()


def test_the_webhook_signature_is_easyposts_hmac_of_the_raw_body() -> None:
    carrier = EasyPost("k", webhook_secret="s\u00e9cret")  # NFKD-normalised like EasyPost's libs
    body = orjson.dumps(tracker_event("9400111", "in_transit", eta="2026-12-10T00:00:00Z"))
    good = sign("se\u0301cret", body)
    assert good.startswith("hmac-sha256-hex=")
    assert carrier.verify(body, headers_of(good))
    assert carrier.verify(body, {"x-hmac-signature": good})
    assert not carrier.verify(body + b" ", headers_of(good))
    assert not carrier.verify(body, headers_of(good[:-1] + "0"))
    assert not carrier.verify(body, {})
    assert not EasyPost("k").verify(body, headers_of(good))  # no secret: nothing verifies
    [event] = carrier.parse_tracking(body)
    assert (event.tracking_number, event.status, event.estimated_delivery) == (
        "9400111",
        TrackingStatus.IN_TRANSIT,
        date(2026, 12, 10),
    )
    assert event.event_id == "evt_1" and event.occurred_at is not None


@pytest.mark.parametrize(
    ("status", "ours"),
    [
        ("out_for_delivery", TrackingStatus.OUT_FOR_DELIVERY),
        ("delivered", TrackingStatus.DELIVERED),
        ("failure", TrackingStatus.FAILED_ATTEMPT),
        ("return_to_sender", TrackingStatus.RETURNED_TO_SENDER),
        ("error", TrackingStatus.EXCEPTION),
        ("something_new", TrackingStatus.UNKNOWN),
    ],
)
def test_tracker_statuses_map_onto_ours(status: str, ours: TrackingStatus) -> None:
    [event] = EasyPost("k").parse_tracking(orjson.dumps(tracker_event("1", status)))
    assert event.status is ours and event.carrier_status == status


def test_a_body_that_is_not_an_event_is_refused() -> None:
    with pytest.raises(CarrierError):
        EasyPost("k").parse_tracking(b"[1, 2]")
    assert EasyPost("k").parse_tracking(b'{"object": "Event", "result": {"object": "Batch"}}') == []


async def test_the_lane_table_prices_its_lanes_and_sells_no_label() -> None:
    table = LaneTable({("DC-RENO", "US-941"): (Lane("UPS", "GROUND", 2, 6.10, 0.55),)})
    assert isinstance(table, Carrier)
    [rate] = await table.rates(QUERY)
    assert rate.source is RateSource.TABLE and rate.amount == pytest.approx(6.65)
    with pytest.raises(CarrierError):
        await table.buy_label(rate, idempotency_key="x")


def test_accounts_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "ORDERGRAPH_CARRIER_EASYPOST_API_KEY": "EZTK1",
            "ORDERGRAPH_CARRIER_EASYPOST_WEBHOOK_KEY": "whsec",
            "ORDERGRAPH_CARRIER_EP2_API_KEY": "EZTK2",
            "ORDERGRAPH_CARRIER_EP2_KIND": "easypost",
            "ORDERGRAPH_CARRIER_EP2_URL": "http://127.0.0.1:9/v2",
            "ORDERGRAPH_CARRIER_DEADLINE_MS": "250",
        }
    )
    assert settings.carrier_deadline_ms == 250 and Settings().carriers == {}
    assert settings.carriers["easypost"].webhook_secret == "whsec"
    assert settings.carriers["ep2"].base_url == "http://127.0.0.1:9/v2"
    carriers = build_carriers(settings.carriers, 1.0)
    assert sorted(carriers) == ["easypost", "ep2"]
    assert all(isinstance(c, EasyPost) for c in carriers.values())
    bad = Settings.from_env({"ORDERGRAPH_CARRIER_X_API_KEY": "k"})
    with pytest.raises(ValueError, match="kind 'x'"):
        build_carriers(bad.carriers, 1.0)


async def test_a_polled_tracker_is_found_once_then_read_by_id_and_names_its_state() -> None:
    with easypost_server() as fake:
        carrier = EasyPost(fake.api_key, base_url=fake.url)
        try:
            assert await carrier.track("9400777", carrier="USPS") is None  # nothing scanned yet
            fake.track_update("9400777", "in_transit", eta="2026-12-10T00:00:00Z")
            first = await carrier.track("9400777", carrier="USPS")
            again = await carrier.track("9400777", carrier="USPS")
            fake.track_update("9400777", "delivered", at="2026-12-09T16:00:00Z")
            done = await carrier.track("9400777", carrier="USPS")
        finally:
            await carrier.aclose()
    assert first is not None and again is not None and done is not None
    assert (first.status, first.estimated_delivery) == (
        TrackingStatus.IN_TRANSIT,
        date(2026, 12, 10),
    )
    assert first.event_id == again.event_id != done.event_id  # the same state: the same event
    assert done.status is TrackingStatus.DELIVERED and done.carrier_status == "delivered"
    calls = [(method, path) for method, path, _ in fake.requests]
    assert calls == [("POST", "/v2/trackers")] + [("GET", "/v2/trackers/trk_0001")] * 3
    assert fake.requests[0][2] == {"tracker": {"tracking_code": "9400777", "carrier": "USPS"}}


async def test_a_tracker_error_is_a_carrier_error_and_the_lane_table_tracks_nothing() -> None:
    with easypost_server(tracking_behaviour="error") as fake:
        carrier = EasyPost(fake.api_key, base_url=fake.url)
        try:
            with pytest.raises(CarrierError, match="HTTP 500"):
                await carrier.track("9400777", timeout_s=1.0)
        finally:
            await carrier.aclose()
    with pytest.raises(CarrierError):
        await LaneTable({}).track("9400777")


def test_an_account_says_webhook_or_poll_and_how_often() -> None:
    settings = Settings.from_env(
        {
            "ORDERGRAPH_CARRIER_EASYPOST_API_KEY": "EZTK1",
            "ORDERGRAPH_CARRIER_EP2_API_KEY": "EZTK2",
            "ORDERGRAPH_CARRIER_EP2_KIND": "easypost",
            "ORDERGRAPH_CARRIER_EP2_TRACKING": "Poll",
            "ORDERGRAPH_CARRIER_EP2_POLL_S": "120",
            "ORDERGRAPH_CARRIER_POLL_BATCH": "10",
        }
    )
    assert not settings.carriers["easypost"].polled
    assert settings.carriers["ep2"].polled and settings.carriers["ep2"].poll_interval_s == 120
    assert (settings.carrier_poll_batch, settings.carrier_poll_tick_ms) == (10, 5000)
    assert settings.carrier_poll_timeout_ms == 5000
