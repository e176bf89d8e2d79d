"""Approvable plans (issue #11): the plan as data, --detailed-exitcode, run --from-plan.

End to end against the simulator through the command's own wiring (``run_options`` +
``execute``): plan, approve (the report file is the approval artifact), apply; and plan,
another deploy moves the stage, apply refuses with exit 11 before any change.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from odc_pipeline.cli import build_parser
from odc_pipeline.engine.approved import load_approved_plan, pending_changes
from odc_pipeline.engine.command import execute, run_options
from odc_pipeline.engine.options import spec_from_pipeline
from odc_pipeline.engine.report_file import SCHEMA_PATH
from odc_pipeline.errors import ExitCode, UsageError
from odc_pipeline.pipeline_file import load_pipeline

from .e2e import Sim, pipeline_file, simulated

PIPELINE = """version: 1
target: QA
assets:
  - Orders Core
  - Orders API
  - Orders Portal
stages:
  configure:
    Orders Portal:
      settings:
        MaxItemsPerPage: 100
        ApiToken: ${PORTAL_TOKEN}
  build: {}
  deploy: {}
"""
ENV = {"PORTAL_TOKEN": "tok-very-secret-4711"}


def _cli(sim: Sim, argv: list[str], report: Path) -> int:
    """``odc-pipeline run ARGV --report-file REPORT`` against the test's simulator and clock."""
    args = build_parser().parse_args(["run", *argv, "--report-file", str(report)])
    path, options = run_options(args)
    spec = spec_from_pipeline(load_pipeline(path, env=ENV), path=path)
    overrides = {
        "portal_url": sim.simulator.url,
        "client_id": sim.simulator.client_id,
        "client_secret": sim.simulator.client_secret,
    }
    return execute(spec, options, env={}, overrides=overrides, clock=sim.clock, report_file=str(report))


def _plan(sim: Sim, tmp_path: Path, *extra: str) -> tuple[int, Path, dict]:
    path = pipeline_file(tmp_path, PIPELINE)
    report = tmp_path / "plan.json"
    code = _cli(sim, [str(path), "--plan", *extra], report)
    return code, report, json.loads(report.read_text())


def test_plan_is_data_in_the_report_with_secrets_masked(tmp_path, capsys):
    with simulated(tmp_path) as sim:
        code, report, document = _plan(sim, tmp_path)
    assert code == 0
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert "tok-very-secret-4711" not in report.read_text()
    plan = document["plan"]
    assert (plan["target"], plan["stages"]) == ("QA", ["configure", "build", "deploy"])
    by_name = {a["asset"]: a for a in plan["assets"]}
    portal = by_name["Orders Portal"]
    assert (portal["revision_before"], portal["revision_after"]) == (19, 20)
    assert portal["deploy"] == "deploy"
    assert portal["build"]["action"] in {"reuse", "start"}
    changes = {c["name"]: c for c in portal["configuration"]}
    assert (changes["MaxItemsPerPage"]["before"], changes["MaxItemsPerPage"]["after"]) == ("25", "100")
    assert changes["ApiToken"] == {**changes["ApiToken"], "before": "***", "after": "***", "secret": True}
    assert by_name["Orders Core"]["bundled"] is True
    assert by_name["Orders Core"]["deploy"] == "bundled"
    order = plan["deploy_order"]
    assert order.index(["Orders API"]) < order.index(["Orders Portal"])  # producers first
    assert pending_changes(plan) > 0
    out = capsys.readouterr().out
    assert "deploy order: Orders API → Orders Portal" in out.split("Plan for QA")[1]  # in the plan text


def test_detailed_exitcode_is_10_with_changes_and_0_without(tmp_path):
    with simulated(tmp_path) as sim:
        code, _, document = _plan(sim, tmp_path, "--detailed-exitcode")
        assert code == ExitCode.CHANGES_PENDING == 10
        assert (document["status"], document["exit_code"]) == ("planned", 10)
        path = pipeline_file(tmp_path, PIPELINE)
        assert _cli(sim, [str(path)], tmp_path / "apply.json") == 0  # now the stage is as described
        code, _, document = _plan(sim, tmp_path, "--detailed-exitcode")
        assert code == 0, document["plan"]
        assert pending_changes(document["plan"]) == 0


def test_plan_approve_apply_deploys_exactly_the_planned_revisions(tmp_path):
    with simulated(tmp_path) as sim:
        code, report, document = _plan(sim, tmp_path)
        assert code == 0
        planned = {a["asset"]: a["revision_after"] for a in document["plan"]["assets"]}
        mark = sim.mark()
        applied = tmp_path / "applied.json"
        assert _cli(sim, ["--from-plan", str(report)], applied) == 0
        result = json.loads(applied.read_text())
        assert result["status"] == "succeeded", result["error"]
        assert result["applied_plan"] == str(report)
        state = sim.simulator.state
        for name in ("Orders API", "Orders Portal"):
            assert state.running_revision("QA", name) == planned[name]
        values = state.config_values("QA", "Orders Portal")
        assert values["MaxItemsPerPage"]["deployedValue"] == "100"
        assert values["ApiToken"]["deployedValue"] == ENV["PORTAL_TOKEN"]
        portal = sim.asset_key("Orders Portal")
        assert [d["revision"] for d in sim.deploys(mark) if d["assetKey"] == portal] == [20]


