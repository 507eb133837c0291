"""Available-to-promise: per SKU, in total and per location, nearest first when asked.

One small graph read per request (``graph.network.versions``: the network version and the
stock versions of the SKUs); the worker's cache (``services/worker_cache.py``) keeps the static
network and whole answers at the versions they were computed at, so a request whose versions
match is answered without another read, and one that misses reads the SKUs' stock positions
(``graph.network.stock_of_skus``) without the locations' properties, which the worker keeps.
The region of a postal code is found in the kept network. Distances are computed here.
With a channel, each number is that channel's ATP (``domain.atp.channel_atp``, through
``position_atp``, the same function routing uses) with its explanation; without one, the whole
network's free stock, as before channels had rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import cast

from ordergraph.domain.atp import ChannelAtp, atp_number, channel_atp
from ordergraph.domain.errors import ErrorCode, UnserviceableAddress, ValidationError
from ordergraph.domain.geo import haversine_km, normalise_postal_code
from ordergraph.domain.regions import region_candidates
from ordergraph.graph import network
from ordergraph.graph.records.catalog import ChannelRecord, LocationRecord, StockRecord
from ordergraph.graph.records.network import NetworkSnapshot
from ordergraph.graph.store import GraphStore
from ordergraph.services.preorders import PreorderStock, preorder_stock
from ordergraph.services.worker_cache import WorkerCache, transient

MAX_SKUS = 100
DEFAULT_COUNTRY = "US"


@dataclass(frozen=True)
class Near:
    postal_code: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class LocationStock:
    location: LocationRecord
    on_hand: int
    reserved: int
    available: int
    distance_km: float | None
    damaged: int = 0  # never part of on_hand, never available
    quality_control: int = 0
    preorder: int = 0  # inbound a channel with sellInbound may sell (services/preorders.py)
    preorder_date: date | None = None  # the day those preorders first ship
    safety_stock: int = 0
    # with a channel: what explains ``available`` (the channel, the position, the day)
    seller: tuple[ChannelRecord, StockRecord, date] | None = None
    preorder_note: str | None = None  # the explanation's line for the preorders here
    preorders_only: bool = False  # listed for its preorders alone: no stock position here

    @property
    def explanation(self) -> tuple[str, ...]:
        """How ``available`` was reached, computed only when asked (its GraphQL field is)."""
        note = () if self.preorder_note is None else (self.preorder_note,)
        if self.preorders_only:
            return note
        if self.seller is not None:
            channel, stock, today = self.seller
            return (*position_atp(channel, self.location, stock, today).explanation(), *note)
        return (
            f"on hand {self.on_hand} - reserved {self.reserved} - safety "
            f"{self.safety_stock} = available {self.available}",
            *note,
        )


@dataclass(frozen=True)
class SkuStock:
    sku: str
    available: int
    locations: tuple[LocationStock, ...]
    preorder: int = 0
    preorder_date: date | None = None  # the earliest day a preorder of it ships


def position_atp(
    channel: ChannelRecord, location: LocationRecord, stock: StockRecord, today: date
) -> ChannelAtp:
    """``channel``'s ATP at one stock position on ``today``: display and routing both ask
    this, and the reservation statement checks the same rule (``fragments.channel_atp``)."""
    return channel_atp(
        channel.id,
        channel.rules,
        on_hand=stock.on_hand,
        reserved=stock.reserved,
        safety_stock=stock.safety_stock,
        protections=stock.protections,
        today=today,
        in_sourcing=channel.rules.sourcing.allows(location.id, location.kind, location.tags),
    )


def position_number(
    channel: ChannelRecord, location: LocationRecord, stock: StockRecord, today: date
) -> int:
    """``position_atp(...).result`` without the explanation (``domain.atp.atp_number``)."""
    allowed = channel.rules.sourcing.allows(location.id, location.kind, location.tags)
    return atp_number(channel.id, channel.rules, stock.available, stock.protections, today, allowed)


def sales_channel(found: ChannelRecord | None, channel_id: str) -> ChannelRecord:
    """The stored channel, or one without rules (the whole network) when none is stored: it
    still cannot sell what is protected for others."""
    return found or ChannelRecord(channel_id, None, None, None, None)


def check_near(near: Near | None, radius_km: float | None) -> None:
    if near is not None:
        has_point = near.lat is not None or near.lon is not None
        if has_point and (near.lat is None or near.lon is None):
            raise ValidationError("give both lat and lon", field=("near",))
        if has_point and near.postal_code:
            raise ValidationError("give a postal code or lat/lon, not both", field=("near",))
        if not has_point and not (near.postal_code or "").strip() and not near.country:
            # a country alone means its country-wide region (postalPrefix "")
            raise ValidationError("give a postal code or lat/lon (or a country)", field=("near",))
        if near.lat is not None and not -90 <= near.lat <= 90:
            raise ValidationError("lat must be between -90 and 90", field=("near", "lat"))
        if near.lon is not None and not -180 <= near.lon <= 180:
            raise ValidationError("lon must be between -180 and 180", field=("near", "lon"))
        code = near.postal_code
        if code is not None and code.strip() and not normalise_postal_code(code):
            raise ValidationError(
                "postal code must contain letters or digits", field=("near", "postalCode")
            )
    if radius_km is not None:
        if near is None:
            raise ValidationError("radiusKm needs near", field=("radiusKm",))
        if not radius_km > 0:
            raise ValidationError("radiusKm must be positive", field=("radiusKm",))


def check_known(versions: Mapping[str, int | None]) -> None:
    """Every SKU asked for is in the catalog, has a stock version (else UNKNOWN_SKU, naming
    them)."""
    if unknown := sorted(sku for sku, version in versions.items() if version is None):
        raise ValidationError(
            f"unknown SKU{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            ErrorCode.UNKNOWN_SKU,
            ("skus",),
        )


async def availability(
    store: GraphStore,
    skus: Sequence[str],
    near: Near | None = None,
    radius_km: float | None = None,
    *,
    channel: str | None = None,
    now: datetime | None = None,
    cache: WorkerCache | None = None,
) -> list[SkuStock]:
    """``channel``: each number is that channel's ATP, with its explanation; ``now`` (default
    the clock) decides which protections still hold. ``cache``: the worker's (none: nothing is
    kept); an answer is served from it only at the versions it was computed at."""
    wanted = list(dict.fromkeys(s.strip() for s in skus))
    if not wanted:
        raise ValidationError("give at least one SKU", field=("skus",))
    if len(wanted) > MAX_SKUS:
        raise ValidationError(f"at most {MAX_SKUS} SKUs per request", field=("skus",))
    check_near(near, radius_km)
    cache = cache or transient()
    moment = now or datetime.now(UTC)
    versions = await network.versions(store, wanted)
    check_known(versions.stock)
    net = await cache.network(store, versions.network)
    origin = _origin(net, near)
    seller = None if channel is None else sales_channel(net.channels.get(channel), channel)
    today = moment.astimezone(UTC).date()
    # preorders move with inbound lines and the clock, which no version counts: not kept
    keep = seller is None or not seller.rules.sell_inbound
    inputs = (
        tuple(wanted),
        near,
        radius_km,
        channel,
        None if seller is None else (seller.rules_version, today),
        net.version,
    )
    if keep:
        kept = cache.answers.get((inputs, tuple(versions.stock[s] for s in wanted)))
        if kept is not None:
            return list(cast(tuple[SkuStock, ...], kept))
    stock = await network.stock_of_skus(store, wanted)
    check_known(stock.versions)
    places = net.locations
    positions = [
        (places[p.location], p)
        for p in stock.positions
        if p.location in places and places[p.location].active
    ]
    answer = _answer(wanted, positions, origin, radius_km, seller, today)
    if seller is not None:
        for pre in await preorder_stock(store, seller, wanted, moment):
            _add_preorder(answer[pre.sku], pre, origin, radius_km)
    result = [_total(sku, found, origin is not None) for sku, found in answer.items()]
    if keep:
        cache.answers.put((inputs, tuple(stock.versions[s] for s in wanted)), tuple(result))
    return result


def _origin(net: NetworkSnapshot, near: Near | None) -> tuple[float, float] | None:
    """Where distances are measured from: the point asked, or the best region of the postal
    code (the one with the longest prefix among its candidates); None without ``near``."""
    if near is None:
        return None
    if near.lat is not None and near.lon is not None:
        return (near.lat, near.lon)
    country = near.country or DEFAULT_COUNTRY
    found = [
        net.regions[r] for r in region_candidates(near.postal_code, country) if r in net.regions
    ]
    if not found:
        raise UnserviceableAddress(
            f"no region serves postal code {near.postal_code!r} in {country.upper()}",
            ("near", "postalCode"),
        )
    region = max(found, key=lambda r: len(r.postal_prefix))
    return (region.lat, region.lon)


def _answer(
    wanted: Sequence[str],
    positions: Sequence[tuple[LocationRecord, StockRecord]],
    origin: tuple[float, float] | None,
    radius_km: float | None,
    seller: ChannelRecord | None,
    today: date,
) -> dict[str, list[LocationStock]]:
    """Each SKU's positions within ``radius_km`` of ``origin``, with what can be promised."""
    per_sku: dict[str, list[LocationStock]] = {sku: [] for sku in wanted}
    for place, stock in positions:
        distance = (
            haversine_km(origin[0], origin[1], place.lat, place.lon) if origin is not None else None
        )
        if radius_km is not None and distance is not None and distance > radius_km:
            continue
        per_sku[stock.sku].append(
            LocationStock(
                location=place,
                on_hand=stock.on_hand,
                reserved=stock.reserved,
                available=(
                    stock.available
                    if seller is None
                    else position_number(seller, place, stock, today)
                ),
                distance_km=None if distance is None else round(distance, 1),
                damaged=stock.damaged,
                quality_control=stock.quality_control,
                safety_stock=stock.safety_stock,
                seller=None if seller is None else (seller, stock, today),
            )
        )
    return per_sku


