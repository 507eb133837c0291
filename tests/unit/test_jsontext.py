"""The words for a body that is not JSON: each kind of refusal orjson gives is named."""

from __future__ import annotations

import orjson
import pytest

from ordergraph.connectors.jsontext import json_problem


def problem(data: bytes) -> str:
    with pytest.raises(orjson.JSONDecodeError) as caught:
        orjson.loads(data)
    return json_problem(data, caught.value)


def test_a_document_nested_too_deep_is_named_as_such() -> None:
    deep = b'{"d": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert problem(deep) == "not valid JSON: it nests deeper than 1024 levels"


def test_other_faults_say_where() -> None:
    assert problem(b'{"a": }') == "not valid JSON (line 1, column 7)"
    assert problem(b"\xff{}").startswith("not UTF-8 text")
