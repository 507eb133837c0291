"""The network file's ``inbound`` section: purchase-order and transfer lines on their way.

``{"id": "PO-991", "location": "DC-RENO", "sku": "SKU-1", "quantity": 500,
"expectedAt": "2026-12-15", "kind": "PURCHASE_ORDER"}``: ``kind`` is PURCHASE_ORDER (the
default) or TRANSFER; ``quantity`` is positive; ``expectedAt`` is the location's local date the
units are expected. Received and preordered units are runtime state, as ``reserved`` is for
stock: a file cannot set them.
"""

from __future__ import annotations

from ordergraph.connectors.network_file.fields import Fields
from ordergraph.domain.inbound import DEFAULT_KIND, INBOUND_KINDS, MAX_QUANTITY, parse_expected_date

Record = dict[str, object]

INBOUND_KEYS = frozenset({"id", "location", "sku", "quantity", "expectedAt", "kind"})
_RUNTIME = ("received", "preordered")


def read_inbound(f: Fields) -> Record:
    for key in _RUNTIME:
        if key in f.record:
            f.problem(key, f"{key} is runtime state, a network file cannot set it")
    f.unknown_keys(INBOUND_KEYS | set(_RUNTIME))
    quantity = f.integer("quantity")
    if quantity is not None and not 0 < quantity <= MAX_QUANTITY:
        f.problem("quantity", f"must be between 1 and {MAX_QUANTITY}, got {quantity}")
        quantity = None
    expected = None
    if "expectedAt" not in f.record:
        f.problem("expectedAt", "required")
    else:
        try:
            expected = parse_expected_date(f.record["expectedAt"]).isoformat()
        except ValueError as exc:
            f.problem("expectedAt", str(exc))
    return {
        "id": f.ident("id"),
        "location": f.ident("location"),
        "sku": f.ident("sku"),
        "quantity": quantity,
        "expectedAt": expected,
        "kind": f.choice("kind", INBOUND_KINDS) if "kind" in f.record else DEFAULT_KIND,
    }
