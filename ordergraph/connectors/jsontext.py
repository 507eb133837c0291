"""Why a body is not JSON, in our words: a client is told where its body went wrong, never a
parser library's own message (which names its internals, e.g. "str is not valid UTF-8:
surrogates not allowed")."""

from __future__ import annotations

import orjson


def not_utf8(data: bytes) -> str | None:
    """Where ``data`` stops being UTF-8 text ("not UTF-8 text (...)"), or None."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (an invalid byte at offset {exc.start})"
    return None


def json_problem(data: bytes | str, exc: orjson.JSONDecodeError) -> str:
    """What is wrong with ``data``, which orjson refused with ``exc`` ("not valid JSON (line 1,
    column 2)"), to follow "the body is"."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    bad_bytes = not_utf8(raw)
    if bad_bytes:
        return bad_bytes
    if "surrogate" in str(exc):
        return "not valid JSON: it holds a lone surrogate (an unpaired \\ud800-\\udfff escape)"
    said = str(exc).lower()
    if "recursion" in said or "depth limit" in said:  # orjson's words before and after 3.10
        return "not valid JSON: it nests deeper than 1024 levels"
    return f"not valid JSON (line {exc.lineno}, column {exc.colno})"
