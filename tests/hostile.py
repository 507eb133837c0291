"""Hostile request generation for the fuzz pass (tests/e2e/test_hostile_fuzz.py).

Everything here is deterministic: one ``random.Random(SEED)`` drives every choice, loop counts
are fixed, and the operations and routes are enumerated from the app itself (the strawberry
schema built in-process and the Starlette routes), not from HTTP introspection, which production
switches off.

* ``operations()``: every Query and Mutation field with its arguments' types.
* ``graphql_cases()``: for each operation, requests whose variables are plausible except for one
  hostile kind (control characters, lone surrogates, invalid UTF-8, 1-5 MB strings, hostile and
  out-of-range numbers, wrong types, missing/unknown variables, inline literals, 10k lists).
* ``document_cases()``: documents that attack parsing and validation (fragment fan-out and
  cycles, alias floods, deep nesting, 10k brackets, long tokens, several operations).
* ``graphql_body_cases()``: malformed /graphql bodies (``"hello"``, ``123``, truncated JSON, ...).
* ``route_cases()``: every route of the app with every method, hostile path parameters, hostile
  bodies (channel payloads with every string replaced, CSV/JSON feeds), hostile headers.
* ``raw_header_cases()``: requests written byte by byte (NUL, CR, invalid UTF-8 in headers),
  which an HTTP client refuses to send.

``leaks(text)`` says whether a response shows Python internals (a traceback, an exception class
name, a source path).
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import hashlib
import hmac
import json
import random
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLType,
)

SEED = 20261203
FIXTURES = Path(__file__).parent / "fixtures"
MB = 1024 * 1024

# identities: a key of every role (tests/live.py) and no key at all
ROLES: tuple[str | None, ...] = (
    "admin",
    "integration",
    "storefront",
    "storefront_amazon",
    "partner",
    "partner_reno",
    None,
)

# control characters, bidi overrides, terminal escapes: what must not reach stored free text
CONTROL = (
    "a\x00b",
    "\x00",
    "x\x01\x02\x03\x07\x08\x0b\x0c\x0e\x1f\x7f",
    "\x1b[31mred\x1b[0m",
    "line\r\nInjected: header",
    "\u202eevil\u202c",
    "\ufeff\ufffe\uffff",
    "tab\tvt\x0bff\x0c",
)
SURROGATES = ("\ud800", "a\udfffb", "\udbff\udc00\ud800", "\udc00x")
INVALID_UTF8 = (
    b"\xff",
    b"\xc3\x28",
    b"\xe2\x82",
    b"\xf0\x28\x8c\xbc",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
)
# numbers a resolver may receive (they are valid GraphQL Int/Float values)
HOSTILE_INTS = (-10_000_000, 2_147_483_647, -2_147_483_648)
HOSTILE_FLOATS = (1e30, -1e30, 1.7976931348623157e308, 5e-324, -0.0)
# numbers and strings GraphQL must refuse while coercing variables
OUT_OF_RANGE_INTS: tuple[Any, ...] = (2**63, -(2**63) - 1, 2**31, 1e30, 1.5, 10**400)
NAN_LIKE = ("NaN", "Infinity", "-Infinity", "nan", "1e999", "0x10", "")

STRING_SCALARS = ("String", "ID", "DateTime", "Date", "JSON")

# a plausible value by argument / input field name, filled in with real ids once they exist
PLAUSIBLE: dict[str, Any] = {
    "sku": "SKU-1",
    "skus": ["SKU-1", "SKU-2"],
    "location": "STORE-SF",
    "locations": ["STORE-SF"],
    "from": "DC-RENO",
    "to": "US-94",
    "channel": "web",
    "channels": ["web"],
    "postalCode": "94107",
    "country": "US",
    "quantity": 1,
    "onHand": 5,
    "delta": 1,
    "first": 5,
    "limit": 5,
    "lat": 37.77,
    "lon": -122.41,
    "radiusKm": 50.0,
    "placedAt": "2026-11-23T17:00:00Z",
    "placedFrom": "2026-01-01T00:00:00Z",
    "placedTo": "2027-01-01T00:00:00Z",
    "deliveredAt": "2026-11-25T17:00:00Z",
    "serviceLevel": "STANDARD",
    "role": "storefront",
    "url": "https://hooks.example.test/og",
    "secret": "s3cret-s3cret-s3cret",
    "trackingNumber": "1Z999",
    "carrier": "UPS",
    "service": "GROUND",
    "timezone": "America/Los_Angeles",
    "cutoff": "15:00",
    "currency": "USD",
    "unitPrice": "10.00",
    "postalPrefix": "94",
    "types": ["ORDER_CREATED"],
    "eventTypes": ["ORDER_CREATED"],
}


# ---- what leaks ----------------------------------------------------------------------------------


def _exception_names() -> frozenset[str]:
    """Python exception class names: the builtins and every class loaded in this process."""
    names = {
        n
        for n in dir(builtins)
        if isinstance(getattr(builtins, n), type)
        and issubclass(getattr(builtins, n), BaseException)
    }
    stack: list[type] = [BaseException]
    while stack:
        cls = stack.pop()
        names.add(cls.__name__)
        with contextlib.suppress(TypeError):  # type.__subclasses__ needs an instance
            stack.extend(cls.__subclasses__())
    # words that name our documented error codes or GraphQL's own prefixes, not Python classes
    return frozenset(n for n in names if len(n) > 5 and n not in {"GraphQLError"})


_PATH = re.compile(r"(\w|/)\.py\b|site-packages|File \\?\"[^\"]*\\?\", line \d+|line \d+, in \w+")


def leaks(text: str, exception_names: frozenset[str] | None = None) -> str | None:
    """What in ``text`` shows Python internals, or None."""
    if "Traceback" in text:
        return "Traceback"
    match = _PATH.search(text)
    if match:
        return f"source path {match.group(0)!r}"
    match = _PYTHON_MESSAGE.search(text)
    if match:
        return f"Python exception message {match.group(0)!r}"
    names = exception_names if exception_names is not None else EXCEPTION_NAMES
    for found in re.finditer(
        r"\b([A-Z][A-Za-z0-9_]*(?:Error|Exception|Exit|Interrupt|Warning))\b"
        r"(\s*[:(']|\s+at\b)?",
        text,
    ):
        if found.group(1) in names and (found.group(2) or found.group(1) in _ALWAYS):
            return f"exception name {found.group(0).strip()!r}"
    return None


# what CPython says when it raises (an unmasked exception message), whatever the class name
_PYTHON_MESSAGE = re.compile(
    r"unsupported operand type\(s\)|object has no attribute|object is not (subscriptable|"
    r"iterable|callable)|takes \d+ positional arguments? but|can't concatenate|codec can't "
    r"(de|en)code|not supported between instances of|invalid literal for int\(\) with base|"
    r"maximum recursion depth exceeded|list index out of range|Exceeds the limit \(\d+ digits\)|"
    r"'NoneType' object|surrogates not allowed|Integer exceeds 64-bit range"
)
_ALWAYS = frozenset(
    {
        "JSONDecodeError",
        "UnicodeDecodeError",
        "UnicodeEncodeError",
        "KeyError",
        "AttributeError",
        "TypeError",
        "IndexError",
        "RecursionError",
        "ResponseError",
        "ZeroDivisionError",
        "OverflowError",
        "AssertionError",
        "NotImplementedError",
        "InvalidOperation",
        "ExceptionGroup",
    }
)
EXCEPTION_NAMES: frozenset[str] = frozenset()


def load_exception_names() -> frozenset[str]:
    global EXCEPTION_NAMES
    EXCEPTION_NAMES = _exception_names()
    return EXCEPTION_NAMES


# ---- the schema, walked in-process ---------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    kind: str  # "query" | "mutation"
    name: str
    field: GraphQLField = field(compare=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


def build_schema() -> GraphQLSchema:
    from ordergraph.resolvers.root import schema
    from ordergraph.settings import Settings

    built: GraphQLSchema = schema(Settings(env="production"))._schema
    return built


def operations(schema: GraphQLSchema) -> list[Operation]:
    found: list[Operation] = []
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        if root is None:
            continue
        for name, definition in sorted(root.fields.items()):
            found.append(Operation(kind, name, definition))
    return found


def _unwrap(t: GraphQLType) -> GraphQLType:
    while isinstance(t, GraphQLNonNull | GraphQLList):
        t = t.of_type
    return t


def selection(t: GraphQLType, depth: int = 2) -> str:
    """A selection for type ``t``: its scalars, and its objects' scalars down to ``depth``."""
    inner = _unwrap(t)
    if not isinstance(inner, GraphQLObjectType):
        return ""
    parts: list[str] = []
    for name, f in inner.fields.items():
        if any(isinstance(a.type, GraphQLNonNull) for a in f.args.values()):
            continue
        child = _unwrap(f.type)
        if isinstance(child, GraphQLObjectType):
            if name == "userErrors":
                parts.append("userErrors { code message field }")
            elif depth > 1:
                sub = selection(child, depth - 1)
                if sub:
                    parts.append(f"{name} {sub}")
        else:
            parts.append(name)
    if not parts:
        parts = ["__typename"]
    return "{ " + " ".join(parts) + " }"


