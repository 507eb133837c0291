"""``ordergraph serve|load|demo|export-schema|check|mcp``: the command line."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import logging
import os
import secrets
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ordergraph.domain.errors import NetworkFileError, OrderGraphError
from ordergraph.graph import catalog
from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.store import GraphStore, GraphUnavailable
from ordergraph.settings import Settings

log = logging.getLogger("ordergraph")


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    changes: dict[str, Any] = {}
    for name in ("host", "port", "data_dir"):
        value = getattr(args, name, None)
        if value is not None:
            changes[name] = Path(value) if name == "data_dir" else value
    return settings.with_(**changes) if changes else settings


async def _has_network(store: GraphStore) -> bool:
    return await catalog.has_locations(store)


async def load_into(store: GraphStore, doc: object, *, quiet: bool = False) -> dict[str, int]:
    from ordergraph.services.network import load_network
    from ordergraph.tools.progress import section_progress

    with section_progress(enabled=not quiet) as progress:
        return await load_network(store, doc, progress=progress)


def _day(text: str | None) -> date:
    return datetime.now(UTC).date() if text is None else date.fromisoformat(text)


async def place_inputs(
    store: GraphStore, inputs: Sequence[Any], *, quiet: bool = False
) -> tuple[int, int]:
    """Place orderCreate inputs (a demo day) one after the other, with a progress bar: (placed,
    refused). A refused one (no stock, bad address) is logged and skipped."""
    from ordergraph.connectors.order_file import order_request
    from ordergraph.services.orders import place_order
    from ordergraph.tools.progress import section_progress

    placed = refused = 0
    with section_progress(enabled=not quiet) as progress:
        for i, value in enumerate(inputs):
            try:
                await place_order(store, order_request(value, i))
                placed += 1
            except OrderGraphError as exc:
                refused += 1
                log.info("demo order %d refused: %s", i, exc.message)
            progress("orders", 1, len(inputs))
    return placed, refused


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ordergraph.app import create_app

    settings = _settings(args)
    network_doc: object | None = None
    if args.network:
        from ordergraph.connectors.network_file.parse import read_network_file

        network_doc = read_network_file(args.network)

    async def bootstrap(store: GraphStore) -> None:
        if network_doc is not None:
            counts = await load_into(store, network_doc)
            log.warning("loaded %s: %s", args.network, counts)
        elif args.demo:
            if await _has_network(store):
                log.warning("demo network already loaded in %s", settings.data_dir)
                return
            from ordergraph.tools.demo.network import generate_network

            log.warning("generating the demo network (seed %s, size %s)", args.seed, args.size)
            doc = generate_network(seed=args.seed, size=args.size)
            counts = await load_into(store, doc)
            log.warning("demo network loaded: %s", counts)
            if args.demo_orders:
                from ordergraph.tools.demo.orders import generate_orders

                day = _day(args.demo_day)
                inputs = generate_orders(doc, args.demo_orders, seed=args.seed, day=day)
                placed, refused = await place_inputs(store, inputs)
                log.warning("demo day %s: %d orders placed, %d refused", day, placed, refused)
            if settings.auth:
                await _print_demo_keys(store, settings)

    _check_port(settings.host, settings.port)
    engine: EmbeddedEngine | None = None
    if settings.engine == "embedded":  # started here so that a bad data dir fails before uvicorn
        engine = EmbeddedEngine(
            settings.data_dir, port=settings.engine_port, timeout_ms=settings.query_timeout_ms
        ).start()
        settings = settings.with_(embedded_url=engine.url)
    workers = args.workers or _cores()
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, not {workers}")
    try:
        # one worker: the app runs here and bootstraps in its lifespan; several: each worker
        # builds its own from the environment, after the parent ran the bootstrap once
        app = create_app(settings, bootstrap=None if workers > 1 else bootstrap)
        where = (
            settings.neo4j_uri
            or settings.falkordb_url
            or f"embedded FalkorDB in {settings.data_dir}"
        )
        log.warning(
            "OrderGraph on http://%s:%s/graphql (graph: %s, %d worker%s)",
            *(settings.host, settings.port, where, workers, "s" if workers > 1 else ""),
        )
        served: Any = app if workers == 1 else _worker_environment(settings, bootstrap, workers)
        uvicorn.run(
            served,
            factory=workers > 1,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            loop="auto",
            http="auto",
            lifespan="on",
            ws_max_size=settings.max_graphql_bytes,  # one websocket message: as a /graphql body
        )
    finally:
        if engine is not None:
            engine.stop()
    return 0


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _worker_environment(settings: Settings, bootstrap: Any, workers: int) -> str:
    """Run the bootstrap once, pass the settings to the workers; the app factory's import path.

    uvicorn spawns each worker as a fresh interpreter (its Multiprocess supervisor replaces a
    worker that dies), which reads ``Settings.from_env()`` and connects to the same engine.
    """
    from ordergraph import app as composition
    from ordergraph.http.metrics import MULTIPROCESS_DIR

    asyncio.run(_with_store(settings, bootstrap))
    metrics = tempfile.mkdtemp(prefix="ordergraph-metrics-")  # every worker's /metrics values
    atexit.register(shutil.rmtree, metrics, ignore_errors=True)
    os.environ.update(
        {
            MULTIPROCESS_DIR: metrics,
            "ORDERGRAPH_HOST": settings.host,
            "ORDERGRAPH_PORT": str(settings.port),
            "ORDERGRAPH_DATA_DIR": str(settings.data_dir),
            composition.WORKER_PARENT: str(os.getpid()),
            composition.WORKER_COUNT: str(workers),
        }
    )
    if settings.embedded_url:
        os.environ[composition.WORKER_ENGINE_URL] = settings.embedded_url
    # every worker signs browser sessions with the same key (one made now when none is set)
    os.environ["ORDERGRAPH_WEB_SECRET"] = settings.web_secret or secrets.token_urlsafe(32)
    return "ordergraph.app:worker_app"


async def _print_demo_keys(store: GraphStore, settings: Settings) -> None:
    from ordergraph.services.apikeys import create_key

    admin, _ = await create_key(store, "demo admin", "admin")
    shop, _ = await create_key(store, "demo storefront", "storefront", channels=["web"])
    base = f"http://{settings.host}:{settings.port}"
    store_id = await _demo_store(store)
    partner = None
    if store_id is not None:
        partner, _ = await create_key(store, "demo store", "partner", locations=[store_id])
    lines = [
        "\nDemo API keys (shown once; `ordergraph apikey create` makes more):",
        f"  admin       {admin}",
        f"  storefront  {shop}   (channel web)",
    ]
    if partner is not None:
        lines.append(f"  partner     {partner}   (store {store_id})")
    lines += [
        f"In GraphiQL ({base}/graphql) open Headers and paste:",
        f'  {{"Authorization": "Bearer {admin}"}}',
        "In a browser, sign in with a key (docs/web.md, docs/console.md):",
        f"  operations console  {base}/console   (the admin key)",
    ]
    if partner is not None:
        lines.append(f"  store app           {base}/store/{store_id}   (the partner key)")
    print("\n".join(lines) + "\n", file=sys.stderr, flush=True)


async def _demo_store(store: GraphStore) -> str | None:
    """The first open pickup store of the demo network, for the demo's partner key."""
    from ordergraph.graph.catalog import location_page

    stores = await location_page(store, first=100, after=None, kind="STORE")
    return next((s.id for s in stores if s.pickup and s.active), None)


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise GraphUnavailable(
                f"cannot listen on {host}:{port}: {exc.strerror or exc} (choose another --port)"
            ) from None