def test_apply_refuses_with_exit_11_and_changes_nothing_when_another_deploy_moved_the_stage(tmp_path):
    with simulated(tmp_path) as sim:
        code, report, _ = _plan(sim, tmp_path)
        assert code == 0
        other = pipeline_file(
            tmp_path,
            "version: 1\ntarget: QA\nassets:\n  - {name: Orders Portal, revision: 17}\n"
            "stages:\n  build: {}\n  deploy: {}\n",
            name="someone-else.yml",
        )
        assert _cli(sim, [str(other)], tmp_path / "other.json") == 0  # QA now runs r17
        mark = sim.mark()
        refused = tmp_path / "refused.json"
        assert _cli(sim, ["--from-plan", str(report)], refused) == ExitCode.PLAN_STALE == 11
        assert sim.mutations(mark) == []
        result = json.loads(refused.read_text())
        assert result["status"] == "plan-stale"
        assert "Orders Portal now runs r17" in result["error"]
        assert "the plan saw r19" in result["error"]


def test_apply_refuses_when_a_configuration_value_moved(tmp_path):
    with simulated(tmp_path) as sim:
        _, report, _ = _plan(sim, tmp_path)
        other = pipeline_file(
            tmp_path,
            "version: 1\ntarget: QA\nassets:\n  - Orders Portal\nstages:\n  configure:\n"
            "    Orders Portal:\n      settings:\n        MaxItemsPerPage: 50\n",
            name="someone-else.yml",
        )
        assert _cli(sim, [str(other)], tmp_path / "other.json") == 0  # ApplyConfigs: 25 -> 50
        mark = sim.mark()
        assert _cli(sim, ["--from-plan", str(report)], tmp_path / "refused.json") == 11
        assert sim.mutations(mark) == []
        error = json.loads((tmp_path / "refused.json").read_text())["error"]
        assert "setting MaxItemsPerPage is now '50'; the plan saw '25'" in error


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        ({"status": "succeeded", "exit_code": 0, "plan_only": False}, "holds no plan"),
        ({"status": "failed", "exit_code": 1, "plan_only": True, "plan": {"format": 1}}, "did not finish"),
        ({"status": "planned", "exit_code": 0, "plan_only": True, "plan": {"format": 9}}, "plan format 9"),
    ],
)
def test_from_plan_needs_a_finished_plan(tmp_path, document, needle):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(document))
    with pytest.raises(UsageError, match=needle):
        load_approved_plan(str(path))


def test_from_plan_fixes_target_stages_and_force(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(
        json.dumps({"status": "planned", "exit_code": 0, "plan_only": True, "plan": {"format": 1}})
    )
    for extra in (["--target", "QA"], ["--only", "deploy"], ["--plan"], ["--force"]):
        args = build_parser().parse_args(["run", "--from-plan", str(path), *extra])
        with pytest.raises(UsageError, match="applies the approved plan as it is"):
            run_options(args)
    with pytest.raises(UsageError, match="--detailed-exitcode needs --plan"):
        run_options(build_parser().parse_args(["run", "--detailed-exitcode"]))


def test_every_ci_summary_shows_what_the_reviewer_approves(tmp_path):
    """GitHub and Azure get the Markdown plan table; GitLab and a terminal the plan in the log."""
    from odc_pipeline.report import RunReport
    from odc_pipeline.reporting.summary import render_summary

    with simulated(tmp_path) as sim:
        _, report_path, _ = _plan(sim, tmp_path)
    document = json.loads(report_path.read_text())
    fields = {k: v for k, v in document.items() if k in RunReport.__dataclass_fields__}
    report = RunReport(**{**fields, "assets": (), "steps": ()})
    markdown = render_summary(report)
    assert "#### Plan" in markdown
    assert "| Orders Portal | r19 → r20 |" in markdown
    assert "MaxItemsPerPage: 25 → 100" in markdown
    assert "ApiToken: *** → ***" in markdown
    assert "tok-very-secret-4711" not in markdown
    assert "Deploy order: Orders API → Orders Portal" in markdown
    assert "bundled r8" in markdown


def test_stale_and_early_failure_reports_match_the_schema(tmp_path):
    from odc_pipeline.engine.report_file import write_report
    from odc_pipeline.report import RunReport

    schema = json.loads(SCHEMA_PATH.read_text())
    for report in (
        RunReport(status="plan-stale", exit_code=11, target="QA", error="moved", applied_plan="p.json"),
        RunReport(status="error", exit_code=2, target="", error="no target"),
    ):
        document = json.loads(write_report(report, tmp_path / "r.json").read_text())
        jsonschema.validate(document, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "plan": {"format": 2}}, schema)


def test_apply_refuses_while_a_deploy_the_plan_did_not_see_is_running(tmp_path):
    from odc_pipeline.api import OdcClient
    from odc_pipeline.settings import Settings

    def slow(data):
        data["durations"]["deployment"] = 10**6  # the other deploy is still running at apply time

    with simulated(tmp_path, slow) as sim:
        _, report, _ = _plan(sim, tmp_path)
        settings = Settings.from_env(
            {},
            portal_url=sim.simulator.url,
            client_id=sim.simulator.client_id,
            client_secret=sim.simulator.client_secret,
        )
        portal = sim.asset_key("Orders Portal")
        qa = next(s.key for s in sim.simulator.state.stages if s.name == "QA")
        with OdcClient(settings, clock=sim.clock) as client:
            build = next(
                b for b in client.builds.list(portal, build_type="Release") if str(b.status) == "Finished"
            )
            started = client.deployments.start(
                operation="Deploy",
                asset_key=portal,
                environment_key=qa,
                revision=int(build.asset_revision),
                build_key=str(build.build_key),
            )
        mark = sim.mark()
        assert _cli(sim, ["--from-plan", str(report)], tmp_path / "refused.json") == 11
        assert sim.mutations(mark) == []
        error = json.loads((tmp_path / "refused.json").read_text())["error"]
        assert f"Orders Portal: Deploy {started.key}" in error
        assert "is running in QA" in error
