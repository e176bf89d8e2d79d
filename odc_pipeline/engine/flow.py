"""The per-asset flow: each app goes through build → impact-analysis → deploy → verify on its own.

Stages as global barriers (every build, then every analysis, then every deploy) make the
slowest asset of one stage hold up every asset of the next. A release's floor is its longest
producer → consumer chain, so here each app moves on as soon as its own inputs are ready:

* its **analysis** starts when its build finished;
* its **deploy** starts when its producers in the run are deployed and, by
  ``impact-analysis.before-deploy``, either every build and analysis of the run passed
  (``all``, the default: nothing deploys when any of them fails or blocks, so the stage is
  left as it was) or its own did (``each``);
* its **verify** starts when its deploy finished.

Work that is ready at the same moment starts in order of the app's remaining chain (its own
expected durations plus its longest chain of consumers, from the tenant's deploy history
where known), and every request it makes carries that priority to the rate limiter
(:mod:`odc_pipeline.dispatch`), so start slots go to the critical path. An app whose
producers' deploys have all started gets a start slot reserved for when they are expected to
end, so a leaf that is ready a moment earlier does not take it. Each deploy's wait is told its
slack (how late it may end before the release does, from the running chains): on the critical
path it polls densely near its expected end, as its lag is the release's.

Under ``each``, at most as many analyses run at once as the platform starts deployments a
minute (ODC: 10): more could not make any deploy start sooner, and their start POSTs would take
the Dependency Management budget the running analyses' polls need, which is what held the
first deploys back. Under ``all`` every analysis must end before the first deploy, so all run.

What stops what: a cancel, or any failure under ``deploy.on-failure: stop-all`` (the default),
stops all new work; under ``stop-dependents`` only the failed app's consumers stop. A blocked
analysis always stops every new deploy (the gate), and lets the other analyses finish so the
report has every verdict. Work already running is always waited for. Every step keeps its
stage, so the report, JUnit and summaries read as before; a stage's time is the span of its
work across assets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from odc_pipeline import dispatch
from odc_pipeline.engine import build, deploy, impact, verify
from odc_pipeline.engine.context import AssetState, RunContext, StepTimer
from odc_pipeline.engine.poller import PRIORS
from odc_pipeline.engine.scheduler import STOP_ALL, run_graph
from odc_pipeline.errors import CancelledError
from odc_pipeline.report import StepStatus

STAGES = ("build", "impact-analysis", "deploy", "verify")
VERIFY_SECONDS = 1.0  # a portfolio read: the chain's last, short step


def applies(ctx: RunContext, stages: Iterable[str]) -> bool:
    """The flow runs a real deploy with at least one other flow stage on a per-asset platform.

    A plan changes nothing (its stages stay one after another, which reads the same), and a
    platform that deploys one plan for all apps has no per-asset deploy to flow into.
    """
    selected = [s for s in STAGES if s in stages]
    return (
        not ctx.plan
        and not ctx.platform.capabilities.deploys_as_plan
        and ctx.platform.capabilities.parallel_deploys
        and "deploy" in selected
        and len(selected) > 1
    )


@dataclass(frozen=True)
class Task:
    """One asset's work in one stage."""

    stage: str
    key: str


@dataclass
class _Plan:
    """What the preparation decided: the work per stage (asset keys) and the apps in order."""

    apps: list[AssetState]
    building: set[str]
    analysing: set[str]
    verifying: set[str]


def _prepare(ctx: RunContext, selected: list[str]) -> _Plan:
    """Every read and decision of every stage, in stage order, before the first change."""
    building = build.prepare_builds(ctx) if "build" in selected else []
    building_keys = {a.key for a in building}
    analysing = impact.prepare_analyses(ctx, building=building_keys) if "impact-analysis" in selected else []
    apps = deploy.prepare_deploys(ctx, building=building_keys)
    verifying = verify.prepare_verify(ctx) if "verify" in selected else []
    return _Plan(
        apps=apps,
        building=building_keys,
        analysing={a.key for a in analysing},
        verifying={a.key for a in verifying},
    )


