"""Issue #16 on LifeTime: ``rollback-on-failure`` is one plan back to the versions that ran before.

Driven end to end like ``test_e2e_lifetime.py`` (``engine.command.execute`` on the LifeTime
simulator, one ScaledClock). The simulator's tenant outcomes make a plan fail; their
``deployed`` list rehearses LifeTime leaving a failed plan partly deployed (UNDOC). Every test
checks the simulator's state (what the target runs, which plans exist), not only the report.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from odc_pipeline.engine.options import RunOptions, spec_from_pipeline
from odc_pipeline.lifetime_simulator import DEFAULT_LIFETIME_TENANT, load_lifetime_tenant
from odc_pipeline.lifetime_simulator.tenant import OutcomeSpec
from odc_pipeline.pipeline_file import load_pipeline
from tests.engine.fakes import RecordingReporter
from tests.engine_lifetime.test_e2e_lifetime import HEAD, World, _world

RELEASE = HEAD + (
    "source: Development\ntarget: Test\nassets: [Customer Portal, Orders Mobile, Core Services]\n"
    "stages:\n  impact-analysis: {}\n  deploy: {rollback-on-failure: true}\n  verify: {}\n"
)
"""Customer Portal 1.1.0 → 1.2.0 and Orders Mobile 0.9.0 → 1.0.0 in one plan; Core Services
already runs 2.1.0 in Test."""


def tenant(*outcomes: dict[str, Any], older_version: str = "allowed") -> Any:
    """The default infrastructure with ``outcomes``; a plan back to an older version is
    ``allowed`` (LifeTime's console deploys a previous version) or a ``conflict`` (UNDOC)."""
    base = load_lifetime_tenant(DEFAULT_LIFETIME_TENANT)
    undoc = base.undoc.model_copy(update={"older_version": older_version})
    return base.model_copy(update={"outcomes": [OutcomeSpec(**o) for o in outcomes], "undoc": undoc})


PARTLY_FAILED = {
    "environment": "Test",
    "result": "finished_with_errors",
    "message": "Orders Mobile failed to deploy.",
    "deployed": ["Customer Portal"],
    "times": 1,
}
"""The release's plan fails after LifeTime deployed Customer Portal (Orders Mobile did not move)."""


def plans_to(world: World, env: str) -> list[Any]:
    key = world.sim.state.env_by_name[env].key
    return [p for p in world.sim.state.plans.values() if p.target_key == key]


def versions_of(world: World, plan: Any) -> set[str]:
    found = set()
    for op in plan.operations:
        app, version = world.sim.state.version_of(op.version_key)
        found.add(f"{app.name} {version.version}")
    return found


def rollback_of(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["asset"]: a for a in report["rollback"]["assets"]}


def test_a_partly_deployed_failed_plan_is_rolled_back_in_one_plan(tmp_path: Path) -> None:
    for world in _world(tmp_path, tenant(PARTLY_FAILED)):
        result = world.run(RELEASE)
        assert result.code == 1  # the failure's own exit code
        assert result.report["status"] == "rolled-back"
        assert result.report["rollback"]["status"] == "complete"
        assert result.report["rollback"]["still_on_new"] == []
        # the target runs what ran before again
        assert world.version("Test", "Customer Portal") == "1.1.0"
        assert world.version("Test", "Orders Mobile") == "0.9.0"
        assert world.version("Test", "Core Services") == "2.1.0"
        forward, back = sorted(plans_to(world, "Test"), key=lambda p: p.created_at)
        assert versions_of(world, forward) == {"Customer Portal 1.2.0", "Orders Mobile 1.0.0"}
        assert versions_of(world, back) == {"Customer Portal 1.1.0"}  # only the app that moved
        assert back.notes.endswith("rollback")
        starts = [c for c in world.changes() if c.endswith("/start/")]
        assert starts == [
            f"POST /lifetimeapi/rest/v2/deployments/{forward.key}/start/",
            f"POST /lifetimeapi/rest/v2/deployments/{back.key}/start/",
        ]
        assets = rollback_of(result.report)
        portal, mobile = assets["Customer Portal"], assets["Orders Mobile"]
        assert (portal["outcome"], portal["forward"]) == ("rolled-back", "failed")
        assert portal["operation_key"] == back.key
        assert (portal["version_new"], portal["version_target"], portal["version_now"]) == (
            "1.2.0",
            "1.1.0",
            "1.1.0",
        )
        assert mobile["outcome"] == "stayed-live"
        assert mobile["version_now"] == "0.9.0"
        assert "Core Services" not in assets  # not in the plan, nothing set: untouched
        assert "rolled back: Customer Portal rolled-back" in result.report["error"]
        summary = {a["name"]: a["tag"] for a in result.report["assets"]}
        assert summary["Customer Portal"] == "1.1.0"
        assert ("stage", "rollback") in result.reporter.events
        assert ("stage-end", "rollback:rolled-back") in result.reporter.events
        from odc_pipeline.reporting.rollback import stage_state

        assert result.reporter.finished is not None
        headline, detail = stage_state(result.reporter.finished)
        assert headline == "Rolled back"
        assert "Customer Portal rolled-back (1.1.0)" in detail
        assert "Orders Mobile stayed-live (0.9.0)" in detail


def test_a_rollback_plan_that_fails_is_rollback_incomplete_exit_9(tmp_path: Path) -> None:
    rollback_fails = {
        "environment": "Test",
        "application": "Customer Portal",
        "version": "1.1.0",
        "result": "finished_with_errors",
        "message": "Rollback deployment failed.",
    }
    for world in _world(tmp_path, tenant(PARTLY_FAILED, rollback_fails)):
        result = world.run(RELEASE)
        assert result.code == 9
        assert result.report["status"] == "rollback-incomplete"
        rollback = result.report["rollback"]
        assert rollback["status"] == "incomplete"
        assert rollback["still_on_new"] == ["Customer Portal"]
        assert world.version("Test", "Customer Portal") == "1.2.0"  # still on the new version
        portal = rollback_of(result.report)["Customer Portal"]
        assert portal["outcome"] == "failed"
        assert "finished_with_errors" in portal["summary"]
        assert any("Rollback deployment failed." in m["text"] for m in portal["messages"])
        assert len(plans_to(world, "Test")) == 2  # at most one plan back, never retried

        from odc_pipeline.reporting.rollback import stage_state

        assert result.reporter.finished is not None
        headline, detail = stage_state(result.reporter.finished)
        assert headline == "Rollback incomplete"
        assert "Customer Portal (runs 1.2.0, ran 1.1.0 before)" in detail


def test_a_rollback_plan_lifetime_refuses_as_a_conflict_is_rollback_incomplete(tmp_path: Path) -> None:
    """The other UNDOC answer: the API refuses to start a plan to an older version."""
    for world in _world(tmp_path, tenant(PARTLY_FAILED, older_version="conflict")):
        result = world.run(RELEASE)
        assert result.code == 9
        assert result.report["status"] == "rollback-incomplete"
        portal = rollback_of(result.report)["Customer Portal"]
        assert portal["outcome"] == "failed"
        assert "blocked by conflicts" in portal["summary"]
        assert any("newer than version 1.1.0 in this plan" in m["text"] for m in portal["messages"])
        assert world.version("Test", "Customer Portal") == "1.2.0"
        (forward,) = plans_to(world, "Test")  # the plan back was deleted, never started
        assert portal["operation_key"] != forward.key
        assert f"DELETE /lifetimeapi/rest/v2/deployments/{portal['operation_key']}/" in world.changes()
        starts = [c for c in world.changes() if c.endswith("/start/")]
        assert starts == [f"POST /lifetimeapi/rest/v2/deployments/{forward.key}/start/"]


def test_without_rollback_on_failure_nothing_is_rolled_back(tmp_path: Path) -> None:
    for world in _world(tmp_path, tenant(PARTLY_FAILED)):
        result = world.run(RELEASE.replace("{rollback-on-failure: true}", "{rollback-on-failure: false}"))
        assert result.code == 1
        assert result.report["status"] == "failed"
        assert result.report["rollback"] is None
        assert world.version("Test", "Customer Portal") == "1.2.0"  # left where the plan left it
        assert len(plans_to(world, "Test")) == 1


def test_plan_shows_what_it_would_roll_back_to(tmp_path: Path) -> None:
    for world in _world(tmp_path):
        text = RELEASE.replace("target: Test", "target: Production").replace(
            "source: Development", "source: Test"
        )
        result = world.run(text, options=RunOptions(plan=True))
        assert result.code == 0, result.report["error"]
        assert world.changes() == []
        steps = {s["asset"]: s for s in result.steps("deploy")}
        portal = steps["Customer Portal"]
        assert portal["status"] == "planned"
        assert portal["details"]["rollback_to"]["version"] == "1.0.0"
        assert any("would roll back to 1.0.0" in m["text"] for m in portal["messages"])
        mobile = steps["Orders Mobile"]  # does not run in Production: cannot be undeployed
        assert mobile["details"]["rollback_to"] == {"undeploy": True, "supported": False}
        assert any("cannot be undeployed" in m["text"] for m in mobile["messages"])
        assert steps["Core Services"]["details"]["rollback_to"]["version"] == "2.0.0"
        from odc_pipeline.engine.plan import render_plan

        assert result.reporter.finished is not None
        lines = render_plan(result.reporter.finished)
        assert "      on failure: would roll back to 1.0.0 (one plan back)" in lines


def test_an_app_new_to_the_target_cannot_be_undeployed_and_is_reported(tmp_path: Path) -> None:
    """Orders Mobile never ran in Production; the failed plan deployed it anyway (UNDOC)."""
    failed = {"environment": "Production", "result": "finished_with_errors", "deployed": ["Orders Mobile"]}
    for world in _world(tmp_path, tenant(failed)):
        text = HEAD + (
            "source: Test\ntarget: Production\nassets: [Orders Mobile]\n"
            "stages:\n  deploy: {rollback-on-failure: true}\n"
        )
        result = world.run(text)
        assert result.code == 9
        assert result.report["status"] == "rollback-incomplete"
        mobile = rollback_of(result.report)["Orders Mobile"]
        assert mobile["outcome"] == "failed"
        assert "cannot undeploy" in mobile["summary"]
        assert result.report["rollback"]["still_on_new"] == ["Orders Mobile"]
        assert world.version("Production", "Orders Mobile") == "1.0.0"  # latest-tag, still there
        assert len(plans_to(world, "Production")) == 1  # no plan back: there is nothing to deploy


def test_a_failed_verify_rolls_back_and_site_properties_are_reported_unrestorable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Session:
        @staticmethod
        def get(url: str, **_: Any) -> Any:
            return type("Answer", (), {"status_code": 500, "text": "down"})()

    from odc_pipeline.engine import plan_stages

    monkeypatch.setattr(plan_stages, "requests", Session)
    text = RELEASE.replace(
        "stages:\n",
        "stages:\n  configure:\n    Customer Portal:\n      modules:\n        CustomerPortal:\n"
        "          site-properties:\n"
        "            PageSize: {key: 726a3081-3356-59a7-a85f-0f5d0ad16f9f, value: 25}\n",
    ).replace("verify: {}", "verify:\n    http:\n      - {asset: Customer Portal, path: /health}")
    for world in _world(tmp_path, tenant()):
        result = world.run(text)
        assert result.code == 1
        assert result.report["status"] == "rolled-back"
        assert world.version("Test", "Customer Portal") == "1.1.0"
        assert world.version("Test", "Orders Mobile") == "0.9.0"
        assert world.sim.state.config_value("CustomerPortal", "Test", "PageSize") == "25"  # no read API
        assets = rollback_of(result.report)
        assert {a: r["outcome"] for a, r in assets.items()} == {
            "Customer Portal": "rolled-back",
            "Orders Mobile": "rolled-back",
        }
        (value,) = assets["Customer Portal"]["values"]
        assert value["name"] == "site property CustomerPortal.PageSize"
        assert value["status"] == "unrestorable"
        _, back = sorted(plans_to(world, "Test"), key=lambda p: p.created_at)
        assert versions_of(world, back) == {"Customer Portal 1.1.0", "Orders Mobile 0.9.0"}


def test_cancel_during_the_rollback_aborts_its_plan(tmp_path: Path) -> None:
    for world in _world(tmp_path, tenant(PARTLY_FAILED)):
        _cancel_during_rollback(world)


def _cancel_during_rollback(world: World) -> None:
    from odc_pipeline.engine.context import RunContext
    from odc_pipeline.engine.runner import run_pipeline
    from odc_pipeline.lifetime import LifetimeClient, LifetimeSettings
    from odc_pipeline.platforms.lifetime import LifetimePlatform

    path = world.tmp / "cancel.yml"
    path.write_text(RELEASE, encoding="utf-8")
    spec = spec_from_pipeline(load_pipeline(path, env={}), path=str(path))
    settings = LifetimeSettings.from_env({"LIFETIME_URL": world.sim.url, "LIFETIME_TOKEN": world.sim.token})
    with LifetimeClient(settings, clock=world.sim.clock) as client:
        ctx = RunContext(
            client=client,
            clock=world.sim.clock,
            reporter=RecordingReporter(),
            spec=spec,
            platform=LifetimePlatform(client).bind(spec.platform_options),
        )
        original, tracked = ctx.tracking, []

        def cancel_in_the_rollback(key: str, what: str) -> Any:
            tracked.append(key)
            if len(tracked) == 2:  # the plan back (the first was the forward plan)
                threading.Timer(0, ctx.cancel.set).start()
            return original(key, what)

        ctx.tracking = cancel_in_the_rollback  # type: ignore[method-assign]
        report = run_pipeline(ctx)
    assert report.exit_code == 130
    assert report.status == "cancelled"
    assert report.rollback is not None
    assert report.rollback.status == "cancelled"
    portal = {a.asset: a for a in report.rollback.assets}["Customer Portal"]
    assert portal.outcome == "cancelled"
    back = tracked[1]
    assert [c for c in world.changes() if c.endswith("/abort/")] == [
        f"POST /lifetimeapi/rest/v2/deployments/{back}/abort/"
    ]
    assert back not in report.in_flight  # aborted, so no longer listed as running
    world.sim.clock.sleep(60)  # the abort takes effect; nothing more runs
    assert world.version("Test", "Customer Portal") == "1.2.0"


def test_a_suspended_plan_is_aborted_never_continued_and_nothing_needs_a_plan_back(tmp_path: Path) -> None:
    suspended = {"environment": "Test", "result": "deployment_suspended", "times": 1}
    for world in _world(tmp_path, tenant(suspended)):
        result = world.run(RELEASE)
        assert result.code == 1
        assert result.report["status"] == "rolled-back"
        (forward,) = plans_to(world, "Test")  # no plan back: nothing moved
        assert [c for c in world.changes() if c.endswith("/abort/")] == [
            f"POST /lifetimeapi/rest/v2/deployments/{forward.key}/abort/"
        ]
        assert not [c for c in world.changes() if c.endswith("/continue/")]
        outcomes = {a: r["outcome"] for a, r in rollback_of(result.report).items()}
        assert outcomes == {"Customer Portal": "stayed-live", "Orders Mobile": "stayed-live"}
        assert world.version("Test", "Customer Portal") == "1.1.0"
        assert result.report["in_flight"] == []


def test_a_timed_out_plan_is_waited_out_before_the_plan_back(tmp_path: Path) -> None:
    """The forward plan (60 s) outlives timeouts.deploy (45 s): the rollback waits for it to end,
    sees both applications moved, and its own plan back times out too: exit 9, listed in flight."""
    for world in _world(tmp_path, tenant()):
        result = world.run(RELEASE + "timeouts: {deploy: 45s}\n")
        assert result.code == 9
        assert result.report["status"] == "rollback-incomplete"
        forward, back = sorted(plans_to(world, "Test"), key=lambda p: p.created_at)
        assert versions_of(world, forward) == {"Customer Portal 1.2.0", "Orders Mobile 1.0.0"}
        assert versions_of(world, back) == {"Customer Portal 1.1.0", "Orders Mobile 0.9.0"}
        assert result.report["in_flight"] == [back.key]  # the forward plan was seen to end
        outcomes = {a: r["outcome"] for a, r in rollback_of(result.report).items()}
        assert outcomes == {"Customer Portal": "timed-out", "Orders Mobile": "timed-out"}
        assert sorted(result.report["rollback"]["still_on_new"]) == ["Customer Portal", "Orders Mobile"]
        starts = [c for c in world.changes() if c.endswith("/start/")]
        assert len(starts) == 2  # each plan started once
        assert world.version("Test", "Customer Portal") == "1.2.0"
