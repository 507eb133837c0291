"""Open-loop mixed load at a fixed arrival rate, beside ``{ __typename }`` in the same run.

One server (``python -m ordergraph.cli serve --network FILE``, default demo network, API keys
on, embedded engine) on a free loopback port. Requests arrive at a fixed rate (``--rate``,
default 40/s) for a fixed time (``--duration``, default 30 s), whatever the server answers: the
i-th request is sent at ``start + i / rate`` (open loop), so a slow server meets a queue, as in
production, instead of slowing the load down. Each arrival is one of, by ``--mix`` weights:

* ``availability``: 10 random SKUs near a random real ZIP code;
* ``deliveryOptions``: 1 to 3 SKUs shipped to a random ZIP code;
* ``orderCreate``: 1 to 3 SKUs, quantity 1, a unique externalId;
* ``order``: an order read by id (ids of orders placed in the warm-up and during the run);
* ``{ __typename }``: the cost of the HTTP and GraphQL layers alone, under the same load.

Latency is measured from the time a request was *scheduled*, not sent, so a late send counts
against the server (no coordinated omission). The run is bounded: at most ``rate x duration``
requests, at most ``--max-inflight`` outstanding (more are counted as ``shed``, not sent), and
what is unanswered ``--grace`` seconds after the last arrival is cancelled and counted as a
timeout. ``INSUFFICIENT_STOCK`` is a correct answer to an order, counted apart.

    python bench/load.py [--rate 40] [--duration 30] [--mix 3,2,2,2,1] [--network FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _common as c
import httpx
import orjson

AVAILABILITY = """query Availability($skus: [ID!]!, $near: NearInput) {
  availability(skus: $skus, near: $near) {
    sku available locations { location { id } available distanceKm }
  }
}"""

DELIVERY = """query Delivery($input: DeliveryOptionsInput!) {
  deliveryOptions(input: $input) {
    kind serviceLevel shipsWhole shipments cost shipBy deliveryBy readyBy
  }
}"""

CREATE = """mutation Place($input: OrderCreateInput!) {
  orderCreate(input: $input) {
    order { id status promisedBy fulfillments { id } }
    userErrors { code message }
  }
}"""

ORDER = """query Order($id: ID!) {
  order(id: $id) { id status promisedBy lines { sku quantity allocated }
                   fulfillments { id status location { id } } }
}"""

OPERATIONS = ("availability", "deliveryOptions", "orderCreate", "order", "{ __typename }")


@dataclass
class Op:
    name: str
    latencies: list[float] = field(default_factory=list)  # from the scheduled time, seconds
    service: list[float] = field(default_factory=list)  # from the actual send, seconds
    errors: dict[str, int] = field(default_factory=dict)
    first_error: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    first_of: dict[str, str] = field(default_factory=dict)  # the first message of each kind

    def fail(self, kind: str, message: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.first_error = self.first_error or f"{kind}: {message[:300]}"
        self.first_of.setdefault(kind, message[:300])


class Workload:
    def __init__(self, seed: int, sku_count: int, max_lines: int, distinct: int = 0) -> None:
        self.rng = random.Random(seed)
        self.distinct = distinct  # > 0: availability asks one of that many queries (a hot set)
        self.asked = 0
        self.seed = seed
        self.sku_count = sku_count
        self.max_lines = max_lines
        self.order_ids: list[str] = []
        self.created = 0

    def skus(self, n: int) -> list[str]:
        return [f"SKU-{k:05d}" for k in self.rng.sample(range(1, self.sku_count + 1), n)]

    def ship_to(self) -> dict[str, str]:
        return {"postalCode": self.rng.choice(c.POSTAL_CODES), "country": "US"}

    def lines(self) -> list[dict[str, Any]]:
        return [{"sku": s, "quantity": 1} for s in self.skus(self.rng.randint(1, self.max_lines))]

    def payload(self, op: str) -> dict[str, Any]:
        if op == "availability":
            rng = self.rng
            if self.distinct > 0:
                self.asked += 1
                rng = random.Random(self.seed * 1_000_003 + self.asked % self.distinct)
            skus = [f"SKU-{k:05d}" for k in rng.sample(range(1, self.sku_count + 1), 10)]
            near = {"postalCode": rng.choice(c.POSTAL_CODES), "country": "US"}
            return {"query": AVAILABILITY, "variables": {"skus": skus, "near": near}}
        if op == "deliveryOptions":
            return {
                "query": DELIVERY,
                "variables": {
                    "input": {"channel": "web", "lines": self.lines(), "shipTo": self.ship_to()}
                },
            }
        if op == "orderCreate":
            self.created += 1
            return {
                "query": CREATE,
                "variables": {
                    "input": {
                        "channel": "web",
                        "externalId": f"load-{self.seed}-{self.created}",
                        "lines": self.lines(),
                        "shipTo": self.ship_to(),
                    }
                },
            }
        if op == "order":
            return {"query": ORDER, "variables": {"id": self.rng.choice(self.order_ids)}}
        return {"query": c.TYPENAME}


def check(op: Op, workload: Workload, body: dict[str, Any]) -> None:
    if body.get("errors"):
        raise RuntimeError(orjson.dumps(body["errors"][:1]).decode())
    data = body.get("data") or {}
    if op.name == "orderCreate":
        answer = data["orderCreate"]
        codes = sorted({e["code"] for e in answer["userErrors"]})
        if codes == ["INSUFFICIENT_STOCK"]:
            op.counts["INSUFFICIENT_STOCK"] = op.counts.get("INSUFFICIENT_STOCK", 0) + 1
            return
        if codes:
            raise RuntimeError(f"userErrors {codes}: {answer['userErrors'][0]['message']}")
        if not answer.get("order"):
            raise RuntimeError("no order and no userErrors")
        workload.order_ids.append(answer["order"]["id"])
        status = answer["order"]["status"]
        op.counts[status] = op.counts.get(status, 0) + 1
    elif op.name == "order" and data.get("order") is None:
        raise RuntimeError("order not found")


async def run(args: argparse.Namespace, server: c.Server) -> tuple[dict[str, Op], dict[str, Any]]:
    weights = [float(w) for w in args.mix.split(",")]
    if len(weights) != len(OPERATIONS) or min(weights) < 0 or sum(weights) <= 0:
        raise SystemExit(f"--mix wants {len(OPERATIONS)} weights for {', '.join(OPERATIONS)}")
    workload = Workload(args.seed, args.skus, args.max_lines, args.distinct)
    ops = {name: Op(name) for name in OPERATIONS}
    url, headers = f"{server.url}/graphql", server.headers
    limits = httpx.Limits(
        max_connections=args.max_inflight, max_keepalive_connections=args.max_inflight
    )
    finished = [0.0]  # when the last good answer arrived
    async with httpx.AsyncClient(timeout=args.duration + args.grace, limits=limits) as client:

        async def send(op: Op, payload: dict[str, Any], scheduled: float) -> None:
            body = orjson.dumps(payload)
            sent = time.perf_counter()
            try:
                response = await client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                op.fail(type(exc).__name__, str(exc))
                return
            except asyncio.CancelledError:
                op.fail("timeout", f"no answer {args.grace:g}s after the last arrival")
                raise
            done = time.perf_counter()
            if response.status_code != 200:
                op.fail(f"HTTP {response.status_code}", response.text)
                return
            try:
                check(op, workload, orjson.loads(response.content))
            except Exception as exc:  # every wrong answer is counted, not raised
                op.fail("GraphQL", str(exc))
                return
            op.latencies.append(done - scheduled)
            op.service.append(done - sent)
            finished[0] = max(finished[0], done)

        # warm-up, not measured: connections, caches, and orders to read back
        for i in range(args.warmup):
            scratch = Op("orderCreate" if i % 2 == 0 else OPERATIONS[i % len(OPERATIONS)])
            if scratch.name == "order" and not workload.order_ids:
                continue
            await send(scratch, workload.payload(scratch.name), time.perf_counter())
            if scratch.errors:
                raise RuntimeError(f"warm-up {scratch.name} failed: {scratch.first_error}")
        if not workload.order_ids:
            raise RuntimeError("the warm-up placed no order to read back")

        total = int(args.rate * args.duration)
        pending: set[asyncio.Task[None]] = set()
        shed = 0
        lags: list[float] = []
        choose = random.Random(args.seed + 1)
        start = time.perf_counter() + 0.05
        for i in range(total):
            scheduled = start + i / args.rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            lags.append(time.perf_counter() - scheduled)
            name = choose.choices(OPERATIONS, weights)[0]
            if len(pending) >= args.max_inflight:
                shed += 1
                ops[name].fail("shed", f"more than {args.max_inflight} requests outstanding")
                continue
            task = asyncio.create_task(send(ops[name], workload.payload(name), scheduled))
            pending.add(task)
            task.add_done_callback(pending.discard)
        last_arrival = start + (total - 1) / args.rate if total else start
        timed_out = 0
        if pending:
            _, late = await asyncio.wait(set(pending), timeout=args.grace)
            timed_out = len(late)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        end = time.perf_counter()
    for op in ops.values():
        op.latencies.sort()
    info = {
        "scheduled": total,
        "shed": shed,
        "timed_out": timed_out,
        "arrival_s": last_arrival - start,
        "wall_s": end - start,
        "answer_s": max(finished[0] - start, 1e-9),
        "lag_p99": c.percentile(lags, 99),
        "lag_max": max(lags, default=0.0),
    }
    return ops, info


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--rate", type=float, default=40.0, help="arrivals per second (default 40)")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of arrivals (default 30)")
    p.add_argument(
        "--mix",
        default="3,2,2,2,1",
        help="weights of " + ", ".join(OPERATIONS) + " (default 3,2,2,2,1)",
    )
    p.add_argument(
        "--max-inflight",
        type=int,
        default=512,
        help="outstanding requests beyond which arrivals are shed (default 512)",
    )
    p.add_argument(
        "--grace",
        type=float,
        default=10.0,
        help="seconds to wait for answers after the last arrival (default 10)",
    )
    p.add_argument("--warmup", type=int, default=30, help="unmeasured requests first")
    p.add_argument("--max-lines", type=int, default=3, help="SKUs per basket: 1 to this many")
    p.add_argument("--skus", type=int, default=300, help="SKUs in the network (default 300)")
    p.add_argument(
        "--distinct",
        type=int,
        default=0,
        help="availability asks one of this many distinct queries, as product pages repeat "
        "(default 0: every query new)",
    )
    p.add_argument("--seed", type=int, default=1, help="seed of the SKU, ZIP and mix choices")
    p.add_argument("--network", type=Path, help="network file (default: generate the demo)")
    c.add_server_workers(p)
    args = p.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0:
        raise SystemExit("--rate and --duration must be positive")

    with tempfile.TemporaryDirectory(prefix="ordergraph-bench-") as tmp:
        network = args.network or c.demo_file(Path(tmp) / "default.json")
        server = c.Server(network, "server", server_workers=args.server_workers)
        with c.servers(server):
            server.wait_ready()
            c.log(
                f"[bench] open loop: {args.rate:g} req/s for {args.duration:g}s, "
                f"mix {args.mix} of {', '.join(OPERATIONS)}"
            )
            ops, info = asyncio.run(run(args, server))
            memory = c.memory_note(server)

    answered = sum(len(o.latencies) for o in ops.values())
    window = info["arrival_s"] + 1 / args.rate  # n arrivals span n periods
    errors = sum(sum(o.errors.values()) for o in ops.values())
    rows = []
    for o in ops.values():
        rows.append(
            [
                o.name,
                len(o.latencies),
                sum(o.errors.values()),
                f"{len(o.latencies) / window:.1f}",
                c.ms(c.percentile(o.latencies, 50)),
                c.ms(c.percentile(o.latencies, 99)),
                c.ms(c.percentile(o.latencies, 100)),
                c.ms(c.percentile(o.service, 50)),
            ]
        )
    print()
    print(
        c.table(
            ("request", "ok", "errors", "ok/s", "p50 ms", "p99 ms", "max ms", "p50 sent->answer"),
            rows,
            title=f"open loop, {args.rate:g} req/s offered for {args.duration:g}s, mix {args.mix}; "
            "latency from the scheduled time",
        )
    )
    typename = ops["{ __typename }"]
    base = c.percentile(typename.latencies, 50)
    if typename.latencies:
        print(
            "p50 / { __typename } p50: "
            + ", ".join(
                f"{o.name} {c.percentile(o.latencies, 50) / base:.1f}x"
                for o in ops.values()
                if o is not typename and o.latencies
            )
        )
    sent = info["scheduled"] - info["shed"]
    held = (sent - 1) / info["arrival_s"] if info["arrival_s"] > 0 else float("nan")
    print(
        f"rate held: {sent} sent over {window:.2f}s, {held:.1f} req/s between first and last "
        f"send (target {args.rate:g}); send lag p99 {c.ms(info['lag_p99'])} ms, max "
        f"{c.ms(info['lag_max'])} ms; {answered} answered OK by "
        f"{info['answer_s']:.2f}s = {answered / info['answer_s']:.1f} req/s"
    )
    print(
        f"errors: {errors} (shed {info['shed']}, unanswered after {args.grace:g}s grace: "
        f"{info['timed_out']})"
    )
    for o in ops.values():
        if o.errors:
            kinds = ", ".join(f"{k}: {v}" for k, v in sorted(o.errors.items()))
            print(f"  {o.name}: {kinds}; first: {o.first_error}")
            for kind, message in sorted(o.first_of.items()):
                if kind not in ("shed", "timeout"):
                    print(f"    first {kind}: {message}")
    if ops["orderCreate"].counts:
        print(
            "orderCreate outcomes: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(ops["orderCreate"].counts.items()))
        )
    print(memory)
    print(c.launch_note(server))
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
