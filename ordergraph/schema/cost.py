"""What a query asks for, measured before it runs, in time linear in the document's size.

Two passes, each visiting every fragment definition once (a fragment's figures are memoised, so
``fragment F20 { ...F19 ...F19 }`` costs 20 steps, not 2^20):

- ``shape``: the selections the document expands to (fields, deepest nesting, aliases), before
  validation, so that a document whose expansion is too big is refused before graphql-core's
  validation rules (some of which are super-linear in fragment fan-out) ever see it;
- ``CostCalculator``: the calculated cost (Shopify-style), on validated, coerced variables.

Every object costs 1 plus its selections; scalars cost nothing. A connection costs 2 plus
``first`` times its node (``first`` from the argument or its variable, else the field's default,
clamped to 0..MAX_PAGE); a plain list costs its cap times its item: the number of items asked for
(``skus``) where an argument says so (clamped to MAX_INPUT_LIST), else the cap below. Mutations
cost 10 more, as they write. ``actual_cost`` measures an answer the same way, counting the
objects it holds, so that a caller is charged what a query really cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    value_from_ast,
)

from ordergraph.schema.limits import MAX_INPUT_LIST, MAX_PAGE

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
# the list fields of a connection that hold its page (sized by the connection's ``first``)
PAGE_FIELDS = frozenset({"nodes", "edges"})


def _unwrap(t: Any) -> tuple[Any, bool]:
    is_list = False
    while isinstance(t, GraphQLNonNull | GraphQLList):
        if isinstance(t, GraphQLList):
            is_list = True
        t = t.of_type
    return t, is_list


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def operations_of(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


# ---- shape: fields, depth and aliases of the expansion ----------------------------------------


@dataclass(frozen=True)
class Shape:
    fields: int = 0  # field selections once every fragment spread is expanded
    depth: int = 0  # deepest field nesting
    aliases: int = 0  # aliased fields in the expansion

    def __add__(self, other: Shape) -> Shape:
        return Shape(
            self.fields + other.fields,
            max(self.depth, other.depth),
            self.aliases + other.aliases,
        )


class ShapeOf:
    """The shape of selection sets, memoised per fragment; cycles count as empty (validation
    reports them). Counts saturate at ``cap`` so that the numbers stay small."""

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode], cap: int) -> None:
        self.fragments, self.cap = fragments, cap
        self._memo: dict[str, Shape] = {}
        self._open: set[str] = set()

    def selection_set(self, sel: SelectionSetNode | None) -> Shape:
        total = Shape()
        if sel is None:
            return total
        for node in sel.selections:
            if isinstance(node, FieldNode):
                inner = self.selection_set(node.selection_set)
                # introspection (``__schema``, ``__type``) is deep by nature and does not count
                # for depth, as in strawberry's QueryDepthLimiter; it counts for everything else
                depth = 0 if node.name.value.startswith("__") else 1 + inner.depth
                part = Shape(1 + inner.fields, depth, inner.aliases + (1 if node.alias else 0))
            elif isinstance(node, InlineFragmentNode):
                part = self.selection_set(node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                part = self.fragment(node.name.value)
            else:  # pragma: no cover - graphql-core has no other selection
                continue
            total = total + part
            if total.fields > self.cap:
                return Shape(self.cap + 1, total.depth, min(total.aliases, self.cap + 1))
        return total

    def fragment(self, name: str) -> Shape:
        hit = self._memo.get(name)
        if hit is not None:
            return hit
        frag = self.fragments.get(name)
        if frag is None or name in self._open:
            return Shape()
        self._open.add(name)
        try:
            shape = self.selection_set(frag.selection_set)
        finally:
            self._open.discard(name)
        self._memo[name] = shape
        return shape


def overlap(
    sel: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode], limit: int
) -> int:
    """The sum, over response paths (``sku.locations.id``), of the square of how many fields of
    the expansion share that path, up to ``limit + 1``.

    It measures the work of graphql-core's OverlappingFieldsCanBeMergedRule, which compares every
    pair of fields that share a response name, and again inside their merged sub-selections (the
    sum was 320,000 for 20 copies of ``locations { location { id } }`` x 20, validated in 1.2 s).
    Walks the expansion node by node: call it once ``ShapeOf`` said the expansion is small."""
    counts: dict[str, int] = {}
    total = 0
    stack: list[tuple[SelectionSetNode, str, frozenset[str]]] = [(sel, "", frozenset())]
    while stack:
        node_set, prefix, open_ = stack.pop()
        for node in node_set.selections:
            if isinstance(node, FieldNode):
                path = f"{prefix}.{node.alias.value if node.alias else node.name.value}"
                count = counts.get(path, 0) + 1
                counts[path] = count
                total += 2 * count - 1  # (n + 1)^2 - n^2
                if total > limit:
                    return limit + 1
                if node.selection_set is not None:
                    stack.append((node.selection_set, path, open_))
            elif isinstance(node, InlineFragmentNode):
                stack.append((node.selection_set, prefix, open_))
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                frag = fragments.get(name)
                if frag is not None and name not in open_:
                    stack.append((frag.selection_set, prefix, open_ | {name}))
    return total


# ---- cost ---------------------------------------------------------------------------------------


def _clamp(value: Any, low: int, high: int, default: int) -> int:
    """An integer argument used in cost: anything not a whole number counts as the default."""
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return max(low, min(high, value))


class CostCalculator:
    """The requested cost of an operation; fragments are costed once per parent type."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any] | None,
    ) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables or {}
        self.read_variables = False  # whether the cost depends on the variables (else: cacheable)
        self._memo: dict[tuple[str, str, int | None], int] = {}
        self._open: set[str] = set()

    def operation(self, op: OperationDefinitionNode) -> int:
        root = {
            "query": self.schema.query_type,
            "mutation": self.schema.mutation_type,
            "subscription": self.schema.subscription_type,
        }[op.operation.value]
        cost = self.selections(root, op.selection_set)
        return cost + (MUTATION_COST if op.operation.value == "mutation" else 0)

    def selections(
        self,
        parent: GraphQLObjectType | None,
        sel: SelectionSetNode | None,
        page: int | None = None,
    ) -> int:
        """``page``: inside a connection, how many items its page fields hold."""
        if parent is None or sel is None:
            return 0
        total = 0
        for node in sel.selections:
            if isinstance(node, FieldNode):
                total += self.field(parent, node, page)
            elif isinstance(node, InlineFragmentNode):
                target = (
                    self.schema.get_type(node.type_condition.name.value)
                    if node.type_condition
                    else parent
                )
                total += self.selections(
                    target if isinstance(target, GraphQLObjectType) else parent,
                    node.selection_set,
                    page,
                )
            elif isinstance(node, FragmentSpreadNode):
                total += self.fragment(parent, node.name.value, page)
        return total

    def fragment(self, parent: GraphQLObjectType, name: str, page: int | None) -> int:
        key = (name, parent.name, page)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        frag = self.fragments.get(name)
        if frag is None or name in self._open:
            return 0
        target = self.schema.get_type(frag.type_condition.name.value)
        self._open.add(name)
        try:
            cost = self.selections(
                target if isinstance(target, GraphQLObjectType) else parent,
                frag.selection_set,
                page,
            )
        finally:
            self._open.discard(name)
        self._memo[key] = cost
        return cost

    def field(self, parent: GraphQLObjectType, node: FieldNode, page: int | None) -> int:
        name = node.name.value
        definition = parent.fields.get(name)
        if definition is None:  # __typename and introspection
            return 0
        inner, is_list = _unwrap(definition.type)
        if not isinstance(inner, GraphQLObjectType):
            return 0
        if inner.name.endswith("Connection"):
            first = _clamp(self.argument(node, definition, "first", 50), 0, MAX_PAGE, 50)
            # 2 for the connection, then its page: ``first`` times each node
            return 2 + self.selections(inner, node.selection_set, first)
        child = 1 + self.selections(inner, node.selection_set)
        if is_list:
            if page is not None and name in PAGE_FIELDS:
                return page * child
            sized = SIZED_BY.get((parent.name, name))
            items = self.argument(node, definition, sized, None) if sized else None
            count = min(len(items), MAX_INPUT_LIST) if isinstance(items, list) else 0
            cap = count if count else LIST_CAPS.get((parent.name, name), DEFAULT_LIST_CAP)
            return cap * child
        return child

    def argument(self, node: FieldNode, definition: Any, name: str, default: Any) -> Any:
        for arg in node.arguments or ():
            if arg.name.value == name:
                self.read_variables = self.read_variables or _has_variable(arg.value)
                if isinstance(arg.value, VariableNode):
                    value = self.variables.get(arg.value.name.value, default)
                else:
                    value = value_from_ast(
                        arg.value, definition.args[name].type, dict(self.variables)
                    )
                return default if value is None or _is_undefined(value) else value
        arg_def = definition.args.get(name)
        if (
            arg_def is not None
            and arg_def.default_value is not None
            and not _is_undefined(arg_def.default_value)
        ):
            return arg_def.default_value
        return default


def _has_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_has_variable(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_has_variable(f.value) for f in value.fields)
    return False


def _is_undefined(value: Any) -> bool:
    return type(value).__name__ == "UndefinedType"


# ---- actual cost: the same model over the answer ------------------------------------------------


def actual_cost(data: Any, mutation: bool = False) -> int:
    """What an answer cost: 1 for every object it holds (a connection's page objects included),
    plus the mutation's 10. Never more than was requested: the caller takes the minimum."""
    count = 0
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            count += 1
            stack.extend(v for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, dict | list))
    # the root object ("data" itself) is not an object the caller asked for
    return max(count - 1, 0) + (MUTATION_COST if mutation else 0)
