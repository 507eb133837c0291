"""Benchmark the GraphQL ``availability`` query, beside ``{ __typename }`` on the same server.

Phase 1, the default demo network (51 locations, 300 SKUs): ``availability`` of
``--skus`` random SKUs (SKU-00001..SKU-00300) near a real ZIP code, against ``{ __typename }``
(the cost of HTTP + GraphQL with no work), in alternating rounds; prints the ratio of their
throughputs.

Phase 2 (unless ``--skip-large``), the large demo network (1,000 locations, 50,000 SKUs, about a
million stock rows) loaded into a second server: ``availability`` on the large network
(SKU-00001..SKU-50000) against ``availability`` on the default one, in alternating rounds, with
``{ __typename }`` on the large server as its baseline; prints the per-request latency ratio
large/default (target: at most 1.5x).

Each server is ``python -m ordergraph.cli serve --network FILE`` on a free loopback port with a
temporary data directory, stopped with SIGTERM at the end (also on error or Ctrl-C).

    python bench/availability.py [--requests 2000] [--workers 8] [--skip-large]
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

QUERY = """query Availability($skus: [ID!]!, $postalCode: String!) {
  availability(skus: $skus, near: {postalCode: $postalCode}) {
    sku
    available
    locations { location { id } available distanceKm }
  }
}"""
TARGET = 1.5  # large/default latency ratio the product aims for


def availability_payloads(
    seed: int, sku_count: int, per_request: int, distinct: int = 0
) -> c.Payloads:
    """Random SKUs near a random ZIP; ``distinct`` > 0: one of that many such queries, in
    turn (a hot set, as product pages repeat), else a new one each time."""

    def make(i: int) -> dict[str, Any]:
        rng = random.Random(seed * 1_000_003 + (i % distinct if distinct > 0 else i))
        skus = [f"SKU-{n:05d}" for n in rng.sample(range(1, sku_count + 1), per_request)]
        return {
            "query": QUERY,
            "variables": {"skus": skus, "postalCode": rng.choice(c.POSTAL_CODES)},
        }

    return make


def typename_payload(i: int) -> dict[str, Any]:
    return {"query": c.TYPENAME}


def check_availability(per_request: int) -> c.Check:
    def check(sample: c.Sample, body: dict[str, Any]) -> None:
        c.graphql_ok(sample, body)
        answer = body["data"]["availability"]
        if len(answer) != per_request:
            raise RuntimeError(f"{len(answer)} SKUs answered, {per_request} asked")
        sample.counts["rows"] = sample.counts.get("rows", 0) + sum(
            len(a["locations"]) for a in answer
        )

    return check


async def warm(
    client: Any, jobs: list[tuple[c.Server, c.Sample, Any, Any]], n: int, workers: int
) -> None:
    for server, sample, make, check in jobs:
        scratch = c.Sample(sample.name)
        await c.drive(client, server, scratch, c.shifted(make, 10_000_000), n, workers, check)
        if scratch.failures:
            raise RuntimeError(f"warm-up of {sample.name} failed: {scratch.first_failure}")


def rows_per_request(sample: c.Sample) -> str:
    return f"{sample.counts.get('rows', 0) / max(1, len(sample.latencies)):.1f}"


async def phase_default(args: argparse.Namespace, server: c.Server) -> tuple[c.Sample, c.Sample]:
    avail = c.Sample("availability (default)")
    typename = c.Sample("{ __typename }")
    jobs = [
        (server, typename, typename_payload, c.graphql_ok),
        (
            server,
            avail,
            availability_payloads(args.seed, 300, args.skus, args.distinct),
            check_availability(args.skus),
        ),
    ]
    async with c.client(args.workers) as client:
        await warm(client, jobs, args.warmup, args.workers)
        t0 = time.monotonic()
        await c.alternate(
            client, jobs, requests=args.requests, rounds=args.rounds, workers=args.workers
        )
        c.log(f"[bench] phase 1 measured in {time.monotonic() - t0:.1f}s")
    return avail, typename


async def phase_large(
    args: argparse.Namespace, default: c.Server, large: c.Server
) -> tuple[c.Sample, c.Sample, c.Sample]:
    on_default = c.Sample("availability (default)")
    on_large = c.Sample("availability (large)")
    typename = c.Sample("{ __typename } (large)")
    jobs = [
        (
            default,
            on_default,
            availability_payloads(args.seed + 1, 300, args.skus, args.distinct),
            check_availability(args.skus),
        ),
        (
            large,
            on_large,
            availability_payloads(args.seed + 1, 50_000, args.skus, args.distinct),
            check_availability(args.skus),
        ),
        (large, typename, typename_payload, c.graphql_ok),
    ]
    async with c.client(args.workers) as client:
        await warm(client, jobs, args.warmup, args.workers)
        t0 = time.monotonic()
        await c.alternate(
            client, jobs, requests=args.requests, rounds=args.rounds, workers=args.workers
        )
        c.log(f"[bench] phase 2 measured in {time.monotonic() - t0:.1f}s")
    return on_default, on_large, typename


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--requests", type=int, default=2000, help="requests of each kind per phase (default 2000)"
    )
    p.add_argument("--workers", type=int, default=8, help="concurrent clients (default 8)")
    p.add_argument(
        "--rounds",
        type=int,
        default=10,
        help="alternating rounds the requests are split into (default 10)",
    )
    p.add_argument("--skus", type=int, default=10, help="SKUs per availability query (default 10)")
    p.add_argument("--warmup", type=int, default=50, help="unmeasured requests of each kind first")
    p.add_argument("--seed", type=int, default=1, help="seed of the SKU and ZIP choices")
    p.add_argument(
        "--distinct",
        type=int,
        default=0,
        help="cycle through this many distinct availability queries, as product pages repeat "
        "(default 0: every query new, so no answer is ever kept)",
    )
    p.add_argument("--skip-large", action="store_true", help="only the default network")
    p.add_argument("--network", type=Path, help="default network file (default: generate it)")
    p.add_argument(
        "--large-network",
        type=Path,
        help="large network file (default: generate it with --size large)",
    )
    p.add_argument(
        "--load-timeout",
        type=float,
        default=1800.0,
        help="seconds to wait for a server to load its network (default 1800)",
    )
    c.add_server_workers(p)
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ordergraph-bench-") as tmp:
        default_file = args.network or c.demo_file(Path(tmp) / "default.json")
        default = c.Server(
            default_file,
            "default server",
            ready_timeout_s=args.load_timeout,
            server_workers=args.server_workers,
        )
        results: list[str] = []
        with c.servers(default):
            default.wait_ready()
            c.log(
                f"[bench] phase 1: {args.requests} x availability and {{ __typename }}, "
                f"{args.workers} workers, {args.rounds} alternating rounds"
            )
            avail, typename = asyncio.run(phase_default(args, default))
            ratio = avail.rps / typename.rps
            results.append(
                c.table(
                    (*c.SAMPLE_HEADERS, "rows/req"),
                    [
                        [*row, rows_per_request(s) if s is avail else ""]
                        for row, s in zip(
                            c.sample_rows([typename, avail]), [typename, avail], strict=True
                        )
                    ],
                    title=f"Phase 1: default network, {args.skus} SKUs per availability query, "
                    f"{args.workers} workers (network loaded in {default.load_seconds:.1f}s)",
                )
            )
            results.append(
                f"availability rps / typename rps = {ratio:.3f}  "
                f"(availability p50 = {avail.pct(50) / typename.pct(50):.1f}x typename p50)"
            )
            for s in (avail, typename):
                if s.failures:
                    results.append(f"  {s.name}: first failure: {s.first_failure}")
            results.append(c.memory_note(default))

            if not args.skip_large:
                large_file = args.large_network or c.demo_file(Path(tmp) / "large.json", "large")
                large = c.Server(
                    large_file,
                    "large server",
                    ready_timeout_s=args.load_timeout,
                    server_workers=args.server_workers,
                )
                with c.servers(large):
                    c.log(
                        "[bench] loading the large network (1M stock rows); "
                        "use --skip-large to skip"
                    )
                    large.wait_ready()
                    c.log(
                        f"[bench] phase 2: availability default vs large, "
                        f"{args.requests} each, alternating"
                    )
                    on_default, on_large, typename_l = asyncio.run(
                        phase_large(args, default, large)
                    )
                    large_memory = c.memory_note(large)
                samples = [on_default, on_large, typename_l]
                results.append("")
                results.append(
                    c.table(
                        (*c.SAMPLE_HEADERS, "rows/req"),
                        [
                            [*row, rows_per_request(s) if s is not typename_l else ""]
                            for row, s in zip(c.sample_rows(samples), samples, strict=True)
                        ],
                        title=f"Phase 2: availability, large network (loaded in "
                        f"{large.load_seconds:.1f}s) vs default, alternating rounds",
                    )
                )
                p50 = on_large.pct(50) / on_default.pct(50)
                p99 = on_large.pct(99) / on_default.pct(99)
                mean = on_default.rps / on_large.rps
                verdict = "meets" if p50 <= TARGET else "MISSES"
                results.append(
                    f"latency large/default: p50 {p50:.2f}x, p99 {p99:.2f}x, "
                    f"per-request (1/rps) {mean:.2f}x -> {verdict} the {TARGET}x target (p50)"
                )
                for s in samples:
                    if s.failures:
                        results.append(f"  {s.name}: first failure: {s.first_failure}")
                results.append(large_memory)
        results.append(c.launch_note(default))
        print("\n" + "\n".join(results))
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
