"""Admin-only root fields: API keys (the operation check limits them to the admin role)."""

from __future__ import annotations

import strawberry

from ordergraph.domain.errors import OrderGraphError
from ordergraph.graph import apikeys as reads
from ordergraph.schema.context import Info
from ordergraph.schema.errors import UserError, user_errors
from ordergraph.services import apikeys


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

    @classmethod
    def from_record(cls, rec: dict) -> ApiKey:  # type: ignore[type-arg]
        return cls(
            id=strawberry.ID(rec["id"]),
            name=rec["name"],
            role=rec["role"],
            channels=list(rec.get("channels") or []),
            locations=list(rec.get("locations") or []),
            prefix=rec.get("prefix") or "",
            created_at=rec["createdAt"],
            revoked_at=rec.get("revokedAt"),
        )


@strawberry.input
class ApiKeyCreateInput:
    name: str
    role: str = strawberry.field(description="storefront, partner, integration or admin")
    channels: list[str] | None = None
    locations: list[str] | None = None


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


@strawberry.type
class AdminQuery:
    @strawberry.field(description="Every API key (admin).")
    async def api_keys(self, info: Info) -> list[ApiKey]:
        return [ApiKey.from_record(r) for r in await reads.list_keys(info.context.store)]


@strawberry.type
class AdminMutation:
    @strawberry.mutation(description="Create an API key (admin). The key is in the answer, once.")
    async def api_key_create(self, info: Info, input: ApiKeyCreateInput) -> ApiKeyCreatePayload:
        try:
            key, rec = await apikeys.create_key(
                info.context.store,
                input.name,
                input.role,
                input.channels or (),
                input.locations or (),
            )
        except OrderGraphError as exc:
            return ApiKeyCreatePayload(api_key=None, key=None, user_errors=user_errors(exc))
        return ApiKeyCreatePayload(api_key=ApiKey.from_record(rec), key=key, user_errors=[])

    @strawberry.mutation(description="Revoke an API key (admin); it stops working within seconds.")
    async def api_key_revoke(self, info: Info, id: strawberry.ID) -> ApiKeyRevokePayload:
        try:
            rec = await apikeys.revoke_key(info.context.store, str(id))
        except OrderGraphError as exc:
            return ApiKeyRevokePayload(api_key=None, user_errors=user_errors(exc, ("id",)))
        return ApiKeyRevokePayload(api_key=ApiKey.from_record(rec), user_errors=[])
