"""Form numbers: what str.isdigit lets through but int() refuses is the default, not a 500."""

from __future__ import annotations

import pytest

from ordergraph.web.pages import form_int


@pytest.mark.parametrize("raw", ["--1", "-", "²", "١٢", "1e3", " 1", "1.5", "", "1234567890"])
def test_a_form_number_that_is_not_plain_digits_is_the_default(raw: str) -> None:
    assert form_int(raw, 7) == 7


@pytest.mark.parametrize(
    ("raw", "value"), [("0", 0), ("12", 12), ("-3", -3), ("999999999", 999999999)]
)
def test_plain_digits_are_read(raw: str, value: int) -> None:
    assert form_int(raw) == value
