"""Findings of the review of channel ATP and MCP (docs/security.md, "Review of channel ATP and
MCP (2026-12-04)"): each a regression test over GraphQL and the feeds, on the real engine."""

from __future__ import annotations

import json
from typing import Any

from tests.api.test_access_api import world  # noqa: F401  (the fixture)
from tests.conftest import GraphQLClient

UPSERT = (
    "mutation($i: InboundUpsertInput!) { inboundUpsert(input: $i) "
    "{ inbound { id } userErrors { code message } } }"
)
RECEIVE = (
    "mutation($i: InboundReceiveInput!) { inboundReceive(input: $i) "
    "{ inbound { id } userErrors { code message } } }"
)
RENO_LINE = {"id": "PO-77", "location": "DC-RENO", "sku": "SKU-1", "quantity": 9,
             "expectedAt": "2026-12-15"}  # fmt: skip


async def test_another_locations_inbound_line_is_not_described_to_a_partner(
    world: dict[str, Any],  # noqa: F811
) -> None:
    erp, newark = world["callers"]["erp"], world["callers"]["newark"]
    _, body = await erp.raw(UPSERT, i=RENO_LINE)
    assert body["data"]["inboundUpsert"]["userErrors"] == []
    # receiving it answers as a line that does not exist
    _, mine = await newark.raw(RECEIVE, i={"id": "PO-77", "quantity": 1})
    _, ghost = await newark.raw(RECEIVE, i={"id": "PO-NONE", "quantity": 1})
    (error,) = mine["data"]["inboundReceive"]["userErrors"]
    (missing,) = ghost["data"]["inboundReceive"]["userErrors"]
    assert error["code"] == missing["code"] == "NOT_FOUND"
    assert error["message"] == missing["message"].replace("PO-NONE", "PO-77")
    # changing it, or taking its id for a line of its own: refused without its location or SKU
    for asked in (
        {"id": "PO-77", "expectedAt": "2027-02-01"},
        {**RENO_LINE, "location": "DC-NEWARK", "sku": "SKU-2"},
    ):
        _, body = await newark.raw(UPSERT, i=asked)
        (error,) = body["data"]["inboundUpsert"]["userErrors"]
        assert error["code"] == "CONFLICT"
        assert "DC-RENO" not in error["message"] and "SKU-1" not in error["message"]
    # the inbound feed says no more: the same id at its own location
    feed = [{**RENO_LINE, "location": "DC-NEWARK", "sku": "SKU-2", "quantity": 1}]
    key = newark.key
    answer = await world["http"].post(
        "/feeds/inbound",
        content=json.dumps(feed),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert "DC-RENO" not in answer.text and "SKU-1" not in answer.text
    # and at the line's own location: refused for the location, nothing of the line said
    erp_feed = [{**RENO_LINE, "quantity": 1}]
    _, body = await erp.raw(RECEIVE, i={"id": "PO-77", "quantity": 3})
    answer = await world["http"].post(
        "/feeds/inbound",
        content=json.dumps(erp_feed),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 403 and "received" not in answer.text


async def test_a_protection_until_a_day_already_past_is_refused(gql: GraphQLClient) -> None:
    """stockProtectionSet with an ``until`` in the past answered with no userError and a
    protection that holds nothing: the integrator believed 40 units were held for b2b."""
    protect = """mutation($until: Date) { stockProtectionSet(input: {location: "DC-RENO",
      sku: "SKU-1", channel: "b2b", quantity: 40, until: $until}) {
      stock { protections { channel remaining } } userErrors { field code message } } }"""
    past = (await gql(protect, until="2020-01-31"))["stockProtectionSet"]
    assert past["stock"] is None
    assert [(e["field"], e["code"]) for e in past["userErrors"]] == [
        (["input", "until"], "INVALID_INPUT")
    ]
    later = (await gql(protect, until="2099-01-31"))["stockProtectionSet"]
    assert later["userErrors"] == [] and later["stock"]["protections"] == [
        {"channel": "b2b", "remaining": 40}
    ]
    end = """mutation { stockProtectionSet(input: {location: "DC-RENO", sku: "SKU-1",
      channel: "b2b", quantity: 0, until: "2020-01-31"}) { userErrors { message } } }"""
    assert (await gql(end))["stockProtectionSet"]["userErrors"] == []  # ending is always fine
