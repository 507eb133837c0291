"""Live carrier rates in routing (issue #17, docs/carriers.md).

The exact router decides on the lane table. Afterwards, for the few best plans of that model
(the best plan and the best plans without each of its locations), this re-prices every shipment
with live rates fetched concurrently from every configured carrier account, each bounded by a
strict deadline, falls back to the lane table for whatever did not answer in time, caches what
answered per (adapter, origin, destination region, weight band) for a TTL, and re-chooses among
those plans by the policy's objective at the live prices. The stored explanation says which
price was live, cached or from the table. A slow or failing carrier never delays an order
beyond the deadline and never fails it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from ordergraph.connectors.carriers.port import Carrier, Place, Rate, RateQuery, RateSource
from ordergraph.connectors.carriers.registry import build_carriers
from ordergraph.domain.orders import Address
from ordergraph.domain.promise import delivery_date
from ordergraph.domain.routing.engine import route
from ordergraph.domain.routing.types import (
    PICKUP,
    STORE_KINDS,
    Candidate,
    PlannedShipment,
    Policy,
    RoutingPlan,
    RoutingRequest,
)
from ordergraph.graph.records.catalog import LocationRecord
from ordergraph.settings import Settings

WEIGHT_BAND_KG = 0.5
"""Rates are asked and cached for the top of a parcel's half-kilo band."""

Key = tuple[str, str, int]  # origin location, destination region, weight band


def weight_band(weight_kg: float) -> int:
    return max(1, math.ceil(round(weight_kg / WEIGHT_BAND_KG, 6)))


@dataclass(frozen=True, slots=True)
class Priced:
    shipment: PlannedShipment
    note: str


