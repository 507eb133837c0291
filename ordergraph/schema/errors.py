"""userErrors: expected failures as data, with a code clients can switch on (API.md)."""

from __future__ import annotations

import strawberry

from ordergraph.domain.errors import ErrorCode as DomainErrorCode
from ordergraph.domain.errors import (
    NetworkFileError,
    OrderGraphError,
    PolicyDocumentError,
    bounded,
)

# strawberry.enum registers the GraphQL enum on the class and returns that class; the plain
# aliases below let mypy see types (a call's result is a variable to it, not a type).
strawberry.enum(DomainErrorCode, name="ErrorCode")
ErrorCode = DomainErrorCode


@strawberry.type
class UserError:
    field: list[str] | None
    code: ErrorCode
    message: str


def user_errors(exc: OrderGraphError, prefix: tuple[str, ...] = ("input",)) -> list[UserError]:
    """Every problem an error carries, each with its field path under ``prefix``."""
    if isinstance(exc, PolicyDocumentError) and exc.problems:
        return [
            UserError(
                field=[*prefix, "document", *_path_parts(p.path, document=True)]
                if p.path != "document"
                else [*prefix, "document"],
                code=exc.code,
                message=bounded(f"{p.path}: {p.reason}"),
            )
            for p in exc.problems
        ]
    if isinstance(exc, NetworkFileError) and exc.problems:
        return [
            UserError(
                field=[*prefix, *_path_parts(p.path)],
                code=_problem_code(p.reason, exc.code),
                message=bounded(p.reason),
            )
            for p in exc.problems
        ]
    return [
        UserError(
            field=[*prefix, *exc.field] if exc.field else list(prefix),
            code=exc.code,
            message=bounded(exc.message),
        )
    ]


def _path_parts(path: str, *, document: bool = False) -> list[str]:
    """``$.locations[0].timezone`` -> ``["timezone"]`` (the record index is the input itself);
    a policy ``document``'s path keeps every part: ``rules[2].maxShipments`` ->
    ``["rules", "2", "maxShipments"]``."""
    parts = [p for p in path.replace("[", ".").replace("]", "").split(".") if p not in ("", "$")]
    while (
        not document
        and parts
        and (
            parts[0].isdigit()
            or parts[0]
            in (
                "locations",
                "skus",
                "lanes",
                "regions",
                "stock",
                "channels",
                "stockProtections",
                "inbound",
                "transferLanes",
            )
        )
    ):
        parts.pop(0)
    return parts


_REFERENCE_CODES = {
    "unknown location": DomainErrorCode.UNKNOWN_LOCATION,
    "unknown sku": DomainErrorCode.UNKNOWN_SKU,
    "unknown region": DomainErrorCode.UNKNOWN_REGION,
    "unknown channel": DomainErrorCode.UNKNOWN_CHANNEL,
}


def _problem_code(reason: str, default: DomainErrorCode) -> DomainErrorCode:
    """A dangling reference gets the specific code clients switch on (``UNKNOWN_SKU``...)."""
    lowered = reason.lower()
    for prefix, code in _REFERENCE_CODES.items():
        if lowered.startswith(prefix):
            return code
    return default
