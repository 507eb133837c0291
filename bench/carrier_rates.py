"""Benchmark ``place_order`` with live carrier rates from a local rate server, beside the lane
table alone (issue #17: p99 within the deadline plus 10 ms with a rate server answering in
50 ms).

An embedded FalkorDB with the demo network, and a local HTTP server on a free loopback port
that answers EasyPost's ``POST /v2/shipments`` after ``--delay-ms`` (and a second one that never
answers within the deadline, to show a slow carrier costs no more than the deadline). Places
``--orders`` orders sequentially in alternating rounds: lane table only, then with live rates;
prints p50/p99 of each, the p99 against deadline + 10 ms, and the ratio.

    python bench/carrier_rates.py [--orders 200] [--delay-ms 50] [--deadline-ms 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson

from ordergraph.connectors.carriers.easypost import EasyPost
from ordergraph.domain.errors import OrderGraphError
from ordergraph.domain.orders import Address, OrderLine, OrderRequest
from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.carrier_rates import RateShopper
from ordergraph.services.network import load_network
from ordergraph.services.orders import place_order
from ordergraph.tools.demo.network import generate_network

POSTAL_CODES = ("94107", "10001", "60601", "75201", "30301", "98101")


def rate_server(delay_s: float) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(delay_s)
            sid = f"shp_{random.getrandbits(48):x}"
            body = orjson.dumps(
                {
                    "id": sid,
                    "object": "Shipment",
                    "messages": [],
                    "rates": [
                        {
                            "id": f"rate_{sid}",
                            "object": "Rate",
                            "carrier": "USPS",
                            "service": "Priority",
                            "rate": "5.10",
                            "currency": "USD",
                            "delivery_days": 2,
                            "shipment_id": sid,
                        }
                    ],
                }
            )
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v2"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = EmbeddedEngine(Path(tmp)).start()
        fast, fast_url = rate_server(args.delay_ms / 1000)
        slow, slow_url = rate_server(10.0)
        try:
            store = FalkorStore(engine.url, "bench-carriers")
            await store.migrate()
            await load_network(store, generate_network())
            carriers = {"fast": EasyPost("k", base_url=fast_url, name="fast")}
            if args.slow:
                carriers["slow"] = EasyPost("k", base_url=slow_url, name="slow")
            shopper = RateShopper(
                carriers,
                deadline_s=args.deadline_ms / 1000,
                ttl_s=0.0,  # every order asks the rate server: no cache help
            )
            rng = random.Random(7)
            timings: dict[str, list[float]] = {"table": [], "live": []}
            for i in range(args.orders):
                for mode in ("table", "live"):
                    request = OrderRequest(
                        channel="web",
                        lines=(OrderLine(f"SKU-{rng.randint(1, 300):05d}", 1),),
                        ship_to=Address(rng.choice(POSTAL_CODES), "US"),
                        placed_at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
                        external_id=f"{mode}-{i}",
                    )
                    started = time.perf_counter()
                    with contextlib.suppress(OrderGraphError):  # out of stock: still placed
                        await place_order(store, request, rates=shopper if mode == "live" else None)
                    timings[mode].append((time.perf_counter() - started) * 1000)
            await store.drop()
            await store.close()
        finally:
            fast.shutdown()
            slow.shutdown()
            engine.stop()
    bound = args.deadline_ms + 10
    for mode, values in timings.items():
        print(f"{mode:5}  p50 {pct(values, 0.5):7.1f} ms  p99 {pct(values, 0.99):7.1f} ms")
    p99 = pct(timings["live"], 0.99)
    print(
        f"live p99 {p99:.1f} ms vs deadline + 10 ms = {bound} ms: "
        f"{'within' if p99 <= bound else 'OVER'}"
    )
    print(f"ratio live/table p50: {pct(timings['live'], 0.5) / pct(timings['table'], 0.5):.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--deadline-ms", type=float, default=300.0)
    parser.add_argument("--slow", action="store_true", help="add a carrier that never answers")
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
