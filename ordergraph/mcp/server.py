"""The MCP server: eight tools over the same services as GraphQL, for shopping assistants and
support bots (issue #15; the contract is docs/mcp.md).

``build_server(deps)`` makes the ``MCPServer``. It is served over stdio by ``ordergraph mcp``
(one API key, from ``ORDERGRAPH_MCP_KEY`` or ``--key``, checked again on every call) and over
streamable HTTP at ``/mcp`` in the app (``HttpEndpoint``: stateless JSON answers behind the
same bearer keys as /graphql, checked by ``http/gateway.py`` before the body is read).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_REQUEST, CallToolResult, ToolAnnotations
from pydantic import Field, TypeAdapter, ValidationError
from starlette.types import Receive, Scope, Send

from ordergraph.domain.access import Principal
from ordergraph.graph.catalog import location_page
from ordergraph.mcp import actions, reads
from ordergraph.mcp.guard import (
    COST,
    Caller,
    Deps,
    charge,
    guarded,
    invalid_arguments,
    refused,
)
from ordergraph.mcp.shapes import (
    ActionResult,
    Address,
    Availability,
    DeliveryOptions,
    Line,
    Near,
    OrderStatus,
    Products,
    RoutingExplanation,
    Verification,
)
from ordergraph.services.apikeys import KeyCache
from ordergraph.services.carrier_rates import shopper_for

INSTRUCTIONS = (
    "OrderGraph answers shoppers' questions about products, stock near them, delivery dates, "
    "their orders, and makes a few changes they ask for. Before order_status, explain_routing "
    "or an action for a shopper, ask them for the postal code their order ships to and pass it "
    "as verification.postal_code. Every action needs an idempotency_key: a new random one per "
    "request, the same one when retrying it."
)
READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
ACTION = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True)

Id = Annotated[str, Field(min_length=1, max_length=200)]
Key = Annotated[
    str, Field(min_length=8, max_length=100, description="new per request; same on retry")
]
Reason = Annotated[str | None, Field(default=None, max_length=500)]
RETURN_POLICY = (
    "Items can be returned within 30 days of delivery, unused and in their packaging. Start a "
    "return with start_return: drop it off at a store that accepts returns (drop_off) or send "
    "it to the location the return names. The refund follows once the items are received."
)


def _plain(**arguments: Any) -> dict[str, Any]:
    """A call's arguments as JSON values, for the text check every call passes."""
    return {
        name: TypeAdapter(Any).dump_python(value, mode="json") for name, value in arguments.items()
    }


class CheckedServer(MCPServer):
    """The SDK's server, but arguments that fail a tool's input schema are a refusal like
    every other (``INVALID_INPUT`` as data, docs/mcp.md), after the key is checked: the SDK's
    own answer named its model, echoed the value and linked pydantic's docs, before any key
    check (so a revoked key was still answered)."""

    deps: Deps

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(exc, UnexpectedToolError) or not isinstance(cause, ValidationError):
                raise
            if await self.deps.caller(context) is None:
                return refused("UNAUTHENTICATED", "unknown or revoked API key")
            return invalid_arguments(cause)

    async def read_resource(self, uri: Any, context: Any = None) -> Any:
        """A resource, for a key that is still valid and within its budget (the store list
        reads the graph: it must not be a free loop around the budget, nor readable over stdio
        after the key is revoked)."""
        who = await self.deps.caller(context)
        if who is None:
            raise MCPError(code=INVALID_REQUEST, message="unknown or revoked API key")
        over = await charge(self.deps, who, COST["resources/read"])
        if over is not None:
            raise MCPError(code=INVALID_REQUEST, message=f"{over[0]}: {over[1]}")
        return await super().read_resource(uri, context)


