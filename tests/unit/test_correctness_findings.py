"""Correctness findings in the pure domain: country-wide regions (#11.3) and taking back
reservations a stock count no longer backs (#10.13)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ordergraph.connectors.network_file.parse import parse_network
from ordergraph.domain import lifecycle as lc
from ordergraph.domain.errors import NetworkFileError
from ordergraph.domain.orders import FulfillmentStatus as F
from ordergraph.domain.orders import OrderStatus
from ordergraph.domain.regions import prefixes_by_country, region_candidates, resolve_region

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def region(country: str, prefix: str, rid: str | None = None) -> dict[str, Any]:
    rid = rid if rid is not None else (f"{country}-{prefix}" if prefix else country)
    return {"id": rid, "country": country, "postalPrefix": prefix, "lat": 1.0, "lon": 2.0}


# --- #11.3 -------------------------------------------------------------------------------------


def test_a_network_with_a_country_wide_region_loads() -> None:
    network = parse_network({"regions": [region("NZ", ""), region("US", "941")]})
    assert [(r["id"], r["postalPrefix"]) for r in network.regions] == [
        ("NZ", ""),
        ("US-941", "941"),
    ]


def test_a_country_has_at_most_one_country_wide_region() -> None:
    with pytest.raises(NetworkFileError) as caught:
        parse_network({"regions": [region("NZ", ""), region("NZ", " ", rid="NZ")]})
    assert any("duplicate id" in p.reason for p in caught.value.problems)


def test_a_country_wide_region_id_is_the_country_code() -> None:
    with pytest.raises(NetworkFileError) as caught:
        parse_network({"regions": [region("NZ", "", rid="NZ-ALL")]})
    assert any('must be "NZ"' in p.reason for p in caught.value.problems)


def test_a_prefix_without_letters_or_digits_is_still_refused() -> None:
    with pytest.raises(NetworkFileError):
        parse_network({"regions": [region("US", "-", rid="US")]})


PREFIXES = prefixes_by_country(
    [region("US", ""), region("US", "941"), region("US", "9"), region("NZ", "")]
)


@pytest.mark.parametrize(
    ("postal_code", "country", "expected"),
    [
        ("94107", "US", "US-941"),  # the longest prefix still wins
        ("95112", "US", "US-9"),
        ("10001", "US", "US"),  # the empty prefix is the catch-all
        ("", "US", "US"),  # no postal code: the country-wide region
        (None, "NZ", "NZ"),
        ("6011", "nz", "NZ"),
        ("10001", "DE", None),  # no region of that country
        ("", "DE", None),
    ],
)
def test_longest_prefix_match_falls_back_to_the_country_wide_region(
    postal_code: str | None, country: str, expected: str | None
) -> None:
    assert resolve_region(postal_code, country, PREFIXES) == expected


def test_region_candidates_are_longest_first_and_end_with_the_country() -> None:
    assert region_candidates("941 07", "us") == [
        "US-94107",
        "US-9410",
        "US-941",
        "US-94",
        "US-9",
        "US",
    ]
    assert region_candidates("", "NZ") == ["NZ"]


# --- #10.13 ------------------------------------------------------------------------------------


def state(*fulfillments: lc.FulfillmentState) -> lc.OrderState:
    line = lc.LineState("O-L1", "SKU-1", 6, 6, 0, 0, None, None, 1)
    return lc.OrderState(
        "O", 3, 2, OrderStatus.ALLOCATED, lc.OrderTerms("web"), [line], list(fulfillments)
    )


def fulfillment(fid: str, status: F, quantity: int, created: str) -> lc.FulfillmentState:
    return lc.FulfillmentState(
        fid, "DC-A", status, {"O-L1": quantity}, datetime.fromisoformat(created)
    )


def test_unback_takes_open_before_released_and_newest_first() -> None:
    s = state(
        fulfillment("O-F1", F.RELEASED, 2, "2026-03-01T10:00:00+00:00"),
        fulfillment("O-F2", F.OPEN, 2, "2026-03-01T11:00:00+00:00"),
        fulfillment("O-F3", F.OPEN, 2, "2026-03-01T12:00:00+00:00"),
    )
    change, taken = lc.unback(s, "DC-A", "SKU-1", 3, "count", AT)
    assert taken == 3
    assert change.stock == [lc.StockDelta("DC-A", "SKU-1", reserved=-3, on_hand=0)]
    assert change.ships == [lc.Ships("O-F3", "O-L1", 0), lc.Ships("O-F2", "O-L1", 1)]
    assert [(f.id, f.status.value) for f in change.fulfillments] == [("O-F3", "CANCELLED")]
    assert s.line("O-L1").backordered == 3 and s.line("O-L1").allocated == 3
    assert [e.type for e in change.events] == ["ReservationUnbacked"]


def test_unback_never_takes_more_than_the_order_holds_or_a_negative_amount() -> None:
    s = state(fulfillment("O-F1", F.OPEN, 2, "2026-03-01T10:00:00+00:00"))
    change, taken = lc.unback(s, "DC-A", "SKU-1", 10, "count", AT)
    assert taken == 2 and change.stock[0].reserved == -2
    s = state(fulfillment("O-F1", F.OPEN, 2, "2026-03-01T10:00:00+00:00"))
    change, taken = lc.unback(s, "DC-A", "SKU-1", -1, "count", AT)
    assert taken == 0 and change.events == [] and change.stock == []


def test_unback_leaves_shipped_and_other_locations_alone() -> None:
    shipped = fulfillment("O-F1", F.SHIPPED, 2, "2026-03-01T10:00:00+00:00")
    elsewhere = lc.FulfillmentState("O-F2", "DC-B", F.OPEN, {"O-L1": 4})
    change, taken = lc.unback(state(shipped, elsewhere), "DC-A", "SKU-1", 2, "count", AT)
    assert taken == 0 and change.events == []
