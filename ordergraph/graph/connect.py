"""Open the configured graph store (and start the embedded engine when that is the choice)."""

from __future__ import annotations

from dataclasses import dataclass

from ordergraph.graph.embedded import DataDirInUse, EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.graph.neo4j import Neo4jStore
from ordergraph.settings import Settings


@dataclass
class OpenStore:
    store: FalkorStore | Neo4jStore
    engine: EmbeddedEngine | None = None

    async def close(self) -> None:
        await self.store.close()
        if self.engine is not None:
            self.engine.stop()


async def open_store(settings: Settings, *, attach: bool = False) -> OpenStore:
    """Neo4j if configured, else an external FalkorDB, else the embedded engine; migrated.

    With ``attach``, a data directory whose engine another process runs (a server) is used
    through that engine's socket, so that ``ordergraph load`` or ``apikey`` work beside it.
    """
    engine: EmbeddedEngine | None = None
    store: FalkorStore | Neo4jStore
    if settings.neo4j_uri:
        store = Neo4jStore(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password,
            settings.neo4j_database,
        )
    else:
        url = settings.falkordb_url or settings.embedded_url
        if url is None:
            try:
                engine = EmbeddedEngine(
                    settings.data_dir,
                    port=settings.engine_port,
                    timeout_ms=settings.query_timeout_ms,
                ).start()
                url = engine.url
            except DataDirInUse:
                socket_path = settings.data_dir.expanduser().resolve() / "engine.sock"
                if not attach or not socket_path.exists():
                    raise
                url = f"unix://{socket_path}"
        store = FalkorStore(url, settings.graph_name, timeout_ms=settings.query_timeout_ms)
    opened = OpenStore(store, engine)
    try:
        await store.migrate()
    except BaseException:
        await opened.close()
        raise
    return opened
