"""API keys as GraphQL types: the record (never the secret), budgets, create and revoke."""

from __future__ import annotations

import strawberry

from ordergraph.graph.records.apikeys import ApiKeyRecord
from ordergraph.schema.errors import UserError


@strawberry.type(description="A key's own cost budget (a leaky bucket), instead of its role's.")
class ApiKeyBudget:
    maximum_available: int = strawberry.field(description="Points the bucket holds when full.")
    restore_rate: int = strawberry.field(description="Points restored per second.")


@strawberry.input(description="A key's own cost budget; without it the key has its role's.")
class ApiKeyBudgetInput:
    maximum_available: int = strawberry.field(description="Points the bucket holds when full.")
    restore_rate: int | None = strawberry.field(
        default=None, description="Points restored per second (default: a twentieth of the size)."
    )


@strawberry.type(description="An API key's record; the key itself is shown once, at creation.")
class ApiKey:
    id: strawberry.ID
    name: str
    role: str
    channels: list[str]
    locations: list[str]
    prefix: str = strawberry.field(description="The key's first characters, to recognise it.")
    created_at: str
    revoked_at: str | None
    budget: ApiKeyBudget | None = strawberry.field(
        default=None, description="The key's own budget; null: its role's default."
    )

    @classmethod
    def from_record(cls, rec: ApiKeyRecord) -> ApiKey:
        return cls(
            id=strawberry.ID(rec.id),
            name=rec.name,
            role=rec.role.value,
            channels=list(rec.channels),
            locations=list(rec.locations),
            prefix=rec.prefix,
            created_at=rec.created_at.isoformat(),
            revoked_at=None if rec.revoked_at is None else rec.revoked_at.isoformat(),
            budget=None
            if rec.budget is None
            else ApiKeyBudget(maximum_available=rec.budget[0], restore_rate=rec.budget[1]),
        )


@strawberry.input
class ApiKeyCreateInput:
    name: str
    role: str = strawberry.field(description="storefront, partner, integration or admin")
    channels: list[str] | None = None
    locations: list[str] | None = None
    budget: ApiKeyBudgetInput | None = None


@strawberry.type
class ApiKeyCreatePayload:
    api_key: ApiKey | None
    key: str | None = strawberry.field(
        description="The secret: store it now, it is never shown again."
    )
    user_errors: list[UserError]


@strawberry.type
class ApiKeyRevokePayload:
    api_key: ApiKey | None
    user_errors: list[UserError]
