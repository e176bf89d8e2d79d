"""The closing assets × stages table of the plain back-end (terminals have no summary page)."""

from __future__ import annotations

import re

from odc_pipeline.reporting.plain import PlainReporter, text_table

from .conftest import HOSTILE, SECRET, make_report


def test_table_has_a_row_per_asset_and_a_column_per_stage_that_ran():
    lines = text_table(make_report(failed=True), str)
    assert lines[0].split() == ["asset", "build", "deploy", "revision"]
    rows = {re.split(r"\s{2,}", line.strip())[0]: line.split() for line in lines[1:]}
    assert rows["Orders API"][-3:] == ["r11", "→", "r12"]
    assert "failed" in rows["Orders Portal"]
    assert rows["Orders Portal"][-1] == "r4"
    assert rows["Orders Core"][-1] == "r7"


def test_columns_are_aligned():
    lines = text_table(make_report(), str)
    header = lines[0]
    start = header.index("deploy")
    assert all(line[start - 1] == " " for line in lines[1:])


def test_nothing_is_printed_when_no_stage_ran():
    report = make_report()
    empty = type(report)(status="succeeded", exit_code=0, target="QA")
    assert text_table(empty, str) == []


def test_plain_reporter_prints_the_table_before_the_final_line(stream, secrets, clock):
    PlainReporter(stream=stream, env={}, secrets=secrets, clock=clock).finish(make_report())
    lines = stream.getvalue().splitlines()
    assert lines[0].split()[0] == "asset"
    assert "succeeded" in lines[-2]
    assert lines[-1].strip().startswith("report:")


def test_names_from_odc_are_cleaned_in_the_table(stream, secrets, clock):
    report = make_report()
    hostile_asset = type(report.assets[1])(f"{HOSTILE} {SECRET}", "k", "WebApplication", 1, 2)
    report = type(report)(
        status="succeeded", exit_code=0, target="QA", assets=(hostile_asset,), steps=report.steps
    )
    PlainReporter(stream=stream, env={}, secrets=secrets, clock=clock).finish(report)
    out = stream.getvalue()
    assert SECRET not in out
    assert "\n::error::" not in out
    assert not any(line.startswith(("::", "##")) for line in out.splitlines())
