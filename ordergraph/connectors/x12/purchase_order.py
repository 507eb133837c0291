"""Reading X12 850 purchase orders into ``PurchaseOrder850`` values.

What is read, and from where:

- BEG: purpose (BEG01), order type (BEG02), PO number (BEG03), release (BEG04), date (BEG05);
- CUR02 currency (USD when absent); every REF (REF01, REF02); every header DTM, DTM*002 being
  the requested delivery date;
- TD5: carrier (TD503), routing text (TD505), service level code (TD512), and from those a
  ``ServiceLevel`` (see ``service_level``);
- N1 loops (N1/N2/N3/N4/PER) before the first PO1; ST is the ship-to, BT the bill-to. N4 without
  a country is in the US;
- PO1 loops: line number (PO101, or the line's position when absent), quantity (PO102), unit
  (PO103, EA when absent), unit price (PO104, optional), the PO106/PO107 ... PO124/PO125
  qualifier/id pairs in any order, PID05 descriptions, a DTM*002 for the line and the pack of
  PO4 (PO401 eaches or inner packs per outer pack, times PO414 eaches per inner pack);
- a line whose quantity is missing, not a number or negative, or whose price is negative, is
  kept with a ``problem`` (the PO's other lines stand on their own: the 855 rejects that line
  only). A quantity of 0 is read as 0: it cancels the line in a replacement (BEG01 05);
- CTT01 must equal the number of PO1 segments. CTT02 (a hash total partners truncate in
  different ways) is not checked.

Segments not listed, and N1 loops inside PO1 loops, are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ordergraph.connectors.x12.envelope import (
    Envelope,
    FunctionalGroup,
    Interchange,
    TransactionSet,
    read_interchange,
    split_interchanges,
)
from ordergraph.connectors.x12.syntax import (
    DIGITS,
    Segment,
    X12Error,
    date_value,
    decimal_value,
    number_value,
    shown,
)

# Which PO1 product id becomes the line's SKU, best first: our (seller's) ids before the
# buyer's, then the UPC/EAN barcodes.
SKU_QUALIFIERS = ("SK", "VP", "VN", "BP", "IN", "UP", "EN", "UK")
# Bounds on the work one payload asks for: a transaction set over them fails alone, an
# interchange over them is refused before any PO in it is read.
MAX_TRANSACTION_SETS = 1000  # ST/SE sets in one interchange
MAX_PO_LINES = 1000  # PO1 segments in one 850 (an order holds at most 100 lines)
# N404 is a 2-letter code, but some partners send the 3-letter one of North America.
_COUNTRIES = {"USA": "US", "CAN": "CA", "MEX": "MX"}


class ServiceLevel(StrEnum):
    STANDARD = "STANDARD"
    EXPRESS = "EXPRESS"
    NEXT_DAY = "NEXT_DAY"


# X12 element 284 (Service Level Code), 004010 code list. Codes not listed (Saturday "SD",
# "A.M." "AM", ...) say nothing about speed, so the TD505 text decides.
_SERVICE_CODES: dict[str, ServiceLevel] = {
    **dict.fromkeys(
        ("ND", "NF", "NH", "NM", "ON", "PA", "PC", "PN", "PR", "SA", "D1", "9A"),
        ServiceLevel.NEXT_DAY,
    ),
    **dict.fromkeys(
        ("SC", "SE", "SH", "SM", "PS", "D2", "3D", "D3", "CX", "ES", "GP", "IE", "IX", "PB", "CE"),
        ServiceLevel.EXPRESS,
    ),
    **dict.fromkeys(("G2", "SG", "SI", "CG", "ST", "DF"), ServiceLevel.STANDARD),
}
_NEXT_DAY_TEXT = re.compile(
    r"\b(NEXT[\s-]*DAY|OVERNIGHT|NXT|NDA|SAME[\s-]*DAY|1[\s-]*DAY|ONE[\s-]*DAY)\b"
)
_EXPRESS_TEXT = re.compile(
    r"\b(2ND[\s-]*DAY|2[\s-]*DAY|SECOND[\s-]*DAY|3[\s-]*DAY|THREE[\s-]*DAY|EXPRESS|EXPEDITED"
    r"|PRIORITY|2D|3D)\b"
)


@dataclass(frozen=True)
class Party:
    """An N1 loop: N1 name and id, N2, N3 address lines, N4 place, PER contact."""

    entity: str  # N101: ST ship-to, BT bill-to, BY buyer, ...
    name: str
    id_qualifier: str | None = None  # N103
    id: str | None = None  # N104
    name_2: str | None = None  # N201
    address_lines: tuple[str, ...] = ()  # N301, N302 of each N3
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str = "US"
    contact: str | None = None  # PER02
    phone: str | None = None  # PER qualifier TE
    email: str | None = None  # PER qualifier EM


@dataclass(frozen=True)
class PoLine:
    line_number: str  # PO101
    quantity: Decimal  # PO102
    unit: str  # PO103
    unit_price: Decimal | None  # PO104
    sku: str | None  # the first of product_ids by SKU_QUALIFIERS
    sku_qualifier: str | None
    product_ids: tuple[tuple[str, str], ...]  # (qualifier, id) as sent
    description: str | None = None  # PID05s, joined by a space
    requested_delivery: date | None = None  # DTM*002 in the PO1 loop
    position: int = 0  # segment number of the PO1
    pack: int | None = None  # PO4: eaches in one PO103 unit (PO401, times PO414 when sent)
    problem: str | None = None  # why the line cannot be ordered as sent (bad quantity, ...)


@dataclass(frozen=True)
class PurchaseOrder850:
    envelope: Envelope  # as received: sender is the buyer
    interchange_control: str  # ISA13
    group_control: str  # GS06
    transaction_control: str  # ST02
    purpose: str  # BEG01: 00 original, 05 replace, ...
    order_type: str  # BEG02: SA stand-alone, DS drop ship, ...
    po_number: str  # BEG03
    po_date: date  # BEG05
    lines: tuple[PoLine, ...]
    release_number: str | None = None  # BEG04
    currency: str = "USD"  # CUR02
    references: tuple[tuple[str, str], ...] = ()  # (REF01, REF02)
    dates: tuple[tuple[str, date], ...] = ()  # (DTM01, DTM02) of the heading
    requested_delivery: date | None = None  # DTM*002
    carrier: str | None = None  # TD503, usually a SCAC
    routing: str | None = None  # TD505
    service_level_code: str | None = None  # TD512
    service_level: ServiceLevel = ServiceLevel.STANDARD
    ship_to: Party | None = None
    bill_to: Party | None = None
    parties: tuple[Party, ...] = ()  # every heading N1 loop, in order
    line_count: int | None = None  # CTT01
    position: int = 0  # segment number of the ST

    def reference(self, qualifier: str) -> str | None:
        return next((value for q, value in self.references if q == qualifier), None)


def parse_850(text: str) -> list[PurchaseOrder850]:
    """Every purchase order in one interchange, after checking its envelopes."""
    orders = read_850s(text)
    for po in orders:
        if isinstance(po, X12Error):
            raise po
    return [po for po in orders if isinstance(po, PurchaseOrder850)]


def read_850s(text: str) -> list[PurchaseOrder850 | X12Error]:
    """Every transaction set of one interchange as a purchase order, or why it is not one.

    A broken envelope (ISA/GS/ST counts and control numbers) raises: nothing in it can be
    trusted. A transaction set that breaks the 850 rules (no BEG, CTT01 count, ...) is an
    ``X12Error`` in its place, so the other POs of the interchange still count.
    """
    interchanges = [
        read_interchange(part) for part in split_interchanges(text, MAX_TRANSACTION_SETS)
    ]
    count = sum(len(g.transaction_sets) for i in interchanges for g in i.groups)
    if count > MAX_TRANSACTION_SETS:
        raise X12Error(
            f"the interchange holds {count} transaction sets; send at most"
            f" {MAX_TRANSACTION_SETS} in one",
            segment=1,
            tag="ISA",
        )
    out: list[PurchaseOrder850 | X12Error] = []
    for interchange in interchanges:
        for group in interchange.groups:
            for ts in group.transaction_sets:
                try:
                    out.append(_purchase_order(interchange, group, ts))
                except X12Error as exc:
                    out.append(exc)
    return out


def service_level(code: str | None, routing: str | None) -> ServiceLevel:
    """A TD512 code we know decides; otherwise words in the TD505 text; otherwise STANDARD."""
    if code and code.upper() in _SERVICE_CODES:
        return _SERVICE_CODES[code.upper()]
    text = (routing or "").upper()
    if _NEXT_DAY_TEXT.search(text):
        return ServiceLevel.NEXT_DAY
    if _EXPRESS_TEXT.search(text):
        return ServiceLevel.EXPRESS
    return ServiceLevel.STANDARD


@dataclass
class _LineDraft:
    segment: Segment
    descriptions: list[str] = field(default_factory=list)
    requested_delivery: date | None = None
    pack: int | None = None
    problem: str | None = None


@dataclass
class _Heading:
    currency: str = "USD"
    carrier: str | None = None
    routing: str | None = None
    service_level_code: str | None = None
    references: list[tuple[str, str]] = field(default_factory=list)
    dates: list[tuple[str, date]] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)

    def add(self, segment: Segment) -> None:
        tag = segment.tag
        if tag == "CUR" and segment.element(2):
            self.currency = segment.element(2)
        elif tag == "REF":
            self.references.append((segment.element(1), segment.element(2)))
        elif tag == "DTM":
            when = date_value(segment, 2)
            if when is not None:
                self.dates.append((segment.element(1), when))
        elif tag == "TD5":
            self.carrier = self.carrier or segment.element(3).strip() or None
            self.routing = self.routing or segment.element(5).strip() or None
            self.service_level_code = self.service_level_code or segment.element(12).strip() or None
        elif tag == "N1":
            self.parties.append(
                Party(
                    entity=segment.element(1),
                    name=segment.element(2),
                    id_qualifier=segment.element(3) or None,
                    id=segment.element(4) or None,
                )
            )
        elif self.parties and tag in ("N2", "N3", "N4", "PER"):
            self.parties[-1] = _add_to_party(self.parties[-1], segment)


def _purchase_order(
    interchange: Interchange, group: FunctionalGroup, ts: TransactionSet
) -> PurchaseOrder850:
    st = ts.header
    if ts.code != "850":
        raise st.error(f"transaction set {ts.code} is not an 850 purchase order")
    po1_count = sum(1 for segment in ts.body if segment.tag == "PO1")
    if po1_count > MAX_PO_LINES:
        raise st.error(f"{po1_count} PO1 lines; a purchase order holds at most {MAX_PO_LINES}")
    beg: Segment | None = None
    ctt: Segment | None = None
    heading = _Heading()
    lines: list[_LineDraft] = []
    for segment in ts.body:
        if segment.tag == "BEG":
            beg = segment
        elif segment.tag == "PO1":
            lines.append(_LineDraft(segment))
        elif segment.tag == "CTT":
            ctt = segment
        elif not lines:
            heading.add(segment)
        elif segment.tag == "PID" and segment.element(5):
            lines[-1].descriptions.append(segment.element(5))
        elif segment.tag == "DTM" and segment.element(1) == "002":
            lines[-1].requested_delivery = date_value(segment, 2)
        elif segment.tag == "PO4" and lines[-1].pack is None:
            lines[-1].pack, problem = _pack(segment)
            lines[-1].problem = lines[-1].problem or problem
    if beg is None:
        raise st.error(f"transaction set {ts.control_number} has no BEG segment")
    po_date = date_value(beg, 5)
    po_number = beg.element(3).strip()  # padding: the order's external id has none
    if not po_number or po_date is None:
        raise beg.error("BEG03 (PO number) and BEG05 (PO date) are required")
    if not lines and beg.element(1) != "01":  # a replacement without lines would cancel all
        raise st.error(
            f"transaction set {ts.control_number} has no PO1 line: an 850 has at least one PO1"
            " (only a cancellation, BEG01 01, may have none)"
        )
    delimiters = interchange.delimiters
    separators = delimiters.component + (delimiters.repetition or "") + "\r\n"
    _check_echoed(beg, (3, 4), separators)
    for draft in lines:
        _check_echoed(draft.segment, (1, 3, *range(6, 26)), separators)
    po_lines = _lines(lines)
    parties = tuple(heading.parties)
    return PurchaseOrder850(
        envelope=interchange.envelope(group),
        interchange_control=interchange.control_number,
        group_control=group.control_number,
        transaction_control=ts.control_number,
        purpose=beg.element(1),
        order_type=beg.element(2),
        po_number=po_number,
        po_date=po_date,
        lines=po_lines,
        release_number=beg.element(4).rstrip() or None,
        currency=heading.currency,
        references=tuple(heading.references),
        dates=tuple(heading.dates),
        requested_delivery=next((d for q, d in heading.dates if q == "002"), None),
        carrier=heading.carrier,
        routing=heading.routing,
        service_level_code=heading.service_level_code,
        service_level=service_level(heading.service_level_code, heading.routing),
        ship_to=next((p for p in parties if p.entity == "ST"), None),
        bill_to=next((p for p in parties if p.entity == "BT"), None),
        parties=parties,
        line_count=None if ctt is None else _check_ctt(ctt, len(po_lines)),
        position=st.position,
    )


def _check_echoed(segment: Segment, elements: tuple[int, ...], separators: str) -> None:
    """The 855 writes these simple elements back as sent: none may hold a separator of the
    interchange (a component or repetition separator would make it another element there) or a
    line break."""
    for n in elements:
        bad = next((c for c in segment.element(n) if c in separators), None)
        if bad is not None:
            raise segment.error(
                f"{segment.designator(n)} {shown(segment.element(n))} holds {bad!r}, a separator"
                " (ISA11/ISA16) or line break; it is a simple element"
            )


def _add_to_party(party: Party, segment: Segment) -> Party:
    if segment.tag == "N2":
        return replace(party, name_2=" ".join(e for e in segment.elements[:2] if e))
    if segment.tag == "N3":
        added = tuple(e for e in segment.elements[:2] if e)
        return replace(party, address_lines=party.address_lines + added)
    if segment.tag == "N4":
        return replace(
            party,
            city=segment.element(1) or None,
            state=segment.element(2) or None,
            postal_code=segment.element(3) or None,
            country=_COUNTRIES.get(segment.element(4).upper(), segment.element(4).upper()) or "US",
        )
    # PER: PER02 a name, then (qualifier, number) pairs from PER03
    numbers = {segment.element(n): segment.element(n + 1) for n in (7, 5, 3)}
    return replace(
        party,
        contact=segment.element(2) or party.contact,
        phone=numbers.get("TE") or party.phone,
        email=numbers.get("EM") or party.email,
    )


def _lines(drafts: list[_LineDraft]) -> tuple[PoLine, ...]:
    lines: list[PoLine] = []
    seen: dict[str, int] = {}
    for index, draft in enumerate(drafts, start=1):
        po1 = draft.segment
        number = po1.element(1) or str(index)
        if number in seen:
            raise po1.error(f"PO101 {shown(number)} repeats the line of segment {seen[number]}")
        seen[number] = po1.position
        quantity, problem = _quantity(po1)
        price: Decimal | None = None
        try:
            price = decimal_value(po1, 4)
        except X12Error as exc:
            problem = problem or exc.message
        if price is not None and price < 0:
            problem = problem or f"PO104 (unit price) {shown(po1.element(4))} is negative"
            price = None
        ids = tuple(
            (po1.element(n), po1.element(n + 1))
            for n in range(6, 25, 2)
            if po1.element(n) and po1.element(n + 1)
        )
        chosen = next(
            ((q, value) for wanted in SKU_QUALIFIERS for q, value in ids if q == wanted), None
        )
        lines.append(
            PoLine(
                line_number=number,
                quantity=quantity,
                unit=po1.element(3) or "EA",
                unit_price=price,
                sku=chosen[1] if chosen else None,
                sku_qualifier=chosen[0] if chosen else None,
                product_ids=ids,
                description=" ".join(draft.descriptions) or None,
                requested_delivery=draft.requested_delivery,
                position=po1.position,
                pack=draft.pack,
                problem=problem or draft.problem,
            )
        )
    return tuple(lines)


def _quantity(po1: Segment) -> tuple[Decimal, str | None]:
    """PO102, or 0 and why it cannot be read (missing, not a number, negative)."""
    raw = po1.element(2).strip()
    if not raw:
        return Decimal(0), "PO102 (quantity) is missing"
    try:
        quantity = decimal_value(po1, 2)
    except X12Error as exc:
        return Decimal(0), exc.message
    if quantity is None or quantity < 0:
        return Decimal(0), f"PO102 (quantity) {shown(raw)} is negative"
    return quantity, None


def _pack(po4: Segment) -> tuple[int | None, str | None]:
    """Eaches per outer pack: PO401, times PO414 (eaches per inner pack) when it is sent."""
    outer, inner = po4.element(1).strip(), po4.element(14).strip()
    if not outer:
        return None, None
    if not DIGITS.fullmatch(outer) or int(outer) == 0:
        return None, f"PO401 (pack) {shown(outer)} is not a positive whole number"
    if inner and (not DIGITS.fullmatch(inner) or int(inner) == 0):
        return None, f"PO414 (inner pack) {shown(inner)} is not a positive whole number"
    return int(outer) * (int(inner) if inner else 1), None


def _check_ctt(ctt: Segment, po1_count: int) -> int:
    said = number_value(ctt, 1)
    if said != po1_count:
        raise ctt.error(
            f"CTT01 says {said} line items, the transaction set has {po1_count} PO1 segments"
        )
    return said
