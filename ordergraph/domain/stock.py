"""Stock arithmetic shared by every answer about availability."""

from __future__ import annotations


def available(on_hand: int, reserved: int, safety_stock: int) -> int:
    """Sellable units: on-hand less reservations and safety stock, never below zero."""
    return max(0, on_hand - reserved - safety_stock)
