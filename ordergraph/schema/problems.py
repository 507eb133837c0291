"""Expected failures in queries (which have no payload) become GraphQL errors with a code.

Mutations return ``userErrors`` instead (see ``schema/errors.py``). Either way the client gets
the error code in a place it can switch on, and a message that leaks nothing internal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from graphql import GraphQLError

from ordergraph.domain.errors import OrderGraphError


class RequestProblem(GraphQLError):
    """A client mistake in a query: safe to show, carries ``extensions.code`` and ``field``."""


@contextmanager
def raise_as_graphql() -> Iterator[None]:
    try:
        yield
    except OrderGraphError as exc:
        raise RequestProblem(
            exc.message, extensions={"code": exc.code.value, "field": list(exc.field)}
        ) from None
    except ValueError as exc:
        raise RequestProblem(str(exc), extensions={"code": "INVALID_INPUT"}) from None
