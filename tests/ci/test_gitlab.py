"""The GitLab back-end: sections, dotenv within GitLab's rules, JUnit, self-redaction."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from odc_pipeline.reporting.gitlab import GitLabReporter

from .ci_rules import gitlab_parse_dotenv, gitlab_sections
from .conftest import HOSTILE, HOSTILE_REPORT, SECRET, drive, make_report


@pytest.fixture
def env(tmp_path):
    return {
        "GITLAB_CI": "true",
        "ODC_PIPELINE_DOTENV_FILE": str(tmp_path / "odc.env"),
        "ODC_PIPELINE_JUNIT_FILE": str(tmp_path / "junit.xml"),
    }


def test_sections_dotenv_and_junit(env, stream, secrets, clock) -> None:
    reporter = GitLabReporter(stream=stream, env=env, secrets=secrets, clock=clock)
    reporter.start(target="QA", pipeline_file="p.yml", plan_only=False)
    reporter.stage_started("impact-analysis")
    clock.advance(65)
    reporter.stage_finished("impact-analysis", "succeeded")
    reporter.finish(make_report())
    sections = gitlab_sections(stream.getvalue())
    assert [(kind, name) for kind, _, name in sections] == [
        ("start", "odc_1_impact-analysis"),
        ("end", "odc_1_impact-analysis"),
    ]
    assert sections[1][1] - sections[0][1] == 65  # GitLab shows this as the section's duration
    dotenv = gitlab_parse_dotenv(Path(env["ODC_PIPELINE_DOTENV_FILE"]).read_bytes())
    assert dotenv["ODC_STATUS"] == "succeeded"
    assert dotenv["ODC_EXIT_CODE"] == "0"
    root = ET.parse(env["ODC_PIPELINE_JUNIT_FILE"]).getroot()
    assert len(root.findall("./testsuite/testcase")) == 6


def test_hostile_text_cannot_fake_sections_and_secrets_are_redacted(env, stream, secrets, clock) -> None:
    reporter = GitLabReporter(stream=stream, env=env, secrets=secrets, clock=clock)
    drive(reporter, HOSTILE_REPORT, hostile=HOSTILE)
    log = stream.getvalue()
    names = {name for _, _, name in gitlab_sections(log)}
    assert names == {"odc_1_build", "odc_2_deploy"}
    assert SECRET not in log
    assert "***" in log
    for path in (env["ODC_PIPELINE_DOTENV_FILE"], env["ODC_PIPELINE_JUNIT_FILE"]):
        assert SECRET not in Path(path).read_text(encoding="utf-8")
    dotenv = gitlab_parse_dotenv(Path(env["ODC_PIPELINE_DOTENV_FILE"]).read_bytes())
    assert dotenv["ODC_STATUS"] == "failed"
    # our own lines carry \r only inside our section markers
    assert log.count("\r") == len(gitlab_sections(log))


def test_colour_is_on_for_gitlab_logs_unless_no_color(env, stream, secrets, clock) -> None:
    coloured = GitLabReporter(stream=stream, env=env, secrets=secrets, clock=clock)
    coloured.warning("careful")
    assert "\x1b[33m" in stream.getvalue()
    plain = GitLabReporter(stream=stream, env={**env, "NO_COLOR": "1"}, secrets=secrets, clock=clock)
    assert plain.colour is False
