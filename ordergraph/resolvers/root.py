"""The root types: every domain's query and mutation fields merged into one schema."""

from __future__ import annotations

from strawberry import Schema
from strawberry.tools import merge_types

from ordergraph.resolvers.admin import AdminMutation, AdminQuery
from ordergraph.resolvers.allocation import AllocationMutation
from ordergraph.resolvers.catalog import CatalogQuery
from ordergraph.resolvers.events import EventMutation, EventQuery, EventSubscription
from ordergraph.resolvers.inbound import InboundMutation, InboundQuery
from ordergraph.resolvers.ingestion import IngestionMutation, IngestionQuery
from ordergraph.resolvers.kpis import KpiQuery
from ordergraph.resolvers.labels import LabelMutation
from ordergraph.resolvers.lifecycle import LifecycleMutation
from ordergraph.resolvers.network import NetworkMutation
from ordergraph.resolvers.orders import OrderMutation, OrderQuery
from ordergraph.resolvers.policies import PolicyMutation, PolicyQuery
from ordergraph.resolvers.returns import ReturnMutation, ReturnQuery
from ordergraph.resolvers.simulation import SimulationMutation, SimulationQuery
from ordergraph.resolvers.stockstates import StockStateMutation
from ordergraph.resolvers.transfers import TransferMutation
from ordergraph.schema.build import build_schema
from ordergraph.settings import Settings

Query = merge_types(
    "Query",
    (
        CatalogQuery,
        OrderQuery,
        ReturnQuery,
        AdminQuery,
        EventQuery,
        IngestionQuery,
        InboundQuery,
        KpiQuery,
        SimulationQuery,
        PolicyQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        OrderMutation,
        LifecycleMutation,
        ReturnMutation,
        NetworkMutation,
        AdminMutation,
        EventMutation,
        IngestionMutation,
        StockStateMutation,
        InboundMutation,
        LabelMutation,
        AllocationMutation,
        SimulationMutation,
        PolicyMutation,
        TransferMutation,
    ),
)


Subscription = merge_types("Subscription", (EventSubscription,))


def schema(settings: Settings | None = None) -> Schema:
    return build_schema(Query, Mutation, Subscription, settings=settings)
