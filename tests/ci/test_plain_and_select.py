from __future__ import annotations

import io

import pytest

from odc_pipeline.reporting.azure import AzureReporter
from odc_pipeline.reporting.github import GitHubReporter
from odc_pipeline.reporting.gitlab import GitLabReporter
from odc_pipeline.reporting.plain import PlainReporter
from odc_pipeline.reporting.select import reporter_from_env

from .conftest import HOSTILE, SECRET, drive, make_report


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "cls"),
    [
        ({"GITHUB_ACTIONS": "true", "CI": "true"}, GitHubReporter),
        ({"GITLAB_CI": "true", "CI": "true"}, GitLabReporter),
        ({"TF_BUILD": "True"}, AzureReporter),
        ({"CI": "true"}, PlainReporter),
        ({"GITHUB_ACTIONS": "false"}, PlainReporter),
        ({}, PlainReporter),
    ],
)
def test_backend_is_chosen_from_the_environment(env, cls, stream, secrets) -> None:
    assert type(reporter_from_env(env, stream=stream, secrets=secrets)) is cls


def test_report_file_comes_from_argument_then_env_then_default(stream, secrets) -> None:
    assert reporter_from_env({}, stream=stream, secrets=secrets, report_file="a.json").report_file == "a.json"
    env = {"ODC_PIPELINE_REPORT_FILE": "b.json"}
    assert reporter_from_env(env, stream=stream, secrets=secrets).report_file == "b.json"
    assert reporter_from_env({}, stream=stream, secrets=secrets).report_file == "odc-pipeline-report.json"


def test_plain_lines_have_elapsed_times_and_no_colour_off_tty(stream, secrets, clock) -> None:
    reporter = PlainReporter(stream=stream, env={}, secrets=secrets, clock=clock)
    reporter.stage_started("build")
    clock.advance(12.5)
    reporter.info("building", asset="Orders API")
    reporter.stage_finished("build", "succeeded")
    lines = stream.getvalue().splitlines()
    assert lines[1] == "[   12.5s] Orders API: building"
    assert lines[2] == "[   12.5s] ■ build: succeeded (12.5s)"
    assert "\x1b[" not in stream.getvalue()


def test_colour_only_on_a_tty_and_never_with_no_color(secrets, clock) -> None:
    tty = _Tty()
    PlainReporter(stream=tty, env={}, secrets=secrets, clock=clock).warning("careful")
    assert "\x1b[33m" in tty.getvalue()
    tty2 = _Tty()
    PlainReporter(stream=tty2, env={"NO_COLOR": ""}, secrets=secrets, clock=clock).warning("careful")
    assert "\x1b[" not in tty2.getvalue()


def test_plain_output_is_redacted_and_inert(stream, secrets, clock) -> None:
    drive(
        PlainReporter(stream=stream, env={}, secrets=secrets, clock=clock),
        make_report(failed=True, hostile=HOSTILE),
        hostile=HOSTILE,
    )
    log = stream.getvalue()
    assert SECRET not in log
    assert "##vso[" not in log
    assert not any(line.lstrip().startswith("::") for line in log.splitlines())
    assert "exit code 1" in log


def test_finish_unsubscribes_from_the_registry(stream, secrets, clock) -> None:
    reporter = GitHubReporter(stream=stream, env={}, secrets=secrets, clock=clock)
    reporter.finish(make_report())
    before = stream.getvalue()
    secrets.register("registered-after-finish")
    assert stream.getvalue() == before
