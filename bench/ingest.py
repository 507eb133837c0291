"""Benchmark channel ingestion over HTTP (``POST /ingest/shopify``) beside ``{ __typename }``.

One server (``python -m ordergraph.cli serve --network FILE``, default: the demo network, which
has the ``shopify`` channel) on a free loopback port with a temporary data directory and
``ORDERGRAPH_SHOPIFY_WEBHOOK_SECRET`` set. In alternating rounds with ``--workers`` concurrent
clients it sends:

* ``ingest``: signed Shopify ``orders/create`` webhooks (the fixture order of
  tests/fixtures/channels, each with a new id, 1 to ``--max-lines`` demo SKUs, shipped to a real
  ZIP code): verify the HMAC, parse, place the order (route, reserve, create), write the receipt;
* ``orderCreate``: the same orders through GraphQL (channel ``web``), the baseline without the
  webhook machinery;
* ``{ __typename }``: HTTP + GraphQL doing no work;

and prints each one's throughput, latency percentiles, and the ratios. Orders ingested per second
is the ``ingest`` row's req/s (each request is one order). A 200 answer with ``status`` placed (or
duplicate) counts; anything else is a failure, shown.

    python bench/ingest.py [--requests 2000] [--workers 8] [--max-lines 3]
    python bench/ingest.py --url http://127.0.0.1:8000 --key og_... --secret S   # a running server
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _common as c
import httpx
import orjson

FIXTURE = (
    Path(__file__).parents[1]
    / "tests"
    / "fixtures"
    / "channels"
    / "shopify_order_partially_refunded.json"
)
SECRET = "bench-shopify-secret"
MUTATION = """mutation Place($input: OrderCreateInput!) {
  orderCreate(input: $input) { order { id } userErrors { code message } } }"""

Request = tuple[str, bytes, dict[str, str]]  # path, body, headers
Check = Callable[[c.Sample, httpx.Response], None]


def shopify_orders(
    seed: int,
    max_lines: int,
    secret: str,
    sku_count: int = 300,
) -> Callable[[int], Request]:
    template = json.loads(FIXTURE.read_text(encoding="utf-8"))
    template["refunds"] = []
    item = template["line_items"][0]

    def make(i: int) -> Request:
        rng = random.Random(seed * 1_000_003 + i)
        skus = rng.sample(range(1, sku_count + 1), rng.randint(1, max_lines))
        order = {
            **template,
            "id": 9_000_000_000 + seed * 10_000_000 + i,
            "name": f"#B{i}",
            "currency": "USD",
        }
        order["line_items"] = [
            {
                **item,
                "id": 1_000 + n,
                "sku": f"SKU-{sku:05d}",
                "quantity": 1,
                "current_quantity": 1,
                "price": "10.00",
                "price_set": None,
                "discount_allocations": [],
                "tax_lines": [],
            }
            for n, sku in enumerate(skus)
        ]
        order["shipping_address"] = {
            **template["shipping_address"],
            "zip": rng.choice(c.POSTAL_CODES),
            "country_code": "US",
            "province_code": None,
            "country": "United States",
        }
        body = orjson.dumps(order)
        digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        return (
            "/ingest/shopify",
            body,
            {
                "content-type": "application/json",
                "x-shopify-topic": "orders/create",
                "x-shopify-hmac-sha256": base64.b64encode(digest).decode(),
            },
        )

    return make


def graphql_orders(
    seed: int,
    max_lines: int,
    key: str,
    sku_count: int = 300,
) -> Callable[[int], Request]:
    def make(i: int) -> Request:
        rng = random.Random(seed * 1_000_003 + i)
        skus = rng.sample(range(1, sku_count + 1), rng.randint(1, max_lines))
        body = orjson.dumps(
            {
                "query": MUTATION,
                "variables": {
                    "input": {
                        "channel": "web",
                        "externalId": f"bench-ingest-{seed}-{i}",
                        "lines": [{"sku": f"SKU-{n:05d}", "quantity": 1} for n in skus],
                        "shipTo": {"postalCode": rng.choice(c.POSTAL_CODES), "country": "US"},
                    }
                },
            }
        )
        return "/graphql", body, _auth(key)

    return make


def typename(key: str) -> Callable[[int], Request]:
    body = orjson.dumps({"query": c.TYPENAME})
    return lambda i: ("/graphql", body, _auth(key))


def _auth(key: str) -> dict[str, str]:
    return {"content-type": "application/json", "authorization": f"Bearer {key}"}


def check_ingest(sample: c.Sample, response: httpx.Response) -> None:
    if response.status_code == 404:
        raise RuntimeError(
            "POST /ingest/shopify is 404: the ingestion routes are not mounted "
            "in create_app yet (see ordergraph/http/ingest.py)"
        )
    body = response.json()
    if response.status_code != 200 or body.get("status") not in ("placed", "duplicate"):
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
    sample.count(body["status"])


def check_graphql(sample: c.Sample, response: httpx.Response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(orjson.dumps(body["errors"][:1]).decode()[:300])
    errors = (body.get("data") or {}).get("orderCreate", {}).get("userErrors") or []
    if errors:
        if errors[0]["code"] != "INSUFFICIENT_STOCK":
            raise RuntimeError(str(errors[0]))
        sample.count("INSUFFICIENT_STOCK")


async def drive(
    client: httpx.AsyncClient,
    base: str,
    sample: c.Sample,
    make: Callable[[int], Request],
    first: int,
    count: int,
    workers: int,
    check: Check,
) -> None:
    next_index = first

    async def worker() -> None:
        nonlocal next_index
        while next_index < first + count:
            i = next_index
            next_index += 1
            path, body, headers = make(i)
            t0 = time.perf_counter()
            try:
                response = await client.post(base + path, content=body, headers=headers)
                elapsed = time.perf_counter() - t0
                check(sample, response)
            except Exception as exc:
                sample.failures += 1
                sample.first_failure = sample.first_failure or f"{type(exc).__name__}: {exc}"
                continue
            sample.latencies.append(elapsed)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    sample.wall += time.perf_counter() - t0


async def run(base: str, key: str, secret: str, args: argparse.Namespace) -> list[c.Sample]:
    jobs = [
        (
            c.Sample("ingest (POST /ingest/shopify)"),
            shopify_orders(args.seed, args.max_lines, secret),
            check_ingest,
        ),
        (
            c.Sample("orderCreate (GraphQL)"),
            graphql_orders(args.seed, args.max_lines, key),
            check_graphql,
        ),
        (c.Sample("{ __typename }"), typename(key), check_graphql),
    ]
    per_round = max(1, args.requests // args.rounds)
    async with c.client(args.workers) as client:
        for _, make, check in jobs:  # warm-up, not measured
            await drive(
                client,
                base,
                c.Sample("warm-up"),
                make,
                10_000_000,
                args.workers * 2,
                args.workers,
                check,
            )
        for r in range(args.rounds):
            order = list(range(len(jobs)))
            order = order[r % len(jobs) :] + order[: r % len(jobs)]
            for j in order:
                sample, make, check = jobs[j]
                await drive(
                    client, base, sample, make, r * per_round, per_round, args.workers, check
                )
    return [sample for sample, _, _ in jobs]


def report(samples: list[c.Sample], args: argparse.Namespace, note: str) -> None:
    ingest, create, nothing = samples
    print(
        c.table(
            c.SAMPLE_HEADERS,
            c.sample_rows(samples),
            title=f"Ingestion over HTTP, {args.workers} concurrent clients, "
            f"{args.rounds} alternating rounds ({note})",
        )
    )
    print()
    print(f"orders ingested per second (POST /ingest/shopify): {ingest.rps:.1f}")
    print(f"  ingest / {{ __typename }} throughput:  {ingest.rps / nothing.rps:.3f}")
    print(f"  ingest / orderCreate throughput:     {ingest.rps / create.rps:.3f}")
    print(f"  ingest p50 / orderCreate p50:        {ingest.pct(50) / create.pct(50):.2f}")
    for sample in samples:
        if sample.counts:
            print(f"  {sample.name}: {sample.counts}")
        if sample.failures:
            print(f"  {sample.name}: {sample.failures} failed; first: {sample.first_failure}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--requests", type=int, default=2000, help="per kind of request")
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--max-lines", type=int, default=3)
    p.add_argument("--seed", type=int, default=int(time.time()) % 1000)
    p.add_argument("--network", help="network file (default: the demo network)")
    p.add_argument("--url", help="bench this running server instead of starting one")
    p.add_argument("--key", help="with --url: an API key that may use orderCreate on web")
    p.add_argument("--secret", default=SECRET, help="with --url: its Shopify webhook secret")
    args = p.parse_args()
    if args.url:
        samples = asyncio.run(run(args.url.rstrip("/"), args.key or "", args.secret, args))
        report(samples, args, f"server at {args.url}")
        return 1 if samples[0].failures else 0
    os.environ["ORDERGRAPH_SHOPIFY_WEBHOOK_SECRET"] = SECRET  # the server inherits it
    with tempfile.TemporaryDirectory(prefix="ordergraph-bench-") as tmp:
        network = Path(args.network) if args.network else c.demo_file(Path(tmp) / "demo.json")
        with c.servers(c.Server(network, name="server")) as (server,):
            server.wait_ready()
            samples = asyncio.run(run(server.url, server.key, SECRET, args))
            note = c.launch_note(server) if hasattr(c, "launch_note") else "ordergraph serve"
            report(samples, args, note)
    return 1 if samples[0].failures else 0


if __name__ == "__main__":
    sys.exit(main())
