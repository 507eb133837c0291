"""Every statement that writes the static network (a location, region, lane or channel) moves
the network version (issue #13: each worker's network cache and availability answers are
tagged with it): the statements are enumerated here, like the stock version's
(tests/unit/test_stock_version.py)."""

from __future__ import annotations

import re

from ordergraph.graph.fragments import BUMP_NETWORK_VERSION
from tests.unit.test_stock_version import graph_statements

# A variable bound to a node or relationship of the static network.
BOUND = re.compile(r"[(\[](\w+):(Location|Region|Channel|LANE)\b")


def writes_network(text: str) -> bool:
    """Whether ``text`` creates, merges, sets, removes or deletes a network node or edge (a
    ``_lock`` property, set and removed in the same statement, changes nothing)."""
    if re.search(r"\b(MERGE|CREATE)\b[^\n]*?[(\[]\w*:(Location|Region|Channel|LANE)\b", text):
        return True
    for var in {m.group(1) for m in BOUND.finditer(text)}:
        assigned = rf"\b{var}\.(?!_lock\b)\w+\s*=|\b{var}\s*\+="
        if re.search(rf"\bSET\s[^\n]*?({assigned})", text):
            return True
        if re.search(rf"\bREMOVE\s[^\n]*?\b{var}\.(?!_lock\b)\w+", text):
            return True
        if re.search(rf"\bDELETE\b[^\n]*\b{var}\b", text):
            return True
    return False


def statements() -> dict[str, str]:
    return graph_statements(writes_network)


def test_the_network_writes_are_found() -> None:
    names = set(statements())
    for expected in (
        "ordergraph.graph.catalog.UPSERT_LOCATIONS",
        "ordergraph.graph.catalog.UPSERT_REGIONS",
        "ordergraph.graph.catalog.UPSERT_LANES",
        "ordergraph.graph.catalog.UPSERT_CHANNELS",
    ):
        assert expected in names, (expected, sorted(names))


def test_every_network_write_moves_the_network_version() -> None:
    missing = [name for name, text in statements().items() if BUMP_NETWORK_VERSION not in text]
    assert missing == []


def test_the_pattern_can_fail() -> None:
    assert writes_network("MATCH (l:Location {id: $id}) SET l.active = false")
    assert writes_network("UNWIND $rows AS r MERGE (n:Region {id: r.id}) SET n += r")
    assert writes_network("MATCH (l:Location)-[ln:LANE]->(g:Region) DELETE ln")
    assert writes_network("MATCH (ch:Channel {id: $id}) REMOVE ch.sellInbound")
    assert not writes_network("MATCH (l:Location {id: $id}) SET l._lock = true REMOVE l._lock")
    assert not writes_network("MATCH (l:Location)-[s:STOCKS]->(k:Sku) SET s.onHand = 1")
    assert not writes_network("MATCH (l:Location) WHERE l.active = true RETURN l.id")
