"""Reading the fields of one record of the network file: each bad or missing field is noted as
a problem at its JSON path (``$.lanes[3].to``), and ``None`` read in its place."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from ordergraph.domain.errors import Problem
from ordergraph.domain.geo import normalise_postal_code
from ordergraph.domain.network import id_problem, is_timezone
from ordergraph.domain.routing.documents import POLICY_ID

_CUTOFF = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REQUIRED: Any = object()


@dataclass(frozen=True, slots=True)
class RowPath:
    """Where a record is (``$.stock[7]``, or an object in it: ``$.channels[0].sourcing``),
    spelt out only when a problem needs it."""

    section: str
    index: int
    inner: str = ""

    def __str__(self) -> str:
        return f"$.{self.section}[{self.index}]" + (f".{self.inner}" if self.inner else "")


def member(path: str, key: object) -> str:
    """The JSON path of ``key`` in the object at ``path``: ``$.a.b``, ``$.a["odd key"]``."""
    name = str(key)
    if _PLAIN_KEY.fullmatch(name):
        return f"{path}.{name}"
    return f"{path}[{json.dumps(name, ensure_ascii=False)}]"


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


# -- reading the fields of one record ---------------------------------------------------------


class Fields:
    """Reads the fields of one record, noting a problem for every bad or missing one.

    Each reader returns the normalised value, the default when the key is absent, or ``None``
    after noting a problem. A default of ``_REQUIRED`` makes the key required.
    """

    def __init__(
        self, record: Mapping[str, Any], path: RowPath, problems: list[Problem], good_ids: set[str]
    ) -> None:
        self.record = record
        self.path = path
        self.problems = problems
        self.good_ids = good_ids

    def policy_id(self, key: str) -> str | None:
        """A routing policy id (``documents.POLICY_ID``); whether it exists is checked later."""
        value = self.record.get(key)
        if not isinstance(value, str) or not POLICY_ID.fullmatch(value):
            self.problem(key, "expected a routing policy id (1-100 letters, digits, _ - .)")
            return None
        return value

    def problem(self, key: str, reason: str) -> None:
        self.problems.append(Problem(member(str(self.path), key), reason))

    def unknown_keys(self, allowed: AbstractSet[str]) -> None:
        for key in self.record:
            if key not in allowed:
                self.problem(str(key), "unknown key")

    def _get(self, key: str, default: Any, nullable: bool = False) -> tuple[bool, Any]:
        """``(True, value)`` to go on checking ``value``, ``(False, result)`` when done."""
        if key not in self.record:
            if default is _REQUIRED:
                self.problem(key, "required")
                return False, None
            return False, default
        value = self.record[key]
        if value is None and nullable:
            return False, None
        return True, value

    def _expected(self, key: str, what: str, value: object) -> None:
        self.problem(key, f"expected {what}, got {json_type(value)}")

    def ident(self, key: str) -> str | None:
        go, value = self._get(key, _REQUIRED)
        if not go:
            return None
        if type(value) is str and value in self.good_ids:
            return value
        if not isinstance(value, str):
            self._expected(key, "a string", value)
            return None
        reason = id_problem(value)
        if reason:
            self.problem(key, reason)
            return None
        self.good_ids.add(value)
        return value

    def text(self, key: str, default: Any = _REQUIRED, nullable: bool = False) -> str | None:
        go, value = self._get(key, default, nullable)
        if not go:
            return value  # type: ignore[no-any-return]  # the caller's default, as given
        if not isinstance(value, str):
            self._expected(key, "a string", value)
            return None
        if not value.strip():
            self.problem(key, "must not be empty")
            return None
        return value.strip()

    def number(
        self, key: str, default: Any = _REQUIRED, between: tuple[float, float] | None = None
    ) -> float | None:
        go, value = self._get(key, default)
        if not go:
            return value  # type: ignore[no-any-return]  # the caller's default, as given
        if isinstance(value, bool) or not isinstance(value, int | float):
            self._expected(key, "a number", value)
            return None
        if not math.isfinite(value):
            self.problem(key, f"must be a finite number, got {value}")
            return None
        if between is not None and not between[0] <= value <= between[1]:
            self.problem(key, f"must be between {between[0]:g} and {between[1]:g}, got {value}")
            return None
        return float(value)

    def amount(self, key: str, default: Any = _REQUIRED) -> float | None:
        """A cost or a weight: a number, never negative."""
        value = self.number(key, default)
        if value is not None and value < 0:
            self.problem(key, f"must not be negative, got {value:g}")
            return None
        return value

    def integer(self, key: str, default: Any = _REQUIRED, nullable: bool = False) -> int | None:
        """A count: an integer (a float without a fraction is accepted), never negative."""
        go, value = self._get(key, default, nullable)
        if not go:
            return value  # type: ignore[no-any-return]  # the caller's default, as given
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            shown = f"number {value}" if isinstance(value, float) else json_type(value)
            self.problem(key, f"expected an integer, got {shown}")
            return None
        if value < 0:
            self.problem(key, f"must not be negative, got {value}")
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool | None:
        go, value = self._get(key, default)
        if not go:
            return value  # type: ignore[no-any-return]  # the caller's default, as given
        if not isinstance(value, bool):
            self._expected(key, "true or false", value)
            return None
        return value

    def tags(self, key: str) -> list[str] | None:
        """A list of distinct tags, sorted so that equal sets compare equal."""
        go, value = self._get(key, [])
        if not go:
            return list(value)
        if not isinstance(value, list):
            self._expected(key, "an array of strings", value)
            return None
        ok = True
        for i, tag in enumerate(value):
            reason = (
                id_problem(tag)
                if isinstance(tag, str)
                else f"expected a string, got {json_type(tag)}"
            )
            if reason:
                self.problems.append(Problem(f"{member(str(self.path), key)}[{i}]", reason))
                ok = False
        return sorted(set(value)) if ok else None

    def choice(self, key: str, choices: Sequence[str]) -> str | None:
        value = self.text(key)
        if value is not None and value not in choices:
            self.problem(key, f'must be one of {", ".join(choices)}, got "{value}"')
            return None
        return value

    def country(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None and not _COUNTRY.fullmatch(value):
            self.problem(key, f'must be a two-letter country code, got "{value}"')
            return None
        return value.upper() if value is not None else None

    def postal_prefix(self, key: str) -> str | None:
        raw = self.record.get(key)
        if isinstance(raw, str) and not raw.strip():
            return ""  # the country-wide region: the catch-all of longest-prefix matching
        value = self.text(key)
        if value is None:
            return None
        prefix = normalise_postal_code(value)
        if not prefix:
            self.problem(key, f'must contain letters or digits, got "{value}"')
            return None
        return prefix

    def timezone(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None and not is_timezone(value):
            self.problem(key, f'unknown IANA timezone "{value}"')
            return None
        return value

    def cutoff(self, key: str, default: str | None) -> str | None:
        value = self.text(key, default)
        if value is not None and not _CUTOFF.fullmatch(value):
            self.problem(key, f'must be a local time HH:MM from 00:00 to 23:59, got "{value}"')
            return None
        return value
