"""The store fulfilment app (``/store/{location}``; issue #16): a key that may act at the
location signs in (a partner key scoped to it; admin and integration keys reach every
location, as in the API). Every page and action is gated on the path's location
(``Principal.may_act_at``), and every action on a fulfillment checks, again, that the
fulfillment is at that location."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ordergraph.domain.access import Principal, Role
from ordergraph.web.pages import SignInTarget, Web, WebRequest


def admits(principal: Principal, params: Mapping[str, str]) -> str | None:
    location = params.get("location", "")
    if principal.role == Role.STOREFRONT:
        return "a storefront key cannot sign in to the store app; use the store's partner key"
    if not location:
        return "open the store app at /store/<your store's id>"
    if not principal.may_act_at(location):
        return f"this key may not work at {location}"
    return None


def gate(principal: Principal, request: Request) -> str | None:
    return admits(principal, {"location": str(request.path_params.get("location", ""))})


def store_routes(web: Web) -> list[Route]:
    web.apps["store"] = SignInTarget(
        "Store fulfilment", admits, lambda p: f"/store/{p['location']}", params=("location",)
    )

    async def queue(wr: WebRequest) -> Response:
        location = wr.request.path_params["location"]
        return wr.render("store/queue.html", location=location, work=[])

    return [web.route("/store/{location}", queue, gate=gate)]
