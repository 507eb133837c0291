"""Trusted documents: Apollo's automatic persisted queries, and an optional allow-list.

A client sends ``extensions.persistedQuery {version: 1, sha256Hash}`` (GET or POST) without the
query; a server that does not know the hash answers ``PersistedQueryNotFound`` and the client
sends the query again with the hash, which is verified (SHA-256 of the text) and remembered, in a
bounded LRU of this process. The text a hash names goes through the guard's caches like any
repeated document (``guard.parsed``, the analysis cache in ``QueryGuard.on_validate``): it is not
lexed, parsed, measured or validated again, and the cost budgets still charge its cost.

``ORDERGRAPH_TRUSTED_DOCUMENTS`` names an allow-list file: an Apollo persisted query manifest
(``{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "body"}]}``)
or a JSON object ``{sha256: document}``. Its documents are known by hash from the start; in
production, only they run (any other document, sent whole or by hash, is refused).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ordergraph.connectors.persisted_queries import (
    NOT_FOUND,
    DocumentRefused,
    read_allow_list,
    requested_hash,
    sha256,
)
from ordergraph.schema.guard import MAX_DOCUMENT
from ordergraph.settings import Settings

__all__ = ["NOT_FOUND", "DocumentRefused", "TrustedDocuments", "read_allow_list", "sha256"]


@dataclass
class TrustedDocuments:
    """The documents this process knows by hash: the allow-list, then what clients registered."""

    allowed: Mapping[str, str] = field(default_factory=dict)
    only_allowed: bool = False  # production with an allow-list: nothing else runs
    maxsize: int = 2000
    _known: OrderedDict[str, str] = field(default_factory=OrderedDict)

    @classmethod
    def from_settings(cls, settings: Settings) -> TrustedDocuments:
        allowed = read_allow_list(settings.trusted_documents) if settings.trusted_documents else {}
        return cls(
            allowed,
            only_allowed=bool(settings.trusted_documents) and not settings.development,
            maxsize=settings.persisted_queries_max,
        )

    def __len__(self) -> int:
        return len(self._known)

    def resolve(self, query: str | None, extensions: Mapping[str, Any] | None) -> str | None:
        """The document to run for this request; raises DocumentRefused."""
        digest = requested_hash(extensions)
        if digest is None:
            if self.only_allowed and query is not None and sha256(query) not in self.allowed:
                raise self._not_allowed()
            return query
        if query is not None:
            if sha256(query) != digest:
                raise DocumentRefused(
                    "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH"
                )
            if self.only_allowed and digest not in self.allowed:
                raise self._not_allowed()
            if digest not in self.allowed and len(query) <= MAX_DOCUMENT:  # else refused anyway
                self._remember(digest, query)
            return query
        known = self.allowed.get(digest)
        if known is None and not self.only_allowed:
            known = self._known.get(digest)
            if known is not None:
                self._known.move_to_end(digest)
        if known is None:
            raise DocumentRefused(NOT_FOUND, "PERSISTED_QUERY_NOT_FOUND", status=200)
        return known

    def _remember(self, digest: str, query: str) -> None:
        self._known[digest] = query
        self._known.move_to_end(digest)
        while len(self._known) > self.maxsize:
            self._known.popitem(last=False)

    @staticmethod
    def _not_allowed() -> DocumentRefused:
        return DocumentRefused(
            "this server runs only trusted documents (ORDERGRAPH_TRUSTED_DOCUMENTS)",
            "PERSISTED_QUERY_NOT_ALLOWED",
        )
