"""What the app holds while it runs: settings, the store, metrics, budgets, keys, live."""

from __future__ import annotations

from dataclasses import dataclass, field

from ordergraph.graph.connect import OpenStore
from ordergraph.graph.store import GraphStore
from ordergraph.http.metrics import Metrics
from ordergraph.schema.access import Budgets, Subscriptions
from ordergraph.services.apikeys import KeyCache
from ordergraph.services.live import EventHub
from ordergraph.services.worker_cache import WorkerCache
from ordergraph.settings import Settings


@dataclass
class AppState:
    settings: Settings
    metrics: Metrics
    budgets: Budgets
    opened: OpenStore | None = None
    injected: GraphStore | None = None
    keys: KeyCache | None = None
    live: Subscriptions = field(default_factory=Subscriptions)
    hub: EventHub | None = None
    cache: WorkerCache = field(default_factory=WorkerCache)  # this worker's (issue #13)

    @property
    def store(self) -> GraphStore:
        if self.injected is not None:
            return self.injected
        if self.opened is None:
            raise RuntimeError("the graph store is not open (the app's lifespan has not run)")
        return self.opened.store
