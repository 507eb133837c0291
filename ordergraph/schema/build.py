"""Schema assembly: root types in, a strawberry schema with our extensions out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLError
from strawberry import Schema
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from ordergraph.schema.access import AccessAndCost
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
    """The schema with its guards: size limits, access and cost, masked errors, fast caches."""
    settings = settings or Settings()
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: ParserCache(maxsize=1024),
        lambda: QueryDepthLimiter(max_depth=settings.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
    ]
    if not settings.development:
        extensions.append(DisableIntrospection)
    extensions += [
        lambda: ValidationCache(maxsize=1024),
        AccessAndCost,
        lambda: MaskErrors(should_mask_error=should_mask, error_message="Internal error."),
    ]
    return OrderGraphSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
    )
