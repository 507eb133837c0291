"""One order as a caller may see it: "where is my order?" for assistants and support bots.

The object check is the one GraphQL applies (``Principal.order_access``: channel, fulfillment
locations, personal data). A storefront key speaks for whoever is typing, so it must also prove
the order is the shopper's (the postal code it ships to, ``domain.access.proves_order``) before
anything of it is shown; a wrong proof answers exactly as an unknown order, so a guess learns
nothing of whether the order exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ordergraph.domain.access import Principal, proves_order
from ordergraph.domain.errors import ErrorCode, NotFound, OrderGraphError, ValidationError
from ordergraph.domain.keys import channel_external_id, join_key
from ordergraph.domain.orders import FulfillmentKind
from ordergraph.graph import orders as reads
from ordergraph.graph.records.orders import FulfillmentRecord, LineRecord, OrderRecord
from ordergraph.graph.store import GraphStore


@dataclass(frozen=True)
class OrderView:
    order: OrderRecord
    lines: tuple[LineRecord, ...]
    fulfillments: tuple[FulfillmentRecord, ...]  # those this caller may see
    personal: bool  # the caller sees the ship-to


class ProofNeeded(OrderGraphError):
    pass


def _unknown(order_id: str | None) -> NotFound:
    what = f"order {order_id}" if order_id else "order"
    return NotFound(
        f"no {what} matches what was given (check the order number and the postal code)",
        ("order_id",),
    )


async def order_id_of(
    store: GraphStore,
    who: Principal,
    order_id: str | None,
    channel: str | None,
    external_id: str | None,
) -> str:
    """The order id named by its id, or by its channel and the channel's id for it."""
    if order_id:
        return order_id
    if not channel or not external_id:
        raise ValidationError("give order_id, or channel and external_id", field=("order_id",))
    if who.limited_to_channels(channel):
        raise ValidationError(
            f"this API key may not use channel {channel}", ErrorCode.FORBIDDEN, ("channel",)
        )
    found = await reads.order_ids_by(store, None, channel_external_id(channel, external_id))
    if found is None:
        if who.needs_proof():  # the read a known one is followed by, so that both take as long
            await reads.order_proof(store, join_key(channel, external_id))
        raise _unknown(None)
    return found


async def order_view(
    store: GraphStore, who: Principal, order_id: str, postal_code: str | None
) -> OrderView:
    """The order as ``who`` may see it; ``NotFound`` when it may not (or the proof is wrong)."""
    if who.needs_proof() and not postal_code:
        raise ProofNeeded(
            "to look up an order for a shopper, give the postal code it ships to "
            "(verification.postal_code)",
            ErrorCode.FORBIDDEN,
            ("verification",),
        )
    if who.needs_proof():
        # decided on the order's channel and postal code alone, before reading anything
        # more: a wrong proof costs the one read an unknown order costs, so its answer time
        # tells nothing either
        proof = await reads.order_proof(store, order_id)
        if proof is None or not (
            who.may_read_order(proof[0], ()) and proves_order(postal_code, proof[1])
        ):
            raise _unknown(order_id)
    (rec,) = await reads.orders_by_id(store, [order_id])
    if rec is None:
        raise _unknown(order_id)
    (lines,) = await reads.lines_by_order(store, [order_id])
    (fulfillments,) = await reads.fulfillments_by_order(store, [order_id])
    personal = who.order_access(
        rec.channel, [(f.location_id, f.status.value) for f in fulfillments]
    )
    if personal is None:
        raise _unknown(order_id)
    seen = tuple(
        f
        for f in fulfillments
        if who.sees_fulfillment_at(f.location_id)
        and (f.kind != FulfillmentKind.TRANSFER or who.sees_transfers())  # one pickup
    )
    return OrderView(rec, tuple(lines), seen, personal)


MAX_WRONG_PROOFS = 5  # per order asked about, per window, in one process
MAX_WRONG_PROOFS_PER_KEY = 200  # per API key, over every order it asks about, per window
PROOF_WINDOW_SECONDS = 900.0
MAX_COUNTED = 100_000  # orders and keys counted at once; beyond, new proofs are refused


class ProofAttempts:
    """Wrong proofs per order asked about and per API key, in this process.

    A storefront key's budget is large (one key serves a whole shop), so without this a caller
    who knows an order number could try every postal code in seconds. After
    ``MAX_WRONG_PROOFS`` wrong or unknown answers for one order in ``PROOF_WINDOW_SECONDS``,
    further proofs for it are refused for the rest of the window, whether or not the order
    exists (so the lock reveals nothing). An order is counted by its id under whichever name it
    was asked by (its id, or channel and external id), so the two names do not double the
    tries. A key is also counted over every order it asks about (``MAX_WRONG_PROOFS_PER_KEY``),
    so that one common postal code tried against many order numbers stops too. The counts are
    bounded (``MAX_COUNTED``): a flood of unknown order numbers never resets them; once full
    (after dropping what has expired) new proofs are refused until counts expire (fail closed).
    Counted per process: N processes allow N times as many tries (a count in the graph is a
    follow-up).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._wrong: dict[str, list[float]] = {}

    def _recent(self, asked: str) -> list[float]:
        now = self._clock()
        kept = [t for t in self._wrong.get(asked, []) if now - t < PROOF_WINDOW_SECONDS]
        if kept:
            self._wrong[asked] = kept
        else:
            self._wrong.pop(asked, None)
        return kept

    def _locked(self) -> OrderGraphError:
        return OrderGraphError(
            "too many wrong verifications for this order; try again later or contact support",
            ErrorCode.FORBIDDEN,
            ("verification",),
        )

    def check(self, asked: str, key_id: str = "") -> None:
        if len(self._recent(asked)) >= MAX_WRONG_PROOFS:
            raise self._locked()
        if key_id and len(self._recent(_key_count(key_id))) >= MAX_WRONG_PROOFS_PER_KEY:
            raise self._locked()

    def wrong(self, asked: str, key_id: str = "") -> None:
        names = [asked, _key_count(key_id)] if key_id else [asked]
        if len(self._wrong) + len(names) > MAX_COUNTED:
            for name in list(self._wrong):
                self._recent(name)  # drops what has expired
        if any(name not in self._wrong for name in names) and (
            len(self._wrong) + len(names) > MAX_COUNTED
        ):
            raise self._locked()  # full of recent counts: refuse rather than forget any
        now = self._clock()
        for name in names:
            self._wrong.setdefault(name, []).append(now)


def _key_count(key_id: str) -> str:
    return join_key("key", key_id)


async def proved_view(
    store: GraphStore,
    who: Principal,
    attempts: ProofAttempts,
    order_id: str | None,
    channel: str | None,
    external_id: str | None,
    postal_code: str | None,
) -> OrderView:
    """``order_view`` of the order named by id or by channel and external id, with a storefront
    key's wrong proofs counted (``ProofAttempts``)."""
    counted = who.needs_proof() and bool(postal_code)
    asked = order_id or join_key(channel or "", external_id or "")
    if counted:
        attempts.check(asked, who.key_id)
    try:
        oid = await order_id_of(store, who, order_id, channel, external_id)
        if counted and oid != asked:  # asked by channel and external id: count the order too
            attempts.check(oid, who.key_id)
            asked = oid
        return await order_view(store, who, oid, postal_code)
    except NotFound:
        if counted:
            attempts.wrong(asked, who.key_id)
        raise
