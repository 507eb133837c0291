"""Admin-only root fields: API keys (the operation check limits them to the admin role)."""

from __future__ import annotations

import strawberry

from ordergraph.domain.errors import OrderGraphError
from ordergraph.schema.apikeys import (
    ApiKey,
    ApiKeyCreateInput,
    ApiKeyCreatePayload,
    ApiKeyRevokePayload,
)
from ordergraph.schema.context import Info
from ordergraph.schema.errors import user_errors
from ordergraph.services import apikeys


@strawberry.type
class AdminQuery:
    @strawberry.field(description="Every API key (admin).")
    async def api_keys(self, info: Info) -> list[ApiKey]:
        return [ApiKey.from_record(r) for r in await apikeys.list_keys(info.context.store)]


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
                budget=None
                if input.budget is None
                else (
                    input.budget.maximum_available,
                    input.budget.restore_rate or max(input.budget.maximum_available // 20, 1),
                ),
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
