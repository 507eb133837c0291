"""A hostile sequence through MCP and GraphQL on preorders (review 2026-12-04, docs/security.md):
cancels replayed and repeated under new keys, receipts between them; after each step stock
reserved == the open fulfillment lines, and each inbound line's preordered == the units of its
PREORDER fulfillments not yet arrived."""

from __future__ import annotations

from ordergraph.graph.falkordb import FalkorStore
from tests.api.test_preorders_api import network_doc  # noqa: F401  (BOOT-42, PO-7)
from tests.integration.test_concurrency import invariants
from tests.mcp.conftest import Ask
from tests.mcp.test_orders import PROOF, SHIP_TO

CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id fulfillments { status } } userErrors { message } } }"""
RECEIVE = """mutation($input: InboundReceiveInput!) { inboundReceive(input: $input) {
  userErrors { code message } } }"""


async def preorder_invariant(store: FalkorStore) -> None:
    rows = await store.read("""
        MATCH (i:Inbound)
        OPTIONAL MATCH (f:Fulfillment {status: 'PREORDER', inboundId: i.id})-[sh:SHIPS]->()
        RETURN i.id AS id, i.preordered AS preordered,
               toInteger(coalesce(sum(sh.quantity), 0)) AS units,
               collect(DISTINCT [f.id, coalesce(f.arrived, 0)]) AS fs""")
    for row in rows:
        arrived = sum(int(f[1]) for f in row["fs"] if f[0] is not None)
        assert row["preordered"] == row["units"] - arrived, row


async def consistent(ask: Ask) -> None:
    await invariants(ask.store)
    await preorder_invariant(ask.store)


async def test_cancels_replays_and_receipts_keep_stock_and_inbound_consistent(ask: Ask) -> None:
    data = await ask.gql(
        "storefront",
        CREATE,
        input={"channel": "web", "lines": [{"sku": "BOOT-42", "quantity": 9}], "shipTo": SHIP_TO},
    )
    order = data["orderCreate"]["order"]
    assert "PREORDER" in {f["status"] for f in order["fulfillments"]}, data
    await consistent(ask)
    cancel = {
        "order_id": order["id"],
        "lines": [{"sku": "BOOT-42", "quantity": 3}],
        "verification": PROOF,
        "idempotency_key": "hostile-0001",
    }
    first = await ask.ok("storefront", "cancel_order_lines", **cancel)
    await consistent(ask)
    again = await ask.ok("storefront", "cancel_order_lines", **cancel)
    assert again["replayed"] and again["events"] == first["events"]
    other = await ask.refused(
        "storefront",
        "cancel_order_lines",
        **{**cancel, "lines": [{"sku": "BOOT-42", "quantity": 4}]},
    )
    assert other["code"] == "CONFLICT"
    await consistent(ask)
    got = await ask.gql("integration", RECEIVE, input={"id": "PO-7", "quantity": 2})
    assert got["inboundReceive"]["userErrors"] == []
    await consistent(ask)
    await ask.ok("storefront", "cancel_order_lines", **{**cancel, "idempotency_key": "hostile-2"})
    await consistent(ask)
    # more than is left to cancel: refused, nothing changes
    too_many = await ask.refused(
        "storefront",
        "cancel_order_lines",
        **{**cancel, "lines": [{"sku": "BOOT-42", "quantity": 9}], "idempotency_key": "hostile-3"},
    )
    assert too_many["code"] in ("INVALID_TRANSITION", "INVALID_INPUT")
    await consistent(ask)
    got = await ask.gql("integration", RECEIVE, input={"id": "PO-7", "quantity": 8})
    assert got["inboundReceive"]["userErrors"] == []
    await consistent(ask)
    rest = await ask.ok(
        "storefront",
        "cancel_order_lines",
        **{**cancel, "lines": None, "idempotency_key": "hostile-4"},
    )
    assert rest["status"] == "CANCELLED"
    await consistent(ask)
