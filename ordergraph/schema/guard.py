"""The request guard: every check a document passes before it runs, in one linear pass.

Order (each step refuses with a GraphQL error and a code; nothing after it runs):

1. parse, with the token cap (MaxTokensLimiter, in build.py);
2. counts of the document as written: operations, fragment definitions, fragment spreads;
3. the shape of its expansion (fields, depth, aliases) with every fragment measured once
   (``cost.ShapeOf``): an exponential fan-out of spreads is refused here, in microseconds; then
   the fields that share a response path (``cost.overlap``), which bounds the pairwise merge
   check of graphql-core's OverlappingFieldsCanBeMergedRule;
4. graphql-core's validation (cached), which only ever sees a document of bounded expansion;
5. the operation: a document with several operations needs ``operationName`` (spec 6.1);
6. variables coerced against their declared types (standard GraphQL errors, never a crash).

Then AccessAndCost (access.py) checks roles and cost. Every error message that leaves the server
is cut to ``MAX_MESSAGE`` characters, and in production suggestions ("Did you mean 'sku'?") are
removed, since they reveal the schema that introspection hides. The time spent before execution
is sent as ``Server-Timing: analysis;dur=<ms>``: the CPU time of this thread (the analysis is
synchronous, so that is how long it holds the event loop, and unlike wall time it does not
grow when other processes load the machine).
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FloatValueNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    Visitor,
    parse,
    validate,
    visit,
)
from graphql.execution.values import get_variable_values
from graphql.validation import ASTValidationRule
from starlette.requests import Request
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from ordergraph.domain.errors import MAX_MESSAGE, bounded
from ordergraph.schema.cost import ShapeOf, fragments_of, operations_of, overlap
from ordergraph.settings import Settings

# GraphQL's lexical tokens (spec 2.1): block strings, strings, numbers, names, punctuators;
# white space, commas and comments are not tokens. Matching left to right keeps a "#" or a word
# inside a string inside its one string token, so this never counts more than the parser would.
_TOKEN = re.compile(
    r'"""(?:\\"""|(?!""")[\s\S])*"""'
    r'|"(?:\\.|[^"\\\n\r])*"'
    r"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
    r"|[_A-Za-z][_0-9A-Za-z]*"
    r"|\.\.\.|[!$&()\[\]{}:=@|]"
    r"|#[^\n\r]*"
)


def too_many_tokens(query: str, limit: int) -> bool:
    """Whether ``query`` has more than ``limit`` tokens, found by a C regex in about a
    millisecond, before graphql-core's lexer (pure Python, ~20 ms for 4,000 tokens) is asked."""
    count = 0
    for match in _TOKEN.finditer(query):
        if match.group().startswith("#"):
            continue
        count += 1
        if count > limit:
            return True
    return False


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?", re.DOTALL)

# the analysis of one execution is kept on its ExecutionContext under this attribute
ANALYSIS = "ordergraph_analysis"
_STARTED = "ordergraph_started"
_REFUSED = "ordergraph_refused"  # a document refused before parsing: the error to report
_PLACEHOLDER = parse("{ __typename }")  # stands in for a refused document until on_validate
TOO_MANY_TOKENS = "Syntax Error: Document contains more than {} tokens. Parsing aborted."


@lru_cache(maxsize=1024)
def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    """graphql-core's validation with strawberry's own rules, cached per document."""
    every = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    return validate(schema, document, every, hide_suggestions=hide_suggestions)


_PARSED: OrderedDict[tuple[str, int | None], DocumentNode] = OrderedDict()
_PARSED_MAX = 1024
MAX_NUMBER_LITERAL = 40  # characters of one Int or Float literal (2**63 has 19 digits)
# characters of one document: graphql-core's lexer is pure Python (~0.25 ms per kB, more for
# escapes), so a long literal or name costs time although it is one token; long values go in
# the variables, which are decoded by orjson
MAX_DOCUMENT = 50_000


def lexical_problem(query: str, limit: int | None) -> GraphQLError | None:
    """Why ``query`` may not reach the lexer: too long, or more than ``limit`` tokens."""
    if len(query) > MAX_DOCUMENT:
        return refuse(
            f"the document is {len(query):,} characters; at most {MAX_DOCUMENT:,} "
            "(send long values as variables)",
            "DOCUMENT_TOO_LARGE",
        )
    if limit is not None and too_many_tokens(query, limit):
        return GraphQLError(TOO_MANY_TOKENS.format(limit))
    return None


def parsed(query: str, limit: int | None) -> DocumentNode:
    """``query`` parsed with the token cap, through the cache ``QueryGuard.on_parse`` reads: a
    document checked before execution (the HTTP view's text check) is not parsed again.
    Raises GraphQLError for a syntax error , too many tokens or too many characters."""
    key = (query, limit)
    cached = _PARSED.get(key)
    if cached is not None:
        _PARSED.move_to_end(key)
        return cached
    problem = lexical_problem(query, limit)
    if problem is not None:
        raise problem
    document = parse(query, max_tokens=limit)
    _remember(key, document)
    return document


