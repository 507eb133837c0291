"""The calculated cost of a query, before it runs (Shopify-style).

Every object costs 1 plus its selections; scalars cost nothing. A connection costs ``first``
times its node (``first`` from the argument or its variable, else the field's default); a plain
list costs its cap times its item: the number of items asked for (``skus``, ``lines``) where an
argument says so, else the cap below. Mutations cost 10 more, as they write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    value_from_ast,
)

MUTATION_COST = 10
DEFAULT_LIST_CAP = 10
# (parent type, field) -> how many items the list may hold
LIST_CAPS: Mapping[tuple[str, str], int] = {
    ("SkuAvailability", "locations"): 20,
    ("Order", "lines"): 20,
    ("Order", "fulfillments"): 5,
    ("Order", "events"): 20,
    ("Order", "returns"): 3,
    ("Fulfillment", "lines"): 20,
    ("PlannedShipment", "lines"): 20,
    ("RoutingPlan", "shipments"): 5,
    ("Query", "deliveryOptions"): 8,
}
# list arguments whose length is the number of items returned
SIZED_BY: Mapping[tuple[str, str], str] = {("Query", "availability"): "skus"}


def _unwrap(t: Any) -> tuple[Any, bool]:
    is_list = False
    while isinstance(t, GraphQLNonNull | GraphQLList):
        if isinstance(t, GraphQLList):
            is_list = True
        t = t.of_type
    return t, is_list


class CostCalculator:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any] | None,
    ) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables or {}

    def operation(self, op: OperationDefinitionNode) -> int:
        root = {
            "query": self.schema.query_type,
            "mutation": self.schema.mutation_type,
            "subscription": self.schema.subscription_type,
        }[op.operation.value]
        cost = self.selections(root, op.selection_set, set())
        return cost + (MUTATION_COST if op.operation.value == "mutation" else 0)

    def selections(
        self, parent: GraphQLObjectType | None, sel: SelectionSetNode | None, seen: set[str]
    ) -> int:
        if parent is None or sel is None:
            return 0
        total = 0
        for node in sel.selections:
            if isinstance(node, FieldNode):
                total += self.field(parent, node, seen)
            elif isinstance(node, InlineFragmentNode):
                target = (
                    self.schema.get_type(node.type_condition.name.value)
                    if node.type_condition
                    else parent
                )
                total += self.selections(
                    target if isinstance(target, GraphQLObjectType) else parent,
                    node.selection_set,
                    seen,
                )
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                frag = self.fragments.get(name)
                if frag is None or name in seen:
                    continue
                target = self.schema.get_type(frag.type_condition.name.value)
                total += self.selections(
                    target if isinstance(target, GraphQLObjectType) else parent,
                    frag.selection_set,
                    seen | {name},
                )
        return total

    def field(self, parent: GraphQLObjectType, node: FieldNode, seen: set[str]) -> int:
        name = node.name.value
        definition = parent.fields.get(name)
        if definition is None:  # __typename and introspection
            return 0
        inner, is_list = _unwrap(definition.type)
        if not isinstance(inner, GraphQLObjectType):
            return 0
        child = 1 + self.selections(inner, node.selection_set, seen)
        if inner.name.endswith("Connection"):
            return 2 + self.argument(node, definition, "first", 50) * max(child - 1, 1)
        if is_list:
            sized = SIZED_BY.get((parent.name, name))
            count = len(self.argument(node, definition, sized, [])) if sized else None
            cap = count if count else LIST_CAPS.get((parent.name, name), DEFAULT_LIST_CAP)
            return cap * child
        return child

    def argument(self, node: FieldNode, definition: Any, name: str, default: Any) -> Any:
        for arg in node.arguments or ():
            if arg.name.value == name:
                if isinstance(arg.value, VariableNode):
                    value = self.variables.get(arg.value.name.value, default)
                else:
                    value = value_from_ast(arg.value, definition.args[name].type, self.variables)
                return default if value is None else value
        arg_def = definition.args.get(name)
        if (
            arg_def is not None
            and arg_def.default_value not in (None,)
            and not _is_undefined(arg_def.default_value)
        ):
            return arg_def.default_value
        return default


def _is_undefined(value: Any) -> bool:
    return type(value).__name__ == "UndefinedType"
