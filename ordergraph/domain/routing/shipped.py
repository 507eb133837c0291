"""The four policies OrderGraph ships, as documents (docs/routing-policies.md).

They are version 1 of the ids ``CHEAPEST``, ``FASTEST``, ``FEWEST_SHIPMENTS`` and
``PREFER_STORE_EXCESS``, always ACTIVE and serving no channel by themselves: a channel whose
``routingPolicy`` names one (the setting before policies were data) routes under it unchanged,
and any policy may name one as its fallback. Their ids are reserved: a stored policy cannot
take one. Each compiles to exactly the constant of ``routing.types`` of the same name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ordergraph.domain.routing.documents import PolicyDocument, parse_policy

__all__ = ["SHIPPED", "SHIPPED_DOCUMENTS"]

SHIPPED_DOCUMENTS: tuple[Mapping[str, Any], ...] = (
    {
        "id": "CHEAPEST",
        "version": 1,
        "description": "The default: the lowest total shipping cost (handling and lanes).",
        "objective": {"shippingCost": 1.0, "handlingCost": 1.0},
    },
    {
        "id": "FASTEST",
        "version": 1,
        "description": "The earliest promised delivery; cost decides between plans promising "
        "the same day (one day is worth 1000 of shipping cost).",
        "objective": {"shippingCost": 1.0, "handlingCost": 1.0, "deliveryDays": 1000.0},
    },
    {
        "id": "FEWEST_SHIPMENTS",
        "version": 1,
        "description": "As few parcels as possible; cost decides between plans with the same "
        "count (one shipment is worth 1000 of shipping cost).",
        "objective": {"shippingCost": 1.0, "handlingCost": 1.0, "shipments": 1000.0},
    },
    {
        "id": "PREFER_STORE_EXCESS",
        "version": 1,
        "description": "Cost, less 2.00 for every unit a store or dark store ships from the "
        "stock it holds above safety stock.",
        "objective": {"shippingCost": 1.0, "handlingCost": 1.0, "storeExcessUnits": 2.0},
    },
)

SHIPPED: Mapping[str, PolicyDocument] = {
    doc.id: doc for doc in (parse_policy(raw) for raw in SHIPPED_DOCUMENTS)
}
"""The shipped documents by id (parsed once, at import: they are constants)."""
