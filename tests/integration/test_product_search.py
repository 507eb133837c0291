"""find_products on the real engine: the full-text index, and the CONTAINS scan an engine
without full-text procedures falls back to (the same answers on the small network)."""

from __future__ import annotations

from typing import Any

from ordergraph.graph import products
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.products import find_products, words_of


class NoFullText:
    """The store as an engine without full-text procedures answers: CALL fails, the rest runs."""

    def __init__(self, store: FalkorStore) -> None:
        self.store, self.engine = store, store.engine

    async def read(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        if "fulltext" in query:
            raise RuntimeError("Procedure `db.idx.fulltext.queryNodes` is not registered")
        return await self.store.read(query, params)


def test_the_shoppers_filler_words_are_not_searched() -> None:
    assert words_of("Do you have the blue LINEN apron, please?") == ["blue", "linen", "apron"]


async def test_words_find_skus_through_the_index_best_match_first(loaded: FalkorStore) -> None:
    found = await find_products(loaded, "merino socks", 5)
    assert [s.id for s in found][:1] == ["SKU-1"]
    assert [s.id for s in await find_products(loaded, "sock", 5)] == ["SKU-1"]  # a prefix
    assert await find_products(loaded, "zebra", 5) == []


async def test_an_engine_without_full_text_scans_and_finds_the_same(loaded: FalkorStore) -> None:
    for words in (["merino", "socks"], ["tent"], ["power", "bank"]):
        indexed = await products.search(loaded, words, 5)
        scanned = await products.search(NoFullText(loaded), words, 5)  # type: ignore[arg-type]
        assert [s.id for s in scanned] == [s.id for s in indexed]
        assert scanned
