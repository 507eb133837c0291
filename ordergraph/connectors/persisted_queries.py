"""Apollo's persisted-query wire format: ``extensions.persistedQuery`` and manifest files.

What the request's extensions and an allow-list file say; the documents a process knows by hash
are ``http/documents.py``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOT_FOUND = "PersistedQueryNotFound"  # the message Apollo clients look for
_HASH = re.compile(r"[0-9a-f]{64}")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class DocumentRefused(Exception):
    """A persisted-query request that cannot run: answered as a GraphQL error response."""

    message: str
    code: str
    status: int = 400

    def body(self) -> dict[str, Any]:
        return {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}


def read_allow_list(path: Path) -> dict[str, str]:
    """{sha256: document} from a manifest file; every id must be the hash of its body."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"ORDERGRAPH_TRUSTED_DOCUMENTS {path}: cannot read it: {exc}") from None
    if isinstance(raw, dict) and isinstance(raw.get("operations"), list):
        pairs = [(op.get("id"), op.get("body")) for op in raw["operations"] if isinstance(op, dict)]
    elif isinstance(raw, dict):
        pairs = list(raw.items())
    else:
        raise ValueError(f"ORDERGRAPH_TRUSTED_DOCUMENTS {path}: not a manifest nor an object")
    documents: dict[str, str] = {}
    for key, body in pairs:
        if not isinstance(key, str) or not isinstance(body, str) or sha256(body) != key.lower():
            raise ValueError(
                f"ORDERGRAPH_TRUSTED_DOCUMENTS {path}: {str(key)[:80]!r} is not the SHA-256 of "
                "its document"
            )
        documents[key.lower()] = body
    return documents


def requested_hash(extensions: Mapping[str, Any] | None) -> str | None:
    """The SHA-256 a request names in ``extensions.persistedQuery`` (lower case), if any."""
    persisted = extensions.get("persistedQuery") if extensions else None
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise DocumentRefused(
            "persistedQuery must be {version: 1, sha256Hash}", "PERSISTED_QUERY_NOT_SUPPORTED"
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _HASH.fullmatch(digest.lower()):
        raise DocumentRefused(
            "persistedQuery.sha256Hash must be 64 hexadecimal digits", "BAD_REQUEST"
        )
    return digest.lower()
