"""Benchmark channel available-to-promise: ``availability(channel:)`` with channel rules against the
same query without a channel, on one server, in alternating rounds (issue #12's target: the
channel query costs at most 1.2x the one without rules).

The network is the demo network (51 locations, 300 SKUs) with the rules of DOMAIN.md's "Channel
available-to-promise" added: ``amazon`` sells only from warehouses with a buffer of 2 units and
80% of shared stock, ``b2b`` has 100 units protected at every warehouse for the first 100 SKUs, and
``web`` has no rules. Each ``availability`` asks ``--skus`` random SKUs near a real ZIP code, the
channel query for ``amazon`` (so every position pays for sourcing, protection of b2b's units,
share and buffer). ``{ __typename }`` on the same server is the floor.

    python bench/channel_atp.py [--requests 2000] [--workers 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common as c

QUERY = """query Availability($skus: [ID!]!, $postalCode: String!, $channel: ID) {
  availability(skus: $skus, near: {postalCode: $postalCode}, channel: $channel) {
    sku
    available
    locations { location { id } available distanceKm }
  }
}"""
TARGET = 1.2  # channel / no-channel per-request time


def with_channel_rules(path: Path) -> Path:
    """The demo network file with channel sourcing rules and protected stock added."""
    network = json.loads(path.read_text())
    rules = {
        "amazon": {
            "sourcing": {"locations": None, "kinds": ["WAREHOUSE"], "excludeTags": []},
            "bufferUnits": 2,
            "sharePercent": 80,
        },
        "b2b": {"sellInbound": False},
    }
    for channel in network["channels"]:
        channel.update(rules.get(channel["id"], {}))
    warehouses = [loc["id"] for loc in network["locations"] if loc["kind"] == "WAREHOUSE"]
    network["stockProtections"] = [
        {"location": loc, "sku": f"SKU-{n:05d}", "channel": "b2b", "quantity": 100}
        for loc in warehouses
        for n in range(1, 101)
    ]
    out = path.with_name("channel-rules.json")
    out.write_text(json.dumps(network))
    c.log(
        f"[bench] channel rules: amazon (warehouses, buffer 2, share 80%), "
        f"{len(network['stockProtections'])} b2b protections"
    )
    return out


def payloads(seed: int, per_request: int, channel: str | None) -> c.Payloads:
    def make(i: int) -> dict[str, Any]:
        rng = random.Random(seed * 1_000_003 + i)
        skus = [f"SKU-{n:05d}" for n in rng.sample(range(1, 301), per_request)]
        variables = {"skus": skus, "postalCode": rng.choice(c.POSTAL_CODES), "channel": channel}
        return {"query": QUERY, "variables": variables}

    return make


def typename_payload(i: int) -> dict[str, Any]:
    return {"query": c.TYPENAME}


def check(per_request: int) -> c.Check:
    def checked(sample: c.Sample, body: dict[str, Any]) -> None:
        c.graphql_ok(sample, body)
        answer = body["data"]["availability"]
        if len(answer) != per_request:
            raise RuntimeError(f"{len(answer)} SKUs answered, {per_request} asked")

    return checked


async def measure(
    args: argparse.Namespace, server: c.Server
) -> tuple[c.Sample, c.Sample, c.Sample]:
    plain = c.Sample("availability (no channel)")
    ruled = c.Sample("availability (amazon)")
    typename = c.Sample("{ __typename }")
    jobs = [
        (server, typename, typename_payload, c.graphql_ok),
        (server, plain, payloads(args.seed, args.skus, None), check(args.skus)),
        (server, ruled, payloads(args.seed, args.skus, "amazon"), check(args.skus)),
    ]
    async with c.client(args.workers) as client:
        for srv, sample, make, checker in jobs:
            scratch = c.Sample(sample.name)
            await c.drive(client, srv, scratch, c.shifted(make, 10_000_000), 50, 8, checker)
            if scratch.failures:
                raise RuntimeError(f"warm-up of {sample.name} failed: {scratch.first_failure}")
        t0 = time.monotonic()
        await c.alternate(
            client, jobs, requests=args.requests, rounds=args.rounds, workers=args.workers
        )
        c.log(f"[bench] measured in {time.monotonic() - t0:.1f}s")
    return plain, ruled, typename


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--requests", type=int, default=2000, help="requests of each kind")
    p.add_argument("--workers", type=int, default=8, help="concurrent clients (default 8)")
    p.add_argument("--rounds", type=int, default=10, help="alternating rounds (default 10)")
    p.add_argument("--skus", type=int, default=10, help="SKUs per availability query")
    p.add_argument("--seed", type=int, default=1, help="seed of the SKU and ZIP choices")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ordergraph-bench-") as tmp:
        network = with_channel_rules(c.demo_file(Path(tmp) / "default.json"))
        server = c.Server(network, "server")
        with c.servers(server):
            server.wait_ready()
            server.key = server.create_key(channel="amazon")  # a key that may act for amazon
            c.log(
                f"[bench] {args.requests} x availability without a channel, with amazon, and "
                f"{{ __typename }}, {args.workers} workers, {args.rounds} alternating rounds"
            )
            plain, ruled, typename = asyncio.run(measure(args, server))
        samples = [typename, plain, ruled]
        lines = [
            c.table(
                c.SAMPLE_HEADERS,
                c.sample_rows(samples),
                title=f"availability of {args.skus} SKUs near a ZIP, demo network with channel "
                f"rules, {args.workers} workers",
            )
        ]
        per_request = plain.rps / ruled.rps
        verdict = "meets" if per_request <= TARGET else "MISSES"
        lines.append(
            f"per-request time amazon/no channel = {per_request:.2f}x "
            f"(p50 {ruled.pct(50) / plain.pct(50):.2f}x) -> {verdict} the {TARGET}x target; "
            f"no channel rps / typename rps = {plain.rps / typename.rps:.3f}"
        )
        for s in samples:
            if s.failures:
                lines.append(f"  {s.name}: first failure: {s.first_failure}")
        lines.append(c.launch_note(server))
        print("\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
