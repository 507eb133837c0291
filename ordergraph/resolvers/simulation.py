"""Root fields of the routing sandbox: start a replay (a background job) and read the job."""

from __future__ import annotations

import strawberry

from ordergraph.domain.errors import OrderGraphError, ValidationError
from ordergraph.domain.kpis import Gate
from ordergraph.domain.orders import OrderRequest
from ordergraph.schema.context import Info
from ordergraph.schema.errors import user_errors
from ordergraph.schema.limits import MAX_INPUT_LIST
from ordergraph.schema.order_inputs import to_request
from ordergraph.schema.simulation import (
    RoutingSimulation,
    RoutingSimulationOrdersInput,
    RoutingSimulationRunInput,
    RoutingSimulationRunPayload,
)
from ordergraph.services import simulation

MAX_JSON_LINES_BYTES = 8 * 1024 * 1024


def _orders(
    value: RoutingSimulationOrdersInput,
) -> tuple[simulation.Window | None, tuple[OrderRequest, ...] | None]:
    given = [
        value.from_ is not None or value.to is not None,
        value.list is not None,
        value.json_lines is not None,
    ]
    if sum(given) != 1:
        raise ValidationError(
            "give exactly one of: a window (from and to), list, or jsonLines", field=("orders",)
        )
    if given[0]:
        if value.from_ is None or value.to is None:
            raise ValidationError("a window needs both from and to", field=("orders", "from"))
        return simulation.Window(value.from_, value.to, value.channel), None
    if value.list is not None:
        if len(value.list) > MAX_INPUT_LIST:
            raise ValidationError(
                f"at most {MAX_INPUT_LIST} orders in list; send more as jsonLines",
                field=("orders", "list"),
            )
        return None, tuple(to_request(o) for o in value.list)
    assert value.json_lines is not None
    data = value.json_lines.encode()
    if len(data) > MAX_JSON_LINES_BYTES:
        raise ValidationError("jsonLines is larger than 8 MiB", field=("orders", "jsonLines"))
    try:
        return None, simulation.requests_from_file(data)
    except ValidationError as exc:
        raise ValidationError(exc.message, exc.code, ("orders", "jsonLines", *exc.field)) from None


@strawberry.type
class SimulationQuery:
    @strawberry.field(description="A sandbox run: its status, progress and (once DONE) report.")
    async def routing_simulation(self, info: Info, id: strawberry.ID) -> RoutingSimulation | None:
        found = await simulation.simulation(info.context.store, str(id))
        return None if found is None else RoutingSimulation.from_record(found)


@strawberry.type
class SimulationMutation:
    @strawberry.mutation(
        description="Replay orders under a routing policy and its baseline on a private copy "
        "of the stock (writes nothing but the run's own record; docs/simulation.md). Returns "
        "the RUNNING job at once; poll routingSimulation(id)."
    )
    async def routing_simulation_run(
        self, info: Info, input: RoutingSimulationRunInput
    ) -> RoutingSimulationRunPayload:
        try:
            window, orders = _orders(input.orders)
            spec = simulation.SimulationInput(
                policy=input.policy,
                version=input.version,
                baseline=input.baseline,
                baseline_version=input.baseline_version,
                window=window,
                orders=orders,
                stock=input.stock,
                gates=tuple(
                    Gate(g.kpi, g.min, g.max, g.relative_to_baseline) for g in input.gates or ()
                ),
            )
            run_id = await simulation.start(info.context.store, spec)
        except OrderGraphError as exc:
            return RoutingSimulationRunPayload(simulation=None, user_errors=user_errors(exc))
        found = await simulation.simulation(info.context.store, run_id)
        return RoutingSimulationRunPayload(
            simulation=None if found is None else RoutingSimulation.from_record(found),
            user_errors=[],
        )
