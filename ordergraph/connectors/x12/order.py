"""From an X12 850 to the OMS and back: what each PO line asks for, and what the 855 answers.

Pure: the service (``services/ingestion``) reads the catalog and the order, this module decides.

An 850 line is ordered in **eaches**: ``EA``, ``UN``, ``PC`` and ``EACH`` count single units;
``DZ`` is 12 and ``PR`` 2; any other unit (``CA``, ``BX``, ``PK``, ...) needs its pack size in
the line's PO4 (PO401, times PO414 when the outer pack holds inner packs). The unit price is
divided by the same factor. A line whose unit has no known pack size, whose quantity is not a
whole number of eaches (or is missing, negative, 0 outside a replacement or a cancellation, or
over ``MAX_QUANTITY`` eaches), or whose product ids name no SKU of ours is **rejected alone**
(``IR``); the other lines are placed.

BEG01, the purpose of the 850 (X12 element 353):

- ``00`` original and ``07`` duplicate: placed if new; a resend (same PO number) never changes
  the order (idempotent), it is answered with what the order holds;
- ``05`` replace: the whole PO as it now stands. A new PO is placed; for an existing order a
  line of quantity 0 cancels the line, a lower quantity cancels the difference and a SKU no
  longer on the PO is cancelled (more units are not added);
- ``01`` cancellation: the order is cancelled (what has not shipped), whatever its lines say;
- any other purpose (``04`` change, ``06`` confirmation, ...) rejects the PO.

The 855 tells what the OMS holds for each line (ACK02 in the line's unit, or in ``EA`` when the
held eaches are not whole packs), with ACK01 (element 668): ``IA`` accepted as ordered, ``IQ``
accepted with another quantity, ``IB`` all of it backordered, ``BP`` part of it backordered,
``ID`` deleted (cancelled: quantity 0), ``IR`` rejected (ACK02: the quantity refused, as sent).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time
from decimal import Decimal

from ordergraph.connectors.canonical import (
    CANCELLED,
    OPEN,
    Address,
    CanonicalLine,
    CanonicalOrder,
    customer,
)
from ordergraph.connectors.x12.acknowledgement import LineAck
from ordergraph.connectors.x12.purchase_order import SKU_QUALIFIERS, PoLine, PurchaseOrder850
from ordergraph.connectors.x12.syntax import shown
from ordergraph.domain.errors import ErrorCode, ValidationError
from ordergraph.domain.orders import MAX_QUANTITY

X12 = "x12"
EACH_UNITS = frozenset({"EA", "PC", "UN", "EACH"})  # units of measure that count single units
STANDARD_PACKS: Mapping[str, int] = {"DZ": 12, "PR": 2}  # units whose size is the same everywhere

ORIGINAL, CANCELLATION, REPLACE, DUPLICATE = "00", "01", "05", "07"
PURPOSES: Mapping[str, str] = {
    ORIGINAL: "original",
    CANCELLATION: "cancellation",
    REPLACE: "replace",
    DUPLICATE: "duplicate",
}

ACCEPTED, QUANTITY_CHANGED, BACKORDERED, PARTLY_BACKORDERED = "IA", "IQ", "IB", "BP"
DELETED, REJECTED = "ID", "IR"


@dataclass(frozen=True)
class LineVerdict:
    """What one PO line asks of the OMS: ``eaches`` of ``candidates`` (SKU ids, best first),
    or why it cannot be ordered (``error``)."""

    line: PoLine
    eaches: int = 0
    unit_price: Decimal | None = None  # of one each
    candidates: tuple[str, ...] = ()
    error: ValidationError | None = None


@dataclass
class X12Lines:
    """Per PO101: the SKU each line was resolved to, and the lines the OMS refused (why)."""

    skus: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)


def channel_id(po: PurchaseOrder850) -> str:
    return f"{X12}:{po.envelope.sender.id}"


def with_skus(
    po: PurchaseOrder850, lines: X12Lines, previous: Mapping[str, str] | None = None
) -> PurchaseOrder850:
    """The PO with each line's SKU the one it was resolved to (for the 856 later); a line not
    resolved this time keeps the SKU an earlier 850 of the order gave it (``previous``)."""
    earlier = previous or {}
    return replace(
        po,
        lines=tuple(
            replace(
                line,
                sku=lines.skus.get(line.line_number) or earlier.get(line.line_number) or line.sku,
            )
            for line in po.lines
        ),
    )


def carried_over(
    po: PurchaseOrder850, lines: X12Lines, previous: Mapping[str, str], order_skus: Iterable[str]
) -> dict[str, str]:
    """PO101 -> the SKU an earlier 850 of the order gave that line (``previous``), for the lines
    not resolved this time that name none of the order's SKUs (sent, say, by UPC only)."""
    held = set(order_skus)
    return {
        line.line_number: previous[line.line_number]
        for line in po.lines
        if line.line_number not in lines.skus
        and line.line_number in previous
        and not held.intersection(sku_candidates(line))
    }


