"""The per-asset flow's scheduling rules, on the in-memory ODC with a manual clock.

Each test builds a small release whose right order is known from its graph and durations
(history seeded in the fake), runs it through :func:`run_pipeline`, and checks what ODC was
asked to start, in which order, and what the report says.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace as NS

import pytest

from odc_pipeline.engine import flow
from odc_pipeline.engine.options import AssetSpec, DeployPolicy, ImpactPolicy
from odc_pipeline.engine.runner import run_pipeline
from odc_pipeline.errors import ExitCode
from odc_pipeline.report import StepStatus

from .fakes import ENV_DEV, ENV_QA, FakeOdc, make_ctx
from .test_stages import _broken_consumer, _report

LEAF, BASE, TOP = "key-leaf", "key-base", "key-top"
NAMES = {LEAF: "Leaf App", BASE: "Base App", TOP: "Top App"}
STAGES = {"build", "impact-analysis", "deploy", "verify"}
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _tenant(history: dict[str, float] | None = None) -> FakeOdc:
    """Leaf (alone), Base → Top (Top uses Base); each runs r1 in QA and deploys r2 (built).

    ``history``: seconds each app's past QA deploys took (five each), which the run reads in
    one listing of the stage and ranks the critical path with.
    """
    odc = FakeOdc()
    for key, name in NAMES.items():
        odc.add_asset(key, name, latest=2)
        odc.add_build(f"b-{key}-1", key, 1)
        odc.add_build(f"b-{key}-2", key, 2)
        odc.run(ENV_QA, key, 1, f"b-{key}-1")
        odc.run(ENV_DEV, key, 2, f"b-{key}-2")
    odc.producers_of = {TOP: [BASE]}
    for key, seconds in (history or {}).items():
        for i in range(5):
            start = T0 + timedelta(days=i)
            odc.operations[f"past-{key}-{i}"] = NS(
                key=f"past-{key}-{i}",
                status="Finished",
                operation="Deploy",
                asset_key=key,
                environment_key=ENV_QA,
                revisions=[1],
                build_key=f"b-{key}-1",
                started_date_time=start,
                finished_date_time=start + timedelta(seconds=seconds),
            )
    return odc


def _run(odc: FakeOdc, *, before_deploy: str = "all", on_failure: str = "stop-all", max_parallel=1, **spec):
    ctx, reporter = make_ctx(
        odc,
        assets=tuple(AssetSpec(name=n) for n in NAMES.values()),  # Leaf listed first
        stages=spec.pop("stages", STAGES),
        impact=ImpactPolicy(before_deploy=before_deploy),
        deploy=DeployPolicy(max_parallel=max_parallel, on_failure=on_failure),
        **spec,
    )
    return ctx, run_pipeline(ctx), reporter


def _deploys(odc: FakeOdc) -> list[str]:
    return [NAMES[c[1]["asset_key"]] for c in odc.calls if c[0] == "deployments.start"]


def _analyses(odc: FakeOdc) -> list[str]:
    return [NAMES[c[1]] for c in odc.calls if c[0] == "start_deployment_analysis"]


def _blocked(odc: FakeOdc, key: str) -> None:
    """``key``'s analysis finds a consumer it would break (ErrorsFound)."""
    odc.analysis_report[key] = _report("ErrorsFound", [_broken_consumer()])


def test_the_longest_chain_gets_the_first_deploy_although_it_is_listed_later():
    """One slot at a time: Base (Base → Top is the longest chain) starts before Leaf."""
    odc = _tenant()
    _, report, _ = _run(odc)
    assert report.exit_code == 0, report.error
    assert _deploys(odc) == ["Base App", "Leaf App", "Top App"]


def test_history_decides_the_critical_path():
    """Leaf's deploys take 600 s, Base + Top 20 s + 20 s: Leaf is the critical one now."""
    odc = _tenant(history={LEAF: 600.0, BASE: 20.0, TOP: 20.0})
    _, report, _ = _run(odc)
    assert report.exit_code == 0, report.error
    assert _deploys(odc) == ["Leaf App", "Base App", "Top App"]
    listings = [c for c in odc.calls if c[0] == "deployments.list" and c[1]["status"] == "Finished"]
    assert listings == [("deployments.list", {"asset_key": None, "status": "Finished"})]  # one read


