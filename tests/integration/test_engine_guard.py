"""FalkorDB 4.x crashes (SIGSEGV in its unique-constraint check) when a uniquely constrained
property is written as "" or with white space at either end: the adapter refuses such a write,
so no caller can take the engine down for everyone."""

from __future__ import annotations

import pytest

from ordergraph.domain.errors import ValidationError
from ordergraph.graph.falkordb import FalkorStore


@pytest.mark.parametrize("bad", ["", " x", "x ", "x\t", "x\n"])
async def test_a_write_of_an_id_the_engine_cannot_hold_is_refused_and_the_engine_stays_up(
    store: FalkorStore, bad: str
) -> None:
    with pytest.raises(ValidationError, match="white space"):
        await store.write("MERGE (c:Channel {id: $id}) RETURN c.id AS id", {"id": bad})
    with pytest.raises(ValidationError):
        await store.write(
            "UNWIND $rows AS r MERGE (c:Channel {id: r.id}) RETURN c.id AS id",
            {"rows": [{"id": "fine"}, {"id": bad}]},
        )
    assert await store.write("MERGE (c:Channel {id: $id}) RETURN c.id AS id", {"id": "x y"}) == [
        {"id": "x y"}
    ]
    assert await store.read("MATCH (c:Channel) RETURN count(c) AS n", {}) == [{"n": 1}]


async def test_the_guard_checks_every_row_of_a_large_batch(store: FalkorStore) -> None:
    # a harmless query: were the guard to miss the bad row, the write would just count rows
    rows = [{"id": f"SKU-{i}"} for i in range(12_000)] + [{"id": " late"}]
    with pytest.raises(ValidationError, match="white space"):
        await store.write("UNWIND $rows AS r RETURN count(r) AS n", {"rows": rows})
    assert await store.write("UNWIND $rows AS r RETURN count(r) AS n", {"rows": rows[:-1]}) == [
        {"n": 12_000}
    ]
