"""Returns: what may be returned, where it goes, what is restocked and what is refunded.

A return asks for units of shipped lines; it cannot ask for more than was shipped less what
earlier returns already asked for. It is received line by line with a disposition: ``RESTOCK``
raises on-hand at the receiving location, ``DAMAGED`` and ``REFURBISH`` do not (the units leave
sellable stock). Every received unit is refunded at its line's unit price: the refund record is
the amount owed, for the payment system to settle. Each received line's refund (price x units)
is rounded half to even to the currency's minor unit (JPY 0 places, USD 2, KWD 3), in Decimal.

The rules decide typed values (``NewReturn``, ``ReturnReceipt``) carried by the ``Change``; how a
return is stored is the graph's business (``graph.records.returns``), not the domain's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum

from ordergraph.domain.errors import InvalidTransition, ValidationError
from ordergraph.domain.lifecycle import Change, OrderState, finish
from ordergraph.domain.money import amount_problem, round_to_minor
from ordergraph.domain.orders import FulfillmentStatus as F

SHIPPED = frozenset({F.SHIPPED, F.DELIVERED})
REFUND_PENDING = "PENDING"  # owed, for the payment system to settle


class Disposition(str, Enum):
    RESTOCK = "RESTOCK"
    DAMAGED = "DAMAGED"
    REFURBISH = "REFURBISH"


class ReturnStatus(str, Enum):
    REQUESTED = "REQUESTED"
    PARTIALLY_RECEIVED = "PARTIALLY_RECEIVED"
    RECEIVED = "RECEIVED"


R = ReturnStatus
RETURN_TRANSITIONS: Mapping[ReturnStatus, frozenset[ReturnStatus]] = {
    # each receipt takes at least one unit; the return is RECEIVED once every unit asked is in
    R.REQUESTED: frozenset({R.PARTIALLY_RECEIVED, R.RECEIVED}),
    R.PARTIALLY_RECEIVED: frozenset({R.PARTIALLY_RECEIVED, R.RECEIVED}),
    R.RECEIVED: frozenset(),
}


def check_return_move(return_id: str, current: ReturnStatus, target: ReturnStatus) -> None:
    """``InvalidTransition`` unless the table lets a return go from ``current`` to ``target``."""
    if target in RETURN_TRANSITIONS[current]:
        return
    if not RETURN_TRANSITIONS[current]:
        raise InvalidTransition(f"return {return_id} was received in full already", ("returnId",))
    allowed = ", ".join(sorted(s.value for s in RETURN_TRANSITIONS[current]))
    raise InvalidTransition(
        f"return {return_id} is {current.value}; it cannot become {target.value} "
        f"(allowed: {allowed})",
        ("returnId",),
    )


@dataclass(frozen=True, slots=True)
class ReceivedUnit:
    """Units of one SKU received, with what became of them."""

    sku: str
    quantity: int
    disposition: Disposition
    at: datetime


@dataclass(frozen=True, slots=True)
class NewReturn:
    """A return ``create`` decided: requested, nothing received, nothing refunded yet."""

    id: str
    order_id: str
    location: str  # where it goes back to
    reason: str | None
    created_at: datetime
    lines: tuple[tuple[str, int], ...]  # (sku, quantity) asked, one per SKU, by SKU

    @property
    def status(self) -> ReturnStatus:
        return ReturnStatus.REQUESTED


@dataclass(frozen=True, slots=True)
class ReturnReceipt:
    """What one receipt (``receive``) makes of return ``id``."""

    id: str
    status: ReturnStatus
    received: tuple[ReceivedUnit, ...]  # every unit received so far, this receipt's last
    received_at: datetime
    refund_amount: Decimal  # the total owed for every unit received so far
    refund_currency: str | None
    refund_status: str  # REFUND_PENDING
    returned: tuple[tuple[str, int], ...]  # (order line id, its units returned so far), by id


@dataclass(frozen=True)
class ReturnState:
    """A return as the rules see it (``graph.records.returns.ReturnRecord.state()`` makes it)."""

    id: str
    order_id: str
    location: str
    status: ReturnStatus
    lines: tuple[tuple[str, int], ...]  # (sku, quantity) requested
    received: tuple[ReceivedUnit, ...]
    refund_amount: Decimal
    refund_currency: str | None

    def received_of(self, sku: str) -> int:
        return sum(u.quantity for u in self.received if u.sku == sku)


def returnable(state: OrderState, sku: str, earlier: Sequence[ReturnState]) -> int:
    shipped = sum(state.units(line.id, SHIPPED) for line in state.lines if line.sku == sku)
    asked = sum(q for r in earlier for s, q in r.lines if s == sku)
    return shipped - asked


def create(
    state: OrderState,
    return_id: str,
    requested: Sequence[tuple[str, int]],
    location: str,
    reason: str | None,
    earlier: Sequence[ReturnState],
    at: datetime,
) -> Change:
    if not requested:
        raise ValidationError("a return needs at least one line", field=("lines",))
    wanted: dict[str, int] = {}
    for i, (sku, quantity) in enumerate(requested):
        if quantity <= 0:
            raise ValidationError("quantity must be positive", field=("lines", str(i), "quantity"))
        wanted[sku] = wanted.get(sku, 0) + quantity
    for i, (sku, quantity) in enumerate(wanted.items()):
        room = returnable(state, sku, earlier)
        if quantity > room:
            raise InvalidTransition(
                f"only {max(room, 0)} unit(s) of {sku} can be returned "
                "(shipped, less earlier returns)",
                ("lines", str(i), "quantity"),
            )
    change = Change(state.id, state.version)
    new = NewReturn(return_id, state.id, location, reason, at, tuple(sorted(wanted.items())))
    change.new_returns.append(new)
    lines = [{"sku": sku, "quantity": n} for sku, n in new.lines]
    change.event(
        state,
        "ReturnCreated",
        {"return": return_id, "location": location, "lines": lines, "reason": reason},
        at,
    )
    return finish(state, change, at)


def unit_price(state: OrderState, sku: str) -> tuple[Decimal | None, str | None]:
    """The unit price and currency of the order's line for ``sku``; ``(None, currency)`` when
    the line has no price, or a stored one that is not an amount (kept by an older version)."""
    for line in state.lines:
        if line.sku == sku and line.unit_price is not None:
            try:
                price = Decimal(str(line.unit_price))
            except InvalidOperation:
                return None, line.currency
            if amount_problem(price) is not None:
                return None, line.currency
            return price, line.currency
    return None, None


def receive(
    state: OrderState,
    ret: ReturnState,
    received: Sequence[tuple[str, int, Disposition]],
    at: datetime,
) -> Change:
    if not RETURN_TRANSITIONS[ret.status]:  # nothing left to receive
        check_return_move(ret.id, ret.status, ReturnStatus.RECEIVED)
    if not received:
        raise ValidationError("receive at least one line", field=("lines",))
    change = Change(state.id, state.version)
    asked = dict(ret.lines)
    now_received: dict[str, int] = {}
    records = list(ret.received)
    amount = Decimal("0")
    unpriced: list[str] = []  # SKUs received without a usable price: nothing refunded for them
    currency = ret.refund_currency
    for i, (sku, quantity, disposition) in enumerate(received):
        if sku not in asked:
            raise ValidationError(
                f"return {ret.id} has no line for {sku}", field=("lines", str(i), "sku")
            )
        if quantity <= 0:
            raise ValidationError("quantity must be positive", field=("lines", str(i), "quantity"))
        now_received[sku] = now_received.get(sku, 0) + quantity
        if ret.received_of(sku) + now_received[sku] > asked[sku]:
            raise InvalidTransition(
                f"return {ret.id} expects {asked[sku] - ret.received_of(sku)} "
                f"more unit(s) of {sku}",
                ("lines", str(i), "quantity"),
            )
        if disposition == Disposition.RESTOCK:
            change.reserve(ret.location, sku, on_hand=quantity)
        price, line_currency = unit_price(state, sku)
        currency = currency or line_currency
        if price is None:
            unpriced.append(sku)
        else:  # each line's refund in the currency's minor unit, half to even
            amount += round_to_minor(price * quantity, currency)
        records.append(ReceivedUnit(sku, quantity, disposition, at))
    done = all(sum(u.quantity for u in records if u.sku == sku) >= n for sku, n in asked.items())
    status = ReturnStatus.RECEIVED if done else ReturnStatus.PARTIALLY_RECEIVED
    check_return_move(ret.id, ret.status, status)
    total = round_to_minor(ret.refund_amount + amount, currency)
    returned: list[tuple[str, int]] = []
    for sku, back in now_received.items():  # a SKU's units count on its first line
        first = next((line for line in state.lines if line.sku == sku), None)
        if first is not None:  # a return asks only for the order's shipped SKUs
            first.returned += back
            returned.append((first.id, first.returned))
    change.returns.append(
        ReturnReceipt(
            ret.id,
            status,
            tuple(records),
            at,
            total,
            currency,
            REFUND_PENDING,
            tuple(sorted(returned)),
        )
    )
    change.event(
        state,
        "ReturnReceived",
        {
            "return": ret.id,
            "location": ret.location,
            "status": status.value,
            "lines": [{"sku": s, "quantity": q, "disposition": d.value} for s, q, d in received],
        },
        at,
    )
    change.event(
        state,
        "RefundCreated",
        {
            "return": ret.id,
            "location": ret.location,  # a partner sees the refunds of returns to it only
            "amount": str(amount),
            "total": str(total),
            "currency": currency,
            "unpriced": sorted(set(unpriced)),
        },
        at,
    )
    return finish(state, change, at)
