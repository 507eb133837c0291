"""What every tool call passes before it runs, in the order GraphQL applies them: the API key
(a ``Principal`` from services/apikeys.py), the role's table (``domain/access.py``: the tool's
name is the operation), strings the engine cannot hold (as ``http/text.py`` refuses them), and
the key's cost budget (services/budgets.py, the same leaky bucket as /graphql). Expected
failures are answered as data: a tool result with ``isError`` and ``{"error": {code, message,
field}}``, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, ValidationError

from ordergraph.domain.access import Principal
from ordergraph.domain.errors import OrderGraphError
from ordergraph.graph.store import GraphStore
from ordergraph.http.graphql import CheckedStore
from ordergraph.http.text import value_problem
from ordergraph.services.budgets import Budget, Budgets
from ordergraph.services.tracking import ProofAttempts
from ordergraph.services.worker_cache import WorkerCache
from ordergraph.settings import Settings

log = logging.getLogger("ordergraph.mcp")

# points a call takes from the key's bucket: about what the same question costs over GraphQL
COST: Mapping[str, int] = {
    "find_products": 10,
    "check_availability": 20,
    "delivery_options": 50,
    "order_status": 20,
    "explain_routing": 20,
    "cancel_order_lines": 30,
    "change_pickup_store": 30,
    "start_return": 30,
    "resources/read": 10,  # a resource reads the graph too (the store list)
}

Caller = Callable[[Any], Awaitable[Principal | None]]  # the tool's Context -> who calls


@dataclass
class Deps:
    """What the tools use: the store (as the app holds it), settings, budgets, the caller."""

    store: Callable[[], GraphStore]
    settings: Settings
    budgets: Budgets
    caller: Caller
    attempts: ProofAttempts = field(default_factory=ProofAttempts)
    cache: WorkerCache | None = None  # the worker's network and answers (services/worker_cache)


class Refusal(Exception):
    def __init__(self, code: str, message: str, field: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


def refused(code: str, message: str, field: tuple[str, ...] = ()) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=f"Refused ({code}): {message}")],
        structured_content={"error": {"code": code, "message": message, "field": list(field)}},
        is_error=True,
    )


def invalid_arguments(exc: ValidationError) -> CallToolResult:
    """Arguments that do not match a tool's input schema, refused as data like every other
    refusal (``INVALID_INPUT`` with the path), in our words: the first problem's place and the
    schema's rule, without the value given, the model's name or the library's links."""
    first = exc.errors(include_url=False, include_input=False, include_context=False)[0]
    path = tuple(str(part) for part in first["loc"])
    where = ".".join(path) or "arguments"
    rule = str(first["msg"])[:200]
    more = exc.error_count() - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return refused("INVALID_INPUT", f"{where}: {rule}{tail}", path)


def answered(shape: BaseModel, text: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=shape.model_dump(mode="json"),
    )


Work = Callable[[GraphStore, Principal], Awaitable[CallToolResult]]


async def charge(deps: Deps, who: Principal, cost: int) -> tuple[str, str] | None:
    """Take ``cost`` from the key's bucket; (code, why) when it cannot be taken."""
    budget = Budget(*deps.settings.budget_of(who.role.value, who.budget))
    try:
        taken = await deps.budgets.take(who.key_id, cost, budget)
    except Exception:
        log.exception("cost budget lease failed")
        return "UNAVAILABLE", "this API key's budget could not be checked; retry shortly"
    if not taken.ok:
        wait = (cost - taken.available) / budget.restore_per_second
        return (
            "THROTTLED",
            f"this call costs {cost} points and {int(taken.available)} are left; "
            f"retry in {wait:.1f}s",
        )
    return None


async def guarded(
    deps: Deps, ctx: Any, tool: str, arguments: Mapping[str, Any], work: Work
) -> CallToolResult:
    """Run ``work`` for the caller of ``ctx`` if every check passes; a refusal otherwise."""
    who = await deps.caller(ctx)
    if who is None:
        return refused("UNAUTHENTICATED", "unknown or revoked API key")
    if not who.may(tool):
        return refused("FORBIDDEN", f"this API key may not use {tool}")
    why = value_problem(dict(arguments), strict=False)
    if why:
        return refused("INVALID_INPUT", f"input text may not hold {why.partition(' holds ')[2]}")
    over = await charge(deps, who, COST[tool])
    if over is not None:
        return refused(*over)
    store: Any = CheckedStore(deps.store())
    try:
        return await work(store, who)
    except Refusal as exc:
        return refused(exc.code, exc.message, exc.field)
    except OrderGraphError as exc:
        return refused(exc.code.value, exc.message, exc.field)
