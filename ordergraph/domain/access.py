"""Who may do what: roles, the operations each may use, and the objects each may see.

Four roles (issue #6):

- ``storefront``: reads the catalogue and availability, asks for delivery options and routing
  previews, places orders for its own channels and reads only those orders;
- ``partner``: a fulfilment partner scoped to its locations: their fulfillments (release,
  reject, ship, deliver), their stock, and the orders those fulfillments belong to, showing only
  its own fulfillments;
- ``integration``: channel, ERP and WMS connectors: ingestion, inventory feeds, placing orders
  for any channel, reading orders;
- ``admin``: everything, including API keys and webhooks.

Checks are made twice: by operation (the root field) before any graph read, and by object (the
order's channel, the fulfillment's location) where the object is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum


class Role(str, Enum):
    STOREFRONT = "storefront"
    PARTNER = "partner"
    INTEGRATION = "integration"
    ADMIN = "admin"


CATALOG_READS = frozenset({"location", "locations", "sku", "skus", "availability"})
SHOPPING = frozenset({"deliveryOptions", "routingPreview", "orderCreate"})
ORDER_READS = frozenset({"order", "orderByExternalId", "orders", "return"})
FULFILMENT_MOVES = frozenset(
    {"fulfillmentRelease", "fulfillmentReject", "fulfillmentShip", "fulfillmentDeliver"}
)
STOCK_WRITES = frozenset({"inventorySet", "inventoryAdjust"})

ALLOWED: dict[Role, frozenset[str]] = {
    Role.STOREFRONT: CATALOG_READS | SHOPPING | ORDER_READS,
    Role.PARTNER: CATALOG_READS | ORDER_READS | FULFILMENT_MOVES | STOCK_WRITES,
    Role.INTEGRATION: CATALOG_READS
    | SHOPPING
    | ORDER_READS
    | STOCK_WRITES
    | frozenset(
        {
            "ingestionFailures",
            "ingestionReplay",
            "inventoryReconciliation",
            "orderCancel",
            "orderUpdate",
            "returnCreate",
            "returnReceive",
            "backordersAllocate",
            "orderEvents",
        }
    )
    | FULFILMENT_MOVES,
}


@dataclass(frozen=True)
class Principal:
    """The caller, as its API key says."""

    key_id: str
    role: Role
    channels: frozenset[str] = field(default_factory=frozenset)
    locations: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def unrestricted(cls) -> Principal:
        """Used when auth is switched off (local development only)."""
        return cls("auth-off", Role.ADMIN)

    def may(self, operation: str) -> bool:
        return self.role == Role.ADMIN or operation in ALLOWED[self.role]

    def may_use_channel(self, channel: str) -> bool:
        return self.role in (Role.ADMIN, Role.INTEGRATION) or (
            self.role == Role.STOREFRONT and channel in self.channels
        )

    def may_read_order(self, channel: str, locations: Iterable[str]) -> bool:
        if self.role in (Role.ADMIN, Role.INTEGRATION):
            return True
        if self.role == Role.STOREFRONT:
            return channel in self.channels
        return bool(self.locations.intersection(locations))

    def may_act_at(self, location: str) -> bool:
        """Fulfillments and stock of a location."""
        if self.role in (Role.ADMIN, Role.INTEGRATION):
            return True
        return self.role == Role.PARTNER and location in self.locations

    def sees_fulfillment_at(self, location: str) -> bool:
        return self.role != Role.PARTNER or location in self.locations
