"""Neo4j adapter: the official async driver, one driver per process, managed transactions.

``execute_read``/``execute_write`` retry transient errors, so every write statement we send
must be idempotent (MERGE on business keys, idempotency keys on orders). ``database_`` is
always passed so that no call pays for home-database resolution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from neo4j import AsyncGraphDatabase, AsyncManagedTransaction
from neo4j.exceptions import ServiceUnavailable, SessionExpired

from ordergraph.graph.products import FULLTEXT_LABEL, FULLTEXT_PROPERTIES, NEO4J_INDEX
from ordergraph.graph.store import NODE_KEYS, SECONDARY_INDEXES, GraphUnavailable, Params, Row


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "items") and hasattr(value, "element_id"):  # Node / Relationship
        return {k: _plain(v) for k, v in value.items()}
    iso = getattr(value, "iso_format", None)  # neo4j.time types
    if callable(iso):
        return iso()
    return value


class Neo4jStore:
    engine = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str) -> None:
        self._driver = AsyncGraphDatabase.driver(uri, auth=(user, password))
        self._database = database
        self.url = uri

    async def read(self, query: str, params: Params | None = None) -> list[Row]:
        return await self._run(query, params, write=False)

    async def write(self, query: str, params: Params | None = None) -> list[Row]:
        return await self._run(query, params, write=True)

    async def _run(self, query: str, params: Params | None, *, write: bool) -> list[Row]:
        args = dict(params or {})

        async def work(tx: AsyncManagedTransaction) -> list[Row]:
            result = await tx.run(query, args)
            return [_plain(record.data()) for record in [r async for r in result]]

        try:
            async with self._driver.session(database=self._database) as session:
                if write:
                    return await session.execute_write(work)
                return await session.execute_read(work)
        except (ServiceUnavailable, SessionExpired) as exc:
            raise GraphUnavailable(f"Neo4j is not reachable: {exc}") from exc

    async def migrate(self) -> None:
        statements = [
            f"CREATE CONSTRAINT {label.lower()}_{prop}_unique IF NOT EXISTS "
            f"FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE"
            for label, prop in (*NODE_KEYS, ("Order", "channelExternalId"))
        ] + [
            f"CREATE INDEX {label.lower()}_{prop} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"
            for label, prop in SECONDARY_INDEXES
            if (label, prop) != ("Order", "channelExternalId")
        ]
        statements.append(  # SKUs by the words of their name and description (graph/products.py)
            f"CREATE FULLTEXT INDEX {NEO4J_INDEX} IF NOT EXISTS FOR (n:{FULLTEXT_LABEL}) "
            f"ON EACH [{', '.join('n.' + p for p in FULLTEXT_PROPERTIES)}]"
        )
        async with self._driver.session(database=self._database) as session:
            for statement in statements:
                await session.run(statement)

    async def ping(self) -> bool:
        try:
            await self._driver.verify_connectivity()
        except Exception:
            return False
        return True

    async def drop(self) -> None:
        await self.write("MATCH (n) DETACH DELETE n")

    async def close(self) -> None:
        await self._driver.close()

    def info(self) -> Mapping[str, str]:
        return {"engine": self.engine, "url": self.url, "graph": self._database}
