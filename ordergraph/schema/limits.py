"""Caps on what one request may ask for (Saleor caps input lists at 100; so do we)."""

from __future__ import annotations

from ordergraph.domain.errors import ValidationError

MAX_PAGE = 100
MAX_INPUT_LIST = 100


def page_size(first: int) -> int:
    if first < 0:
        raise ValidationError("first must not be negative", field=("first",))
    if first > MAX_PAGE:
        raise ValidationError(f"first may be at most {MAX_PAGE}", field=("first",))
    return first
