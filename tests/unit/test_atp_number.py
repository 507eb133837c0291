"""``atp_number`` is ``channel_atp(...).result`` (availability's hot path skips the explanation)."""

from __future__ import annotations

import random
from datetime import date

from ordergraph.domain.atp import ChannelRules, Protection, atp_number, channel_atp


def test_the_number_alone_is_the_explained_number() -> None:
    rng = random.Random(12)
    today = date(2026, 12, 4)
    for _ in range(3000):
        rules = ChannelRules(buffer_units=rng.randint(0, 5), share_percent=rng.randint(0, 100))
        protections = [
            Protection(
                rng.choice(["a", "b", "c"]),
                rng.randint(-2, 30),
                rng.choice([None, date(2026, 12, 3), date(2026, 12, 4), date(2027, 1, 1)]),
            )
            for _ in range(rng.randint(0, 3))
        ]
        given = {
            "on_hand": rng.randint(0, 60),
            "reserved": rng.randint(0, 40),
            "safety_stock": rng.randint(0, 5),
            "protections": protections,
            "today": today,
            "in_sourcing": rng.random() < 0.8,
        }
        explained = channel_atp("a", rules, **given)  # type: ignore[arg-type]
        number = atp_number(
            "a", rules, explained.free, protections, today, bool(given["in_sourcing"])
        )
        assert number == explained.result
