"""Issue #11, the first hour: fail fast, say what to do, and never leave CI without outputs."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from odc_pipeline.cli import main
from odc_pipeline.engine.deploy import build_hint
from odc_pipeline.engine.options import EngineSpec, RunOptions
from odc_pipeline.engine.plan import render_plan
from odc_pipeline.engine.report_file import write_report
from odc_pipeline.report import AssetSummary, RunReport, StepResult, StepStatus
from odc_pipeline.reporting.plain import text_table

from .e2e import EXAMPLES, ROOT, pipeline_file, simulated

NO_TARGET = "version: 1\nassets:\n  - Orders Portal\nstages:\n  deploy: {}\n"


class _Refuse:
    """A session that fails the test if anything is sent."""

    verify = True

    def request(self, *args, **kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError(f"a request was sent: {args}")

    def close(self) -> None:
        """Nothing was opened: the client closes its session at the end of every run."""


def test_no_target_exits_2_before_any_request_naming_both_ways_to_set_it(tmp_path, capsys, monkeypatch):
    path = pipeline_file(tmp_path, NO_TARGET)
    monkeypatch.setenv("ODC_PORTAL_URL", "https://127.0.0.1:9")  # would fail slowly if contacted
    monkeypatch.setenv("ODC_CLIENT_ID", "id")
    monkeypatch.setenv("ODC_CLIENT_SECRET", "s3cret-value")
    monkeypatch.setattr("odc_pipeline.api.http._new_session", _Refuse)
    assert main(["run", str(path), "--report-file", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err
    assert "`target:`" in err
    assert "--target" in err


def test_no_target_is_refused_before_the_simulator_is_even_needed(tmp_path, capsys):
    with simulated(tmp_path) as sim:
        mark = sim.mark()
        path = pipeline_file(tmp_path, NO_TARGET)
        assert main(["run", str(path), "--simulate", str(tmp_path / "tenant.yaml")]) == 2
        assert sim.requests(mark) == []
    assert "no target stage" in capsys.readouterr().err


def test_report_file_is_readable_by_others_and_holds_no_secret(tmp_path):
    from odc_pipeline.redaction import SecretRegistry

    secrets = SecretRegistry()
    secrets.register("hunter2-very-secret")
    report = RunReport(status="failed", exit_code=1, target="QA", error="token hunter2-very-secret refused")
    path = write_report(report, tmp_path / "r.json", secrets=secrets)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert "hunter2-very-secret" not in path.read_text()


@pytest.mark.parametrize(
    ("ci_env", "files"),
    [
        ({"GITLAB_CI": "true"}, ("odc-pipeline.env", "odc-pipeline-junit.xml", "odc-pipeline-report.json")),
        ({"TF_BUILD": "True"}, ("odc-pipeline-report.json",)),
    ],
)
def test_run_itself_writes_ci_outputs_when_it_stops_before_running(tmp_path, ci_env, files):
    """As the README's GitLab and Azure set-ups run it: `odc-pipeline run` directly, no entrypoint."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD"} and not k.startswith("ODC_")
    }
    env.update(ci_env, AGENT_TEMPDIRECTORY=str(tmp_path), PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "odc_pipeline", "run", "missing.yml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    for name in files:
        assert (tmp_path / name).is_file(), name
    report = json.loads((tmp_path / "odc-pipeline-report.json").read_text())
    assert (report["status"], report["exit_code"]) == ("error", 2)
    assert "missing.yml" in report["error"]
    if "GITLAB_CI" in ci_env:
        dotenv = (tmp_path / "odc-pipeline.env").read_text().splitlines()
        assert "ODC_STATUS=error" in dotenv
        assert "ODC_EXIT_CODE=2" in dotenv
    else:
        assert "##vso[task.setvariable variable=status;isOutput=true]error" in result.stdout
        assert "##vso[task.setvariable variable=exit_code;isOutput=true]2" in result.stdout


def test_a_terminal_run_that_stops_early_writes_no_files(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD"}}
    env.pop("ODC_PIPELINE_REPORT_FILE", None)
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "odc_pipeline", "run", "missing.yml"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert list(tmp_path.iterdir()) == []


def test_closed_pipe_ends_without_a_traceback_and_the_run_still_finishes(tmp_path):
    """`odc-pipeline run … | head -1`: the reader leaves, the deployment does not stop half way."""
    env = {k: v for k, v in os.environ.items() if k not in {"GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD"}}
    env["PYTHONPATH"] = str(ROOT)
    report = tmp_path / "r.json"
    command = (
        f"{sys.executable} -m odc_pipeline run {EXAMPLES / 'single-app.yml'} --simulate "
        f"{EXAMPLES / 'tenant.yaml'} --time-scale 0.002 --report-file {report} | head -1"
    )
    result = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert "Traceback" not in result.stderr
    assert "BrokenPipeError" not in result.stderr
    assert len(result.stdout.splitlines()) == 1
    assert json.loads(report.read_text())["status"] == "succeeded"


def test_a_library_reads_bundled_with_its_revision_not_as_a_first_deploy():
    report = RunReport(
        status="succeeded",
        exit_code=0,
        target="QA",
        assets=(
            AssetSummary("Orders Core", "k1", "LowCodeLibrary", None, 7),
            AssetSummary("Orders Portal", "k2", "WebApplication", 11, 12),
        ),
        steps=(
            StepResult("Orders Core", "deploy", StepStatus.SKIPPED, "k1"),
            StepResult("Orders Portal", "deploy", StepStatus.SUCCEEDED, "k2"),
        ),
    )
    lines = text_table(report, str)
    assert "bundled r7" in lines[1]
    assert "none" not in lines[1]
    assert "r11 → r12" in lines[2]


@pytest.mark.parametrize(
    ("stages", "options", "needle"),
    [
        (frozenset({"deploy"}), RunOptions(), "add `build: {}`"),
        (frozenset({"build", "deploy"}), RunOptions(only=("deploy",)), "--only build,deploy"),
        (frozenset({"build", "deploy"}), RunOptions(skip=("build",)), "drop build from --skip"),
    ],
)
def test_the_missing_build_hint_matches_the_file_and_the_command_line(stages, options, needle):
    from types import SimpleNamespace

    ctx = SimpleNamespace(spec=EngineSpec(target="QA", assets=(), stages=stages), options=options)
    hint = build_hint(ctx)  # type: ignore[arg-type]
    assert needle in hint
    if "build" in stages:
        assert "add `build: {}`" not in hint


def test_a_plan_that_stopped_does_not_claim_nothing_to_do():
    report = RunReport(status="failed", exit_code=1, target="QA", plan_only=True, error="no answer")
    text = "\n".join(render_plan(report))
    assert "Nothing to do" not in text
    assert "incomplete" in text


def test_a_real_refused_port_fails_within_15_clock_seconds_naming_odc_portal_url():
    """The issue's case: ODC_PORTAL_URL=https://127.0.0.1:9 was 66-70 s of silence, then exit 1."""
    from odc_pipeline.api import OdcClient
    from odc_pipeline.api.errors import ApiConnectionError
    from odc_pipeline.clock import ManualClock
    from odc_pipeline.settings import Settings

    clock = ManualClock()
    settings = Settings.from_env({}, portal_url="https://127.0.0.1:9", client_id="i", client_secret="s")
    with OdcClient(settings, clock=clock) as client, pytest.raises(ApiConnectionError) as caught:
        client.portfolio.environments()
    assert clock.monotonic() <= 15
    assert "ODC_PORTAL_URL" in str(caught.value)


@pytest.mark.parametrize(
    ("case", "extra_env", "needle"),
    [
        ("bad-setting", {"ODC_PORTAL_URL": "ftp://acme"}, "ODC_PORTAL_URL"),
        ("no-target", {}, "no target stage"),
    ],
)
def test_github_outputs_come_from_run_itself_for_bad_settings_and_no_target(
    tmp_path, case, extra_env, needle
):
    (tmp_path / "p.yml").write_text(
        NO_TARGET if case == "no-target" else NO_TARGET.replace("version: 1", "version: 1\ntarget: QA")
    )
    output, summary = tmp_path / "out", tmp_path / "summary.md"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD"} and not k.startswith(("ODC_", "INPUT_"))
    }
    env.update(
        GITHUB_ACTIONS="true",
        GITHUB_OUTPUT=str(output),
        GITHUB_STEP_SUMMARY=str(summary),
        ODC_CLIENT_ID="id",
        ODC_CLIENT_SECRET="never-printed-secret",
        PYTHONPATH=str(ROOT),
        **extra_env,
    )
    result = subprocess.run(
        [sys.executable, "-m", "odc_pipeline", "run", "p.yml"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    lines = output.read_text().splitlines()
    assert "status=error" in lines
    assert "exit-code=2" in lines
    assert needle in result.stdout  # the ::error:: annotation
    assert summary.read_text().strip()
    everything = result.stdout + result.stderr + output.read_text() + summary.read_text()
    assert "never-printed-secret" not in everything
    assert json.loads((tmp_path / "odc-pipeline-report.json").read_text())["status"] == "error"


def test_a_plan_without_a_build_stage_says_the_deploy_would_fail_with_the_matching_hint(tmp_path):
    """`--only deploy --plan` on a revision with no Release build: the plan must not promise a deploy."""
    text = (
        "version: 1\ntarget: QA\nassets:\n  - {name: Orders Portal, revision: 21}\n"
        "stages:\n  build: {}\n  deploy: {}\n"
    )

    def new_revision(data):  # r21 was just published: no build of it exists anywhere
        portal = next(a for a in data["assets"] if a["name"] == "Orders Portal")
        portal["revisions"].append({"revision": 21, "commit_message": "unbuilt"})

    with simulated(tmp_path, new_revision) as sim:
        path = pipeline_file(tmp_path, text)
        run = sim.run(path, options=RunOptions(only=("deploy",), plan=True))
    assert run.report.exit_code == 2
    assert "--only build,deploy" in run.report.error
    assert "add `build: {}`" not in run.report.error
    assert "Nothing to do" not in "\n".join(render_plan(run.report))
