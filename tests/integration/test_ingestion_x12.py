"""X12 ingestion of an interchange holding several 850s, on the real engine: every PO becomes
its order, the catalog and the partner records are read once for the whole interchange (not
once per PO), and a later PO for the same order builds on the partner record an earlier one kept.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

import pytest

from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.records.asn import PartnerRecord
from ordergraph.graph.store import GraphStore, Params, Row
from ordergraph.services import ingestion, network
from ordergraph.services.ingestion import Payload

ISA = (
    "ISA*00*          *00*          *08*9251234567     *ZZ*ORDERGRAPHWMS  *240501*0805*U*00401"
    "*000000077*0*P*>~"
)
GS = "GS*PO*HOMEGOODS*ORDERGRAPH*20240501*0805*77*X*004010VICS~"
SHIP_TO = ["N1*ST*Ana Lima~", "N3*500 Howard St~", "N4*San Francisco*CA*94107~"]


def po(number: str, *lines: str, purpose: str = "00") -> list[str]:
    """The body segments (BEG .. CTT) of an 850 shipped to San Francisco."""
    return [f"BEG*{purpose}*SA*{number}**20240501~", *SHIP_TO, *lines, f"CTT*{len(lines)}~"]


def interchange(*bodies: list[str]) -> bytes:
    """One interchange, one group, an ST/SE set per body, the counts filled in."""
    sets = [
        f"ST*850*{n:04d}~" + "".join(body) + f"SE*{len(body) + 2}*{n:04d}~"
        for n, body in enumerate(bodies, start=1)
    ]
    return (ISA + GS + "".join(sets) + f"GE*{len(sets)}*77~IEA*1*000000077~").encode()


class CountingStore:
    """The real store, with a count of the reads each query text ran (a thin wrapper)."""

    def __init__(self, store: FalkorStore) -> None:
        self.store = store
        self.reads: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def read(self, query: str, params: Params | None = None) -> list[Row]:
        self.reads[query] += 1
        return await self.store.read(query, params)

    def count(self, fragment: str) -> int:
        return sum(n for query, n in self.reads.items() if fragment in query)


@pytest.fixture
async def partner(loaded: FalkorStore) -> FalkorStore:
    await network.load_network(loaded, {"channels": [{"id": "x12:9251234567"}]})
    return loaded


async def ingest(store: GraphStore, body: bytes) -> ingestion.Outcome:
    return await ingestion.ingest(store, Payload("x12", body, content_type="application/edi-x12"))


async def orders(store: FalkorStore) -> dict[str, list[tuple[str, int]]]:
    rows = await store.read(
        "MATCH (o:Order)-[:HAS_LINE]->(l:OrderLine) "
        "RETURN o.externalId AS po, l.sku AS sku, l.quantity - coalesce(l.cancelled, 0) AS n "
        "ORDER BY po, sku"
    )
    out: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        out.setdefault(row["po"], []).append((row["sku"], row["n"]))
    return out


async def partner_record(store: FalkorStore, po_number: str) -> PartnerRecord | None:
    [row] = await store.read(
        "MATCH (o:Order {externalId: $po}) RETURN o.id AS id, o.x12 AS x12", {"po": po_number}
    )
    return PartnerRecord.from_row(row)


THREE_POS = interchange(
    po("PO-A100", "PO1*1*2*EA*15**SK*SKU-1~", "PO1*2*1*EA*42.10**SK*SKU-2~"),
    po("PO-B200", "PO1*1*3*EA*3.75**SK*SKU-1~"),
    po("PO-C300", "PO1*1*1*EA*9**SK*SKU-2~", "PO1*2*1*EA*9**SK*SKU-NOPE~"),
)


async def test_every_po_of_an_interchange_becomes_its_order_with_one_catalog_read(
    partner: FalkorStore,
) -> None:
    counting = CountingStore(partner)
    outcome = await ingest(cast(GraphStore, counting), THREE_POS)
    assert outcome.status == "placed" and len(outcome.order_ids) == 3
    assert await orders(partner) == {
        "PO-A100": [("SKU-1", 2), ("SKU-2", 1)],
        "PO-B200": [("SKU-1", 3)],
        "PO-C300": [("SKU-2", 1)],  # the unknown SKU's line alone is refused
    }
    assert outcome.reply is not None and outcome.reply.count("ST*855*") == 3
    assert "ACK*IR*1*EA" in outcome.reply  # PO-C300 line 2
    assert counting.count("MATCH (n:Sku") == 1  # the known SKUs of all three POs
    assert counting.count("o.x12 AS x12") == 1  # the partner records of all three orders
    a100 = await partner_record(partner, "PO-A100")
    assert a100 is not None and a100.lines == {"SKU-1": "1", "SKU-2": "2"}


async def test_a_resent_interchange_reads_the_partner_records_of_its_orders_once(
    partner: FalkorStore,
) -> None:
    await ingest(partner, THREE_POS)
    counting = CountingStore(partner)
    again = await ingest(cast(GraphStore, counting), THREE_POS)
    assert again.status == "duplicate" and len(again.order_ids) == 3
    assert counting.count("MATCH (n:Sku") == 1 and counting.count("o.x12 AS x12") == 1
    assert again.reply is not None and again.reply.count("ST*855*") == 3


async def test_a_later_po_for_the_same_order_starts_from_the_record_an_earlier_one_kept(
    partner: FalkorStore,
) -> None:
    # the replacement sends line 2 by UPC only: its SKU is the one the original gave PO101 2
    body = interchange(
        po("PO-A100", "PO1*1*2*EA*15**SK*SKU-1~", "PO1*2*1*EA*42.10**SK*SKU-2~"),
        po(
            "PO-A100",
            "PO1*1*1*EA*15**SK*SKU-1~",
            "PO1*2*1*EA*42.10**UP*012345678905~",
            purpose="05",
        ),
    )
    outcome = await ingest(partner, body)
    assert len(set(outcome.order_ids)) == 1
    record = await partner_record(partner, "PO-A100")
    assert record is not None and record.lines == {"SKU-1": "1", "SKU-2": "2"}
