"""Benchmark 2: wall time of a multi-asset release against its lower bound (issue #15's goals).

N apps (1, 10, 50, 200) in a dependency graph of depth 3 are promoted to QA on the simulator,
whose clock is scaled so that 90 s deploys and the 10-per-minute POST limit behave as on the
platform while a release lasts seconds. Every engine run follows a realistic deploy history
(:func:`bench.tenant.give_history`). Side by side in one run: both ``before-deploy`` policies
against the bound from the tenant's own durations (:mod:`bench.release_bounds`), the default
``max-parallel`` against a sweep of caps, the sequential script existing pipelines run, and how
much of each figure is the harness's own overhead at its time scale.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.release_bounds import analyses_first_floor, lower_bound
from bench.sequential import deploy_one_by_one
from bench.simulated import Outcome, pipeline_yaml, run_engine, run_with_client, widen_simulator_backlog
from bench.tables import Table, ratio
from bench.tenant import TARGET_STAGE, Graph, deploy_durations, give_history, layered_graph, tenant_for
from odc_pipeline.simulator.tenant import Tenant

__all__ = ["RELEASE_STAGES", "lower_bound", "release_stages", "run"]


@dataclass(frozen=True)
class Size:
    """One app count: its clock scale (1 platform s = ``scale`` real s), engine runs per
    configuration, and whether the sequential script runs (else it is extrapolated)."""

    apps: int
    scale: float
    repeats: int
    sequential: bool = True


# Request handling costs real time, which a scaled clock multiplies by 1/scale; bigger
# releases make more requests, so they get slower clocks (see the overhead table).
FULL_SIZES = (Size(1, 0.02, 3), Size(10, 0.02, 3), Size(50, 0.08, 3), Size(200, 0.03, 2, sequential=False))
QUICK_SIZES = (Size(1, 0.002, 1), Size(3, 0.002, 1, sequential=False))
# The sequential script makes a few requests per platform minute, so its own overhead is small
# on a fast clock; it runs on one, as it takes hours of platform time.
SEQUENTIAL_SCALE, QUICK_SEQUENTIAL_SCALE = 0.005, 0.002
POLICIES = ("all", "each")  # stages.impact-analysis.before-deploy; "all" is the default
SWEEP_APPS, SWEEP = 50, (4, 10, 20, 50)
QUICK_SWEEP_APPS, QUICK_SWEEP = 3, (1, 2)
SWEEP_REPEATS = 2  # per cap; the default row has its size's repeats


def release_stages(before_deploy: str | None = None, max_parallel: int | None = None) -> str:
    """The release's ``stages:``; a key that is None is not written (the engine's default)."""
    impact = "fail-on: errors" + (f", before-deploy: {before_deploy}" if before_deploy else "")
    deploy = f"max-parallel: {max_parallel}" if max_parallel is not None else ""
    return f"  build: {{}}\n  impact-analysis: {{{impact}}}\n  deploy: {{{deploy}}}\n"


RELEASE_STAGES = release_stages()  # every key at its default (bench.plan_reads plans this release)


@dataclass(frozen=True)
class Release:
    """One generated release: the graph, each app's deploy seconds and the tenant."""

    graph: Graph
    deploys: dict[str, float]
    analysis: float
    tenant: Tenant = field(repr=False)

    @classmethod
    def of(cls, apps: int, *, quick: bool) -> Release:
        graph = layered_graph(apps)
        median, analysis = (10.0, 1.0) if quick else (90.0, 3.0)
        deploys = deploy_durations(graph, random.Random(apps), median=median)
        if quick:
            deploys = {app: max(5.0, min(20.0, d)) for app, d in deploys.items()}
        return cls(
            graph, deploys, analysis, tenant_for(graph, deploy_seconds=deploys, analysis_seconds=analysis)
        )

    @property
    def apps(self) -> int:
        return len(self.graph.apps)

    @property
    def bound(self) -> float:
        return lower_bound(self.graph, self.deploys, analysis=self.analysis)

    @property
    def analyses_first_floor(self) -> float:
        return analyses_first_floor(self.graph, self.deploys, analysis=self.analysis)

    @property
    def work_seconds(self) -> float:
        """What the sequential script waits for, at least: every analysis and deploy in turn."""
        return sum(self.deploys.values()) + self.apps * self.analysis

    def engine(self, stages: str, *, scale: float, repeats: int) -> list[Outcome]:
        """``repeats`` engine runs with history (seeds 0, 1, …); raises if one failed."""
        pipeline = pipeline_yaml(self.graph.apps, target=TARGET_STAGE, stages=stages)
        runs = [
            run_engine(
                self.tenant,
                pipeline,
                scale=scale,
                prepare=lambda sim, i=i: give_history(sim.state, self.deploys, seed=i),
            )
            for i in range(repeats)
        ]
        failed = [o.exit_code for o in runs if o.exit_code != 0]
        if failed:
            raise RuntimeError(
                f"the engine failed the {self.apps}-app release (exit codes {failed}):\n{stages}"
            )
        return runs

    def sequential(self, scale: float) -> Outcome:
        return run_with_client(
            self.tenant,
            lambda client: deploy_one_by_one(client, self.graph.apps, target=TARGET_STAGE, revision=2),
            scale=scale,
        )


