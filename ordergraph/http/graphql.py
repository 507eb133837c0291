"""The GraphQL view: strawberry's ASGI app with the request checks every input passes, the
resolvers' context and store, and GraphQL over HTTP responses."""

from __future__ import annotations

import json
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import (
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    visit,
)
from graphql.language import Visitor
from starlette.responses import JSONResponse, Response
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.types.unset import UNSET

from ordergraph.connectors.jsontext import json_problem
from ordergraph.domain.errors import ValidationError
from ordergraph.graph.store import GraphStore, Row
from ordergraph.http.documents import DocumentRefused, TrustedDocuments
from ordergraph.http.gateway import bearer
from ordergraph.http.state import AppState
from ordergraph.http.text import text_problem, value_problem
from ordergraph.schema.context import Context
from ordergraph.schema.guard import parsed

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON_TYPES = ("application/json", GRAPHQL_RESPONSE)
MAX_NAME = 200  # characters of an operationName


class BadText(json.JSONDecodeError):
    """A JSON document with a string no input may hold (NUL, a control, a lone surrogate)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "", 0)
        self.reason = reason


def document_problem(query: str, max_tokens: int | None) -> str | None:
    """A string literal in a GraphQL document that decodes to a character no input may hold.
    (Raw controls are syntax errors already; only escapes like ``\\u0000`` need the parse.)"""
    raw = text_problem(query)
    if raw:
        return f"the query holds {raw}"
    if "\\u" not in query:
        return None
    try:
        document = parsed(query, max_tokens)  # the guard's cache: parsed once per document
    except GraphQLError:
        return None  # the executor reports the syntax error
    found: list[str] = []

    class Strings(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: object) -> None:
            why = text_problem(node.value)
            if why and not found:
                found.append(why)

    visit(document, Strings())
    return f"a string in the query holds {found[0]}" if found else None


def request_problem(data: object, max_tokens: int | None) -> str | None:
    """Why a decoded GraphQL request (HTTP body, GET parameters, websocket message) may not run:
    a string (in the variables, or a literal in the document) with a NUL, a control or a lone
    surrogate. Mutations pass (None): their resolvers answer such input with a userError on
    its field, and ``CheckedStore`` keeps what the engine cannot hold from reaching it."""
    if not isinstance(data, dict):
        return None
    payload = data.get("payload") if data.get("type") == "subscribe" else data
    query = payload.get("query") if isinstance(payload, dict) else None
    why = document_problem(query, max_tokens) if isinstance(query, str) else None
    why = why or value_problem({k: v for k, v in data.items() if k != "query"})
    mutation = (
        why is not None
        and isinstance(query, str)
        and isinstance(payload, dict)
        and _is_mutation(query, payload.get("operationName"), max_tokens)
    )
    return None if mutation else why


def _is_mutation(query: str, name: object, max_tokens: int | None) -> bool:
    try:
        document = parsed(query, max_tokens)
    except GraphQLError:
        return False
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            name is None or (definition.name is not None and definition.name.value == name)
        ):
            return definition.operation is OperationType.MUTATION
    return False


class CheckedStore:
    """The store as GraphQL resolvers see it: a statement whose parameters hold a NUL or a
    lone surrogate (which break the engine's protocol) is refused as INVALID_INPUT (a
    userError where the resolver reports domain errors) before it is sent."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store

    async def read(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        self._check(params)
        return await self._store.read(query, params)

    async def write(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        self._check(params)
        return await self._store.write(query, params)

    @staticmethod
    def _check(params: object) -> None:
        why = value_problem(params, strict=False) if params else None
        if why:
            raise ValidationError(f"input text may not hold {why.partition(' holds ')[2]}")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, schema: Any, state: AppState) -> None:
        super().__init__(schema, graphql_ide="graphiql" if state.settings.development else None)
        self.state = state
        self.documents = TrustedDocuments.from_settings(state.settings)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Strawberry's run; a persisted-query request that cannot run is a GraphQL error."""
        try:
            return await super().run(request, context, root_value)
        except DocumentRefused as refused:
            return JSONResponse(refused.body(), status_code=refused.status)

    def should_render_graphql_ide(self, request: Any) -> bool:
        """A GET with a persisted query's ``extensions`` is a request, not the IDE."""
        persisted = "extensions" in request.query_params
        return not persisted and super().should_render_graphql_ide(request)

    def decode_json(self, data: str | bytes) -> object:
        """orjson (refuses invalid UTF-8, lone surrogates and nesting past 1024 levels, where
        the json module recursed into a RecursionError), then no NUL or control in any string:
        the one check every GraphQL input string passes, over HTTP and websockets alike."""
        decoded = orjson.loads(data)
        if isinstance(data, str) and not isinstance(decoded, dict):  # a websocket message
            raise BadText("a websocket message must be a JSON object")
        why = request_problem(decoded, self.state.settings.max_tokens)
        if why:
            raise BadText(why)
        return decoded

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return self.decode_json(data)
        except BadText as exc:
            raise HTTPException(400, f"INVALID_INPUT: {exc.reason}") from exc
        except orjson.JSONDecodeError as exc:
            raise HTTPException(400, f"the request body is {json_problem(data, exc)}") from exc

    async def parse_http_body(self, request: Any) -> GraphQLRequestData:
        """One operation per request, as a JSON object ``{query, variables?, operationName?,
        extensions?}`` (POST, ``Content-Type: application/json``) or GET parameters; every
        other shape is a 400 (415 for another content type) that says what was wrong."""
        if request.method == "GET":
            params = self.parse_query_params(request.query_params)
            data: object = params
            persisted = (
                isinstance(params.get("extensions"), dict)
                and "persistedQuery" in (params["extensions"])
            )
            if not isinstance(params.get("query"), str) and not persisted:
                raise HTTPException(400, "GET /graphql needs a ?query= parameter")
            why = request_problem(data, self.state.settings.max_tokens)
            if why:
                raise HTTPException(400, f"INVALID_INPUT: {why}")
        else:
            content_type = (request.content_type or "").split(";")[0].strip().lower()
            if content_type not in JSON_TYPES:
                raise HTTPException(
                    415,
                    f"unsupported content type {content_type or 'none'!r}: POST the request "
                    "as Content-Type: application/json",
                )
            data = self.parse_json(await request.get_body())
        if isinstance(data, list):
            raise HTTPException(
                400, "batched requests (a JSON array) are not supported: send one operation"
            )
        if not isinstance(data, dict):
            raise HTTPException(
                400,
                "the request body must be a JSON object {query, variables?, operationName?}, "
                f"not {type(data).__name__ if data is not None else 'null'}",
            )
        query, variables = data.get("query"), data.get("variables")
        name, extensions = data.get("operationName"), data.get("extensions")
        for part, value, kind in (
            ("query", query, "a string"),
            ("variables", variables, "an object"),
            ("operationName", name, "a string"),
            ("extensions", extensions, "an object"),
        ):
            wanted = str if kind == "a string" else dict
            if value is not None and not isinstance(value, wanted):
                raise HTTPException(400, f"the request's {part!r} must be {kind} or null, if given")
        if isinstance(name, str) and len(name) > MAX_NAME:  # echoed in errors: reflected input
            raise HTTPException(
                400, f"operationName must be a string of at most {MAX_NAME} characters"
            )
        query = self.documents.resolve(query, extensions)  # persisted queries, allow-list
        return GraphQLRequestData(
            query=query, variables=variables, operation_name=name, extensions=extensions
        )

    async def get_context(self, request: Any, response: Any) -> Context:
        store: Any = CheckedStore(self.state.store)
        context = Context.create(store, self.state.settings, request, response)
        context.cache = self.state.cache
        context.extra["metrics"] = self.state.metrics
        context.extra["budgets"] = self.state.budgets
        context.extra["live"] = self.state.live
        context.extra["hub"] = self.state.hub
        context.principal = request.scope.get("state", {}).get("principal")
        return context

    async def on_ws_connect(self, context: Context) -> Any:
        """A websocket may bring its key in connection_init: {"Authorization": "Bearer ..."}."""
        if context.principal is None:
            params = (
                context.connection_params if isinstance(context.connection_params, dict) else {}
            )
            key = bearer(str(params.get("Authorization") or params.get("authorization") or ""))
            keys = self.state.keys
            context.principal = await keys.principal(key) if key and keys else None
            if context.principal is None:
                raise ConnectionRejectionError({"reason": "missing, unknown or revoked API key"})
        return await super().on_ws_connect(context)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_sub_response(self, request: Any) -> Response:
        sub = await super().get_sub_response(request)
        accept = request.headers.get("accept", "")
        # our own flag on strawberry's sub-response (read back below with getattr)
        sub.graphql_response_json = GRAPHQL_RESPONSE in accept  # type: ignore[attr-defined]
        return sub

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        """GraphQL over HTTP: ``application/graphql-response+json`` when asked for, and then a
        request that never executed (bad document, failed validation or variables) is a 400
        without ``data``, as the spec says."""
        if not getattr(sub_response, "graphql_response_json", False) or isinstance(
            response_data, list
        ):
            return super().create_response(response_data, sub_response)
        errors = response_data.get("errors") or []
        request_error = (
            response_data.get("data") is None and errors and not any(e.get("path") for e in errors)
        )
        if request_error:
            response_data = {k: v for k, v in response_data.items() if k != "data"}
            sub_response.status_code = 400
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = GRAPHQL_RESPONSE + "; charset=utf-8"
        return response
