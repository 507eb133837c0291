"""Composite keys: parts joined by one separator that no id or external id contains.

The separator is ``U+241F`` (SYMBOL FOR UNIT SEPARATOR). It joins a channel and the id the channel
gave an order into the order's idempotency key (``Order.channelExternalId``), and the sort key
and id of a page's last row into a cursor (before base64). ``split_key`` undoes ``join_key`` of
two parts: the first separator splits, so the second part may itself contain it.
"""

from __future__ import annotations

SEP = "\u241f"


def join_key(first: object, second: object) -> str:
    """``first`` and ``second`` (as text) joined by ``SEP``."""
    return f"{first}{SEP}{second}"


def split_key(key: str) -> tuple[str, str]:
    """The two parts of a ``join_key``; no separator: ``(key, "")``."""
    first, _, second = key.partition(SEP)
    return first, second


def channel_external_id(channel: str, external_id: str) -> str:
    """The idempotency key of an order: a repeat of (channel, externalId) is the same order."""
    return join_key(channel, external_id)
