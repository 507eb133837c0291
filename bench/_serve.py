"""Fallback server launcher for the benchmarks: what ``ordergraph serve --network FILE`` does.

Used only when ``python -m ordergraph.cli serve`` itself fails to start (``_common.Server``
says so loudly). Same pieces as the CLI: the embedded engine, ``create_app`` with a bootstrap
that loads the network file through ``ordergraph.cli.load_into``, uvicorn with uvloop/httptools.

    python bench/_serve.py --port P --data-dir DIR --network FILE
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import uvicorn

from ordergraph.app import create_app
from ordergraph.cli import load_into
from ordergraph.connectors.network_file.parse import read_network_file
from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.store import GraphStore
from ordergraph.settings import Settings


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--network", required=True)
    args = p.parse_args()
    settings = Settings.from_env().with_(
        host=args.host, port=args.port, data_dir=Path(args.data_dir)
    )
    doc = read_network_file(args.network)

    async def bootstrap(store: GraphStore) -> None:
        counts = await load_into(store, doc)
        logging.getLogger("ordergraph").warning("loaded %s: %s", args.network, counts)

    engine = EmbeddedEngine(
        settings.data_dir, port=settings.engine_port, timeout_ms=settings.query_timeout_ms
    ).start()
    try:
        app = create_app(settings.with_(embedded_url=engine.url), bootstrap=bootstrap)
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            loop="auto",
            http="auto",
            lifespan="on",
        )
    finally:
        engine.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
