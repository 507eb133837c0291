"""The look-ahead objective term (issue #18) on the real engine through orderCreate: region B
orders recently, DC-B (B's home) holds its last unit; an order from region A, which DC-B also
serves cheapest, takes DC-A under a lookAhead policy and the last unit under CHEAPEST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ordergraph.services import lookahead
from tests.api.test_routing_policies_api import ORDER, PREVIEW, create, live
from tests.api.test_simulation_api import RUN, finished
from tests.conftest import GraphQLClient
from tests.integration.test_allocation import _lane, _location


@pytest.fixture
def network_doc() -> dict[str, Any]:
    # 1 kg to A (US-941): DC-B 5, DC-A 6; to B (US-946): DC-B 5, DC-A 20
    return {
        "regions": [
            {"id": "US-941", "country": "US", "postalPrefix": "941", "lat": 37.77, "lon": -122.4},
            {"id": "US-946", "country": "US", "postalPrefix": "946", "lat": 37.8, "lon": -122.27},
        ],
        "locations": [_location(lid, 39.5, -119.8, "89502") for lid in ("DC-A", "DC-B")],
        "skus": [{"id": "SKU-X", "name": "X", "weightKg": 1.0, "tags": []}],
        "stock": [
            {"location": "DC-A", "sku": "SKU-X", "onHand": 50, "safetyStock": 0},
            {"location": "DC-B", "sku": "SKU-X", "onHand": 4, "safetyStock": 0},
        ],
        "lanes": [
            _lane("DC-B", "US-941", 4.0),
            _lane("DC-A", "US-941", 5.0),
            _lane("DC-B", "US-946", 4.0),
            _lane("DC-A", "US-946", 19.0),
        ],
        "channels": [{"id": "web", "name": "Web store", "kind": "WEB"}],
    }


def _body(postal: str, at: datetime) -> dict[str, Any]:
    return {
        "channel": "web",
        "lines": [{"sku": "SKU-X", "quantity": 1}],
        "shipTo": {"postalCode": postal, "country": "US"},
        "placedAt": at.isoformat().replace("+00:00", "Z"),
    }


async def _order(gql: GraphQLClient, postal: str, at: datetime) -> dict[str, Any]:
    payload = (await gql(ORDER, input=_body(postal, at)))["orderCreate"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return dict(payload["order"])


def _from(order: dict[str, Any]) -> list[str]:
    return sorted(f["location"]["id"] for f in order["fulfillments"])


async def test_look_ahead_keeps_the_last_unit_for_the_region_that_will_want_it(
    gql: GraphQLClient,
) -> None:
    lookahead._CACHE.clear()  # another test's graph may have had this store's id
    now = datetime.now(UTC).replace(microsecond=0)
    for hours in (3, 2, 1):  # region B's recent demand takes DC-B down to its last unit
        assert _from(await _order(gql, "94601", now - timedelta(hours=hours))) == ["DC-B"]
    await live(gql, {"id": "AHEAD", "channels": ["web"], "objective": {"lookAhead": 1}})
    preview = (await gql(PREVIEW, input=_body("94107", now)))["routingPreview"]
    assert [s["location"]["id"] for s in preview["shipments"]] == ["DC-A"]  # the same decide
    ahead = await _order(gql, "94107", now)
    assert ahead["routing"]["explanation"] == preview["explanation"]
    assert _from(ahead) == ["DC-A"]
    assert ahead["routingPolicyId"] == "AHEAD"
    [note] = [e for e in ahead["routing"]["explanation"] if e.startswith("Look-ahead")]
    assert "kept the last 1 of SKU-X at DC-B for region US-946" in note, note
    # 24 h x 3 orders / 24 h = 3 expected; P(N >= 1) = 0.950; penalty (1 + 15) / 2
    assert "(surcharge 7.60 per unit)" in note, note
    # the same order under CHEAPEST takes the last unit (the saving of 1.00 now)
    await live(gql, {"id": "PLAIN", "channels": ["web"]})
    plain = await _order(gql, "94107", now + timedelta(seconds=1))
    assert _from(plain) == ["DC-B"]
    assert not any(e.startswith("Look-ahead") for e in plain["routing"]["explanation"])


async def test_the_sandbox_routes_with_the_same_look_ahead(gql: GraphQLClient) -> None:
    lookahead._CACHE.clear()
    now = datetime.now(UTC).replace(microsecond=0)
    for hours in (3, 2, 1):
        await _order(gql, "94601", now - timedelta(hours=hours))
    await create(gql, {"id": "AHEAD", "objective": {"lookAhead": 1}})  # a draft is enough
    started = await gql(
        RUN,
        i={
            "policy": "AHEAD",
            "version": 1,
            "baseline": "CHEAPEST",
            "orders": {"list": [_body("94107", now)]},
        },
    )
    assert started["routingSimulationRun"]["userErrors"] == [], started
    done = await finished(gql, started["routingSimulationRun"]["simulation"]["id"])
    report = done["report"]
    assert report["orders"] == 1 and report["changed"] == 1, done
    [changed] = report["changedOrders"]
    assert [s["location"]["id"] for s in changed["plan"]["shipments"]] == ["DC-A"]
    assert [s["location"]["id"] for s in changed["baselinePlan"]["shipments"]] == ["DC-B"]
