"""The ``run`` command as users call it (``--simulate`` in-process), and signal handling."""

from __future__ import annotations

import json
import os
import signal
import threading

import jsonschema
import pytest

from odc_pipeline.cli import main
from odc_pipeline.engine.cancel import cancel_on_signals
from odc_pipeline.engine.options import EngineSpec, RunOptions, parse_stage_list, selected_stages
from odc_pipeline.engine.report_file import SCHEMA_PATH
from odc_pipeline.errors import UsageError

from .e2e import EXAMPLES, ROOT


def test_run_simulate_end_to_end_writes_a_valid_report(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    report = tmp_path / "report.json"
    code = main(
        ["run", "--simulate", "--file", str(EXAMPLES / "single-app.yml"), "--report-file", str(report)]
    )
    assert code == 0
    document = json.loads(report.read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["status"] == "succeeded"
    assert document["api_calls"]
    out = capsys.readouterr().out
    assert "deploy" in out


def test_run_plan_prints_the_plan_and_exits_0(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = main(
        [
            "run",
            str(EXAMPLES / "single-app.yml"),
            "--simulate",
            "--plan",
            "--report-file",
            str(tmp_path / "r.json"),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "would deploy r20" in out
    assert "nothing was changed" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "--only", "buidl", "--simulate"], "unknown stage buidl"),
        (["run", "does-not-exist.yml", "--simulate"], "file not found"),
        (["run", "a.yml", "--file", "b.yml"], "give the pipeline file once"),
        (["run", str(EXAMPLES / "single-app.yml"), "--time-scale", "0.1"], "--time-scale needs --simulate"),
    ],
)
def test_usage_errors_exit_2_with_a_message(argv, needle, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    assert main(argv) == 2
    assert needle in capsys.readouterr().err


def test_only_and_skip_select_stages_in_the_fixed_order():
    spec = EngineSpec(target="QA", assets=())
    assert selected_stages(spec, RunOptions(only=("verify", "build"))) == ("build", "verify")
    assert selected_stages(spec, RunOptions(skip=("impact-analysis",))) == (
        "configure",
        "publish",
        "build",
        "deploy",
        "verify",
        "release",
    )
    partial = EngineSpec(target="QA", assets=(), stages=frozenset({"deploy"}))
    assert selected_stages(partial, RunOptions()) == ("deploy",)
    with pytest.raises(UsageError):
        parse_stage_list("deploy,ship", flag="--skip")


def test_first_signal_sets_the_cancel_event_instead_of_raising():
    event = threading.Event()
    notes: list[str] = []
    with cancel_on_signals(event, notify=notes.append):
        os.kill(os.getpid(), signal.SIGINT)
        assert event.wait(2)
    assert notes
    assert "SIGINT" in notes[0]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_a_run_leaves_the_package_logger_as_it_found_it(tmp_path, monkeypatch):
    """In-process runs (tests, embedding) must not keep odc_pipeline's logger rewired."""
    import logging

    logger = logging.getLogger("odc_pipeline")
    before = (logger.handlers[:], logger.level, logger.propagate)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "missing.yml", "--log-level", "debug"]) == 2
    assert (logger.handlers[:], logger.level, logger.propagate) == before