def eaches_per_unit(line: PoLine) -> int | None:
    """Eaches in one PO103 unit: 1 for eaches, DZ 12, PR 2, else the PO4 pack (None: unknown)."""
    unit = line.unit.upper()
    if unit in EACH_UNITS:
        return 1
    if line.pack is not None:
        return line.pack
    return STANDARD_PACKS.get(unit)


def verdicts(po: PurchaseOrder850) -> list[LineVerdict]:
    """Every line of the PO read in eaches, or rejected with a reason; checks no catalog."""
    out = []
    for i, line in enumerate(po.lines):
        found = _problem(po, line)
        if found is not None:
            message, code, name = found
            error = ValidationError(
                f"PO {po.po_number} line {line.line_number}: {message}",
                code,
                ("lines", str(i), name),
            )
            out.append(LineVerdict(line, error=error))
            continue
        per_unit = eaches_per_unit(line) or 1
        price = None if line.unit_price is None else line.unit_price / per_unit
        out.append(LineVerdict(line, int(line.quantity * per_unit), price, sku_candidates(line)))
    return out


def _problem(po: PurchaseOrder850, line: PoLine) -> tuple[str, ErrorCode, str] | None:
    if line.problem is not None:
        return line.problem, ErrorCode.INVALID_INPUT, "quantity"
    per_unit = eaches_per_unit(line)
    if per_unit is None:
        return (
            f"unit {shown(line.unit)} has no pack size (send it in PO401, or order in "
            f"{', '.join(sorted(EACH_UNITS))})",
            ErrorCode.INVALID_INPUT,
            "unit",
        )
    eaches = line.quantity * per_unit
    if eaches != eaches.to_integral_value():
        return (
            f"{line.quantity} {line.unit} is not a whole number of units",
            ErrorCode.INVALID_INPUT,
            "quantity",
        )
    if eaches == 0 and po.purpose not in (REPLACE, CANCELLATION):
        return (
            "quantity 0 (only a replacement, BEG01 05, cancels a line)",
            ErrorCode.INVALID_INPUT,
            "quantity",
        )
    if eaches > MAX_QUANTITY:
        return (
            f"{line.quantity} {line.unit} is {eaches} units; a line holds at most {MAX_QUANTITY}",
            ErrorCode.INVALID_INPUT,
            "quantity",
        )
    if not sku_candidates(line):
        return "no product id (PO106/PO107 ...) to find its SKU by", ErrorCode.UNKNOWN_SKU, "sku"
    return None


def sku_candidates(line: PoLine) -> tuple[str, ...]:
    """The line's product ids that may be our SKU: by SKU_QUALIFIERS, then the rest as sent."""
    ranked = [v for q in SKU_QUALIFIERS for (qq, v) in line.product_ids if qq == q]
    ranked += [v for q, v in line.product_ids if q not in SKU_QUALIFIERS]
    return tuple(dict.fromkeys(v.strip() for v in ranked if v.strip()))


def resolve(
    lines: Iterable[LineVerdict], known: frozenset[str], po: PurchaseOrder850
) -> list[LineVerdict]:
    """Pick each line's SKU: its first candidate the catalog knows; none known rejects it."""
    out = []
    for i, verdict in enumerate(lines):
        if verdict.error is not None:
            out.append(verdict)
            continue
        sku = next((c for c in verdict.candidates if c in known), None)
        if sku is None:
            ids = ", ".join(f"{q} {v}" for q, v in verdict.line.product_ids)
            error = ValidationError(
                f"PO {po.po_number} line {verdict.line.line_number}: unknown SKU ({ids})",
                ErrorCode.UNKNOWN_SKU,
                ("lines", str(i), "sku"),
            )
            out.append(LineVerdict(verdict.line, error=error))
        else:
            out.append(LineVerdict(verdict.line, verdict.eaches, verdict.unit_price, (sku,)))
    return out


