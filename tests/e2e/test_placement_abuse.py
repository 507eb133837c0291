"""Placing orders as an attacker with a storefront key, through real HTTP (issue #10: #3, #4).

- (#3) an ``externalId`` repeated with a different body is a ``CONFLICT`` that reveals nothing of
  the first order; a byte-identical repeat is idempotent and answers the same order;
- (#4) a storefront key cannot set ``placedAt`` (the server's clock is used); trusted keys
  (integration, admin) can; the units of one order are capped.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from ordergraph.domain.orders import MAX_ORDER_UNITS

pytestmark = pytest.mark.slow

_numbers = itertools.count()

CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id placedAt shipTo { name line1 } lines { sku quantity } }
  userErrors { code field message } } }"""


def order_input(**overrides: Any) -> dict[str, Any]:
    return {
        "channel": "web",
        "externalId": f"abuse-{next(_numbers)}",
        "shipTo": {
            "name": "Victim Person",
            "line1": "9 Hidden Way",
            "city": "San Francisco",
            "postalCode": "94107",
            "country": "US",
        },
        "lines": [{"sku": "SKU-1", "quantity": 1}],
        **overrides,
    }


def create(live: Any, role: str, order: dict[str, Any]) -> tuple[dict[str, Any], str]:
    response = live.gql(role, CREATE, input=order)
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]["orderCreate"], response.text


def test_an_external_id_reused_with_another_body_is_a_conflict_that_reveals_nothing(
    live: Any,
) -> None:
    first = order_input()
    answer, _ = create(live, "storefront", first)
    assert answer["userErrors"] == [] and answer["order"]["shipTo"]["name"] == "Victim Person"
    attacker = {**first, "shipTo": {**first["shipTo"], "name": "Attacker", "line1": "1 Evil St"}}
    answer, text = create(live, "storefront", attacker)
    assert answer["order"] is None
    assert [e["code"] for e in answer["userErrors"]] == ["CONFLICT"]
    assert answer["userErrors"][0]["field"] == ["input", "externalId"]
    for secret in ("Victim Person", "9 Hidden Way", "OG-"):
        assert secret not in text
    # other lines, another quantity: the same answer
    for changed in (
        {**first, "lines": [{"sku": "SKU-2", "quantity": 1}]},
        {**first, "lines": [{"sku": "SKU-1", "quantity": 2}]},
    ):
        answer, text = create(live, "storefront", changed)
        assert [e["code"] for e in answer["userErrors"]] == ["CONFLICT"] and "Victim" not in text


def test_a_byte_identical_repeat_is_idempotent(live: Any) -> None:
    body = order_input()
    first, _ = create(live, "storefront", body)
    again, _ = create(live, "storefront", body)
    assert first["userErrors"] == [] and again["userErrors"] == []
    assert again["order"]["id"] == first["order"]["id"]
    # the same order written differently (normalised the same way) is the same body
    spaced = {**body, "shipTo": {**body["shipTo"], "country": "us", "postalCode": "94107"}}
    third, _ = create(live, "storefront", spaced)
    assert third["userErrors"] == [] and third["order"]["id"] == first["order"]["id"]
    count = live.gql(
        "admin",
        """query($x: String!) { orderByExternalId(channel: "web",
      externalId: $x) { id } }""",
        x=body["externalId"],
    ).json()
    assert count["data"]["orderByExternalId"]["id"] == first["order"]["id"]


def test_a_storefront_cannot_backdate_an_order(live: Any) -> None:
    order = order_input(placedAt="1970-01-01T00:00:00Z")
    answer, _ = create(live, "storefront", order)
    assert answer["order"] is None
    assert answer["userErrors"][0]["code"] == "FORBIDDEN"
    assert answer["userErrors"][0]["field"] == ["input", "placedAt"]
    found = live.gql(
        "admin",
        """query($x: String!) { orderByExternalId(channel: "web",
      externalId: $x) { id } }""",
        x=order["externalId"],
    ).json()
    assert found["data"]["orderByExternalId"] is None  # nothing was placed
    # without placedAt the server's clock is used
    answer, _ = create(live, "storefront", order_input())
    assert answer["userErrors"] == [] and answer["order"]["placedAt"] >= "2025"


