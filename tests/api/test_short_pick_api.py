"""fulfillmentShortPick over GraphQL (issue #16): only the short units leave the location and
are re-routed; the rest of the fulfillment stays; bad input and stale pages are userErrors."""

from __future__ import annotations

from typing import Any

from tests.api.test_lifecycle_api import ERR, ORDER, F, engine_store, mutate, place
from tests.api.test_orders_api import stock
from tests.conftest import GraphQLClient
from tests.integration.test_concurrency import invariants

__all__ = ["engine_store"]  # the fixture of the lifecycle tests


async def test_a_short_pick_reroutes_only_the_short_unit(
    gql: GraphQLClient, engine_store: Any
) -> None:
    order = await place(gql, lines=[{"sku": "SKU-1", "quantity": 3}])
    first = order["fulfillments"][0]
    assert first["location"]["id"] == "DC-RENO"
    held = (await stock(gql, "SKU-1"))["DC-RENO"]
    payload = await mutate(
        gql,
        "fulfillmentShortPick",
        {"fulfillmentId": first["id"], "sku": "SKU-1", "found": 2, "reason": "DAMAGED"},
        f"{ORDER} {F} {ERR}",
    )
    assert payload["userErrors"] == []
    assert payload["fulfillment"]["status"] == "OPEN"  # it keeps the units it found
    by_location = {
        f["location"]["id"]: f["lines"]
        for f in payload["order"]["fulfillments"]
        if f["status"] == "OPEN"
    }
    assert by_location.pop("DC-RENO") == [{"sku": "SKU-1", "quantity": 2}]
    assert list(by_location.values()) == [[{"sku": "SKU-1", "quantity": 1}]]
    kinds = [e["type"] for e in payload["order"]["events"]]
    assert kinds == ["OrderCreated", "FulfillmentShortPicked", "OrderRerouted"]
    after = (await stock(gql, "SKU-1"))["DC-RENO"]
    assert (after["onHand"], after["reserved"]) == (held["onHand"] - 1, held["reserved"] - 1)
    await invariants(engine_store)


async def test_short_pick_mistakes_are_user_errors_and_change_nothing(
    gql: GraphQLClient, engine_store: Any
) -> None:
    order = await place(gql, lines=[{"sku": "SKU-1", "quantity": 2}])
    fid = order["fulfillments"][0]["id"]
    for given, code in (
        ({"found": 2}, "INVALID_INPUT"),  # all found: confirm, not short
        ({"found": -1}, "INVALID_INPUT"),
        ({"found": 1, "expected": 3}, "CONFLICT"),  # the page was stale
        ({"found": 1, "sku": "SKU-2"}, "INVALID_INPUT"),  # not on this fulfillment
    ):
        payload = await mutate(
            gql, "fulfillmentShortPick", {"fulfillmentId": fid, "sku": "SKU-1", **given}, ERR
        )
        assert [e["code"] for e in payload["userErrors"]] == [code], (given, payload)
    missing = await mutate(
        gql, "fulfillmentShortPick", {"fulfillmentId": "nope", "sku": "SKU-1", "found": 0}, ERR
    )
    assert missing["userErrors"][0]["code"] == "NOT_FOUND"
    await invariants(engine_store)
