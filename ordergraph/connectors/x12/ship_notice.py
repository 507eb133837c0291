"""Writing X12 856 ship notices (ASN) for one shipment of one purchase order.

GS01 is ``SH``. The HL hierarchy is shipment (S) -> order (O) -> item (I), BSN05 ``0004``; when
the lines name cartons it is shipment -> order -> pack (P) -> item, BSN05 ``0001``:

    BSN*00*<shipment id>*<date>*<time>*<structure>
    HL*1**S*1  TD5**2*<SCAC>  REF*CN*<tracking number>  DTM*011*<ship date>
    HL*2*1*O*1  PRF*<PO number>
    [HL*n*2*P*1  MAN*GM*<carton SSCC>]
    HL*m*<parent>*I*0  LIN*<line>*<qualifier>*<item>  SN1*<line>*<quantity>*<unit>
    CTT*<number of HL segments>
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from ordergraph.connectors.x12.envelope import ControlNumbers, Envelope, write_interchange
from ordergraph.connectors.x12.syntax import format_date, format_decimal
from ordergraph.domain.errors import ValidationError

SHIPMENT_ORDER_PACK_ITEM = "0001"
SHIPMENT_ORDER_ITEM = "0004"


@dataclass(frozen=True)
class AsnLine:
    line_number: str  # the PO101 it ships
    sku: str
    quantity: Decimal | int
    unit: str = "EA"
    sku_qualifier: str = "SK"  # LIN02
    carton: str | None = None  # SSCC-18 of the carton it is packed in (MAN*GM)


@dataclass(frozen=True)
class Asn:
    po_number: str
    shipment_id: str  # BSN02
    ship_date: date
    carrier: str  # SCAC (TD503)
    tracking_number: str  # REF*CN
    lines: tuple[AsnLine, ...]

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValidationError("a ship notice needs at least one line", field=("lines",))
        for index, line in enumerate(self.lines):
            if line.quantity <= 0:
                raise ValidationError(
                    f"line {line.line_number}: quantity {line.quantity} is not positive",
                    field=("lines", str(index), "quantity"),
                )
        packed = [line.carton is not None for line in self.lines]
        if any(packed) and not all(packed):
            raise ValidationError(
                "either every line names its carton or none does", field=("lines",)
            )


def build_856(asn: Asn, *, envelope: Envelope, controls: ControlNumbers, when: datetime) -> str:
    """The ship notice for ``asn``; ``envelope`` is ours (``po.envelope.reply()``)."""
    packed = asn.lines[0].carton is not None
    structure = SHIPMENT_ORDER_PACK_ITEM if packed else SHIPMENT_ORDER_ITEM
    body: list[Sequence[str]] = [
        ("BSN", "00", asn.shipment_id, format_date(when.date()), when.strftime("%H%M"), structure),
        ("HL", "1", "", "S", "1"),
        ("TD5", "", "2", asn.carrier),
        ("REF", "CN", asn.tracking_number),
        ("DTM", "011", format_date(asn.ship_date)),
        ("HL", "2", "1", "O", "1"),
        ("PRF", asn.po_number),
    ]
    by_carton: dict[str | None, list[AsnLine]] = {}
    for line in asn.lines:
        by_carton.setdefault(line.carton, []).append(line)
    count = 2
    for carton, lines in by_carton.items():
        parent = 2
        if carton is not None:
            count += 1
            parent = count
            body.append(("HL", str(count), "2", "P", "1"))
            body.append(("MAN", "GM", carton))
        for line in lines:
            count += 1
            body.append(("HL", str(count), str(parent), "I", "0"))
            body.append(("LIN", line.line_number, line.sku_qualifier, line.sku))
            body.append(("SN1", line.line_number, format_decimal(line.quantity), line.unit))
    body.append(("CTT", str(count)))
    return write_interchange(
        envelope,
        functional_id="SH",
        transaction_set="856",
        body=body,
        controls=controls,
        when=when,
    )
