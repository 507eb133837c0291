"""Who may do what: roles, the operations each may use, and the objects each may see.

Four roles (issue #6):

- ``storefront``: reads the catalogue and availability, asks for delivery options and routing
  previews, places orders for its own channels and reads only those orders;
- ``partner``: a fulfilment partner scoped to its locations: their fulfillments (release,
  reject, short pick, ship, deliver), returns coming to them (receive), their stock, and the
  orders those fulfillments belong to, showing only its own fulfillments;
- ``integration``: channel, ERP and WMS connectors: ingestion, inventory feeds, placing orders
  for any channel, reading orders;
- ``admin``: everything, including API keys and webhooks.

Checks are made twice: by operation (the root field) before any graph read, and by object (the
order's channel, the fulfillment's location) where the object is read.

Objects (docs/security.md has the table):

- an order is readable by admin and integration keys, by a storefront key of its channel, and by
  a partner key holding one of its fulfillments; a partner sees only its own locations' work
  (fulfillments, events about them, returns to them), never the routing decision;
- a return is readable when its order is, and, for a partner, when it comes back to one of the
  partner's locations;
- personal data (the ship-to name and address) is shown to admin and integration keys, and to a
  partner while it holds an active fulfillment of the order (it ships the parcel); never to a
  storefront key except in the answer to its own ``orderCreate`` (what it has just sent).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ordergraph.domain.geo import normalise_postal_code


class Role(str, Enum):
    STOREFRONT = "storefront"
    PARTNER = "partner"
    INTEGRATION = "integration"
    ADMIN = "admin"


CATALOG_READS = frozenset({"location", "locations", "sku", "skus", "availability"})
# a marketplace connector's read: integration keys, and storefront keys of that channel
CHANNEL_FEED = frozenset({"channelAvailability"})
SHOPPING = frozenset({"deliveryOptions", "routingPreview", "orderCreate"})
ORDER_READS = frozenset({"order", "orderByExternalId", "orders", "return"})
FULFILMENT_MOVES = frozenset(
    {
        "fulfillmentRelease",
        "fulfillmentReject",
        "fulfillmentShip",
        "fulfillmentDeliver",
        "fulfillmentLabelBuy",
        "fulfillmentShortPick",
        "transferReceive",
    }
)
# returns received at a location (in store: BORIS); a partner only at its own locations, checked
# on the return's location (services/picking.py receive_at)
RETURN_RECEIPTS = frozenset({"returnReceive"})
STOCK_WRITES = frozenset(
    {"inventorySet", "inventoryAdjust", "stockStateSet", "inboundUpsert", "inboundReceive"}
)

# routing policies (docs/routing-policies.md): only admin keys write them (admin may do
# anything, so no set names the writes); integration keys, which operations tooling uses, may
# read them
ROUTING_POLICY_READS = frozenset({"routingPolicies", "routingPolicy"})

# storefronts and partners may follow the events of one order they can read (orderId required,
# checked by the resolver); only integration and admin may follow every order
FOLLOW_ONE_ORDER = frozenset({"orderEvents"})

# the MCP server's tools (ordergraph/mcp/): names are a contract (API.md). A storefront key acts
# on an order only once the shopper has proved it is theirs (``proves_order``); a partner asks
# about the catalogue and the orders it holds fulfillments of.
ASSISTANT_CATALOG = frozenset({"find_products", "check_availability"})
ASSISTANT_SHOPPING = frozenset({"delivery_options"})
ASSISTANT_ORDER_READS = frozenset({"order_status", "explain_routing"})
ASSISTANT_ACTIONS = frozenset({"cancel_order_lines", "change_pickup_store", "start_return"})
ASSISTANT = ASSISTANT_CATALOG | ASSISTANT_SHOPPING | ASSISTANT_ORDER_READS | ASSISTANT_ACTIONS

ALLOWED: dict[Role, frozenset[str]] = {
    Role.STOREFRONT: CATALOG_READS
    | CHANNEL_FEED
    | SHOPPING
    | ORDER_READS
    | FOLLOW_ONE_ORDER
    | ASSISTANT,
    Role.PARTNER: CATALOG_READS
    | ORDER_READS
    | FULFILMENT_MOVES
    | RETURN_RECEIPTS
    | STOCK_WRITES
    | FOLLOW_ONE_ORDER
    | ASSISTANT_CATALOG
    | frozenset({"order_status"}),
    Role.INTEGRATION: ASSISTANT
    | ROUTING_POLICY_READS
    | CATALOG_READS
    | CHANNEL_FEED
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
            "allocationReoptimise",
            "orderEvents",
            "stockProtectionSet",
            "inbound",
            "kpis",
            "routingSimulation",
            "routingSimulationRun",
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
    budget: tuple[int, int] | None = None  # the key's own (bucket size, restore/s), if set

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

    def limited_to_channels(self, channel: str) -> bool:
        """A storefront key asking about a channel outside its scope (a read's filter or
        argument): refused, so that it learns nothing of another channel."""
        return self.role == Role.STOREFRONT and channel not in self.channels

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

    def trusted(self) -> bool:
        """Integration and admin keys: may backdate orders, read every order and its personal
        data."""
        return self.role in (Role.ADMIN, Role.INTEGRATION)

    def order_access(self, channel: str, fulfillments: Iterable[tuple[str, str]]) -> bool | None:
        """Of an order of ``channel`` whose fulfillments are ``(location, status)``: None when
        this key may not read it (as if it did not exist), else whether it sees its personal
        data. The one object check of an order, for every entry point (GraphQL, MCP)."""
        held = list(fulfillments)
        if not self.may_read_order(channel, [location for location, _ in held]):
            return None
        active = [loc for loc, status in held if status not in INACTIVE_FULFILLMENTS]
        return self.may_see_personal_data(active)

    def needs_proof(self) -> bool:
        """A storefront key (a web shop, a shopping assistant) speaks for whoever is typing:
        before it reads one order or acts on it, the shopper proves the order is theirs."""
        return self.role == Role.STOREFRONT

    def may_see_personal_data(self, active_locations: Iterable[str]) -> bool:
        """Of a readable order whose active (not rejected, not cancelled) fulfillments are at
        ``active_locations``."""
        if self.trusted():
            return True
        return self.role == Role.PARTNER and bool(self.locations.intersection(active_locations))

    def may_read_return(self, channel: str, order_locations: Iterable[str], location: str) -> bool:
        if not self.may_read_order(channel, order_locations):
            return False
        return self.sees_fulfillment_at(location)

    def sees_transfers(self) -> bool:
        """TRANSFER fulfillments (docs/transfers.md) are ops' work: a storefront key sees the
        customer's one pickup."""
        return self.role != Role.STOREFRONT

    def sees_routing(self) -> bool:
        """The routing decision names every candidate location: not for partners."""
        return self.role != Role.PARTNER


