"""One copy of each Cypher rule that more than one statement needs (issue #9).

- ``reserve_guard``: lock -> check -> reserve -> capacity, the guard that keeps us from
  overselling (CYPHER.md, "Atomic check-and-reserve in one statement"), used by the
  reserve-and-create statement (graph/orders.py) and the guarded change (graph/lifecycle.py).
- ``channel_atp``: a channel's available-to-promise at one stock position, the Cypher twin of
  ``domain/atp.py: channel_atp`` (a property test holds the two equal).
- ``projection``: a map projection, so that answers are plain maps on both engines.
- ``by_ids``: the DataLoader read of nodes of one label by a list of ids.
- ``upsert``: the batch MERGE of nodes of one label on their id.
- ``WRITE_STOCK``: a batch of absolute on-hand positions, for the network load and the stock
  position write (graph/catalog.py) and the snapshot feed (graph/ingestion.py); a row's
  damaged and quality-control counts, when it gives them, are set beside on-hand (never part
  of it), and kept when it does not.

Labels are interpolated into Cypher text, so they come from ``LABELS`` (a fixed set in code),
never from input: every function that takes one asserts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ordergraph.graph.store import GraphStore, Row

# The last item of a SET list, with ``k`` (the position's Sku) in scope: the SKU's stock version
# moves. Every statement that changes a stock position has it, where the position is locked (a
# spurious move is harmless, a missed one is a bug: tests/unit/test_stock_version.py). The SKU
# is locked by a write before its version is read, so that concurrent statements on one SKU
# never write the same version on an engine that interleaves them (Neo4j, read-committed). The
# channel feed out (services/channel_feed.py) reads it to find the SKUs to recompute.
BUMP_STOCK_VERSION = (
    "k._lock = true SET k.stockVersion = coalesce(k.stockVersion, 0) + 1 REMOVE k._lock"
)

# Absolute on-hand (a snapshot): reserved is ours and is never overwritten by a feed. With
# r, l, k and s in scope after it.
WRITE_STOCK = f"""
UNWIND $rows AS r
MATCH (l:Location {{id: r.location}})
MATCH (k:Sku {{id: r.sku}})
MERGE (l)-[s:STOCKS]->(k)
ON CREATE SET s.reserved = 0, s.safetyStock = 0
SET s.onHand = r.onHand, s.safetyStock = coalesce(r.safetyStock, s.safetyStock),
    s.damaged = coalesce(r.damaged, s.damaged),
    s.qualityControl = coalesce(r.qualityControl, s.qualityControl),
    {BUMP_STOCK_VERSION}
"""

# The end of every statement that writes the static network (a location, region, lane or
# channel; docs/performance.md): after its writes, with ``n`` the count it answers, the one
# ``NetworkVersion`` node's version moves (locked by a write first, as the stock version is).
# Each worker's cache of the network (services/network_cache.py) is tagged with the version it
# was read at, and the availability answers it keeps with it; one read of the version tells a
# worker that any of them is out of date (tests/unit/test_network_version.py enumerates the
# statements). A new node starts at the clock's milliseconds, so that a graph wiped and loaded
# again never repeats a version a worker has seen.
BUMP_NETWORK_VERSION = """WITH count(*) AS n
MERGE (nv:NetworkVersion {id: 'network'})
ON CREATE SET nv.version = timestamp()
SET nv._lock = true SET nv.version = nv.version + 1 REMOVE nv._lock
RETURN n
"""

LABELS = frozenset({"Channel", "IngestionFailure", "Location", "Order", "Region", "Sku"})


def checked_label(label: str) -> str:
    """``label`` if it is one of ``LABELS``; anything else is a programming error."""
    assert label in LABELS, f"label {label!r} is not in graph.fragments.LABELS"
    return label


def projection(var: str, fields: Sequence[str]) -> str:
    """A map projection ``n {.id, .name}`` so that answers are plain maps on both engines."""
    return f"{var} {{{', '.join('.' + f for f in fields)}}}"


async def by_ids(
    store: GraphStore, label: str, fields: Sequence[str], ids: Sequence[str]
) -> list[Row | None]:
    """For a DataLoader: one read of the ``label`` nodes with these ids, projected on
    ``fields``; answers in the order asked (None for an unknown id)."""
    rows = await store.read(
        f"UNWIND $ids AS id MATCH (n:{checked_label(label)} {{id: id}}) "
        f"RETURN {projection('n', fields)} AS n",
        {"ids": list(ids)},
    )
    found = {row["n"]["id"]: row["n"] for row in rows}
    return [found.get(i) for i in ids]


def upsert(label: str, *, network: bool = False) -> str:
    """Batch upsert of ``label`` nodes: MERGE on ``id``, then ``SET n += r`` (rows in ``$rows``);
    ``network``: the nodes are part of the static network, whose version the statement moves."""
    body = f"""
