"""Returns: what may be returned, where it goes, what is restocked and what is refunded.

A return asks for units of shipped lines; it cannot ask for more than was shipped less what
earlier returns already asked for. It is received line by line with a disposition: ``RESTOCK``
raises on-hand at the receiving location, ``DAMAGED`` and ``REFURBISH`` do not (the units leave
sellable stock). Every received unit is refunded at its line's unit price: the refund record is
the amount owed, for the payment system to settle.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from ordergraph.domain.errors import InvalidTransition, ValidationError
from ordergraph.domain.lifecycle import Change, OrderState, finish
from ordergraph.domain.orders import FulfillmentStatus as F

SHIPPED = frozenset({F.SHIPPED, F.DELIVERED})


class Disposition(str, Enum):
    RESTOCK = "RESTOCK"
    DAMAGED = "DAMAGED"
    REFURBISH = "REFURBISH"


class ReturnStatus(str, Enum):
    REQUESTED = "REQUESTED"
    PARTIALLY_RECEIVED = "PARTIALLY_RECEIVED"
    RECEIVED = "RECEIVED"


@dataclass(frozen=True)
class ReturnState:
    id: str
    order_id: str
    location: str
    status: ReturnStatus
    lines: tuple[tuple[str, int], ...]  # (sku, quantity) requested
    received: tuple[dict[str, Any], ...]  # {sku, quantity, disposition}
    refund_amount: Decimal
    refund_currency: str | None

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> ReturnState:
        return cls(
            id=rec["id"],
            order_id=rec["orderId"],
            location=rec["locationId"],
            status=ReturnStatus(rec["status"]),
            lines=tuple((li["sku"], int(li["quantity"])) for li in json.loads(rec["lines"])),
            received=tuple(json.loads(rec.get("received") or "[]")),
            refund_amount=Decimal(rec.get("refundAmount") or "0"),
            refund_currency=rec.get("refundCurrency"),
        )

    def received_of(self, sku: str) -> int:
        return sum(int(r["quantity"]) for r in self.received if r["sku"] == sku)


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
                f"only {max(room, 0)} unit(s) of {sku} can be returned (shipped, less earlier returns)",
                ("lines", str(i), "quantity"),
            )
    change = Change(state.id, state.version)
    lines = [{"sku": sku, "quantity": n} for sku, n in sorted(wanted.items())]
    change.new_returns.append(
        {
            "location": location,
            "props": {
                "id": return_id,
                "orderId": state.id,
                "locationId": location,
                "status": ReturnStatus.REQUESTED.value,
                "reason": reason,
                "createdAt": at.isoformat(),
                "lines": json.dumps(lines),
                "received": "[]",
                "refundAmount": "0",
            },
        }
    )
    change.event(
        state,
        "ReturnCreated",
        {"return": return_id, "location": location, "lines": lines, "reason": reason},
        at,
    )
    return finish(state, change, at)


def unit_price(state: OrderState, sku: str) -> tuple[Decimal, str | None]:
    for line in state.lines:
        if line.sku == sku and line.unit_price is not None:
            return Decimal(line.unit_price), line.currency
    return Decimal("0"), None


def receive(
    state: OrderState,
    ret: ReturnState,
    received: Sequence[tuple[str, int, Disposition]],
    at: datetime,
) -> Change:
    if ret.status == ReturnStatus.RECEIVED:
        raise InvalidTransition(f"return {ret.id} was received in full already", ("returnId",))
    if not received:
        raise ValidationError("receive at least one line", field=("lines",))
    change = Change(state.id, state.version)
    asked = dict(ret.lines)
    now_received: dict[str, int] = {}
    records = list(ret.received)
    amount = Decimal("0")
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
                f"return {ret.id} expects {asked[sku] - ret.received_of(sku)} more unit(s) of {sku}",
                ("lines", str(i), "quantity"),
            )
        if disposition == Disposition.RESTOCK:
            change.reserve(ret.location, sku, on_hand=quantity)
        price, line_currency = unit_price(state, sku)
        amount += price * quantity
        currency = currency or line_currency
        records.append(
            {
                "sku": sku,
                "quantity": quantity,
                "disposition": disposition.value,
                "at": at.isoformat(),
            }
        )
    done = all(
        sum(int(r["quantity"]) for r in records if r["sku"] == sku) >= n for sku, n in asked.items()
    )
    status = ReturnStatus.RECEIVED if done else ReturnStatus.PARTIALLY_RECEIVED
    total = ret.refund_amount + amount
    change.returns.append(
        {
            "id": ret.id,
            "props": {
                "status": status.value,
                "received": json.dumps(records),
                "receivedAt": at.isoformat(),
                "refundAmount": str(total),
                "refundCurrency": currency,
                "refundStatus": "PENDING",
            },
        }
    )
    for line in state.lines:
        back = sum(q for s, q in now_received.items() if s == line.sku)
        if back:
            line.returned += back
            change.set_line(line, returned=line.returned)
            break
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
        {"return": ret.id, "amount": str(amount), "total": str(total), "currency": currency},
        at,
    )
    return finish(state, change, at)
