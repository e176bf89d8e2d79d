"""The container entrypoint: hands CI shells over, maps GitHub inputs, else runs odc-pipeline."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .ci_rules import github_commands, github_parse_file_commands, gitlab_parse_dotenv
from .conftest import ROOT, load_entrypoint

entrypoint = load_entrypoint()


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_", "ODC_"))}
    return subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_github_inputs_with_hyphens_map_to_run_arguments_and_settings() -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "INPUT_PIPELINE-FILE": "deploy/prod.yml",
        "INPUT_PORTAL-URL": "https://acme.outsystems.dev",
        "INPUT_CLIENT-ID": "cid",
        "INPUT_CLIENT-SECRET": "csecret",
        "INPUT_TARGET": "Production",
        "INPUT_ONLY": "",
        "INPUT_SKIP": "verify",
        "INPUT_PLAN": "TRUE",
        "INPUT_FORCE": "false",
        "INPUT_REPORT-FILE": "out/report.json",
        "INPUT_LOG-LEVEL": "debug",
    }
    invocation = entrypoint.plan([], env)
    assert invocation.argv == (
        "run", "--file=deploy/prod.yml", "--target=Production", "--skip=verify",
        "--report-file=out/report.json", "--log-level=debug", "--plan",
    )  # fmt: skip
    assert invocation.env == {
        "ODC_PORTAL_URL": "https://acme.outsystems.dev",
        "ODC_CLIENT_ID": "cid",
        "ODC_CLIENT_SECRET": "csecret",
        "ODC_PIPELINE_REPORT_FILE": "out/report.json",
    }
    assert "csecret" not in invocation.argv  # secrets never on a command line


def test_defaults_and_underscore_fallback() -> None:
    invocation = entrypoint.plan([], {"GITHUB_ACTIONS": "true", "INPUT_LOG_LEVEL": "warning"})
    assert invocation.argv == ("run", "--file=odc-pipeline.yml", "--log-level=warning")
    assert invocation.env == {}


def test_mapped_arguments_parse_as_meant_even_when_a_value_starts_with_a_dash() -> None:
    from odc_pipeline.cli import build_parser

    env = {"GITHUB_ACTIONS": "true", "INPUT_PIPELINE-FILE": "-odd.yml", "INPUT_TARGET": "-stage",
           "INPUT_ONLY": "build,deploy", "INPUT_FORCE": "yes"}  # fmt: skip
    args = build_parser().parse_args(list(entrypoint.plan([], env).argv))
    assert (args.file_option, args.target, args.only, args.force) == (
        "-odd.yml",
        "-stage",
        "build,deploy",
        True,
    )


def test_explicit_args_win_over_inputs_and_outside_github_no_args_means_run() -> None:
    assert entrypoint.plan(["validate", "x.yml"], {"GITHUB_ACTIONS": "true", "INPUT_TARGET": "QA"}).argv == (
        "validate",
        "x.yml",
    )
    assert entrypoint.plan([], {"GITLAB_CI": "true"}).argv == ("run",)


def test_invalid_boolean_input_is_one_error_annotation_exit_2_and_outputs(tmp_path) -> None:
    with pytest.raises(entrypoint.InputError, match="'plan' must be true or false"):
        entrypoint.plan([], {"GITHUB_ACTIONS": "true", "INPUT_PLAN": "maybe"})
    output = tmp_path / "set_output"
    output.write_text("")
    env = {"GITHUB_ACTIONS": "true", "INPUT_PLAN": "100%0A", "GITHUB_OUTPUT": str(output),
           "INPUT_CLIENT-SECRET": "input-secret-value"}  # fmt: skip
    result = _run(env=env)
    assert result.returncode == 2
    commands = github_commands(result.stdout)
    assert [c.name for c in commands] == ["add-mask", "error"]
    assert commands[0].data == "input-secret-value"
    assert "'100%0A'" in commands[1].data  # escaped: the runner shows the literal text
    outputs = github_parse_file_commands(output.read_text())
    assert (outputs["exit-code"], outputs["status"]) == ("2", "error")


@pytest.mark.parametrize(
    "argv",
    [
        ["sh", "-c", "echo gitlab-job-script; exit 7"],
        ["bash", "-c", "echo gitlab-job-script; exit 7"],
        ["/bin/sh", "-c", "echo gitlab-job-script; exit 7"],
    ],
)
def test_ci_shells_are_handed_over_unchanged(argv) -> None:
    result = _run(*argv)
    assert result.stdout == "gitlab-job-script\n"
    assert result.returncode == 7


def test_absolute_executable_is_handed_over_like_azures_keep_alive(tmp_path) -> None:
    node = tmp_path / "node"
    node.write_text('#!/bin/sh\necho keep-alive "$@"\n')
    node.chmod(0o755)
    result = _run(str(node), "-e", "setInterval(function(){}, 24 * 60 * 60 * 1000);")
    assert result.stdout == "keep-alive -e setInterval(function(){}, 24 * 60 * 60 * 1000);\n"
    assert result.returncode == 0


def test_handover_keeps_argv0_and_the_environment(tmp_path) -> None:
    probe = tmp_path / "probe"
    probe.write_text('#!/bin/sh\necho "$0|$1|$CI_PROBE"\n')
    probe.chmod(0o755)
    result = _run(str(probe), "arg one", env={"CI_PROBE": "from-the-job"})
    assert result.stdout == f"{probe}|arg one|from-the-job\n"


def test_a_command_that_cannot_start_is_exit_127_not_a_traceback(capsys) -> None:
    assert entrypoint.hand_over(["/nonexistent/bin/node", "-e", "x"]) == entrypoint.NOT_RUNNABLE_EXIT
    assert "cannot run '/nonexistent/bin/node'" in capsys.readouterr().err


def test_handover_rule() -> None:
    assert entrypoint.is_handover("sh")
    assert entrypoint.is_handover(sys.executable)
    assert not entrypoint.is_handover("run")
    assert not entrypoint.is_handover("/nonexistent/bin/node")
    assert not entrypoint.is_handover(str(ROOT / "README.md"))  # absolute but not executable


def test_other_arguments_go_to_odc_pipeline() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("odc-pipeline ")


def test_outputs_are_set_even_when_run_stops_before_reporting(tmp_path) -> None:
    output = tmp_path / "set_output"
    output.write_text("")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(output),
        "INPUT_PIPELINE-FILE": str(tmp_path / "no.yml"),
    }
    result = _run(env=env)
    assert result.returncode == 2
    outputs = github_parse_file_commands(output.read_text())
    assert outputs["exit-code"] == "2"
    assert outputs["status"] == "error"
    commands = github_commands(result.stdout)
    assert [c.name for c in commands] == ["error"]
    assert "no.yml" in result.stderr  # the CLI's own message says what was wrong ...
    assert "no.yml: file not found" in commands[0].data  # ... and the annotation repeats it


def test_gitlab_dotenv_is_written_when_run_stops_early(tmp_path) -> None:
    env = {"GITLAB_CI": "true", "ODC_PIPELINE_DOTENV_FILE": str(tmp_path / "o.env"),
           "ODC_PIPELINE_JUNIT_FILE": str(tmp_path / "j.xml")}  # fmt: skip
    result = _run("run", str(tmp_path / "no.yml"), env=env)
    assert result.returncode == 2
    assert gitlab_parse_dotenv((tmp_path / "o.env").read_bytes())["ODC_EXIT_CODE"] == "2"
