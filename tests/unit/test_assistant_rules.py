"""The pure rules behind the MCP tools: UCP status words, the shopper's proof, the order in
words, and the one order check both entry points use."""

from __future__ import annotations

import pytest

from ordergraph.domain.access import Principal, Role, proves_order
from ordergraph.domain.assistant import actor, explain_status
from ordergraph.domain.ucp import LOW_STOCK, StockStatus, stock_status


@pytest.mark.parametrize(
    ("available", "carried", "inbound", "word"),
    [
        (LOW_STOCK + 1, True, False, StockStatus.IN_STOCK),
        (LOW_STOCK, True, False, StockStatus.LOW_STOCK),
        (1, True, False, StockStatus.LOW_STOCK),
        (0, True, False, StockStatus.BACKORDER),
        (0, True, True, StockStatus.PREORDER),
        (0, False, False, StockStatus.OUT_OF_STOCK),
    ],
)
def test_stock_status_uses_ucps_words(
    available: int, carried: bool, inbound: bool, word: StockStatus
) -> None:
    assert stock_status(available, carried=carried, inbound=inbound) is word


@pytest.mark.parametrize(
    ("given", "stored", "proved"),
    [
        ("94107", "94107", True),
        (" 94107 ", "94107", True),
        ("94107", "941071234", True),  # the ZIP of a ZIP+4
        ("sw1a 1aa", "SW1A1AA", True),
        ("94108", "94107", False),
        ("9410", "94107", False),
        ("", "94107", False),
        (None, "94107", False),
        ("94107", None, False),  # a pickup order has no postal code to prove
        ("---", "", False),
    ],
)
def test_a_shopper_proves_an_order_with_the_postal_code_it_ships_to(
    given: str | None, stored: str | None, proved: bool
) -> None:
    assert proves_order(given, stored) is proved


def test_one_order_check_decides_reading_and_personal_data() -> None:
    shop = Principal("k1", Role.STOREFRONT, channels=frozenset({"web"}))
    store = Principal("k2", Role.PARTNER, locations=frozenset({"STORE-SF"}))
    desk = Principal("k3", Role.INTEGRATION)
    held = [("STORE-SF", "OPEN"), ("DC-RENO", "SHIPPED")]
    assert shop.order_access("web", held) is False  # reads it, never its personal data
    assert shop.order_access("amazon", held) is None
    assert store.order_access("web", held) is True  # ships a parcel of it
    assert store.order_access("web", [("STORE-SF", "REJECTED")]) is False
    assert store.order_access("web", [("DC-RENO", "OPEN")]) is None
    assert desk.order_access("any", []) is True
    assert shop.needs_proof() and not store.needs_proof() and not desk.needs_proof()


def test_the_tools_are_operations_of_the_role_table() -> None:
    shop = Principal("k1", Role.STOREFRONT, channels=frozenset({"web"}))
    store = Principal("k2", Role.PARTNER, locations=frozenset({"STORE-SF"}))
    assert shop.may("start_return") and shop.may("order_status")
    assert store.may("order_status") and not store.may("cancel_order_lines")
    assert not store.may("explain_routing") and not store.may("delivery_options")


def test_an_order_in_words_tells_splits_tracking_and_waiting_units() -> None:
    words = explain_status(
        "PARTIALLY_SHIPPED",
        "2026-12-09",
        [
            ("DC-RENO", "SHIPPED", "UPS", "1Z9", "2026-12-08"),
            ("STORE-SF", "OPEN", None, None, "2026-12-09"),
        ],
        [("SKU-2", 1)],
        None,
    )
    text = " ".join(words)
    assert "partially shipped" in text and "promised by 2026-12-09" in text
    assert "2 shipments (from DC-RENO, STORE-SF)" in text
    assert "tracking 1Z9, expected 2026-12-08" in text
    assert "1 unit(s) of SKU-2 are waiting for stock" in text


def test_an_actor_names_the_key_and_the_entry_point() -> None:
    assert actor("key_1", "storefront", idempotency_key="abc-12345") == {
        "keyId": "key_1",
        "role": "storefront",
        "via": "mcp",
        "idempotencyKey": "abc-12345",
    }
