"""Live carrier rates in the questions asked before checkout (#17): routingPreview and
deliveryOptions price as orderCreate does (the same re-pricing, deadline and rate cache), against
local EasyPost servers: one that answers, one that never answers in time, one that errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from ordergraph.graph.falkordb import FalkorStore
from tests.bounds import CARRIER_SLACK_S
from tests.carrier_server import FakeEasyPost, carrier_client, easypost_server
from tests.conftest import GraphQLClient

DEADLINE_S = 0.3
BASKET = """lines: [{sku: "SKU-1", quantity: 2}], placedAt: "2026-03-02T15:00:00Z",
  shipTo: {postalCode: "94105", country: "US", name: "A. Shopper"}"""
PLAN = "totalCost promisedBy explanation shipments { location { id } carrier service cost }"
PREVIEW = f"""{{ routingPreview(input: {{channel: "web", {BASKET}}}) {{ {PLAN} }} }}"""
OPTIONS = f"""{{ deliveryOptions(input: {{channel: "web", {BASKET}}}) {{
  kind serviceLevel cost deliveryBy explanation }} }}"""
CREATE = f"""mutation($ext: String!, $level: ServiceLevel!) {{ orderCreate(input: {{
  channel: "web", externalId: $ext, serviceLevel: $level, {BASKET}}}) {{
  order {{ shippingCost promisedBy routing {{ {PLAN} }} }} userErrors {{ code message }} }} }}"""


@pytest.fixture
def servers() -> Iterator[dict[str, FakeEasyPost]]:
    with ExitStack() as stack:
        yield {
            "easypost": stack.enter_context(easypost_server()),
            "slow": stack.enter_context(easypost_server(behaviour="slow", delay_s=5.0)),
            "broken": stack.enter_context(easypost_server(behaviour="error")),
        }


def accounts(servers: dict[str, FakeEasyPost], *names: str) -> dict[str, str]:
    """Settings for the named extra accounts (the easypost one is carrier_client's)."""
    env = {"ORDERGRAPH_CARRIER_DEADLINE_MS": str(int(DEADLINE_S * 1000))}
    for name in names:
        upper = name.upper()
        env[f"ORDERGRAPH_CARRIER_{upper}_API_KEY"] = servers[name].api_key
        env[f"ORDERGRAPH_CARRIER_{upper}_URL"] = servers[name].url
        env[f"ORDERGRAPH_CARRIER_{upper}_KIND"] = "easypost"
    return env


def ship(options: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["serviceLevel"]: o for o in options if o["kind"] == "SHIP"}


async def test_preview_and_options_show_live_prices_and_the_order_gets_them(
    loaded: FalkorStore, servers: dict[str, FakeEasyPost], gql: GraphQLClient
) -> None:
    table = (await gql(PREVIEW))["routingPreview"]
    table_options = ship((await gql(OPTIONS))["deliveryOptions"])
    assert not any("carrier rates" in line for line in table["explanation"])
    async with carrier_client(loaded, servers["easypost"], **accounts(servers)) as http:
        live = GraphQLClient(http)
        preview = (await live(PREVIEW))["routingPreview"]
        assert any("live (easypost)" in line for line in preview["explanation"])
        [shipment] = preview["shipments"]
        # USPS Priority 4.10 in 2 days beats every lane of the table
        assert (shipment["carrier"], shipment["service"]) == ("USPS", "Priority")
        assert preview["totalCost"] < table["totalCost"]

        options = ship((await live(OPTIONS))["deliveryOptions"])
        standard = options["STANDARD"]
        assert standard["cost"] == preview["totalCost"]
        assert standard["cost"] < table_options["STANDARD"]["cost"]
        assert any("cached (easypost)" in line for line in standard["explanation"])
        # no live service is next-day: that option keeps the table's price and says so
        assert options["NEXT_DAY"]["cost"] == table_options["NEXT_DAY"]["cost"]
        assert any("from the table" in line for line in options["NEXT_DAY"]["explanation"])

        asked = len(servers["easypost"].requests)
        for level in ("STANDARD", "EXPRESS"):
            placed = (await live(CREATE, ext=f"Q-{level}", level=level))["orderCreate"]
            assert placed["userErrors"] == []
            order = placed["order"]
            # the price and date shown before checkout are the ones the order gets
            assert order["shippingCost"] == options[level]["cost"]
            assert order["promisedBy"] == options[level]["deliveryBy"]
            if level == "STANDARD":
                assert order["routing"]["shipments"] == preview["shipments"]
                assert order["routing"]["totalCost"] == preview["totalCost"]
        assert len(servers["easypost"].requests) == asked  # every price came from the cache


async def test_a_slow_and_a_broken_carrier_fall_back_within_the_deadline(
    loaded: FalkorStore, servers: dict[str, FakeEasyPost], gql: GraphQLClient
) -> None:
    table = (await gql(PREVIEW))["routingPreview"]
    table_options = ship((await gql(OPTIONS))["deliveryOptions"])
    env = accounts(servers, "broken")
    async with carrier_client(loaded, servers["slow"], **env) as http:
        live = GraphQLClient(http)
        started = time.perf_counter()
        preview = (await live(PREVIEW))["routingPreview"]
        assert time.perf_counter() - started < DEADLINE_S + CARRIER_SLACK_S
        assert preview["totalCost"] == table["totalCost"]
        assert preview["shipments"] == table["shipments"]
        text = "\n".join(preview["explanation"])
        assert "from the table" in text
        assert "easypost: no answer within 300 ms" in text
        # the broken carrier answers 500 at once; on a loaded machine its answer may still come
        # after the deadline, and either way its price is the table's
        assert "broken: failed (CarrierError" in text or "broken: no answer within" in text

        started = time.perf_counter()
        options = ship((await live(OPTIONS))["deliveryOptions"])
        # three service levels, one deadline: the slow carrier is waited for once
        assert time.perf_counter() - started < DEADLINE_S + CARRIER_SLACK_S
        assert {level: o["cost"] for level, o in options.items()} == {
            level: o["cost"] for level, o in table_options.items()
        }
        for option in options.values():
            assert any("no answer within 300 ms" in line for line in option["explanation"])
