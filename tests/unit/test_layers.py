"""The layer rules of ARCHITECTURE.md, checked on the AST of every module in ordergraph/.

Layers: app/cli -> resolvers -> schema -> services -> {graph, connectors} -> domain; Cypher lives
only in graph/, rows stay in graph/, and the domain imports nothing of ours but itself.

Rules (issue #9):

1. imports: a module imports only its own layer and the layers below it (ALLOWED), counting
   `import ordergraph.x.y`, `from ordergraph.x import y`, `from ordergraph import x` (the names are
   the layers) and relative imports (resolved against the file's package). The top-level modules
   are their own layers: settings.py imports nothing of ours; app.py and cli.py anything. STRICT:
   no baseline.
2. cypher: no Cypher string (a string constant or f-string that is not a docstring) outside
   graph/, and no `store.read(...)` / `*_store.write(...)` outside graph/ whose query is a string,
   an f-string or a query constant (an UPPER_CASE name) picked from graph/.
3. camel: no camelCase row lookup (`row["someKey"]`, `row.get("someKey")`, `row.pop("someKey")`,
   read context only) above graph/: services/, schema/, resolvers/, http/, cli.py, app.py. Not
   connectors/ (channel payloads have camelCase keys) and not domain/.
4. json: no json.loads / orjson.loads (decoding a stored property) in services/, schema/,
   resolvers/, http/, except the request-body decoders listed in JSON_ALLOWED.
5. strawberry: no strawberry type/input/enum/interface defined in resolvers/ except the root
   containers (a class named *Query, *Mutation, *Subscription, or listed in ROOTS).

Rules 2-5 run
as a RATCHET: KNOWN[rule] maps "path.py" (relative to ordergraph/) to the number of violations
allowed in that file. A file above its count, or not listed, fails (a new violation); a count
above the real one fails too (stale: lower it), so the baseline can only shrink.

Known violations today: none (the record boundary of #9 is complete); the ratchet keeps it so.
    cypher: 0
    camel: 0
    json: 0
    strawberry: 0
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "ordergraph"

# layer -> the layers it may import from (besides itself). A top-level module (app.py, cli.py,
# settings.py) is its own layer; ordergraph/__init__.py is the layer "ordergraph".
EVERYTHING = {
    "domain",
    "graph",
    "connectors",
    "services",
    "schema",
    "resolvers",
    "http",
    "mcp",
    "web",
    "tools",
    "settings",
    "app",
    "cli",
}
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "settings": set(),
    "graph": {"domain", "settings"},
    "connectors": {"domain", "settings"},
    "services": {"domain", "graph", "connectors", "settings"},
    "schema": {"domain", "services", "graph", "settings"},
    "resolvers": {"domain", "services", "graph", "schema", "settings", "connectors"},
    # the HTTP entry points (gateway, GraphQL view, ingestion and feed routes, health): beside
    # the resolvers, below app/cli
    "http": {"domain", "services", "graph", "schema", "settings", "connectors"},
    # the MCP server (issue #15): an entry point like http/, over the same services; it uses
    # http/ only for the shared text rules and the checked store
    "mcp": {"domain", "services", "graph", "settings", "connectors", "http"},
    # the browser apps (issue #16): an entry point like http/ over the same services; http/ for
    # the app state it is handed, graph/ for the records it shows (never Cypher: rule 2)
    "web": {"domain", "services", "graph", "settings", "http"},
    # the demo network generator and the terminal progress bars (used by the CLI only)
    "tools": {"domain", "services"},
    "app": EVERYTHING,
    "cli": EVERYTHING,
    "ordergraph": set(),
}

# Above graph/ for the camelCase rule (connectors/ and domain/ are not: see the module docstring).
CAMEL_SCOPE = (
    "services/",
    "schema/",
    "resolvers/",
    "http/",
    "mcp/",
    "web/",
    "cli.py",
    "app.py",
)
JSON_SCOPE = ("services/", "schema/", "resolvers/", "http/", "mcp/", "web/")
STRAWBERRY_SCOPE = ("resolvers/",)
# (path, function) where json.loads decodes a request body, not a stored property. Keep it short:
# each entry is an HTTP handler reading what a client sent.
JSON_ALLOWED: set[tuple[str, str]] = {
    # the GraphQL view's body/websocket-message decoder (strawberry's hook)
    ("http/graphql.py", "decode_json"),
    # the browser session cookie (signed by us, sent back by the browser)
    ("web/session.py", "decode"),
}
# (path, function) where a camelCase key is a protocol field of a request, not a row property.
CAMEL_ALLOWED: set[tuple[str, str]] = {
    # GraphQL over HTTP/websocket: the request's `operationName`
    ("http/graphql.py", "request_problem"),
    ("http/graphql.py", "parse_http_body"),
}
# root containers that do not end in Query/Mutation/Subscription
ROOTS: set[str] = set()

CAMEL = re.compile(r"^[a-z]+[A-Z]")
CYPHER_KEYWORD = re.compile(r"\b(MATCH|MERGE|CREATE|UNWIND|DETACH DELETE|RETURN)\b")
# a node pattern `(x:Label` / `(:Label`, a relationship `]->(` / `<-[` / `-[:TYPE`, or a RETURN
# clause (`RETURN x.prop`, `RETURN x AS y`, `RETURN x {.*}`, `RETURN count(x)`, `RETURN a, b`)
CYPHER_SHAPE = re.compile(
    r"\(\s*\w*\s*:\s*`?\w|\]\s*->\s*\(|<-\s*\[|-\[\s*\w*\s*:"
    r"|\bRETURN\s+(DISTINCT\s+)?\w+\s*(\.|\bAS\b|\{|\(|,|$)"
)
QUERY_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")
ROOT_NAME = re.compile(r"(Query|Mutation|Subscription)$")
STRAWBERRY_KINDS = {"type", "input", "enum", "interface"}


@dataclass(frozen=True)
class Hit:
    path: str  # relative to ordergraph/, e.g. "services/orders.py"
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


def layer_of(path: str) -> str:
    """The layer of a module given by its path relative to ordergraph/."""
    head = path.split("/")[0]
    if head.endswith(".py"):
        return "ordergraph" if head == "__init__.py" else head[: -len(".py")]
    return head


def package_of(path: str) -> list[str]:
    """The dotted package a module's relative imports resolve against, as parts."""
    parts = ["ordergraph", *path[: -len(".py")].split("/")]
    return parts[:-1]  # a module's package; for pkg/__init__.py that is pkg itself


