"""The one codec of JSON kept in string properties (e.g. ``Return.lines``).

Some stored values are lists or maps that the graph keeps as a JSON string. They are encoded and
decoded here, and only here, by the records. A stored value that is not what was written raises
``CorruptProperty`` naming the node and the property, instead of a bare ``JSONDecodeError``.
"""

from __future__ import annotations

import base64
import json
from typing import Any


class CorruptProperty(ValueError):
    """A stored property that cannot be decoded: the graph holds something no writer wrote."""

    def __init__(self, label: str, node_id: object, prop: str, why: str) -> None:
        super().__init__(f"{label} {node_id}: stored property {prop!r} is {why}")
        self.label, self.node_id, self.prop = label, node_id, prop


def encode(value: Any) -> str:
    """``value`` as the JSON string to store (the same text ``json.dumps`` gives)."""
    return json.dumps(value)


def decode(text: object, label: str, node_id: object, prop: str, default: Any = None) -> Any:
    """The value stored as JSON in ``label`` ``node_id``'s ``prop``; ``default`` when absent
    (null or the empty string). Anything else that is not JSON is a ``CorruptProperty``."""
    if text is None or text == "":
        return default
    if not isinstance(text, str):
        raise CorruptProperty(label, node_id, prop, f"a {type(text).__name__}, not a JSON string")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CorruptProperty(label, node_id, prop, f"not valid JSON ({exc})") from None


def decode_list(text: object, label: str, node_id: object, prop: str) -> list[Any]:
    """A stored JSON list (absent: empty); a stored value of another shape is corrupt."""
    value = decode(text, label, node_id, prop, default=[])
    if not isinstance(value, list):
        raise CorruptProperty(label, node_id, prop, f"a JSON {type(value).__name__}, not a list")
    return value


def encode_bytes(raw: bytes) -> tuple[str, str]:
    """Bytes to store in a string property: ``(text, encoding)``, the text itself when it is
    UTF-8 (encoding ``utf-8``), else its base64 (encoding ``base64``)."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode(), "base64"


def decode_bytes(text: object, encoding: object, label: str, node_id: object, prop: str) -> bytes:
    """The bytes ``encode_bytes`` stored (absent: empty); bad base64 is a ``CorruptProperty``."""
    if text is None:
        return b""
    if not isinstance(text, str):
        raise CorruptProperty(label, node_id, prop, f"a {type(text).__name__}, not a string")
    if encoding == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except ValueError as exc:
            raise CorruptProperty(label, node_id, prop, f"not valid base64 ({exc})") from None
    return text.encode()
