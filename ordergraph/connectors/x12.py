"""ANSI X12 EDI for purchase orders: read 850s, write 855 acknowledgements and 856 ship notices.

Pure and stdlib-only: text in, frozen values out, and back. No I/O, no clock (callers pass
``when``). Releases 004010 and 005010, any delimiters the ISA segment declares.

The pieces, one concept per module; import them from here:

- ``x12_syntax``: ``tokenize``/``render``, ``Delimiters`` read from ISA, ``Segment``,
  ``X12Error`` (a ``ValidationError`` whose message starts "segment N (TAG): ...");
- ``x12_envelope``: ``read_interchange`` checks ISA/IEA, GS/GE and ST/SE counts and control
  numbers; ``interchange_control`` lists them; ``write_interchange`` wraps a transaction set;
- ``x12_850``: ``parse_850`` -> ``PurchaseOrder850`` (``Party``, ``PoLine``, ``ServiceLevel``);
- ``x12_855``: ``build_855``; ``x12_856``: ``Asn``, ``AsnLine``, ``build_856``.

A round trip: ``po = parse_850(text)[0]``, then ``build_855(po, acks, our_id=...,
controls=ControlNumbers(...), when=...)`` answers in ``po.envelope.reply()``, and
``interchange_control`` of the result gives back the ``ControlNumbers`` passed in.

References (public descriptions of the X12 standard that the element positions and code lists
here were checked against):

- ISA fixed-width layout, delimiters in ISA: https://www.ibm.com/docs/en/ste/11.0.0?topic=subtree-isa-segment
- ISA11 repetition separator (from 00402): https://stedi.com/edi/x12-005010/element/I65
- PO1 baseline item data, PO106-PO125 id pairs: https://edi.stedi.com/x12-006020/segment/PO1
  and https://internal.dcsnewyork.com/tech/edi/x12/850/0102PO1.htm
- TD5 elements (TD503 id, TD505 routing, TD512 service level): https://ws2.segment.co.il/Public/EDI-Segment/x12-4040/860/240TD5.htm
- element 284 service level codes, 004010: http://ecomgx17.ecomtoday.com/edi/EDI_4010/el284.htm
- BAK segment (BAK04 PO date, BAK08 seller's order, BAK09 ack date): https://edi.stedi.com/x12-005030/segment/BAK
- element 587 acknowledgment type (AC, AD, RD): https://stedi.com/edi/x12-003070/element/587
- ACK01 line item status codes (IA, IB, IR, ...): http://teamadr.com/index.phtml?section=product&page=edi_specs.phtml&doc=855-0010.htm
- 856 HL segment (HL01-HL04, S/O/P/I): http://teamadr.com/index.phtml?section=product&page=edi_specs.phtml&doc=856-0003.htm
- element 1005 hierarchical structure codes 0001/0004: https://stedi.com/edi/x12-004010/element/1005
- BSN segment: https://edi.thebitsilo.com/856/0201BSN.htm ; PRF: http://teamadr.com/index.phtml?section=product&page=edi_specs.phtml&doc=856-0013.htm
- SN1 item detail: https://www.stedi.com/edi/x12/segment/SN1
- 856 CTT01 counts HL segments: https://businessdocbox.com/amp/100392934-Logistics/Belk-stores-856-ship-notice-manifest.html
"""

from __future__ import annotations

from ordergraph.connectors.x12_850 import (
    SKU_QUALIFIERS,
    Party,
    PoLine,
    PurchaseOrder850,
    ServiceLevel,
    parse_850,
    service_level,
)
from ordergraph.connectors.x12_855 import LINE_STATUSES, LineAck, build_855
from ordergraph.connectors.x12_856 import Asn, AsnLine, build_856
from ordergraph.connectors.x12_envelope import (
    ControlNumbers,
    Endpoint,
    Envelope,
    FunctionalGroup,
    Interchange,
    TransactionSet,
    interchange_control,
    read_interchange,
    write_interchange,
)
from ordergraph.connectors.x12_syntax import Delimiters, Segment, X12Error, render, tokenize

__all__ = [
    "LINE_STATUSES",
    "SKU_QUALIFIERS",
    "Asn",
    "AsnLine",
    "ControlNumbers",
    "Delimiters",
    "Endpoint",
    "Envelope",
    "FunctionalGroup",
    "Interchange",
    "LineAck",
    "Party",
    "PoLine",
    "PurchaseOrder850",
    "Segment",
    "ServiceLevel",
    "TransactionSet",
    "X12Error",
    "build_855",
    "build_856",
    "interchange_control",
    "parse_850",
    "read_interchange",
    "render",
    "service_level",
    "tokenize",
    "write_interchange",
]
