"""Benchmark the routing engine in process: ``route(...)`` alone, and its plans against a baseline.

No HTTP server. The default demo network is loaded into a real embedded FalkorDB
(``EmbeddedEngine`` + ``FalkorStore`` + ``services.network.load_network``) in a temporary data
directory. Then, for ``--orders`` seeded random orders of 1 to 10 lines (distinct SKUs, 1 to
``--max-quantity`` units each) shipped to real ZIP codes of random ZIP3 regions of the network:

1. ``services.orders.read_situation`` reads the candidates (one graph read, not timed);
2. ``domain.routing.engine.route`` under the order's policy (the channel's, else CHEAPEST) is timed
   alone, and so is ``greedy_nearest`` (each line from the nearest location holding it) on the same
   candidates, side by side;
3. the plans' total shipping costs are compared.

Prints p50/p99 of ``route`` by line count with its ratio to ``greedy_nearest``, the total cost
of both, the saving in percent, and how many plans ``route`` proved exact.

    python bench/routing.py [--orders 600] [--seed 1] [--max-seconds 240]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _common as c

from ordergraph.domain.orders import Address, OrderLine, OrderRequest, check_request
from ordergraph.domain.routing.engine import greedy_nearest, route
from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services.network import load_network, read_network_file
from ordergraph.services.orders import policy_for, read_situation, routing_request

# A fixed Tuesday afternoon (UTC), so that ship days and promises are the same on every run.
PLACED_AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


_ZIPS_SCRIPT = """
import collections, json, sys, zipcodes
by_prefix = collections.defaultdict(list)
for record in zipcodes.list_all():
    if record.get("country") == "US" and record.get("active", True):
        by_prefix[record["zip_code"][:3]].append(record["zip_code"])
json.dump({k: sorted(v) for k, v in by_prefix.items()}, sys.stdout)
"""


def zips_by_region(doc: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(region id, its real ZIP codes) for each ZIP3 region of the network.

    The ZIP list (``zipcodes``, 42,000 records) is read in a child process: kept in this one it
    would add 170,000 objects to every full garbage collection and distort the timings.
    """
    done = subprocess.run(
        [sys.executable, "-c", _ZIPS_SCRIPT], check=True, capture_output=True, text=True
    )
    by_prefix: dict[str, list[str]] = json.loads(done.stdout)
    regions = []
    for region in doc["regions"]:
        prefix = str(region.get("postalPrefix") or "")
        if region.get("country") == "US" and len(prefix) == 3 and by_prefix.get(prefix):
            regions.append((region["id"], by_prefix[prefix]))
    return regions


def make_orders(
    n: int, seed: int, skus: list[str], regions: list[tuple[str, list[str]]], max_quantity: int
) -> list[tuple[OrderRequest, str]]:
    rng = random.Random(seed)
    orders = []
    for i in range(n):
        lines = rng.randint(1, 10)
        region, zips = rng.choice(regions)
        request = OrderRequest(
            channel="web",
            lines=tuple(
                OrderLine(sku, rng.randint(1, max_quantity)) for sku in rng.sample(skus, lines)
            ),
            ship_to=Address(postal_code=rng.choice(zips), country="US"),
            placed_at=PLACED_AT + timedelta(minutes=i % 240),
        )
        orders.append((check_request(request, now=PLACED_AT), region))
    return orders


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - t0


