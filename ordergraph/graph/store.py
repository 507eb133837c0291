"""The one interface the rest of the code uses to reach a graph database.

Everything above ``graph/`` sees plain Python data: lists of dicts of str, int, float, bool,
None, lists and dicts. Each adapter turns its engine's answer types into that.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

Row = dict[str, Any]
Params = Mapping[str, Any]


class GraphStore(Protocol):
    """A graph database that runs the portable Cypher of ``CYPHER.md``."""

    engine: str

    async def read(self, query: str, params: Params | None = None) -> list[Row]:
        """Run a read-only query; rows as dicts keyed by the RETURN names."""
        ...

    async def write(self, query: str, params: Params | None = None) -> list[Row]:
        """Run one write statement atomically; rows as dicts keyed by the RETURN names."""
        ...

    async def migrate(self) -> None:
        """Create indexes and constraints; safe to run on every start."""
        ...

    async def ping(self) -> bool:
        """Whether the engine answers."""
        ...

    async def close(self) -> None: ...


class GraphUnavailable(RuntimeError):
    """The engine cannot be reached, or failed to start. Never a user error."""


# Key properties indexed on every engine (CYPHER.md, "Batches and reads").
NODE_KEYS: tuple[tuple[str, str], ...] = (
    ("Location", "id"),
    ("Sku", "id"),
    ("Region", "id"),
    ("Channel", "id"),
    ("Order", "id"),
    ("OrderLine", "id"),
    ("Fulfillment", "id"),
    ("Event", "id"),
    ("Return", "id"),
    ("Customer", "id"),
    ("ApiKey", "id"),
    ("CapacityDay", "id"),
    ("ActionKey", "id"),  # idempotency keys of actions (graph/actions.py)
    ("IngestionFailure", "id"),
    ("SimulationRun", "id"),  # sandbox runs (graph/simulations.py)
    ("IngestionReceipt", "id"),
    ("X12Control", "id"),
    ("WebhookSubscription", "id"),
    ("Delivery", "id"),
    ("Lease", "id"),
    ("Inbound", "id"),
    ("CostBucket", "key"),  # one shared cost bucket per API key (graph/budgets.py)
    ("RoutingPolicy", "key"),  # a policy version: id|version (graph/policies.py)
    ("RoutingPolicyHead", "id"),  # a policy's version counter and event stream
)
SECONDARY_INDEXES: tuple[tuple[str, str], ...] = (
    ("Order", "channelExternalId"),
    ("Order", "channel"),
    ("Order", "placedAtMs"),
    ("Order", "status"),
    ("Order", "heldUntilMs"),  # orders held for a batch wave (graph/allocation.py)
    ("Order", "customerEmail"),  # the console's order search (graph/console.py)
    ("Order", "shipToPostalCode"),
    ("Order", "externalId"),
    ("Region", "country"),
    ("Location", "kind"),
    ("ApiKey", "hash"),
    ("IngestionFailure", "receivedAtMs"),
    ("Event", "pending"),
    ("Event", "atMs"),
    ("Delivery", "status"),
    ("Delivery", "stream"),
    ("Delivery", "subscriptionId"),
    ("Inbound", "location"),
    ("Inbound", "sku"),  # preorder offers of a SKU (graph/inbound.py)
    ("Fulfillment", "inboundId"),  # the preorders of an inbound line
    ("Fulfillment", "labelAdapter"),  # the shipments a polled carrier account tracks
    ("RoutingPolicy", "id"),
    ("RoutingPolicy", "state"),
)