UNWIND $rows AS r
MERGE (n:{checked_label(label)} {{id: r.id}})
SET n += r
"""
    return body + (BUMP_NETWORK_VERSION if network else "RETURN count(n) AS n\n")


# The stock position of each ``r`` in ``$rows`` (``r.location``, ``r.sku``), made when missing
# (empty) and locked by a write before anything reads it (Neo4j runs at read-committed).
LOCK_ROW_POSITIONS = f"""
UNWIND $rows AS r
MATCH (l:Location {{id: r.location}})
MATCH (k:Sku {{id: r.sku}})
MERGE (l)-[s:STOCKS]->(k)
ON CREATE SET s.onHand = 0, s.reserved = 0, s.safetyStock = 0
SET s._lock = true, {BUMP_STOCK_VERSION}
"""


def channel_atp(s: str, loc: str, p: str) -> str:
    """A map ``{free, own, shared, atp}``: the channel ATP (DOMAIN.md) of the stock position
    ``s`` (a STOCKS edge) at location ``loc``, for the channel and rules of the parameter map
    ``p`` (``$atp``: ``channel``, ``today`` (ISO day), ``sharePercent``, ``bufferUnits``,
    ``locations`` and ``kinds`` (null = any), ``excludeTags``), as ``domain.atp.channel_atp``
    computes it. Local values are bound with one-element list comprehensions (portable Cypher
    has no ``let``); integer division is the floor of a non-negative share."""
    n = f"size(coalesce({s}.protectChannels, []))"
    counts = (
        f"(coalesce({s}.protectUntil[i], '') = '' OR {s}.protectUntil[i] >= {p}.today)"
        f" AND {s}.protectRemaining[i] > 0"
    )

    def protected(mine: str) -> str:
        return (
            f"reduce(t = 0, i IN range(0, {n} - 1) | t + CASE WHEN {counts}{mine} "
            f"THEN {s}.protectRemaining[i] ELSE 0 END)"
        )

    left = f"{s}.onHand - {s}.reserved - {s}.safetyStock"
    sourcing = (
        f"({p}.locations IS NULL OR {loc}.id IN {p}.locations)"
        f" AND ({p}.kinds IS NULL OR coalesce({loc}.kind, 'WAREHOUSE') IN {p}.kinds)"
        f" AND size([t IN coalesce({loc}.tags, []) WHERE t IN {p}.excludeTags]) = 0"
    )
    from_shared = f"pb.shared * {p}.sharePercent / 100 - {p}.bufferUnits"
    return f"""[pa IN [{{free: CASE WHEN {left} > 0 THEN {left} ELSE 0 END,
        mine: {protected(f" AND {s}.protectChannels[i] = {p}.channel")},
        all: {protected("")}}}] |
  [pb IN [{{free: pa.free, own: CASE WHEN pa.mine < pa.free THEN pa.mine ELSE pa.free END,
          shared: pa.free - CASE WHEN pa.all < pa.free THEN pa.all ELSE pa.free END}}] |
    {{free: pb.free, own: pb.own, shared: pb.shared,
     atp: CASE WHEN {sourcing}
          THEN pb.own + CASE WHEN {from_shared} > 0 THEN {from_shared} ELSE 0 END
          ELSE 0 END}}][0]][0]"""


def reserve_guard(
    rows: str,
    *,
    order: Literal["new", "existing"],
    deltas: Literal["reserve", "signed"],
    inbound: str | None = None,
) -> str:
    """Lock -> check -> reserve -> capacity, as one fragment that starts a statement.

    Lock order, the same everywhere (docs/decisions.md): the capacity days of ``$capacity``
    (MERGEd, then written), the order (``order="existing"`` only), the stock positions of
    ``$<rows>`` (sorted by location, SKU by the caller); each is locked by writing to it before
    anything is read from it (Neo4j runs at read-committed). Then it decides ``ok``:

    - every stock position named exists (``size(rows) = size($<rows>)``);
    - ``order="new"``: no order has ``$order.id`` or ``$order.channelExternalId`` yet;
      ``order="existing"``: the order ``$orderId`` still has ``$version``;
    - ``deltas="reserve"``: each row's ``quantity`` is available
      (``onHand - reserved - safetyStock >= quantity``) and within the channel's ATP there
      (``channel_atp`` for ``$atp``, whose ``rulesVersion`` must still be the channel's);
      ``deltas="signed"``: each row's positive ``reserved`` delta is available and within the
      ATP of ``$atp``'s channel (the order's: re-routed and backordered units) unless the same
      row puts at least as many units on hand (a received transfer's units, held for its
      pickup at once: docs/transfers.md), and on-hand and
      reserved stay at or above zero after the row's ``onHand`` and ``reserved`` deltas;
    - either way a new reservation takes the channel's own protected units first (it lowers
      their ``protectRemaining``), then shared ones;
    - every capacity day with a limit has room for one more shipment.

    - ``inbound`` (the name of a parameter of ``{inbound, quantity, expectedAt}`` rows, one per
      inbound line, sorted by id): preorders. Each inbound line is locked after the stock
      positions (the order ``inboundReceive`` takes them in), must still have ``quantity``
      units neither received nor preordered and still be expected on ``expectedAt`` (the date
      the preorder is promised from); its ``preordered`` rises by them when ok.

    It applies the stock deltas and takes one shipment off each capacity day only when ``ok``,
    releases every lock either way, and leaves one row (``go``, with ``o`` in scope when
    ``order="existing"``) when ok and none when not: the writes that follow only happen when ok.
    """
    existing = order == "existing"
    signed = deltas == "signed"
    carry = "o, " if existing else ""
    lock_order = (
        "MATCH (o:Order {id: $orderId})\nSET o._lock = true\nWITH o, caps\n" if existing else ""
    )
    read_order = (
        ""
        if existing
        else "OPTIONAL MATCH (x:Order {id: $order.id})\n"
        "OPTIONAL MATCH (y:Order {channelExternalId: $order.channelExternalId})\n"
    )
    order_ok = "o.version = $version" if existing else "x IS NULL AND y IS NULL"
    atp = channel_atp("s", "l", "$atp")
    row = (
        f"{{s: s, r: a.reserved, h: a.onHand, atp: {atp}}}"
        if signed
        else f"{{s: s, r: a.quantity, atp: {atp}}}"
    )
    no_row = "{s: null, r: 0, h: 0, atp: {own: 0}}" if signed else "{s: null, r: 0, atp: {own: 0}}"
    available = "r.s.onHand - r.s.reserved - r.s.safetyStock >= r.r"
    stock_ok = (
        f"all(r IN rows WHERE r.r <= 0 OR r.r <= r.h OR ({available} AND r.r <= r.atp.atp))\n"
        "     AND all(r IN rows WHERE r.s.onHand + r.h >= 0 AND r.s.reserved + r.r >= 0)"
        if signed
        else f"all(r IN rows WHERE {available} AND r.r <= r.atp.atp)"
    )
    pre_lock = ""
    pre_ok = ""
    pre_apply = ""
    if inbound is not None:
        pre_lock = f"""UNWIND CASE WHEN size(${inbound}) = 0 THEN [null] ELSE ${inbound} END AS pq
