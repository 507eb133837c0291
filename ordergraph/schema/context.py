"""The per-request context: the store, settings and the request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader

from ordergraph.domain.access import Principal
from ordergraph.graph import catalog, orders, returns
from ordergraph.graph.records.catalog import LocationRecord, SkuRecord
from ordergraph.graph.records.events import EventRecord
from ordergraph.graph.records.orders import FulfillmentRecord, LineRecord, OrderRecord
from ordergraph.graph.records.returns import ReturnRecord
from ordergraph.graph.store import GraphStore
from ordergraph.services.worker_cache import WorkerCache
from ordergraph.settings import Settings

if TYPE_CHECKING:
    from strawberry.types import Info as _Info


@dataclass
class Loaders:
    """DataLoaders batch the nested fields of one request into one read each."""

    store: GraphStore
    location: DataLoader[str, LocationRecord | None] = field(init=False)
    sku: DataLoader[str, SkuRecord | None] = field(init=False)
    order: DataLoader[str, OrderRecord | None] = field(init=False)
    order_lines: DataLoader[str, list[LineRecord]] = field(init=False)
    fulfillments: DataLoader[str, list[FulfillmentRecord]] = field(init=False)
    events: DataLoader[str, list[EventRecord]] = field(init=False)
    returns: DataLoader[str, list[ReturnRecord]] = field(init=False)

    def __post_init__(self) -> None:
        store = self.store
        self.location = DataLoader(lambda ids: catalog.locations_by_id(store, ids))
        self.sku = DataLoader(lambda ids: catalog.skus_by_id(store, ids))
        self.order = DataLoader(lambda ids: orders.orders_by_id(store, ids))
        self.order_lines = DataLoader(lambda ids: orders.lines_by_order(store, ids))
        self.fulfillments = DataLoader(lambda ids: orders.fulfillments_by_order(store, ids))
        self.events = DataLoader(lambda ids: orders.events_by_order(store, ids))
        self.returns = DataLoader(lambda ids: returns.returns_of_order(store, ids))

    def changed(self) -> None:
        """A mutation wrote: what this request read before is forgotten, so that its answer
        (and the next mutation's, in the same document) is read after the change, and the
        object checks decide on what is now true (e.g. a rejected fulfillment)."""
        for loader in (
            self.location,
            self.sku,
            self.order,
            self.order_lines,
            self.fulfillments,
            self.events,
            self.returns,
        ):
            loader.clear_all()


@dataclass
class Context:
    store: GraphStore
    settings: Settings
    loaders: Loaders
    request: Any = None
    response: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    principal: Principal | None = None
    connection_params: Any = None  # a websocket's connection_init payload
    cache: WorkerCache | None = None  # the worker's network and answers (services/worker_cache)

    @classmethod
    def create(
        cls, store: GraphStore, settings: Settings, request: Any = None, response: Any = None
    ) -> Context:
        return cls(store, settings, Loaders(store), request, response)


if TYPE_CHECKING:
    Info = _Info[Context, None]
else:
    from strawberry.types import Info as _Info

    Info = _Info
