"""Benchmark the routing sandbox: replay a demo day of orders under two policies.

The default demo network is loaded into a real embedded FalkorDB in a temporary data directory;
``--orders`` demo orders (``ordergraph/tools/demo/orders.py``, seed ``--seed``) are replayed with
``services.simulation.run`` under ``--policy`` against ``--baseline`` (both sides: every order is
routed twice, on the run's own copy of the stock). Timed: the whole run (the world read, both
sides' routing, KPIs, the report write), and the routing alone through the progress callback.

Prints the machine, the time, and orders per second (replayed orders, both sides each; routings
per second is twice that).

    python bench/simulation.py [--orders 5000] [--policy FASTEST] [--baseline CHEAPEST]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

from ordergraph.graph.embedded import EmbeddedEngine
from ordergraph.graph.falkordb import FalkorStore
from ordergraph.services import simulation
from ordergraph.services.network import load_network
from ordergraph.tools.demo.network import generate_network
from ordergraph.tools.demo.orders import generate_orders


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} logical cores (shared), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


async def main(args: argparse.Namespace) -> None:
    doc = generate_network(seed=7)
    inputs = generate_orders(doc, args.orders, seed=args.seed, day=date(2026, 11, 24))
    orders = tuple(
        simulation.requests_from_file(
            b"".join(__import__("orjson").dumps(o) + b"\n" for o in inputs)
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        engine = EmbeddedEngine(Path(tmp), timeout_ms=600_000).start()
        try:
            store = FalkorStore(engine.url, "bench-simulation")
            await store.migrate()
            await load_network(store, doc)
            spec = simulation.SimulationInput(
                policy=args.policy, baseline=args.baseline, orders=orders
            )
            marks: list[float] = []

            def progress(done: int, total: int) -> None:
                marks.append(time.perf_counter())

            started = time.perf_counter()
            _, report = await simulation.run(store, spec, progress=progress)
            elapsed = time.perf_counter() - started
            await store.close()
        finally:
            engine.stop()
    assert report is not None
    routing = marks[-1] - marks[0] if len(marks) > 1 else elapsed
    print(f"machine: {machine()}")
    print(
        f"replayed {report.orders} demo orders ({report.skipped} skipped), {args.policy} vs "
        f"{args.baseline}: {report.changed} plans changed"
    )
    print(
        f"whole run {elapsed:.2f} s: {report.orders / elapsed:.0f} orders/s "
        f"({2 * report.orders / elapsed:.0f} routings/s, both policies)"
    )
    print(f"routing between the first and last progress mark: {routing:.2f} s")
    for name in ("fillRate", "splitRate", "costPerOrder", "averagePromisedDays", "onTimeRate"):
        mine, theirs = report.kpis.values()[name], report.baseline_kpis.values()[name]
        print(
            f"  {name}: {mine:.4g} vs {theirs:.4g}"
            if mine is not None and theirs is not None
            else f"  {name}: -"
        )


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--orders", type=int, default=5000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--policy", default="FASTEST")
    p.add_argument("--baseline", default="CHEAPEST")
    asyncio.run(main(p.parse_args()))
