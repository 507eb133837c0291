"""Checks made before a request runs: who may call which root fields, and what it costs.

A refused request touches no resolver and no graph: the extension answers it itself. The answer
says the cost and what the caller's budget has left (``extensions.cost``), like Shopify's
calculated query cost with a leaky bucket that refills over time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from ordergraph.schema.cost import CostCalculator


@dataclass
class Bucket:
    capacity: float
    restore: float
    level: float
    at: float = field(default_factory=time.monotonic)

    def refill(self) -> float:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.at) * self.restore)
        self.at = now
        return self.level


class Budgets:
    """Per-key cost budgets (in-process; each API server keeps its own)."""

    def __init__(self, capacity: int, restore_per_second: int) -> None:
        self.capacity, self.restore = float(capacity), float(restore_per_second)
        self._buckets: dict[str, Bucket] = {}

    def take(self, key: str, cost: int) -> tuple[bool, float]:
        bucket = self._buckets.setdefault(key, Bucket(self.capacity, self.restore, self.capacity))
        level = bucket.refill()
        if cost > level:
            return False, level
        bucket.level -= cost
        return True, bucket.level


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


def refusal(message: str, code: str, **extra: Any) -> ExecutionResult:
    return ExecutionResult(
        data=None, errors=[GraphQLError(message, extensions={"code": code, **extra})]
    )


class AccessAndCost(SchemaExtension):
    """Role check on every root field, then the cost check; metrics of the operation."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        context: Any = ctx.context
        document = ctx.graphql_document
        started = time.perf_counter()
        self.cost_info: dict[str, Any] | None = None
        op = (
            next(
                (
                    d
                    for d in document.definitions
                    if isinstance(d, OperationDefinitionNode)
                    and (
                        ctx.operation_name is None
                        or (d.name and d.name.value == ctx.operation_name)
                    )
                ),
                None,
            )
            if document
            else None
        )
        names: list[str] = []
        if op is not None and context is not None:
            fragments = {
                d.name.value: d
                for d in document.definitions  # type: ignore[union-attr]
                if isinstance(d, FragmentDefinitionNode)
            }
            names = sorted(
                {n for n in root_fields(op.selection_set, fragments) if not n.startswith("__")}
            )
            principal = context.principal
            refused = [n for n in names if principal is None or not principal.may(n)]
            if refused:
                ctx.result = refusal(
                    f"this API key may not use {', '.join(refused)}", "FORBIDDEN", fields=refused
                )
            else:
                settings = context.settings
                cost = CostCalculator(ctx.schema._schema, fragments, ctx.variables).operation(op)
                budgets: Budgets | None = context.extra.get("budgets")
                left: float = settings.cost_bucket
                if cost > settings.max_query_cost:
                    ctx.result = refusal(
                        f"query cost {cost} is over the limit of {settings.max_query_cost}; ask "
                        "for fewer items (first:) or fewer fields",
                        "MAX_COST_EXCEEDED",
                        cost=cost,
                        maxCost=settings.max_query_cost,
                    )
                elif budgets is not None:
                    ok, left = budgets.take(principal.key_id if principal else "-", cost)
                    if not ok:
                        wait = (cost - left) / max(settings.cost_restore_per_second, 1)
                        ctx.result = refusal(
                            f"throttled: this query costs {cost} and {int(left)} points are left; "
                            f"retry in {wait:.1f}s",
                            "THROTTLED",
                            cost=cost,
                            retryAfter=round(wait, 1),
                        )
                self.cost_info = {
                    "requestedQueryCost": cost,
                    "throttleStatus": {
                        "maximumAvailable": settings.cost_bucket,
                        "currentlyAvailable": int(left),
                        "restoreRate": settings.cost_restore_per_second,
                    },
                }
        yield
        metrics = context.extra.get("metrics") if context is not None else None
        if metrics is not None:
            label = ",".join(names) if names else "__typename"
            metrics.requests.labels(operation=label[:80]).observe(time.perf_counter() - started)

    def get_results(self) -> dict[str, Any]:
        return {"cost": self.cost_info} if getattr(self, "cost_info", None) else {}
