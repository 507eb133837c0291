"""The Cypher of shipping labels: read what a purchase needs, claim, store, void."""

from __future__ import annotations

from ordergraph.graph.records.labels import LabelContext
from ordergraph.graph.store import GraphStore

_FULFILLMENT = (
    "f {.id, .status, .carrier, .service, .locationId, .trackingNumber, .labelKey, "
    ".labelAdapter, .labelShipmentId, .labelRateId, .labelUrl, .labelFormat, .labelVoidedAt}"
)
_ORDER = (
    "o {.id, .shipToName, .shipToLine1, .shipToLine2, .shipToCity, .shipToRegion, "
    ".shipToPostalCode, .shipToCountry}"
)


async def label_context(store: GraphStore, fulfillment_id: str) -> LabelContext | None:
    rows = await store.read(
        "MATCH (o:Order)-[:HAS_FULFILLMENT]->(f:Fulfillment {id: $id}) "
        "OPTIONAL MATCH (l:Location {id: f.locationId}) "
        "OPTIONAL MATCH (f)-[s:SHIPS]->(ol:OrderLine) "
        "OPTIONAL MATCH (k:Sku {id: ol.sku}) "
        f"WITH {_FULFILLMENT} AS f, {_ORDER} AS o, l {{.name, .postalCode, .country}} AS l, "
        "sum(coalesce(k.weightKg, 0.0) * coalesce(s.quantity, 0)) AS weight "
        "RETURN f, o, l, weight",
        {"id": fulfillment_id},
    )
    return LabelContext.from_row(rows[0]) if rows else None


async def claim_label(
    store: GraphStore, fulfillment_id: str, key: str, adapter: str, shipment_id: str, rate_id: str
) -> bool:
    """Record which carrier shipment and rate the label is bought from, unless a claim is there
    already (a concurrent or earlier attempt): True when this claim was recorded."""
    rows = await store.write(
        "MATCH (f:Fulfillment {id: $id}) SET f._lock = true "
        "WITH f, f.labelShipmentId IS NULL AS free "
        "FOREACH (_ IN CASE WHEN free THEN [1] ELSE [] END | "
        "  SET f.labelKey = $key, f.labelAdapter = $adapter, f.labelShipmentId = $shipment, "
        "      f.labelRateId = $rate) "
        "REMOVE f._lock RETURN free",
        {
            "id": fulfillment_id,
            "key": key,
            "adapter": adapter,
            "shipment": shipment_id,
            "rate": rate_id,
        },
    )
    return bool(rows and rows[0]["free"])


async def store_label(
    store: GraphStore,
    fulfillment_id: str,
    shipment_id: str,
    tracking_number: str,
    label_url: str,
    label_format: str,
) -> None:
    await store.write(
        "MATCH (f:Fulfillment {id: $id}) WHERE f.labelShipmentId = $shipment "
        "SET f.trackingNumber = $tracking, f.labelUrl = $url, f.labelFormat = $format "
        "RETURN f.id AS id",
        {
            "id": fulfillment_id,
            "shipment": shipment_id,
            "tracking": tracking_number,
            "url": label_url,
            "format": label_format,
        },
    )


async def cancelled_with_labels(store: GraphStore, order_id: str) -> list[str]:
    """The order's cancelled fulfillments whose label is bought and not yet voided."""
    rows = await store.read(
        "MATCH (:Order {id: $id})-[:HAS_FULFILLMENT]->(f:Fulfillment) "
        "WHERE f.status = 'CANCELLED' AND f.labelUrl IS NOT NULL AND f.labelVoidedAt IS NULL "
        "RETURN f.id AS id ORDER BY id",
        {"id": order_id},
    )
    return [str(r["id"]) for r in rows]


async def mark_voided(store: GraphStore, fulfillment_id: str, at: str) -> None:
    await store.write(
        "MATCH (f:Fulfillment {id: $id}) SET f.labelVoidedAt = $at RETURN f.id AS id",
        {"id": fulfillment_id, "at": at},
    )
