"""Each failure mode end to end: its exit code and a message a user can act on."""

from __future__ import annotations

import pytest

from odc_pipeline.report import StepStatus

from .e2e import EXAMPLES, pipeline_file, simulated

RELEASE = EXAMPLES / "multi-asset-release.yml"


def outcome(**spec):
    def edit(data):
        data["outcomes"] = [*data.get("outcomes", []), spec]

    return edit


def _pipeline(
    tmp_path, stages: str, assets: str = "[Orders API]", target: str = "QA", timeouts: str = ""
) -> object:
    return pipeline_file(
        tmp_path, f"version: 1\ntarget: {target}\nassets: {assets}\nstages:\n{stages}\n{timeouts}"
    )


def test_build_failure_exits_1_with_the_build_log(tmp_path):
    edit = outcome(
        operation="build",
        asset="Orders Backoffice",
        revision=6,
        result="failure",
        message="1 error in BulkCancel: unknown variable",
    )
    with simulated(tmp_path, edit) as sim:
        run = sim.run(RELEASE)
        assert run.report.exit_code == 1
        assert "Orders Backoffice" in run.report.error
        assert "BulkCancel" in run.report.error
        assert sim.deploys() == []  # nothing deploys after a failed build


def _remove_export_orders(data):
    api = next(a for a in data["assets"] if a["name"] == "Orders API")
    api["revisions"][-1]["elements"] = [
        "GetOrders",
        "SubmitOrder",
        "CancelOrder",
    ]  # Backoffice r5 uses ExportOrders


def test_analysis_errors_block_the_deploy_with_exit_4(tmp_path):
    with simulated(tmp_path, _remove_export_orders) as sim:
        run = sim.run(RELEASE)
        assert run.report.exit_code == 4
        assert run.report.impact_status == "ErrorsFound"
        assert "impact analysis blocks the deploy" in run.report.error
        blocked = next(s for s in run.report.steps_for("impact-analysis") if s.asset == "Orders API")
        assert blocked.status is StepStatus.BLOCKED
        assert any("Orders Backoffice" in impacted for impacted in blocked.details["findings"])
        assert sim.deploys() == []
        assert sim.patches() == []  # configuration is not touched either (only the empty probe)


@pytest.mark.parametrize(("fail_on", "exit_code"), [("errors", 0), ("warnings", 4), ("never", 0)])
def test_analysis_warnings_under_each_policy(tmp_path, fail_on, exit_code):
    stages = f"  build: {{}}\n  impact-analysis: {{fail-on: {fail_on}}}\n  deploy: {{}}\n"
    with simulated(tmp_path) as sim:
        run = sim.run(_pipeline(tmp_path, stages))
        assert run.report.exit_code == exit_code, run.report.error
        assert run.report.impact_status == "WarningsFound"
        step = run.report.steps_for("impact-analysis")[0]
        assert step.status is (StepStatus.BLOCKED if exit_code else StepStatus.WARNING)
        assert len(sim.deploys()) == (0 if exit_code else 1)


@pytest.mark.parametrize(("policy", "exit_code"), [("warn", 0), ("fail", 4)])
def test_unavailable_analysis_is_a_warning_or_a_block_by_policy(tmp_path, policy, exit_code):
    stages = f"  impact-analysis: {{on-unavailable: {policy}}}\n  build: {{}}\n  deploy: {{}}\n"
    with simulated(tmp_path, outcome(operation="analysis", result="unavailable")) as sim:
        run = sim.run(_pipeline(tmp_path, stages))
        assert run.report.exit_code == exit_code, run.report.error
        assert "unavailable" in run.report.steps_for("impact-analysis")[0].summary
        assert f"(on-unavailable: {policy})" in run.report.steps_for("impact-analysis")[0].summary
        if exit_code:  # the policy that decided is the one the message names
            assert "on-unavailable: fail" in run.report.error
            assert "fail-on" not in run.report.error


def test_deploy_failure_with_rollback_leaves_the_previous_revision_live_and_exits_1(tmp_path):
    edit = outcome(
        operation="deployment",
        asset="Orders API",
        stage="QA",
        result="failure",
        times=1,
        message="Database upgrade failed for entity Order",
    )
    with simulated(tmp_path, edit) as sim:
        run = sim.run(RELEASE)
        assert run.report.exit_code == 1
        assert run.report.status == "rolled-back"
        assert "Database upgrade failed for entity Order" in run.report.error
        bodies = sim.deploys()
        # ODC kept r11 live when r12 failed: nothing to redeploy, nothing else had moved
        assert [(b["assetKey"], b["revision"]) for b in bodies] == [(sim.asset_key("Orders API"), 12)]
        step = next(s for s in run.report.steps_for("deploy") if s.asset == "Orders API")
        assert step.status is StepStatus.FAILED
        (api,) = run.report.rollback.assets
        assert (api.outcome, api.revision_now) == ("stayed-live", 11)
        assert sim.simulator.state.running_revision("QA", "Orders API") == 11


def test_verification_failure_exits_1_naming_the_check(tmp_path):
    edit = outcome(operation="app_http", asset="Orders Portal", result="failure")
    with simulated(tmp_path, edit) as sim:
        run = sim.run(RELEASE)
        assert run.report.exit_code == 1
        assert "verification failed" in run.report.error
        assert "Orders Portal" in run.report.error
        portal = next(s for s in run.report.steps_for("verify") if s.asset == "Orders Portal")
        assert portal.status is StepStatus.FAILED


def test_timeout_exits_5_naming_the_operation(tmp_path):
    def slow(data):
        data["durations"]["deployment"] = 3600

    stages = "  build: {}\n  deploy: {}\n"
    with simulated(tmp_path, slow) as sim:
        run = sim.run(_pipeline(tmp_path, stages, timeouts="timeouts: {deploy: 2m}\n"))
        assert run.report.exit_code == 5
        assert "timed out after 120s" in run.report.error
        assert "Orders API" in run.report.error


def test_bad_credentials_exit_3(tmp_path):
    with simulated(tmp_path) as sim:
        run = sim.run(RELEASE, client_secret="wrong-secret")
        assert run.report.exit_code == 3
        assert run.report.status == "unauthorized"
        assert "wrong-secret" not in run.report_path.read_text()
        assert sim.mutations() == []


def test_missing_permission_exits_3_before_any_change(tmp_path):
    stages = "  build: {}\n  impact-analysis: {}\n  deploy: {}\n"
    with simulated(tmp_path) as sim:
        client_id, secret = sim.simulator.credentials("qa-deployer")
        run = sim.run(
            _pipeline(tmp_path, stages, target="Production"), client_id=client_id, client_secret=secret
        )
        assert run.report.exit_code == 3
        assert "Deploy assets" in run.report.error
        assert sim.deploys() == []


def test_missing_permission_of_a_later_stage_is_reported_during_resolve(tmp_path):
    with simulated(tmp_path) as sim:
        client_id, secret = sim.simulator.credentials("read-only")
        run = sim.run(RELEASE, client_id=client_id, client_secret=secret)
        assert run.report.exit_code == 3
        assert "the build stage cannot run with this API client" in run.report.error
        assert "Asset management > Open" in run.report.error
        assert run.report.steps == ()  # stopped in resolve: no stage started
        assert sim.mutations() == []
