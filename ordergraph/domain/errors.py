"""Errors the domain raises, and the codes clients see.

Exception tree::

    OrderGraphError                 base of every expected failure; carries a code and a field path
    ├── ValidationError             bad input (INVALID_INPUT, UNKNOWN_SKU, UNKNOWN_LOCATION, ...)
    ├── NetworkFileError            a network document with problems; lists every one with its
                                    JSON path
    ├── PolicyDocumentError         a routing policy document with problems, each with its JSON
                                    path (``rules[2].actions[0].maxShipments``)
    ├── UnserviceableAddress        no region matches the address (UNSERVICEABLE_ADDRESS)
    ├── InsufficientStock           the channel rejects partial orders and stock is short
    ├── InvalidTransition           a lifecycle move the tables forbid (INVALID_TRANSITION)
    └── NotFound                    the object does not exist (NOT_FOUND)

Resolvers turn any ``OrderGraphError`` into ``userErrors``; anything else is a bug and is masked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

MAX_MESSAGE = 500  # characters of an error message; client input echoed in one is cut to fit


def bounded(text: str, limit: int = MAX_MESSAGE) -> str:
    """An error message of at most ``limit`` characters (a 5 MB id is not sent back in full)."""
    if len(text) <= limit:
        return text
    return text[: limit - 30] + f"... ({len(text) - limit + 30} more characters)"


class ErrorCode(str, Enum):
    INVALID_INPUT = "INVALID_INPUT"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    UNKNOWN_LOCATION = "UNKNOWN_LOCATION"
    UNKNOWN_REGION = "UNKNOWN_REGION"
    UNKNOWN_CHANNEL = "UNKNOWN_CHANNEL"
    UNSERVICEABLE_ADDRESS = "UNSERVICEABLE_ADDRESS"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"


@dataclass
class OrderGraphError(Exception):
    message: str
    code: ErrorCode = ErrorCode.INVALID_INPUT
    field: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.message = bounded(self.message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ValidationError(OrderGraphError):
    pass


def problem_list(message: str, problems: Sequence[object], shown: int = 50) -> str:
    """``message`` and the first ``shown`` problems, one an indented line, then how many more."""
    lines = "\n".join(f"  {p}" for p in problems[:shown])
    more = len(problems) - shown
    tail = f"\n  ... and {more} more" if more > 0 else ""
    return f"{message}\n{lines}{tail}"


@dataclass(frozen=True)
class Problem:
    """One problem in a document: where (a JSON path like ``$.lanes[3].from``) and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class NetworkFileError(OrderGraphError):
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return problem_list(self.message, self.problems)


@dataclass
class PolicyDocumentError(OrderGraphError):
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return problem_list(self.message, self.problems)


class UnserviceableAddress(OrderGraphError):
    def __init__(self, message: str, field: tuple[str, ...] = ()) -> None:
        super().__init__(message, ErrorCode.UNSERVICEABLE_ADDRESS, field)


class InsufficientStock(OrderGraphError):
    def __init__(self, message: str, field: tuple[str, ...] = ()) -> None:
        super().__init__(message, ErrorCode.INSUFFICIENT_STOCK, field)


class InvalidTransition(OrderGraphError):
    def __init__(self, message: str, field: tuple[str, ...] = ()) -> None:
        super().__init__(message, ErrorCode.INVALID_TRANSITION, field)


class NotFound(OrderGraphError):
    def __init__(self, message: str, field: tuple[str, ...] = ()) -> None:
        super().__init__(message, ErrorCode.NOT_FOUND, field)
