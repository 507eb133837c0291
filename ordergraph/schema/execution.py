"""Execution with a fast path for plain leaf fields (issue #13, docs/performance.md).

An availability answer is some 800-1,900 fields, almost all of them plain attributes of a
strawberry type (``onHand``, ``distanceKm``, a location's ``id``): no resolver, no arguments, a
scalar or enum value. graphql-core builds a resolve info, calls strawberry's wrapper, checks
for awaitables and completes each of them; here such a field reads the attribute and
serialises it, which is what that path ends in. Anything else (a resolver, arguments, a null, a
value that does not serialise, an object or a list) takes graphql-core's own path, so answers
and errors are the same (tests/api/test_execution.py compares them).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Leaf = GraphQLScalarType | GraphQLEnumType
# per field definition: (python attribute, leaf type) when it may take the fast path, else None
_PLAIN: dict[int, tuple[str, Leaf] | None] = {}


def plain_leaf(field_def: GraphQLField) -> tuple[str, Leaf] | None:
    """The attribute and leaf type of a field that only reads an attribute, else None."""
    key = id(field_def)
    if key in _PLAIN:
        return _PLAIN[key]
    found: tuple[str, Leaf] | None = None
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    of = field_def.type.of_type if isinstance(field_def.type, GraphQLNonNull) else field_def.type
    if (
        isinstance(definition, StrawberryField)
        and definition.is_basic_field
        and not field_def.args
        and getattr(field_def.resolve, "_is_default", False)
        and isinstance(of, GraphQLScalarType | GraphQLEnumType)
    ):
        found = (definition.python_name, of)
    _PLAIN[key] = found  # field definitions live as long as their schema
    return found


class FastLeaves(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, with plain leaf fields read and serialised directly."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        field_def = self.schema.get_field(parent_type, node.name.value)
        manager = self.middleware_manager
        plain_only = manager is None or not manager.middlewares  # strawberry passes none
        if field_def is not None and not node.arguments and plain_only:
            plain = plain_leaf(field_def)
            if plain is not None:
                value = getattr(source, plain[0], None)
                if value is not None:
                    try:
                        serialised = plain[1].serialize(value)
                    except Exception:  # graphql-core's path reports it, as it always has
                        serialised = None
                    if serialised is not None and serialised is not Undefined:
                        return serialised
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