def test_each_deploys_an_app_right_after_its_own_analysis():
    odc = _tenant(history={LEAF: 600.0, BASE: 20.0, TOP: 20.0})
    _, report, _ = _run(odc, before_deploy="each")
    assert report.exit_code == 0, report.error
    starts = [c[0] for c in odc.calls if c[0] in ("deployments.start", "start_deployment_analysis")]
    # Leaf's analysis, then at once its deploy (the longest chain), before any other analysis
    assert starts[:2] == ["start_deployment_analysis", "deployments.start"]
    assert _analyses(odc)[0] == "Leaf App"


def test_all_analyses_pass_before_the_first_deploy_by_default():
    odc = _tenant(history={LEAF: 600.0, BASE: 20.0, TOP: 20.0})
    _, report, _ = _run(odc)
    assert report.exit_code == 0, report.error
    kinds = [c[0] for c in odc.calls if c[0] in ("deployments.start", "start_deployment_analysis")]
    assert kinds == ["start_deployment_analysis"] * 3 + ["deployments.start"] * 3


def test_a_blocked_analysis_under_all_deploys_nothing():
    odc = _tenant()
    _blocked(odc, TOP)
    _, report, _ = _run(odc)
    assert report.exit_code == ExitCode.GATE
    assert _deploys(odc) == []
    assert sorted(_analyses(odc)) == ["Base App", "Leaf App", "Top App"]  # every verdict is reported
    assert {s.asset: s.status for s in report.steps_for("deploy")} == dict.fromkeys(
        NAMES.values(), StepStatus.SKIPPED
    )


def test_a_blocked_analysis_under_each_stops_new_deploys_and_the_report_lists_what_was_deployed():
    """Leaf (critical by history) deploys right after its analysis; Top's analysis blocks later."""
    odc = _tenant(history={LEAF: 600.0, BASE: 20.0, TOP: 20.0})
    _blocked(odc, TOP)
    _, report, _ = _run(odc, before_deploy="each")
    assert report.exit_code == ExitCode.GATE
    assert report.status == "blocked"
    deployed = {s.asset: s.status for s in report.steps_for("deploy")}
    assert deployed["Leaf App"] is StepStatus.SUCCEEDED
    assert deployed["Top App"] is StepStatus.SKIPPED
    assert "Top App" not in _deploys(odc)
    assert "Leaf App" in _deploys(odc)
    leaf = next(a for a in report.assets if a.name == "Leaf App")
    assert (leaf.revision_before, leaf.revision_after) == (1, 2)  # the summary says it moved
    assert "impact analysis blocks the deploy" in report.error
    assert "Top App" in report.error


def test_a_failure_stops_all_new_work_by_default():
    odc = _tenant()
    odc.deploy_outcome[(BASE, 2)] = "FinishedWithError"
    _, report, _ = _run(odc)
    assert report.exit_code == ExitCode.FAILED
    assert _deploys(odc) == ["Base App"]  # the critical chain's first app failed: nothing else starts
    steps = {s.asset: s for s in report.steps_for("deploy")}
    assert steps["Leaf App"].status is StepStatus.SKIPPED
    assert steps["Leaf App"].summary.startswith("not started:")
    assert steps["Top App"].status is StepStatus.SKIPPED


def test_stop_dependents_keeps_independent_work_going():
    odc = _tenant()
    odc.deploy_outcome[(BASE, 2)] = "FinishedWithError"
    _, report, _ = _run(odc, on_failure="stop-dependents")
    assert report.exit_code == ExitCode.FAILED
    assert _deploys(odc) == ["Base App", "Leaf App"]  # Top needs Base: it never starts
    steps = {s.asset: s.status for s in report.steps_for("deploy")}
    assert steps == {
        "Base App": StepStatus.FAILED,
        "Leaf App": StepStatus.SUCCEEDED,
        "Top App": StepStatus.SKIPPED,
    }
    verified = {s.asset: s.status for s in report.steps_for("verify")}
    assert verified["Leaf App"] is StepStatus.SUCCEEDED
    assert verified["Top App"] is StepStatus.SKIPPED