def _tasks(ctx: RunContext, plan: _Plan) -> dict[Task, set[Task]]:
    """Every task and what it waits for (see the module docstring)."""
    deps: dict[Task, set[Task]] = {}
    # before-deploy: all keeps the gate whole: no deploy starts until every build and every
    # analysis passed, so a failure there leaves the stage exactly as it was.
    gate = {Task("impact-analysis", k) for k in plan.analysing} | {Task("build", k) for k in plan.building}
    each = ctx.spec.impact.before_deploy == "each"
    for asset in plan.apps:
        key = asset.key
        built = {Task("build", key)} if key in plan.building else set()
        if built:
            deps[Task("build", key)] = set()
        if key in plan.analysing:
            deps[Task("impact-analysis", key)] = set(built)
        own_analysis = {Task("impact-analysis", key)} if key in plan.analysing else set()
        producers = {Task("deploy", p) for p in asset.producers if p != key}
        deps[Task("deploy", key)] = built | producers | (own_analysis if each else gate)
        if key in plan.verifying:
            deps[Task("verify", key)] = {Task("deploy", key)}
    known = set(deps)
    return {task: {d for d in waits if d in known} for task, waits in deps.items()}


class _Chains:
    """Each task's expected remaining chain in seconds: the priority of its work.

    A deploy's chain is its expected duration (the tenant's history where the run read it,
    :meth:`Platform.prefetch_deploy_history`, else the poller's prior) plus the longest deploy
    chain among its consumers in the run; an analysis adds its own expected time to its app's
    deploy chain, a build the build's and the analysis's. Consumers' builds and analyses run
    while their producers deploy, so they are not on the chain.
    """

    def __init__(self, ctx: RunContext, plan: _Plan) -> None:
        self._ctx = ctx
        self._plan = plan
        self.deploy_seconds = {a.key: self._expected_deploy(a) for a in plan.apps}
        consumers: dict[str, list[str]] = {a.key: [] for a in plan.apps}
        for asset in plan.apps:
            for producer in asset.producers:
                if producer in consumers and producer != asset.key:
                    consumers[producer].append(asset.key)
        self.consumers = consumers
        self.chain: dict[str, float] = {}  # deploy chains
        for asset in reversed(plan.apps):  # producers first in plan.apps: consumers are known
            longest = max((self.chain[c] for c in consumers[asset.key] if c in self.chain), default=0.0)
            self.chain[asset.key] = self.deploy_seconds[asset.key] + longest

    def _expected_deploy(self, asset: AssetState) -> float:
        """The deploy's expected seconds: 0 when it is up to date, its history's median when
        the run already read it, else the prior (ranking never pays for a read of its own)."""
        if asset.up_to_date and not self._ctx.force and asset.key not in self._plan.building:
            return 0.0
        hint = self._ctx.platform.cached_deploy_hint(self._ctx, self._ctx.target, asset.ref)
        return hint.median if hint is not None else PRIORS["deploy"].median

    def priority(self, task: Task) -> float:
        if task.stage == "verify":
            return 0.0
        seconds = self.chain.get(task.key, 0.0)
        if task.stage in ("build", "impact-analysis") and task.key in self._plan.analysing:
            seconds += PRIORS["analysis"].median
        if task.stage == "build":
            seconds += PRIORS["build"].median
        return seconds