async def _with_store(settings: Settings, work: Any) -> Any:
    from ordergraph.graph.connect import open_store

    opened = await open_store(settings, attach=True)
    try:
        return await work(opened.store)
    finally:
        await opened.close()


def _load(args: argparse.Namespace) -> int:
    from ordergraph.connectors.network_file.parse import read_network_file

    doc = read_network_file(args.file)
    counts = asyncio.run(
        _with_store(_settings(args), lambda s: load_into(s, doc, quiet=args.quiet))
    )
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0


def _check(args: argparse.Namespace) -> int:
    from ordergraph.connectors.network_file.parse import parse_network, read_network_file

    network = parse_network(read_network_file(args.file))
    print(f"{args.file} is valid: " + ", ".join(f"{k}: {v}" for k, v in network.counts().items()))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from ordergraph.tools.demo.network import generate_network, write_network
    from ordergraph.tools.demo.orders import generate_orders, write_orders

    if args.out is None and args.orders_out is None:
        raise ValueError("give --out (the network) or --orders-out (a day of orders), or both")
    doc = generate_network(seed=args.seed, size=args.size)
    if args.out is not None:
        write_network(doc, args.out)
        counts = {k: len(v) for k, v in doc.items()}
        print(f"wrote {args.out}: " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    if args.orders_out is not None:
        day = _day(args.day)
        write_orders(generate_orders(doc, args.orders, seed=args.seed, day=day), args.orders_out)
        print(f"wrote {args.orders_out}: {args.orders} orders placed over {day} (US Eastern)")
    return 0


def _gate(text: str) -> Any:
    """A gate ``KPI:min|max:VALUE[:relative]``, e.g. ``costPerOrder:max:0:relative``."""
    from ordergraph.domain.kpis import Gate

    parts = text.split(":")
    if (
        len(parts) not in (3, 4)
        or parts[1] not in ("min", "max")
        or parts[3:] not in ([], ["relative"])
    ):
        raise ValueError(f"--gate {text!r}: expected KPI:min|max:VALUE[:relative]")
    try:
        bound = float(parts[2])
    except ValueError:
        raise ValueError(f"--gate {text!r}: {parts[2]!r} is not a number") from None
    relative = parts[3:] == ["relative"]
    if parts[1] == "min":
        return Gate(parts[0], min=bound, relative_to_baseline=relative)
    return Gate(parts[0], max=bound, relative_to_baseline=relative)


def _simulate(args: argparse.Namespace) -> int:
    import orjson

    from ordergraph.domain.simulation import StockMode
    from ordergraph.graph.records.simulations import report_map
    from ordergraph.services import simulation
    from ordergraph.tools.progress import section_progress
    from ordergraph.tools.report import print_report

    if (args.orders is None) == (args.from_ is None and args.to is None):
        raise ValueError("give --orders FILE, or a window --from and --to")
    window = orders = None
    if args.orders is not None:
        orders = simulation.requests_from_file(_read_files([args.orders])[0][1])
    else:
        if args.from_ is None or args.to is None:
            raise ValueError("a window needs both --from and --to")
        window = simulation.Window(
            datetime.fromisoformat(args.from_), datetime.fromisoformat(args.to), args.channel
        )
    spec = simulation.SimulationInput(
        policy=args.policy,
        version=args.version,
        baseline=args.baseline,
        baseline_version=args.baseline_version,
        window=window,
        orders=orders,
        stock=StockMode(args.stock),
        gates=tuple(_gate(g) for g in args.gate or ()),
    )

    async def work(store: GraphStore) -> tuple[str, Any]:
        with section_progress(enabled=not args.quiet and not args.json) as bar:
            seen = [0]

            def advance(done: int, total: int) -> None:
                bar("routings", done - seen[0], total)
                seen[0] = done

            return await simulation.run(store, spec, progress=advance)

    run_id, report = asyncio.run(_with_store(_settings(args), work))
    if report is None:
        print(
            f"error: simulation {run_id} failed (routingSimulation(id) says why)", file=sys.stderr
        )
        return 1
    if args.json:
        print(orjson.dumps({"id": run_id, "report": report_map(report)}).decode())
    else:
        print_report(run_id, report)
    return 1 if report.passed is False else 0


def _export_schema(args: argparse.Namespace) -> int:
    from ordergraph.resolvers.root import schema

    sdl = schema().as_str() + "\n"
    if args.out == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.out).write_text(sdl)
        print(f"wrote {args.out}")
    return 0