def in_scope(path: str, scope: Iterable[str]) -> bool:
    return any(path == s or (s.endswith("/") and path.startswith(s)) for s in scope)


def snippet(source: str, node: ast.AST) -> str:
    text = ast.get_source_segment(source, node) or ast.dump(node)
    text = " ".join(text.split())
    return text if len(text) <= 90 else text[:87] + "..."


def modules() -> Iterator[tuple[str, str]]:
    for file in sorted(PACKAGE.rglob("*.py")):
        yield file.relative_to(PACKAGE).as_posix(), file.read_text()


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring constants of the module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                found.add(id(body[0].value))
    return found


def dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def walk_in_functions(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """Every node with the name of its innermost enclosing function ("<module>" outside any)."""

    def visit(node: ast.AST, function: str) -> Iterator[tuple[ast.AST, str]]:
        for child in ast.iter_child_nodes(node):
            yield child, function
            inner = (
                child.name
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                else function
            )
            yield from visit(child, inner)

    return visit(tree, "<module>")


def imported_names(tree: ast.AST) -> dict[str, str]:
    """local name -> the dotted name it stands for (`import json as j`, `from json import x`)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    names[a.asname] = a.name
                else:
                    root = a.name.split(".")[0]
                    names[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def resolved(node: ast.AST, names: dict[str, str]) -> str | None:
    """The dotted name of an expression with its first part mapped through the imports."""
    name = dotted(node)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    full = names.get(head, head)
    return f"{full}.{rest}" if rest else full


# --- rule 1: imports ---------------------------------------------------------------------------


def imported_layers(path: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The layers of ordergraph an import statement reaches (empty for other packages)."""
    targets: list[list[str]] = []
    if isinstance(node, ast.Import):
        targets = [a.name.split(".") for a in node.names]
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = package_of(path)
            base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
            module = [*base, *(node.module.split(".") if node.module else [])]
        else:
            module = (node.module or "").split(".")
        if module == ["ordergraph"]:  # `from ordergraph import graph, settings`: names are layers
            targets = [["ordergraph", a.name] for a in node.names]
        else:
            targets = [module]
    layers = []
    for parts in targets:
        if parts[0] != "ordergraph":
            continue
        # `import ordergraph`, `from ordergraph import __version__`: the package root, which itself
        # may import no layer (ALLOWED["ordergraph"]), so reaching it reaches nothing above
        if len(parts) > 1 and parts[1] in ALLOWED and parts[1] != "ordergraph":
            layers.append(parts[1])
    return layers


def check_imports(path: str, source: str) -> list[Hit]:
    layer = layer_of(path)
    allowed = ALLOWED.get(layer)
    if allowed is None:
        return [Hit(path, 1, f"layer {layer!r} is not in ALLOWED")]
    hits = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for target in imported_layers(path, node):
            if target != layer and target not in allowed:
                hits.append(
                    Hit(path, node.lineno, f"{layer} imports {target}: {snippet(source, node)}")
                )
    return hits


# --- rule 2: Cypher outside graph/ ---------------------------------------------------------------


def looks_like_cypher(text: str) -> bool:
    return bool(CYPHER_KEYWORD.search(text) and CYPHER_SHAPE.search(text))


def joined_text(node: ast.JoinedStr) -> str:
    return "".join(
        v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
        for v in node.values
    )


def is_store(node: ast.AST) -> bool:
    name = (
        node.id
        if isinstance(node, ast.Name)
        else node.attr
        if isinstance(node, ast.Attribute)
        else ""
    )
    return name == "store" or name.endswith("_store")


def check_cypher(path: str, source: str) -> list[Hit]:
    if path.startswith("graph/"):
        return []
    tree = ast.parse(source)
    skip = docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)  # judged as one f-string
    flagged: set[int] = set()
    hits = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = joined_text(node)
        else:
            continue
        if looks_like_cypher(text):
            flagged.add(id(node))
            hits.append(Hit(path, node.lineno, f"Cypher string: {snippet(source, node)}"))
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"read", "write"}
            and is_store(node.func.value)
            and node.args
        ):
            continue
        query = node.args[0]
        if id(query) in flagged:
            continue  # already counted as a Cypher string
        constant = isinstance(query, ast.Constant) and isinstance(query.value, str)
        named = (isinstance(query, ast.Name) and QUERY_CONSTANT.match(query.id)) or (
            isinstance(query, ast.Attribute) and QUERY_CONSTANT.match(query.attr)
        )
        if constant or named or isinstance(query, ast.JoinedStr):
            hits.append(
                Hit(path, node.lineno, f"query run outside graph/: {snippet(source, node)}")
            )
    return hits


