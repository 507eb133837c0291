"""Wall-clock bounds shared by the tests that prove a hostile request cannot stall the server.

These are safety bounds, not speed goals (speed is measured by the benchmarks under bench/, as
ratios). The attacks they guard against took seconds and doubled per level (a 20-level fragment
ladder took 10.6 s; the guard answers it in under 2 ms here). The bounds sit an order of magnitude
above what a quiet two-core machine measures, so that a loaded CI machine does not fail them, and
still far below anything super-linear.
"""

from __future__ import annotations

ANALYSIS_MS = 250.0  # the server's own Server-Timing "analysis" figure for one document
REFUSAL_WALL_S = 2.0  # a refused document, sent alone, from send to answer
HEALTH_WAIT_S = 2.0  # /healthz while attacks are in flight
FEED_DEADLINE_S = 10.0  # a stock change to its channel.availability_changed event (1 s polls)