def _mcp(args: argparse.Namespace) -> int:
    """The MCP server over stdio, for one API key (a desktop assistant, a local agent)."""
    import os

    from ordergraph.mcp.guard import Deps
    from ordergraph.mcp.server import build_server, key_caller
    from ordergraph.services.apikeys import KeyCache
    from ordergraph.services.budgets import Budgets

    key = args.key or os.environ.get("ORDERGRAPH_MCP_KEY", "")
    if not key:
        print("error: give an API key: ORDERGRAPH_MCP_KEY or --key", file=sys.stderr)
        return 2
    settings = _settings(args)

    async def work(store: GraphStore) -> int:
        keys = KeyCache(store)
        if await keys.principal(key) is None:
            print("error: unknown or revoked API key", file=sys.stderr)
            return 2
        deps = Deps(lambda: store, settings, Budgets(lambda: store), key_caller(keys, key))
        await build_server(deps).run_stdio_async()
        return 0

    return int(asyncio.run(_with_store(settings, work)))


def _apikey(args: argparse.Namespace) -> int:
    from ordergraph.services import apikeys
    from ordergraph.settings import parse_budget

    async def work(store: GraphStore) -> None:
        if args.action == "create":
            key, rec = await apikeys.create_key(
                store,
                args.name,
                args.role,
                args.channel or (),
                args.location or (),
                budget=parse_budget(args.budget) if args.budget else None,
            )
            print(f"{rec.id} {rec.role.value} {key}")
            print("store the key now: it is not shown again", file=sys.stderr)
        elif args.action == "revoke":
            rec = await apikeys.revoke_key(store, args.id)
            print(f"revoked {rec.id}")
        else:
            for rec in await apikeys.list_keys(store):
                state = (
                    "active" if rec.revoked_at is None else f"revoked {rec.revoked_at.isoformat()}"
                )
                budget = f"budget {rec.budget[0]}/{rec.budget[1]}" if rec.budget else "role budget"
                print(
                    f"{rec.id}  {rec.role.value:<11} {rec.name:<24} {rec.prefix}...  "
                    f"{state}  {budget}"
                )

    asyncio.run(_with_store(_settings(args), work))
    return 0


