"""The text rules every input string must follow, and their checks of raw bodies."""

from __future__ import annotations

import re

# Characters no input string may hold: NUL breaks the graph engine's query protocol, lone
# surrogates cannot be encoded as UTF-8; the other C0 controls (but tab, LF, CR) and DEL are
# never meaningful in an id, a name or a note.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# What breaks the engine (NUL) or UTF-8 (lone surrogates): refused in channel payloads and feeds,
# whose free text we do not own (a form feed in a pasted note is kept).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def describe_char(char: str) -> str:
    if "\ud800" <= char <= "\udfff":
        return f"a lone surrogate (U+{ord(char):04X})"
    return "a NUL byte (U+0000)" if char == "\x00" else f"a control character (U+{ord(char):04X})"


def text_problem(value: str, *, strict: bool = True) -> str | None:
    """Why ``value`` may not reach the engine, or None. ``strict``: all controls but tab/LF/CR."""
    found = (_CONTROL if strict else _UNSTORABLE).search(value)
    return None if found is None else f"{describe_char(found.group())} at character {found.start()}"


def value_problem(value: object, where: str = "", *, strict: bool = True) -> str | None:
    """The first string (key or value) in a decoded JSON value that breaks ``text_problem``,
    with its path (``variables.input.lines.0.sku``), or None. Iterative: any depth."""
    stack: list[tuple[str, object]] = [(where, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            why = text_problem(item, strict=strict)
            if why:
                return f"{path or 'the value'} holds {why}"
        elif isinstance(item, dict):
            for key, child in item.items():
                sub = f"{path}.{key}" if path else str(key)
                why = text_problem(str(key), strict=strict)
                if why:
                    return f"the name {sub!r} holds {why}"
                stack.append((sub, child))
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}" if path else str(i), c) for i, c in enumerate(item))
    return None


def bytes_problem(raw: bytes) -> str | None:
    """A NUL byte, or a JSON ``\\u0000`` / lone-surrogate escape, in a raw body (checked
    before any parser sees it), or None."""
    at = raw.find(b"\x00")
    if at >= 0:
        return f"a NUL byte (U+0000) at byte {at}"
    for found in _JSON_ESCAPE.finditer(raw):
        if len(found.group(1)) % 2:  # an odd run of backslashes: the \\u is an escape
            code = int(found.group(2), 16)
            if code == 0:
                return f"a NUL escape (\\u0000) at byte {found.start(2) - 2}"
            if 0xD800 <= code <= 0xDFFF and not _paired(raw, found):
                return f"a lone surrogate escape (\\u{code:04x}) at byte {found.start(2) - 2}"
    return None


_JSON_ESCAPE = re.compile(rb"(\\+)u([0-9a-fA-F]{4})")
_LOW = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _paired(raw: bytes, found: re.Match[bytes]) -> bool:
    code = int(found.group(2), 16)
    if code >= 0xDC00:  # a low half is fine only right after a high half
        before = raw[max(0, found.start(2) - 8) : found.start(2) - 2]
        return re.fullmatch(rb"\\u[dD][89abAB][0-9a-fA-F]{2}", before) is not None
    return _LOW.match(raw, found.end()) is not None