async def run(args: argparse.Namespace, network: Path, data_dir: Path) -> list[str]:
    doc = read_network_file(str(network))
    assert isinstance(doc, dict)
    engine = EmbeddedEngine(data_dir).start()
    store = FalkorStore(engine.url, "ordergraph")
    try:
        await store.migrate()
        t0 = time.monotonic()
        await load_network(store, doc)
        c.log(
            f"[bench] loaded {network.name} into the embedded engine in "
            f"{time.monotonic() - t0:.1f}s"
        )
        skus = sorted(s["id"] for s in doc["skus"])
        regions = zips_by_region(doc)
        orders = make_orders(args.orders, args.seed, skus, regions, args.max_quantity)

        by_lines: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        totals = {"route": 0.0, "greedy": 0.0}
        compared = better = equal = worse = exact = infeasible = unequal_units = 0
        read_time = 0.0
        deadline = time.monotonic() + args.max_seconds
        done = 0
        gc.collect()
        for request, _region in orders:
            if time.monotonic() > deadline:
                c.log(f"[bench] --max-seconds reached after {done} orders")
                break
            t0 = time.perf_counter()
            situation = await read_situation(store, request)
            t_read = time.perf_counter() - t0
            read_time += t_read
            rr = routing_request(request, situation)
            policy = policy_for(request.policy, situation.channel)
            # Alternate which goes first so that cache and clock effects fall on both.
            if done % 2:
                plan, t_route = timed(route, rr, situation.candidates, policy)
                base, t_greedy = timed(greedy_nearest, rr, situation.candidates)
            else:
                base, t_greedy = timed(greedy_nearest, rr, situation.candidates)
                plan, t_route = timed(route, rr, situation.candidates, policy)
            n = len(rr.lines)
            by_lines[n]["route"].append(t_route)
            by_lines[n]["greedy"].append(t_greedy)
            by_lines[n]["read"].append(t_read)
            exact += plan.exact
            by_lines[n]["exact"].append(float(plan.exact))
            done += 1
            if not plan.allocatable or not base.allocatable:
                infeasible += 1
                continue
            if plan.allocated != base.allocated:
                unequal_units += 1  # never expected: both allocate what eligible stock allows
                continue
            compared += 1
            totals["route"] += plan.total_cost
            totals["greedy"] += base.total_cost
            delta = plan.total_cost - base.total_cost
            better += delta < -0.005
            equal += abs(delta) <= 0.005
            worse += delta > 0.005
            if done % 100 == 0:
                c.log(f"[bench] {done}/{len(orders)} orders routed")
    finally:
        await store.close()
        engine.stop()

    rows = []
    all_route: list[float] = []
    all_greedy: list[float] = []
    all_read: list[float] = []
    for n in sorted(by_lines):
        r, g = by_lines[n]["route"], by_lines[n]["greedy"]
        all_route += r
        all_greedy += g
        all_read += by_lines[n]["read"]
        rows.append(
            [
                n,
                len(r),
                c.ms(c.percentile(r, 50)),
                c.ms(c.percentile(r, 99)),
                c.ms(max(r)),
                c.ms(c.percentile(g, 50)),
                f"{c.percentile(r, 50) / c.percentile(g, 50):.1f}x",
                f"{sum(by_lines[n]['exact']):.0f}/{len(r)}",
                c.ms(c.percentile(by_lines[n]["read"], 50)),
                c.ms(c.percentile(by_lines[n]["read"], 99)),
            ]
        )
    rows.append(
        [
            "all",
            len(all_route),
            c.ms(c.percentile(all_route, 50)),
            c.ms(c.percentile(all_route, 99)),
            c.ms(max(all_route)),
            c.ms(c.percentile(all_greedy, 50)),
            f"{c.percentile(all_route, 50) / c.percentile(all_greedy, 50):.1f}x",
            f"{exact}/{done}",
            c.ms(c.percentile(all_read, 50)),
            c.ms(c.percentile(all_read, 99)),
        ]
    )
    out = [
        c.table(
            (
                "lines",
                "orders",
                "route p50 ms",
                "route p99 ms",
                "route max ms",
                "greedy p50 ms",
                "route/greedy p50",
                "exact",
                "read p50 ms",
                "read p99 ms",
            ),
            rows,
            title=f"route() alone (policy of channel web, else CHEAPEST) vs greedy_nearest, "
            f"{done} orders, default network, same candidates",
        )
    ]
    greedy_total = totals["greedy"]
    saving = (greedy_total - totals["route"]) / greedy_total * 100 if greedy_total else 0.0
    out.append("")
    out.append(
        c.table(
            ("plans", "orders", "total cost"),
            [
                ["route (default policy)", compared, f"{totals['route']:.2f}"],
                ["greedy_nearest", compared, f"{totals['greedy']:.2f}"],
            ],
            title="Total shipping cost on the same orders (both allocate, same units allocated)",
        )
    )
    out.append(
        f"saving of route over greedy_nearest: {saving:.2f}% "
        f"(route cheaper on {better}, equal on {equal}, dearer on {worse} orders)"
    )
    out.append(
        f"proven exact: {exact} of {done} plans; infeasible: {infeasible}; "
        f"different units allocated: {unequal_units}"
    )
    out.append(
        f"candidate read (read_situation, one graph query, 'read' column): "
        f"{read_time / max(1, done) * 1000:.2f} ms per order on average; "
        f"route p50 / read p50 = "
        f"{c.percentile(all_route, 50) / c.percentile(all_read, 50):.3f}"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--orders", type=int, default=600, help="random orders (default 600)")
    p.add_argument("--seed", type=int, default=1, help="seed of the orders (default 1)")
    p.add_argument(
        "--max-quantity", type=int, default=3, help="units per line: 1 to this (default 3)"
    )
    p.add_argument(
        "--max-seconds",
        type=float,
        default=240.0,
        help="stop routing new orders after this long (default 240)",
    )
    p.add_argument("--network", type=Path, help="network file (default: generate the demo)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ordergraph-bench-") as tmp:
        network = args.network or c.demo_file(Path(tmp) / "default.json")
        out = asyncio.run(run(args, network, Path(tmp) / "data"))
    print("\n" + "\n".join(out))
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