def test_a_storefront_cannot_preview_in_the_past(live: Any) -> None:
    body = live.gql(
        "storefront",
        """{ routingPreview(input: {channel: "web", placedAt: "1970-01-01T00:00:00Z",
             lines: [{sku: "SKU-1", quantity: 1}], shipTo: {postalCode: "94107", country: "US"}})
             { feasible } }""",
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_an_integration_key_may_backdate(live: Any) -> None:
    answer, _ = create(live, "integration", order_input(placedAt="2026-01-02T03:04:05Z"))
    assert answer["userErrors"] == [], answer
    assert answer["order"]["placedAt"].startswith("2026-01-02T03:04:05")


def test_the_units_of_one_order_are_capped(live: Any) -> None:
    per_line = 10_000
    lines = [{"sku": "SKU-1", "quantity": per_line}] * (MAX_ORDER_UNITS // per_line + 1)
    for role in ("storefront", "integration"):
        answer, _ = create(live, role, order_input(lines=lines))
        assert answer["order"] is None
        assert answer["userErrors"][0]["code"] == "INVALID_INPUT"
        assert answer["userErrors"][0]["field"] == ["input", "lines"]
        assert str(MAX_ORDER_UNITS) in answer["userErrors"][0]["message"].replace(",", "")


def test_racing_creates_with_one_external_id_and_two_bodies_make_one_order(live: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    base = order_input()
    bodies = [{**base, "shipTo": {**base["shipTo"], "name": f"Racer {i % 2}"}} for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda b: create(live, "storefront", b)[0], bodies))
    placed = {a["order"]["id"] for a in answers if a["order"] is not None}
    assert len(placed) == 1  # one order, whichever body won
    # The racer that created it is echoed its shipTo; the repeats of its body get the order
    # back without it (created=False), and any of them may come first in ``answers``.
    created = [a["order"] for a in answers if a["order"] and a["order"]["shipTo"] is not None]
    assert len(created) == 1
    winner = created[0]["shipTo"]["name"]
    for body, answer in zip(bodies, answers, strict=True):
        if body["shipTo"]["name"] == winner:
            assert answer["userErrors"] == [] and answer["order"]["id"] in placed
        else:
            assert [e["code"] for e in answer["userErrors"]] == ["CONFLICT"]
            assert answer["order"] is None


def test_an_update_cannot_raise_an_order_over_the_unit_cap(live: Any) -> None:
    """The cap holds for orderUpdate too (integration may update), and nothing changes."""
    two = [{"sku": "SKU-1", "quantity": 1}, {"sku": "SKU-2", "quantity": 1}]
    answer, _ = create(live, "integration", order_input(externalId="cap-update-1", lines=two))
    order = answer["order"]
    update = """mutation($input: OrderUpdateInput!) { orderUpdate(input: $input) {
      order { id lines { sku quantity } } userErrors { code field message } } }"""
    lines = [{"sku": "SKU-1", "quantity": 10_000}]  # 10,001 units with SKU-2's one
    body = live.gql("integration", update, input={"orderId": order["id"], "lines": lines}).json()
    errors = body["data"]["orderUpdate"]["userErrors"]
    assert errors and errors[0]["code"] == "INVALID_INPUT", body
    assert str(MAX_ORDER_UNITS) in errors[0]["message"].replace(",", "")
    read = live.gql(
        "admin", "query($id: ID!) { order(id: $id) { lines { sku quantity } } }", id=order["id"]
    ).json()
    assert read["data"]["order"]["lines"] == [
        {"sku": line["sku"], "quantity": line["quantity"]} for line in order["lines"]
    ]