# ---- ingestion (issue #5): ingest CHANNEL FILE..., feed snapshot|delta FILE, reconcile FILE ----


def _read_files(names: Sequence[str]) -> list[tuple[Path, bytes]]:
    read = []
    for name in names:
        try:
            read.append((Path(name), Path(name).read_bytes()))
        except OSError as exc:
            raise ValueError(f"cannot read {name}: {exc.strerror}") from None
    return read


def _ingest(args: argparse.Namespace) -> int:
    from ordergraph.connectors.ingest import CHANNELS
    from ordergraph.services import ingestion
    from ordergraph.tools.progress import section_progress

    spec = CHANNELS.get(args.channel)
    if spec is None:
        raise ValueError(f"unknown channel {args.channel!r} (one of {', '.join(sorted(CHANNELS))})")
    files = _read_files(args.files)
    settings = _settings(args)
    headers = {spec.topic_header: args.topic} if args.topic and spec.topic_header else {}
    counts: dict[str, int] = {}
    failed: list[tuple[Path, ingestion.Outcome]] = []

    async def work(store: GraphStore) -> None:
        config = ingestion.IngestConfig.from_settings(settings)
        with section_progress(enabled=not args.quiet) as progress:
            for path, body in files:
                outcome = await ingestion.ingest(
                    store, ingestion.Payload(args.channel, body, headers), config=config
                )
                counts[outcome.status] = counts.get(outcome.status, 0) + 1
                if outcome.status == ingestion.FAILED:
                    failed.append((path, outcome))
                if outcome.reply and args.ack_dir:
                    Path(args.ack_dir).mkdir(parents=True, exist_ok=True)
                    (Path(args.ack_dir) / f"{path.name}.855").write_text(outcome.reply)
                progress("payloads", 1, len(files))

    asyncio.run(_with_store(settings, work))
    print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    for path, outcome in failed:
        print(
            f"{path}: stored as {outcome.failure_id} ({outcome.code}): {outcome.reason}",
            file=sys.stderr,
        )
    return 1 if failed else 0


