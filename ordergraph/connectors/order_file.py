"""Files of orders in the orderCreate input shape (API.md ``OrderCreateInput``): JSON lines, one
input a line (what ``ordergraph demo --orders-out`` writes), or one JSON array of inputs.

``order_request`` turns one input into the domain's ``OrderRequest`` with a clear error naming
the path of what is wrong (``orders.3.lines.0.quantity``); ``check_request`` (domain) then holds
it to the same rules as orderCreate. Used by ``serve --demo-orders`` and the simulation sandbox.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from ordergraph.connectors.jsontext import json_problem
from ordergraph.domain.errors import ValidationError
from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.domain.routing.types import ServiceLevel

MAX_ORDERS = 100_000
_ADDRESS = ("name", "line1", "line2", "city", "region")


def read_orders(data: bytes) -> list[Mapping[str, Any]]:
    """The inputs of a JSON-lines file or of a JSON array; a clear error for anything else."""
    text = data.strip()
    if text.startswith(b"["):
        try:
            found = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ValidationError(f"the orders file is {json_problem(text, exc)}") from None
        items = found if isinstance(found, list) else []
    else:
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise ValidationError(
                    f"line {number} of the orders file is {json_problem(line, exc)}"
                ) from None
    if len(items) > MAX_ORDERS:
        raise ValidationError(f"at most {MAX_ORDERS} orders in one file", field=("orders",))
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ValidationError("each order must be a JSON object", field=("orders", str(i)))
    return items


def order_request(value: Mapping[str, Any], index: int) -> OrderRequest:
    """One orderCreate input as the domain's request (not yet checked: ``check_request``)."""
    path = ("orders", str(index))

    def text(key: str, where: Mapping[str, Any], *at: str, required: bool = False) -> str | None:
        got = where.get(key)
        if got is None and not required:
            return None
        if not isinstance(got, str):
            raise ValidationError(f"{key} must be a string", field=(*path, *at, key))
        return got

    lines = value.get("lines")
    if not isinstance(lines, Sequence) or isinstance(lines, str):
        raise ValidationError("lines must be a list", field=(*path, "lines"))
    parsed = []
    for i, line in enumerate(lines):
        at = ("lines", str(i))
        if not isinstance(line, Mapping):
            raise ValidationError("a line must be an object", field=(*path, *at))
        quantity = line.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise ValidationError("quantity must be an integer", field=(*path, *at, "quantity"))
        parsed.append(OrderLine(text("sku", line, *at, required=True) or "", quantity))
    ship = value.get("shipTo")
    address = None
    if ship is not None:
        if not isinstance(ship, Mapping):
            raise ValidationError("shipTo must be an object", field=(*path, "shipTo"))
        address = Address(
            postal_code=text("postalCode", ship, "shipTo", required=True) or "",
            country=text("country", ship, "shipTo", required=True) or "",
            **{key: text(key, ship, "shipTo") for key in _ADDRESS},
        )
    level = value.get("serviceLevel") or "STANDARD"
    if level not in ServiceLevel.__members__:
        raise ValidationError(
            f"serviceLevel must be one of {', '.join(ServiceLevel.__members__)}",
            field=(*path, "serviceLevel"),
        )
    placed = text("placedAt", value)
    try:
        placed_at = None if placed is None else datetime.fromisoformat(placed)
    except ValueError:
        raise ValidationError(
            "placedAt must be an ISO 8601 date and time", field=(*path, "placedAt")
        ) from None
    return OrderRequest(
        channel=text("channel", value, required=True) or "",
        lines=tuple(parsed),
        ship_to=address,
        pickup_at=text("pickupAt", value),
        service_level=ServiceLevel(level),
        external_id=text("externalId", value),
        placed_at=placed_at,
        policy=text("policy", value),
    )
