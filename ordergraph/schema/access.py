"""Checks made before a request runs: who may call which root fields, and what it costs.

A refused request touches no resolver and no graph: the extension answers it itself (for a
subscription it raises, as strawberry's subscription path ignores a pre-set result).

Cost follows Shopify's model: the calculated (requested) cost is charged up front from the key's
leaky bucket, the answer's actual cost is measured after execution and the difference refunded;
``extensions.cost`` says ``requestedQueryCost``, ``actualQueryCost`` and ``throttleStatus``
(``maximumAvailable``, ``currentlyAvailable``, ``restoreRate``). Buckets are shared by every API
process through the graph (services/budgets.py). Subscriptions pass the same role and cost
checks, and are capped per connection and per key.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from ordergraph.schema.cost import CostCalculator, actual_cost, fragments_of
from ordergraph.schema.guard import ANALYSIS, done, keep, refuse
from ordergraph.services.budgets import Budget, Budgets

__all__ = ["AccessAndCost", "Budgets", "root_fields"]
log = logging.getLogger("ordergraph.access")


def root_fields(
    sel: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str] = frozenset(),
) -> Iterator[str]:
    for node in sel.selections:
        if isinstance(node, FieldNode):
            yield node.name.value
        elif isinstance(node, InlineFragmentNode):
            yield from root_fields(node.selection_set, fragments, seen)
        elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
            frag = fragments.get(node.name.value)
            if frag is not None:
                yield from root_fields(frag.selection_set, fragments, seen | {node.name.value})


class Subscriptions:
    """Live subscriptions per key in this process (per connection: in the connection's context)."""

    def __init__(self) -> None:
        self.by_key: dict[str, int] = {}


# the requested cost of an operation whose cost reads no variable, per (document, operation)
_COSTS: OrderedDict[tuple[Any, ...], int] = OrderedDict()
_COSTS_MAX = 1024


def requested_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    op: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> int:
    """The operation's calculated cost; computed once when it does not depend on variables."""
    key = (schema, document, op)
    cost = _COSTS.get(key)
    if cost is None:
        calculator = CostCalculator(schema, fragments, variables)
        cost = max(calculator.operation(op), 0)
        if calculator.read_variables:
            return cost
    keep(_COSTS, key, cost, _COSTS_MAX)
    return cost


class AccessAndCost(SchemaExtension):
    """Role check on every root field, then the cost check and charge; metrics of the operation."""

    def on_operation(self) -> Iterator[None]:
        self.cost_info: dict[str, Any] | None = None
        self._holds: list[tuple[dict[str, int], str]] = []
        try:
            yield
        finally:
            self._release()  # a subscription's stream has ended

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        context: Any = ctx.context
        started = time.perf_counter()
        analysis = getattr(ctx, ANALYSIS, None)
        op: OperationDefinitionNode | None = analysis["operation"] if analysis else None
        names: list[str] = []
        charged: tuple[Budgets, str, int, Budget] | None = None
        if op is not None and context is not None and analysis is not None:
            try:
                names, problem, charged = await self._check(op, analysis["variables"], context)
            except Exception:  # a bug here must not reach the client unmasked (see below)
                log.exception("access and cost check failed")
                problem = refuse("Internal error.", "INTERNAL")
            if problem is not None:
                if op.operation.value == "subscription":
                    raise problem
                ctx.result = ExecutionResult(data=None, errors=[problem])
        elif context is not None:  # not analysed (no QueryGuard): fail closed, never unchecked
            problem = refuse("Internal error.", "INTERNAL")
            if ctx.operation_type.value == "subscription":
                raise problem
            ctx.result = ExecutionResult(data=None, errors=[problem])
        yield
        if charged is not None and op is not None and op.operation.value != "subscription":
            budgets, key, requested, budget = charged
            data = getattr(ctx.result, "data", None)
            actual = min(requested, actual_cost(data, op.operation.value == "mutation"))
            budgets.refund(key, requested - actual)
            self._info(requested, actual, budget, budgets.available(key, budget))
        metrics = context.extra.get("metrics") if context is not None else None
        if metrics is not None:
            label = ",".join(names) if names else "__typename"
            metrics.requests.labels(operation=label[:80]).observe(time.perf_counter() - started)

    async def _check(
        self, op: OperationDefinitionNode, variables: dict[str, Any], context: Any
    ) -> tuple[list[str], GraphQLError | None, tuple[Budgets, str, int, Budget] | None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        assert document is not None
        fragments = fragments_of(document)
        names = sorted(
            {n for n in root_fields(op.selection_set, fragments) if not n.startswith("__")}
        )
        principal = context.principal
        refused = [n for n in names if principal is None or not principal.may(n)]
        if refused:
            return (
                names,
                refuse(
                    f"this API key may not use {', '.join(refused)}", "FORBIDDEN", fields=refused
                ),
                None,
            )
        settings = context.settings
        cost = requested_cost(ctx.schema._schema, document, op, fragments, variables)
        done(ctx)  # the analysis ends here; what follows is the budget
        budget = Budget(*settings.budget_of(principal.role.value, principal.budget))
        budgets: Budgets | None = context.extra.get("budgets")
        key = principal.key_id
        left = budgets.available(key, budget) if budgets is not None else float(budget.capacity)
        self._info(cost, None, budget, left)
        limit = min(settings.max_query_cost, budget.capacity)
        if cost > limit:
            return (
                names,
                refuse(
                    f"query cost {cost} is over the limit of {limit}; ask "
                    "for fewer items (first:) or fewer fields",
                    "MAX_COST_EXCEEDED",
                    cost=cost,
                    maxCost=limit,
                ),
                None,
            )
        if op.operation.value == "subscription":
            problem = self._hold_subscription(context, key)
            if problem is not None:
                return names, problem, None
        if budgets is None or cost == 0:
            return names, None, None
        try:
            charge = await budgets.take(key, cost, budget)
        except Exception:  # the graph is down: refuse cleanly (an error here is not masked)
            log.exception("cost budget lease failed")
            return (
                names,
                refuse("this API key's budget could not be checked; retry shortly", "UNAVAILABLE"),
                None,
            )
        self._info(cost, None, budget, charge.available)
        if not charge.ok:
            self._release()
            wait = (cost - charge.available) / budget.restore_per_second
            return (
                names,
                refuse(
                    f"throttled: this query costs {cost} and {int(charge.available)} points are "
                    f"left; retry in {wait:.1f}s",
                    "THROTTLED",
                    cost=cost,
                    retryAfter=round(wait, 1),
                ),
                None,
            )
        return names, None, (budgets, key, cost, budget)

    def _hold_subscription(self, context: Any, key: str) -> GraphQLError | None:
        settings = context.settings
        per_conn: dict[str, int] = context.extra.setdefault("subscriptions", {})
        live: Subscriptions | None = context.extra.get("live")
        per_key = live.by_key if live is not None else {}
        if per_conn.get("", 0) >= settings.max_subscriptions_per_connection:
            return refuse(
                f"at most {settings.max_subscriptions_per_connection} subscriptions per connection",
                "TOO_MANY_SUBSCRIPTIONS",
            )
        if per_key.get(key, 0) >= settings.max_subscriptions_per_key:
            return refuse(
                f"at most {settings.max_subscriptions_per_key} subscriptions per API key",
                "TOO_MANY_SUBSCRIPTIONS",
            )
        for counts, name in ((per_conn, ""), (per_key, key)):
            counts[name] = counts.get(name, 0) + 1
            self._holds.append((counts, name))
        return None

    def _release(self) -> None:
        for counts, name in self._holds:
            counts[name] = max(counts.get(name, 1) - 1, 0)
        self._holds = []

    def _info(self, requested: int, actual: int | None, budget: Budget, left: float) -> None:
        self.cost_info = {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": budget.capacity,
                "currentlyAvailable": int(left),
                "restoreRate": budget.restore_per_second,
            },
        }

    def get_results(self) -> dict[str, Any]:
        return {"cost": self.cost_info} if getattr(self, "cost_info", None) else {}
