"""Imports point down only (ARCHITECTURE.md): app/cli -> resolvers -> schema -> services ->
{graph, connectors} -> domain; the domain imports nothing of ours but itself."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "ordergraph"
# layer -> the layers it may import from (besides itself)
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "graph": {"domain", "settings"},
    "connectors": {"domain", "settings"},
    "services": {"domain", "graph", "connectors", "settings"},
    "schema": {"domain", "services", "graph", "settings"},
    "resolvers": {"domain", "services", "graph", "schema", "settings", "connectors"},
}


def ours(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        names = [node.module]
    else:
        return []
    return [n.split(".")[1] for n in names if n.startswith("ordergraph.") and n.count(".") >= 1]


def test_every_layer_imports_only_the_layers_below_it() -> None:
    wrong = []
    for layer, allowed in ALLOWED.items():
        for path in (PACKAGE / layer).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                for target in ours(node):
                    if target != layer and target not in allowed:
                        wrong.append(f"{path.relative_to(PACKAGE)} imports ordergraph.{target}")
    assert wrong == []


def test_the_domain_uses_no_framework_or_io_library() -> None:
    banned = {"strawberry", "starlette", "falkordb", "neo4j", "httpx", "redis", "uvicorn", "orjson"}
    found = []
    for path in (PACKAGE / "domain").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                roots = {node.module.split(".")[0]}
            else:
                continue
            found += [f"{path.name}: {r}" for r in roots & banned]
    assert found == []