class _Reservations:
    """Start slots held for critical apps whose producers are expected to finish soon."""

    # A producer may run this much longer than its history's median before its consumer's
    # slot lapses: the history's own spread (about x/÷ 1.3 for two thirds of runs) with room.
    LATE_FRACTION = 0.5

    def __init__(self, ctx: RunContext, chains: _Chains, by_key: dict[str, AssetState]) -> None:
        self._ctx = ctx
        self._chains = chains
        self._by_key = by_key
        self._lock = threading.Lock()
        self._ends: dict[str, float] = {}
        self._cancels: list[Callable[[], None]] = []
        self._gate_open = False

    def first_deploys(self, plan: _Plan) -> None:
        """Under ``each``, apps with no producer in the run deploy right after their own build
        and analysis, so that is when their slot is held. Under ``all`` they wait for the whole
        gate, whose end is not known here; their consumers' slots are still held later."""
        if self._ctx.spec.impact.before_deploy != "each":
            return
        now = self._ctx.clock.monotonic()
        for asset in plan.apps:
            if any(p in self._by_key for p in asset.producers if p != asset.key):
                continue
            lead = (PRIORS["build"].median if asset.key in plan.building else 0.0) + (
                PRIORS["analysis"].median if asset.key in plan.analysing else 0.0
            )
            self._reserve(asset.key, now + lead, grace=10.0)

    def gate_opened(self, plan: _Plan) -> list[AssetState]:
        """Under ``all``, every analysis just passed: the apps with no producer in the run all
        become ready at once, and whichever reaches the POST window first would take its 10
        slots. Holding one for each, at its chain's priority, gives them out in chain order
        (a reservation holds back only lower priorities). Only the first call counts; it
        returns those apps (later calls: none)."""
        with self._lock:
            if self._gate_open:
                return []
            self._gate_open = True
        now = self._ctx.clock.monotonic()
        roots = [a for a in plan.apps if not any(p in self._by_key for p in a.producers if p != a.key)]
        for asset in roots:
            self._reserve(asset.key, now, grace=10.0)
        return roots

    def deploy_started(self, key: str) -> None:
        """``key``'s deploy is running (its start POST went out, which may have waited a
        minute for a slot): consumers whose every producer now runs get a slot held for when
        the last of them is expected to end. Called again when it ends (a deploy that needed
        no start ends at once); only the first call counts."""
        now = self._ctx.clock.monotonic()
        with self._lock:
            if key in self._ends:
                return
            self._ends[key] = now + self._chains.deploy_seconds.get(key, 0.0)
            due = []
            for consumer in self._chains.consumers.get(key, ()):
                producers = [
                    p for p in self._by_key[consumer].producers if p in self._by_key and p != consumer
                ]
                if all(p in self._ends for p in producers):
                    longest = max(self._chains.deploy_seconds.get(p, 0.0) for p in producers)
                    due.append((consumer, max(self._ends[p] for p in producers), longest))
        for consumer, at, longest in due:
            self._reserve(consumer, at, grace=10.0 + self.LATE_FRACTION * longest)

    def _reserve(self, key: str, at: float, *, grace: float) -> None:
        if self._chains.deploy_seconds.get(key, 0.0) <= 0:
            return  # up to date: it starts no deploy
        cancel = self._ctx.platform.reserve_start(
            "Deploy", priority=self._chains.chain.get(key, 0.0), owner=key, at=at, grace=grace
        )
        with self._lock:
            self._cancels.append(cancel)

    def cancel_all(self) -> None:
        with self._lock:
            cancels = list(self._cancels)
        for cancel in cancels:
            cancel()


class _Horizon:
    """When the release is expected to end, and how much later each deploy may end than its
    chain needs: its slack, which tells the poller whose lag is the release's own.

    A running deploy's chain is expected to end at ``max(started + its duration, now)`` plus
    its consumers' chain; a finished one whose consumers have not all started holds theirs
    (``now`` plus the longest of the ones not started). The release ends with the latest of
    them. A deploy counts as started when its wait first asks (right after its start POST,
    which may have waited for a slot), so the estimate is never ahead of the platform.
    """

    def __init__(self, ctx: RunContext, chains: _Chains, on_start: Callable[[str], None]) -> None:
        self._clock = ctx.clock
        self._chains = chains
        self._on_start = on_start
        self._lock = threading.Lock()
        self._started: dict[str, float] = {}
        self._done: set[str] = set()

    def slack(self, key: str) -> Callable[[], float]:
        """What the deploy's wait asks before each status call; its first question is the
        moment the deploy is known to run, which ``on_start`` hears of."""

        def left() -> float:
            with self._lock:
                now = self._clock.monotonic()
                first = key not in self._started
                self._started.setdefault(key, now)
                ends = [self._chain_end(k, now) for k in self._started if self._holds_chain(k)]
                slack = max(ends, default=now) - self._chain_end(key, now)
            if first:
                self._on_start(key)
            return slack

        return left

    def finished(self, key: str) -> None:
        with self._lock:
            self._done.add(key)

    def _waiting(self, key: str) -> list[str]:
        return [c for c in self._chains.consumers[key] if c not in self._started]

    def _holds_chain(self, key: str) -> bool:
        return key not in self._done or bool(self._waiting(key))

    def _chain_end(self, key: str, now: float) -> float:
        if key in self._done:
            return now + max((self._chains.chain.get(c, 0.0) for c in self._waiting(key)), default=0.0)
        own = self._chains.deploy_seconds.get(key, 0.0)
        rest = self._chains.chain.get(key, own) - own
        return max(self._started[key] + own, now) + rest


