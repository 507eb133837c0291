"""Ingestion use cases on the real engine: stock feeds keep reservations, deltas serve
backorders, reconciliation, failures listed newest first and replayed, receipts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from strawberry.tools import merge_types

from ordergraph.domain.access import Principal, Role
from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.resolvers import root
from ordergraph.resolvers.ingestion import IngestionMutation, IngestionQuery
from ordergraph.schema.build import build_schema
from ordergraph.schema.context import Context
from ordergraph.services import feeds, ingestion, network
from ordergraph.services.feeds import DeltaRow, FeedError, SnapshotRow
from ordergraph.services.ingestion import Payload
from ordergraph.services.orders import place_order
from ordergraph.settings import Settings
from tests.conftest import FIXTURES


def schema() -> Any:
    served = root.schema()
    if "ingestionFailures" in served.as_str():
        return served
    return build_schema(
        merge_types("Query", (root.Query, IngestionQuery)),
        merge_types("Mutation", (root.Mutation, IngestionMutation)),
    )


async def graphql(store: FalkorStore, document: str, **variables: Any) -> Any:
    context = Context.create(store, Settings())
    context.principal = Principal("t", Role.INTEGRATION)
    return await schema().execute(document, variable_values=variables, context_value=context)


async def position(store: FalkorStore, location: str, sku: str) -> dict[str, int]:
    rows = await store.read(
        "MATCH (:Location {id: $l})-[s:STOCKS]->(:Sku {id: $k}) "
        "RETURN s.onHand AS onHand, s.reserved AS reserved, "
        "s.safetyStock AS safetyStock",
        {"l": location, "k": sku},
    )
    return rows[0]  # type: ignore[no-any-return]


async def reserve_at_store_sf(store: FalkorStore, units: int) -> str:
    """An order picked up at STORE-SF: reserves SKU-1 there."""
    placed = await place_order(
        store, OrderRequest(channel="web", lines=(OrderLine("SKU-1", units),), pickup_at="STORE-SF")
    )
    assert (await position(store, "STORE-SF", "SKU-1"))["reserved"] == units
    return placed.order_id


async def test_a_snapshot_never_overwrites_reserved_and_reports_what_it_leaves_short(
    loaded: FalkorStore,
) -> None:
    await reserve_at_store_sf(loaded, 4)
    rows = [SnapshotRow(1, "STORE-SF", "SKU-1", 3), SnapshotRow(2, "DC-RENO", "SKU-1", 50, 1)]
    steps: list[tuple[str, int, int]] = []
    result = await feeds.apply_snapshot(
        loaded, rows, batch_size=1, progress=lambda *a: steps.append(a)
    )
    assert result.written == 2 and steps == [("stock", 1, 2), ("stock", 1, 2)]
    # the count is the truth: the one reserved unit it no longer backs is taken back from the
    # pickup (nothing else can serve a pickup at STORE-SF) and backordered (#10.13)
    assert await position(loaded, "STORE-SF", "SKU-1") == {
        "onHand": 3,
        "reserved": 3,
        "safetyStock": 0,
    }
    assert (result.rerouted, result.backordered) == (0, 1)
    assert [(s.location, s.shortfall, s.row) for s in result.short] == [("STORE-SF", 1, 1)]
    assert await position(loaded, "DC-RENO", "SKU-1") == {
        "onHand": 50,
        "reserved": 0,
        "safetyStock": 1,
    }


async def test_a_snapshot_naming_an_unknown_sku_changes_nothing(loaded: FalkorStore) -> None:
    rows = [SnapshotRow(1, "DC-RENO", "SKU-1", 1), SnapshotRow(2, "DC-RENO", "SKU-404", 1)]
    with pytest.raises(FeedError) as caught:
        await feeds.apply_snapshot(loaded, rows)
    assert [str(p) for p in caught.value.problems] == ["row 2, sku: unknown SKU 'SKU-404'"]
    assert (await position(loaded, "DC-RENO", "SKU-1"))["onHand"] == 40


async def test_stock_arriving_by_delta_goes_to_a_waiting_backorder_first(
    loaded: FalkorStore,
) -> None:
    placed = await place_order(
        loaded,
        OrderRequest(
            channel="web",
            lines=(OrderLine("SKU-4", 30),),
            ship_to=Address(postal_code="94107", country="US"),
        ),
    )
    status = await loaded.read(
        "MATCH (o:Order {id: $id}) RETURN o.status AS s", {"id": placed.order_id}
    )
    assert status[0]["s"] in ("PARTIALLY_ALLOCATED", "BACKORDERED")
    result = await feeds.apply_deltas(loaded, [DeltaRow(1, "DC-NEWARK", "SKU-4", 40, "PO")])
    assert result.backorders_served == [placed.order_id]
    status = await loaded.read(
        "MATCH (o:Order {id: $id}) RETURN o.status AS s", {"id": placed.order_id}
    )
    assert status == [{"s": "ALLOCATED"}]


RECONCILE = """query($rows: [InventorySnapshotRowInput!]!) {
  inventoryReconciliation(rows: $rows) {
    rows matching
    discrepancies { kind location sku feedOnHand omsOnHand difference row }
    shortfalls { location sku onHand reserved safetyStock shortfall row } } }"""


async def test_reconciliation_over_graphql_compares_without_writing(loaded: FalkorStore) -> None:
    await reserve_at_store_sf(loaded, 2)
    rows = [
        {"location": "STORE-SF", "sku": "SKU-1", "onHand": 1},
        {"location": "STORE-SF", "sku": "SKU-2", "onHand": 2},
        {"location": "STORE-SF", "sku": "SKU-3", "onHand": 4},
        {"location": "STORE-SF", "sku": "SKU-404", "onHand": 4},
    ]
    result = await graphql(loaded, RECONCILE, rows=rows)
    assert result.errors is None, result.errors
    report = result.data["inventoryReconciliation"]
    assert report["rows"] == 4 and report["matching"] == 1
    assert [(d["kind"], d["sku"], d["difference"]) for d in report["discrepancies"]] == [
        ("ON_HAND_DIFFERS", "SKU-1", -4),
        ("MISSING_IN_OMS", "SKU-3", 4),
        ("UNKNOWN_SKU", "SKU-404", 4),
        ("MISSING_IN_FEED", "SKU-4", -1),
    ]
    assert report["shortfalls"] == [
        {
            "location": "STORE-SF",
            "sku": "SKU-1",
            "onHand": 1,
            "reserved": 2,
            "safetyStock": 0,
            "shortfall": 1,
            "row": 1,
        }
    ]
    assert (await position(loaded, "STORE-SF", "SKU-1"))["onHand"] == 5  # nothing written

    too_many = await graphql(loaded, RECONCILE, rows=[rows[0]] * 1001)
    assert too_many.errors and "at most 1000 rows" in too_many.errors[0].message
    bad = await graphql(loaded, RECONCILE, rows=[rows[0], rows[0]])
    assert bad.errors and bad.errors[0].extensions["code"] == "INVALID_INPUT"
    assert "repeats the position of row 1" in bad.errors[0].message


FAILURES = """query($after: String) { ingestionFailures(first: 2, after: $after) {
  edges { cursor node { id externalId receivedAt } } pageInfo { hasNextPage endCursor } } }"""


async def test_failures_are_listed_newest_first_page_by_page(loaded: FalkorStore) -> None:
    start = datetime(2026, 1, 5, 12, tzinfo=UTC)
    for n in range(3):
        payload = Payload("amazon", json.dumps({"order": {"AmazonOrderId": f"A-{n}"}}).encode())
        outcome = await ingestion.ingest(loaded, payload, now=start + timedelta(minutes=n))
        assert outcome.status == "failed" and outcome.code == "INVALID_INPUT"
    first = (await graphql(loaded, FAILURES)).data["ingestionFailures"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["receivedAt"][11:16] for e in first["edges"]] == ["12:02", "12:01"]
    rest = (await graphql(loaded, FAILURES, after=first["pageInfo"]["endCursor"])).data
    assert [e["node"]["receivedAt"][11:16] for e in rest["ingestionFailures"]["edges"]] == ["12:00"]
    assert rest["ingestionFailures"]["pageInfo"]["hasNextPage"] is False
    bad = await graphql(loaded, FAILURES, after="not-a-cursor")
    assert bad.errors and bad.errors[0].extensions["code"] == "INVALID_INPUT"


async def test_an_order_cancelled_before_it_was_placed_is_receipted_not_placed(
    loaded: FalkorStore,
) -> None:
    doc = json.loads((FIXTURES / "channels" / "shopify_order_cancelled.json").read_text())
    await network.load_network(loaded, {"channels": [{"id": "shopify"}]})
    outcome = await ingestion.ingest(loaded, Payload("shopify", json.dumps(doc).encode()))
    assert outcome.status == "ignored"
    assert "cancelled before it was placed" in (outcome.reason or "")
    assert outcome.receipt_id is not None
    assert await loaded.read("MATCH (o:Order) RETURN o.id AS id") == []


async def test_a_body_that_is_not_utf8_is_kept_byte_for_byte_and_replays_the_same(
    loaded: FalkorStore,
) -> None:
    raw = b"\xff\xfe{\x00"
    first = await ingestion.ingest(loaded, Payload("shopify", raw, {"x-shopify-topic": "x"}))
    assert first.status == "ignored"  # a topic that carries no order: receipted, not failed
    failed = await ingestion.ingest(loaded, Payload("shopify", raw))
    assert failed.status == "failed" and failed.code == "INVALID_INPUT"
    stored = await loaded.read("MATCH (f:IngestionFailure) RETURN f.body AS b, f.bodyEncoding AS e")
    assert stored == [{"b": "//57AA==", "e": "base64"}]
    [(failure_id, again)] = await ingestion.replay(loaded, [failed.failure_id or ""])
    assert failure_id == failed.failure_id and again.failure_id == failed.failure_id
    assert again.status == "failed" and again.attempts == 2
