"""The Cypher of shipping labels: read what a purchase needs, claim, store, void."""

from __future__ import annotations

from typing import Literal

from ordergraph.graph.records.labels import LabelContext, ReturnLabelContext
from ordergraph.graph.store import GraphStore

Owner = Literal["Fulfillment", "Return"]
"""What a label is bought for: an outbound fulfillment or a return (the same properties)."""

_LABEL = (
    "{.labelKey, .labelAdapter, .labelShipmentId, .labelRateId, .trackingNumber, .labelUrl, "
    ".labelFormat, .labelVoidedAt}"
)

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


async def return_label_context(store: GraphStore, return_id: str) -> ReturnLabelContext | None:
    """A return as its label purchase sees it: where it goes back to (the return location),
    the order's ship-to it comes from, the weight of its lines and its label so far."""
    rows = await store.read(
        "MATCH (o:Order)-[:HAS_RETURN]->(rt:Return {id: $id}) "
        "OPTIONAL MATCH (l:Location {id: rt.locationId}) "
        f"RETURN rt.id AS id, rt.locationId AS locationId, rt.lines AS lines, {_ORDER} AS o, "
        f"l {{.name, .postalCode, .country}} AS l, rt {_LABEL} AS label",
        {"id": return_id},
    )
    if not rows:
        return None
    skus = ReturnLabelContext.skus_of(rows[0])
    weights = await store.read(
        "UNWIND $ids AS id MATCH (k:Sku {id: id}) RETURN k.id AS id, k.weightKg AS kg",
        {"ids": sorted(skus)},
    )
    return ReturnLabelContext.from_row(rows[0], {str(w["id"]): w["kg"] for w in weights})


async def claim_label(
    store: GraphStore,
    owner_id: str,
    key: str,
    adapter: str,
    shipment_id: str,
    rate_id: str,
    owner: Owner = "Fulfillment",
) -> bool:
    """Record which carrier shipment and rate the label is bought from, unless a claim is there
    already (a concurrent or earlier attempt): True when this claim was recorded."""
    rows = await store.write(
        f"MATCH (f:{owner} {{id: $id}}) SET f._lock = true "
        "WITH f, f.labelShipmentId IS NULL AS free "
        "FOREACH (_ IN CASE WHEN free THEN [1] ELSE [] END | "
        "  SET f.labelKey = $key, f.labelAdapter = $adapter, f.labelShipmentId = $shipment, "
        "      f.labelRateId = $rate) "
        "REMOVE f._lock RETURN free",
        {
            "id": owner_id,
            "key": key,
            "adapter": adapter,
            "shipment": shipment_id,
            "rate": rate_id,
        },
    )
    return bool(rows and rows[0]["free"])


async def store_label(
    store: GraphStore,
    owner_id: str,
    shipment_id: str,
    tracking_number: str,
    label_url: str,
    label_format: str,
    owner: Owner = "Fulfillment",
) -> None:
    await store.write(
        f"MATCH (f:{owner} {{id: $id}}) WHERE f.labelShipmentId = $shipment "
        "SET f.trackingNumber = $tracking, f.labelUrl = $url, f.labelFormat = $format "
        "RETURN f.id AS id",
        {
            "id": owner_id,
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