class RateShopper:
    """Carrier accounts, the deadline, the rate cache and the plans to re-price."""

    def __init__(
        self,
        carriers: Mapping[str, Carrier],
        *,
        deadline_s: float = 0.3,
        ttl_s: float = 900.0,
        plans: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.carriers = dict(carriers)
        self.deadline_s = deadline_s
        self.ttl_s = ttl_s
        self.plans = max(1, plans)
        self._clock = clock
        self._cache: dict[tuple[str, Key], tuple[float, tuple[Rate, ...]]] = {}
        self._background: set[asyncio.Task[list[Rate]]] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> RateShopper | None:
        """None without carrier accounts: routing is then exactly the lane table's."""
        if not settings.carriers:
            return None
        return cls(
            build_carriers(settings.carriers, settings.carrier_timeout_ms / 1000),
            deadline_s=settings.carrier_deadline_ms / 1000,
            ttl_s=float(settings.carrier_rate_ttl_s),
            plans=settings.carrier_plans,
        )

    def _cached(self, adapter: str, key: Key) -> tuple[Rate, ...] | None:
        hit = self._cache.get((adapter, key))
        if hit is None or hit[0] <= self._clock():
            return None
        return tuple(replace(r, source=RateSource.CACHED) for r in hit[1])

    async def fetch(
        self, queries: Mapping[Key, RateQuery], *, wait_s: float | None = None
    ) -> tuple[dict[Key, list[Rate]], dict[tuple[str, Key], str]]:
        """Rates per key from every carrier (cache first), and why a carrier gave none; waits
        at most ``wait_s`` (default: the deadline)."""
        found: dict[Key, list[Rate]] = {key: [] for key in queries}
        missing: dict[tuple[str, Key], str] = {}
        tasks: dict[asyncio.Task[list[Rate]], tuple[str, Key]] = {}
        for adapter, carrier in self.carriers.items():
            for key, query in queries.items():
                cached = self._cached(adapter, key)
                if cached is not None:
                    found[key].extend(cached)
                else:
                    tasks[asyncio.create_task(carrier.rates(query))] = (adapter, key)
        if tasks:
            wait = self.deadline_s if wait_s is None else max(wait_s, 0.0)
            done, pending = (
                await asyncio.wait(tasks, timeout=wait) if wait > 0 else (set(), set(tasks))
            )
            for task in pending:
                missing[tasks[task]] = f"no answer within {round(self.deadline_s * 1000)} ms"
                task.cancel()
                self._background.add(task)
                task.add_done_callback(self._forget)
            for task in done:
                adapter, key = tasks[task]
                error = task.exception()
                if error is not None:
                    missing[(adapter, key)] = f"failed ({type(error).__name__}: {error})"
                    continue
                rates = tuple(task.result())
                self._cache[(adapter, key)] = (self._clock() + self.ttl_s, rates)
                found[key].extend(rates)
                if not rates:
                    missing[(adapter, key)] = "answered no rate"
        return found, missing

    def _forget(self, task: asyncio.Task[list[Rate]]) -> None:
        self._background.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved, so that a late failure is not reported as unhandled

    async def reprice_many(
        self,
        asks: Sequence[tuple[RoutingRequest, RoutingPlan]],
        candidates: Sequence[Candidate],
        policy: Policy,
        *,
        region_id: str | None,
        ship_to: Address | None,
        locations: Mapping[str, LocationRecord],
        blocked: frozenset[tuple[str, str]] = frozenset(),
    ) -> list[RoutingPlan]:
        """For each (request, best) ask: ``best`` or one of the few next-best lane-table plans,
        priced live where possible. Asks are about one basket and ship-to (e.g. the service
        levels of ``deliveryOptions``): every rate they need is asked at once, under ONE
        deadline, so the answer never waits more than the deadline however many plans it
        prices."""
        if not self.carriers or region_id is None or ship_to is None:
            return [best for _, best in asks]
        started = time.perf_counter()  # the deadline counts from here: routing the
        by_id = {c.location_id: c for c in candidates}  # alternatives uses it
        alternatives = [
            self._alternatives(request, candidates, policy, best) if best.shipments else []
            for request, best in asks
        ]
        queries: dict[Key, RateQuery] = {}
        for (request, _), plans in zip(asks, alternatives, strict=True):
            for plan in plans:
                for shipment in plan.shipments:
                    if shipment.carrier == PICKUP:
                        continue
                    key = (
                        shipment.location_id,
                        region_id,
                        weight_band(self._weight(request, shipment)),
                    )
                    queries[key] = RateQuery(
                        origin=_origin(
                            locations.get(shipment.location_id), by_id[shipment.location_id]
                        ),
                        destination=_destination(region_id, ship_to),
                        weight_kg=key[2] * WEIGHT_BAND_KG,
                        reference=f"{shipment.location_id}:{region_id}:{key[2]}",
                    )
        found, missing = await self.fetch(
            queries, wait_s=self.deadline_s - (time.perf_counter() - started)
        )
        return [
            self._choose(request, by_id, policy, best, plans, region_id, found, missing, blocked)
            if plans
            else best
            for (request, best), plans in zip(asks, alternatives, strict=True)
        ]

    def _choose(
        self,
        request: RoutingRequest,
        by_id: Mapping[str, Candidate],
        policy: Policy,
        best: RoutingPlan,
        plans: Sequence[RoutingPlan],
        region_id: str,
        found: Mapping[Key, list[Rate]],
        missing: Mapping[tuple[str, Key], str],
        blocked: frozenset[tuple[str, str]],
    ) -> RoutingPlan:
        """Price ``plans`` with what was found and pick one by the policy's objective."""
        limit = request.transit_limit()
        priced: list[tuple[RoutingPlan, list[str]]] = []
        for plan in plans:
            shipments: list[PlannedShipment] = []
            notes: list[str] = []
            for shipment in plan.shipments:
                result = self._price(
                    shipment, by_id, region_id, limit, found, missing, request, blocked
                )
                shipments.append(result.shipment)
                notes.append(result.note)
            promised = max((s.estimated_delivery for s in shipments), default=None)
            total = round(sum(s.cost for s in shipments), 2)
            priced.append(
                (
                    replace(
                        plan, shipments=tuple(shipments), total_cost=total, promised_by=promised
                    ),
                    notes,
                )
            )
        placed = request.placed_at.date()

        def score(item: tuple[int, tuple[RoutingPlan, list[str]]]) -> tuple[float, int]:
            rank, (plan, _) = item
            days = 0 if plan.promised_by is None else (plan.promised_by - placed).days
            stores = sum(
                s.units for s in plan.shipments if by_id[s.location_id].kind in STORE_KINDS
            )
            return (policy.objective(plan.total_cost, days, len(plan.shipments), stores), rank)

        rank, (chosen, notes) = min(enumerate(priced), key=score)
        ms = round(self.deadline_s * 1000)
        head = (
            f"carrier rates ({', '.join(sorted(self.carriers))}, deadline {ms} ms): "
            f"{len(plans)} lane-table plan(s) re-priced; plan {rank + 1} chosen at "
            f"{chosen.total_cost:.2f} (lane table's best: {best.total_cost:.2f})"
        )
        return replace(chosen, explanation=(*chosen.explanation, head, *notes))

    @staticmethod
    def _weight(request: RoutingRequest, shipment: PlannedShipment) -> float:
        return sum(request.skus[sku].weight_kg * units for sku, units in shipment.lines)

    def _alternatives(
        self,
        request: RoutingRequest,
        candidates: Sequence[Candidate],
        policy: Policy,
        best: RoutingPlan,
    ) -> list[RoutingPlan]:
        """The best plan, then the best plans without each of its locations that allocate as
        much: the few plans of the lane-table model worth a live price."""
        plans = [best]
        seen = {_shape(best)}
        for shipment in best.shipments:
            if len(plans) >= self.plans:
                break
            other = route(
                replace(
                    request, excluded_locations=request.excluded_locations | {shipment.location_id}
                ),
                candidates,
                policy,
            )
            if other.allocated == best.allocated and _shape(other) not in seen:
                seen.add(_shape(other))
                plans.append(other)
        return plans

    def _price(
        self,
        shipment: PlannedShipment,
        by_id: Mapping[str, Candidate],
        region_id: str,
        limit: int,
        found: Mapping[Key, list[Rate]],
        missing: Mapping[tuple[str, Key], str],
        request: RoutingRequest,
        blocked: frozenset[tuple[str, str]] = frozenset(),
    ) -> Priced:
        if shipment.carrier == PICKUP:
            return Priced(shipment, f"{shipment.location_id}: pickup, no carrier")
        key = (shipment.location_id, region_id, weight_band(self._weight(request, shipment)))
        fitting = [
            r
            for r in found.get(key, [])
            if r.transit_days is not None
            and r.transit_days <= limit
            and (shipment.location_id, r.carrier) not in blocked  # its booking cap is full
        ]
        why = "; ".join(f"{a}: {reason}" for (a, k), reason in sorted(missing.items()) if k == key)
        if not fitting:
            table = f"{shipment.carrier} {shipment.service} {shipment.cost:.2f}"
            return Priced(
                shipment,
                f"{shipment.location_id}: {table} from the table" + (f" ({why})" if why else ""),
            )
        rate = min(fitting, key=lambda r: (r.amount, r.transit_days or 0, r.carrier, r.service))
        candidate = by_id[shipment.location_id]
        days = rate.transit_days or 0
        live = replace(
            shipment,
            carrier=rate.carrier,
            service=rate.service,
            transit_days=days,
            cost=round(candidate.handling_cost + rate.amount, 2),
            estimated_delivery=delivery_date(shipment.ship_by, days, candidate.country),
        )
        note = (
            f"{shipment.location_id}: {rate.carrier} {rate.service} {rate.amount:.2f} "
            f"{rate.source.value} ({rate.adapter}) + handling {candidate.handling_cost:.2f}"
        )
        return Priced(live, note + (f"; {why}" if why else ""))


def _shape(plan: RoutingPlan) -> tuple[tuple[str, tuple[tuple[str, int], ...]], ...]:
    return tuple(sorted((s.location_id, s.lines) for s in plan.shipments))


def _origin(record: LocationRecord | None, candidate: Candidate) -> Place:
    return Place(
        ref=candidate.location_id,
        postal_code=(record.postal_code if record is not None else None) or "",
        country=candidate.country,
        name=record.name if record is not None else candidate.location_id,
    )


def _destination(region_id: str, ship_to: Address) -> Place:
    return Place(
        ref=region_id,
        postal_code=ship_to.postal_code,
        country=ship_to.country,
        name=ship_to.name or "",
        street=ship_to.line1 or "",
        city=ship_to.city or "",
        state=ship_to.region or "",
    )


_SHOPPERS: dict[int, tuple[Settings, RateShopper | None]] = {}


def shopper_for(settings: Settings) -> RateShopper | None:
    """The process's one shopper for these settings (its cache and HTTP clients are shared by
    every request); None without carrier accounts."""
    held = _SHOPPERS.get(id(settings))
    if held is None or held[0] is not settings:
        held = (settings, RateShopper.from_settings(settings))
        _SHOPPERS[id(settings)] = held
    return held[1]


def carrier_accounts(settings: Settings) -> Mapping[str, Carrier]:
    """The process's carrier adapters for these settings (empty without accounts)."""
    shopper = shopper_for(settings)
    return {} if shopper is None else shopper.carriers
