"""Idempotency keys for actions (the MCP tools that change an order).

An action names a key it chose (``idempotency_key``). The first call with a key claims it, acts
and stores its answer; a repeat with the same key and the same arguments gets that answer again
without acting twice (a retry after a lost reply is safe); the same key with other arguments is
refused with ``CONFLICT`` and says nothing of the first call. A refused or failed action leaves
no answer behind (nothing changed): the key may be tried again. Keys are per API key: two
callers cannot see each other's.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ordergraph.domain.errors import ErrorCode, ValidationError
from ordergraph.domain.keys import join_key
from ordergraph.graph import actions as q
from ordergraph.graph.store import GraphStore

_KEY = re.compile(r"[A-Za-z0-9._:-]{8,100}")

Action = Callable[[], Awaitable[dict[str, Any]]]


def digest_of(tool: str, arguments: Mapping[str, Any]) -> str:
    text = json.dumps({"tool": tool, "arguments": arguments}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(idempotency_key: str) -> str:
    if not _KEY.fullmatch(idempotency_key):
        raise ValidationError(
            "idempotency_key must be 8 to 100 letters, digits or . _ : - (a UUID is good)",
            field=("idempotency_key",),
        )
    return idempotency_key


async def once(
    store: GraphStore,
    key_id: str,
    idempotency_key: str,
    tool: str,
    arguments: Mapping[str, Any],
    action: Action,
) -> tuple[dict[str, Any], bool]:
    """The action's answer and whether it is a replay of an earlier call's."""
    key = join_key(key_id, check_key(idempotency_key))
    digest = digest_of(tool, arguments)
    mine = secrets.token_hex(8)
    found = await q.claim(store, key, tool, digest, mine, datetime.now(UTC).isoformat())
    if found.claim != mine:
        if found.digest != digest:
            raise ValidationError(
                "this idempotency_key was already used with other arguments; "
                "use a new key for a new request",
                ErrorCode.CONFLICT,
                ("idempotency_key",),
            )
        if found.result is None:
            raise ValidationError(
                "the first call with this idempotency_key is still running; retry shortly",
                ErrorCode.CONFLICT,
                ("idempotency_key",),
            )
        return dict(found.result), True
    try:
        result = await action()
    except BaseException:
        await q.release(store, key, mine)
        raise
    await q.finish(store, key, mine, result)
    return result, False