def _total(sku: str, places: list[LocationStock], near: bool) -> SkuStock:
    """The SKU's answer: its places, nearest first (``near``) or most available first."""
    if near:
        places.sort(key=lambda p: (p.distance_km, p.location.id))
    else:
        places.sort(key=lambda p: (-p.available, p.location.id))
    dates = [p.preorder_date for p in places if p.preorder_date is not None]
    return SkuStock(
        sku,
        sum(p.available for p in places),
        tuple(places),
        sum(p.preorder for p in places),
        min(dates, default=None),
    )


def _add_preorder(
    places: list[LocationStock],
    pre: PreorderStock,
    origin: tuple[float, float] | None,
    radius_km: float | None,
) -> None:
    """Show ``pre`` at its location: on the location's stock, or as a location of its own
    (nothing on hand) when it holds none, within ``radius_km`` of ``origin`` if asked."""
    line = pre.explanation()
    for i, place in enumerate(places):
        if place.location.id == pre.location.id:
            places[i] = replace(
                place,
                preorder=pre.units,
                preorder_date=pre.ship_date,
                preorder_note=line,
            )
            return
    loc = pre.location
    distance = haversine_km(origin[0], origin[1], loc.lat, loc.lon) if origin else None
    if radius_km is not None and distance is not None and distance > radius_km:
        return
    places.append(
        LocationStock(
            location=loc,
            on_hand=0,
            reserved=0,
            available=0,
            distance_km=None if distance is None else round(distance, 1),
            preorder_note=line,
            preorders_only=True,
            preorder=pre.units,
            preorder_date=pre.ship_date,
        )
    )