def run_flow(ctx: RunContext, stages: Iterable[str], reached: list[str]) -> None:
    """The flow stages of this run for every asset; ``reached`` gets the stage a failure is
    counted against (``deploy`` once any deploy started: the release is then part-way)."""
    selected = [s for s in STAGES if s in stages]
    plan = _prepare(ctx, selected)
    by_key = {a.key: a for a in plan.apps}
    graph = _tasks(ctx, plan)
    assert ctx.target is not None, "resolve runs first"
    ctx.platform.prefetch_deploy_history(ctx, ctx.target, [a.ref for a in plan.apps if not a.up_to_date])
    chains = _Chains(ctx, plan)
    reservations = _Reservations(ctx, chains, by_key)
    reservations.first_deploys(plan)
    horizon = _Horizon(ctx, chains, on_start=reservations.deploy_started)
    _announce_starts(ctx, plan)
    verdicts: dict[str, impact.Verdict] = {}
    gated = ctx.spec.impact.before_deploy != "each"

    def work(task: Task) -> Any:
        asset = by_key[task.key]
        if task.stage == "deploy":
            with dispatch.working(chains.priority(task), asset.key, slack=horizon.slack(task.key)):
                try:
                    return deploy.deploy_one(ctx, asset)
                finally:
                    horizon.finished(task.key)
                    reservations.deploy_started(task.key)  # no-op unless it never waited
        with dispatch.working(chains.priority(task), asset.key):
            if task.stage == "build":
                return build.build_one(ctx, asset)
            if task.stage == "impact-analysis":
                verdict = verdicts[task.key] = impact.analyse_one(ctx, asset)
                if (
                    gated
                    and len(verdicts) == len(plan.analysing)
                    and not any(v.stops for v in verdicts.values())
                ):
                    released = reservations.gate_opened(plan)
                    # they all read what runs and is running in the target before deciding
                    ctx.stage_reads.read_for(ctx, [a for a in released if not a.up_to_date])
                return verdict
            return verify.verify_one(ctx, asset)

    def failed(result: Any) -> bool:
        if isinstance(result, impact.Verdict):
            return result.stops
        return result in (StepStatus.FAILED, StepStatus.BLOCKED)

    def drop(task: Task, error: BaseException | None) -> Iterable[Task] | None:
        if error is None and task.stage == "impact-analysis":  # the gate: no new deploys at all
            return [t for t in graph if t.stage in ("deploy", "verify")]
        if isinstance(error, CancelledError) or ctx.spec.deploy.on_failure != "stop-dependents":
            return STOP_ALL
        return [t for t in graph if t.key in _downstream(chains.consumers, task.key)]

    try:
        outcome = run_graph(
            list(graph),
            {t: graph[t] for t in graph},
            work,
            max_parallel=ctx.max_parallel,
            cancel=ctx.cancel,
            failed=failed,
            priority=chains.priority,
            drop=drop,
            group=lambda task: task.stage,
            caps=_caps(ctx),
        )
    finally:
        reservations.cancel_all()
    _record_unfinished(ctx, by_key, outcome.not_started, outcome.errors, outcome.first_error)
    started_deploys = any(t.stage == "deploy" for t in outcome.order_started)
    failing = next((t for t in outcome.order_started if t in outcome.errors), None)
    reached.append("deploy" if started_deploys else failing.stage if failing else selected[-1])
    if outcome.first_error is not None:
        raise outcome.first_error
    impact.conclude(ctx, [verdicts[a.key] for a in ctx.assets if a.key in verdicts])
    verify.conclude(ctx, [by_key[t.key] for t in outcome.results if t.stage == "verify"])
    if ctx.cancel.is_set():
        raise CancelledError("cancelled before every asset went through the pipeline")


