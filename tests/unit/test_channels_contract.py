"""One contract for every channel parser (issue #9): each case in
tests/fixtures/channels/contract/<channel>.json names a payload (a fixture file, a list of them, or
inline JSON), optional patches to it, and what the parser must answer:

* ``order``: the exact canonical order, every field;
* ``fields``: some fields (``lines.0.unit_price``, ``lines.*.quantity`` for every line);
* ``text``: fields compared as text (``str(value)``: the scale of a decimal);
* ``error``: a ``ChannelParseError`` at this JSON ``path`` (and ``contains``, part of its reason);
* ``order_input``: keys of ``to_order_input``'s answer (all of them with ``order_input_all``);
  ``order_input_error``: its refusal (``field``, ``code``).

Patches: ``["set", path, value]``, ``["del", path]``, ``["update", path, {...}]``; a path is a
list of keys and indexes, ``"*"`` for every element of a list.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ordergraph.connectors.canonical import (
    Address,
    CanonicalLine,
    CanonicalOrder,
    ChannelParseError,
    Customer,
    to_order_input,
)
from ordergraph.connectors.channels import amazon, bigcommerce, ebay, shopify, square, woocommerce
from ordergraph.domain.errors import ErrorCode, ValidationError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "channels"
CONTRACT = FIXTURES / "contract"


def _square(payload: Any, *, channel_id: str, catalog: dict[str, str]) -> CanonicalOrder:
    return square.parse(payload, channel_id=channel_id, catalog=catalog)


PARSERS: dict[str, Callable[..., CanonicalOrder]] = {
    "amazon": amazon.parse,
    "bigcommerce": bigcommerce.parse,
    "ebay": ebay.parse,
    "shopify": shopify.parse,
    "square": _square,
    "woocommerce": woocommerce.parse,
}


def _cases() -> list[Any]:
    found = []
    for path in sorted(CONTRACT.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        for case in spec["cases"]:
            merged = {**spec.get("defaults", {}), **case, "channel": path.stem}
            found.append(pytest.param(merged, id=f"{path.stem}: {case['name']}"))
    return found


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _payload(case: dict[str, Any]) -> Any:
    if "payload" in case:
        doc = copy.deepcopy(case["payload"])
    elif "fixtures" in case:
        doc = [_load(name) for name in case["fixtures"]]
    else:
        doc = _load(case["fixture"])
    if "wrap" in case:  # {"order": <fixture>, "refunds": <file>} and the like
        doc = {key: doc if name == "$" else _load(name) for key, name in case["wrap"].items()}
    for op, path, *value in case.get("patch", []):
        _patch(doc, op, path, value[0] if value else None)
    return doc


def _patch(doc: Any, op: str, path: list[Any], value: Any) -> None:
    *parents, last = path
    targets = [doc]
    for key in parents:
        targets = [t for target in targets for t in (target if key == "*" else [target[key]])]
    for target in targets:
        keys = range(len(target)) if last == "*" else [last]
        for key in keys:
            if op == "set":
                target[key] = copy.deepcopy(value)
            elif op == "del":
                del target[key]
            elif op == "update":
                target[key].update(copy.deepcopy(value))
            elif op == "pop":  # del, if there
                if isinstance(target, dict):
                    target.pop(key, None)
            else:
                raise AssertionError(f"unknown patch {op}")


def _parse(case: dict[str, Any]) -> CanonicalOrder:
    options: dict[str, Any] = {"channel_id": case.get("channel_id", "c")}
    if case["channel"] == "square":
        options["catalog"] = case.get("catalog", {})
    return PARSERS[case["channel"]](_payload(case), **options)


def _at(value: Any, dotted: str) -> Any:
    return _walk(value, dotted.split("."))


def _walk(value: Any, parts: list[str]) -> Any:
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if head == "*":
        return [_walk(item, rest) for item in value]
    return _walk(value[int(head)] if head.isdigit() else getattr(value, head), rest)


def _same(actual: Any, expected: Any, where: str) -> None:
    if dataclasses.is_dataclass(actual) and not isinstance(actual, type):
        assert isinstance(expected, dict), f"{where}: expected {expected!r}, got {actual!r}"
        names = {f.name for f in dataclasses.fields(actual)}
        assert set(expected) <= names, f"{where}: unknown fields {set(expected) - names}"
        for name in names:
            if name in expected:
                _same(getattr(actual, name), expected[name], f"{where}.{name}")
        return
    if isinstance(actual, tuple | list):
        assert isinstance(expected, list) and len(actual) == len(expected), (
            f"{where}: expected {expected!r}, got {actual!r}"
        )
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _same(a, e, f"{where}.{i}")
        return
    if isinstance(actual, Decimal):
        assert expected is not None and actual == Decimal(str(expected)), (
            f"{where}: expected {expected!r}, got {actual!r}"
        )
        return
    if isinstance(actual, datetime):
        assert actual.isoformat() == expected, f"{where}: expected {expected!r}, got {actual!r}"
        return
    assert actual == expected, f"{where}: expected {expected!r}, got {actual!r}"


def _full(expected: dict[str, Any]) -> None:
    """An ``order`` expectation names every field of the order, its lines and parties."""
    for kind, value in (
        (CanonicalOrder, expected),
        *((CanonicalLine, line) for line in expected["lines"]),
        *(((Customer, expected["customer"]),) if expected.get("customer") else ()),
        *(((Address, expected["ship_to"]),) if expected.get("ship_to") else ()),
    ):
        names = {f.name for f in dataclasses.fields(kind)}
        assert set(value) == names, f"{kind.__name__}: missing {names - set(value)}"


@pytest.mark.parametrize("case", _cases())
def test_channel_contract(case: dict[str, Any]) -> None:
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(ChannelParseError) as caught:
            _parse(case)
        assert caught.value.path == expect["error"]["path"], str(caught.value)
        assert caught.value.code == ErrorCode.INVALID_INPUT
        assert str(caught.value).startswith(expect["error"]["path"] + ": ")
        assert expect["error"].get("contains", "") in str(caught.value)
        return
    order = _parse(case)
    if "order" in expect:
        _full(expect["order"])
        _same(order, expect["order"], "order")
    for dotted, value in expect.get("fields", {}).items():
        _same(_at(order, dotted), value, dotted)
    for dotted, text in expect.get("text", {}).items():
        assert str(_at(order, dotted)) == text, dotted
    if "order_input" in expect:
        given = to_order_input(order)
        if expect.get("order_input_all"):
            assert set(given) == set(expect["order_input"])
        for key, value in expect["order_input"].items():
            assert given[key] == value, key
    if "order_input_error" in expect:
        with pytest.raises(ValidationError) as refused:
            to_order_input(order)
        wanted = expect["order_input_error"]
        if "field" in wanted:
            assert refused.value.field == tuple(wanted["field"])
        if "code" in wanted:
            assert refused.value.code.value == wanted["code"]


def test_every_channel_has_contract_cases() -> None:
    assert {path.stem for path in CONTRACT.glob("*.json")} == set(PARSERS)