# --- rule 3: camelCase row lookups above graph/ --------------------------------------------------


def camel_key(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and CAMEL.match(node.value):
        return node.value
    return None


def check_camel(path: str, source: str) -> list[Hit]:
    if not in_scope(path, CAMEL_SCOPE):
        return []
    hits = []
    for node, function in walk_in_functions(ast.parse(source)):
        if (path, function) in CAMEL_ALLOWED:
            continue
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            key = camel_key(node.slice)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"get", "pop"}
            and node.args
        ):
            key = camel_key(node.args[0])
        else:
            continue
        if key is not None:
            hits.append(
                Hit(path, node.lineno, f"camelCase lookup {key!r}: {snippet(source, node)}")
            )
    return hits


# --- rule 4: json.loads of stored properties above graph/ ----------------------------------------


def check_json(path: str, source: str) -> list[Hit]:
    if not in_scope(path, JSON_SCOPE):
        return []
    tree = ast.parse(source)
    names = imported_names(tree)
    return [
        Hit(path, node.lineno, f"in {function}: {snippet(source, node)}")
        for node, function in walk_in_functions(tree)
        if isinstance(node, ast.Call)
        and resolved(node.func, names) in {"json.loads", "orjson.loads"}
        and (path, function) not in JSON_ALLOWED
    ]


