"""Each worker's caches (issue #13): whole availability answers kept at the stock versions of
their SKUs, and the static network kept at the network version. With ``ordergraph serve
--workers 2`` (a real server, requests landing on both workers: ``X-OrderGraph-Worker`` tells
which), every stock change (inventorySet, inventoryAdjust, an order's reservation, a cancel)
and every network change (a location, a region, a channel) is what the very next availability
request reads in every worker, while unchanged answers are served from the cache (its hits
are counted in /metrics, summed over the workers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import FIXTURES
from tests.e2e.test_serve import Server
from tests.e2e.test_workers import metric, post, two_workers, worker_of

pytestmark = pytest.mark.slow

AVAILABILITY = """query($s: [ID!]!, $c: ID) {
  availability(skus: $s, channel: $c, near: {postalCode: "94107", country: "US"}) {
    sku available locations { location { id name } onHand reserved available distanceKm } } }"""
SET = """mutation($n: Int!) { inventorySet(input: {location: "STORE-SF", sku: "SKU-1", onHand: $n})
  { userErrors { code } } }"""
ADJUST = """mutation($d: Int!) {
  inventoryAdjust(input: {location: "STORE-SF", sku: "SKU-1", delta: $d}) {
    userErrors { code } } }"""
CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id } userErrors { code message } } }"""
CANCEL = """mutation($id: ID!) { orderCancel(input: {orderId: $id}) {
  order { status } userErrors { code } } }"""
LOCATION = """mutation($input: LocationInput!) { locationUpsert(input: $input) {
  userErrors { code message } } }"""
REGION = """mutation($input: RegionInput!) { regionUpsert(input: $input) {
  userErrors { code message } } }"""
CHANNEL = """mutation($input: ChannelInput!) { channelUpsert(input: $input) {
  userErrors { code message } } }"""

Answer = dict[str, Any]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("caches")
    yield from two_workers(root, FIXTURES / "network_small.json")


def hits(server: Server) -> float:
    return metric(server, 'ordergraph_availability_answers_total{cache="hit"}')


def everywhere(server: Server, check: Callable[[Answer], None], channel: str | None = None) -> None:
    """Availability of SKU-1 until each worker answered it at least twice (so that a worker's
    second answer is one it kept, if nothing moved); ``check`` holds for every answer,
    the first after a change included."""
    answered: dict[int, int] = {}
    sent = 0
    while (len(answered) < 2 or min(answered.values()) < 2) and sent < 400:
        response = post(server, AVAILABILITY, s=["SKU-1"], c=channel)
        [sku] = response.json()["data"]["availability"]
        check(sku)
        worker = worker_of(response)
        answered[worker] = answered.get(worker, 0) + 1
        sent += 1
    assert len(answered) == 2 and min(answered.values()) >= 2, answered


def at(answer: Answer, location: str) -> Answer | None:
    found = [row for row in answer["locations"] if row["location"]["id"] == location]
    return found[0] if found else None


def sf_on_hand(n: int) -> Callable[[Answer], None]:
    def check(answer: Answer) -> None:
        row = at(answer, "STORE-SF")
        assert row is not None and row["onHand"] == n, row

    return check


def ok(response: httpx.Response, field: str) -> Answer:
    payload: Answer = response.json()["data"][field]
    assert not payload.get("userErrors"), payload
    return payload


def test_kept_answers_are_served_until_the_stock_moves_then_the_next_read_has_it(
    server: Server,
) -> None:
    before = hits(server)
    everywhere(server, lambda answer: None)
    assert hits(server) >= before + 2  # each worker's second answer was a kept one

    for n in (11, 12, 13):
        ok(post(server, SET, n=n), "inventorySet")
        everywhere(server, sf_on_hand(n))
    ok(post(server, ADJUST, d=-2), "inventoryAdjust")
    everywhere(server, sf_on_hand(11))

    total = post(server, AVAILABILITY, s=["SKU-1"]).json()["data"]["availability"][0]
    order = {
        "channel": "web",
        "externalId": "caches-1",
        "lines": [{"sku": "SKU-1", "quantity": 2}],
        "shipTo": {"postalCode": "94107", "country": "US"},
        "placedAt": "2026-11-23T17:00:00Z",
    }
    placed = ok(post(server, CREATE, input=order), "orderCreate")

    def reserved(delta: int) -> Callable[[Answer], None]:
        def check(answer: Answer) -> None:
            assert answer["available"] == total["available"] - delta
            assert (
                sum(r["reserved"] for r in answer["locations"])
                == sum(r["reserved"] for r in total["locations"]) + delta
            )

        return check

    everywhere(server, reserved(2))
    ok(post(server, CANCEL, id=placed["order"]["id"]), "orderCancel")
    everywhere(server, reserved(0))


def test_a_network_change_is_read_next_in_every_worker(server: Server) -> None:
    everywhere(server, lambda answer: None)
    ok(post(server, LOCATION, input={"id": "STORE-SF", "name": "SF, renamed"}), "locationUpsert")

    def renamed(answer: Answer) -> None:
        row = at(answer, "STORE-SF")
        assert row is not None and row["location"]["name"] == "SF, renamed"

    everywhere(server, renamed)
    ok(post(server, LOCATION, input={"id": "STORE-SF", "active": False}), "locationUpsert")
    everywhere(server, lambda answer: assert_absent(answer, "STORE-SF"))
    ok(post(server, LOCATION, input={"id": "STORE-SF", "active": True}), "locationUpsert")
    everywhere(server, renamed)

    # the ZIP's region moves to New York: distances are measured from there
    region = {"id": "US-941", "country": "US", "postalPrefix": "941", "lat": 40.71, "lon": -74.0}
    ok(post(server, REGION, input=region), "regionUpsert")

    def nearest_is_newark(answer: Answer) -> None:
        assert answer["locations"][0]["location"]["id"] == "DC-NEWARK", answer["locations"][0]

    everywhere(server, nearest_is_newark)

    def web_at_sf(expected: Callable[[int], bool]) -> Callable[[Answer], None]:
        def check(answer: Answer) -> None:
            row = at(answer, "STORE-SF")
            assert row is not None and expected(row["available"]), row

        return check

    everywhere(server, web_at_sf(lambda n: n > 0), channel="web")
    web = {"id": "web", "sourcing": {"excludeTags": [], "locations": ["DC-RENO"]}}
    ok(post(server, CHANNEL, input=web), "channelUpsert")
    everywhere(server, web_at_sf(lambda n: n == 0), channel="web")


def assert_absent(answer: Answer, location: str) -> None:
    assert at(answer, location) is None, answer
