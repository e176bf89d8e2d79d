"""Polling part 2: many waits at once on one API domain, with and without the shared budget.

ODC counts status calls per organisation and domain (100 a minute, start POSTs included), so
what one wait may spend depends on how many others run. Here ``N`` deploy waits start
together on one domain and run on a :class:`LockstepClock` (virtual time that advances only
when every wait sleeps, so they overlap as in real time but nothing sleeps for real). The
busiest minute is the largest number of status calls in any 60 s window: with the budget it
must stay within the polls' share, leaving the reserve for start POSTs and other reads.
"""

from __future__ import annotations

import itertools
import random
import statistics
import threading
from collections.abc import Sequence

from bench.strategies import DOCS, OURS, Strategy, wait_out
from bench.tables import Table, ratio
from bench.workload import Operation, operations
from odc_pipeline.clock import LockstepClock
from odc_pipeline.engine.poller import PollBudget


def deploys(seed: int, count: int) -> list[Operation]:
    """``count`` deploy operations (with history) drawn with ``seed``."""
    drawn = operations(random.Random(seed), 3 * count)
    return [op for op in drawn if op.kind == "deploy"][:count]


def run_together(
    ops: Sequence[Operation], strategy: Strategy, *, budgeted: bool
) -> tuple[list[float], list[int], list[float], int]:
    """Wait for every operation at once; (lags, calls per wait, all call times, postponed polls)."""
    clock = LockstepClock(len(ops))
    budget = PollBudget(clock) if budgeted else None
    lags = [0.0] * len(ops)
    calls: list[list[float]] = [[] for _ in ops]
    errors: list[BaseException] = []

    def worker(i: int, op: Operation) -> None:
        def fetch() -> bool:
            calls[i].append(clock.monotonic())
            return clock.monotonic() >= op.duration

        try:
            rng = random.Random(i)
            wait_out(strategy, op, fetch, what=f"deploy {i}", clock=clock, rng=rng, budget=budget)
            lags[i] = clock.monotonic() - op.duration
        except BaseException as exc:  # re-raised below, in the benchmark's thread
            errors.append(exc)
        finally:
            clock.leave()

    threads = [threading.Thread(target=worker, args=(i, op), daemon=True) for i, op in enumerate(ops)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return lags, [len(c) for c in calls], sorted(itertools.chain(*calls)), budget.postponed if budget else 0


def busiest_minute(times: Sequence[float]) -> int:
    """The most calls in any 60 s window (``times`` sorted)."""
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - 60.0:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def table(seeds: Sequence[int], *, sizes: Sequence[int]) -> Table:
    share = PollBudget(LockstepClock(1)).polls_per_minute
    result = Table(
        "Concurrent deploy waits on one domain: shared budget vs none vs docs "
        f"({len(seeds)} seeds per size, all waits start together)",
        [
            "waits",
            "strategy",
            "median lag s",
            "vs docs",
            "p95 lag s",
            "mean calls",
            "vs docs",
            "busiest minute (calls)",
            f"vs poll share ({share}/min)",
        ],
    )
    variants = (
        ("ours + shared budget", OURS, True),
        ("ours, no budget", OURS, False),
        (DOCS.name, DOCS, False),
    )
    for size in sizes:
        measured: dict[str, tuple[list[float], list[int], int]] = {}
        for label, strategy, budgeted in variants:
            lags: list[float] = []
            calls: list[int] = []
            busiest = 0
            for seed in seeds:
                got_lags, got_calls, times, _ = run_together(deploys(seed, size), strategy, budgeted=budgeted)
                lags += got_lags
                calls += got_calls
                busiest = max(busiest, busiest_minute(times))
            measured[label] = (sorted(lags), calls, busiest)
        docs_lags, docs_calls, _ = measured[DOCS.name]
        for label, (lags, calls, busiest) in measured.items():
            result.add(
                size,
                label,
                statistics.median(lags),
                ratio(statistics.median(lags), statistics.median(docs_lags)),
                lags[min(len(lags) - 1, int(0.95 * len(lags)))],
                statistics.fmean(calls),
                ratio(statistics.fmean(calls), statistics.fmean(docs_calls)),
                busiest,
                ratio(busiest, share),
            )
    result.notes.append(
        f"Each wait has its deploy's 5-run history (as in the main table). The budget gives polls "
        f"{share} of the domain's 100 calls a minute (the rest is kept for start POSTs and reads; in "
        "the engine it also holds polls back while the client's rate limiter sees the domain busy). "
        "Harness overhead: none in these figures (virtual time advances only when every wait sleeps)."
    )
    return result