def type_string(t: GraphQLType) -> str:
    return str(t)


# ---- values --------------------------------------------------------------------------------------


Leaf = Callable[[str, GraphQLScalarType | GraphQLEnumType, Any], Any]


def plausible(
    name: str,
    t: GraphQLInputType,
    ids: Mapping[str, Any],
    rng: random.Random,
    leaf: Leaf | None = None,
    depth: int = 0,
) -> Any:
    """A value of type ``t`` for an argument or field called ``name``; ``leaf(name, type,
    plausible value)`` may replace each scalar (that is how hostile values get in)."""
    nonnull = isinstance(t, GraphQLNonNull)
    inner: Any = t.of_type if isinstance(t, GraphQLNonNull) else t
    if isinstance(inner, GraphQLList):
        item = inner.of_type
        hint = ids.get(name, PLAUSIBLE.get(name))
        count = len(hint) if isinstance(hint, list) else 1
        return [plausible(_singular(name), item, ids, rng, leaf, depth + 1) for _ in range(count)]
    if isinstance(inner, GraphQLInputObjectType):
        value: dict[str, Any] = {}
        for fname, f in inner.fields.items():
            required = isinstance(f.type, GraphQLNonNull)
            if required or depth < 3:
                value[fname] = plausible(fname, f.type, ids, rng, leaf, depth + 1)
        return value
    if isinstance(inner, GraphQLEnumType):
        default = PLAUSIBLE.get(name)
        base = default if default in inner.values else sorted(inner.values)[0]
    else:
        base = _scalar(name, inner, ids)
    if leaf is not None:
        return leaf(name, inner, base)
    del nonnull
    return base


def _singular(name: str) -> str:
    return {
        "skus": "sku",
        "locations": "location",
        "channels": "channel",
        "ids": "id",
        "tags": "tag",
        "types": "type",
        "eventTypes": "eventType",
    }.get(name, name)


def _scalar(name: str, t: GraphQLScalarType, ids: Mapping[str, Any]) -> Any:
    hint = ids.get(name, PLAUSIBLE.get(name))
    if isinstance(hint, list):
        hint = hint[0] if hint else None
    if t.name == "Int":
        return hint if isinstance(hint, int) else 1
    if t.name == "Float":
        return hint if isinstance(hint, int | float) else 1.0
    if t.name == "Boolean":
        return True
    if t.name == "JSON":
        return {"k": "v"}
    if hint is not None:
        return hint
    if t.name == "DateTime":
        return "2026-11-23T17:00:00Z"
    if t.name == "Date":
        return "2026-11-23"
    return f"fuzz-{name}"


def is_stringy(t: Any) -> bool:
    return isinstance(t, GraphQLScalarType) and t.name in STRING_SCALARS


# ---- requests ------------------------------------------------------------------------------------


@dataclass
class Case:
    """One HTTP request and what it is."""

    target: str  # route or operation, e.g. "mutation orderCancel", "POST /ingest/shopify"
    kind: str  # the hostile input kind
    role: str | None
    method: str = "POST"
    path: str = "/graphql"
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] | None = None
    mutation: bool = False  # a GraphQL mutation: an answer without userErrors is "accepted"
    timed: bool = False  # a document attack: refused within the analysis bound
    raw: bytes | None = None  # sent byte by byte over a socket instead
    number: int = 0  # set once all cases are made: sent as X-Request-Id fuzz-<number>
    frames: list[str | bytes] | None = None  # a websocket case: the frames sent after connecting

    @property
    def size(self) -> int:
        return len(self.body or b"") + len(self.raw or b"")


def encode(payload: Any) -> bytes:
    """JSON with every non-ASCII character escaped: lone surrogates survive as ``\\udXXX``."""
    return json.dumps(payload, ensure_ascii=True, allow_nan=False).encode()


JSON_HEADERS = {"content-type": "application/json"}


def gql_case(
    op: Operation,
    kind: str,
    role: str | None,
    document: str,
    variables: Any,
    *,
    raw_body: bytes | None = None,
    **extra: Any,
) -> Case:
    body = raw_body if raw_body is not None else encode({"query": document, "variables": variables})
    return Case(
        op.label,
        kind,
        role,
        body=body,
        headers=dict(JSON_HEADERS),
        mutation=op.kind == "mutation",
        **extra,
    )


def document_for(
    op: Operation, variable_types: Mapping[str, str] | None = None, depth: int = 2
) -> str:
    args = op.field.args
    types = {n: type_string(a.type) for n, a in args.items()}
    if variable_types:
        types.update(variable_types)
    decl = ", ".join(f"${n}: {t}" for n, t in types.items())
    call = ", ".join(f"{n}: ${n}" for n in args)
    sel = selection(op.field.type, depth)
    head = f"{op.kind} Fuzz({decl})" if decl else f"{op.kind} Fuzz"
    return f"{head} {{ {op.name}{f'({call})' if call else ''} {sel} }}"


