"""The action tools: what a shopper may ask an assistant to change, within policy
(``domain/assistant.py``), idempotent (``services/idempotency.py``), each one written as order
events that record who asked, through which key, through MCP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from mcp.types import CallToolResult

from ordergraph.domain.access import Principal
from ordergraph.domain.assistant import actor
from ordergraph.domain.lifecycle import Change
from ordergraph.graph import orders as reads
from ordergraph.graph.store import GraphStore
from ordergraph.mcp import shapes
from ordergraph.mcp.guard import answered
from ordergraph.services import idempotency, lifecycle, returns
from ordergraph.services.tracking import ProofAttempts, proved_view

Act = Callable[[Mapping[str, str]], Awaitable[dict[str, Any]]]


async def _status(store: GraphStore, order_id: str) -> str:
    (rec,) = await reads.orders_by_id(store, [order_id])
    return "UNKNOWN" if rec is None else rec.status.value


def _events(change: Change) -> list[str]:
    return [e.id for e in change.events]


async def _act(
    store: GraphStore,
    who: Principal,
    attempts: ProofAttempts,
    tool: str,
    order_id: str,
    verification: shapes.Verification | None,
    idempotency_key: str,
    arguments: Mapping[str, Any],
    act: Act,
) -> shapes.ActionResult:
    """Check the order is the caller's (as ``order_status`` does), then act once per key."""
    idempotency.check_key(idempotency_key)
    proof = None if verification is None else verification.postal_code
    await proved_view(store, who, attempts, order_id, None, None, proof)
    by = actor(who.key_id, who.role.value, idempotency_key=idempotency_key)
    result, replayed = await idempotency.once(
        store, who.key_id, idempotency_key, tool, arguments, lambda: act(by)
    )
    return shapes.ActionResult.model_validate(result | {"replayed": replayed})


async def cancel_order_lines(
    store: GraphStore,
    who: Principal,
    attempts: ProofAttempts,
    order_id: str,
    lines: Sequence[shapes.Line] | None,
    reason: str | None,
    verification: shapes.Verification | None,
    idempotency_key: str,
) -> CallToolResult:
    asked = None if lines is None else [(line.sku, line.quantity) for line in lines]

    async def act(by: Mapping[str, str]) -> dict[str, Any]:
        change = await lifecycle.cancel_order(
            store, order_id, asked, reason, actor=by, before_release=True
        )
        cancelled = [
            {"sku": line["sku"], "quantity": line["quantity"]}
            for e in change.events
            if e.type in ("OrderCancelled", "OrderLinesCancelled")
            for line in e.payload.get("lines", [])
        ]
        return {
            "order_id": order_id,
            "status": await _status(store, order_id),
            "events": _events(change),
            "cancelled": cancelled,
        }

    arguments = {"order_id": order_id, "lines": asked, "reason": reason}
    result = await _act(
        store,
        who,
        attempts,
        "cancel_order_lines",
        order_id,
        verification,
        idempotency_key,
        arguments,
        act,
    )
    return answered(result, f"Cancelled on order {order_id}; it is now {result.status.lower()}.")


async def change_pickup_store(
    store: GraphStore,
    who: Principal,
    attempts: ProofAttempts,
    order_id: str,
    new_store: str,
    verification: shapes.Verification | None,
    idempotency_key: str,
) -> CallToolResult:
    async def act(by: Mapping[str, str]) -> dict[str, Any]:
        change = await lifecycle.update_order(store, order_id, pickup_at=new_store, actor=by)
        return {
            "order_id": order_id,
            "status": await _status(store, order_id),
            "events": _events(change),
            "pickup_at": new_store,
        }

    arguments = {"order_id": order_id, "store": new_store}
    result = await _act(
        store,
        who,
        attempts,
        "change_pickup_store",
        order_id,
        verification,
        idempotency_key,
        arguments,
        act,
    )
    return answered(result, f"Order {order_id} will be ready for pickup at {new_store}.")


async def start_return(
    store: GraphStore,
    who: Principal,
    attempts: ProofAttempts,
    order_id: str,
    lines: Sequence[shapes.Line],
    reason: str | None,
    drop_off: str | None,
    verification: shapes.Verification | None,
    idempotency_key: str,
) -> CallToolResult:
    asked = [(line.sku, line.quantity) for line in lines]

    async def act(by: Mapping[str, str]) -> dict[str, Any]:
        return_id, change = await returns.create_return(
            store, order_id, asked, reason, drop_off, actor=by
        )
        found = await returns.find_return(store, return_id)
        location = found.location_id if found is not None else drop_off
        return {
            "order_id": order_id,
            "status": await _status(store, order_id),
            "events": _events(change),
            "return_id": return_id,
            "return_location": location,
            "drop_off": drop_off is not None,
            "label_url": None,
            "instructions": (
                f"Bring the items to {location} and give the return number {return_id}."
                if drop_off is not None
                else f"Send the items to {location} with the return number {return_id} "
                "on the parcel."
            ),
        }

    arguments = {"order_id": order_id, "lines": asked, "reason": reason, "drop_off": drop_off}
    result = await _act(
        store,
        who,
        attempts,
        "start_return",
        order_id,
        verification,
        idempotency_key,
        arguments,
        act,
    )
    return answered(result, f"Return {result.return_id} started. {result.instructions}")
