"""What one worker keeps between requests (issue #13, docs/performance.md): the static network
and whole availability answers, each tagged with the versions it was computed at.

Nothing kept is ever served stale. The versions live in the engine, shared by every worker:
the network version (moved by every location, region, lane and channel write) and each SKU's
stock version (moved by every statement that changes one of its positions). A request reads
the network version with the stock versions of its SKUs (one small read) and uses what is kept
only when they are the ones it was computed at; a write is therefore seen by the very next
request in every worker. What is kept was read after its versions, so it is never older than
they say (a newer answer under an older key is replaced on the next miss).

The answers are bounded (least recently used first out); the network is one snapshot.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from ordergraph.graph import network
from ordergraph.graph.records.network import NetworkSnapshot
from ordergraph.graph.store import GraphStore

V = TypeVar("V")

DEFAULT_ANSWERS = 512


class Lru(Generic[V]):
    """A bounded map, least recently used out first; ``size`` 0 keeps nothing."""

    def __init__(self, size: int, observe: Callable[[bool], None] | None = None) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._observe = observe  # told of each lookup: whether it was kept

    def get(self, key: Hashable) -> V | None:
        found = self._items.get(key)
        if self._observe is not None and self.size > 0:
            self._observe(found is not None)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: Hashable, value: V) -> None:
        if self.size <= 0:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class WorkerCache:
    """One worker's network snapshot and availability answers (``answers`` of them at most)."""

    def __init__(
        self, answers: int = DEFAULT_ANSWERS, observe: Callable[[bool], None] | None = None
    ) -> None:
        self._network: NetworkSnapshot | None = None
        self.answers: Lru[object] = Lru(answers, observe)
        self.network_loads = 0

    async def network(self, store: GraphStore, version: int) -> NetworkSnapshot:
        """The static network as of network version ``version`` (read again when the one kept
        was read at another version)."""
        kept = self._network
        if kept is not None and kept.version == version:
            return kept
        self._network = kept = await network.snapshot(store, version)
        self.network_loads += 1
        return kept


def transient() -> WorkerCache:
    """A cache for one call (callers that keep none): the network is read, nothing is kept."""
    return WorkerCache(answers=0)
