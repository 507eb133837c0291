"""Recent demand for the look-ahead term of a routing policy (issue #18, docs/allocation.md).

A policy with ``objective.lookAhead`` > 0 prices the last units of a position by the expected
cost of serving its home regions later (``domain.routing.lookahead``). What that needs at a
moment is read once (``graph/orders.py: RECENT_DEMAND``: per region, its order lines over the
trailing window and the unit cost from each location) and kept per worker for a short TTL: the
demand is a forecast, not stock, so an estimate a minute old is good enough; stock and capacity
are still read fresh for every order and the reserve statement still guards them.

Settings (environment): ``ORDERGRAPH_LOOKAHEAD_WINDOW_H`` (trailing window, default 24),
``ORDERGRAPH_LOOKAHEAD_HORIZON_H`` (how far ahead demand is expected, default 24) and
``ORDERGRAPH_LOOKAHEAD_TTL_S`` (cache, default 60).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from datetime import datetime, timedelta

from ordergraph.domain.routing.lookahead import DemandWindow, LookAhead, homes
from ordergraph.graph import orders as q
from ordergraph.graph.store import GraphStore

__all__ = ["lookahead_at", "settings"]

_CACHE: dict[tuple[int, int, float, float], LookAhead] = {}
_CACHE_MAX = 64


def settings(env: Mapping[str, str] | None = None) -> tuple[float, float, float]:
    """(window hours, horizon hours, TTL seconds) from the environment; each must be > 0."""
    env = os.environ if env is None else env
    out = []
    for name, default in (("WINDOW_H", 24.0), ("HORIZON_H", 24.0), ("TTL_S", 60.0)):
        raw = env.get(f"ORDERGRAPH_LOOKAHEAD_{name}", "").strip()
        try:
            value = float(raw) if raw else default
        except ValueError:
            value = math.nan
        if not (value > 0.0 and math.isfinite(value)):
            raise ValueError(f"ORDERGRAPH_LOOKAHEAD_{name}: expected a number > 0, got {raw!r}")
        out.append(value)
    return out[0], out[1], out[2]


async def lookahead_at(store: GraphStore, at: datetime) -> LookAhead:
    """The look-ahead inputs at ``at``: the demand of the window before it, each region's home
    (its cheapest location) and each home's penalty (``routing.lookahead.homes``), cached per
    worker for the TTL (the same answer for every ``at`` in one TTL bucket)."""
    window_h, horizon_h, ttl_s = settings()
    key = (id(store), int(at.timestamp() // ttl_s), window_h, horizon_h)
    found = _CACHE.get(key)
    if found is not None:
        return found
    demand = await q.recent_demand(store, at - timedelta(hours=window_h), at)
    home, penalty = homes({d.region: d.unit_cost for d in demand})
    lines = [(d.region, sku, units) for d in demand for _, sku, units in d.lines]
    orders = len({order for d in demand for order, _, _ in d.lines})
    ahead = LookAhead(DemandWindow(lines, orders, window_h), home, penalty, horizon_h)
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = ahead
    return ahead