# --- rule 5: strawberry types in resolvers/ ------------------------------------------------------


def check_strawberry(path: str, source: str) -> list[Hit]:
    if not in_scope(path, STRAWBERRY_SCOPE):
        return []
    tree = ast.parse(source)
    names = imported_names(tree)
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef) or ROOT_NAME.search(node.name) or node.name in ROOTS:
            continue
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = resolved(target, names) or ""
            if name.startswith("strawberry.") and name.split(".")[-1] in STRAWBERRY_KINDS:
                hits.append(Hit(path, node.lineno, f"@{name} class {node.name}"))
    return hits


# --- the ratchet ---------------------------------------------------------------------------------

RULES = {
    "cypher": check_cypher,
    "camel": check_camel,
    "json": check_json,
    "strawberry": check_strawberry,
}

# Generated from the tree at the layout merge (6c7783c). Lower a count when you remove a
# violation; never raise one: move the Cypher into graph/, the row into a record, the type into
# schema/ instead.
KNOWN: dict[str, dict[str, int]] = {
    "cypher": {},
    "camel": {},
    "json": {},
    "strawberry": {},
}


def scan(rule: str) -> list[Hit]:
    check = RULES[rule]
    hits = [hit for path, source in modules() for hit in check(path, source)]
    return sorted(hits, key=lambda hit: (hit.path, hit.line))


def ratchet(hits: list[Hit], known: dict[str, int]) -> tuple[list[str], list[str]]:
    """(new violations, stale baseline entries) of one rule's hits against its baseline."""
    counts = Counter(hit.path for hit in hits)
    new = [
        f"{path}: {n} violation(s), baseline {known.get(path, 0)}:\n    "
        + "\n    ".join(str(hit) for hit in hits if hit.path == path)
        for path, n in sorted(counts.items())
        if n > known.get(path, 0)
    ]
    stale = [
        f"{path}: baseline {n}, now {counts.get(path, 0)}: lower it to {counts.get(path, 0)}"
        + (" (delete the entry)" if not counts.get(path, 0) else "")
        for path, n in sorted(known.items())
        if n > counts.get(path, 0)
    ]
    return new, stale


# --- the rules on the real tree ------------------------------------------------------------------


def test_every_layer_imports_only_the_layers_below_it() -> None:
    wrong = [str(hit) for path, source in modules() for hit in check_imports(path, source)]
    assert wrong == []


def test_the_domain_uses_no_framework_or_io_library() -> None:
    banned = {"strawberry", "starlette", "falkordb", "neo4j", "httpx", "redis", "uvicorn", "orjson"}
    found = []
    for path in (PACKAGE / "domain").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            found += [f"{path.name}: {r}" for r in roots & banned]
    assert found == []


@pytest.mark.parametrize("rule", RULES)
def test_no_new_violation(rule: str) -> None:
    new, _ = ratchet(scan(rule), KNOWN[rule])
    assert new == [], f"new {rule} violations (fix them, do not raise KNOWN):\n" + "\n".join(new)


@pytest.mark.parametrize("rule", RULES)
def test_the_baseline_is_not_stale(rule: str) -> None:
    _, stale = ratchet(scan(rule), KNOWN[rule])
    assert stale == [], f"KNOWN[{rule!r}] is stale, lower it:\n" + "\n".join(stale)


def test_the_docstring_states_the_work_left() -> None:
    assert __doc__ is not None
    stated = dict(re.findall(r"^\s+(\w+): (\d+)$", __doc__, re.M))
    assert stated == {rule: str(sum(KNOWN[rule].values())) for rule in RULES}


# --- each rule can fail: synthetic snippets ------------------------------------------------------


def flagged(check_name: str, path: str, source: str) -> list[int]:
    check = {**RULES, "imports": check_imports}[check_name]
    return sorted(hit.line for hit in check(path, source))


