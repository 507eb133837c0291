"""Prometheus metrics, one registry per app (so that tests can build many apps).

With ``ordergraph serve --workers N`` the parent sets ``PROMETHEUS_MULTIPROC_DIR`` before the
workers start: each worker's values live in files there, and ``/metrics``, whichever worker
answers, sums every worker's (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Histogram(
            "ordergraph_request_seconds",
            "GraphQL request latency by operation",
            ["operation"],
            registry=r,
            buckets=LATENCY_BUCKETS,
        )
        self.graph_queries = Histogram(
            "ordergraph_graph_query_seconds",
            "Graph database statement latency",
            ["kind"],
            registry=r,
            buckets=LATENCY_BUCKETS,
        )
        self.orders_placed = Counter(
            "ordergraph_orders_placed", "Orders placed", ["channel", "status"], registry=r
        )
        self.routing = Histogram(
            "ordergraph_routing_seconds",
            "Time to route one order",
            registry=r,
            buckets=LATENCY_BUCKETS,
        )
        self.availability_answers = Counter(
            "ordergraph_availability_answers",
            "Availability answers by whether the worker had kept them (hit) or read them (miss)",
            ["cache"],
            registry=r,
        )
        self.reservation_conflicts = Counter(
            "ordergraph_reservation_conflicts",
            "Reservations retried because stock moved between read and write",
            registry=r,
        )

    def exposition(self) -> bytes:
        if os.environ.get(MULTIPROCESS_DIR):  # every worker's values, summed
            every = CollectorRegistry()
            MultiProcessCollector(every)  # type: ignore[no-untyped-call]  # untyped upstream
            return generate_latest(every)
        return generate_latest(self.registry)
