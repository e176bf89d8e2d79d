"""Waits get a duration hint from what the platform already says about past operations.

The poller's tests prove a hint makes polling dense only near the expected end; these prove
the engine actually hands one over: recent Finished Deploys / ApplyConfigs of the same asset
and stage (the deployments list) and recent Release builds of the asset (the builds list),
one GET per kind and asset at most, and that a failed history read only means "no hint".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace as NS
from typing import Any

import pytest

from odc_pipeline.api.errors import ServerError
from odc_pipeline.engine import context
from odc_pipeline.engine.options import AssetSpec, DeployPolicy, RunOptions, config_spec
from odc_pipeline.engine.poller import DurationHint, wait_for
from odc_pipeline.engine.resolve import resolve
from odc_pipeline.engine.runner import run_pipeline
from odc_pipeline.report import StepStatus

from .e2e import EXAMPLES, simulated
from .fakes import ENV_QA, FakeOdc, make_ctx, setting

API = "key-api"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def hints(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, DurationHint | None]]:
    """``(what, hint)`` of every wait the engine makes (the real poller still runs)."""
    seen: list[tuple[str, DurationHint | None]] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append((kwargs["what"], kwargs.get("hint")))
        return wait_for(*args, **kwargs)

    monkeypatch.setattr(context, "wait_for", spy)
    return seen


def _past(odc: FakeOdc, operation: str, seconds: list[float], status: str = "Finished") -> None:
    """Finished operations of Orders API in QA, one a day, lasting ``seconds`` each."""
    for day, length in enumerate(seconds):
        started = T0 + timedelta(days=day)
        key = f"past-{operation}-{day}-{status}"
        odc.operations[key] = NS(
            key=key,
            status=status,
            operation=operation,
            asset_key=API,
            environment_key=ENV_QA,
            revisions=[3],
            build_key="b-api-3",
            started_date_time=started,
            finished_date_time=started + timedelta(seconds=length),
        )


def _app() -> FakeOdc:
    odc = FakeOdc()
    odc.add_asset(API, "Orders API", latest=5)
    odc.add_build("b-api-4", API, 4)
    odc.add_build("b-api-5", API, 5)
    odc.run(ENV_QA, API, 4, "b-api-4")
    return odc


def _history_reads(odc: FakeOdc) -> list[Any]:
    return [c for c in odc.calls if c[0] == "deployments.list" and c[1]["status"] == "Finished"]


def _deploy(odc: FakeOdc, **spec: Any):
    ctx, reporter = make_ctx(odc, assets=(AssetSpec(name="Orders API"),), stages={"deploy"}, **spec)
    resolve(ctx)
    return ctx, reporter, run_pipeline(ctx)


def test_deploy_wait_gets_a_hint_from_recent_finished_deploys_of_the_asset_in_the_stage(hints):
    odc = _app()
    _past(odc, "Deploy", [110.0, 120.0, 130.0, 125.0, 115.0])
    _past(odc, "Deploy", [5.0, 6.0], status="FinishedWithError")  # failed deploys stop early
    _past(odc, "ApplyConfigs", [8.0, 9.0, 10.0])  # another kind of operation
    _, _, report = _deploy(odc)
    assert report.exit_code == 0, report.error
    ((_, hint),) = [(w, h) for w, h in hints if w.startswith("deploy ")]
    assert hint is not None
    assert hint.median == pytest.approx(120.0)
    assert hint.samples == 5
    assert len(_history_reads(odc)) == 1


def test_a_failed_history_read_only_means_no_hint(hints):
    class NoHistory(FakeOdc):
        def list(self, asset_key=None, **kwargs: Any):
            if kwargs.get("status") == "Finished":
                raise ServerError("history unavailable", status=503)
            return super().list(asset_key, **kwargs)

    odc = NoHistory()
    odc.add_asset(API, "Orders API", latest=5)
    odc.add_build("b-api-5", API, 5)
    odc.run(ENV_QA, API, 4, "b-api-4")
    _, reporter, report = _deploy(odc)
    assert report.exit_code == 0, report.error
    assert report.steps_for("deploy")[0].status is StepStatus.SUCCEEDED
    assert [h for w, h in hints if w.startswith("deploy ")] == [None]
    assert reporter.texts("warning") == []


def test_the_rollback_deploy_reuses_the_history_read_for_the_failed_deploy(hints):
    odc = _app()
    _past(odc, "Deploy", [60.0, 62.0, 58.0])
    odc.deploy_outcome[(API, 5)] = "FinishedWithError"
    odc.failed_deploy_replaces = True  # so the rollback has to redeploy r4
    _, _, report = _deploy(odc, deploy=DeployPolicy(rollback_on_failure=True))
    assert report.rollback.assets[0].outcome == "rolled-back"
    deploy_hints = [h for w, h in hints if "deploy " in w]
    assert len(deploy_hints) == 2
    assert all(h is not None and h.median == pytest.approx(60.0) for h in deploy_hints)
    assert len(_history_reads(odc)) == 1


def test_applyconfigs_wait_gets_a_hint_from_recent_applyconfigs_only(hints):
    odc = _app()
    odc.run(ENV_QA, API, 5, "b-api-5")
    odc.configs[(ENV_QA, API)] = NS(
        settings=[setting("MaxItemsPerPage", "Integer", "25")], timers=[], integrations=[]
    )
    _past(odc, "ApplyConfigs", [20.0, 22.0, 18.0, 21.0])
    _past(odc, "Deploy", [300.0, 310.0, 290.0])
    ctx, _ = make_ctx(
        odc,
        assets=(AssetSpec(name="Orders API"),),
        configure={"Orders API": config_spec(settings={"MaxItemsPerPage": 50})},
        stages={"configure"},
    )
    resolve(ctx)
    report = run_pipeline(ctx)
    assert report.exit_code == 0, report.error
    ((_, hint),) = [(w, h) for w, h in hints if w.startswith("ApplyConfigs")]
    assert hint is not None
    assert hint.median == pytest.approx(20.5, rel=0.01)  # geometric mean of 20 and 21


def test_build_wait_gets_a_hint_from_the_assets_recent_finished_release_builds(hints):
    odc = _app()
    for revision, seconds, build_type, status in (
        (2, 70.0, "Release", "Finished"),
        (3, 80.0, "Release", "Finished"),
        (4, 75.0, "Release", "Finished"),
        (4, 5.0, "Debug", "Finished"),  # Debug builds are another kind of operation
        (3, 2.0, "Release", "FinishedWithErrors"),
    ):
        started = T0 + timedelta(days=revision)
        odc.builds_list.append(
            NS(
                build_key=f"b-{revision}-{build_type}-{status}",
                asset_key=API,
                asset_revision=revision,
                build_type=build_type,
                status=status,
                started_date_time=started,
                finished_date_time=started + timedelta(seconds=seconds),
            )
        )
    ctx, _ = make_ctx(odc, assets=(AssetSpec(name="Orders API"),), stages={"build"}, force_rebuild=True)
    resolve(ctx)
    report = run_pipeline(ctx)
    assert report.exit_code == 0, report.error
    ((_, hint),) = [(w, h) for w, h in hints if w.startswith("Release build")]
    assert hint is not None
    assert hint.median == pytest.approx(75.0)
    assert hint.samples == 3


def test_no_history_read_when_the_start_answer_is_already_final(hints):
    """A deploy that finished in its start response is not waited for, so nothing is read."""

    class Instant(FakeOdc):
        def start(self, *args: Any, **kwargs: Any) -> NS:
            started = super().start(*args, **kwargs)
            started.status = "Finished"
            return started

    odc = Instant()
    odc.add_asset(API, "Orders API", latest=5)
    odc.add_build("b-api-5", API, 5)
    odc.run(ENV_QA, API, 4, "b-api-4")
    _, _, report = _deploy(odc)
    assert report.exit_code == 0, report.error
    assert [w for w, _ in hints if "deploy " in w] == []
    assert _history_reads(odc) == []


def test_end_to_end_deploy_waits_read_the_simulators_deployment_history(tmp_path, hints):
    """Through the real client and HTTP: the history query is one the API answers."""
    with simulated(tmp_path) as sim:
        run = sim.run(EXAMPLES / "multi-asset-release.yml", env={})
        assert run.report.exit_code == 0, run.report.error
        history = [
            e
            for e in sim.requests(method="GET", contains="/deployment-operations")
            if "status=Finished" in e.query
        ]
        deploy_hints = [h for w, h in hints if w.startswith("deploy ")]
        assert len(deploy_hints) == 3
        assert all(h is not None for h in deploy_hints)  # the tenant's seeded deploys count
        # One listing of the stage's finished deploys answers every app (the per-asset flow
        # ranks the critical path with them before the first deploy); none is read per app.
        assert len(history) == 1
        assert "assetKey=" not in history[0].query
        assert "environmentKey=" in history[0].query
        assert all(e.status == 200 for e in history)


def test_plan_reads_no_history(tmp_path, hints):
    with simulated(tmp_path) as sim:
        run = sim.run(EXAMPLES / "multi-asset-release.yml", env={}, options=RunOptions(plan=True))
        assert run.report.exit_code == 0, run.report.error
        assert sim.mutations() == []
        assert hints == []
        assert not [
            e
            for e in sim.requests(method="GET", contains="/deployment-operations")
            if "status=Finished" in e.query
        ]