def test_cancel_mid_flow_starts_nothing_more_and_lists_what_runs():
    odc = _tenant()
    cancel = threading.Event()
    original = odc.start

    def start(*args, **kwargs):
        started = original(*args, **kwargs)
        if kwargs.get("operation") == "Deploy":
            cancel.set()  # the CI job is cancelled right after the first deploy was accepted
        return started

    odc.start = start  # type: ignore[method-assign]
    ctx, _ = make_ctx(
        odc,
        assets=tuple(AssetSpec(name=n) for n in NAMES.values()),
        stages=STAGES,
        deploy=DeployPolicy(max_parallel=1),
    )
    ctx.cancel = cancel
    report = run_pipeline(ctx)
    assert report.exit_code == ExitCode.CANCELLED
    assert _deploys(odc) == ["Base App"]
    assert len(report.in_flight) == 1  # Base's deploy: started, not seen to end
    steps = {s.asset: s.status for s in report.steps_for("deploy")}
    assert steps["Leaf App"] is StepStatus.CANCELLED
    assert steps["Top App"] is StepStatus.CANCELLED


def _reservations(monkeypatch, before_deploy: str) -> dict[str, tuple[float, float, float]]:
    """Run the release; the slot each app got held: name → (priority, seconds ahead, grace)."""
    odc = _tenant(history={LEAF: 30.0, BASE: 100.0, TOP: 50.0})
    ctx, _ = make_ctx(
        odc,
        assets=tuple(AssetSpec(name=n) for n in NAMES.values()),
        stages=STAGES,
        impact=ImpactPolicy(before_deploy=before_deploy),
        deploy=DeployPolicy(max_parallel=1),
    )
    held: list[tuple[str, float, float, float, float]] = []

    def reserve(kind, *, priority, owner, at, grace):
        assert kind == "Deploy"
        held.append((NAMES[owner], priority, at, ctx.clock.monotonic(), grace))
        return lambda: None

    monkeypatch.setattr(ctx.platform, "reserve_start", reserve)
    report = run_pipeline(ctx)
    assert report.exit_code == 0, report.error
    assert len({name for name, *_ in held}) == len(held), "one reservation per app"
    return {name: (priority, at - now, grace) for name, priority, at, now, grace in held}


def test_critical_apps_get_a_start_slot_reserved_for_when_their_producers_end(monkeypatch):
    first = _reservations(monkeypatch, "each")
    # at the start: the apps without producers in the run, right after their analysis (prior 3 s)
    assert first["Leaf App"] == pytest.approx((30.0, 3.0, 10.0))
    assert first["Base App"] == pytest.approx((150.0, 3.0, 10.0))  # its chain: Base 100 s + Top 50 s
    # when Base's deploy runs, Top (its only producer now running) is expected 100 s later, and
    # its slot outlasts that by half of Base's duration: Base may run late
    assert first["Top App"] == pytest.approx((50.0, 100.0, 10.0 + 50.0))


def test_under_all_the_first_deploys_get_their_slots_held_when_the_gate_opens(monkeypatch):
    """Before the gate its end is unknown; once the last analysis passed, every app without a
    producer in the run is ready at once and gets a slot held at its chain's priority, so the
    first POSTs go in chain order whichever thread reaches the window first."""
    held = _reservations(monkeypatch, "all")
    assert held["Base App"] == pytest.approx((150.0, 0.0, 10.0))
    assert held["Leaf App"] == pytest.approx((30.0, 0.0, 10.0))
    assert held["Top App"] == pytest.approx((50.0, 100.0, 60.0))


