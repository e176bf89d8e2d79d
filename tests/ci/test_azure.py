"""The Azure DevOps back-end, read back with the agent's logging-command grammar."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from odc_pipeline.report import RunReport, StepStatus
from odc_pipeline.reporting.azure import AzureReporter, set_variable

from .ci_rules import azure_commands, azure_format_commands, azure_parse_line
from .conftest import HOSTILE, SECRET, drive, make_report

OURS = {
    ("task", "setsecret"),
    ("task", "logissue"),
    ("task", "setvariable"),
    ("task", "uploadsummary"),
    ("task", "complete"),
}


@pytest.fixture
def env(tmp_path):
    return {
        "TF_BUILD": "True",
        "AGENT_TEMPDIRECTORY": str(tmp_path / "agent-tmp"),
        "ODC_PIPELINE_JUNIT_FILE": str(tmp_path / "junit.xml"),
    }


def _outputs(log: str) -> dict[str, str]:
    return {
        c.properties["variable"]: c.data
        for c in azure_commands(log)
        if c.event == "setvariable" and c.properties.get("isOutput") == "true"
    }


def test_outputs_groups_summary_junit_and_completion(env, stream, secrets, clock) -> None:
    drive(AzureReporter(stream=stream, env=env, secrets=secrets, clock=clock), make_report(failed=True))
    log = stream.getvalue()
    assert azure_format_commands(log) == ["group", "endgroup", "group", "endgroup"]
    outputs = _outputs(log)
    assert outputs["status"] == "failed"
    assert outputs["exit_code"] == "1"
    assert set(outputs) == {
        "status",
        "exit_code",
        "report_file",
        "deployments",
        "build_keys",
        "impact_status",
        "summary",
        "library_keys",
        "tags",
    }
    commands = azure_commands(log)
    upload = next(c for c in commands if c.event == "uploadsummary")
    assert Path(upload.data).is_absolute()
    assert "| Orders Portal |" in Path(upload.data).read_text(encoding="utf-8")
    assert commands[-1].event == "complete"
    assert commands[-1].properties["result"] == "Failed"
    issues = [c for c in commands if c.event == "logissue"]
    assert issues[-1].properties["type"] == "error"
    assert len(ET.parse(env["ODC_PIPELINE_JUNIT_FILE"]).getroot().findall("./testsuite/testcase")) == 6


def test_secrets_are_registered_with_the_agent_and_never_printed(env, stream, secrets, clock) -> None:
    drive(
        AzureReporter(stream=stream, env=env, secrets=secrets, clock=clock),
        make_report(failed=True, hostile=HOSTILE),
        hostile=HOSTILE,
    )
    log = stream.getvalue()
    commands = azure_commands(log)
    assert commands[0].event == "setsecret"
    assert commands[0].data == SECRET
    assert SECRET not in log.replace(f"##vso[task.setsecret]{SECRET}", "")
    summary = next(c for c in commands if c.event == "uploadsummary").data
    assert SECRET not in Path(summary).read_text(encoding="utf-8")


def test_hostile_text_cannot_issue_commands(env, stream, secrets, clock) -> None:
    drive(
        AzureReporter(stream=stream, env=env, secrets=secrets, clock=clock),
        make_report(failed=True, hostile=HOSTILE),
        hostile=HOSTILE,
    )
    log = stream.getvalue()
    commands = azure_commands(log)
    assert {(c.area, c.event) for c in commands} <= OURS
    assert _outputs(log)["status"] == "failed"
    assert [
        c.data for c in commands if c.event == "setvariable" and c.properties["variable"] == "status"
    ] == ["failed"]
    assert azure_format_commands(log).count("group") == 2  # "##[group]fake" did not open a group


def test_success_with_warnings_is_partially_succeeded(env, stream, secrets, clock) -> None:
    report = make_report()
    steps = tuple(replace(s, status=StepStatus.WARNING) if s.stage == "build" else s for s in report.steps)
    AzureReporter(stream=stream, env=env, secrets=secrets, clock=clock).finish(replace(report, steps=steps))
    assert azure_commands(stream.getvalue())[-1].properties["result"] == "SucceededWithIssues"


def test_clean_success_is_succeeded(env, stream, secrets, clock) -> None:
    AzureReporter(stream=stream, env=env, secrets=secrets, clock=clock).finish(make_report())
    assert azure_commands(stream.getvalue())[-1].properties["result"] == "Succeeded"


def test_set_variable_issecret_flag() -> None:
    command = azure_parse_line(set_variable("token", "a;b]c", secret=True))
    assert command is not None
    assert command.properties == {"variable": "token", "isOutput": "true", "issecret": "true"}
    assert command.data == "a;b]c"


def test_failure_already_reported_by_the_engine_is_one_issue(env, stream, secrets, clock) -> None:
    report = make_report(failed=True)
    reporter = AzureReporter(stream=stream, env=env, secrets=secrets, clock=clock)
    reporter.error(report.error)
    reporter.finish(report)
    issues = [c.data for c in azure_commands(stream.getvalue()) if c.event == "logissue"]
    assert issues == [report.error]


def test_a_plan_with_changes_pending_is_not_a_failed_task(env, secrets, clock) -> None:
    """--plan --detailed-exitcode exits 10; the task result must not be forced to Failed."""
    import io

    for code, result in ((10, "Succeeded"), (1, "Failed")):
        stream = io.StringIO()
        reporter = AzureReporter(stream=stream, env=env, secrets=secrets, clock=clock)
        reporter.finish(RunReport(status="planned" if code == 10 else "failed", exit_code=code, target="QA"))
        assert f"##vso[task.complete result={result};]" in stream.getvalue()
