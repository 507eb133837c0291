"""Finding SKUs by the words of their name and description: the full-text index of the graph.

FalkorDB: ``db.idx.fulltext.createNodeIndex('Sku', 'name', 'description')`` at migration
(``falkordb.py``) and ``db.idx.fulltext.queryNodes('Sku', $q)`` here, ranked by the engine's
TF-IDF score; the words are ORed and each of three letters or more is a prefix ("sock" finds
"socks"). Neo4j: a ``FULLTEXT INDEX sku_text`` on the same properties (``neo4j.py``) and
``db.index.fulltext.queryNodes``. An engine without full-text procedures (or an index not yet
built) falls back to a scan of SKUs whose lower-cased name or description CONTAINS a word,
ranked by how many words match: correct, slower on a large catalogue.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from ordergraph.graph.records.catalog import SkuRecord
from ordergraph.graph.store import GraphStore, GraphUnavailable

log = logging.getLogger(__name__)

FULLTEXT_LABEL = "Sku"
FULLTEXT_PROPERTIES = ("name", "description")
NEO4J_INDEX = "sku_text"
SKU = "s {.id, .name, .weightKg, .tags}"

_FALKOR = (
    f"CALL db.idx.fulltext.queryNodes('{FULLTEXT_LABEL}', $q) YIELD node, score "
    f"WITH node AS s, score RETURN {SKU} AS s, score ORDER BY score DESC, s.id LIMIT $limit"
)
_NEO4J = (
    f"CALL db.index.fulltext.queryNodes('{NEO4J_INDEX}', $q) YIELD node, score "
    f"WITH node AS s, score RETURN {SKU} AS s, score ORDER BY score DESC, s.id LIMIT $limit"
)
_SCAN = (
    "MATCH (s:Sku) WITH s, toLower(coalesce(s.name, '') + ' ' + coalesce(s.description, '')) "
    "AS text WITH s, size([w IN $words WHERE text CONTAINS w]) AS hits WHERE hits > 0 "
    f"RETURN {SKU} AS s, hits AS score ORDER BY score DESC, s.id LIMIT $limit"
)


def fulltext_terms(words: Sequence[str]) -> str:
    """The engine's query for shopper's words: ORed, a prefix from three letters."""
    return "|".join(f"{w}*" if len(w) >= 3 else w for w in words)


_ESCAPE = re.compile(r"[^0-9a-z]")


def _clean(words: Sequence[str]) -> list[str]:
    return [w for w in (_ESCAPE.sub("", w.lower()) for w in words) if w]


async def search(store: GraphStore, words: Sequence[str], limit: int) -> list[SkuRecord]:
    """SKUs matching any of ``words`` (kept: lower-case letters and digits), best first."""
    clean = _clean(words)
    if not clean:
        return []
    query = _NEO4J if store.engine == "neo4j" else _FALKOR
    try:
        rows = await store.read(query, {"q": fulltext_terms(clean), "limit": limit})
    except GraphUnavailable:
        raise
    except Exception as exc:  # no full-text procedure or index on this engine: scan
        log.info("full-text search unavailable (%s); scanning SKU names", exc)
        return await scan(store, clean, limit)
    return [SkuRecord.from_row(r["s"]) for r in rows]


async def scan(store: GraphStore, words: Sequence[str], limit: int) -> list[SkuRecord]:
    """The fallback on its own: a CONTAINS scan of every SKU."""
    clean = _clean(words)
    rows = await store.read(_SCAN, {"words": clean, "limit": limit}) if clean else []
    return [SkuRecord.from_row(r["s"]) for r in rows]