def to_canonical(po: PurchaseOrder850, lines: Iterable[LineVerdict]) -> CanonicalOrder:
    """The order the accepted lines make, on channel ``x12:<sender id>``.

    Raises ``ValidationError`` for a purpose we do not handle.
    """
    if po.purpose not in PURPOSES:
        raise ValidationError(
            f"PO {po.po_number}: BEG01 {shown(po.purpose)} is not a purpose we handle "
            f"({', '.join(f'{c} {n}' for c, n in PURPOSES.items())})",
            field=("purpose",),
        )
    canonical = []
    for verdict in lines:
        if verdict.error is not None:
            continue
        line = verdict.line
        canonical.append(
            CanonicalLine(
                external_line_id=line.line_number,
                sku=verdict.candidates[0],
                title=line.description or verdict.candidates[0],
                quantity=verdict.eaches,
                ordered_quantity=verdict.eaches,
                unit_price=verdict.unit_price if verdict.unit_price is not None else Decimal(0),
                discount=Decimal(0),
                tax=Decimal(0),
            )
        )
    party = po.ship_to
    ship_to = (
        None
        if party is None
        else Address(
            country=party.country,
            name=party.name,
            line1=party.address_lines[0] if party.address_lines else None,
            line2=" ".join(party.address_lines[1:]) or None,
            city=party.city,
            region=party.state,
            postal_code=party.postal_code,
        )
    )
    return CanonicalOrder(
        channel=channel_id(po),
        external_id=po.po_number,
        number=po.po_number,
        created_at=datetime.combine(po.po_date, time(0), UTC),
        currency=po.currency,
        customer=customer(
            name=party.contact if party else None,
            email=party.email if party else None,
            phone=party.phone if party else None,
        ),
        ship_to=ship_to,
        lines=tuple(canonical),
        service_level=po.service_level.value,
        status=CANCELLED if po.purpose == CANCELLATION else OPEN,
        raw_status=po.purpose,
    )


@dataclass(frozen=True)
class HeldLine:
    """What the OMS holds of one SKU of the order: open (not cancelled) and backordered units."""

    sku: str
    held: int
    backordered: int


def acknowledgements(
    po: PurchaseOrder850,
    lines: X12Lines,
    held: Sequence[HeldLine] | None,
) -> dict[str, LineAck]:
    """ACK01, ACK02, ACK03 per PO line, from what the OMS holds (``held``; None: no order).

    The units of a SKU are given to its PO lines in line order, each up to what it asked.
    """
    left: dict[str, int] = {}
    backordered: dict[str, int] = {}
    ever = {h.sku for h in held or ()}
    for h in held or ():
        left[h.sku] = left.get(h.sku, 0) + h.held
        backordered[h.sku] = backordered.get(h.sku, 0) + h.backordered
    last = {
        lines.skus[line.line_number]: line.line_number
        for line in po.lines
        if line.line_number in lines.skus and line.line_number not in lines.rejected
    }
    acks: dict[str, LineAck] = {}
    for line in po.lines:
        number = line.line_number
        sku = lines.skus.get(number)
        if held is None or sku is None or number in lines.rejected:
            if po.purpose == CANCELLATION and not any(h.held for h in held or ()):
                acks[number] = (DELETED, 0, line.unit)  # nothing of the order is left
            else:  # ACK02 of a refused line: the quantity refused, as sent
                acks[number] = (REJECTED, line.quantity, line.unit)
            continue
        per_unit = eaches_per_unit(line) or 1
        asked = int(line.quantity * per_unit)
        mine = left.get(sku, 0) if last[sku] == number else min(asked, left.get(sku, 0))
        left[sku] = left.get(sku, 0) - mine
        late = min(mine, backordered.get(sku, 0))
        backordered[sku] = backordered.get(sku, 0) - late
        if mine == 0:
            # asked for none (a replacement's cancelled line), or held once and cancelled since;
            # a SKU the order never had was not accepted
            if not (asked == 0 or sku in ever):
                acks[number] = (REJECTED, line.quantity, line.unit)
                continue
            status = DELETED
        elif mine != asked:
            status = QUANTITY_CHANGED
        elif late == mine:
            status = BACKORDERED
        elif late:
            status = PARTLY_BACKORDERED
        else:
            status = ACCEPTED
        if mine % per_unit == 0:
            acks[number] = (status, mine // per_unit, line.unit)
        else:
            acks[number] = (status, mine, "EA")
    return acks