@pytest.mark.parametrize(
    ("source", "path"),
    [
        ("from ordergraph import graph\n", "domain/orders.py"),
        ("import ordergraph.graph.store\n", "domain/orders.py"),
        ("from ordergraph.services.orders import place\n", "graph/orders.py"),
        ("from .. import graph\n", "domain/orders.py"),
        ("from ..graph import store\n", "domain/orders.py"),
        ("from ...services import orders\n", "domain/routing/engine.py"),
        ("from ..resolvers.root import schema\n", "schema/orders.py"),
        ("from . import cli\n", "settings.py"),
        ("from ordergraph import settings\n", "domain/orders.py"),
        ("from ordergraph.http import gateway\n", "resolvers/orders.py"),
        ("from ordergraph import x\n", "brand_new_layer/x.py"),  # a layer missing from ALLOWED
    ],
)
def test_an_upward_import_is_flagged(source: str, path: str) -> None:
    assert flagged("imports", path, source) == [1]


@pytest.mark.parametrize(
    ("source", "path"),
    [
        ("from ordergraph.domain import orders\n", "graph/orders.py"),
        ("from . import money\n", "domain/orders.py"),
        ("from .engine import route\n", "domain/routing/__init__.py"),
        ("from ..money import Money\n", "domain/routing/engine.py"),
        ("from ordergraph import graph, services, resolvers, tools\n", "cli.py"),
        ("import ordergraph.http.gateway\n", "app.py"),
        ("from ordergraph import settings\n", "graph/connect.py"),
        ("import json\nfrom strawberry import Schema\n", "settings.py"),
        ("import ordergraph\nfrom ordergraph import __name__ as n\n", "domain/orders.py"),
    ],
)
def test_a_downward_import_is_not_flagged(source: str, path: str) -> None:
    assert flagged("imports", path, source) == []


def test_relative_imports_resolve_against_the_package() -> None:
    assert package_of("domain/routing/engine.py") == ["ordergraph", "domain", "routing"]
    assert package_of("domain/routing/__init__.py") == ["ordergraph", "domain", "routing"]
    assert package_of("cli.py") == ["ordergraph"]
    # `from .. import graph` in domain/routing/engine.py is ordergraph.domain.graph: still domain
    assert flagged("imports", "domain/routing/engine.py", "from .. import graph\n") == []
    assert flagged("imports", "domain/routing/engine.py", "from ... import graph\n") == [1]


CYPHER_IN_A_SERVICE = '''\
"""Reads orders. MATCH the docstring: RETURN nothing (o:Order)."""
def find(store, oid):
    """MATCH (o:Order) RETURN o -- a docstring is prose."""
    return store.read("MATCH (o:Order {id: $id}) RETURN o", {"id": oid})
def node(store, label, nid):
    return store.read(f"MATCH (n:{label} {{id: $id}}) RETURN n {{.*}}", {"id": nid})
def upsert(ctx, rows):
    ctx.store.write(catalog.UPSERT_REGIONS, {"rows": rows})
QUERY = (
    "MATCH (o:Order)-[:HAS]->(l:Line) "
    "RETURN l"
)
def built(store, q):
    return store.read(q)
'''


def test_a_cypher_string_outside_graph_is_flagged() -> None:
    assert flagged("cypher", "services/orders.py", CYPHER_IN_A_SERVICE) == [4, 6, 8, 10]
    assert flagged("cypher", "cli.py", CYPHER_IN_A_SERVICE) == [4, 6, 8, 10]
    assert flagged("cypher", "graph/orders.py", CYPHER_IN_A_SERVICE) == []


def test_english_and_file_reads_are_not_cypher() -> None:
    source = (
        'MESSAGE = "MATCH failed: could not MERGE the two lists; RETURN to the caller"\n'
        'HINT = "create (optional) a new key"\n'
        "text = path.read()\n"
        'data = fh.read("x")\n'
        'restore.write("hello")\n'
        'NOTE = "RETURN the caller a CREATE (x) count"\n'
    )
    assert flagged("cypher", "services/orders.py", source) == []