INACTIVE_FULFILLMENTS = frozenset({"REJECTED", "CANCELLED"})


def proves_order(given: str | None, postal_code: str | None) -> bool:
    """Whether ``given`` (what the shopper typed) is the postal code the order ships to. A pickup
    order, or one without a stored postal code, cannot be proved this way (never true)."""
    if not given or not postal_code:
        return False
    typed, stored = normalise_postal_code(given), normalise_postal_code(postal_code)
    if typed.isdigit() and stored.isdigit() and len(typed) == 5 and len(stored) == 9:
        stored = stored[:5]  # a US ZIP+4 on the order, the shopper types the ZIP
    return bool(typed) and hmac.compare_digest(typed.encode(), stored.encode())


PERSONAL_KEYS = frozenset({"shipTo", "name", "address", "email", "phone"})


ROUTING_KEYS = frozenset({"explanation"})  # a routing decision's reasons name every candidate


def redact_event(
    payload: Mapping[str, Any],
    sees_location: Callable[[str], bool],
    personal: bool,
    *,
    routing: bool = False,
) -> dict[str, Any] | None:
    """An order event's payload as one viewer may see it; None when the event is about another
    location's work only (a partner does not see it). ``routing``: the viewer sees routing
    decisions (``Principal.sees_routing``); otherwise their explanations are removed."""
    location = payload.get("location")
    if isinstance(location, str) and not sees_location(location):
        return None
    seen = {
        k: v
        for k, v in payload.items()
        if (personal or k not in PERSONAL_KEYS) and (routing or k not in ROUTING_KEYS)
    }
    for key in ("fulfillments",):
        items = seen.get(key)
        if isinstance(items, list):
            seen[key] = [
                f
                for f in items
                if not isinstance(f, Mapping)
                or not isinstance(f.get("location"), str)
                or sees_location(f["location"])
            ]
    return seen
