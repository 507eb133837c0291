"""Loading and changing the static network: whole files, or one record at a time.

Every change is checked by ``domain.network.parse_network`` first, so a rejected file or input
writes nothing. A file is written in UNWIND batches that MERGE on business keys: loading the
same file twice changes nothing, and a load cut short by a crash is finished by running it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from ordergraph.domain.errors import ErrorCode, NetworkFileError, Problem, ValidationError
from ordergraph.domain.geo import region_id
from ordergraph.domain.network import KnownIds, Network, parse_network
from ordergraph.domain.stock import available
from ordergraph.graph import catalog
from ordergraph.graph.store import GraphStore, Row
from ordergraph.services.lifecycle import allocate_backorders

Progress = Callable[[str, int, int], None]  # (section, rows done in this step, section total)


def read_network_file(path: str) -> object:
    try:
        with open(path, "rb") as fh:
            return orjson.loads(fh.read())
    except OSError as exc:
        raise NetworkFileError(f"cannot read {path}: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise NetworkFileError(
            f"{path} is not valid JSON", problems=[Problem("$", str(exc))]
        ) from None


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

    return KnownIds(
        locations=await catalog.existing_ids(
            store, "Location", refs("stock", "location") | refs("lanes", "from")
        ),
        skus=await catalog.existing_ids(store, "Sku", refs("stock", "sku")),
        regions=await catalog.existing_ids(store, "Region", refs("lanes", "to")),
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
        rows = getattr(network, section)
        total = len(rows)

        def step(n: int, section: str = section, total: int = total) -> None:
            if progress is not None:
                progress(section, n, total)

        written[section] = await catalog.write_batches(
            store, query, rows, batch_size=batch_size, progress=step
        )
    return written


async def _upsert_one(store: GraphStore, section: str, label: str, fields: dict[str, Any]) -> Row:
    """Merge the given fields over the existing record, check the result, write it."""
    existing_rows = await store.read(
        f"MATCH (n:{label} {{id: $id}}) RETURN n {{.*}} AS n", {"id": fields.get("id")}
    )
    merged = {**(existing_rows[0]["n"] if existing_rows else {}), **fields}
    network = parse_network({section: [_drop_nulls(merged, fields)]})
    record = getattr(network, section)[0]
    query = dict(catalog.BATCHES)[section]
    await store.write(query, {"rows": [record]})
    return record


def _drop_nulls(merged: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """An explicit null clears an optional field (its default applies); absent keys keep theirs."""
    return {k: v for k, v in merged.items() if v is not None or k not in given}


async def upsert_location(store: GraphStore, fields: dict[str, Any]) -> Row:
    return await _upsert_one(store, "locations", "Location", fields)


async def upsert_sku(store: GraphStore, fields: dict[str, Any]) -> Row:
    return await _upsert_one(store, "skus", "Sku", fields)


async def upsert_region(store: GraphStore, fields: dict[str, Any]) -> Row:
    fields = {k: v for k, v in fields.items() if not (k == "id" and v is None)}
    if (
        "id" not in fields
        and isinstance(fields.get("country"), str)
        and isinstance(fields.get("postalPrefix"), str)
    ):
        fields["id"] = region_id(fields["country"], fields["postalPrefix"])
    network = parse_network({"regions": [fields]})
    record = network.regions[0]
    await store.write(catalog.UPSERT_REGIONS, {"rows": [record]})
    return record


async def upsert_lane(store: GraphStore, fields: dict[str, Any]) -> Row:
    network = await check_network(store, {"lanes": [fields]})
    record = network.lanes[0]
    await store.write(catalog.UPSERT_LANES, {"rows": [record]})
    return record


MAX_ON_HAND = 1_000_000_000


async def set_inventory(
    store: GraphStore, location: str, sku: str, on_hand: int, safety_stock: int | None
) -> Row:
    """Absolute on-hand from an ERP count. Reservations are kept: they are ours, not the ERP's."""
    row = {"location": location, "sku": sku, "onHand": on_hand}
    if safety_stock is not None:
        row["safetyStock"] = safety_stock
    if not 0 <= on_hand <= MAX_ON_HAND:
        raise ValidationError(f"onHand must be between 0 and {MAX_ON_HAND}", field=("onHand",))
    await check_network(store, {"stock": [row]})
    result = await catalog.set_stock(store, location, sku, on_hand, safety_stock)
    if result is None:  # deleted between the check and the write
        raise ValidationError(f"unknown location {location!r} or SKU {sku!r}", ErrorCode.NOT_FOUND)
    return await serve_backorders(store, result)


async def adjust_inventory(store: GraphStore, location: str, sku: str, delta: int) -> Row:
    """A WMS movement. A delta that would take on-hand below zero is refused, nothing changes."""
    if delta == 0 or abs(delta) > MAX_ON_HAND:
        raise ValidationError(
            f"delta must be non-zero and at most {MAX_ON_HAND} in size", field=("delta",)
        )
    await check_network(store, {"stock": [{"location": location, "sku": sku, "onHand": 0}]})
    result = await catalog.adjust_stock(store, location, sku, delta)
    if result is None:
        raise ValidationError(f"unknown location {location!r} or SKU {sku!r}", ErrorCode.NOT_FOUND)
    if not result["ok"]:
        raise ValidationError(
            f"on-hand of {sku} at {location} is {result['onHand']}; "
            f"a delta of {delta} would take it below zero",
            ErrorCode.INSUFFICIENT_STOCK,
            ("delta",),
        )
    return await serve_backorders(store, result) if delta > 0 else result


async def serve_backorders(store: GraphStore, row: Row) -> Row:
    """Stock that can be sold goes to waiting backorders first; the position as it then is."""
    if available(int(row["onHand"]), int(row["reserved"]), int(row["safetyStock"])) <= 0:
        return row
    if not await allocate_backorders(store, [row["sku"]]):
        return row
    return await catalog.stock_level(store, row["location"], row["sku"]) or row


def stock_summary(row: Row) -> dict[str, int]:
    return {
        "onHand": int(row["onHand"]),
        "reserved": int(row["reserved"]),
        "available": available(int(row["onHand"]), int(row["reserved"]), int(row["safetyStock"])),
    }