def _middle(runs: Sequence[Outcome]) -> Outcome:
    """The run whose timeline and calls a row shows: the median run (of two, the faster)."""
    return sorted(runs, key=lambda o: o.seconds)[(len(runs) - 1) // 2]


def _median(runs: Sequence[Outcome]) -> float:
    """Median platform seconds (of two runs, their mean)."""
    return statistics.median(o.seconds for o in runs)


def _seconds(runs: Sequence[Outcome]) -> str:
    """The median platform seconds and, over several runs, their range."""
    spread = (
        f" ({min(o.seconds for o in runs):.0f}–{max(o.seconds for o in runs):.0f})" if len(runs) > 1 else ""
    )
    return f"{_median(runs):.0f}{spread}"


def _at(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def status_calls(outcome: Outcome) -> int:
    """Templated GETs: status polls (and the graph reads); the history reads are not templated."""
    return sum(n for endpoint, n in outcome.calls.items() if endpoint.startswith("GET") and "{" in endpoint)


def _rate_limited(runs: Sequence[Outcome]) -> int:
    return sum(o.rate_limited for o in runs)


def harness_overhead(at_scale: Sequence[Outcome], faster: Sequence[Outcome]) -> tuple[float, float]:
    """(estimate, ± two standard errors) of the harness's platform seconds at the benchmark's
    scale: platform time is T0 + W/scale when W real seconds of work sit on the critical path,
    so on a clock twice as fast W/scale doubles and the overhead is the difference of means."""
    a = [o.seconds for o in at_scale]
    b = [o.seconds for o in faster]
    variance = sum(statistics.variance(x) / len(x) for x in (a, b) if len(x) > 1)
    return statistics.fmean(b) - statistics.fmean(a), 2.0 * math.sqrt(variance)


def _overhead_cells(at_scale: Sequence[Outcome], faster: Sequence[Outcome]) -> tuple[str, str]:
    harness, noise = harness_overhead(at_scale, faster)
    figure = _median(at_scale)
    if harness > noise:
        return f"{harness:.0f} (±{noise:.0f})", f"{ratio(harness, figure)} (±{ratio(noise, figure)})"
    return (
        f"{harness:.0f} (±{noise:.0f}), not above noise",
        f"at most {ratio(max(0.0, harness) + noise, figure)}",
    )


def _tables(policies: Sequence[str | None], sweep_apps: int) -> list[Table]:
    label = " / ".join(p or "default" for p in policies)
    main = Table(
        f"Multi-asset release to QA with deploy history: engine vs lower bound (depth-3 graph, "
        f"before-deploy: {label})",
        [
            "apps",
            "before-deploy",
            "engine s",
            "lower bound s",
            "engine / bound",
            "policy's floor / bound",
            "429s (all runs)",
            "status GETs",
            "first analysis POST at s",
            "last analysis result at s",
            "first deploy POST at s",
            "last deploy POST at s",
        ],
    )
    sequential = Table(
        "Multi-asset release to QA: the sequential script (one app after another) vs the engine",
        [
            "apps",
            "sequential s",
            f"engine s ({policies[0] or 'default'})",
            "engine vs sequential",
            "sequential / bound",
            "429s seq.",
            "status GETs engine / seq.",
        ],
    )
    sweep = Table(
        f"{sweep_apps}-app release: default max-parallel vs a sweep of caps "
        f"(before-deploy: {policies[0] or 'default'}, with history)",
        [
            "max-parallel",
            "engine s",
            "engine / bound",
            "vs best",
            "429s (all runs)",
            "first deploy POST at s",
        ],
    )
    overhead = Table(
        "Harness overhead in the multi-asset figures (engine with history, "
        f"before-deploy: {policies[0] or 'default'})",
        [
            "apps",
            "clock: 1 platform s =",
            "platform s",
            "on a clock twice as fast",
            "overhead s at the benchmark's scale",
            "share of the figure",
            "real s per run",
        ],
    )
    return [main, sequential, sweep, overhead]


def run(*, quick: bool = False) -> list[Table]:
    """Every table of the benchmark; ``quick`` releases 1 and 3 apps with ~10 s deploys, once
    per configuration, and writes no policy key (so it runs on engines that predate them)."""
    sizes = QUICK_SIZES if quick else FULL_SIZES
    policies: Sequence[str | None] = (None,) if quick else POLICIES
    sweep_apps, caps = (QUICK_SWEEP_APPS, QUICK_SWEEP) if quick else (SWEEP_APPS, SWEEP)
    sequential_scale = QUICK_SEQUENTIAL_SCALE if quick else SEQUENTIAL_SCALE
    widened = widen_simulator_backlog()
    _warm_up()
    main, sequential, sweep, overhead = _tables(policies, sweep_apps)
    measured: list[tuple[Release, Outcome]] = []  # the sequential script's runs, by size
    for size in sizes:
        release = Release.of(size.apps, quick=quick)
        by_policy = {
            policy: release.engine(release_stages(policy), scale=size.scale, repeats=size.repeats)
            for policy in policies
        }
        for policy, runs in by_policy.items():
            _main_row(main, release, policy, runs)
        default_runs = by_policy[policies[0]]
        if size.sequential:
            measured.append((release, release.sequential(sequential_scale)))
        _sequential_row(sequential, release, default_runs, measured[-1], measured=size.sequential)
        faster = release.engine(release_stages(policies[0]), scale=size.scale / 2, repeats=size.repeats)
        overhead.add(
            size.apps,
            f"{size.scale * 1000:g} ms",
            _seconds(default_runs),
            _seconds(faster),
            *_overhead_cells(default_runs, faster),
            f"{statistics.fmean(o.real_seconds for o in default_runs):.1f}",
        )
        if size.apps == sweep_apps:
            _sweep(
                sweep,
                release,
                size=size,
                default_runs=default_runs,
                policy=policies[0],
                caps=caps,
                repeats=min(size.repeats, SWEEP_REPEATS),
            )
    _notes(
        main,
        sequential,
        sweep,
        overhead,
        sizes=sizes,
        policies=policies,
        sequential_scale=sequential_scale,
        widened=widened,
    )
    return [main, sequential, sweep, overhead]


def _main_row(table: Table, release: Release, policy: str | None, runs: Sequence[Outcome]) -> None:
    ours, seconds = _middle(runs), _median(runs)
    floor = release.analyses_first_floor if policy in (None, "all") else release.bound
    table.add(
        release.apps,
        policy or "default (no key)",
        _seconds(runs),
        release.bound,
        ratio(seconds, release.bound),
        ratio(floor, release.bound),
        _rate_limited(runs),
        status_calls(ours),
        _at(ours.timeline.first_analysis),
        _at(ours.timeline.last_analysis_result),
        _at(ours.timeline.first_deploy),
        _at(ours.timeline.last_deploy),
    )


def _sequential_row(
    table: Table,
    release: Release,
    engine_runs: Sequence[Outcome],
    latest: tuple[Release, Outcome],
    *,
    measured: bool,
) -> None:
    """The script's run of this size (``measured``), else the ``latest`` measured one scaled by
    how much there is to wait for."""
    base, seq = latest
    if seq.exit_code != 0:
        raise RuntimeError(f"the sequential script failed the {base.apps}-app release")
    seconds = seq.seconds if measured else seq.seconds * release.work_seconds / base.work_seconds
    ours = _middle(engine_runs)
    table.add(
        release.apps,
        seconds if measured else f"≈{seconds:.0f} (extrapolated from the {base.apps}-app run)",
        _seconds(engine_runs),
        ratio(_median(engine_runs), seconds),
        ratio(seconds, release.bound),
        seq.rate_limited if measured else "–",
        f"{status_calls(ours)} / {status_calls(seq) if measured else '–'}",
    )


def _warm_up() -> None:
    """One discarded tiny release, so the first measured run does not pay the engine's imports
    (about 0.2 real s: 40 platform s at 1 s = 5 ms)."""
    Release.of(1, quick=True).engine(release_stages(), scale=0.002, repeats=1)


def _sweep(
    table: Table,
    release: Release,
    *,
    size: Size,
    default_runs: Sequence[Outcome],
    policy: str | None,
    caps: Sequence[int],
    repeats: int,
) -> None:
    """One row for the default (no ``max-parallel`` key: ``default_runs``) and one per cap."""
    rows: list[tuple[str, list[Outcome]]] = [("default (no key)", list(default_runs))]
    rows += [
        (str(cap), release.engine(release_stages(policy, cap), scale=size.scale, repeats=repeats))
        for cap in caps
    ]
    best = min(_median(runs) for _, runs in rows)
    for name, runs in rows:
        table.add(
            name,
            _seconds(runs),
            ratio(_median(runs), release.bound),
            ratio(_median(runs), best),
            _rate_limited(runs),
            _at(_middle(runs).timeline.first_deploy),
        )
    table.notes.append(
        f"Default / best max-parallel: {ratio(_median(default_runs), best)} (medians of the default's "
        f"{size.repeats} runs and of {repeats} per cap, fewer to keep the benchmark short; clock 1 s = "
        f"{size.scale * 1000:g} ms; the default row is the main table's run of this size)."
    )


def _notes(
    main: Table,
    sequential: Table,
    sweep: Table,
    overhead: Table,
    *,
    sizes: Sequence[Size],
    policies: Sequence[str | None],
    sequential_scale: float,
    widened: bool,
) -> None:
    scales = ", ".join(f"{s.apps} apps: 1 s = {s.scale * 1000:g} ms × {s.repeats} runs" for s in sizes)
    main.notes.append(
        "Platform seconds on a ScaledClock shared by simulator and engine, so request handling on this "
        "machine counts too (its share is in the overhead table). Clocks and runs per configuration: "
        f"{scales}; engine s is the median (of two runs, their mean) and range, the other columns are the "
        "median run's (of two, the faster's). Each app's deploy lasts its own log-normal duration around "
        "the median (fixed per app count); impact analyses all take the same. Builds are reused: every app's "
        "revision runs in Development, so its Release build exists, the build stage starts none and builds "
        "cost no time (the bound counts none). Before each run every app gets 5 past Deploys to QA of about "
        "its own duration (`bench.tenant.give_history`), which the engine reads as the poller's hint. "
        "Stages: build, impact-analysis {fail-on: errors, before-deploy: as the row says}, deploy with no "
        "max-parallel key (the default)."
    )
    main.notes.append(
        "Lower bound (`bench.release_bounds.lower_bound`, any engine): one analysis, then the longer of the "
        "longest producer→consumer chain of deploys and ⌊(apps−1)/10⌋ minutes of deploy POSTs (10 a minute, "
        "sliding window) plus the shortest deploy. Policy's floor: with before-deploy: all (and the "
        "default) every analysis result must be read before the first deploy POST; one producers read per "
        "app no other app uses (its graph lists the rest), the analysis POST and one status GET per app "
        "share Dependency Management's 100 requests a minute, so the gate opens no earlier than that "
        "budget allows (`analyses_first_floor`); with each "
        "it is the bound. Timeline columns come from the simulator's request log of the median run, in "
        "platform seconds after the run started: the first accepted analysis POST (before it: the resolve "
        "and the build lookups), the last analysis status GET, the first and last accepted deploy POST. "
        "429s sum every run of the row (target: none). Status GETs count the median run's templated GETs "
        "(status polls and the producers reads; the history reads are not templated)."
    )
    sequential.notes.append(
        "Sequential: per app in dependency order, find the Release build, analyse, deploy, each waited with "
        "the docs' cadence, through the product's API client and rate limiter, once per size on a clock of "
        f"1 s = {sequential_scale * 1000:g} ms (its requests come one at a time, a few per platform "
        "minute, so little of its time is request handling). At 200 apps it would take over six platform "
        "hours (two real minutes), so it is not run there: an extrapolated row is the largest measured "
        "time × (Σ deploy + analysis seconds of its apps) / (the same of the measured size), as the script "
        "waits for each operation in turn. The engine column is the main table's "
        f"{policies[0] or 'default'} runs."
    )
    sweep.notes.append(
        "Same tenant, history and clock as the main table's row of this size; the stages only add "
        "`deploy: {max-parallel: N}`. vs best divides by the fastest median of the table."
    )
    overhead.notes.append(
        "Request handling, the simulator and the engine's own work take real time, and on a scaled clock "
        "every real millisecond is 1/scale platform seconds. Running the same release on a clock twice as "
        "fast doubles that share and leaves the platform's own time alone, so the overhead at the "
        "benchmark's scale is the mean on the faster clock − the mean at the benchmark's scale (median and "
        "range shown; ± is two standard errors). Where the estimate is not above that noise (POST batching "
        "moves large releases by whole minutes from run to run) the share column gives the interval's upper "
        "end. If the machine saturates on the faster clock the estimate errs high. Real s per run: the "
        "benchmark's runs of that size, mean."
    )
    if widened:
        main.notes.append(
            "The simulator's listen backlog was raised from 5 to 128 for this benchmark: with the default, "
            "bursts of new connections lose SYNs and stall ~1 real second (200 platform s at 1 s = 5 ms)."
        )