def test_the_flow_is_not_used_for_a_plan_or_without_deploy():
    odc = _tenant()
    ctx, _ = make_ctx(odc, assets=(AssetSpec(name="Leaf App"),), stages=STAGES)
    assert flow.applies(ctx, ("build", "deploy"))
    assert not flow.applies(ctx, ("build", "impact-analysis"))
    assert not flow.applies(ctx, ("deploy",))
    planned, _ = make_ctx(odc, assets=(AssetSpec(name="Leaf App"),), stages=STAGES)
    planned.options = type(planned.options)(plan=True)
    assert not flow.applies(planned, ("build", "deploy"))


@pytest.mark.parametrize("max_parallel", [None, 2])
def test_max_parallel_defaults_to_the_platform_limit(max_parallel):
    odc = _tenant()
    ctx, _ = make_ctx(
        odc,
        assets=(AssetSpec(name="Leaf App"),),
        stages=STAGES,
        deploy=DeployPolicy(max_parallel=max_parallel),
    )
    assert ctx.max_parallel == (max_parallel or 50)


def test_the_flow_is_one_log_section_that_ends_with_each_stages_status_and_span():
    odc = _tenant()
    odc.deploy_outcome[(BASE, 2)] = "FinishedWithError"
    _, report, reporter = _run(odc)
    assert report.exit_code == ExitCode.FAILED
    name = "build → impact-analysis → deploy → verify"
    assert ("stage", name) in reporter.events
    assert ("stage-end", f"{name}:failed") in reporter.events
    lines = [t for t in reporter.texts("info") if "across assets" in t]
    assert [line.split(":")[0] for line in lines] == ["build", "impact-analysis", "deploy", "verify"]
    assert lines[2].startswith("deploy: failed (")
    assert lines[3].startswith("verify: skipped (0.0s")  # nothing was verified after the failure


def test_deploy_waits_carry_their_slack_and_analyses_none(monkeypatch):
    """The flow tells the poller how late each deploy may end (README: urgent cadence; the
    arithmetic is in test_flow_horizon). One deploy at a time, in chain order (Base 100 s →
    Top 50 s, then Leaf 30 s): each is the release's last work when it runs, so none has slack.
    Analyses carry none at all (the gate waits for every one)."""
    from odc_pipeline.engine import context

    seen: list[tuple[str, float | None]] = []
    real_wait_for = context.wait_for

    def wait_for(fetch, is_done, *, what, slack=None, **kwargs):
        seen.append((what, slack() if slack is not None else None))
        return real_wait_for(fetch, is_done, what=what, slack=slack, **kwargs)

    monkeypatch.setattr(context, "wait_for", wait_for)
    odc = _tenant(history={LEAF: 30.0, BASE: 100.0, TOP: 50.0})
    _, report, _ = _run(odc)
    assert report.exit_code == 0, report.error
    assert _deploys(odc) == ["Base App", "Top App", "Leaf App"]
    deploys = [s for what, s in seen if "deploy " in what]
    analyses = [s for what, s in seen if "impact analysis" in what]
    assert deploys == [0.0, 0.0, 0.0]
    assert analyses == [None, None, None]


@pytest.mark.parametrize(("before_deploy", "reserve_kept"), [("all", True), ("each", False)])
def test_analysis_polls_keep_slots_for_starts_only_where_the_gate_needs_every_result(
    before_deploy: str, reserve_kept: bool
) -> None:
    """Under ``all`` the reserve holds until every analysis waits (starts first: the gate is the
    last result); under ``each`` a running analysis's result unlocks a deploy, and no more run
    at once than deploys can start a minute, so its polls get the whole window at once."""
    from odc_pipeline.clock import ManualClock
    from odc_pipeline.engine.poller import PollBudget

    budget = PollBudget(ManualClock(), per_minute=100, reserve=30, load=lambda: 90)
    ctx = NS(poll_budget=lambda stage: budget, spec=NS(impact=NS(before_deploy=before_deploy)))
    plan = NS(analysing={"a", "b", "c"})
    flow._announce_starts(ctx, plan)  # type: ignore[arg-type]
    with budget.share(priority=1.0) as first:
        assert budget.keeps_reserve is reserve_kept
        assert (budget.admit(first) == 0.0) is not reserve_kept  # the window is 90 % full
