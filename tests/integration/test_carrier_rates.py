"""Live carrier rates in routing on a real FalkorDB, against local EasyPost servers: one that
answers a partial list, one that errors and one that never answers in time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime

import pytest

from ordergraph.connectors.carriers.easypost import EasyPost
from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.domain.routing.types import RoutingPlan
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.orders import fulfillments_by_order, orders_by_id
from ordergraph.services.carrier_rates import RateShopper, shopper_for, weight_band
from ordergraph.services.orders import place_order
from ordergraph.settings import Settings
from tests.bounds import CARRIER_SLACK_S
from tests.carrier_server import FakeEasyPost, easypost_server

PLACED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday
DEADLINE_S = 0.3


@pytest.fixture
def servers() -> Iterator[dict[str, FakeEasyPost]]:
    with ExitStack() as stack:
        yield {
            "fast": stack.enter_context(easypost_server(behaviour="partial")),
            "broken": stack.enter_context(easypost_server(behaviour="error")),
            "slow": stack.enter_context(easypost_server(behaviour="slow", delay_s=5.0)),
        }


def shopper(servers: dict[str, FakeEasyPost], **options: float) -> RateShopper:
    carriers = {
        name: EasyPost(fake.api_key, base_url=fake.url, timeout_s=10.0, name=name)
        for name, fake in servers.items()
    }
    return RateShopper(carriers, deadline_s=DEADLINE_S, **options)  # type: ignore[arg-type]


def order(external: str, quantity: int = 2) -> OrderRequest:
    return OrderRequest(
        channel="web",
        lines=(OrderLine("SKU-1", quantity),),
        ship_to=Address("94105", "US", name="A. Shopper"),
        placed_at=PLACED,
        external_id=external,
    )


async def test_placement_takes_live_rates_within_the_deadline(
    loaded: FalkorStore, servers: dict[str, FakeEasyPost]
) -> None:
    table = await place_order(loaded, order("TABLE-1"))
    assert table.plan is not None and not any("carrier rates" in e for e in table.plan.explanation)
    rates = shopper(servers)
    started = time.perf_counter()
    placed = await place_order(loaded, order("LIVE-1"), rates=rates)
    elapsed = time.perf_counter() - started
    assert elapsed < DEADLINE_S + CARRIER_SLACK_S  # the slow carrier answers after 5 s
    assert placed.plan is not None
    [shipment] = placed.plan.shipments
    # the partial answer's one rate (USPS Priority 4.10, 2 days) beats the lane table
    assert (shipment.carrier, shipment.service) == ("USPS", "Priority")
    assert placed.plan.total_cost < table.plan.total_cost
    text = "\n".join(placed.plan.explanation)
    assert "USPS Priority 4.10 live (fast)" in text
    assert "broken: failed (CarrierError" in text
    assert "slow: no answer within 300 ms" in text
    # the stored order carries the live price and says so
    [stored] = await orders_by_id(loaded, [placed.order_id])
    assert stored is not None and stored.routing is not None
    kept = RoutingPlan.from_record(stored.routing)
    assert kept.total_cost == placed.plan.total_cost
    assert any("live (fast)" in line for line in kept.explanation)
    [[fulfillment]] = await fulfillments_by_order(loaded, [placed.order_id])
    assert (fulfillment.carrier, fulfillment.service) == ("USPS", "Priority")

    # the same lane and weight band again: the fast carrier's rate comes from the cache
    asked = len(servers["fast"].requests)
    again = await place_order(loaded, order("LIVE-2"), rates=rates)
    assert again.plan is not None
    assert any("4.10 cached (fast)" in e for e in again.plan.explanation)
    assert len(servers["fast"].requests) == asked


async def test_every_carrier_failing_prices_from_the_table(
    loaded: FalkorStore, servers: dict[str, FakeEasyPost]
) -> None:
    del servers["fast"]
    table = await place_order(loaded, order("T-1"))
    placed = await place_order(loaded, order("T-2"), rates=shopper(servers))
    assert table.plan is not None and placed.plan is not None
    assert [(s.carrier, s.service, s.cost) for s in placed.plan.shipments] == [
        (s.carrier, s.service, s.cost) for s in table.plan.shipments
    ]
    assert any("from the table (broken: failed" in e for e in placed.plan.explanation)


async def test_an_expired_rate_is_asked_again(
    loaded: FalkorStore, servers: dict[str, FakeEasyPost]
) -> None:
    now = [0.0]
    rates = RateShopper(
        {"fast": EasyPost(servers["fast"].api_key, base_url=servers["fast"].url, name="fast")},
        deadline_s=DEADLINE_S,
        ttl_s=60.0,
        clock=lambda: now[0],
    )
    await place_order(loaded, order("E-1"), rates=rates)
    first = len(servers["fast"].requests)  # one per origin of the plans re-priced
    await place_order(loaded, order("E-1b"), rates=rates)
    assert len(servers["fast"].requests) == first  # within the TTL: cached
    now[0] = 61.0
    placed = await place_order(loaded, order("E-2"), rates=rates)
    assert placed.plan is not None
    assert any("4.10 live (fast)" in e for e in placed.plan.explanation)
    assert first >= 1 and len(servers["fast"].requests) == 2 * first


def test_without_accounts_routing_is_the_lane_tables() -> None:
    assert shopper_for(Settings()) is None
    assert (weight_band(0.4), weight_band(0.5), weight_band(0.51)) == (1, 1, 2)


async def test_live_prices_re_choose_among_the_lane_tables_best_plans(loaded: FalkorStore) -> None:
    table = await place_order(loaded, order("C-1"))
    assert table.plan is not None
    [first] = table.plan.shipments
    dear = ("UPS", "Ground", "40.00", 2)
    cheap = ("USPS", "Priority", "0.50", 2)
    zips = {"DC-RENO": "89502", "STORE-SF": "94103", "STORE-OAKLAND": "94612"}
    with easypost_server(services=(cheap,), by_origin={zips[first.location_id]: (dear,)}) as fake:
        rates = RateShopper(
            {"ep": EasyPost(fake.api_key, base_url=fake.url, name="ep")}, deadline_s=DEADLINE_S
        )
        placed = await place_order(loaded, order("C-2"), rates=rates)
    assert placed.plan is not None
    [chosen] = placed.plan.shipments
    # the table's best location is dear live: another of the table's best plans wins
    assert chosen.location_id != first.location_id
    assert (chosen.carrier, chosen.service) == ("USPS", "Priority")
    assert any("plan 2 chosen" in e for e in placed.plan.explanation)


async def test_channel_ingestion_prices_live_like_order_create(
    loaded: FalkorStore, servers: dict[str, FakeEasyPost]
) -> None:
    """A channel's order goes through the same place_order path, with the process's rates."""
    from ordergraph.services import network
    from ordergraph.services.ingestion import IngestConfig, Payload, ingest
    from tests.api.test_ingest_http import body_of, shopify_order

    await network.load_network(loaded, {"channels": [{"id": "shopify"}]})
    settings = Settings.from_env(
        {
            "ORDERGRAPH_CARRIER_FAST_API_KEY": servers["fast"].api_key,
            "ORDERGRAPH_CARRIER_FAST_URL": servers["fast"].url,
            "ORDERGRAPH_CARRIER_FAST_KIND": "easypost",
        }
    )
    config = IngestConfig.from_settings(settings)
    assert config.rates is shopper_for(settings) is not None
    payload = Payload("shopify", body_of(shopify_order()), {"x-shopify-topic": "orders/create"})
    outcome = await ingest(loaded, payload, config=config)
    assert outcome.status == "placed" and outcome.order_id is not None
    [stored] = await orders_by_id(loaded, [outcome.order_id])
    assert stored is not None and stored.routing is not None
    assert any(
        "live (fast)" in line for line in RoutingPlan.from_record(stored.routing).explanation
    )