OPTIONAL MATCH (inb:Inbound {{id: pq.inbound}})
FOREACH (_ IN CASE WHEN inb IS NULL THEN [] ELSE [1] END | SET inb._lock = true)
WITH {carry}caps, rows, collect(CASE WHEN inb IS NULL THEN null
     ELSE {{i: inb, q: pq.quantity, e: pq.expectedAt}} END) AS pre
"""
        pre_ok = (
            f"\n     AND size(pre) = size(${inbound}) AND all(x IN pre WHERE"
            " x.q > 0 AND x.i.quantity - x.i.received - x.i.preordered >= x.q"
            " AND x.i.expectedAt = x.e)"
        )
        pre_apply = f"""FOREACH (x IN pre | FOREACH (inb IN [x.i] |
  SET inb.preordered = inb.preordered + CASE WHEN ok THEN x.q ELSE 0 END REMOVE inb._lock))
WITH {carry}caps, rows, ok
"""
    pre = ", pre" if inbound is not None else ""
    dh = "r.h AS dh, r.atp.own AS own, " if signed else "r.atp.own AS own, "
    unlock_order = "REMOVE o._lock\n" if existing else ""
    on_hand = ",\n      s.onHand = s.onHand + CASE WHEN ok THEN dh ELSE 0 END" if signed else ""
    # the channel's own protected units go first: its protectRemaining falls by what they give
    own_first = """
  FOREACH (__ IN CASE WHEN ok AND dr > 0 AND s.protectChannels IS NOT NULL THEN [1] ELSE [] END |
    SET s.protectRemaining = [i IN range(0, size(s.protectChannels) - 1) |
      s.protectRemaining[i] - CASE WHEN s.protectChannels[i] = $atp.channel
                                   AND (s.protectUntil[i] = '' OR s.protectUntil[i] >= $atp.today)
                              THEN CASE WHEN dr < own THEN dr ELSE own END ELSE 0 END])"""
    channel_match = "" if signed else "OPTIONAL MATCH (chn:Channel {id: $atp.channel})\n"
    channel_ok = "" if signed else " AND coalesce(chn.rulesVersion, 0) = $atp.rulesVersion"
    return f"""
