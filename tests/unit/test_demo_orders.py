"""The demo day of orders: deterministic by seed, in the orderCreate input shape, with the day's
curve, basket sizes, popular SKUs and destinations the module documents."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ordergraph.cli import main
from ordergraph.connectors.order_file import order_request, read_orders
from ordergraph.domain.errors import ValidationError
from ordergraph.domain.orders import check_request
from ordergraph.tools.demo.network import generate_network
from ordergraph.tools.demo.orders import generate_orders
from tests.conftest import small_network

DAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def day() -> list[dict[str, object]]:
    return generate_orders(generate_network(), 3000, seed=11, day=DAY)


def test_one_seed_gives_one_day_and_another_seed_another(day: list[dict[str, object]]) -> None:
    network = generate_network()
    assert generate_orders(network, 3000, seed=11, day=DAY) == day
    assert generate_orders(network, 3000, seed=12, day=DAY) != day


def test_every_order_is_an_order_create_input_the_rules_accept(
    day: list[dict[str, object]],
) -> None:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    requests = [check_request(order_request(o, i), now=now) for i, o in enumerate(day)]
    assert all(1 <= len(r.lines) <= 4 for r in requests)
    assert len({r.external_id for r in requests}) == len(requests)
    placed = [r.placed_at for r in requests]
    assert placed == sorted(placed)
    assert all(p is not None and p.date() in (DAY, date(2026, 11, 25)) for p in placed)


def test_the_day_has_an_evening_peak_and_popular_skus(day: list[dict[str, object]]) -> None:
    hours = Counter(str(o["placedAt"])[11:13] for o in day)
    assert hours["01"] > 3 * hours["09"]  # 20:00 Eastern is 01:00 UTC; 04:00 Eastern is quiet
    skus = Counter(line["sku"] for o in day for line in o["lines"])  # type: ignore[attr-defined]
    top, *_ = skus.most_common(1)
    assert top[1] > 5 * sum(skus.values()) / len(skus)  # a best seller, not a uniform draw
    levels = Counter(o["serviceLevel"] for o in day)
    assert levels["STANDARD"] > levels["EXPRESS"] > levels["NEXT_DAY"] > 0
    regions = Counter(str(o["shipTo"]["postalCode"])[:3] for o in day)  # type: ignore[index]
    assert len(regions) > 200


def test_the_cli_writes_a_day_as_json_lines(tmp_path: Path) -> None:
    out = tmp_path / "day.jsonl"
    assert main(["demo", "--orders-out", str(out), "--orders", "25", "--day", "2026-11-24"]) == 0
    assert len(read_orders(out.read_bytes())) == 25


def test_a_bad_order_in_a_file_names_its_path() -> None:
    with pytest.raises(ValidationError) as bad:
        order_request({"channel": "web", "lines": [{"sku": "A", "quantity": "2"}]}, 3)
    assert bad.value.field == ("orders", "3", "lines", "0", "quantity")
    with pytest.raises(ValidationError, match="line 2 of the orders file is not valid JSON"):
        read_orders(b'{"channel": "web"}\n{nope\n')


def test_a_day_over_the_small_network_uses_its_regions() -> None:
    orders = generate_orders(small_network(), 50, seed=1, day=DAY)
    prefixes = {r["postalPrefix"] for r in small_network()["regions"]}
    assert {str(o["shipTo"]["postalCode"])[:3] for o in orders} <= prefixes  # type: ignore[index]
