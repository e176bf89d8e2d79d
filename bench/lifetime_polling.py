"""Benchmark: waiting for LifeTime deployment plans — our poller vs the official scripts.

outsystems-pipeline 0.11.0 reads a plan's status right after ``start`` and then every
``SLEEP_PERIOD_IN_SECS`` = 20 s (notes §3.0, §3.1 step 9). The engine waits through the shared
poller with the prior :class:`~odc_pipeline.platforms.lifetime.LifetimePlatform` gives it (LifeTime
has no deployment-history read). Both wait for the *same* simulated plans (log-normal durations
around a few minutes) on a virtual clock, in one run: lag = how long after the plan finished
the waiter noticed; calls = status GETs.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence

from bench.tables import Table, ratio
from odc_pipeline.clock import ManualClock
from odc_pipeline.engine.poller import wait_for
from odc_pipeline.platforms.lifetime import LifetimePlatform

OFFICIAL_SLEEP = 20.0
TIMEOUT = 3600.0


def plan_durations(rng: random.Random, count: int) -> list[float]:
    """Plan durations (prepare + deploy): median 3 min, most between 1 and 10 min."""
    return [min(3000.0, max(20.0, rng.lognormvariate(math.log(180.0), 0.7))) for _ in range(count)]


def official(duration: float) -> tuple[float, int]:
    """OP: a GET at start, then one per 20 s sleep until the status is final."""
    calls, now = 1, 0.0
    while now < duration:
        now += OFFICIAL_SLEEP
        calls += 1
    return now - duration, calls


def ours(duration: float, rng: random.Random) -> tuple[float, int]:
    clock = ManualClock()
    calls = 0

    def fetch() -> bool:
        nonlocal calls
        calls += 1
        return clock.monotonic() >= duration

    prior = LifetimePlatform(client=None).poll_prior("deploy")  # type: ignore[arg-type]
    wait_for(
        fetch,
        bool,
        what="deployment plan",
        describe=lambda done: "finished_successful" if done else "running",
        timeout=TIMEOUT,
        clock=clock,
        rng=rng,
        prior=prior,
    )
    return clock.monotonic() - duration, calls


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def run(*, quick: bool = False) -> list[Table]:
    count = 40 if quick else 2000
    rng = random.Random(14)
    durations = plan_durations(rng, count)
    theirs = [official(d) for d in durations]
    mine = [ours(d, rng) for d in durations]
    base_lag = statistics.median(lag for lag, _ in theirs)
    base_calls = statistics.fmean(calls for _, calls in theirs)
    table = Table(
        f"LifeTime plans: detection lag and status calls per plan ({count} simulated plans, one run)",
        ["waiter", "median lag s", "p95 lag s", "mean calls", "lag vs official", "calls vs official"],
    )
    for name, waits in (("official scripts (20 s sleep)", theirs), ("odc-pipeline poller", mine)):
        lags = [lag for lag, _ in waits]
        calls = [c for _, c in waits]
        table.add(
            name,
            f"{statistics.median(lags):.1f}",
            f"{_p95(lags):.1f}",
            f"{statistics.fmean(calls):.1f}",
            ratio(statistics.median(lags), base_lag),
            ratio(statistics.fmean(calls), base_calls),
        )
    table.notes.append(
        "Same plan durations for both waiters; virtual clock (exact, no sampling noise). Ratios are "
        "against the official scripts measured in the same run."
    )
    return [table]
