"""``POST /carriers/{adapter}/tracking``: a carrier account's signed tracking webhook.

The body is checked with the adapter's own documented signature (EasyPost: ``X-Hmac-Signature``,
docs/carriers.md) before anything is read from it: 401 when it does not verify, 404 for an
account that is not configured, 413 past the ingest body limit, 400 for a body that is not a
notification; else 200 with what each tracking event did (``applied``, ``duplicate``,
``unknown``). No API key: the signature is the authentication.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ordergraph.connectors.carriers.port import CarrierError
from ordergraph.services.carrier_rates import carrier_accounts
from ordergraph.services.carrier_tracking import apply_events

PATH = "/carriers/{adapter}/tracking"


def carrier_routes(state: Any) -> list[Route]:
    async def tracking(request: Request) -> Response:
        settings = state.settings
        carrier = carrier_accounts(settings).get(request.path_params["adapter"])
        if carrier is None:
            return JSONResponse({"error": "no such carrier account"}, status_code=404)
        limit = int(getattr(settings, "max_ingest_bytes", 5 * 1024 * 1024))
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                return JSONResponse({"error": "body too large"}, status_code=413)
        if not carrier.verify(body, request.headers):
            return JSONResponse({"error": "signature does not verify"}, status_code=401)
        try:
            events = carrier.parse_tracking(body)
        except CarrierError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        outcomes = await apply_events(state.store, carrier.name, events)
        return JSONResponse({"events": outcomes})

    return [Route(PATH, tracking, methods=["POST"])]
