"""Benchmark 1: detection lag and status calls per wait, per polling strategy.

Drives the real :func:`odc_pipeline.engine.poller.wait_for` on a :class:`ManualClock`: the
fetch answers "Running" until the operation's virtual finish time, so a 20-minute deploy
costs microseconds and the figures are exact, not sampled from a noisy machine. Lag is the
time between the operation finishing and the poller noticing; calls are status GETs.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bench import concurrent
from bench.strategies import DOCS, OURS, OURS_NO_HISTORY, STRATEGIES, Strategy, wait_out
from bench.tables import Table, ratio
from bench.workload import Operation, operations
from odc_pipeline.clock import ManualClock


@dataclass(frozen=True)
class Wait:
    """What one wait cost: seconds noticed late and status calls made."""

    kind: str
    lag: float
    calls: int


def measure(strategy: Strategy, operation: Operation, rng: random.Random) -> Wait:
    """Wait for ``operation`` with ``strategy`` on a virtual clock."""
    clock = ManualClock()
    calls = 0

    def fetch() -> bool:
        nonlocal calls
        calls += 1
        return clock.monotonic() >= operation.duration

    wait_out(strategy, operation, fetch, what=f"{operation.kind} operation", clock=clock, rng=rng)
    return Wait(operation.kind, clock.monotonic() - operation.duration, calls)


@dataclass(frozen=True)
class Summary:
    """Lag and call statistics of one strategy over many waits."""

    median_lag: float
    p95_lag: float
    median_calls: float
    mean_calls: float

    @classmethod
    def of(cls, waits: Sequence[Wait]) -> Summary:
        lags = sorted(w.lag for w in waits)
        calls = [w.calls for w in waits]
        return cls(
            median_lag=statistics.median(lags),
            p95_lag=lags[min(len(lags) - 1, int(0.95 * len(lags)))],
            median_calls=statistics.median(calls),
            mean_calls=statistics.fmean(calls),
        )


def run_seed(
    seed: int,
    count: int,
    strategies: Sequence[Strategy],
    *,
    history: int = 5,
    run_spread_scale: float = 1.0,
    median_scale: float = 1.0,
) -> dict[str, list[Wait]]:
    """Every strategy over the same ``count`` operations drawn with ``seed``."""
    rng = random.Random(seed)
    ops = operations(
        rng, count, history=history, run_spread_scale=run_spread_scale, median_scale=median_scale
    )
    return {
        s.name: [measure(s, op, random.Random(seed * 7919 + i)) for i, op in enumerate(ops)]
        for s in strategies
    }


def beats_docs(waits: dict[str, list[Wait]]) -> bool:
    """Ours has a lower median lag than the docs' schedule at no more calls (mean and median)."""
    ours, docs = Summary.of(waits[OURS.name]), Summary.of(waits[DOCS.name])
    return (
        ours.median_lag < docs.median_lag
        and ours.mean_calls <= docs.mean_calls
        and ours.median_calls <= docs.median_calls
    )


def run(*, quick: bool = False) -> list[Table]:
    """The benchmark tables; ``quick`` uses tiny inputs (the smoke test)."""
    seeds = (1, 2) if quick else (1, 2, 3, 4, 5)
    return [
        *tables(seeds=seeds, count=12 if quick else 1000),
        concurrent.table(seeds, sizes=(1, 6) if quick else (1, 10, 40)),
    ]


