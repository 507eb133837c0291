"""Every statement that changes a stock position moves its SKU's stock version (issue #12,
"Channel stock feeds out"; issue #13's caches reuse it): the statements are enumerated here."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable

import ordergraph.graph
from ordergraph.graph.fragments import BUMP_STOCK_VERSION

# A write to a stock position's numbers (not ``ON CREATE SET``, which makes an empty one).
WRITES = re.compile(
    r"(?<!ON CREATE )SET\s[^\n]*?\bs\.(onHand|reserved|safetyStock|damaged|qualityControl|"
    r"protectRemaining|protectChannels)\s*="
)


def graph_statements(matches: Callable[[str], object]) -> dict[str, str]:
    """Every string constant of ordergraph/graph that ``matches``, by its qualified name."""
    found = {}
    for info in pkgutil.walk_packages(ordergraph.graph.__path__, "ordergraph.graph."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, str) and matches(value):
                found[f"{info.name}.{name}"] = value
    return found


def statements() -> dict[str, str]:
    return graph_statements(WRITES.search)


def test_the_writes_are_found() -> None:
    names = set(statements())
    for expected in (
        "ordergraph.graph.fragments.WRITE_STOCK",
        "ordergraph.graph.fragments.RESERVE_NEW_ORDER",
        "ordergraph.graph.fragments.RESERVE_CHANGE",
        "ordergraph.graph.catalog.ADJUST_STOCK",
        "ordergraph.graph.catalog.SET_PROTECTIONS",
        "ordergraph.graph.ingestion.ADJUST_STOCK_BATCH",
        "ordergraph.graph.inbound.RECEIVE",
        "ordergraph.graph.stockstates.SET_STOCK_STATES",
        "ordergraph.graph.lifecycle.APPLY_CHANGE",
        "ordergraph.graph.orders.CREATE_ORDER",
    ):
        assert expected in names, (expected, sorted(names))


def test_every_stock_write_moves_the_stock_version() -> None:
    found = statements()

    def parts_of(text: str) -> list[str]:
        return [other for other in found.values() if text in other and other != text]

    # a fragment is covered when it is part of statements and each of them bumps the version
    missing = [
        name
        for name, text in found.items()
        if BUMP_STOCK_VERSION not in text
        and not (parts_of(text) and all(BUMP_STOCK_VERSION in o for o in parts_of(text)))
    ]
    assert missing == []


def test_the_pattern_can_fail() -> None:
    assert WRITES.search("MATCH (l)-[s:STOCKS]->(k) SET s.onHand = 3")
    assert not WRITES.search("MERGE (l)-[s:STOCKS]->(k) ON CREATE SET s.onHand = 0")
