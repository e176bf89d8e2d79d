"""Each back-end against the rule of the CI that reads it, at the points escaping could break.

The texts carry literal percent-encodings (``%0A``, ``%25``, ``%3B``, ``%AZP25``) and the
property separators of each grammar, so that dropping any one encode step in a reporter changes
what the runner/agent reads back and these tests fail.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from odc_pipeline.report import AssetSummary, StepResult, StepStatus
from odc_pipeline.reporting.azure import AzureReporter
from odc_pipeline.reporting.github import GitHubReporter
from odc_pipeline.reporting.gitlab import GitLabReporter
from odc_pipeline.reporting.limits import ANNOTATION_LIMIT
from odc_pipeline.reporting.summary import SUMMARY_LIMIT_BYTES, render_summary

from .ci_rules import azure_commands, github_commands, gitlab_sections
from .conftest import make_report

ENCODED = "100%25 done %0A::error::x %0D ok, a: b %3B %5D %AZP25 ; ] end"
"""Text that already looks percent-encoded; it must reach the CI user exactly as written."""


@pytest.fixture
def github(tmp_path, stream, secrets, clock) -> GitHubReporter:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(tmp_path / "out"),
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}  # fmt: skip
    return GitHubReporter(stream=stream, env=env, secrets=secrets, clock=clock, report_file="r.json")


@pytest.fixture
def azure(tmp_path, stream, secrets, clock) -> AzureReporter:
    env = {"TF_BUILD": "True", "AGENT_TEMPDIRECTORY": str(tmp_path),
           "ODC_PIPELINE_JUNIT_FILE": str(tmp_path / "junit.xml")}  # fmt: skip
    return AzureReporter(stream=stream, env=env, secrets=secrets, clock=clock)


# ----------------------------------------------------------------------------- GitHub
def test_github_annotation_message_and_title_read_back_exactly(github, stream) -> None:
    github.warning(ENCODED, asset="Orders, Portal: 100%")
    github.error(ENCODED)
    warning, error = [c for c in github_commands(stream.getvalue()) if c.name in {"warning", "error"}]
    assert warning.properties == {"title": "Orders, Portal: 100%"}  # , and : escaped in properties
    assert warning.data == ENCODED  # % escaped in data: %25 and %0A stay literal
    assert error.data == ENCODED


def test_github_group_title_reads_back_exactly(github, stream) -> None:
    github.stage_started("deploy %0A 100%")
    assert github_commands(stream.getvalue())[-1].data == "deploy %0A 100%"


def test_github_mask_reads_back_as_the_exact_secret(github, stream, secrets) -> None:
    secrets.register("p%0Ass%25word")
    assert github_commands(stream.getvalue())[-1] == type(github_commands(stream.getvalue())[-1])(
        "add-mask", {}, "p%0Ass%25word"
    )


# ----------------------------------------------------------------------------- Azure
def test_azure_issue_message_reads_back_exactly(azure, stream) -> None:
    azure.warning(ENCODED, asset="Orders;Portal]")
    (issue,) = [c for c in azure_commands(stream.getvalue()) if c.event == "logissue"]
    assert issue.properties == {"type": "warning"}
    assert issue.data == f"Orders;Portal]: {ENCODED}"


def test_azure_output_values_and_secrets_read_back_exactly(azure, stream, secrets) -> None:
    secrets.register("sec%AZP25;ret]")
    report = replace(make_report(), target=ENCODED)
    azure.finish(report)
    commands = azure_commands(stream.getvalue())
    assert [c.data for c in commands if c.event == "setsecret"][-1] == "sec%AZP25;ret]"
    summary = next(
        c.data for c in commands if c.event == "setvariable" and c.properties["variable"] == "summary"
    )
    assert summary.startswith(f"succeeded: {ENCODED}: ")
    complete = commands[-1]
    assert (complete.event, complete.properties) == ("complete", {"result": "Succeeded"})
    assert complete.data == summary


def test_azure_issue_limit_keeps_a_slot_for_the_failure(azure, stream) -> None:
    for i in range(15):
        azure.error(f"problem {i}")
        azure.warning(f"careful {i}")
    azure.finish(make_report(failed=True))
    issues = [c for c in azure_commands(stream.getvalue()) if c.event == "logissue"]
    errors = [c.data for c in issues if c.properties["type"] == "error"]
    assert len(errors) == ANNOTATION_LIMIT
    assert errors[-1].startswith("Orders Portal: deployment failed")
    assert sum(c.properties["type"] == "warning" for c in issues) == ANNOTATION_LIMIT
    assert "problem 14" in stream.getvalue()  # past the limit: still in the log, as plain text


def test_azure_failure_reported_past_the_limit_is_still_an_issue(azure, stream) -> None:
    report = make_report(failed=True)
    for i in range(12):
        azure.error(f"problem {i}")
    azure.error(report.error)  # the engine's own final error, beyond the per-task limit
    azure.finish(report)
    errors = [c.data for c in azure_commands(stream.getvalue()) if c.event == "logissue"]
    assert errors[-1] == report.error


# ----------------------------------------------------------------------------- GitLab
_MARKER = re.compile(r"\x1b\[0Ksection_(start|end):(\d+):([A-Za-z0-9_.-]+)(\[collapsed=true\])?\r\x1b\[0K")


def test_gitlab_markers_exact_format_timestamps_and_collapsed_resolve(stream, secrets, clock) -> None:
    reporter = GitLabReporter(stream=stream, env={"GITLAB_CI": "true", "NO_COLOR": "1"}, secrets=secrets,
                              clock=clock)  # fmt: skip
    for stage in ("resolve", "build"):
        reporter.stage_started(stage)
        clock.advance(30)
        reporter.stage_finished(stage, StepStatus.SUCCEEDED)
    lines = stream.getvalue().split("\n")  # the runner's lines; \r is part of the marker
    starts = [line for line in lines if "section_start" in line]
    epoch = int(clock.now().timestamp())
    assert (
        starts[0]
        == f"\x1b[0Ksection_start:{epoch - 60}:odc_1_resolve[collapsed=true]\r\x1b[0Kodc-pipeline: resolve"
    )
    assert starts[1] == f"\x1b[0Ksection_start:{epoch - 30}:odc_2_build\r\x1b[0Kodc-pipeline: build"
    ends = [line for line in lines if "section_end" in line]
    assert ends == [
        f"\x1b[0Ksection_end:{epoch - 30}:odc_1_resolve\r\x1b[0K",
        f"\x1b[0Ksection_end:{epoch}:odc_2_build\r\x1b[0K",
    ]
    markers = [m.groups()[:3] for m in _MARKER.finditer(stream.getvalue())]
    assert [(k, n) for k, _, n in markers] == [(k, n) for k, _, n in gitlab_sections(stream.getvalue())]


# ----------------------------------------------------------------------------- summary
def test_summary_never_exceeds_githubs_limit_even_with_a_huge_table(secrets) -> None:
    report = make_report()
    names = [f"App {i:04d} " + "x" * 900 for i in range(1500)]
    steps = tuple(
        StepResult(n, "deploy", StepStatus.SUCCEEDED, revision_before=1, revision_after=2) for n in names
    )
    assets = tuple(AssetSummary(n, f"k{i}", "WebApplication", 1, 2) for i, n in enumerate(names))
    md = render_summary(replace(report, steps=steps, assets=assets), secrets=secrets)
    assert len(md.encode()) <= SUMMARY_LIMIT_BYTES
    assert "| App 0000 " in md
    assert re.search(r"_(\d+) more assets not shown", md)
    shown = sum(line.startswith("| App ") for line in md.splitlines())
    assert shown + int(re.search(r"_(\d+) more", md).group(1)) == len(names)


# ----------------------------------------------------------------------------- outputs
def test_outputs_of_every_backend_never_carry_a_secret(tmp_path, secrets, clock) -> None:
    import io

    from odc_pipeline.reporting.dotenv import render_dotenv
    from odc_pipeline.reporting.outputs import derive_outputs

    from .ci_rules import github_parse_file_commands, gitlab_parse_dotenv
    from .conftest import SECRET

    report = make_report(failed=True)
    leaky = replace(
        report,
        error=f"{report.error} token={SECRET}",
        steps=(*report.steps, StepResult(f"App {SECRET}", "build", StepStatus.FAILED, build_key=SECRET)),
    )
    values = dict(derive_outputs(leaky, secrets=secrets).items())
    assert "***" in values["summary"]
    assert all(SECRET not in v for v in values.values())
    assert SECRET not in render_dotenv(derive_outputs(leaky, secrets=secrets))
    out = tmp_path / "out"
    out.write_text("")
    stream = io.StringIO()
    GitHubReporter(stream=stream, env={"GITHUB_OUTPUT": str(out)}, secrets=secrets, clock=clock).finish(leaky)
    assert all(SECRET not in v for v in github_parse_file_commands(out.read_text()).values())
    azure_out = io.StringIO()
    azure_env = {"AGENT_TEMPDIRECTORY": str(tmp_path), "ODC_PIPELINE_JUNIT_FILE": str(tmp_path / "j.xml")}
    AzureReporter(stream=azure_out, env=azure_env, secrets=secrets, clock=clock).finish(leaky)
    setvars = [c.data for c in azure_commands(azure_out.getvalue()) if c.event == "setvariable"]
    assert setvars
    assert all(SECRET not in v for v in setvars)
    assert gitlab_parse_dotenv(render_dotenv(derive_outputs(leaky, secrets=secrets)).encode())
