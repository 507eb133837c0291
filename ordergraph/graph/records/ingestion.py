"""Records of stored channel payloads: ``:IngestionFailure`` (a payload kept, as received, until
a replay succeeds). Its headers are a JSON map in a string property and its body is text, or
base64 when it was not UTF-8 (``bodyEncoding``); both are read and written through ``codec``."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ordergraph.graph.records import codec

LABEL = "IngestionFailure"


@dataclass(frozen=True, slots=True)
class StoredPayload:
    """A payload as it is kept: what ``record_failure`` writes (and ``record_receipt`` the
    channel, topic and time of)."""

    channel: str
    topic: str | None
    content_type: str | None
    headers: Mapping[str, str]
    body: bytes
    received_at: datetime

    def to_params(self) -> dict[str, Any]:
        """The failure's properties to store (absent ones left out)."""
        body, encoding = codec.encode_bytes(self.body)
        props = self.receipt_params() | {
            "contentType": self.content_type,
            "headers": codec.encode(dict(self.headers)),
            "body": body,
            "bodyEncoding": encoding,
        }
        return {k: v for k, v in props.items() if v is not None}

    def receipt_params(self) -> dict[str, Any]:
        """The properties a receipt keeps of its payload (absent ones left out)."""
        props = {
            "channel": self.channel,
            "topic": self.topic,
            "receivedAt": self.received_at.isoformat(),
            "receivedAtMs": int(self.received_at.timestamp() * 1000),
        }
        return {k: v for k, v in props.items() if v is not None}


@dataclass(frozen=True, slots=True)
class IngestionFailureRecord:
    id: str
    channel: str
    topic: str | None
    external_id: str | None
    status: str  # OPEN or RESOLVED
    reason: str
    code: str  # an ErrorCode value, or INTERNAL
    attempts: int
    received_at: datetime
    received_at_ms: int  # the page key, with the id
    last_attempt_at: datetime | None
    resolved_at: datetime | None
    order_ids: tuple[str, ...]
    content_type: str | None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    body_encoding: str = "utf-8"  # how ``body`` is stored: utf-8 text, or base64

    @property
    def stored_body(self) -> str:
        """The body as stored: the text, or its base64 when it was not UTF-8."""
        if self.body_encoding == "base64":
            return base64.b64encode(self.body).decode()
        return self.body.decode("utf-8", errors="replace")

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> IngestionFailureRecord:
        fid = row["id"]
        headers = codec.decode(row.get("headers"), LABEL, fid, "headers", default={})
        if not isinstance(headers, dict):
            raise codec.CorruptProperty(LABEL, fid, "headers", "not a JSON object")
        encoding = row.get("bodyEncoding") or "utf-8"
        return cls(
            id=fid,
            channel=row["channel"],
            topic=row.get("topic"),
            external_id=row.get("externalId"),
            status=row.get("status") or "OPEN",
            reason=row.get("reason") or "",
            code=row.get("code") or "",
            attempts=int(row.get("attempts") or 0),
            received_at=datetime.fromisoformat(row["receivedAt"]),
            received_at_ms=int(row.get("receivedAtMs") or 0),
            last_attempt_at=_instant(row.get("lastAttemptAt")),
            resolved_at=_instant(row.get("resolvedAt")),
            order_ids=tuple(row.get("orderIds") or ()),
            content_type=row.get("contentType"),
            headers={str(k): str(v) for k, v in headers.items()},
            body=codec.decode_bytes(row.get("body"), encoding, LABEL, fid, "body"),
            body_encoding=encoding,
        )


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
