"""GraphQL input and payload of ``stockStateSet``: the damaged and quality-control units of a
stock position (never part of on-hand, never available)."""

from __future__ import annotations

import strawberry

from ordergraph.schema.errors import UserError
from ordergraph.schema.types import StockLevel


@strawberry.input(
    description="Absolute damaged and quality-control units of a position (a null keeps one)."
)
class StockStateSetInput:
    location: strawberry.ID
    sku: strawberry.ID
    damaged: int | None = None
    quality_control: int | None = None


@strawberry.type
class StockStateSetPayload:
    stock: StockLevel | None
    user_errors: list[UserError]
