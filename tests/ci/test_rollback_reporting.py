"""What every CI shows after a rollback: the state of the stage first, then per asset both outcomes."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

from odc_pipeline.report import AssetRollback, RollbackReport, ValueRestore
from odc_pipeline.reporting.gitlab import GitLabReporter
from odc_pipeline.reporting.junit import render_junit
from odc_pipeline.reporting.outputs import derive_outputs
from odc_pipeline.reporting.plain import PlainReporter, text_table
from odc_pipeline.reporting.summary import render_summary

from .conftest import HOSTILE, SECRET, make_report


def _rolled(outcome: str, **fields) -> AssetRollback:
    base = {
        "asset": "Orders API",
        "asset_key": "k-api",
        "forward": "succeeded",
        "outcome": outcome,
        "revision_new": 12,
        "revision_target": 11,
        "build_key_target": "b-api-11",
        "revision_now": 11,
        "build_key_now": "b-api-11",
        "summary": "rolled back to r11 (build b-api-11) by op-r",
    }
    base.update(fields)
    return AssetRollback(**base)


def _report(status: str, *assets: AssetRollback, still: tuple[str, ...] = ()):
    base = make_report(failed=True)
    rollback = RollbackReport(status=status, reason=base.error, assets=assets, still_on_new=still)
    exit_code, run_status = (1, "rolled-back") if status == "complete" else (9, "rollback-incomplete")
    return dataclasses.replace(base, rollback=rollback, exit_code=exit_code, status=run_status)


CLEAN = _report(
    "complete",
    _rolled("rolled-back"),
    _rolled(
        "stayed-live",
        asset="Orders Portal",
        asset_key="k-portal",
        forward="failed",
        revision_new=5,
        revision_target=4,
        build_key_target="b-portal-4",
        revision_now=4,
        build_key_now="b-portal-4",
        summary="r4 (build b-portal-4), which ran before, stayed live",
        values=(ValueRestore("setting ApiToken", "unrestorable", "a secret ODC does not read back"),),
    ),
)
INCOMPLETE = _report(
    "incomplete",
    _rolled("kept", revision_now=12, build_key_now="b-api", summary="kept on r12: Orders Portal uses it"),
    _rolled(
        "failed",
        asset="Orders Portal",
        asset_key="k-portal",
        revision_new=5,
        revision_target=4,
        build_key_target="b-portal-4",
        revision_now=5,
        build_key_now="b-portal",
        summary="rollback deploy op-x to r4 ended FinishedWithError; r5 runs",
    ),
    still=("Orders API", "Orders Portal"),
)


def _table_rows(markdown: str) -> dict[str, list[str]]:
    table = markdown.split("| Asset", 1)[1]
    return {
        line.split(" | ")[0][2:]: line.split(" | ")
        for line in table.splitlines()[2:]
        if line.startswith("| ")
    }


def test_summary_of_a_clean_rollback_shows_both_outcomes_per_asset():
    markdown = render_summary(CLEAN)
    first = markdown.splitlines()[2]
    assert first.startswith("> **Rolled back**: every asset this run changed runs what ran before")
    header = markdown.split("| Asset", 1)[1].splitlines()[0]
    assert header == " | build | deploy | rollback | Revision | App |"
    rows = _table_rows(markdown)
    assert rows["Orders API"][1:4] == ["✅ succeeded", "✅ succeeded", "↩️ rolled-back"]
    assert rows["Orders Portal"][2:4] == ["❌ failed", "⏺️ stayed-live"]
    assert "  - setting ApiToken: unrestorable (a secret ODC does not read back)" in markdown


def test_summary_of_an_incomplete_rollback_starts_with_the_assets_still_on_new_revisions():
    markdown = render_summary(INCOMPLETE)
    first = markdown.splitlines()[2]
    assert first == (
        "> ⚠️ **Rollback incomplete**: still on the revisions this run deployed: "
        "Orders API (runs r12, ran r11 before), Orders Portal (runs r5, ran r4 before)"
    )
    assert _table_rows(markdown)["Orders API"][3] == "⛔ kept"
    outputs = derive_outputs(INCOMPLETE)
    assert outputs.status == "rollback-incomplete"
    assert outputs.exit_code == "9"
    assert "rollback incomplete, still on new: Orders API, Orders Portal" in outputs.summary


def test_without_a_rollback_a_failed_run_says_which_assets_moved():
    markdown = render_summary(make_report(failed=True))
    assert markdown.splitlines()[2] == (
        "> ⚠️ **Stage runs a mix of old and new**: moved by this run: Orders API r11 → r12; "
        "not moved: Orders Portal (failed)"
    )
    assert "rollback" not in markdown.split("| Asset", 1)[1].splitlines()[0]
    assert "Stage runs a mix" not in render_summary(make_report())  # a successful run: nothing to say
    verify_failed = dataclasses.replace(
        make_report(), status="failed", exit_code=1, error="verification failed"
    )
    assert render_summary(verify_failed).splitlines()[2] == (
        "> ⚠️ **Not rolled back**: moved by this run: Orders API r11 → r12, Orders Portal r4 → r5"
    )


def test_hostile_asset_names_and_secrets_stay_inert_in_the_rollback_lines(secrets):
    hostile = _report(
        "incomplete",
        _rolled("failed", asset=f"x|y {HOSTILE} {SECRET}", summary=f"boom {SECRET}"),
        still=(f"x|y {HOSTILE} {SECRET}",),
    )
    markdown = render_summary(hostile, secrets=secrets)
    assert SECRET not in markdown
    top = markdown.split("| Asset", 1)[0]
    assert "\n::error::" not in top
    assert "x\\|y" in top  # the pipe cannot open a table cell


def test_plain_and_gitlab_logs_print_the_state_before_the_summary_line(stream, secrets, clock, tmp_path):
    reporter = PlainReporter(stream=stream, env={}, secrets=secrets, clock=clock, colour=False)
    reporter.finish(INCOMPLETE)
    lines = stream.getvalue().splitlines()
    state = next(i for i, line in enumerate(lines) if "Rollback incomplete: still on the revisions" in line)
    assert "rollback-incomplete" in lines[state + 1]
    assert "(exit code 9)" in lines[state + 1]
    assert text_table(INCOMPLETE, str)[0].split()[-2:] == ["rollback", "revision"]

    stream.truncate(0)
    env = {"GITLAB_CI": "true", "ODC_PIPELINE_DOTENV_FILE": str(tmp_path / "o.env")}
    env["ODC_PIPELINE_JUNIT_FILE"] = str(tmp_path / "j.xml")
    gitlab = GitLabReporter(stream=stream, env=env, secrets=secrets, clock=clock, colour=False)
    gitlab.finish(INCOMPLETE)
    assert "Rollback incomplete: still on the revisions this run deployed: Orders API" in stream.getvalue()
    assert "ODC_STATUS=rollback-incomplete" in (tmp_path / "o.env").read_text()


def test_junit_has_a_rollback_suite_failing_for_each_asset_not_back():
    suites = ET.fromstring(render_junit(INCOMPLETE).split("?>", 1)[1])
    suite = next(s for s in suites if s.get("name") == "odc-pipeline.rollback")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "2")
    failure = suite.find("testcase[@name='Orders Portal']/failure")
    assert failure is not None
    assert failure.get("type") == "failed"
    clean = ET.fromstring(render_junit(CLEAN).split("?>", 1)[1])
    suite = next(s for s in clean if s.get("name") == "odc-pipeline.rollback")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "0")
    assert int(clean.get("tests")) == sum(int(s.get("tests")) for s in clean)
