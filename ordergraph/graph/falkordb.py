"""FalkorDB adapter: the native protocol through the ``falkordb`` asyncio client (with hiredis).

Never FalkorDB's experimental Bolt endpoint (see ARCHITECTURE.md). Answers come back as the
client's Node/Edge/OrderedDict objects; :func:`plain` turns them into dicts and lists.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlparse

from falkordb.asyncio import FalkorDB
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ordergraph.domain.errors import ValidationError
from ordergraph.graph.products import FULLTEXT_LABEL, FULLTEXT_PROPERTIES
from ordergraph.graph.store import NODE_KEYS, SECONDARY_INDEXES, GraphUnavailable, Params, Row

log = logging.getLogger(__name__)


def plain(value: Any) -> Any:
    """An engine answer as plain Python data."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    properties = getattr(value, "properties", None)
    if isinstance(properties, dict):  # Node or Edge: its properties only (no internal ids)
        return {k: plain(v) for k, v in properties.items()}
    return value


class FalkorStore:
    engine = "falkordb"

    def __init__(self, url: str, graph_name: str, *, timeout_ms: int = 10_000) -> None:
        parsed = urlparse(url)
        if parsed.scheme == "unix":
            self._db = FalkorDB(unix_socket_path=parsed.path)
        elif parsed.scheme in ("redis", "falkor", "falkordb", "rediss"):
            self._db = FalkorDB(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or 6379,
                username=parsed.username,
                password=parsed.password,
                ssl=parsed.scheme == "rediss",
            )
        else:
            raise GraphUnavailable(
                f"FalkorDB URL must start with redis://, rediss:// or unix://, not {url!r}"
            )
        self.url = url
        self.graph_name = graph_name
        self._graph = self._db.select_graph(graph_name)
        self._timeout_ms = timeout_ms
        self.observe: Callable[[str, float], None] | None = None  # (read|write, seconds)

    async def read(self, query: str, params: Params | None = None) -> list[Row]:
        return await self._run(query, params, read_only=True)

    async def write(self, query: str, params: Params | None = None) -> list[Row]:
        problem = _unique_key_problem(params)
        if problem is not None:
            raise ValidationError(problem)
        return await self._run(query, params, read_only=False)

    async def _run(self, query: str, params: Params | None, *, read_only: bool) -> list[Row]:
        args = dict(params) if params else None
        started = time.perf_counter()
        try:
            if read_only:
                result = await self._graph.ro_query(query, args, timeout=self._timeout_ms)
            else:
                result = await self._graph.query(query, args)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise GraphUnavailable(f"FalkorDB is not reachable: {exc}") from exc
        if self.observe is not None:
            self.observe("read" if read_only else "write", time.perf_counter() - started)
        header = [name for _, name in (result.header or [])]
        return [
            {name: plain(value) for name, value in zip(header, row, strict=True)}
            for row in result.result_set
        ]

    async def migrate(self) -> None:
        for label, prop in NODE_KEYS + SECONDARY_INDEXES:
            try:
                await self._graph.query(f"CREATE INDEX FOR (n:{label}) ON (n.{prop})")
            except ResponseError as exc:
                if "already indexed" not in str(exc):
                    raise
        try:  # SKUs by the words of their name and description (graph/products.py)
            props = ", ".join(f"'{p}'" for p in FULLTEXT_PROPERTIES)
            await self._graph.query(
                f"CALL db.idx.fulltext.createNodeIndex('{FULLTEXT_LABEL}', {props})"
            )
        except ResponseError as exc:
            if "already indexed" not in str(exc):
                log.warning("no full-text index on SKUs (search scans instead): %s", exc)
        for label, prop in (*NODE_KEYS, ("Order", "channelExternalId")):
            try:
                await self._db.connection.execute_command(
                    "GRAPH.CONSTRAINT",
                    "CREATE",
                    self.graph_name,
                    "UNIQUE",
                    "NODE",
                    label,
                    "PROPERTIES",
                    1,
                    prop,
                )
            except ResponseError as exc:
                if "already exists" not in str(exc).lower():
                    raise

    async def ping(self) -> bool:
        try:
            return bool(await self._db.connection.ping())
        except (RedisError, OSError):
            return False

    async def drop(self) -> None:
        """Delete this graph entirely (tests, ``ordergraph reset``)."""
        try:
            await self._graph.delete()
        except ResponseError as exc:
            if "empty key" not in str(exc).lower() and "invalid graph" not in str(exc).lower():
                raise

    async def close(self) -> None:
        await self._db.connection.aclose()

    def info(self) -> Mapping[str, str]:
        return {"engine": self.engine, "url": self.url, "graph": self.graph_name}


_KEY_NAME = re.compile(r"(?:^|_|[a-z])(?:id|Id|ID|key|Key)s?$")


def _unique_key_problem(params: object, depth: int = 0) -> str | None:
    """FalkorDB 4.x brings the whole engine down (SIGSEGV in its unique-constraint check) when a
    uniquely constrained property is written as "" or with white space at either end. Ids are
    checked at every edge (domain/orders.py, domain/network.py, X12); this is the last guard, in
    the one place every write passes: a parameter named like an id (``id``, ``orderId``,
    ``key``...) at any depth must not be such a string."""
    if depth > 6:
        return None
    if isinstance(params, Mapping):
        for name, value in params.items():
            if isinstance(value, str) and isinstance(name, str) and _KEY_NAME.search(name):
                if value == "" or value != value.strip(" \t\r\n\f\v"):
                    return f"{name} must not be empty or begin or end with white space"
            elif isinstance(value, Mapping | list | tuple):
                found = _unique_key_problem(value, depth + 1)
                if found:
                    return found
    elif isinstance(params, list | tuple):
        for item in params:
            found = _unique_key_problem(item, depth + 1)
            if found:
                return found
    return None