class Hostile:
    """Leaf replacers: each returns a function for ``plausible(leaf=...)``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def strings(self, pool: Sequence[str]) -> Leaf:
        def leaf(name: str, t: Any, base: Any) -> Any:
            if is_stringy(t):
                return (
                    f"{base}{self.rng.choice(pool)}"
                    if self.rng.random() < 0.5
                    else self.rng.choice(pool)
                )
            return base

        return leaf

    def numbers(self, ints: Sequence[Any], floats: Sequence[Any]) -> Leaf:
        def leaf(name: str, t: Any, base: Any) -> Any:
            if isinstance(t, GraphQLScalarType) and t.name == "Int":
                return self.rng.choice(ints)
            if isinstance(t, GraphQLScalarType) and t.name == "Float":
                return self.rng.choice(floats)
            return base

        return leaf

    def wrong_types(self) -> Leaf:
        def leaf(name: str, t: Any, base: Any) -> Any:
            if isinstance(t, GraphQLScalarType) and t.name in ("Int", "Float"):
                return self.rng.choice(["12", {"n": 1}, [1, 2], True, "1e3"])
            if isinstance(t, GraphQLScalarType) and t.name == "Boolean":
                return self.rng.choice(["true", 1, [True], {"b": True}])
            if isinstance(t, GraphQLEnumType):
                return self.rng.choice([{"e": 1}, 3, ["A"], "not_a_value", "__proto__"])
            return self.rng.choice([{"s": "x"}, [base, base], 42, True, {"$ne": None}])

        return leaf


def _operation_has(op: Operation, test: Callable[[Any], bool]) -> bool:
    seen: set[str] = set()

    def walk(t: Any) -> bool:
        inner = _unwrap(t)
        if isinstance(inner, GraphQLInputObjectType):
            if inner.name in seen:
                return False
            seen.add(inner.name)
            return any(walk(f.type) for f in inner.fields.values())
        return bool(test(inner))

    return any(walk(a.type) for a in op.field.args.values())


def _has_list(op: Operation) -> bool:
    seen: set[str] = set()

    def walk(t: Any) -> bool:
        inner = t.of_type if isinstance(t, GraphQLNonNull) else t
        if isinstance(inner, GraphQLList):
            return True
        if isinstance(inner, GraphQLInputObjectType) and inner.name not in seen:
            seen.add(inner.name)
            return any(walk(f.type) for f in inner.fields.values())
        return False

    return any(walk(a.type) for a in op.field.args.values())


def _set_huge(value: Any, rng: random.Random, size: int) -> tuple[Any, bool]:
    """``value`` with ONE of its string leaves (chosen by ``rng``) replaced by ``size`` bytes."""
    paths: list[tuple[Any, ...]] = []

    def collect(v: Any, path: tuple[Any, ...]) -> None:
        if isinstance(v, dict):
            for k, sub in v.items():
                collect(sub, (*path, k))
        elif isinstance(v, list):
            for i, sub in enumerate(v):
                collect(sub, (*path, i))
        elif isinstance(v, str):
            paths.append(path)

    collect(value, ())
    if not paths:
        return value, False
    chosen = rng.choice(paths)
    filler = rng.choice(["A", "\u00e9", "\x00", "{", "\\", "\ud83d\ude00"])
    big = filler * (size // len(filler.encode("utf-8", "surrogatepass")))
    target = value
    for key in chosen[:-1]:
        target = target[key]
    target[chosen[-1]] = big
    return value, True


def graphql_cases(schema: GraphQLSchema, ids: Mapping[str, Any], rng: random.Random) -> list[Case]:
    """Per operation: every hostile kind with an admin key, and each other identity once."""
    cases: list[Case] = []
    hostile = Hostile(rng)
    huge_sizes = (1 * MB,) * 8 + (5 * MB,) + (1 * MB,) * 8 + (2 * MB,) + (1 * MB,) * 8 + (3 * MB,)
    for number, op in enumerate(operations(schema)):
        args = op.field.args
        doc = document_for(op)

        def variables(leaf: Leaf | None = None) -> dict[str, Any]:
            return {n: plausible(n, a.type, ids, rng, leaf) for n, a in args.items()}  # noqa: B023

        stringy = _operation_has(op, is_stringy)
        numeric = _operation_has(
            op, lambda t: isinstance(t, GraphQLScalarType) and t.name in ("Int", "Float")
        )
        if stringy:
            cases.append(
                gql_case(
                    op,
                    "control characters in every string",
                    "admin",
                    doc,
                    variables(hostile.strings(CONTROL)),
                )
            )
            cases.append(
                gql_case(
                    op,
                    "lone surrogates in every string",
                    "admin",
                    doc,
                    variables(hostile.strings(SURROGATES)),
                )
            )
            marker = "\u2603MARK\u2603"
            body = encode({"query": doc, "variables": variables(hostile.strings([marker]))})
            body = body.replace(b"\\u2603MARK\\u2603", rng.choice(INVALID_UTF8))
            cases.append(
                gql_case(op, "invalid UTF-8 in every string", "admin", doc, None, raw_body=body)
            )
            big, _ = _set_huge(variables(), rng, huge_sizes[number % len(huge_sizes)])
            cases.append(gql_case(op, "1-5 MB string in one argument", "admin", doc, big))
            # the same strings as literals in the document (the lexer's escapes)
            literal = _literal_document(op, ids, rng)
            cases.append(
                gql_case(op, "control characters and long tokens as literals", "admin", literal, {})
            )
        if numeric:
            cases.append(
                gql_case(
                    op,
                    "hostile in-range numbers (-10000000, 1e30, ...)",
                    "admin",
                    doc,
                    variables(hostile.numbers(HOSTILE_INTS, HOSTILE_FLOATS)),
                )
            )
            cases.append(
                gql_case(
                    op,
                    "out-of-range numbers (2**63, 1e30 for Int, 10**400)",
                    "admin",
                    doc,
                    variables(hostile.numbers(OUT_OF_RANGE_INTS, (10**400,))),
                )
            )
            cases.append(
                gql_case(
                    op,
                    "NaN-like strings for numbers",
                    "admin",
                    doc,
                    variables(hostile.numbers(NAN_LIKE, NAN_LIKE)),
                )
            )
        if args:
            cases.append(
                gql_case(op, "wrong variable types", "admin", doc, variables(hostile.wrong_types()))
            )
            cases.append(gql_case(op, "missing required variables", "admin", doc, {}))
            if number % 2:
                nulls = {n: None for n in args}
                cases.append(gql_case(op, "null for every variable", "admin", doc, nulls))
            unknown = document_for(op).replace("Fuzz(", "Fuzz($zzUnknown: Int, ", 1)
            cases.append(
                gql_case(
                    op,
                    "unknown and unused variables",
                    "admin",
                    unknown,
                    {**variables(), "zzUnknown": 1, "notDeclared": {"a": [1]}},
                )
            )
            if number % 2 == 0:
                cases.append(
                    gql_case(
                        op,
                        "variables of the wrong declared type",
                        "admin",
                        document_for(op, {n: "[[Int]]" for n in args}),
                        {n: [[1]] for n in args},
                    )
                )
        if _has_list(op):
            many = variables()
            _grow_lists(many, 10_000, rng)
            cases.append(gql_case(op, "10k-item lists", "admin", doc, many))
        first_arg = next(iter(args), None)
        if first_arg is not None and number % 4 == 0:
            deep = b"[" * 10_000 + b"1" + b"]" * 10_000
            body = (
                b'{"query": '
                + json.dumps(doc).encode()
                + b', "variables": {"'
                + first_arg.encode()
                + b'": '
                + deep
                + b"}}"
            )
            cases.append(
                gql_case(
                    op, "10k nested JSON brackets in a variable", "admin", doc, None, raw_body=body
                )
            )
        # every identity, each with one hostile variant of this operation
        for role in ROLES:
            pool = rng.choice([CONTROL, SURROGATES])
            cases.append(
                gql_case(
                    op,
                    "hostile strings, every identity",
                    role,
                    doc,
                    variables(hostile.strings(pool)),
                )
            )
    return cases


def _grow_lists(value: Any, size: int, rng: random.Random) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, list):
                template = v[0] if v else "SKU-1"
                value[k] = [template] * size
            else:
                _grow_lists(v, size, rng)


def _literal(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, EnumLiteral):
        return value.name
    return json.dumps(value, ensure_ascii=True)  # GraphQL string escapes are JSON's


class EnumLiteral(str):
    @property
    def name(self) -> str:
        return str(self)


def _literal_document(op: Operation, ids: Mapping[str, Any], rng: random.Random) -> str:
    """The operation with its arguments as literals: escaped NULs and surrogates, 99999999999
    for Ints, a 100 kB string token, a 10k-digit number."""
    pools = CONTROL + SURROGATES

    def leaf(name: str, t: Any, base: Any) -> Any:
        if isinstance(t, GraphQLEnumType):
            return EnumLiteral(base)
        if is_stringy(t):
            return rng.choice(pools) if rng.random() < 0.8 else "L" * 100_000
        if isinstance(t, GraphQLScalarType) and t.name == "Int":
            return rng.choice([99_999_999_999, -10_000_000, int("9" * 400)])
        if isinstance(t, GraphQLScalarType) and t.name == "Float":
            return rng.choice([1e30, -1e30])
        return base

    values = {n: plausible(n, a.type, ids, rng, leaf) for n, a in op.field.args.items()}
    call = ", ".join(f"{n}: {_literal(v)}" for n, v in values.items())
    sel = selection(op.field.type, 2)
    return f"{op.kind} {{ {op.name}{f'({call})' if call else ''} {sel} }}"


# ---- documents that attack parsing and validation ------------------------------------------------


def document_cases(rng: random.Random) -> list[Case]:
    """Each document once per identity (the analysis runs before access checks)."""
    docs: list[tuple[str, str]] = []
    # fragment fan-out: F_i spreads F_(i-1) twice, 2**n fields once expanded
    for n in (10, 30, 60):
        frags = ["fragment F0 on Query { __typename skus(first: 1) { __typename } }"]
        frags += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, n)]
        docs.append((f"fragment fan-out 2**{n}", f"query {{ ...F{n - 1} }} " + " ".join(frags)))
    object_fanout = ["fragment G0 on Location { id name }"]
    object_fanout += [
        f"fragment G{i} on Location {{ ...G{i - 1} ...G{i - 1} }}" for i in range(1, 40)
    ]
    docs.append(
        (
            "fragment fan-out on objects 2**40",
            'query { location(id: "STORE-SF") { ...G39 } } ' + " ".join(object_fanout),
        )
    )
    docs.append(
        (
            "fragment cycle A->B->A",
            "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
        )
    )
    docs.append(("fragment self-cycle", "query { ...A } fragment A on Query { __typename ...A }"))
    cycle = " ".join(f"fragment C{i} on Query {{ ...C{(i + 1) % 200} }}" for i in range(200))
    docs.append(("fragment cycle of 200", "query { ...C0 } " + cycle))
    docs.append(("undefined fragment", "query { ...Nope }"))
    for count in (31, 1000, 5000):
        aliases = " ".join(f"a{i}: __typename" for i in range(count))
        docs.append((f"{count} aliases of __typename", "query { " + aliases + " }"))
    costly = " ".join(f"a{i}: skus(first: 100) {{ edges {{ node {{ id }} }} }}" for i in range(25))
    docs.append(("25 aliases of skus(first: 100)", "query { " + costly + " }"))
    docs.append(
        (
            "1000 aliases of a mutation",
            "mutation { "
            + " ".join(f'm{i}: apiKeyRevoke(id: "x{i}") {{ __typename }}' for i in range(1000))
            + " }",
        )
    )
    for depth in (13, 100, 5000):
        docs.append(
            (
                f"selection nesting {depth} deep",
                "query { "
                + 'location(id: "STORE-SF") { ' * 0
                + "__typename "
                + "skus { " * depth
                + "x"
                + " }" * depth
                + " }",
            )
        )
    docs.append(
        (
            "10k nested brackets in an argument",
            "query { availability(skus: " + "[" * 10_000 + '"SKU-1"' + "]" * 10_000 + ") { sku } }",
        )
    )
    docs.append(
        (
            "10k nested input objects",
            'query { availability(skus: ["SKU-1"], near: '
            + "{a: " * 10_000
            + "1"
            + "}" * 10_000
            + ") { sku } }",
        )
    )
    docs.append(
        (
            "10k-item list literal",
            "query { availability(skus: [" + ", ".join(['"SKU-1"'] * 10_000) + "]) { sku } }",
        )
    )
    docs.append(("100k-character name token", "query { " + "x" * 100_000 + " }"))
    docs.append(("1 MB string token", 'query { sku(id: "' + "S" * MB + '") { id } }'))
    docs.append(
        ("10k-digit number token", "query { skus(first: " + "9" * 10_000 + ") { __typename } }")
    )
    docs.append(("100k directives", "query { __typename " + "@skip(if: false) " * 10_000 + "}"))
    docs.append(
        ("20k tokens of whitespace-separated commas", "query { " + ", " * 20_000 + "__typename }")
    )
    docs.append(("unterminated string", 'query { sku(id: "abc'))
    docs.append(("unterminated block string", 'query { sku(id: """abc'))
    docs.append(("NUL in the document", "query { __type\x00name }"))
    docs.append(("lone surrogate in the document", "query { __typename } # \ud800"))
    docs.append(("BOM and control characters", "\ufeffquery\x01 { __typename }"))
    docs.append(("empty document", ""))
    docs.append(("only a comment", "# nothing"))
    docs.append(("two anonymous operations", "query { __typename } query { __typename }"))
    docs.append(
        (
            "two named operations, no operationName",
            "query A { __typename } query B { skus(first: 1) { __typename } }",
        )
    )
    docs.append(
        (
            "a query and a mutation, no operationName",
            'query A { __typename } mutation B { apiKeyRevoke(id: "x") { __typename } }',
        )
    )
    docs.append(("a subscription over HTTP", "subscription { orderEvents { __typename } }"))
    docs.append(
        (
            "introspection (off in production)",
            "query { __schema { types { name fields { name } } } }",
        )
    )
    docs.append(
        (
            "deep introspection",
            "query { __schema { types { fields { type { ofType { ofType { ofType "
            "{ ofType { name } } } } } } } } }",
        )
    )
    docs.append(("duplicate arguments", 'query { sku(id: "SKU-1", id: "SKU-2") { id } }'))
    docs.append(("variable used but not declared", "query { sku(id: $nope) { id } }"))
    docs.append(
        (
            "1000 variable definitions",
            "query Q(" + ", ".join(f"$v{i}: Int" for i in range(1000)) + ") { __typename }",
        )
    )
    shuffled = [d for d in docs]
    rng.shuffle(shuffled)
    cases: list[Case] = []
    for i, (kind, doc) in enumerate(shuffled):
        for role in ("admin", ROLES[1 + i % (len(ROLES) - 1)]):
            body = (
                encode({"query": doc}) if "\ud800" in doc else json.dumps({"query": doc}).encode()
            )
            cases.append(
                Case("document", kind, role, body=body, headers=dict(JSON_HEADERS), timed=True)
            )
    # several operations with an operationName that names none / a wrong type
    extras = [
        (
            "operationName names no operation",
            {"query": "query A { __typename }", "operationName": "B"},
        ),
        ("operationName is a number", {"query": "query A { __typename }", "operationName": 7}),
        (
            "operationName is an object",
            {"query": "query A { __typename }", "operationName": {"a": 1}},
        ),
        ("operationName with NUL", {"query": "query A { __typename }", "operationName": "A\x00"}),
    ]
    for kind, payload in extras:
        for role in ("admin", None):
            cases.append(
                Case(
                    "document",
                    kind,
                    role,
                    body=encode(payload),
                    headers=dict(JSON_HEADERS),
                    timed=True,
                )
            )
    return cases


