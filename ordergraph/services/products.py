"""Products by the shopper's words: "the blue linen apron" becomes a SKU (graph/products.py)."""

from __future__ import annotations

import re

from ordergraph.domain.errors import ValidationError
from ordergraph.graph import products as q
from ordergraph.graph.records.catalog import SkuRecord
from ordergraph.graph.store import GraphStore

MAX_QUERY = 200
MAX_LIMIT = 20
# words that name no product: left out so that they match nothing by prefix
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "any",
        "are",
        "can",
        "do",
        "for",
        "have",
        "i",
        "in",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "please",
        "some",
        "the",
        "to",
        "with",
        "you",
    ]
)
_WORD = re.compile(r"[^\W_]+")


def words_of(query: str) -> list[str]:
    """The searchable words of a shopper's query, in order, once each."""
    words = [w.lower() for w in _WORD.findall(query)]
    return list(dict.fromkeys(w for w in words if w not in STOP_WORDS))


async def find_products(store: GraphStore, query: str, limit: int = 5) -> list[SkuRecord]:
    if not query.strip() or len(query) > MAX_QUERY:
        raise ValidationError(f"query must be 1 to {MAX_QUERY} characters", field=("query",))
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be 1 to {MAX_LIMIT}", field=("limit",))
    words = words_of(query)
    if not words:
        raise ValidationError("query names no product: give a word of its name", field=("query",))
    return await q.search(store, words, limit)
