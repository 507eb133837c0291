"""The per-request context: the store, settings and the request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader

from ordergraph.domain.access import Principal
from ordergraph.graph import catalog, orders, returns
from ordergraph.graph.store import GraphStore, Row
from ordergraph.settings import Settings

if TYPE_CHECKING:
    from strawberry.types import Info as _Info


@dataclass
class Loaders:
    """DataLoaders batch the nested fields of one request into one read each."""

    store: GraphStore
    location: DataLoader[str, Row | None] = field(init=False)
    sku: DataLoader[str, Row | None] = field(init=False)
    order: DataLoader[str, Row | None] = field(init=False)
    order_lines: DataLoader[str, list[Row]] = field(init=False)
    fulfillments: DataLoader[str, list[Row]] = field(init=False)
    events: DataLoader[str, list[Row]] = field(init=False)
    returns: DataLoader[str, list[Row]] = field(init=False)

    def __post_init__(self) -> None:
        store = self.store
        self.location = DataLoader(lambda ids: catalog.locations_by_id(store, ids))
        self.sku = DataLoader(lambda ids: catalog.skus_by_id(store, ids))
        self.order = DataLoader(lambda ids: orders.orders_by_id(store, ids))
        self.order_lines = DataLoader(lambda ids: orders.lines_by_order(store, ids))
        self.fulfillments = DataLoader(lambda ids: orders.fulfillments_by_order(store, ids))
        self.events = DataLoader(lambda ids: orders.events_by_order(store, ids))
        self.returns = DataLoader(lambda ids: returns.returns_of_order(store, ids))


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