# ---- malformed /graphql bodies -------------------------------------------------------------------


def malformed_bodies(rng: random.Random) -> list[tuple[str, bytes, str | None]]:
    """(kind, body, content type)."""
    good = json.dumps({"query": "{ __typename }"}).encode()
    bodies: list[tuple[str, bytes, str | None]] = [
        ('JSON string "hello"', b'"hello"', "application/json"),
        ("JSON number 123", b"123", "application/json"),
        ("JSON null", b"null", "application/json"),
        ("JSON true", b"true", "application/json"),
        ("empty JSON list []", b"[]", "application/json"),
        ('list of garbage [1, null, "x"]', b'[1, null, "x"]', "application/json"),
        ("batch of 1000", b"[" + b",".join([good] * 1000) + b"]", "application/json"),
        ("empty object {}", b"{}", "application/json"),
        ("empty body", b"", "application/json"),
        ("empty body, no content type", b"", None),
        ("truncated JSON", good[: len(good) // 2], "application/json"),
        ("truncated after a key", b'{"query":', "application/json"),
        ("trailing garbage", good + b"}}}", "application/json"),
        ("NUL bytes", b"\x00" * 64, "application/json"),
        ("invalid UTF-8 body", b'{"query": "{ __typename \xff\xfe }"}', "application/json"),
        ("UTF-16 body", '{"query": "{ __typename }"}'.encode("utf-16"), "application/json"),
        ("query is a number", b'{"query": 123}', "application/json"),
        ("query is a list", b'{"query": ["{ __typename }"]}', "application/json"),
        ("query is an object", b'{"query": {"a": 1}}', "application/json"),
        ("query is null", b'{"query": null}', "application/json"),
        (
            "variables is a string",
            b'{"query": "{ __typename }", "variables": "x"}',
            "application/json",
        ),
        (
            "variables is a list",
            b'{"query": "{ __typename }", "variables": [1]}',
            "application/json",
        ),
        (
            "variables is a number",
            b'{"query": "{ __typename }", "variables": 5}',
            "application/json",
        ),
        (
            "extensions is a string",
            b'{"query": "{ __typename }", "extensions": "x"}',
            "application/json",
        ),
        (
            "persisted query extension",
            b'{"extensions": {"persistedQuery": {"version": 1, '
            b'"sha256Hash": "' + b"0" * 64 + b'"}}}',
            "application/json",
        ),
        (
            "duplicate keys",
            b'{"query": "{ __typename }", "query": "mutation { x }"}',
            "application/json",
        ),
        ("10k nested brackets", b"[" * 10_000 + b"]" * 10_000, "application/json"),
        ("10k nested objects", b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "application/json"),
        (
            "huge number",
            b'{"query": "{ __typename }", "variables": {"a": 1' + b"0" * 5000 + b"}}",
            "application/json",
        ),
        (
            "NaN literal",
            b'{"query": "{ __typename }", "variables": {"a": NaN}}',
            "application/json",
        ),
        ("5 MB of spaces then JSON", b" " * (5 * MB) + good, "application/json"),
        ("JSON as text/plain", good, "text/plain"),
        ("JSON as form", good, "application/x-www-form-urlencoded"),
        ("form body", b"query=%7B__typename%7D", "application/x-www-form-urlencoded"),
        ("multipart without boundary", good, "multipart/form-data"),
        (
            "multipart garbage",
            b'--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{bad\r\n--x--\r\n',
            "multipart/form-data; boundary=x",
        ),
        (
            "multipart file upload map",
            b'--x\r\nContent-Disposition: form-data; name="operations"'
            b"\r\n\r\n" + good + b'\r\n--x\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
            b'{"0": ["variables.file"]}\r\n--x\r\nContent-Disposition: form-data; name="0"; '
            b'filename="a"\r\n\r\n\x00\xff\r\n--x--\r\n',
            "multipart/form-data; boundary=x",
        ),
        ("application/graphql body", b"{ __typename }", "application/graphql"),
        ("content type with bad charset", good, "application/json; charset=ebcdic"),
        ("content type garbage", good, "\x7f/\x7f"),
        ("XML", b'<?xml version="1.0"?><query>{ __typename }</query>', "application/xml"),
        ("1 MB random bytes", rng.randbytes(MB), "application/octet-stream"),
    ]
    return bodies


def graphql_body_cases(rng: random.Random) -> list[Case]:
    cases: list[Case] = []
    for i, (kind, body, ctype) in enumerate(malformed_bodies(rng)):
        roles = ("admin", None) if i % 4 == 0 else (ROLES[i % len(ROLES)],)
        for role in roles:
            headers = {"content-type": ctype} if ctype else {}
            cases.append(Case("POST /graphql", kind, role, body=body, headers=headers))
    gets = [
        ("GET without a query", {}),
        ("GET with an empty query", {"query": ""}),
        ("GET with a mutation", {"query": 'mutation { apiKeyRevoke(id: "x") { __typename } }'}),
        (
            "GET with a fragment bomb",
            {
                "query": "query { ...F19 } fragment F0 on Query { __typename } "
                + " ".join(
                    f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 20)
                )
            },
        ),
        ("GET with variables not JSON", {"query": "{ __typename }", "variables": "{bad"}),
        ("GET with variables a list", {"query": "{ __typename }", "variables": "[1]"}),
        ("GET with NUL in the query", {"query": "{ __typename\x00 }"}),
        ("GET with a 6 kB query", {"query": "{ " + "__typename " * 600 + "}"}),
        ("GET with invalid UTF-8 (percent-encoded)", {"query": "%FF%FE"}),
    ]
    for i, (kind, params) in enumerate(gets):
        for role in (("admin", "storefront", None)[i % 3],):
            cases.append(
                Case(
                    "GET /graphql",
                    kind,
                    role,
                    method="GET",
                    params=params,
                    headers={"accept": "application/json"},
                    timed="fragment" in kind,
                )
            )
    for kind, accept in (
        ("Accept text/html (GraphiQL)", "text/html"),
        ("Accept graphql-response+json", "application/graphql-response+json"),
        ("Accept garbage", "\x7f;q=nan"),
    ):
        cases.append(Case("GET /graphql", kind, None, method="GET", headers={"accept": accept}))
        cases.append(
            Case(
                "POST /graphql",
                kind,
                "admin",
                body=b'{"query": "{ sku(id: 5) }"}',
                headers={"content-type": "application/json", "accept": accept},
            )
        )
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"):
        cases.append(
            Case(
                f"{method} /graphql",
                "method not allowed",
                "admin",
                method=method,
                body=b'{"query": "{ __typename }"}',
                headers=dict(JSON_HEADERS),
            )
        )
    return cases


# ---- every other route ---------------------------------------------------------------------------


def hostile_json(value: Any, rng: random.Random, pools: Sequence[str]) -> Any:
    """``value`` with every string (and many numbers) made hostile."""
    if isinstance(value, dict):
        return {k: hostile_json(v, rng, pools) for k, v in value.items()}
    if isinstance(value, list):
        return [hostile_json(v, rng, pools) for v in value]
    if isinstance(value, bool) or value is None:
        return rng.choice([value, "true", [], {}]) if rng.random() < 0.2 else value
    if isinstance(value, int | float):
        return rng.choice([value, -10_000_000, 2**63, 1e30, "NaN", -1, 10**30])
    if isinstance(value, str):
        return value + rng.choice(pools) if rng.random() < 0.5 else rng.choice(pools)
    return value


def wrong_shapes(value: Any, rng: random.Random) -> Any:
    """``value`` with objects swapped for lists, strings for objects and so on."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            roll = rng.random()
            if roll < 0.15:
                out[k] = rng.choice([[], {}, None, 0, "", [v]])
            else:
                out[k] = wrong_shapes(v, rng)
        return out
    if isinstance(value, list):
        return rng.choice([{"0": value}, [wrong_shapes(v, rng) for v in value], None, "list"])
    if isinstance(value, str):
        return rng.choice([value, {"s": value}, [value], 12345])
    return value


def sign(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


WEBHOOK_SECRETS = {
    "shopify": "fuzz-shopify-secret",
    "woocommerce": "fuzz-woo-secret",
    "square": "fuzz-square-secret",
}
SIGNATURE_HEADERS = {
    "shopify": "x-shopify-hmac-sha256",
    "woocommerce": "x-wc-webhook-signature",
    "square": "x-square-hmacsha256-signature",
}
TOPIC_HEADERS = {
    "shopify": ("x-shopify-topic", "orders/create"),
    "woocommerce": ("x-wc-webhook-topic", "order.created"),
}
SQUARE_URL = "https://ordergraph.example.test/ingest/square"  # ORDERGRAPH_SQUARE_NOTIFICATION_URL
KEYED_ROLES: tuple[str | None, ...] = ("integration", "admin", "storefront", "partner", None)


def channel_fixtures() -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for path in sorted((FIXTURES / "channels").glob("*.json")):
        found.setdefault(path.name.split("_")[0], []).append(json.loads(path.read_text()))
    return found


def x12_fixtures() -> list[bytes]:
    return [p.read_bytes() for p in sorted((FIXTURES / "x12").glob("*.edi"))]


def _x12_hostile(doc: bytes, rng: random.Random) -> list[tuple[str, bytes]]:
    text = doc.decode("latin-1")
    out: list[tuple[str, bytes]] = []
    out.append(
        (
            "X12 with NUL and control bytes in elements",
            text.replace("*", "*\x00", 5).replace("Jane", "J\x01\x1b[0m").encode("latin-1"),
        )
    )
    out.append(
        (
            "X12 with invalid UTF-8 in elements",
            text.encode("latin-1").replace(b"Jane", b"\xff\xfe\xc3\x28"),
        )
    )
    out.append(("X12 truncated mid-segment", doc[: len(doc) // 2]))
    out.append(("X12 ISA only", doc[:106]))
    out.append(
        (
            "X12 with hostile quantities",
            re.sub(
                r"PO1\*(\w*)\*(\d+)",
                lambda m: f"PO1*{m.group(1)}*{rng.choice(['-10000000', '9' * 40, '1e30', 'NaN'])}",
                text,
            ).encode("latin-1"),
        )
    )
    out.append(("X12 with a 1 MB element", text.replace("Jane Doe", "N" * MB, 1).encode("latin-1")))
    out.append(("X12 with 10k segments", doc + b"REF*ZZ*x~" * 10_000))
    out.append(
        ("X12 separators all the same", (text[:3] + "*" * 103 + text[106:200]).encode("latin-1"))
    )
    return out


def _feed_rows(rng: random.Random) -> list[tuple[str, bytes, str]]:
    """(kind, body, content type) for both feeds; every row is hostile, so none may apply."""
    rows: list[tuple[str, bytes, str]] = []
    rows.append(
        (
            "CSV with NUL and control characters",
            b"location,sku,onHand,safetyStock\nDC-RENO\x00,SKU-1,35,2\nSTORE-SF,SKU\x01-2,"
            b"\x1b[31m4\n",
            "text/csv",
        )
    )
    rows.append(
        ("CSV with invalid UTF-8", b"location,sku,onHand\n\xff\xfeDC-RENO,SKU-1,3\n", "text/csv")
    )
    rows.append(
        (
            "CSV with hostile numbers",
            b"location,sku,onHand,safetyStock,delta\nDC-RENO,SKU-1,-10000000,1e30,NaN\n"
            b"DC-RENO,SKU-2," + str(2**63).encode() + b",-1,9" + b"9" * 400 + b"\n",
            "text/csv",
        )
    )
    rows.append(
        ("CSV with a 1 MB cell", b"location,sku,onHand\n" + b"D" * MB + b",SKU-1,3\n", "text/csv")
    )
    rows.append(
        (
            "CSV with 10k hostile rows",
            b"location,sku,onHand,delta\n" + b"NOWHERE,SKU-1,-5,-5\n" * 10_000,
            "text/csv",
        )
    )
    rows.append(("CSV header only garbage", b"\x00\x00\x00", "text/csv"))
    rows.append(
        ("CSV with unbalanced quotes", b'location,sku,onHand\n"DC-RENO,SKU-1,3\n', "text/csv")
    )
    rows.append(("CSV with 10k columns", b",".join([b"c"] * 10_000) + b"\n1,2\n", "text/csv"))
    rows.append(
        (
            "JSON rows with hostile values",
            encode(
                [
                    {
                        "location": "DC-RENO\x00",
                        "sku": "SKU-1",
                        "onHand": -10_000_000,
                        "delta": 2**63,
                        "reason": "\ud800",
                    },
                    {"location": ["DC-RENO"], "sku": {"id": 1}, "onHand": "NaN", "delta": 1e30},
                    {
                        "location": "STORE-SF",
                        "sku": "SKU-2\u202e",
                        "onHand": 1e30,
                        "delta": -10_000_000,
                        "safetyStock": -1,
                    },
                ]
            ),
            "application/json",
        )
    )
    rows.append(("JSON rows with wrong shapes", b'{"rows": 5}', "application/json"))
    rows.append(("JSON list of scalars", b'[1, "x", null, [], true]', "application/json"))
    rows.append(
        (
            "JSON list of 10k objects with unknown location",
            encode([{"location": "NOWHERE", "sku": "SKU-1", "onHand": 1, "delta": 1}] * 10_000),
            "application/json",
        )
    )
    rows.append(("truncated JSON", b'[{"location": "DC-RENO", "sku": "SK', "application/json"))
    rows.append(("JSON 10k nested brackets", b"[" * 10_000 + b"]" * 10_000, "application/json"))
    rows.append(("JSON rows as text/csv", b'[{"location": "DC-RENO\x00"}]', "text/csv"))
    rows.append(
        ("CSV rows as application/json", b"location,sku,onHand\nX,Y,1\n", "application/json")
    )
    rows.append(("XML body", b'<rows><row location="DC-RENO"/></rows>', "application/xml"))
    return rows


def malformed_route_bodies() -> list[tuple[str, bytes, str | None]]:
    return [
        ('JSON string "hello"', b'"hello"', "application/json"),
        ("JSON number 123", b"123", "application/json"),
        ("JSON null", b"null", "application/json"),
        ("empty JSON list []", b"[]", "application/json"),
        ("empty object {}", b"{}", "application/json"),
        ("empty body", b"", None),
        ("truncated JSON", b'{"id": 1, "line_items": [{"sku": "SKU-', "application/json"),
        ("NUL bytes", b"\x00" * 32, "application/json"),
        ("invalid UTF-8", b'{"id": "\xff\xfe"}', "application/json"),
        ("lone surrogate escape", b'{"id": "\\ud800", "note": "\\udfff"}', "application/json"),
        ("10k nested brackets", b"[" * 10_000 + b"]" * 10_000, "application/json"),
        ("10k nested objects", b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "application/json"),
        ("text/plain garbage", b"hello world", "text/plain"),
        ("form body", b"a=1&b=%00", "application/x-www-form-urlencoded"),
        ("1-5 MB string", b'{"id": "' + b"x" * (3 * MB) + b'"}', "application/json"),
    ]


def route_cases(routes: Sequence[Any], channels: Sequence[str], rng: random.Random) -> list[Case]:
    """Every non-GraphQL route: its methods and hostile path parameters, bodies and headers."""
    cases: list[Case] = []
    fixtures = channel_fixtures()
    for route in routes:
        path: str = route.path
        methods = sorted(getattr(route, "methods", None) or ())
        if path == "/graphql" or not methods:
            continue
        params = list(getattr(route, "param_convertors", {}) or {})
        if not params:
            for method in methods:
                for role in ROLES:
                    cases.append(
                        Case(f"{method} {path}", "plain request", role, method=method, path=path)
                    )
            for method in ("POST", "PUT", "DELETE"):
                cases.append(
                    Case(
                        f"{method} {path}",
                        "hostile body to a read-only route",
                        "admin",
                        method=method,
                        path=path,
                        body=b"\x00\xff" * 1000 + b"[" * 5000,
                        headers={"content-type": "application/json"},
                    )
                )
            cases.append(
                Case(
                    f"GET {path}",
                    "hostile query string",
                    None,
                    method="GET",
                    path=path,
                    params={"a": "\x00\ud800", "b" * 2000: "[" * 4000},
                )
            )
            cases.append(
                Case(
                    f"GET {path}",
                    "hostile headers",
                    None,
                    method="GET",
                    path=path,
                    headers={
                        "x-request-id": "\xff" * 100,
                        "accept": "\x7f" * 1000,
                        "authorization": "Bearer " + "\xe9" * 3000,
                    },
                )
            )
            continue
        # routes with path parameters: the app's own values, and hostile ones
        if path == "/ingest/{channel}":
            cases += _ingest_cases(channels, fixtures, rng)
            values = [
                "not-a-channel",
                "SHOPIFY",
                "shopify%00",
                "..%2F..%2Fetc%2Fpasswd",
                "%FF%FE",
                "%C0%AF",
                "a" * 5000,
                "x12%0d%0aSet-Cookie:%20a=b",
                "%00",
            ]
        elif path == "/feeds/inventory/{kind}":
            cases += _feed_cases(rng)
            values = [
                "SNAPSHOT",
                "deltas",
                "snapshot%00",
                "%FF",
                "..%2Fsnapshot",
                "d" * 5000,
                "%ED%A0%80",
            ]
        else:
            values = ["x", "%00", "%FF%FE", "a" * 5000, "..%2F..%2F"]
        for value in values:
            concrete = path
            for name in params:
                concrete = concrete.replace("{" + name + "}", value)
            for method in methods:
                for role in (rng.choice(("integration", "admin", None)),):
                    cases.append(
                        Case(
                            f"{method} {path}",
                            "hostile path parameter",
                            role,
                            method=method,
                            path=concrete,
                            body=b'{"id": 1}',
                            headers=dict(JSON_HEADERS),
                        )
                    )
        for method in ("GET", "PUT", "DELETE"):
            concrete = path
            for name in params:
                concrete = concrete.replace(
                    "{" + name + "}", "x12" if "channel" in name else "snapshot"
                )
            cases.append(
                Case(
                    f"{method} {path}",
                    "method not allowed",
                    "admin",
                    method=method,
                    path=concrete,
                    body=b"{}",
                    headers=dict(JSON_HEADERS),
                )
            )
    return cases


def _ingest_cases(
    channels: Sequence[str], fixtures: Mapping[str, list[Any]], rng: random.Random
) -> list[Case]:
    cases: list[Case] = []
    x12 = x12_fixtures()
    for channel in channels:
        target = f"POST /ingest/{channel}"
        path = f"/ingest/{channel}"
        secret = WEBHOOK_SECRETS.get(channel)
        bodies: list[tuple[str, bytes, str | None]] = rng.sample(malformed_route_bodies(), 8)
        if channel == "x12":
            bodies += [
                (k, b, "application/edi-x12") for doc in x12[:1] for k, b in _x12_hostile(doc, rng)
            ]
        else:
            for doc in fixtures.get(channel, [])[:1]:
                bodies.append(
                    (
                        "channel payload, every string hostile",
                        encode(hostile_json(doc, rng, CONTROL + SURROGATES)),
                        "application/json",
                    )
                )
                bodies.append(
                    (
                        "channel payload with wrong shapes",
                        encode(wrong_shapes(doc, rng)),
                        "application/json",
                    )
                )
                marker = "\u2603M\u2603"
                raw = encode(hostile_json(doc, rng, [marker]))
                bodies.append(
                    (
                        "channel payload with invalid UTF-8",
                        raw.replace(b"\\u2603M\\u2603", rng.choice(INVALID_UTF8)),
                        "application/json",
                    )
                )
        for kind, body, ctype in bodies:
            headers = {"content-type": ctype} if ctype else {}
            if secret is not None:
                topic = TOPIC_HEADERS.get(channel)
                if topic:
                    headers[topic[0]] = topic[1]
                message = (SQUARE_URL.encode() + body) if channel == "square" else body
                signed = {**headers, SIGNATURE_HEADERS[channel]: sign(secret, message)}
                cases.append(
                    Case(target, f"signed: {kind}", None, path=path, body=body, headers=signed)
                )
            else:
                cases.append(
                    Case(target, kind, "integration", path=path, body=body, headers=headers)
                )
        # authentication: every identity, a bad signature, hostile header values
        sample = bodies[-1][1] if len(bodies) > 15 else b"{}"
        for role in (*KEYED_ROLES, "partner_reno"):
            cases.append(
                Case(
                    target,
                    "a key of every role",
                    role,
                    path=path,
                    body=sample,
                    headers=dict(JSON_HEADERS),
                )
            )
        hostile_headers = {
            "content-type": "application/json\xff",
            "x-request-id": "\xe9" * 200,
            "x-shopify-topic": "\xff" * 100,
            "x-wc-webhook-topic": "a" * 8000,
            "x-edi-sender": "\xff\xfe" * 100,
            "message-id": "\xe9" * 4000,
        }
        if secret is not None:
            sig = SIGNATURE_HEADERS[channel]
            for kind, value in (
                ("bad signature", "AAAA"),
                ("signature not base64", "\xff\xfe"),
                ("signature 8 kB", "A" * 8000),
                ("empty signature", ""),
            ):
                cases.append(
                    Case(
                        target,
                        kind,
                        None,
                        path=path,
                        body=sample,
                        headers={**JSON_HEADERS, sig: value},
                    )
                )
            cases.append(
                Case(
                    target,
                    "hostile header values",
                    None,
                    path=path,
                    body=sample,
                    headers={**hostile_headers, sig: sign(secret, sample)},
                )
            )
        else:
            cases.append(
                Case(
                    target,
                    "hostile header values",
                    "integration",
                    path=path,
                    body=sample,
                    headers=hostile_headers,
                )
            )
            for kind, value in (
                ("Authorization not Bearer", "Basic YTpi"),
                ("Authorization Bearer + 8 kB", "Bearer " + "o" * 8000),
                ("Authorization latin-1 bytes", "Bearer og_\xff\xfe"),
                ("Authorization Bearer only", "Bearer "),
                ("Authorization many spaces", "Bearer      og_x   y"),
            ):
                cases.append(
                    Case(
                        target,
                        kind,
                        None,
                        path=path,
                        body=sample,
                        headers={**JSON_HEADERS, "authorization": value},
                    )
                )
    return cases


def _feed_cases(rng: random.Random) -> list[Case]:
    cases: list[Case] = []
    for kind in ("snapshot", "delta"):
        target = f"POST /feeds/inventory/{kind}"
        path = f"/feeds/inventory/{kind}"
        for what, body, ctype in _feed_rows(rng) + rng.sample(malformed_route_bodies(), 6):
            role: str | None = rng.choice(("integration", "admin", "partner"))
            cases.append(
                Case(
                    target,
                    what,
                    role,
                    path=path,
                    body=body,
                    headers={"content-type": ctype} if ctype else {},
                )
            )
        for role in ROLES:
            cases.append(
                Case(
                    target,
                    "a key of every role",
                    role,
                    path=path,
                    body=b"location,sku,onHand,delta\nNOWHERE,SKU-1,-1,-1\n",
                    headers={"content-type": "text/csv"},
                )
            )
        cases.append(
            Case(
                target,
                "partner key, rows of another location",
                "partner",
                path=path,
                body=b"location,sku,onHand,delta\nDC-RENO,SKU-1,-10000000,-10000000\n",
                headers={"content-type": "text/csv"},
            )
        )
    return cases


# ---- requests no client library will send --------------------------------------------------------


def raw_header_cases(host: str, keys: Mapping[str, str]) -> list[Case]:
    def request(path: str, headers: list[bytes], body: bytes = b"{}") -> bytes:
        lines = [
            f"POST {path} HTTP/1.1".encode(),
            f"Host: {host}".encode(),
            b"Content-Type: application/json",
            f"Content-Length: {len(body)}".encode(),
            b"Connection: close",
            *headers,
        ]
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    admin = keys["admin"].encode()
    gql = json.dumps({"query": "{ __typename }"}).encode()
    cases: list[Case] = []
    attacks: list[tuple[str, list[bytes]]] = [
        ("NUL in a header value", [b"X-Request-Id: a\x00b"]),
        ("NUL in Authorization", [b"Authorization: Bearer " + admin + b"\x00"]),
        ("invalid UTF-8 in Authorization", [b"Authorization: Bearer \xff\xfe" + admin]),
        ("control characters in a header", [b"X-Edi-Sender: \x01\x02\x1b[31m"]),
        ("bare CR in a header", [b"X-Request-Id: a\rInjected: 1"]),
        ("header name with a space", [b"Bad Name: 1"]),
        ("header without a colon", [b"NoColon"]),
        ("100 kB header", [b"X-Big: " + b"a" * 100_000]),
        ("1000 headers", [f"X-H{i}: {i}".encode() for i in range(1000)]),
        (
            "duplicate Authorization",
            [b"Authorization: Bearer " + admin, b"Authorization: Bearer og_other"],
        ),
        ("Content-Length lies (longer)", [b"X-Note: cl"]),
        ("obsolete line folding", [b"X-Fold: a\r\n b"]),
    ]
    for path in (
        "/graphql",
        "/ingest/x12",
        "/ingest/shopify",
        "/feeds/inventory/delta",
        "/healthz",
    ):
        for kind, headers in attacks:
            if kind.startswith("Content-Length lies") and path != "/graphql":
                continue  # the server rightly waits for the rest: once is enough
            raw = request(path, headers, gql if path == "/graphql" else b"{}")
            if kind.startswith("Content-Length lies"):
                raw = raw.replace(b"Content-Length: ", b"Content-Length: 9", 1)
            cases.append(Case(f"POST {path}", f"raw: {kind}", None, path=path, raw=raw))
    cases.append(
        Case(
            "POST /graphql",
            "raw: invalid request line",
            None,
            raw=b"P\x00ST /graphql HTTP/1.1\r\nHost: x\r\n\r\n",
        )
    )
    cases.append(
        Case(
            "POST /graphql",
            "raw: chunked garbage",
            None,
            raw=b"POST /graphql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/json\r\nConnection: close\r\n\r\nZZ\r\nx\r\n0\r\n",
        )
    )
    cases.append(
        Case(
            "POST /graphql",
            "raw: path with NUL and invalid UTF-8",
            None,
            raw=b"GET /graph\xffql%00?query=%FF HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
    )
    return cases


# ---- the websocket route -------------------------------------------------------------------------


def ws_cases() -> list[Case]:
    """graphql-transport-ws on /graphql: garbage frames, hostile connection_init and subscribe
    messages, with a key in the upgrade request, in connection_init, or none."""
    init = json.dumps({"type": "connection_init", "payload": {}})
    fan_out = "subscription { ...F29 } fragment F0 on Subscription { orderEvents { id } } " + (
        " ".join(
            f"fragment F{i} on Subscription {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 30)
        )
    )

    def subscribe(query: str, variables: Any = None, op_id: Any = "1") -> str:
        message = {
            "id": op_id,
            "type": "subscribe",
            "payload": {"query": query, "variables": variables},
        }
        return encode(message).decode()

    attacks: list[tuple[str, list[str | bytes]]] = [
        ("text garbage", ["hello"]),
        ("NUL frame", ["\x00" * 64]),
        ("binary invalid UTF-8", [b"\xff\xfe\x00"]),
        ("JSON not an object", ["[]", "123", "null"]),
        (
            "connection_init with a non-object payload",
            ['{"type": "connection_init", "payload": 5}'],
        ),
        (
            "connection_init with a hostile Authorization",
            [
                encode(
                    {"type": "connection_init", "payload": {"Authorization": "Bearer \ud800\x00"}}
                )
            ],
        ),
        ("connection_init twice", [init, init]),
        ("subscribe before connection_init", [subscribe("subscription { orderEvents { id } }")]),
        (
            "subscribe with 10k nested brackets",
            [
                init,
                '{"type": "subscribe", "id": "1", '
                '"payload": {"query": ' + "[" * 10_000 + "]" * 10_000 + "}}",
            ],
        ),
        (
            "subscribe with lone surrogates",
            [init, subscribe('subscription { orderEvents(orderId: "\ud800") { id } }')],
        ),
        (
            "subscribe with wrong variable types",
            [
                init,
                subscribe(
                    "subscription($o: ID) { orderEvents(orderId: $o) { id } }", {"o": {"a": 1}}
                ),
            ],
        ),
        ("subscribe with a fragment fan-out 2**29", [init, subscribe(fan_out)]),
        ("subscribe with a query, not a subscription", [init, subscribe("{ __typename }")]),
        (
            "subscribe with a non-string id",
            [init, subscribe("subscription { orderEvents { id } }", None, {"x": 1})],
        ),
        ("1 MB frame", [init, "x" * MB]),
        (
            "100 subscriptions with one id",
            [init, *([subscribe("subscription { orderEvents { id } }")] * 100)],
        ),
        ("unknown message type", [init, '{"type": "\u0000evil"}']),
    ]
    cases: list[Case] = []
    for i, (kind, frames) in enumerate(attacks):
        role = "admin" if "fan-out" in kind else ("admin", None, "storefront", "partner")[i % 4]
        cases.append(
            Case("WS /graphql", kind, role, method="WS", frames=frames, timed="fan-out" in kind)
        )
    return cases


def all_cases(case_lists: Sequence[list[Case]]) -> Iterator[Case]:
    for cases in case_lists:
        yield from cases