def _remember(key: tuple[str, int | None], document: DocumentNode) -> None:
    keep(_PARSED, key, document, _PARSED_MAX)


def keep(cache: OrderedDict[Any, Any], key: Any, value: Any, maxsize: int) -> None:
    """Put ``value`` in an LRU ``cache`` of at most ``maxsize`` entries."""
    cache[key] = value
    cache.move_to_end(key)
    if len(cache) > maxsize:
        cache.popitem(last=False)


# steps 2-4 per document (the same object for the same text, from _PARSED) and limits: a
# repeated document (a persisted query above all) is measured and validated once
_ANALYSED: OrderedDict[tuple[Any, ...], list[GraphQLError]] = OrderedDict()


def analysed(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    settings: Settings,
) -> list[GraphQLError]:
    """The shape check, then graphql-core's validation, of ``document``: cached."""
    limits = (
        *(settings.max_operations, settings.max_fragments, settings.max_spreads),
        *(settings.max_fields, settings.max_depth, settings.max_aliases, settings.max_overlap),
    )
    key = (schema, document, rules, settings.development, limits)
    errors = _ANALYSED.get(key)
    if errors is None:
        problem = shape_problem(document, settings)
        errors = (
            [problem]
            if problem is not None
            else _validate(schema, document, rules, not settings.development)
        )
    keep(_ANALYSED, key, errors, _PARSED_MAX)
    return errors


class _Counter(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.spreads = 0
        self.longest_number = 0  # Python refuses int() of over 4300 digits: refuse far sooner

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.spreads += 1

    def enter_int_value(self, node: IntValueNode, *_: Any) -> None:
        self.longest_number = max(self.longest_number, len(node.value))

    def enter_float_value(self, node: FloatValueNode, *_: Any) -> None:
        self.longest_number = max(self.longest_number, len(node.value))


def refuse(message: str, code: str, **extra: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extra})


def shape_problem(document: DocumentNode, settings: Settings) -> GraphQLError | None:
    """Steps 2 and 3: what the document is and what it expands to, in linear time."""
    operations = operations_of(document)
    fragments = fragments_of(document)
    if len(operations) > settings.max_operations:
        return refuse(
            f"{len(operations)} operations in one document; at most {settings.max_operations}",
            "TOO_MANY_OPERATIONS",
        )
    if len(fragments) > settings.max_fragments:
        return refuse(
            f"{len(fragments)} fragment definitions; at most {settings.max_fragments}",
            "TOO_MANY_FRAGMENTS",
        )
    counter = _Counter()
    visit(document, counter)
    if counter.longest_number > MAX_NUMBER_LITERAL:
        return refuse(
            f"a number literal of {counter.longest_number} characters; at most "
            f"{MAX_NUMBER_LITERAL}",
            "INVALID_INPUT",
        )
    if counter.spreads > settings.max_spreads:
        return refuse(
            f"{counter.spreads} fragment spreads; at most {settings.max_spreads}",
            "TOO_MANY_FRAGMENTS",
        )
    shapes = ShapeOf(fragments, settings.max_fields)
    for op in operations:
        shape = shapes.selection_set(op.selection_set)
        name = op.name.value if op.name else "anonymous"
        if shape.fields > settings.max_fields:
            return refuse(
                f"'{name}' selects more than {settings.max_fields} fields once its fragments "
                "are expanded; ask for fewer fields",
                "MAX_FIELDS_EXCEEDED",
                maxFields=settings.max_fields,
            )
        if shape.depth > settings.max_depth:
            return refuse(
                f"'{name}' exceeds maximum operation depth of {settings.max_depth}",
                "MAX_DEPTH_EXCEEDED",
                maxDepth=settings.max_depth,
            )
        if shape.aliases > settings.max_aliases:
            return refuse(
                f"{shape.aliases} aliases found. Allowed: {settings.max_aliases}",
                "MAX_ALIASES_EXCEEDED",
                maxAliases=settings.max_aliases,
            )
        if overlap(op.selection_set, fragments, settings.max_overlap) > settings.max_overlap:
            return refuse(
                f"'{name}' selects the same fields too many times over (their merge check would "
                f"exceed {settings.max_overlap} comparisons); select each field once",
                "MAX_OVERLAP_EXCEEDED",
                maxOverlap=settings.max_overlap,
            )
    return None


def chosen_operation(
    document: DocumentNode, name: str | None
) -> OperationDefinitionNode | GraphQLError:
    operations = operations_of(document)
    if name is None:
        if len(operations) == 1:
            return operations[0]
        return refuse(
            "Must provide operation name if query contains multiple operations.",
            "OPERATION_NAME_REQUIRED",
        )
    for op in operations:
        if op.name and op.name.value == name:
            return op
    return refuse(f"Unknown operation named '{bounded(name, 100)}'.", "UNKNOWN_OPERATION")


