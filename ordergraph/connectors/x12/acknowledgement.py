"""Writing X12 855 purchase order acknowledgements.

The 855 answers one ``PurchaseOrder850`` in the same release, delimiters and usage (test or
production) as the 850, with sender and receiver swapped and GS01 ``PR``:

    ST*855  BAK*00*<type>*<PO number>*<PO date>****<seller order>*<ack date>
            then per PO line: PO1 (echoing the 850 line) and ACK*<status>*<quantity>*<unit>
            CTT*<number of PO1>  SE

BAK02 follows from the line statuses: ``AD`` (acknowledge with detail, no change) when every
line is ``IA`` at its ordered quantity, ``RD`` (reject with detail) when every line is ``IR`` or
``ID`` and one at least is ``IR``, ``AC`` (acknowledge with detail and change) otherwise (a
cancellation whose lines are all ``ID`` is acknowledged, ``AC``; a cancellation is never ``AD``:
lines it leaves held, shipped say, are not what it asked for).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from ordergraph.connectors.x12.envelope import ControlNumbers, write_interchange
from ordergraph.connectors.x12.purchase_order import PoLine, PurchaseOrder850
from ordergraph.connectors.x12.syntax import X12Error, format_date, format_decimal
from ordergraph.domain.errors import ValidationError

# ACK01 (element 668) codes we write.
LINE_STATUSES = frozenset(
    {"IA", "IB", "IC", "ID", "IE", "IF", "IH", "IP", "IQ", "IR", "IS", "BP", "DR"}
)
ACCEPTED, REJECTED, BACKORDERED = "IA", "IR", "IB"
_REJECTIONS = frozenset({"IR", "ID"})
CANCELLATION = "01"  # BEG01

# (ACK01 status, ACK02 quantity[, ACK03 unit]); the unit is the PO line's when not given
LineAck = tuple[str, Decimal | int] | tuple[str, Decimal | int, str]


def build_855(
    po: PurchaseOrder850,
    acks: Mapping[str, LineAck],
    *,
    our_id: str,
    controls: ControlNumbers,
    when: datetime,
    order_reference: str | None = None,
) -> str:
    """The acknowledgement of ``po``: one ``(status, quantity)`` per PO101 line number.

    ``our_id`` must be the interchange id the 850 was addressed to (ISA08); ``order_reference``
    is our order number, written to BAK08.
    """
    if po.envelope.receiver.id != our_id:
        raise X12Error(
            f"PO {po.po_number} was addressed to {po.envelope.receiver.id!r}, not to {our_id!r}"
        )
    _check_acks(po, acks)
    ack_type = _ack_type(po.lines, acks)
    if ack_type == "AD" and po.purpose == CANCELLATION:  # lines still held: not as asked
        ack_type = "AC"
    bak = ["BAK", "00", ack_type, po.po_number, format_date(po.po_date)]
    bak += [po.release_number or "", "", "", order_reference or "", format_date(when.date())]
    body: list[Sequence[str]] = [bak]
    for line in po.lines:
        status, quantity, *unit = acks[line.line_number]
        body.append(_po1(line))
        body.append(("ACK", status, format_decimal(quantity), unit[0] if unit else line.unit))
    body.append(("CTT", str(len(po.lines))))
    return write_interchange(
        po.envelope.reply(),
        functional_id="PR",
        transaction_set="855",
        body=body,
        controls=controls,
        when=when,
    )


def _check_acks(po: PurchaseOrder850, acks: Mapping[str, LineAck]) -> None:
    numbers = {line.line_number for line in po.lines}
    for line_number, (status, quantity, *_) in acks.items():
        if line_number not in numbers:
            raise ValidationError(
                f"PO {po.po_number} has no line {line_number!r}", field=("acks", line_number)
            )
        if status not in LINE_STATUSES:
            raise ValidationError(
                f"{status!r} is not a line status we send ({', '.join(sorted(LINE_STATUSES))})",
                field=("acks", line_number),
            )
        if quantity < 0:
            raise ValidationError(
                f"line {line_number}: quantity {quantity} is negative", field=("acks", line_number)
            )
    missing = [line.line_number for line in po.lines if line.line_number not in acks]
    if missing:
        raise ValidationError(
            f"PO {po.po_number}: no acknowledgement for line(s) {', '.join(missing)}",
            field=("acks", missing[0]),
        )


def _ack_type(lines: Sequence[PoLine], acks: Mapping[str, LineAck]) -> str:
    statuses = [acks[line.line_number][:2] for line in lines]
    if all(status in _REJECTIONS for status, _ in statuses) and any(
        status == REJECTED for status, _ in statuses
    ):
        return "RD"
    unchanged = all(
        status == ACCEPTED and quantity == line.quantity
        for line, (status, quantity) in zip(lines, statuses, strict=True)
    )
    return "AD" if unchanged else "AC"


def _po1(line: PoLine) -> list[str]:
    price = "" if line.unit_price is None else format_decimal(line.unit_price)
    po1 = ["PO1", line.line_number, format_decimal(line.quantity), line.unit, price, ""]
    for qualifier, value in line.product_ids:
        po1 += [qualifier, value]
    return po1
