"""Benchmark ``orderCreate`` over HTTP with concurrent clients, beside ``{ __typename }``.

One server (``python -m ordergraph.cli serve --network FILE``, default demo network: 51
locations, 300 SKUs, finite stock) on a free loopback port with a temporary data directory.
``--requests`` orders (1 to ``--max-lines`` distinct random SKUs, quantity 1 each, shipped to a
real ZIP code) and as many ``{ __typename }`` requests, in alternating rounds with ``--workers``
concurrent clients; prints both and the ratio of their throughputs.

Every order route, reserves and creates in the graph (one read, the pure routing call, one
conditional write). A ``userErrors`` answer of ``INSUFFICIENT_STOCK`` is a correct answer, counted
apart, not a failure; any other user error or GraphQL error is a failure.

    python bench/orders.py [--requests 2000] [--workers 8] [--max-lines 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common as c

MUTATION = """mutation Place($input: OrderCreateInput!) {
  orderCreate(input: $input) {
    order { id status promisedBy shippingCost fulfillments { id } }
    userErrors { code message field }
  }
}"""


def order_payloads(seed: int, max_lines: int, sku_count: int = 300) -> c.Payloads:
    def make(i: int) -> dict[str, Any]:
        rng = random.Random(seed * 1_000_003 + i)
        skus = rng.sample(range(1, sku_count + 1), rng.randint(1, max_lines))
        return {
            "query": MUTATION,
            "variables": {
                "input": {
                    "channel": "web",
                    "externalId": f"bench-{seed}-{i}",
                    "lines": [{"sku": f"SKU-{n:05d}", "quantity": 1} for n in skus],
                    "shipTo": {"postalCode": rng.choice(c.POSTAL_CODES), "country": "US"},
                }
            },
        }

    return make


def check_order(sample: c.Sample, body: dict[str, Any]) -> None:
    c.graphql_ok(sample, body)
    answer = body["data"]["orderCreate"]
    errors = answer["userErrors"]
    if errors:
        codes = sorted({e["code"] for e in errors})
        if codes == ["INSUFFICIENT_STOCK"]:
            sample.count("userError INSUFFICIENT_STOCK")
            return
        raise RuntimeError(f"userErrors {codes}: {errors[0]['message']}")
    order = answer["order"]
    if order is None:
        raise RuntimeError("no order and no userErrors")
    sample.count(f"order {order['status']}")
    sample.counts["fulfillments"] = sample.counts.get("fulfillments", 0) + len(
        order["fulfillments"]
    )


def typename_payload(i: int) -> dict[str, Any]:
    return {"query": c.TYPENAME}


async def measure(args: argparse.Namespace, server: c.Server) -> tuple[c.Sample, c.Sample]:
    orders = c.Sample("orderCreate")
    typename = c.Sample("{ __typename }")
    jobs = [
        (server, typename, typename_payload, c.graphql_ok),
        (server, orders, order_payloads(args.seed, args.max_lines), check_order),
    ]
    async with c.client(args.workers) as client:
        for srv, sample, make, check in jobs:  # warm-up, not measured (other external ids)
            scratch = c.Sample(sample.name)
            await c.drive(
                client, srv, scratch, c.shifted(make, 50_000_000), args.warmup, args.workers, check
            )
            if scratch.failures:
                raise RuntimeError(f"warm-up of {sample.name} failed: {scratch.first_failure}")
        t0 = time.monotonic()
        await c.alternate(
            client, jobs, requests=args.requests, rounds=args.rounds, workers=args.workers
        )
        c.log(f"[bench] measured in {time.monotonic() - t0:.1f}s")
    return orders, typename


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--requests",
        type=int,
        default=2000,
        help="orders, and as many { __typename } requests (default 2000)",
    )
    p.add_argument("--workers", type=int, default=8, help="concurrent clients (default 8)")
    p.add_argument(
        "--rounds",
        type=int,
        default=10,
        help="alternating rounds the requests are split into (default 10)",
    )
    p.add_argument(
        "--max-lines",
        type=int,
        default=3,
        help="lines per order: 1 to this many distinct SKUs (default 3)",
    )
    p.add_argument("--warmup", type=int, default=40, help="unmeasured requests of each kind first")
    p.add_argument("--seed", type=int, default=1, help="seed of the SKU and ZIP choices")
    p.add_argument("--network", type=Path, help="network file (default: generate the demo)")
    c.add_server_workers(p)
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ordergraph-bench-") as tmp:
        network = args.network or c.demo_file(Path(tmp) / "default.json")
        server = c.Server(network, "server", server_workers=args.server_workers)
        with c.servers(server):
            server.wait_ready()
            c.log(
                f"[bench] {args.requests} x orderCreate and {{ __typename }}, "
                f"{args.workers} workers, {args.rounds} alternating rounds"
            )
            orders, typename = asyncio.run(measure(args, server))
    answered = len(orders.latencies)
    print()
    print(
        c.table(
            c.SAMPLE_HEADERS,
            c.sample_rows([typename, orders]),
            title=f"orderCreate (1-{args.max_lines} lines of quantity 1) vs {{ __typename }}, "
            f"default network, {args.workers} workers, alternating rounds",
        )
    )
    print(
        f"orderCreate rps / typename rps = {orders.rps / typename.rps:.3f}  "
        f"(orderCreate p50 = {orders.pct(50) / typename.pct(50):.1f}x typename p50)"
    )
    outcomes = {k: v for k, v in sorted(orders.counts.items()) if k != "fulfillments"}
    print(
        "orderCreate outcomes: "
        + ", ".join(f"{k}: {v}" for k, v in outcomes.items())
        + f"; {orders.counts.get('fulfillments', 0) / max(1, answered):.2f} "
        "fulfillments per order"
    )
    for s in (orders, typename):
        if s.failures:
            print(f"  {s.name}: {s.failures} failed; first: {s.first_failure}")
    print(c.launch_note(server))
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
