"""Loading and changing the static network: whole files, or one record at a time.

Every change is checked by ``connectors.network_file.parse.parse_network`` first, so a rejected
file or input writes nothing. A file is written in UNWIND batches that MERGE on business keys:
loading the same file twice changes nothing, and a load cut short by a crash is finished by running
it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from ordergraph.connectors.network_file.parse import (
    KnownIds,
    Network,
    parse_network,
    policy_references,
)
from ordergraph.domain.errors import ErrorCode, ValidationError
from ordergraph.graph import catalog
from ordergraph.graph import inbound as inbound_lines
from ordergraph.graph import policies as policy_q
from ordergraph.graph.records.catalog import (
    ChannelRecord,
    LaneRecord,
    LocationRecord,
    RegionRecord,
    SkuRecord,
    StockRecord,
    TransferLaneRecord,
)
from ordergraph.graph.records.inbound import InboundRecord
from ordergraph.graph.store import GraphStore
from ordergraph.services import shortfall
from ordergraph.services.lifecycle import allocate_backorders
from ordergraph.services.policies import activate_policy, create_policy
from ordergraph.services.preorders import repromise

Progress = Callable[[str, int, int], None]  # (section, rows done in this step, section total)
R = TypeVar("R")


async def known_ids(store: GraphStore, doc: object) -> KnownIds:
    """The ids a document references that are already in the graph (one read per kind)."""
    if not isinstance(doc, Mapping):
        return KnownIds()

    def refs(section: str, *keys: str) -> set[str]:
        rows = doc.get(section)
        if not isinstance(rows, list):
            return set()
        return {
            r[k] for r in rows if isinstance(r, Mapping) for k in keys if isinstance(r.get(k), str)
        }

    channels = doc.get("channels")
    sourcing = {
        location
        for r in (channels if isinstance(channels, list) else [])
        if isinstance(r, Mapping)
        and isinstance(r.get("sourcing"), Mapping)
        and isinstance(r["sourcing"].get("locations"), list)
        for location in r["sourcing"]["locations"]
        if isinstance(location, str)
    }
    return KnownIds(
        policies=await policy_q.known_ids(
            store, sorted(refs("channels", "routingPolicy") | policy_references(doc))
        ),
        locations=await catalog.existing_ids(
            store,
            "Location",
            refs("stock", "location")
            | refs("lanes", "from")
            | refs("transferLanes", "from", "to")
            | refs("stockProtections", "location")
            | refs("inbound", "location")
            | sourcing,
        ),
        skus=await catalog.existing_ids(
            store,
            "Sku",
            refs("stock", "sku") | refs("stockProtections", "sku") | refs("inbound", "sku"),
        ),
        regions=await catalog.existing_ids(store, "Region", refs("lanes", "to")),
        channels=await catalog.existing_ids(store, "Channel", refs("stockProtections", "channel")),
    )


async def check_network(store: GraphStore, doc: object) -> Network:
    return parse_network(doc, await known_ids(store, doc))


async def load_network(
    store: GraphStore, doc: object, *, progress: Progress | None = None, batch_size: int = 2000
) -> dict[str, int]:
    """Check the whole document, then write it; the number of records written per section."""
    network = await check_network(store, doc)
    written: dict[str, int] = {}
    for section, query in catalog.BATCHES:
        rows = network.rows(section)
        total = len(rows)

        def step(n: int, section: str = section, total: int = total) -> None:
            if progress is not None:
                progress(section, n, total)

        written[section] = await catalog.write_batches(
            store, query, catalog.prepared(section, rows), batch_size=batch_size, progress=step
        )
    if network.inbound:

        def lines(n: int, total: int = len(network.inbound)) -> None:
            if progress is not None:
                progress("inbound", n, total)

        moved: list[InboundRecord] = []
        written["inbound"] = await inbound_lines.load(
            store,
            network.inbound,
            datetime.now(UTC),
            batch_size=batch_size,
            progress=lines,
            moved=moved,
        )
        for line in moved:  # a reload that moves a date re-promises the line's preorders
            await repromise(store, line)
    if network.stock:  # a reload may count less than is reserved: re-route what it no longer backs
        await shortfall.cover_unbacked(store)
    written["routingPolicies"] = await load_policies(store, network.routing_policies)
    return written


async def load_policies(store: GraphStore, rows: tuple[dict[str, Any], ...]) -> int:
    """Store each checked policy document as a new DRAFT version (the same document as its
    latest version creates nothing: a reload changes nothing), in file order, and activate
    those marked ``state: ACTIVE``; the number of versions created."""
    created = 0
    for row in rows:
        record, new = await create_policy(store, row["document"], by="network-file")
        created += int(new)
        if row["activate"] and record.state == "DRAFT":
            await activate_policy(store, record.id, record.version, by="network-file")
    return created


async def _upsert_one(
    store: GraphStore,
    section: str,
    label: str,
    fields: dict[str, Any],
    write: Callable[[GraphStore, dict[str, Any]], Awaitable[R]],
) -> R:
    """Merge the given fields over the stored ones, check the result, write it."""
    merged = await catalog.over_stored(store, label, fields)
    network = parse_network({section: [_drop_nulls(merged, fields)]})
    return await write(store, getattr(network, section)[0])


def _drop_nulls(merged: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """An explicit null clears an optional field (its default applies); absent keys keep theirs."""
    return {k: v for k, v in merged.items() if v is not None or k not in given}


async def upsert_location(store: GraphStore, fields: dict[str, Any]) -> LocationRecord:
    return await _upsert_one(store, "locations", "Location", fields, catalog.upsert_location)


async def upsert_sku(store: GraphStore, fields: dict[str, Any]) -> SkuRecord:
    return await _upsert_one(store, "skus", "Sku", fields, catalog.upsert_sku)


async def upsert_region(store: GraphStore, fields: dict[str, Any]) -> RegionRecord:
    """A whole region (its id included): regions are replaced, not merged."""
    network = parse_network({"regions": [fields]})
    return await catalog.upsert_region(store, network.regions[0])


async def upsert_lane(store: GraphStore, fields: dict[str, Any]) -> LaneRecord:
    network = await check_network(store, {"lanes": [fields]})
    return await catalog.upsert_lane(store, network.lanes[0])


async def upsert_transfer_lane(store: GraphStore, fields: dict[str, Any]) -> TransferLaneRecord:
    """A transfer lane from a location to a pickup store (docs/transfers.md)."""
    network = await check_network(store, {"transferLanes": [fields]})
    return await catalog.upsert_transfer_lane(store, network.transfer_lanes[0])


async def upsert_channel(store: GraphStore, row: dict[str, Any]) -> ChannelRecord:
    """Create a channel, or change the given fields of one (a network file's ``channels[]``
    row; a ``sourcing`` given replaces the stored one whole): its ``rulesVersion`` rises when
    the rules differ from the stored ones."""
    stored = await catalog.channel(store, str(row.get("id")))
    merged = dict(row) if stored is None else stored.document_with(row)
    network = await check_network(store, {"channels": [merged]})
    return await catalog.upsert_channel(store, network.channels[0])


async def set_protection(
    store: GraphStore,
    location: str,
    sku: str,
    channel: str,
    quantity: int,
    until: str | None,
    today: date | None = None,
) -> StockRecord:
    """Hold ``quantity`` units of a position for ``channel`` until the day ``until`` (inclusive;
    None = no end): no other channel can sell them, ``channel`` sells them first. The quantity
    replaces what was left of an earlier protection; 0 ends it. Units it no longer holds go to
    waiting backorders first. An ``until`` already past is refused (it would protect nothing
    while the answer said it was set); a day of slack allows for every time zone."""
    if quantity > MAX_ON_HAND:
        raise ValidationError(f"quantity must be at most {MAX_ON_HAND}", field=("quantity",))
    earliest = (today or datetime.now(UTC).date()) - timedelta(days=1)
    if quantity > 0 and until is not None and until < earliest.isoformat():
        raise ValidationError(
            f"until {until} has passed: the protection would hold nothing (give a later day, "
            "none for no end, or quantity 0 to end it)",
            field=("until",),
        )
    row: dict[str, Any] = {"location": location, "sku": sku, "channel": channel}
    row |= {"quantity": quantity} | ({} if until is None else {"until": until})
    network = await check_network(store, {"stockProtections": [row]})
    stock = await catalog.set_protection(store, network.stock_protections[0])
    if stock is None:  # deleted between the check and the write
        raise ValidationError(f"unknown location {location!r} or SKU {sku!r}", ErrorCode.NOT_FOUND)
    return await serve_backorders(store, stock)


MAX_ON_HAND = 1_000_000_000


@dataclass(frozen=True)
class StockChange:
    """A stock position after a count or a movement, and what it did to the reservations it no
    longer backs (see ``services.shortfall``)."""

    stock: StockRecord
    rerouted: int = 0  # reserved units another location took
    backordered: int = 0  # reserved units that now wait for stock
    affected_orders: list[str] = field(default_factory=list)


async def set_inventory(
    store: GraphStore, location: str, sku: str, on_hand: int, safety_stock: int | None
) -> StockChange:
    """Absolute on-hand from an ERP count, accepted as the physical truth.

    Reservations are ours, not the ERP's, and are kept while on-hand backs them; those it no
    longer backs are re-routed or backordered (``services.shortfall``), and the answer says how
    many.
    """
    row = {"location": location, "sku": sku, "onHand": on_hand}
    if safety_stock is not None:
        row["safetyStock"] = safety_stock
    if not 0 <= on_hand <= MAX_ON_HAND:
        raise ValidationError(f"onHand must be between 0 and {MAX_ON_HAND}", field=("onHand",))
    await check_network(store, {"stock": [row]})
    stock = await catalog.set_stock(store, location, sku, on_hand, safety_stock)
    if stock is None:  # deleted between the check and the write
        raise ValidationError(f"unknown location {location!r} or SKU {sku!r}", ErrorCode.NOT_FOUND)
    return await _settle(store, stock)


async def _settle(store: GraphStore, stock: StockRecord) -> StockChange:
    """After a count: re-route what it no longer backs, or serve backorders from what it adds."""
    covered = await shortfall.cover(store, stock.location, stock.sku)
    if covered.orders:
        stock = await catalog.stock_level(store, stock.location, stock.sku) or stock
    else:
        stock = await serve_backorders(store, stock)
    return StockChange(stock, covered.rerouted, covered.backordered, list(covered.orders))


async def adjust_inventory(store: GraphStore, location: str, sku: str, delta: int) -> StockChange:
    """A WMS movement. A delta that would take on-hand below zero is refused, nothing changes;
    one that leaves on-hand below the reservations is accepted, and those it no longer backs are
    re-routed or backordered, as for ``set_inventory``."""
    if delta == 0 or abs(delta) > MAX_ON_HAND:
        raise ValidationError(
            f"delta must be non-zero and at most {MAX_ON_HAND} in size", field=("delta",)
        )
    await check_network(store, {"stock": [{"location": location, "sku": sku, "onHand": 0}]})
    result = await catalog.adjust_stock(store, location, sku, delta)
    if result is None:
        raise ValidationError(f"unknown location {location!r} or SKU {sku!r}", ErrorCode.NOT_FOUND)
    added, stock = result
    if not added:
        raise ValidationError(
            f"on-hand of {sku} at {location} is {stock.on_hand}; "
            f"a delta of {delta} would take it below zero",
            ErrorCode.INSUFFICIENT_STOCK,
            ("delta",),
        )
    return await _settle(store, stock)


async def serve_backorders(store: GraphStore, stock: StockRecord) -> StockRecord:
    """Stock that can be sold goes to waiting backorders first; the position as it then is."""
    if stock.available <= 0:
        return stock
    if not await allocate_backorders(store, [stock.sku]):
        return stock
    return await catalog.stock_level(store, stock.location, stock.sku) or stock