def _feed(args: argparse.Namespace) -> int:
    from ordergraph.connectors.feeds import detect_format
    from ordergraph.services import feeds
    from ordergraph.tools.progress import section_progress

    [(path, data)] = _read_files([args.file])
    fmt = args.format or detect_format(None, path.name, data)
    if args.kind == "inbound":
        return _inbound_feed(args, path.name, data, fmt)

    async def work(store: GraphStore) -> feeds.FeedResult:
        rows = await feeds.read_checked_feed(store, data, args.kind, fmt)
        with section_progress(enabled=not args.quiet) as progress:
            # the rows are of the feed's kind; read_checked_feed's union is not narrowed by it
            if args.kind == "snapshot":
                return await feeds.apply_snapshot(store, rows, progress=progress)  # type: ignore[arg-type]
            return await feeds.apply_deltas(store, rows, progress=progress)  # type: ignore[arg-type]

    result: feeds.FeedResult = asyncio.run(_with_store(_settings(args), work))
    print(f"{args.kind} {path.name}: {result.rows} rows, {result.written} positions written")
    for problem in result.refused:
        print(f"  not applied: {problem}", file=sys.stderr)
    for short in result.short[:50]:
        print(
            f"  short: {short.location} {short.sku} on hand {short.on_hand} < reserved "
            f"{short.reserved} + safety {short.safety_stock}",
            file=sys.stderr,
        )
    if result.affected_orders:
        print(
            f"reservations no longer backed by on-hand: {result.rerouted} units re-routed, "
            f"{result.backordered} backordered ({', '.join(result.affected_orders[:50])})"
        )
    if result.backorders_served:
        print(f"backorders served: {', '.join(result.backorders_served)}")
    return 1 if result.refused else 0


def _inbound_feed(args: argparse.Namespace, name: str, data: bytes, fmt: Any) -> int:
    from ordergraph.services import inbound
    from ordergraph.tools.progress import section_progress

    async def work(store: GraphStore) -> inbound.InboundFeedResult:
        rows = await inbound.read_checked_inbound_feed(store, data, fmt)
        with section_progress(enabled=not args.quiet) as progress:
            return await inbound.apply_inbound_feed(store, rows, progress=progress)

    result: inbound.InboundFeedResult = asyncio.run(_with_store(_settings(args), work))
    print(
        f"inbound {name}: {result.rows} rows, {result.written} lines written "
        f"({result.created} new, {result.moved} with a moved expected date)"
    )
    for problem in result.refused:
        print(f"  not applied: {problem}", file=sys.stderr)
    return 1 if result.refused else 0


def _reconcile(args: argparse.Namespace) -> int:
    import orjson

    from ordergraph.connectors.feeds import detect_format, read_feed
    from ordergraph.services import feeds

    [(path, data)] = _read_files([args.file])
    rows = read_feed(data, "snapshot", args.format or detect_format(None, path.name, data))
    report: feeds.Reconciliation = asyncio.run(
        _with_store(_settings(args), lambda store: feeds.reconcile_snapshot(store, rows))
    )
    if args.json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        print(
            f"{path.name}: {report.rows} rows, {report.matching} match, "
            f"{len(report.discrepancies)} discrepancies, {len(report.shortfalls)} shortfalls"
        )
        for d in report.discrepancies:
            print(
                f"  {d.kind:<16} {d.location:<16} {d.sku:<16} feed {d.feed_on_hand!s:>8} "
                f"oms {d.oms_on_hand!s:>8}  diff {d.difference:+d}"
            )
        for s in report.shortfalls:
            print(
                f"  {'SHORTFALL':<16} {s.location:<16} {s.sku:<16} on hand {s.on_hand} < "
                f"reserved {s.reserved} + safety {s.safety_stock}: short {s.shortfall}"
            )
    return 1 if report.discrepancies or report.shortfalls else 0