UNWIND $capacity AS c
MERGE (cd:CapacityDay {{id: c.key}})
ON CREATE SET cd.used = 0, cd.day = c.day, cd.location = c.location
SET cd._lock = true
WITH collect({{d: cd, limit: c.limit}}) AS caps
{lock_order}UNWIND CASE WHEN size(${rows}) = 0 THEN [null] ELSE ${rows} END AS a
OPTIONAL MATCH (l:Location {{id: a.location}})-[s:STOCKS]->(k:Sku {{id: a.sku}})
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | SET s._lock = true, {BUMP_STOCK_VERSION})
WITH {carry}caps, collect(CASE WHEN s IS NULL THEN null ELSE {row} END) AS rows
{pre_lock}{read_order}{channel_match}WITH {carry}caps, rows{pre}, {order_ok}{channel_ok}
     AND size(rows) = size(${rows})
     AND {stock_ok}{pre_ok}
     AND all(c IN caps WHERE c.limit IS NULL OR c.d.used < c.limit) AS ok
{pre_apply}UNWIND CASE WHEN size(rows) = 0 THEN [{no_row}] ELSE rows END AS r
WITH {carry}caps, r.s AS s, r.r AS dr, {dh}ok
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END |
  SET s.reserved = s.reserved + CASE WHEN ok THEN dr ELSE 0 END{on_hand}{own_first}
  REMOVE s._lock)
WITH {carry}caps, ok, count(*) AS locked
FOREACH (cd IN [c IN caps | c.d] |
  SET cd.used = cd.used + CASE WHEN ok THEN 1 ELSE 0 END
  REMOVE cd._lock)
{unlock_order}WITH {carry}ok
UNWIND CASE WHEN ok THEN [1] ELSE [] END AS go
"""


# The two uses, named so that a test can show there is one rule (tests/unit/test_fragments.py).
RESERVE_NEW_ORDER = reserve_guard("alloc", order="new", deltas="reserve")
RESERVE_PREORDER = reserve_guard("alloc", order="new", deltas="reserve", inbound="preorders")
RESERVE_CHANGE = reserve_guard("stock", order="existing", deltas="signed")