def clean(error: GraphQLError, production: bool) -> GraphQLError:
    """Bound the message; in production, drop suggestions that reveal the schema."""
    message = error.message
    if production:
        message = _SUGGESTION.sub("", message)
    error.message = bounded(message, MAX_MESSAGE)
    return error


class QueryGuard(SchemaExtension):
    """Steps 2-6 above, the Server-Timing header and the error clean-up."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        setattr(ctx, _STARTED, time.thread_time())
        yield
        production = not self.settings.development
        for error in [
            *(getattr(ctx.result, "errors", None) or ()),
            *(ctx.pre_execution_errors or ()),
        ]:
            clean(error, production)
        response = getattr(ctx.context, "response", None)
        ms = analysis_ms(ctx)
        if ms is None:  # refused before validation (parse, tokens): all of it was analysis
            ms = (time.thread_time() - getattr(ctx, _STARTED)) * 1000
        if ms is not None and response is not None and hasattr(response, "headers"):
            response.headers["Server-Timing"] = f"analysis;dur={ms:.2f}"

    def on_stream_result(self, result: Any) -> Iterator[None]:
        for error in getattr(result, "errors", None) or ():
            clean(error, not self.settings.development)
        yield

    def on_parse(self) -> Iterator[None]:
        """Parse through a cache (as strawberry's ParserCache, which it replaces). strawberry
        parses a document the cache does not hold, once, and reports a syntax error as a result
        (ParserCache raised it from its hook, past every extension: unbounded, unmasked); a
        document that parsed is kept for the next request."""
        ctx = self.execution_context
        limit = ctx.parse_options.get("max_tokens")
        key = (ctx.query or "", limit)
        if ctx.graphql_document is None and ctx.query:
            cached = _PARSED.get(key)
            if cached is not None:
                _PARSED.move_to_end(key)
                ctx.graphql_document = cached
            elif (problem := lexical_problem(ctx.query, limit)) is not None:
                # refused without the lexer's time; on_validate reports it
                setattr(ctx, _REFUSED, problem)
                ctx.graphql_document = _PLACEHOLDER
        yield
        if getattr(ctx, _REFUSED, None) is not None:
            return
        if ctx.graphql_document is not None and ctx.query and key not in _PARSED:
            _remember(key, ctx.graphql_document)

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        errors: list[GraphQLError] = []
        refused = getattr(ctx, _REFUSED, None)
        if refused is not None:
            errors = [refused]
        elif document is not None:
            rules = tuple(ctx.validation_rules)
            errors = list(analysed(ctx.schema._schema, document, rules, self.settings))
            if not errors:
                errors = self._operation_and_variables(document)
        ctx.pre_execution_errors = errors
        done(ctx)
        yield

    def _operation_and_variables(self, document: DocumentNode) -> list[GraphQLError]:
        ctx = self.execution_context
        op = chosen_operation(document, getattr(ctx, "_provided_operation_name", None))
        if isinstance(op, GraphQLError):
            return [op]
        request = getattr(ctx.context, "request", None)
        if op.operation is OperationType.SUBSCRIPTION and isinstance(request, Request):
            return [
                refuse(
                    "subscriptions are served over a websocket at /graphql "
                    "(the graphql-transport-ws protocol), not over HTTP",
                    "BAD_REQUEST",
                )
            ]
        raw = ctx.variables if isinstance(ctx.variables, dict) else {}
        if _largest_list(raw) > MAX_VARIABLE_LIST:
            return [
                refuse(
                    f"a list in the variables holds more than {MAX_VARIABLE_LIST} items",
                    "INVALID_INPUT",
                )
            ]
        coerced = get_variable_values(
            ctx.schema._schema,
            op.variable_definitions or (),
            raw,
            max_errors=10,
            hide_suggestions=not self.settings.development,
        )
        if isinstance(coerced, list):
            return coerced
        setattr(ctx, ANALYSIS, {"operation": op, "variables": coerced.coerced})
        return []


MAX_VARIABLE_LIST = 2000  # items of one list in the variables: past every field's own cap
# (100 lines, 1,000 reconciliation rows), so those say their own limit; coercion costs per item


def _largest_list(value: object, depth: int = 0) -> int:
    """The longest list anywhere in ``value`` (JSON), looked at before coercion, which costs
    time per item; a list past the bound ends the walk."""
    if depth > 64:
        return 0
    if isinstance(value, list):
        if len(value) > MAX_VARIABLE_LIST:
            return len(value)
        return max([len(value), *(_largest_list(v, depth + 1) for v in value)])
    if isinstance(value, dict):
        return max([0, *(_largest_list(v, depth + 1) for v in value.values())])
    return 0


def done(ctx: Any, extra_ms: float = 0.0) -> None:
    """Mark the end of (a part of) the analysis; the header says the time up to the last mark."""
    started = getattr(ctx, _STARTED, None)
    if started is not None:
        ctx.ordergraph_analysis_ms = (time.thread_time() - started) * 1000 + extra_ms


def analysis_ms(ctx: Any) -> float | None:
    value = getattr(ctx, "ordergraph_analysis_ms", None)
    return float(value) if value is not None else None
