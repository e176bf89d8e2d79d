"""The GitHub back-end, read back with the runner's own parsing rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from odc_pipeline.reporting.github import ANNOTATION_LIMIT, GitHubReporter, format_output

from .ci_rules import github_commands, github_parse_file_commands
from .conftest import HOSTILE, SECRET, drive, make_report

OURS = {"add-mask", "group", "endgroup", "error", "warning"}


@pytest.fixture
def files(tmp_path):
    out, summary = tmp_path / "set_output_x", tmp_path / "step_summary_x"
    out.write_text("")
    summary.write_text("")
    return {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary)}


def _reporter(files, stream, secrets, clock):
    return GitHubReporter(stream=stream, env=files, secrets=secrets, clock=clock, report_file="r.json")


def test_masks_known_secrets_first_and_new_ones_as_they_arrive(files, stream, secrets, clock) -> None:
    reporter = _reporter(files, stream, secrets, clock)
    first = github_commands(stream.getvalue())
    assert first == [type(first[0])("add-mask", {}, SECRET)]
    secrets.register("late%secret\nsecond-line")
    reporter.info("the late secret is late%secret")
    commands = github_commands(stream.getvalue())
    masks = [c.data for c in commands if c.name == "add-mask"]
    # the JSON/repr spelling of the two-line secret ("late%secret\\nsecond-line") is masked too
    assert set(masks) == {
        SECRET,
        "late%secret\nsecond-line",
        "late%secret\\nsecond-line",
        "late%secret",
        "second-line",
    }
    assert "late%secret" not in stream.getvalue().splitlines()[-1]


def test_groups_annotations_outputs_and_summary(files, stream, secrets, clock) -> None:
    report = make_report(failed=True)
    drive(_reporter(files, stream, secrets, clock), report)
    commands = github_commands(stream.getvalue())
    names = [c.name for c in commands]
    assert names.count("group") == names.count("endgroup") == 2
    assert [c.data for c in commands if c.name == "group"] == ["build", "deploy"]
    errors = [c for c in commands if c.name == "error"]
    assert errors[-1].data.startswith("Orders Portal: deployment failed")

    outputs = github_parse_file_commands(Path(files["GITHUB_OUTPUT"]).read_text(encoding="utf-8"))
    assert outputs["status"] == "failed"
    assert outputs["exit-code"] == "1"
    assert outputs["report-file"] == "r.json"
    assert [d["asset"] for d in json.loads(outputs["deployments"])] == ["Orders API", "Orders Portal"]
    assert json.loads(outputs["build-keys"])["Orders API"] == "b-api"
    summary = Path(files["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert "| Orders API | ✅ succeeded | ✅ succeeded | r11 → r12 |" in summary


def test_hostile_text_is_inert_and_secrets_never_printed(files, stream, secrets, clock) -> None:
    drive(
        _reporter(files, stream, secrets, clock), make_report(failed=True, hostile=HOSTILE), hostile=HOSTILE
    )
    log = stream.getvalue()
    commands = github_commands(log)
    assert {c.name for c in commands} <= OURS
    assert not any(c.data.startswith("pwned") for c in commands)
    assert sum(c.name == "add-mask" for c in commands) == 1
    for path in (files["GITHUB_OUTPUT"], files["GITHUB_STEP_SUMMARY"]):
        assert SECRET not in Path(path).read_text(encoding="utf-8")
    assert SECRET not in log.replace(f"::add-mask::{SECRET}", "")
    outputs = github_parse_file_commands(Path(files["GITHUB_OUTPUT"]).read_text(encoding="utf-8"))
    assert set(outputs) == {
        "status",
        "exit-code",
        "report-file",
        "deployments",
        "build-keys",
        "impact-status",
        "summary",
        "library-keys",
        "tags",
    }
    assert outputs["status"] == "failed"  # the hostile setvariable/status did not win


def test_annotation_limit_keeps_a_slot_for_the_failure(files, stream, secrets, clock) -> None:
    reporter = _reporter(files, stream, secrets, clock)
    for i in range(25):
        reporter.error(f"problem {i}")
        reporter.warning(f"careful {i}")
    reporter.finish(make_report(failed=True))
    commands = github_commands(stream.getvalue())
    errors = [c.data for c in commands if c.name == "error"]
    warnings = [c.data for c in commands if c.name == "warning"]
    assert len(errors) == ANNOTATION_LIMIT
    assert errors[-1].startswith("Orders Portal: deployment failed")
    assert len(warnings) == ANNOTATION_LIMIT
    assert "problem 24" in stream.getvalue()  # not annotated, still logged
    assert "not annotated" in Path(files["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")


def test_multiline_output_uses_a_fresh_delimiter_the_runner_accepts() -> None:
    text = format_output("plan", "line1\nEOF\nline3")
    assert text.startswith("plan<<ghadelimiter_")
    assert github_parse_file_commands(text) == {"plan": "line1\nEOF\nline3"}
    assert format_output("plan", "a") != format_output("plan", "a\nb")
    with pytest.raises(ValueError, match="delimiter"):
        format_output("x", "a\nD\nb", delimiter="D")
    with pytest.raises(ValueError, match="invalid output name"):
        format_output("a=b", "v")


def test_nested_stage_start_closes_the_open_group(files, stream, secrets, clock) -> None:
    reporter = _reporter(files, stream, secrets, clock)
    reporter.stage_started("resolve")
    reporter.stage_started("build")
    names = [c.name for c in github_commands(stream.getvalue())]
    assert names[-3:] == ["group", "endgroup", "group"]


def test_failure_already_reported_by_the_engine_is_annotated_once(files, stream, secrets, clock) -> None:
    report = make_report(failed=True)
    reporter = _reporter(files, stream, secrets, clock)
    reporter.error(report.error)
    reporter.finish(report)
    errors = [c.data for c in github_commands(stream.getvalue()) if c.name == "error"]
    assert errors == [report.error]


def test_failure_reported_past_the_limit_still_gets_the_reserved_slot(files, stream, secrets, clock) -> None:
    report = make_report(failed=True)
    reporter = _reporter(files, stream, secrets, clock)
    for i in range(12):
        reporter.error(f"problem {i}")
    reporter.error(report.error)  # the engine's own final error, beyond the per-step limit
    reporter.finish(report)
    errors = [c.data for c in github_commands(stream.getvalue()) if c.name == "error"]
    assert len(errors) == ANNOTATION_LIMIT
    assert errors[-1] == report.error