def tables(seeds: Sequence[int], count: int) -> list[Table]:
    """All strategies pooled over seeds, then per kind, then robustness to poor history."""
    pooled: dict[str, list[Wait]] = {s.name: [] for s in STRATEGIES}
    wins = 0
    started = time.perf_counter()
    for seed in seeds:
        per_seed = run_seed(seed, count, STRATEGIES)
        wins += beats_docs(per_seed)
        for name, waits in per_seed.items():
            pooled[name].extend(waits)
    real_per_wait = (time.perf_counter() - started) / sum(len(w) for w in pooled.values())
    docs = Summary.of(pooled[DOCS.name])
    main = Table(
        f"Detection lag and status calls per wait ({len(seeds)} seeds × {count} operations)",
        [
            "strategy",
            "median lag s",
            "vs docs",
            "p95 lag s",
            "vs docs",
            "median calls",
            "mean calls",
            "vs docs",
        ],
    )
    for s in STRATEGIES:
        m = Summary.of(pooled[s.name])
        main.add(
            s.name,
            m.median_lag,
            ratio(m.median_lag, docs.median_lag),
            m.p95_lag,
            ratio(m.p95_lag, docs.p95_lag),
            m.median_calls,
            m.mean_calls,
            ratio(m.mean_calls, docs.mean_calls),
        )
    main.notes.append(
        f"Ours beats the docs' schedule on median lag at no more calls (mean and median) in "
        f"{wins} of {len(seeds)} seeds (seeds {', '.join(map(str, seeds))}; the schedule's "
        "parameters were chosen on other seeds). Lag = clock seconds between the operation "
        "finishing and the poller seeing it; calls = status GETs; every strategy makes its "
        "first one after its first interval (the start response already carries a status). "
        "Durations: log-normal per kind (analysis ~3 s, build ~90 s, deploy ~150 s median, "
        "clamped to 2 s-20 min); history = the 5 previous runs of the same asset and stage, as "
        "the deployments list would show. Without history the poller starts from a per-kind prior "
        "(`PRIORS`: median 3 / 90 / 150 s, wide); the blind back-off row is the cadence without it."
    )
    main.notes.append(
        f"Harness overhead: none in these figures. The waits run on a ManualClock, so virtual time "
        f"moves only when the poller sleeps; the harness's own work (about {real_per_wait * 1e6:.0f} µs "
        "of real time per simulated wait here) adds 0 s to every lag and no call."
    )
    return [main, _per_kind(pooled), _robustness(seeds, count), _prior_misfit(seeds, count)]


def _prior_misfit(seeds: Sequence[int], count: int) -> Table:
    """Without history, when the tenant's operations are much slower or faster than the prior."""
    table = Table(
        "Without history: the per-kind prior on tenants slower or faster than it assumes, vs docs",
        ["tenant", "ours median lag s", "vs docs", "ours mean calls", "vs docs"],
    )
    for label, scale in (("typical (as assumed)", 1.0), ("3× slower", 3.0), ("3× faster", 1 / 3)):
        ours: list[Wait] = []
        docs: list[Wait] = []
        for seed in seeds:
            waits = run_seed(seed, count, (OURS_NO_HISTORY, DOCS), median_scale=scale)
            ours += waits[OURS_NO_HISTORY.name]
            docs += waits[DOCS.name]
        o, d = Summary.of(ours), Summary.of(docs)
        table.add(
            label,
            o.median_lag,
            ratio(o.median_lag, d.median_lag),
            o.mean_calls,
            ratio(o.mean_calls, d.mean_calls),
        )
    table.notes.append(
        "The priors' medians are the durations this benchmark's workload is drawn around (the "
        "README's assumptions), so the first row flatters them; the other rows show the cost when "
        "a tenant is far from them: the prior adapts as the wait runs, lag stays bounded by the cap."
    )
    return table


def _per_kind(pooled: dict[str, list[Wait]]) -> Table:
    table = Table(
        "Per kind: ours (with history) vs docs",
        ["kind", "ours median lag s", "docs median lag s", "ours mean calls", "docs mean calls"],
    )
    kinds = dict.fromkeys(w.kind for w in pooled[OURS.name])
    for kind in kinds:
        ours = Summary.of([w for w in pooled[OURS.name] if w.kind == kind])
        docs = Summary.of([w for w in pooled[DOCS.name] if w.kind == kind])
        table.add(kind, ours.median_lag, docs.median_lag, ours.mean_calls, docs.mean_calls)
    return table


def _robustness(seeds: Sequence[int], count: int) -> Table:
    """When history predicts badly (run-to-run spread doubled, or a single earlier run)."""
    table = Table(
        "Robustness: ours (with history) when history predicts badly, vs docs on the same operations",
        ["history", "ours median lag s", "docs median lag s", "ours mean calls", "docs mean calls"],
    )
    for label, history, spread_scale in (
        ("5 runs, run-to-run spread ×2", 5, 2.0),
        ("1 earlier run only", 1, 1.0),
    ):
        ours: list[Wait] = []
        docs: list[Wait] = []
        for seed in seeds:
            waits = run_seed(seed, count, (OURS, DOCS), history=history, run_spread_scale=spread_scale)
            ours += waits[OURS.name]
            docs += waits[DOCS.name]
        o, d = Summary.of(ours), Summary.of(docs)
        table.add(label, o.median_lag, d.median_lag, o.mean_calls, d.mean_calls)
    return table
