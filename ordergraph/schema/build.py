"""Schema assembly: root types in, a strawberry schema with our extensions out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLError
from strawberry import Schema
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig

from ordergraph.schema.access import AccessAndCost
from ordergraph.schema.execution import FastLeaves
from ordergraph.schema.guard import QueryGuard
from ordergraph.settings import Settings


def should_mask(error: GraphQLError) -> bool:
    """Hide bugs and infrastructure faults; show client mistakes (they are GraphQLErrors)."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class OrderGraphSchema(Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log bugs with their stack; client mistakes are answers, not incidents."""
        faults = [e for e in errors if should_mask(e) or (e.original_error is None and e.path)]
        if faults:
            super().process_errors(faults, execution_context)


def build_schema(
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
    settings: Settings | None = None,
) -> Schema:
    """The schema with its guards: size limits, access and cost, masked errors, fast caches.

    QueryGuard (guard.py) measures the expanded document in one linear pass (fields, depth,
    aliases, fragments) before graphql-core validates it, and parses and validates with caches;
    it replaces strawberry's QueryDepthLimiter, MaxAliasesLimiter and ValidationCache, which
    re-walk every fragment spread (exponential in a fan-out of spreads), and ParserCache, whose
    syntax errors escaped every extension. Plain leaf fields are read and serialised directly
    (execution.py: FastLeaves).
    """
    settings = settings or Settings()
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
    ]
    if not settings.development:
        extensions.append(DisableIntrospection)
    extensions += [
        lambda: QueryGuard(settings),
        AccessAndCost,
        lambda: MaskErrors(should_mask_error=should_mask, error_message="Internal error."),
    ]
    return OrderGraphSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=FastLeaves,
    )
