"""Schema assembly: root types in, a strawberry schema with our extensions out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLError
from strawberry import Schema
from strawberry.extensions import MaskErrors, ParserCache, SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig


def should_mask(error: GraphQLError) -> bool:
    """Hide bugs and infrastructure faults; show client mistakes (they are GraphQLErrors)."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class OrderGraphSchema(Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log bugs with their stack; client mistakes are answers, not incidents."""
        faults = [e for e in errors if should_mask(e) or e.original_error is None and e.path]
        if faults:
            super().process_errors(faults, execution_context)


def build_schema(
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
    extra_extensions: tuple[Callable[[], SchemaExtension] | type[SchemaExtension], ...] = (),
) -> Schema:
    return OrderGraphSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        extensions=[
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            *extra_extensions,
            lambda: MaskErrors(should_mask_error=should_mask, error_message="Internal error."),
        ],
        config=StrawberryConfig(auto_camel_case=True),
    )
