"""The routing sandbox: replay orders under a policy and its baseline on a private copy of the
stock, and report the KPIs of both and the orders whose plan changed (docs/simulation.md).

1. ``prepare`` checks the input and gathers the orders: a window of past orders (read from the
   graph) or a list of orderCreate inputs (the demo-day file), in placement order.
2. ``replay`` reads the world ONCE (``graph/simulations.py world``: locations, stock, lanes,
   capacity, channels, SKUs) and owns it from then on: for each side it copies the stock and
   capacity, and for each order builds the candidates exactly as placement does
   (``services/orders.py routing_candidates``, ``placement_request``), routes with the same
   pure ``domain.routing.engine.route`` and takes the plan's units from the copy (reserved,
   and the channel's protection first, as the reservation statement does: ``domain.atp.take``).
   Nothing is written but the run's own ``:SimulationRun`` node.
3. Each side's plans become KPI facts (on time = promised within the service level's transit
   days, ``domain.kpis.promised_within``), measured by ``domain.kpis.compute``; the report adds
   the deltas, the changed orders side by side and, with gates, the verdict
   (``domain.kpis.gate_failures``).

``start`` runs a replay as a background job (an asyncio task) and returns its id at once;
``run`` is the same in the foreground (the CLI).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ordergraph.connectors.order_file import order_request, read_orders
from ordergraph.domain import kpis
from ordergraph.domain.atp import Protection, take
from ordergraph.domain.errors import ErrorCode, NotFound, OrderGraphError, ValidationError
from ordergraph.domain.orders import Address, OrderLine, OrderRequest, check_request
from ordergraph.domain.regions import region_candidates
from ordergraph.domain.routing.lookahead import LookAhead, route_ahead
from ordergraph.domain.routing.types import (
    MAX_TRANSIT_DAYS,
    Policy,
    RoutingPlan,
    SkuInfo,
)
from ordergraph.domain.simulation import (
    MAX_CHANGED_KEPT,
    ChangedOrder,
    SimulationReport,
    SimulationStatus,
    StockMode,
    deltas,
    plan_changed,
)
from ordergraph.graph import simulations as sq
from ordergraph.graph.records.catalog import ChannelRecord, RegionRecord, StockRecord
from ordergraph.graph.records.routing import CandidateLocation
from ordergraph.graph.records.simulations import HeldUnits, PastOrder, SimulationRecord, World
from ordergraph.graph.store import GraphStore
from ordergraph.services import policies
from ordergraph.services.availability import position_atp, sales_channel
from ordergraph.services.kpis import check_window
from ordergraph.services.lookahead import lookahead_at
from ordergraph.services.orders import Situation, epoch_ms, placement_request, routing_candidates

log = logging.getLogger("ordergraph.simulation")

MAX_ORDERS = 100_000
"""The most orders one run replays, from a window, a list or a file: they are all in memory."""
MAX_RUNNING = 4
"""The most runs going on in the background of one server process at once: each holds its
orders and a copy of the stock, so more wait for one to finish (a CONFLICT userError)."""
MAX_SKIPPED_REASONS = 20
PER_CHANNEL = "per channel"
STOPPED = "stopped: the server shut down before the run finished"
CHUNK = 200  # orders routed between two yields to the event loop (and progress writes)

Progress = Callable[[int, int], None]
"""``(done, total)``: order routings done so far over both sides, of ``total``."""


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class SimulationInput:
    """What to replay: ``policy`` against ``baseline`` (None: each order's channel's current
    policy), over a ``window`` of past orders or a list of ``orders``."""

    policy: str
    version: int | None = None
    baseline: str | None = None
    baseline_version: int | None = None
    window: Window | None = None
    orders: tuple[OrderRequest, ...] | None = None
    stock: StockMode = StockMode.AT_PLACEMENT
    gates: tuple[kpis.Gate, ...] = ()

    def described(self) -> dict[str, Any]:
        """The input as the run stores it (the orders by count, not in full)."""
        window = self.window
        return {
            "policy": self.policy,
            "version": self.version,
            "baseline": self.baseline,
            "baselineVersion": self.baseline_version,
            "stock": self.stock.value,
            "window": None
            if window is None
            else {
                "from": window.start.isoformat(),
                "to": window.end.isoformat(),
                "channel": window.channel,
            },
            "orders": None if self.orders is None else len(self.orders),
            "gates": [
                {
                    "kpi": g.kpi,
                    "min": g.min,
                    "max": g.max,
                    "relativeToBaseline": g.relative_to_baseline,
                }
                for g in self.gates
            ],
        }


@dataclass(frozen=True, slots=True)
class Replayed:
    key: str  # how the report names it: order id, externalId or "#n"
    request: OrderRequest  # checked: placed_at set, normalised


@dataclass(frozen=True, slots=True)
class Prepared:
    orders: tuple[Replayed, ...]  # in placement order
    stock: StockMode
    window_start: datetime | None  # the window's start (AT_PLACEMENT reconstructs from it)


# -- policies --------------------------------------------------------------------------------------


async def _policy_for(store: GraphStore, policy_id: str, version: int | None) -> Policy:
    """The one seam to routing policies: ``services/policies.compiled_policy`` (a stored
    document's version, None for its ACTIVE one; the four shipped policies are version 1).
    A missing policy is NOT_FOUND on ``policy``; a missing version of a known one on
    ``version``."""
    try:
        return await policies.compiled_policy(store, policy_id, version)
    except NotFound as exc:
        unknown = exc.message.startswith("unknown")
        where = ("version",) if version is not None and not unknown else ("policy",)
        raise ValidationError(exc.message, ErrorCode.NOT_FOUND, where) from None


async def _gates_of(
    store: GraphStore, policy_id: str, version: int | None
) -> tuple[kpis.Gate, ...]:
    """The activation gates the simulated document declares (judged when the input names none)."""
    record = await policies.policy_version(store, policy_id, version)
    return () if record is None else policies.document_of(record).gates


async def _checked_policy(
    store: GraphStore, policy_id: str, version: int | None, name: str, version_name: str
) -> Policy:
    try:
        return await _policy_for(store, policy_id, version)
    except ValidationError as exc:
        where = version_name if exc.field == ("version",) else name
        raise ValidationError(exc.message, exc.code, (where,)) from None


def _label(policy_id: str | None, version: int | None) -> str:
    if policy_id is None:
        return PER_CHANNEL
    return policy_id if version is None else f"{policy_id}@{version}"


# -- preparing the orders --------------------------------------------------------------------------


def _past_request(past: PastOrder) -> OrderRequest:
    order = past.order
    ship = order.ship_to
    return OrderRequest(
        channel=order.channel,
        lines=tuple(OrderLine(line.sku, line.quantity) for line in past.lines),
        ship_to=None
        if ship is None
        else Address(
            ship.postal_code,
            ship.country,
            ship.name,
            ship.line1,
            ship.line2,
            ship.city,
            ship.region,
        ),
        pickup_at=order.pickup_at,
        service_level=order.service_level,
        placed_at=order.placed_at.astimezone(UTC),
    )


async def prepare(
    store: GraphStore, spec: SimulationInput, *, now: datetime | None = None
) -> Prepared:
    """Check ``spec`` (a userError with its path for anything wrong) and gather its orders."""
    now = now or datetime.now(UTC)
    await _checked_policy(store, spec.policy, spec.version, "policy", "version")
    if spec.baseline is not None:
        await _checked_policy(
            store, spec.baseline, spec.baseline_version, "baseline", "baselineVersion"
        )
    elif spec.baseline_version is not None:
        raise ValidationError("baselineVersion needs a baseline", field=("baselineVersion",))
    if (spec.window is None) == (spec.orders is None):
        raise ValidationError(
            "give the orders as a window (from, to, channel) or as a list or file, not both",
            field=("orders",),
        )
    replayed: list[Replayed] = []
    start = None
    if spec.window is not None:
        window = spec.window
        try:
            check_window(window.start, window.end)
        except ValidationError as exc:
            raise ValidationError(exc.message, exc.code, ("orders", *exc.field)) from None
        start = window.start
        found = await sq.past_orders(
            store, epoch_ms(window.start), epoch_ms(window.end), window.channel, MAX_ORDERS + 1
        )
        if len(found) > MAX_ORDERS:
            raise ValidationError(
                f"the window holds more than {MAX_ORDERS} orders: replay a shorter one",
                field=("orders", "to"),
            )
        replayed = [Replayed(p.order.id, _past_request(p)) for p in found]
    else:
        assert spec.orders is not None
        if len(spec.orders) > MAX_ORDERS:
            raise ValidationError(f"at most {MAX_ORDERS} orders", field=("orders",))
        for i, request in enumerate(spec.orders):
            try:
                checked = check_request(request, now=now)
            except OrderGraphError as exc:
                raise ValidationError(
                    f"order {i + 1}: {exc.message}", exc.code, ("orders", str(i), *exc.field)
                ) from None
            replayed.append(Replayed(checked.external_id or f"#{i + 1}", checked))
    if not replayed:
        raise ValidationError("no orders to replay", field=("orders",))
    ordered = sorted(enumerate(replayed), key=lambda e: (e[1].request.placed_at, e[0]))
    return Prepared(tuple(r for _, r in ordered), spec.stock, start)


def requests_from_file(data: bytes) -> tuple[OrderRequest, ...]:
    """The orders of a JSON-lines file (or JSON array) of orderCreate inputs."""
    return tuple(order_request(value, i) for i, value in enumerate(read_orders(data)))


# -- the world a run owns --------------------------------------------------------------------------


def _region(request: OrderRequest, regions: Mapping[str, RegionRecord]) -> RegionRecord | None:
    """The region an address resolves to: the longest prefix the graph knows (DOMAIN.md)."""
    if request.ship_to is None:
        return None
    for region_id in region_candidates(request.ship_to.postal_code, request.ship_to.country):
        if region_id in regions:
            return regions[region_id]
    return None


@dataclass
class _State:
    """One side's copy of the stock and capacity: the run's own, changed only in memory."""

    stock: dict[tuple[str, str], StockRecord]
    used: dict[str, dict[str, int]]


def _start_state(world: World, held: Sequence[HeldUnits]) -> _State:
    """The stock the replay starts from: now, plus what the orders placed since the window's
    start hold or have shipped (docs/simulation.md, "AT_PLACEMENT")."""
    stock = dict(world.stock)
    used = {loc: dict(days) for loc, days in world.used.items()}
    counted: set[str] = set()
    for h in held:
        position = stock.get((h.location, h.sku))
        if position is not None:
            stock[(h.location, h.sku)] = (
                replace(position, on_hand=position.on_hand + h.units)
                if h.shipped
                else replace(position, reserved=max(0, position.reserved - h.units))
            )
        if h.fulfillment not in counted and h.ship_by is not None:
            counted.add(h.fulfillment)
            days = used.get(h.location)
            day = h.ship_by.isoformat()
            if days is not None and day in days:
                days[day] = max(0, days[day] - 1)
    return _State(stock, used)


def _copy(state: _State) -> _State:
    return _State(dict(state.stock), {loc: dict(days) for loc, days in state.used.items()})


def _consume(
    protections: tuple[Protection, ...], channel: str, units: int, today: date
) -> tuple[Protection, ...]:
    """The channel's own protected units a reservation used, taken off its protection."""
    if units <= 0:
        return protections
    out = []
    for p in protections:
        if units > 0 and p.channel == channel and p.active(today):
            used = min(units, p.remaining)
            units -= used
            p = replace(p, remaining=p.remaining - used)
        out.append(p)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Routed:
    plan: RoutingPlan
    distance: Mapping[str, float | None]  # by location


def _route_one(
    world: World,
    order: Replayed,
    region: RegionRecord | None,
    channel: ChannelRecord,
    policy: Policy,
    state: _State,
    ahead: LookAhead | None = None,
) -> _Routed:
    """Route one order on ``state`` as placement would, and take its units from ``state``."""
    request = order.request
    assert request.placed_at is not None
    wanted = request.quantities()
    ids = sorted({loc for sku in wanted for loc in world.holders.get(sku, ())})
    if request.pickup_at is not None:
        ids = [loc for loc in ids if loc == request.pickup_at]
    found = [
        CandidateLocation(
            location=world.locations[loc],
            stock={sku: state.stock[(loc, sku)] for sku in wanted if (loc, sku) in state.stock},
            lanes=() if region is None else world.lanes.get((loc, region.id), ()),
            used=state.used.setdefault(loc, {}),
        )
        for loc in ids
    ]
    today = request.placed_at.date()
    candidates, keys = routing_candidates(found, region, request.placed_at, channel, today)
    situation = Situation(
        channel=channel,
        region=region,
        skus={
            sku: SkuInfo(rec.id, rec.weight_kg, rec.tags)
            for sku in wanted
            if (rec := world.skus.get(sku)) is not None
        },
        candidates=candidates,
        capacity_keys=keys,
        locations={c.location.id: c.location for c in found},
        today=today,
    )
    plan = route_ahead(placement_request(request, situation), candidates, policy, ahead)
    for shipment in plan.shipments:
        loc = shipment.location_id
        for sku, units in shipment.lines:
            position = state.stock[(loc, sku)]
            own, _ = take(position_atp(channel, world.locations[loc], position, today), units)
            state.stock[(loc, sku)] = replace(
                position,
                reserved=position.reserved + units,
                protections=_consume(position.protections, channel.id, own, today),
            )
        _, day, _ = keys[loc]
        days = state.used.setdefault(loc, {})
        days[day] = days.get(day, 0) + 1
    return _Routed(plan, {c.location_id: c.distance_km for c in candidates})


def _fact(order: Replayed, routed: _Routed) -> kpis.OrderFact:
    request = order.request
    assert request.placed_at is not None
    plan = routed.plan
    country = request.ship_to.country if request.ship_to is not None else "US"
    return kpis.OrderFact(
        order_id=order.key,
        channel=request.channel,
        placed_at=request.placed_at,
        ordered_units=sum(line.quantity for line in request.lines),
        allocated_at_placement=sum(s.units for s in plan.shipments),
        shipments=tuple(
            kpis.ShipmentFact(s.location_id, s.units, s.cost, routed.distance.get(s.location_id))
            for s in plan.shipments
        ),
        promised_by=plan.promised_by,
        on_time=kpis.promised_within(
            request.placed_at,
            plan.promised_by,
            MAX_TRANSIT_DAYS[request.service_level],
            country,
        ),
    )


def _skip_reason(world: World, order: Replayed, region: RegionRecord | None) -> str | None:
    request = order.request
    unknown = sorted(sku for sku in request.quantities() if sku not in world.skus)
    if unknown:
        return f"{order.key}: unknown SKU {', '.join(unknown)}"
    if request.ship_to is not None and region is None:
        return f"{order.key}: no region serves postal code {request.ship_to.postal_code}"
    if request.pickup_at is not None:
        store = world.locations.get(request.pickup_at)
        if store is None or not store.pickup:
            return f"{order.key}: {request.pickup_at} is not an open pickup store"
    return None


@dataclass
class _Side:
    policy: Policy | None  # None: each order's channel's policy
    state: _State
    plans: list[RoutingPlan] = field(default_factory=list)
    facts: list[kpis.OrderFact] = field(default_factory=list)


async def replay(
    store: GraphStore,
    spec: SimulationInput,
    prepared: Prepared,
    progress: Progress | None = None,
) -> SimulationReport:
    """Replay ``prepared`` for both sides; reads only (see the module doc)."""
    orders = prepared.orders
    regions = await sq.regions(store)
    where = [_region(o.request, regions) for o in orders]
    first = min(o.request.placed_at for o in orders if o.request.placed_at is not None)
    world = await sq.world(
        store,
        sorted({sku for o in orders for sku in o.request.quantities()}),
        sorted({r.id for r in where if r is not None}),
        (first - timedelta(days=1)).date().isoformat(),
        regions,
    )
    held: list[HeldUnits] = []
    if prepared.stock is StockMode.AT_PLACEMENT and prepared.window_start is not None:
        held = await sq.held_since(store, epoch_ms(prepared.window_start))
    start = _start_state(world, held)
    policy = await _policy_for(store, spec.policy, spec.version)
    baseline = (
        None
        if spec.baseline is None
        else await _policy_for(store, spec.baseline, spec.baseline_version)
    )
    gates = spec.gates or await _gates_of(store, spec.policy, spec.version)
    channel_policies: dict[str, Policy] = {}
    for ch in sorted({o.request.channel for o in orders}):
        rec = world.channels.get(ch)
        if rec is None:
            channel_policies[ch] = await _policy_for(store, "CHEAPEST", None)
        else:  # the channel's ACTIVE policy, as placement chooses it
            channel_policies[ch] = (await policies.policy_for_order(store, None, rec)).policy
    skipped = [_skip_reason(world, o, r) for o, r in zip(orders, where, strict=True)]
    kept = [i for i, why in enumerate(skipped) if why is None]
    sides = [_Side(policy, _copy(start)), _Side(baseline, _copy(start))]
    total = 2 * len(orders)
    done = 2 * (len(orders) - len(kept))  # a skipped order is done on both sides
    for side in sides:
        for n, i in enumerate(kept, start=1):
            order = orders[i]
            channel = world.channels.get(order.request.channel) or sales_channel(
                None, order.request.channel
            )
            under = side.policy or channel_policies[order.request.channel]
            placed = order.request.placed_at
            ahead = (  # the same read as placement, at the replayed instant (cached per TTL)
                await lookahead_at(store, placed)
                if under.lookahead_weight > 0.0 and placed is not None
                else None
            )
            routed = _route_one(world, order, where[i], channel, under, side.state, ahead)
            side.plans.append(routed.plan)
            side.facts.append(_fact(order, routed))
            done += 1
            if n % CHUNK == 0:
                if progress is not None:
                    progress(done, total)
                await asyncio.sleep(0)  # let the server answer between chunks
    if progress is not None:
        progress(done, total)
    mine, theirs = kpis.compute(sides[0].facts), kpis.compute(sides[1].facts)
    changed = [
        ChangedOrder(orders[i].key, orders[i].request.placed_at or first, a, b)
        for i, a, b in zip(kept, sides[0].plans, sides[1].plans, strict=True)
        if plan_changed(a, b)
    ]
    reasons = tuple(why for why in skipped if why is not None)
    return SimulationReport(
        orders=len(kept),
        skipped=len(reasons),
        skipped_reasons=reasons[:MAX_SKIPPED_REASONS],
        policy=_label(spec.policy, spec.version),
        baseline=_label(spec.baseline, spec.baseline_version),
        stock=prepared.stock,
        kpis=mine,
        baseline_kpis=theirs,
        deltas=deltas(mine, theirs),
        changed=len(changed),
        changed_orders=tuple(
            replace(
                c,
                plan=replace(c.plan, explanation=()),
                baseline_plan=replace(c.baseline_plan, explanation=()),
            )
            for c in changed[:MAX_CHANGED_KEPT]
        ),
        gate_failures=None
        if not gates
        else tuple(kpis.gate_failures(gates, mine.values(), theirs.values())),
    )


# -- the job ---------------------------------------------------------------------------------------

_TASKS: dict[asyncio.Task[Any], tuple[GraphStore, str]] = {}  # running jobs (held: not collected)
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _new_id() -> str:
    return "SIM-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


async def _execute(
    store: GraphStore,
    run_id: str,
    spec: SimulationInput,
    prepared: Prepared,
    progress: Progress | None,
) -> SimulationReport | None:
    """Replay, writing progress to the run's node (at most every ``CHUNK`` routings) and the
    report or the failure at the end."""
    last = [0]
    pending: list[asyncio.Task[None]] = []

    def advance(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total)
        if done > last[0]:
            last[0] = done
            pending.append(asyncio.ensure_future(sq.progress(store, run_id, done)))

    try:
        report = await replay(store, spec, prepared, advance)
    except OrderGraphError as exc:
        await asyncio.gather(*pending, return_exceptions=True)
        await sq.finish(store, run_id, last[0], None, exc.message, datetime.now(UTC))
        return None
    except Exception:
        log.exception("simulation %s failed", run_id)
        await asyncio.gather(*pending, return_exceptions=True)
        await sq.finish(store, run_id, last[0], None, "internal error", datetime.now(UTC))
        return None
    await asyncio.gather(*pending, return_exceptions=True)
    await sq.finish(store, run_id, last[0], report, None, datetime.now(UTC))
    return report


@contextlib.asynccontextmanager
async def jobs() -> AsyncIterator[None]:
    """The server's background runs (the app's lifespan): when it ends, the runs still going
    are stopped, each recording FAILED with ``STOPPED``, and waited for."""
    try:
        yield
    finally:
        stopping = dict(_TASKS)
        for task in stopping:
            task.cancel()
        await asyncio.gather(*stopping, return_exceptions=True)
        for store, run_id in stopping.values():
            with contextlib.suppress(Exception):  # the graph may be gone too
                found = await sq.run_by_id(store, run_id)
                if found is not None and found.status is SimulationStatus.RUNNING:
                    await sq.finish(store, run_id, found.done, None, STOPPED, datetime.now(UTC))


async def start(store: GraphStore, spec: SimulationInput, *, now: datetime | None = None) -> str:
    """Check ``spec``, record a RUNNING job and replay it in the background; its id at once.
    At most ``MAX_RUNNING`` at a time (checked before any await, so runs started together
    count each other)."""
    if len(_TASKS) >= MAX_RUNNING:
        raise OrderGraphError(
            f"{MAX_RUNNING} simulations are already running on this server: wait for one "
            "to finish (poll routingSimulation)",
            ErrorCode.CONFLICT,
        )
    now = now or datetime.now(UTC)
    prepared = await prepare(store, spec, now=now)
    run_id = _new_id()
    await sq.create_run(store, run_id, spec.described(), 2 * len(prepared.orders), now)
    task = asyncio.create_task(_execute(store, run_id, spec, prepared, None))
    _TASKS[task] = (store, run_id)
    task.add_done_callback(lambda done: _TASKS.pop(done, None))
    return run_id


async def run(
    store: GraphStore,
    spec: SimulationInput,
    *,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> tuple[str, SimulationReport | None]:
    """``start`` in the foreground (the CLI): the run's id and its report (None: it failed, the
    run's node says why)."""
    now = now or datetime.now(UTC)
    prepared = await prepare(store, spec, now=now)
    run_id = _new_id()
    await sq.create_run(store, run_id, spec.described(), 2 * len(prepared.orders), now)
    return run_id, await _execute(store, run_id, spec, prepared, progress)


async def simulation(store: GraphStore, run_id: str) -> SimulationRecord | None:
    return await sq.run_by_id(store, run_id)


async def recent(store: GraphStore, limit: int = 50) -> list[SimulationRecord]:
    """The newest runs first (the operations console's list)."""
    return await sq.recent_runs(store, max(1, min(limit, 200)))


async def wait(store: GraphStore, run_id: str, timeout: float = 60.0) -> SimulationRecord | None:
    """The run once it is no longer RUNNING (tests, scripts), or as it is after ``timeout``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await simulation(store, run_id)
        if found is None or found.status is not SimulationStatus.RUNNING:
            return found
        if asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.05)
