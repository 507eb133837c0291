"""The live-server fixture itself: a real process, auth on, each role's key doing its job."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.slow

AVAILABILITY = """{ availability(skus: ["SKU-1"], near: {postalCode: "94107"}) {
  sku available locations { location { id } available } } }"""


def test_a_request_without_a_key_is_refused(live: Any) -> None:
    response = live.gql(None, AVAILABILITY)
    assert response.status_code in (401, 200)
    body = response.json()
    assert "data" not in body or body.get("data") is None
    assert "errors" in body


def test_a_storefront_key_reads_availability(live: Any) -> None:
    response = live.gql("storefront", AVAILABILITY)
    assert response.status_code == 200, response.text
    rows = response.json()["data"]["availability"]
    assert rows[0]["sku"] == "SKU-1" and rows[0]["available"] > 0


def test_a_partner_key_cannot_place_orders(live: Any) -> None:
    response = live.gql(
        "partner",
        """mutation { orderCreate(input: {channel: "web", externalId: "x-1",
        shipTo: {name: "A", line1: "1 Main", city: "SF", postalCode: "94107", country: "US"},
        lines: [{sku: "SKU-1", quantity: 1}]}) { order { id } userErrors { code } } }""",
    )
    body = response.json()
    assert body.get("errors"), body