def build_server(deps: Deps) -> MCPServer:
    root = logging.getLogger()
    keep = logging.NullHandler()  # the SDK's logging.basicConfig leaves a configured root alone:
    root.addHandler(keep)  # our JSON logs stay as they are, with no second handler on stderr
    try:
        server = CheckedServer(
            "ordergraph", instructions=INSTRUCTIONS, version="1", log_level="WARNING"
        )
        server.deps = deps
    finally:
        root.removeHandler(keep)

    @server.tool(
        name="find_products",
        description="SKUs whose name or description has the shopper's words, best first.",
        annotations=READ,
    )
    async def find_products(
        query: Annotated[str, Field(min_length=1, max_length=200)],
        ctx: Context,
        limit: Annotated[int, Field(ge=1, le=20)] = 5,
    ) -> Annotated[CallToolResult, Products]:
        return await guarded(
            deps,
            ctx,
            "find_products",
            {"query": query, "limit": limit},
            lambda store, who: reads.find_products(store, who, query, limit),
        )

    @server.tool(
        name="check_availability",
        description="Per SKU: units near the shopper, UCP status, nearest pickup stores.",
        annotations=READ,
    )
    async def check_availability(
        skus: Annotated[list[Id], Field(min_length=1, max_length=20)],
        ctx: Context,
        near: Near | None = None,
        channel: Id | None = None,
    ) -> Annotated[CallToolResult, Availability]:
        return await guarded(
            deps,
            ctx,
            "check_availability",
            _plain(skus=skus, near=near, channel=channel),
            lambda store, who: reads.check_availability(
                store, who, skus, near, channel, deps.cache
            ),
        )

    @server.tool(
        name="delivery_options",
        description="Ways to get a basket (ship per service level, or pick up nearby) with dates "
        "and costs: 'can I get it by Friday?' (wanted_by).",
        annotations=READ,
    )
    async def delivery_options(
        lines: Annotated[list[Line], Field(min_length=1, max_length=100)],
        ctx: Context,
        ship_to: Address | None = None,
        near: Near | None = None,
        channel: Id | None = None,
        wanted_by: date | None = None,
    ) -> Annotated[CallToolResult, DeliveryOptions]:
        return await guarded(
            deps,
            ctx,
            "delivery_options",
            _plain(lines=lines, ship_to=ship_to, near=near, channel=channel),
            lambda store, who: reads.delivery_options(
                store, who, lines, ship_to, near, channel, wanted_by, shopper_for(deps.settings)
            ),
        )

    @server.tool(
        name="order_status",
        description="An order's status, shipments, tracking and promise, in words. By order_id, "
        "or channel + external_id. A shopper-facing key must give verification.postal_code.",
        annotations=READ,
    )
    async def order_status(
        ctx: Context,
        order_id: Id | None = None,
        channel: Id | None = None,
        external_id: Id | None = None,
        verification: Verification | None = None,
    ) -> Annotated[CallToolResult, OrderStatus]:
        return await guarded(
            deps,
            ctx,
            "order_status",
            _plain(
                order_id=order_id,
                channel=channel,
                external_id=external_id,
                verification=verification,
            ),
            lambda store, who: reads.order_status(
                store, who, deps.attempts, order_id, channel, external_id, verification
            ),
        )

    @server.tool(
        name="explain_routing",
        description="Why an order ships from where it ships: the stored routing decision.",
        annotations=READ,
    )
    async def explain_routing(
        order_id: Id, ctx: Context, verification: Verification | None = None
    ) -> Annotated[CallToolResult, RoutingExplanation]:
        return await guarded(
            deps,
            ctx,
            "explain_routing",
            _plain(order_id=order_id, verification=verification),
            lambda store, who: reads.explain_routing(
                store, who, deps.attempts, order_id, verification
            ),
        )

    @server.tool(
        name="cancel_order_lines",
        description="Cancel units of an order (no lines: all of it) while nothing of them is "
        "released to a location.",
        annotations=ACTION,
    )
    async def cancel_order_lines(
        order_id: Id,
        idempotency_key: Key,
        ctx: Context,
        lines: Annotated[list[Line] | None, Field(default=None, max_length=100)] = None,
        reason: Reason = None,
        verification: Verification | None = None,
    ) -> Annotated[CallToolResult, ActionResult]:
        return await guarded(
            deps,
            ctx,
            "cancel_order_lines",
            _plain(order_id=order_id, lines=lines, reason=reason, key=idempotency_key),
            lambda store, who: actions.cancel_order_lines(
                store, who, deps.attempts, order_id, lines, reason, verification, idempotency_key
            ),
        )

    @server.tool(
        name="change_pickup_store",
        description="Move a pickup order to another pickup store that can serve all of it, "
        "before anything is released.",
        annotations=ACTION,
    )
    async def change_pickup_store(
        order_id: Id,
        store: Id,
        idempotency_key: Key,
        ctx: Context,
        verification: Verification | None = None,
    ) -> Annotated[CallToolResult, ActionResult]:
        return await guarded(
            deps,
            ctx,
            "change_pickup_store",
            _plain(order_id=order_id, store=store, key=idempotency_key),
            lambda graph, who: actions.change_pickup_store(
                graph, who, deps.attempts, order_id, store, verification, idempotency_key
            ),
        )

    @server.tool(
        name="start_return",
        description="Start a return of delivered units: drop it off at a store (drop_off) or "
        "send it to the location the answer names.",
        annotations=ACTION,
    )
    async def start_return(
        order_id: Id,
        lines: Annotated[list[Line], Field(min_length=1, max_length=100)],
        idempotency_key: Key,
        ctx: Context,
        reason: Reason = None,
        drop_off: Id | None = None,
        verification: Verification | None = None,
    ) -> Annotated[CallToolResult, ActionResult]:
        return await guarded(
            deps,
            ctx,
            "start_return",
            _plain(
                order_id=order_id,
                lines=lines,
                reason=reason,
                drop_off=drop_off,
                key=idempotency_key,
            ),
            lambda store, who: actions.start_return(
                store,
                who,
                deps.attempts,
                order_id,
                lines,
                reason,
                drop_off,
                verification,
                idempotency_key,
            ),
        )

    @server.resource(
        "ordergraph://stores",
        name="stores",
        description="Pickup stores: id, name, postal code.",
        mime_type="text/plain",
    )
    async def stores() -> str:
        rows = await location_page(deps.store(), first=100, after=None, kind="STORE")
        return "\n".join(
            f"{loc.id}\t{loc.name}\t{loc.postal_code or ''}" for loc in rows if loc.pickup
        )

    @server.resource(
        "ordergraph://return-policy",
        name="return-policy",
        description="The return policy, in words a shopper can be told.",
        mime_type="text/plain",
    )
    def return_policy() -> str:
        return RETURN_POLICY

    @server.prompt(
        name="where_is_my_order",
        description="A support conversation about one order: ask for the proof, then answer.",
    )
    def where_is_my_order(order_id: str) -> str:
        return (
            f"A shopper asks about order {order_id}. Ask them for the postal code the order "
            "ships to, then call order_status with verification.postal_code and tell them its "
            "explanation in your own words. Offer cancel_order_lines only while the answer shows "
            "nothing released, and start_return once it is delivered; give each action a new "
            "idempotency_key. Never ask for or repeat other personal data."
        )

    return server


async def http_caller(ctx: Any) -> Principal | None:
    """The Principal the gateway put on the HTTP request that carried this call."""
    request = ctx.request_context.request
    state = getattr(request, "scope", {}).get("state", {}) if request is not None else {}
    principal = state.get("principal")
    return principal if isinstance(principal, Principal) else None


def key_caller(keys: KeyCache, key: str) -> Caller:
    """One API key for the whole connection (stdio, in-process), checked on every call (a
    revoked key stops within ``CACHE_SECONDS``)."""

    async def who(ctx: Any) -> Principal | None:
        return await keys.principal(key)

    return who


class HttpEndpoint:
    """``/mcp``: streamable HTTP, stateless (any API process answers any call), JSON answers.
    Wrapped by the gateway in app.py, which authenticates before reading the body (bearer keys,
    not cookies: a browser cannot be made to send one, so no DNS-rebinding check is needed)."""

    def __init__(self, server: MCPServer) -> None:
        server.streamable_http_app(
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self.manager = server.session_manager

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.manager.handle_request(scope, receive, send)
