"""Correctness findings on the real engine, through the entry points that are not GraphQL.

#10.13 stock counted below its reservations, by feed (snapshot, delta) and by network reload:
the count is accepted and the unbacked reservations re-routed or backordered; shipping without
the units says why. #9 follow-up steps live in services: an ``ordergraph ingest`` of a Shopify
cancellation serves a backorder, and an X12 order shipped through the service gets its 856.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ordergraph.domain.errors import ErrorCode, OrderGraphError
from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import feeds, ingestion, lifecycle, network
from ordergraph.services.feeds import DeltaRow, SnapshotRow
from ordergraph.services.orders import place_order
from tests.api.test_ingest_http import shopify_order, x12_850
from tests.integration.test_ingestion_cli import cli

SF = Address(postal_code="94107", country="US")


async def position(store: FalkorStore, location: str, sku: str) -> dict[str, int]:
    rows = await store.read(
        "MATCH (:Location {id: $l})-[s:STOCKS]->(:Sku {id: $k}) "
        "RETURN s.onHand AS onHand, s.reserved AS reserved",
        {"l": location, "k": sku},
    )
    return rows[0]  # type: ignore[no-any-return]


async def assert_reservations_explained(store: FalkorStore) -> None:
    """DOMAIN.md's invariant: reserved = the open SHIPS from that location for that SKU, and
    never more than on hand after a count."""
    rows = await store.read(
        "MATCH (l:Location)-[s:STOCKS]->(k:Sku) "
        "OPTIONAL MATCH (l)<-[:FROM]-(f:Fulfillment)-[sh:SHIPS]->(ol:OrderLine {sku: k.id}) "
        "WHERE f.status IN ['OPEN', 'RELEASED'] "
        "WITH l, k, s, sum(coalesce(sh.quantity, 0)) AS held "
        "RETURN l.id AS l, k.id AS k, s.onHand AS onHand, s.reserved AS reserved, held"
    )
    for r in rows:
        assert r["reserved"] == r["held"], r
        assert r["reserved"] <= r["onHand"], r


async def order_row(store: FalkorStore, order_id: str) -> dict[str, Any]:
    [row] = await store.read(
        "MATCH (o:Order {id: $id}) RETURN o.status AS status, "
        "[(o)-[:HAS_EVENT]->(e:Event) | e.type] AS events",
        {"id": order_id},
    )
    return row  # type: ignore[no-any-return]


async def fulfillments(store: FalkorStore, order_id: str) -> list[dict[str, Any]]:
    return await store.read(
        "MATCH (:Order {id: $id})-[:HAS_FULFILLMENT]->(f:Fulfillment) "
        "RETURN f.id AS id, f.status AS status, f.locationId AS location ORDER BY f.id",
        {"id": order_id},
    )


async def test_a_delta_feed_below_reserved_backorders_a_pickup_nothing_else_can_serve(
    loaded: FalkorStore,
) -> None:
    placed = await place_order(
        loaded, OrderRequest(channel="web", lines=(OrderLine("SKU-1", 4),), pickup_at="STORE-SF")
    )
    assert await position(loaded, "STORE-SF", "SKU-1") == {"onHand": 5, "reserved": 4}
    result = await feeds.apply_deltas(loaded, [DeltaRow(1, "STORE-SF", "SKU-1", -3, "shrink")])
    assert result.written == 1 and result.refused == []
    assert (result.rerouted, result.backordered) == (0, 2)
    assert result.affected_orders == [placed.order_id]
    assert await position(loaded, "STORE-SF", "SKU-1") == {"onHand": 2, "reserved": 2}
    row = await order_row(loaded, placed.order_id)
    assert row["status"] == "PARTIALLY_ALLOCATED"
    assert {"ReservationUnbacked", "OrderBackordered"} <= set(row["events"])
    await assert_reservations_explained(loaded)


async def test_a_snapshot_below_reserved_reroutes_the_newest_order_to_another_location(
    loaded: FalkorStore,
) -> None:
    older = await place_order(
        loaded, OrderRequest(channel="web", lines=(OrderLine("SKU-2", 4),), ship_to=SF)
    )
    newer = await place_order(
        loaded, OrderRequest(channel="web", lines=(OrderLine("SKU-2", 4),), ship_to=SF)
    )
    assert await position(loaded, "DC-RENO", "SKU-2") == {"onHand": 12, "reserved": 8}
    result = await feeds.apply_snapshot(loaded, [SnapshotRow(1, "DC-RENO", "SKU-2", 5)])
    assert (result.rerouted, result.backordered) == (3, 0)
    assert result.affected_orders == [newer.order_id]
    assert await position(loaded, "DC-RENO", "SKU-2") == {"onHand": 5, "reserved": 5}
    assert (await order_row(loaded, older.order_id))["status"] == "ALLOCATED"
    moved = await order_row(loaded, newer.order_id)
    assert moved["status"] == "ALLOCATED"
    assert {"ReservationUnbacked", "OrderRerouted"} <= set(moved["events"])
    assert len(await fulfillments(loaded, newer.order_id)) >= 2
    await assert_reservations_explained(loaded)


async def test_reloading_a_network_that_counts_less_than_is_reserved_reroutes_the_rest(
    loaded: FalkorStore,
) -> None:
    placed = await place_order(
        loaded, OrderRequest(channel="web", lines=(OrderLine("SKU-2", 6),), ship_to=SF)
    )
    await network.load_network(
        loaded, {"stock": [{"location": "DC-RENO", "sku": "SKU-2", "onHand": 2}]}
    )
    assert await position(loaded, "DC-RENO", "SKU-2") == {"onHand": 2, "reserved": 2}
    assert "OrderRerouted" in (await order_row(loaded, placed.order_id))["events"]
    await assert_reservations_explained(loaded)


async def test_a_count_that_still_backs_every_reservation_moves_nothing(
    loaded: FalkorStore,
) -> None:
    placed = await place_order(
        loaded, OrderRequest(channel="web", lines=(OrderLine("SKU-2", 4),), ship_to=SF)
    )
    change = await network.set_inventory(loaded, "DC-RENO", "SKU-2", 4, None)
    assert (change.rerouted, change.backordered, change.affected_orders) == (0, 0, [])
    assert await position(loaded, "DC-RENO", "SKU-2") == {"onHand": 4, "reserved": 4}
    assert "ReservationUnbacked" not in (await order_row(loaded, placed.order_id))["events"]


async def test_shipping_without_the_units_on_hand_says_why_and_changes_nothing(
    loaded: FalkorStore,
) -> None:
    placed = await place_order(
        loaded, OrderRequest(channel="web", lines=(OrderLine("SKU-2", 4),), ship_to=SF)
    )
    [f] = await fulfillments(loaded, placed.order_id)
    await lifecycle.release(loaded, f["id"])
    # on-hand dropped under the reservation behind the OMS's back (a direct write): shipping
    # must not spin and report CONFLICT
    await loaded.write(
        "MATCH (:Location {id: 'DC-RENO'})-[s:STOCKS]->(:Sku {id: 'SKU-2'}) SET s.onHand = 1"
    )
    with pytest.raises(OrderGraphError) as caught:
        await lifecycle.ship(loaded, f["id"], "1Z1")
    assert caught.value.code == ErrorCode.INSUFFICIENT_STOCK
    assert "DC-RENO has 1 of SKU-2 on hand" in str(caught.value)
    assert (await fulfillments(loaded, placed.order_id))[0]["status"] == "RELEASED"
    assert await position(loaded, "DC-RENO", "SKU-2") == {"onHand": 1, "reserved": 4}


# --- #9: follow-up steps for every entry point --------------------------------------------


async def test_an_ordergraph_ingest_of_a_shopify_cancellation_serves_a_backorder(
    engine: EmbeddedEngine, loaded: FalkorStore, tmp_path: Path
) -> None:
    await network.load_network(
        loaded,
        {
            "channels": [{"id": "shopify"}],
            "stock": [{"location": "DC-NEWARK", "sku": "SKU-4", "onHand": 2}],
        },
    )
    doc = shopify_order()
    item = dict(doc["line_items"][0], sku="SKU-4", quantity=2, current_quantity=2)
    doc["line_items"] = [item]
    (tmp_path / "create.json").write_text(json.dumps(doc))
    done = cli(engine, loaded, "ingest", "shopify", str(tmp_path / "create.json"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "placed: 1" in done.stdout
    placed = await place_order(
        loaded, OrderRequest(channel="web", lines=(OrderLine("SKU-4", 1),), ship_to=SF)
    )
    waiting = placed.order_id
    assert (await order_row(loaded, waiting))["status"] == "BACKORDERED"
    doc["cancelled_at"] = "2024-03-11T08:00:00-05:00"
    (tmp_path / "cancel.json").write_text(json.dumps(doc))
    done = cli(
        engine,
        loaded,
        "ingest",
        "shopify",
        str(tmp_path / "cancel.json"),
        "--topic",
        "orders/cancelled",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    row = await order_row(loaded, waiting)
    assert row["status"] == "ALLOCATED", row
    assert "BackorderAllocated" in row["events"]
    await assert_reservations_explained(loaded)


async def test_an_x12_order_shipped_through_the_service_gets_its_856(
    loaded: FalkorStore,
) -> None:
    await network.load_network(loaded, {"channels": [{"id": "x12:9251234567"}]})
    outcome = await ingestion.ingest(
        loaded, ingestion.Payload("x12", x12_850().encode(), {}), config=ingestion.IngestConfig()
    )
    assert outcome.order_ids, outcome
    [row] = await loaded.read(
        "MATCH (o:Order {externalId: 'PO-A100'})-[:HAS_FULFILLMENT]->(f:Fulfillment) "
        "RETURN o.id AS order, f.id AS f LIMIT 1"
    )
    await lifecycle.release(loaded, row["f"])
    await lifecycle.ship(loaded, row["f"], "1Z999AA10123456784", "UPSN")  # no resolver involved
    [shipped] = await loaded.read(
        "MATCH (f:Fulfillment {id: $id}) RETURN f.asn AS asn", {"id": row["f"]}
    )
    assert shipped["asn"] and "ST*856*" in shipped["asn"] and "PRF*PO-A100" in shipped["asn"]
    events = (await order_row(loaded, row["order"]))["events"]
    assert "ShipNoticeCreated" in events


# --- #10.15: money from channels, and prices stored before validation -----------------------


def _shopify_with(
    price: str | None = None, currency: str | None = None, tax: str | None = None
) -> bytes:
    doc = shopify_order()
    doc["id"] = abs(hash((price, currency, tax))) % 10**9
    if tax is not None:  # two tax lines: summing them overflows Decimal's default context
        doc["line_items"][0]["tax_lines"] = [
            {"price": tax, "rate": 0.1, "title": "A"},
            {"price": tax, "rate": 0.1, "title": "B"},
        ]
    if price is not None:
        item = doc["line_items"][0]
        item["price"] = price
        item.pop("price_set", None)
    if currency is not None:
        doc["currency"] = currency
        for key in list(doc):
            if key.endswith("_set"):
                doc.pop(key)
        for item in doc["line_items"]:
            for key in list(item):
                if key.endswith("_set"):
                    item.pop(key)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("price", "currency", "tax"),
    [
        ("1e999999999", None, None),
        ("-0", None, None),
        ("NaN", None, None),
        ("1000000000000", None, None),
        (None, "XYZ", None),
        (None, None, "1e999999999"),
        (None, None, "9e11"),
    ],
)
async def test_a_channel_order_with_bad_money_fails_clearly_and_places_nothing(
    loaded: FalkorStore, price: str | None, currency: str | None, tax: str | None
) -> None:
    await network.load_network(loaded, {"channels": [{"id": "shopify"}]})
    outcome = await ingestion.ingest(
        loaded,
        ingestion.Payload("shopify", _shopify_with(price, currency, tax), {}),
        config=ingestion.IngestConfig(),
    )
    assert outcome.status == ingestion.FAILED, outcome
    assert outcome.code == "INVALID_INPUT", outcome
    assert outcome.order_ids == []
    assert await loaded.read("MATCH (o:Order) RETURN o.id AS id") == []


async def test_a_return_of_a_line_priced_before_validation_is_received_not_stuck(
    loaded: FalkorStore,
) -> None:
    from ordergraph.domain.returns import Disposition
    from ordergraph.services import returns

    placed = await place_order(
        loaded, OrderRequest(channel="web", lines=(OrderLine("SKU-1", 1),), ship_to=SF)
    )
    await loaded.write(  # what an older version accepted and stored
        "MATCH (:Order {id: $id})-[:HAS_LINE]->(l:OrderLine) "
        "SET l.unitPrice = '1e999999999', l.currency = 'USD'",
        {"id": placed.order_id},
    )
    [f] = await fulfillments(loaded, placed.order_id)
    await lifecycle.release(loaded, f["id"])
    await lifecycle.ship(loaded, f["id"], "1Z1")
    return_id, _ = await returns.create_return(loaded, placed.order_id, [("SKU-1", 1)])
    await returns.receive_return(loaded, return_id, [("SKU-1", 1, Disposition.RESTOCK)])
    [row] = await loaded.read(
        "MATCH (r:Return {id: $id}) RETURN r.status AS status, r.refundAmount AS amount",
        {"id": return_id},
    )
    assert row == {"status": "RECEIVED", "amount": "0.00"}
    [event] = await loaded.read(
        "MATCH (:Order {id: $id})-[:HAS_EVENT]->(e:Event {type: 'RefundCreated'}) "
        "RETURN e.payload AS payload",
        {"id": placed.order_id},
    )
    assert json.loads(event["payload"])["unpriced"] == ["SKU-1"]


async def test_lowering_a_quantity_frees_stock_for_a_waiting_backorder(loaded: FalkorStore) -> None:
    first = await place_order(
        loaded, OrderRequest(channel="web", lines=(OrderLine("SKU-4", 8),), ship_to=SF)
    )
    assert (await order_row(loaded, first.order_id))["status"] == "ALLOCATED"
    waiting = await place_order(
        loaded, OrderRequest(channel="web", lines=(OrderLine("SKU-4", 1),), ship_to=SF)
    )
    assert (await order_row(loaded, waiting.order_id))["status"] == "BACKORDERED"
    await lifecycle.update_order(loaded, first.order_id, quantities=[("SKU-4", 7)])
    row = await order_row(loaded, waiting.order_id)
    assert row["status"] == "ALLOCATED" and "BackorderAllocated" in row["events"]
    await assert_reservations_explained(loaded)


async def test_an_updated_address_is_normalised_like_a_placed_one(loaded: FalkorStore) -> None:
    placed = await place_order(
        loaded, OrderRequest(channel="web", lines=(OrderLine("SKU-1", 1),), ship_to=SF)
    )
    await lifecycle.update_order(
        loaded, placed.order_id, ship_to=Address(postal_code="941-05", country="us", city="SF")
    )
    [row] = await loaded.read(
        "MATCH (o:Order {id: $id}) RETURN o.shipToPostalCode AS code, o.shipToCountry AS country",
        {"id": placed.order_id},
    )
    assert row == {"code": "94105", "country": "US"}
    with pytest.raises(OrderGraphError) as bad:
        await lifecycle.update_order(
            loaded, placed.order_id, ship_to=Address(postal_code="94105", country="USA")
        )
    assert bad.value.code == ErrorCode.INVALID_INPUT and bad.value.field == ("shipTo", "country")


async def test_covering_a_short_position_reads_its_holders_once(
    loaded: FalkorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ordergraph.services import shortfall

    placed = [
        await place_order(
            loaded, OrderRequest(channel="web", lines=(OrderLine("SKU-2", 4),), ship_to=SF)
        )
        for _ in range(3)
    ]
    assert await position(loaded, "DC-RENO", "SKU-2") == {"onHand": 12, "reserved": 12}
    reads: list[str] = []
    holders = shortfall.q.reservation_holders

    async def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append("holders")
        return await holders(*args, **kwargs)

    monkeypatch.setattr(shortfall.q, "reservation_holders", counted)
    result = await feeds.apply_snapshot(loaded, [SnapshotRow(1, "DC-RENO", "SKU-2", 0)])
    assert sorted(result.affected_orders) == sorted(p.order_id for p in placed)
    assert reads == ["holders"]
    assert await position(loaded, "DC-RENO", "SKU-2") == {"onHand": 0, "reserved": 0}
    await assert_reservations_explained(loaded)