def _announce_starts(ctx: RunContext, plan: _Plan) -> None:
    """Tell the analyses' poll budget how many analyses will start: each enters its wait right
    after its start, so once every one has, the polls may use the slots kept for starts (the
    gate under ``all`` is the last of 50 results, more than a minute's budget). Under ``each``
    none is announced as coming: no more analyses run at once than :func:`_caps` allows, and
    the result of one running unlocks a deploy where a start only begins another wait, so its
    polls get the whole window from the first (200 apps' producers reads leave the first
    minute a third of it). Deploys are not announced: a deploy may wait for an operation
    already running before its own start."""
    budget = ctx.poll_budget("impact-analysis")
    if budget is not None and plan.analysing:
        each = ctx.spec.impact.before_deploy == "each"
        budget.expect_starts(0 if each else len(plan.analysing))


def _caps(ctx: RunContext) -> dict[str, int]:
    """Under ``each``, no more analyses at once than deploys can start a minute (see the module
    docstring); under ``all`` every analysis must end before any deploy, so all may run."""
    if ctx.spec.impact.before_deploy != "each":
        return {}
    return {"impact-analysis": ctx.platform.capabilities.starts_per_minute}


def _downstream(consumers: dict[str, list[str]], key: str) -> set[str]:
    """``key`` and every app that depends on it, directly or not."""
    seen = {key}
    todo = [key]
    while todo:
        for consumer in consumers.get(todo.pop(), ()):
            if consumer not in seen:
                seen.add(consumer)
                todo.append(consumer)
    return seen


def _record_unfinished(
    ctx: RunContext,
    by_key: dict[str, AssetState],
    not_started: list[Task],
    errors: dict[Task, BaseException],
    reason: BaseException | None,
) -> None:
    """A step for every task that never ran or raised before recording its own."""
    deploy.record_not_deployed(
        ctx,
        by_key.values(),
        {t.key: e for t, e in errors.items() if t.stage == "deploy"},
        [t.key for t in not_started if t.stage == "deploy"],
        reason=reason or _gate_reason(ctx),
    )
    recorded = {(s.stage, s.asset_key) for s in ctx.steps}
    cancelled = ctx.cancel.is_set() or isinstance(reason, CancelledError)
    for task in [*not_started, *(t for t in errors if t.stage != "deploy")]:
        if task.stage == "deploy" or (task.stage, task.key) in recorded:
            continue
        error = errors.get(task)
        if error is not None:
            status = StepStatus.CANCELLED if isinstance(error, CancelledError) else StepStatus.FAILED
            text = str(error)
        elif cancelled:
            status, text = StepStatus.CANCELLED, "cancelled before it started"
        else:
            status, text = (
                StepStatus.SKIPPED,
                f"not started: {reason or _gate_reason(ctx) or 'its inputs failed'}",
            )
        ctx.record(StepTimer(ctx, by_key[task.key], task.stage).result(status, text))


def _gate_reason(ctx: RunContext) -> BaseException | None:
    """The gate's error when an analysis blocked (the reason later work did not start)."""
    from odc_pipeline.errors import GateBlockedError

    blocked = [s.asset for s in ctx.steps if s.stage == "impact-analysis" and s.status is StepStatus.BLOCKED]
    if not blocked:
        return None
    return GateBlockedError(f"impact analysis blocked {', '.join(blocked)}")
