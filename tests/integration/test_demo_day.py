"""``serve --demo --demo-orders N`` places a demo day at boot: the same function, on the real
engine over the small network."""

from __future__ import annotations

from datetime import date

from ordergraph.cli import place_inputs
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.tools.demo.orders import generate_orders
from tests.conftest import small_network


async def test_a_demo_day_is_placed_order_by_order(loaded: FalkorStore) -> None:
    inputs = generate_orders(small_network(), 30, seed=3, day=date(2026, 11, 24))
    placed, refused = await place_inputs(loaded, inputs, quiet=True)
    assert placed + refused == 30 and placed > 0
    rows = await loaded.read("MATCH (o:Order) RETURN count(o) AS n, collect(o.externalId) AS ids")
    assert rows[0]["n"] == placed
    assert set(rows[0]["ids"]) <= {o["externalId"] for o in inputs}