@contextlib.contextmanager
def _solver_banner_to_stderr() -> Iterator[None]:
    """HiGHS prints its banner on the process's standard output (file descriptor 1, below
    Python) when it first starts: send it to stderr, so stdout stays the report."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _reoptimise(args: argparse.Namespace) -> int:
    import orjson

    from ordergraph.services.reoptimise import reoptimise

    with _solver_banner_to_stderr():
        report = asyncio.run(
            _with_store(
                _settings(args),
                lambda store: reoptimise(
                    store, channel=args.channel, threshold=args.threshold, limit=args.limit
                ),
            )
        )
    if args.json:
        body = {
            "considered": report.considered,
            "saving": report.saving,
            "leftAlone": report.left_alone,
            "changes": report.applied,
        }
        print(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return 0
    print(
        f"{report.considered} open orders considered, {len(report.applied)} changed, "
        f"saving {report.saving:.2f}, {report.left_alone} left alone"
    )
    for a in report.applied:
        print(f"  {a.order_id}: {a.cost_before:.2f} -> {a.cost_after:.2f} ({a.reason})")
    return 0


def _policy(args: argparse.Namespace) -> int:
    """``policy load FILE [--activate]`` / ``policy list`` (docs/routing-policies.md)."""
    import orjson

    from ordergraph.services import policies

    if args.action == "list":
        found = asyncio.run(_with_store(_settings(args), policies.list_policies))
        for r in found:
            shipped = " (shipped)" if r.shipped else ""
            print(f"{r.id:<32} v{r.version:<4} {r.state:<8} {','.join(r.channels) or '-'}{shipped}")
        return 0
    [(path, data)] = _read_files([args.file])
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    documents = raw if isinstance(raw, list) else [raw]

    async def work(store: GraphStore) -> list[str]:
        lines = []
        for document in documents:
            record, created = await policies.create_policy(store, document, by="cli")
            state = record.state
            if args.activate and state == "DRAFT":
                done = await policies.activate_policy(store, record.id, record.version, by="cli")
                state = done.record.state
            lines.append(
                f"{record.id} v{record.version}: {'created' if created else 'unchanged'}, {state}"
            )
        return lines

    for line in asyncio.run(_with_store(_settings(args), work)):
        print(line)
    return 0


def _ingestion_commands(sub: Any, engine_args: Any) -> None:
    ingest = sub.add_parser("ingest", help="ingest channel payload files (as POST /ingest/CHANNEL)")
    ingest.add_argument(
        "channel", help="shopify, woocommerce, bigcommerce, amazon, ebay, square or x12"
    )
    ingest.add_argument("files", nargs="+", metavar="FILE")
    ingest.add_argument("--topic", help="the webhook topic, e.g. orders/updated (default: create)")
    ingest.add_argument("--ack-dir", help="x12: write each 855 acknowledgement here")
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    engine_args(ingest)
    ingest.set_defaults(run=_ingest)

    feed = sub.add_parser(
        "feed", help="apply an ERP/WMS inventory feed, or the ERP's inbound lines (CSV or JSON)"
    )
    feed.add_argument("kind", choices=("snapshot", "delta", "inbound"))
    feed.add_argument("file")
    feed.add_argument("--format", choices=("csv", "json"), help="default: from the file name")
    feed.add_argument("--quiet", action="store_true", help="no progress bar")
    engine_args(feed)
    feed.set_defaults(run=_feed)

    reconcile = sub.add_parser("reconcile", help="compare a stock snapshot with the OMS")
    reconcile.add_argument("file")
    reconcile.add_argument("--format", choices=("csv", "json"), help="default: from the file name")
    reconcile.add_argument("--json", action="store_true", help="the report as JSON")
    engine_args(reconcile)
    reconcile.set_defaults(run=_reconcile)

    reopt = sub.add_parser(
        "reoptimise", help="re-plan open allocations jointly (docs/allocation.md)"
    )
    reopt.add_argument("--channel", help="one channel's orders (default: every channel's)")
    reopt.add_argument(
        "--threshold", type=float, default=1.0, help="least saving a change must make (1.0)"
    )
    reopt.add_argument("--limit", type=int, default=200, help="orders considered (1 to 500)")
    reopt.add_argument("--json", action="store_true", help="the report as JSON")
    engine_args(reopt)
    reopt.set_defaults(run=_reoptimise)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ordergraph", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def engine_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--data-dir", help="embedded engine data directory (ORDERGRAPH_DATA_DIR)")

    serve = sub.add_parser("serve", help="run the GraphQL server")
    serve.add_argument("--host", help="listen address (ORDERGRAPH_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (ORDERGRAPH_PORT, default 8000)")
    engine_args(serve)
    first = serve.add_mutually_exclusive_group()
    first.add_argument("--demo", action="store_true", help="load the demo network on first start")
    first.add_argument("--network", metavar="FILE", help="load this network file at start")
    serve.add_argument("--seed", type=int, default=7, help="demo network seed")
    serve.add_argument("--size", choices=("default", "large"), default="default")
    serve.add_argument(
        "--demo-orders",
        type=int,
        default=0,
        metavar="N",
        help="with --demo: place a demo day of N orders after loading the network",
    )
    serve.add_argument("--demo-day", help="the demo day's date (YYYY-MM-DD, default today UTC)")
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes sharing one engine (default: the number of cores; 1: one process)",
    )
    serve.set_defaults(run=_serve)

    load = sub.add_parser("load", help="load a network file into the configured engine")
    load.add_argument("file")
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    engine_args(load)
    load.set_defaults(run=_load)

    check = sub.add_parser("check", help="validate a network file without loading it")
    check.add_argument("file")
    check.set_defaults(run=_check)

    simulate = sub.add_parser(
        "simulate", help="replay orders under a routing policy and its baseline (a sandbox)"
    )
    simulate.add_argument("--policy", required=True, help="the routing policy to simulate")
    simulate.add_argument("--version", type=int, help="its version (default: latest)")
    simulate.add_argument(
        "--baseline", help="the policy to compare with (default: each channel's current one)"
    )
    simulate.add_argument("--baseline-version", type=int)
    simulate.add_argument("--orders", metavar="FILE", help="orderCreate inputs, JSON lines")
    simulate.add_argument("--from", dest="from_", metavar="T", help="window of past orders: start")
    simulate.add_argument("--to", metavar="T", help="window end (ISO 8601 with a time zone)")
    simulate.add_argument("--channel", help="with a window: only this channel's orders")
    simulate.add_argument("--stock", choices=("AT_PLACEMENT", "NOW"), default="AT_PLACEMENT")
    simulate.add_argument(
        "--gate",
        action="append",
        metavar="KPI:min|max:V[:relative]",
        help="an activation gate (repeatable); the exit code is 1 when one fails",
    )
    simulate.add_argument("--json", action="store_true", help="the report as JSON on stdout")
    simulate.add_argument("--quiet", action="store_true", help="no progress bar")
    engine_args(simulate)
    simulate.set_defaults(run=_simulate)

    demo = sub.add_parser("demo", help="write the demo network file and/or a day of orders")
    demo.add_argument("--out", help="where to write the network JSON")
    demo.add_argument("--orders-out", help="where to write a day of orders (JSON lines)")
    demo.add_argument("--orders", type=int, default=2000, help="orders in the day (2000)")
    demo.add_argument("--day", help="the day's date (YYYY-MM-DD, default today UTC)")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--size", choices=("default", "large"), default="default")
    demo.set_defaults(run=_demo)

    key = sub.add_parser("apikey", help="create, list or revoke API keys")
    key_sub = key.add_subparsers(dest="action", required=True)
    create = key_sub.add_parser("create", help="create a key (printed once)")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--role", required=True, choices=("storefront", "partner", "integration", "admin")
    )
    create.add_argument("--channel", action="append", help="storefront: a channel it may use")
    create.add_argument("--location", action="append", help="partner: a location it acts for")
    create.add_argument(
        "--budget",
        metavar="N[/RATE]",
        help="the key's own cost budget: bucket size N points, restored RATE points per second "
        "(default: its role's budget, docs/security.md)",
    )
    engine_args(create)
    revoke = key_sub.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("id")
    engine_args(revoke)
    listing = key_sub.add_parser("list", help="list keys (never the secrets)")
    engine_args(listing)
    key.set_defaults(run=_apikey)

    _ingestion_commands(sub, engine_args)

    policy = sub.add_parser("policy", help="load or list routing policies")
    policy_sub = policy.add_subparsers(dest="action", required=True)
    load_policy = policy_sub.add_parser(
        "load", help="store a policy document (or a list) as drafts"
    )
    load_policy.add_argument("file")
    load_policy.add_argument("--activate", action="store_true", help="activate what it loads")
    engine_args(load_policy)
    engine_args(policy_sub.add_parser("list", help="every version of every routing policy"))
    policy.set_defaults(run=_policy)

    assistant = sub.add_parser("mcp", help="the MCP server over stdio (docs/mcp.md)")
    assistant.add_argument("--key", help="the API key it acts with (ORDERGRAPH_MCP_KEY)")
    engine_args(assistant)
    assistant.set_defaults(run=_mcp)

    export = sub.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument("--out", default="schema.graphql", help="file, or - for stdout")
    export.set_defaults(run=_export_schema)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from ordergraph.http.logs import configure_logging

    configure_logging()
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except NetworkFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OrderGraphError, GraphUnavailable, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
