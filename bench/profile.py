"""Where the time of one request goes: ``availability`` and ``orderCreate`` profiled end to end.

In process (the real app over httpx's ASGI transport, so no uvicorn socket), API keys on,
production settings, the demo network in an embedded engine. Requests run one at a time, each
profiled by pyinstrument (async mode: the time a coroutine waits on the engine's socket is
counted where it waits). Every sample's time goes to the innermost frame of a known layer:

* HTTP: starlette, httpx's transport, strawberry's HTTP view, ``ordergraph/http`` (not below);
* auth/budget: the key check (``http/gateway``, ``services/apikeys``), ``schema/access``,
  ``services/budgets``;
* guard/parse/validate: ``schema/guard``, ``schema/cost``, graphql-core's lexer, parser,
  validation and variable coercion;
* GraphQL execution: graphql-core's executor and strawberry's field machinery (per field);
* resolver: ``resolvers/``, ``services/``, ``domain/``, ``schema/`` types (building the answer);
* graph: ``graph/`` (statements, records) and falkordb-py ("graph round trip"), falkordb-py's
  decoding of result sets (``query_result.py``), redis-py's protocol and the socket writes, and
  the time awaiting the engine's answer ("graph: waiting on the engine");
* serialisation: orjson and json, strawberry's result processing.

    python bench/profile.py [--requests 200] [--html DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common as c
import httpx
from availability import availability_payloads
from orders import order_payloads
from pyinstrument import Profiler
from pyinstrument.frame import AWAIT_FRAME_IDENTIFIER

from ordergraph.app import create_app
from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.apikeys import create_key
from ordergraph.services.network import load_network
from ordergraph.settings import Settings
from ordergraph.tools.demo.network import generate_network

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("graph: falkordb-py result parsing", ("falkordb/asyncio/query_result.py",)),
    ("graph: redis protocol", ("/redis/", "/hiredis")),
    ("graph round trip", ("ordergraph/graph/", "/falkordb/")),
    (
        "guard/parse/validate",
        (
            "ordergraph/schema/guard.py",
            "ordergraph/schema/cost.py",
            "graphql/language/",
            "graphql/validation/",
            "graphql/execution/values.py",
            "graphql/utilities/",
            "strawberry/extensions/max_tokens",
        ),
    ),
    (
        "auth/budget",
        (
            "ordergraph/http/gateway.py",
            "ordergraph/services/apikeys.py",
            "ordergraph/schema/access.py",
            "ordergraph/services/budgets.py",
            "ordergraph/domain/access.py",
        ),
    ),
    ("serialisation", ("/orjson", "/json/", "strawberry/http/__init__.py")),
    (
        "resolver",
        (
            "ordergraph/resolvers/",
            "ordergraph/services/",
            "ordergraph/domain/",
            "ordergraph/schema/",
        ),
    ),
    (
        "GraphQL execution",
        (
            "graphql/execution/",
            "graphql/pyutils/",
            "graphql/type/",
            "strawberry/schema/",
            "strawberry/types/",
            "strawberry/extensions/",
            "strawberry/utils/",
        ),
    ),
    (
        "HTTP",
        (
            "/starlette/",
            "/httpx/",
            "/httpcore/",
            "/anyio/",
            "ordergraph/http/",
            "strawberry/asgi/",
            "strawberry/http/",
            "/cross_web/",
        ),
    ),
]


def layer_of(path: str) -> str | None:
    path = path.replace("\\", "/")
    for name, parts in LAYERS:
        if any(part in path for part in parts):
            return name
    return None


def breakdown(profiler: Profiler) -> dict[str, float]:
    """Seconds per layer: each frame's own time to the innermost frame with a layer above it."""
    totals: collections.Counter[str] = collections.Counter()
    session = profiler.last_session
    assert session is not None
    root = session.root_frame()
    if root is None:
        return {}

    def walk(frame: Any, inherited: str) -> None:
        here = layer_of(frame.file_path or "") or inherited
        if frame.identifier == AWAIT_FRAME_IDENTIFIER:  # a coroutine waiting (on a socket)
            graph = here.startswith("graph")
            here = "graph: waiting on the engine" if graph else here + " (wait)"
        elif here.startswith("graph") and frame.function in ("send", "sendall"):
            here = "graph: redis protocol"  # the socket write, a builtin under redis-py
        own = frame.time - sum(child.time for child in frame.children)
        totals[here] += max(own, 0.0)
        for child in frame.children:
            walk(child, here)

    walk(root, "other (event loop, test driver)")
    return dict(totals)


async def profile(requests: int, html: Path | None) -> list[str]:
    tmp = Path(tempfile.mkdtemp(prefix="ordergraph-profile-"))
    engine = EmbeddedEngine(tmp / "data").start()
    store = FalkorStore(engine.url, "ordergraph")
    lines: list[str] = []
    try:
        await store.migrate()
        started = time.monotonic()
        await load_network(store, generate_network(seed=7, size="default"))
        c.log(f"[profile] demo network loaded in {time.monotonic() - started:.1f}s")
        settings = Settings(env="production", cost_bucket=10**9, cost_restore_per_second=10**9)
        app = create_app(settings, store=store)
        key, _ = await create_key(store, "bench shop", "storefront", channels=["web"])
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://ordergraph.test",
            headers={"Authorization": f"Bearer {key}"},
        ) as http:
            kinds = {
                "availability (10 SKUs near a ZIP)": availability_payloads(1, 300, 10),
                "orderCreate (1-3 lines)": order_payloads(1, 3),
            }
            for name, payload in kinds.items():
                for i in range(30):  # warm: keys cached, documents parsed, leases taken
                    (await http.post("/graphql", json=payload(10_000 + i))).raise_for_status()
                profiler = Profiler(interval=0.0002, async_mode="enabled")
                wall = 0.0
                with profiler:
                    for i in range(requests):
                        t0 = time.perf_counter()
                        response = await http.post("/graphql", json=payload(i))
                        wall += time.perf_counter() - t0
                        body = response.json()
                        assert response.status_code == 200 and "errors" not in body, body
                totals = breakdown(profiler)
                whole = sum(totals.values()) or 1.0
                lines.append(
                    f"{name}: {requests} requests one at a time, {wall / requests * 1000:.2f} ms "
                    "each (in process, profiled)"
                )
                for layer, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
                    lines.append(
                        f"  {layer:<34} {seconds / whole * 100:5.1f}%  "
                        f"{seconds / requests * 1000:6.2f} ms"
                    )
                if html is not None:
                    html.mkdir(parents=True, exist_ok=True)
                    out = html / (name.split()[0] + ".html")
                    out.write_text(profiler.output_html())
                    lines.append(f"  (profile: {out})")
    finally:
        await store.close()
        engine.stop()
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--requests", type=int, default=200, help="profiled requests of each kind")
    p.add_argument("--html", type=Path, help="write pyinstrument's HTML profiles here")
    args = p.parse_args(argv)
    for line in asyncio.run(profile(args.requests, args.html)):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