CAMEL_LOOKUPS = """\
def to_state(row, args):
    placed = row["placedAtMs"]
    loc = row.get("locationId")
    row.pop("externalId")
    ok = row["id"]
    out = {"requestedQueryCost": 3, "orderId": placed}
    out["actualQueryCost"] = 4
    return dict(shipTo=loc)
"""


def test_a_camel_case_row_lookup_above_graph_is_flagged() -> None:
    for path in ("services/lifecycle.py", "schema/orders.py", "resolvers/x.py", "http/ingest.py"):
        assert flagged("camel", path, CAMEL_LOOKUPS) == [2, 3, 4], path
    assert flagged("camel", "cli.py", CAMEL_LOOKUPS) == [2, 3, 4]


def test_a_camel_case_lookup_in_connectors_graph_or_domain_is_not_flagged() -> None:
    payload = 'def order(data):\n    return data.get("orderId"), data["shipTo"]\n'
    assert flagged("camel", "connectors/pull/channels.py", payload) == []
    assert flagged("camel", "graph/orders.py", CAMEL_LOOKUPS) == []
    assert flagged("camel", "domain/lifecycle.py", CAMEL_LOOKUPS) == []


JSON_DECODES = """\
import json
import orjson as fast
from json import loads
def payload(event):
    a = json.loads(event["payload"])
    b = fast.loads(event["routing"])
    return loads(event["x12"]), json.dumps(a), b
"""


def test_json_loads_of_a_stored_property_above_graph_is_flagged() -> None:
    assert flagged("json", "schema/orders.py", JSON_DECODES) == [5, 6, 7]
    assert flagged("json", "http/ingest.py", JSON_DECODES) == [5, 6, 7]
    assert flagged("json", "connectors/feeds.py", JSON_DECODES) == []
    assert flagged("json", "graph/orders.py", JSON_DECODES) == []


def test_an_allowed_request_body_decoder_is_not_flagged() -> None:
    source = (
        "import json\nasync def handler(request):\n    return json.loads(await request.body())\n"
    )
    assert flagged("json", "http/ingest.py", source) == [3]
    JSON_ALLOWED.add(("http/ingest.py", "handler"))
    try:
        assert flagged("json", "http/ingest.py", source) == []
        assert flagged("json", "http/feeds.py", source) == [3]  # allowed per file and function
    finally:
        JSON_ALLOWED.discard(("http/ingest.py", "handler"))


STRAWBERRY_IN_A_RESOLVER = """\
import strawberry
from strawberry import input as gql_input
import enum
@strawberry.type
class LanePayload:
    ok: bool
@strawberry.type(description="x")
class Lane:
    id: str
@gql_input
class LaneInput:
    id: str
@strawberry.enum
class Kind(enum.Enum):
    A = "A"
@strawberry.interface
class Node:
    id: str
@strawberry.type
class NetworkMutation:
    x: int
@strawberry.type
class OrderQuery:
    y: int
@strawberry.type
class EventSubscription:
    z: int
class Helper:
    pass
"""


def test_a_strawberry_type_in_a_resolver_is_flagged() -> None:
    assert flagged("strawberry", "resolvers/network.py", STRAWBERRY_IN_A_RESOLVER) == [
        5,
        8,
        11,
        14,
        17,
    ]
    assert flagged("strawberry", "schema/network.py", STRAWBERRY_IN_A_RESOLVER) == []


def test_the_ratchet_fails_on_new_and_on_stale_counts() -> None:
    hits = [Hit("a.py", 1, "x"), Hit("a.py", 2, "y"), Hit("b.py", 3, "z")]
    assert ratchet(hits, {"a.py": 2, "b.py": 1}) == ([], [])
    new, stale = ratchet(hits, {"a.py": 1, "c.py": 2})
    assert len(new) == 2 and "a.py:1: x" in new[0] and "a.py:2: y" in new[0]
    assert "b.py:3: z" in new[1] and "baseline 0" in new[1]
    assert stale == ["c.py: baseline 2, now 0: lower it to 0 (delete the entry)"]
    new, stale = ratchet(hits, {"a.py": 5, "b.py": 1})
    assert new == [] and stale == ["a.py: baseline 5, now 2: lower it to 2"]
