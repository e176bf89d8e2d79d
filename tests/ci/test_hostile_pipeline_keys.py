"""Text from the pipeline file never starts a live CI command (issue 10, finding 6).

A fork pull request can carry the pipeline file. Keys holding a newline and a GitHub workflow
command, an Azure logging/formatting command or a GitLab section marker are fed through
``validate`` and ``run`` (a file problem found before the run, and names the run fails on
against the simulator) under each CI's reporter; the logs are read back with each runner's own
parsing rules (``ci_rules``), and no hostile command may parse out of them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from odc_pipeline import cli

from .ci_rules import azure_commands, azure_format_commands, github_commands, gitlab_sections

PAYLOAD = (
    "\\n::add-mask::leak\\n::stop-commands::hostile\\n"
    "##vso[task.setvariable variable=status]hacked\\n##[group]fake\\n"
    "\\e[0Ksection_start:1:evil\\r\\e[0K\\rdone"
)
"""YAML double-quoted escapes: the file holds real newlines, CR and ESC inside one key."""

CIS = {
    "plain": {},
    "github": {"GITHUB_ACTIONS": "true"},
    "gitlab": {"GITLAB_CI": "true"},
    "azure": {"TF_BUILD": "True"},
}


def _files(tmp_path: Path) -> dict[str, Path]:
    unknown_key = tmp_path / "unknown-key.yml"
    unknown_key.write_text(f'version: 1\ntarget: QA\nassets: [Orders API]\n"evil{PAYLOAD}": 1\n')
    bad_value = tmp_path / "bad-value.yml"
    bad_value.write_text(
        f'version: 1\ntarget: QA\nassets: [Orders API]\nstages:\n  deploy:\n    "max-parallel{PAYLOAD}": 2\n'
    )
    setting = tmp_path / "setting.yml"
    setting.write_text(
        "version: 1\ntarget: QA\nassets: [Orders API]\nstages:\n  configure:\n    Orders API:\n"
        f'      settings:\n        "Timeout{PAYLOAD}": 45\n'
    )
    asset = tmp_path / "asset.yml"
    asset.write_text(f'version: 1\ntarget: QA\nassets: ["Orders{PAYLOAD}"]\nstages:\n  deploy: {{}}\n')
    return {"unknown-key": unknown_key, "bad-value": bad_value, "setting": setting, "asset": asset}


def _hostile_commands(log: str) -> list[str]:
    found = []
    for command in github_commands(log):
        if command.name in {"add-mask", "stop-commands"} and (
            "leak" in command.data or "hostile" in command.data
        ):
            found.append(f"github ::{command.name}::{command.data}")
        if command.name not in {"add-mask", "group", "endgroup", "error", "warning", "notice", "debug"}:
            found.append(f"github ::{command.name}::")
    found += [
        f"azure ##vso[{c.area}.{c.event}]{c.data}"
        for c in azure_commands(log)
        if c.event == "setvariable" and c.data.startswith("hacked")
    ]
    found += [
        f"azure ##[{name}]"
        for name in azure_format_commands(log)
        if name not in {"group", "endgroup", "section", "error", "warning"}
    ]
    found += [line for line in re.split(r"\r\n|\r|\n", log) if line.startswith("##[group]fake")]
    found += [f"gitlab section {name}" for _, _, name in gitlab_sections(log) if name == "evil"]
    found += ["raw ESC"] if "\x1b[0Ksection_start:1:evil" in log else []
    return found


def run_cli_under_ci(  # noqa: PLR0917
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    ci: str,
    command: str,
    path: Path,
    *,
    unset: tuple[str, ...] = (),
) -> tuple[int, str]:
    """``validate`` or ``run --simulate`` on ``path`` with ``ci``'s environment, as that CI runs
    the step; returns the exit code and everything printed (what the runner would parse)."""
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD", "CI", *unset):
        monkeypatch.delenv(name, raising=False)
    for name, value in CIS[ci].items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "github-output"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "github-summary"))
    monkeypatch.chdir(tmp_path)
    if command == "validate":
        code = cli.main(["validate", str(path)])
    else:
        report = str(tmp_path / "r.json")
        code = cli.main(["run", str(path), "--simulate", "--time-scale", "0.002", "--report-file", report])
    out = capsys.readouterr()
    return code, out.out + "\n" + out.err


@pytest.mark.parametrize(
    ("ci", "command", "case"),
    [
        (ci, command, case)
        for ci in sorted(CIS)
        for command in ("validate", "run")
        for case in ("unknown-key", "bad-value", "setting", "asset")
    ],
)
def test_hostile_keys_start_no_ci_command(tmp_path, monkeypatch, capsys, ci, command, case):  # noqa: PLR0917
    code, log = run_cli_under_ci(tmp_path, monkeypatch, capsys, ci, command, _files(tmp_path)[case])
    expected_codes = {"validate": {0, 2}, "run": {1, 2}}[command]
    assert code in expected_codes, log
    if case in {"unknown-key", "bad-value"} or command == "run":
        assert code != 0, log  # the hostile text really reached an error message
        assert "leak" in log  # shown, as inert text
    assert _hostile_commands(log) == [], log
