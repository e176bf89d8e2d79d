#!/usr/bin/env python3
"""The container's entrypoint: one image for GitHub Actions, GitLab CI and Azure DevOps.

GitHub runs the image's ENTRYPOINT with the action's inputs as ``INPUT_<NAME>`` variables (name
upper-cased, hyphens kept: ``INPUT_PIPELINE-FILE``). GitLab and Azure instead start the image
with their own command (GitLab ``sh -c <script>``, Azure a node keep-alive such as
``bash -c "'/__a/externals/node20/bin/node' -e 'setInterval(…)'"``) and expect it to run, so
a shell or an absolute path to an executable is handed over unchanged (``exec``). Everything
else runs ``odc-pipeline``; with no arguments at all that is ``odc-pipeline run``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"})
USAGE_EXIT = 2
NOT_RUNNABLE_EXIT = 127  # what a shell returns for a command it cannot start

# action.yml input -> run flag (value inputs) ...
VALUE_FLAGS: tuple[tuple[str, str], ...] = (
    ("target", "--target"),
    ("only", "--only"),
    ("skip", "--skip"),
    ("report-file", "--report-file"),
    ("log-level", "--log-level"),
    ("from-plan", "--from-plan"),
)
# ... boolean inputs ...
BOOL_FLAGS: tuple[tuple[str, str], ...] = (
    ("plan", "--plan"),
    ("detailed-exitcode", "--detailed-exitcode"),
    ("force", "--force"),
)
# ... and inputs that become settings in the environment (never argv: secrets stay out of ps).
ENV_INPUTS: tuple[tuple[str, str], ...] = (
    ("portal-url", "ODC_PORTAL_URL"),
    ("client-id", "ODC_CLIENT_ID"),
    ("client-secret", "ODC_CLIENT_SECRET"),
)
DEFAULT_PIPELINE_FILE = "odc-pipeline.yml"
COMMANDS = ("run", "validate")  # the `command` input: validate is offline, for pull requests


class InputError(ValueError):
    """An action input has a value we cannot use; reported as one ``::error::``, exit 2."""


@dataclass(frozen=True)
class Invocation:
    """What to run: ``odc-pipeline`` arguments plus environment variables to set first."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)


def is_handover(arg0: str) -> bool:
    """A shell by name, or an absolute path to an executable file (CI-provided commands)."""
    if arg0 in SHELLS:
        return True
    return os.path.isabs(arg0) and os.path.isfile(arg0) and os.access(arg0, os.X_OK)


def read_input(env: Mapping[str, str], name: str) -> str:
    """``INPUT_<NAME>`` as the runner sets it (hyphens kept), then the ``_`` spelling."""
    upper = name.upper().replace(" ", "_")
    for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"):
        value = env.get(key)
        if value is not None and value.strip():
            return value.strip()
    return ""


def parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"", "false", "no", "0", "off"}:
        return False
    if lowered in {"true", "yes", "1", "on"}:
        return True
    raise InputError(f"input '{name}' must be true or false, not {value!r}")


def github_invocation(env: Mapping[str, str]) -> Invocation:
    """Map the action's inputs to ``odc-pipeline run`` arguments and ``ODC_*`` settings.

    Values go as ``--flag=value`` so that one starting with ``-`` (a stage key, a path) is never
    read as another option by argparse.
    """
    command = read_input(env, "command") or "run"
    if command not in COMMANDS:
        raise InputError(f"input 'command' must be one of {', '.join(COMMANDS)}, not {command!r}")
    pipeline_file = read_input(env, "pipeline-file") or DEFAULT_PIPELINE_FILE
    if command == "validate":  # offline: no settings, no other inputs
        return Invocation(argv=("validate", "--", pipeline_file))
    from_plan = read_input(env, "from-plan")
    # The runner always sets the input's default; with from-plan the plan names its own file,
    # so only a pipeline-file the workflow chose explicitly is passed on.
    argv = (
        ["run"]
        if from_plan and pipeline_file == DEFAULT_PIPELINE_FILE
        else ["run", f"--file={pipeline_file}"]
    )
    for name, flag in VALUE_FLAGS:
        value = read_input(env, name)
        if value:
            argv.append(f"{flag}={value}")
    for name, flag in BOOL_FLAGS:
        if parse_bool(name, read_input(env, name)):
            argv.append(flag)
    settings = {var: value for name, var in ENV_INPUTS if (value := read_input(env, name))}
    report_file = read_input(env, "report-file")
    if report_file:
        settings["ODC_PIPELINE_REPORT_FILE"] = report_file
    return Invocation(argv=tuple(argv), env=settings)


def plan(argv: Sequence[str], env: Mapping[str, str]) -> Invocation:
    """Decide what ``odc-pipeline`` gets, without side effects (unit-tested directly)."""
    if argv:
        return Invocation(argv=tuple(argv))
    if env.get("GITHUB_ACTIONS", "").lower() == "true":
        return github_invocation(env)
    return Invocation(argv=("run",))


class ErrorLineTap:
    """Passes stderr through and remembers the CLI's last ``odc-pipeline: error: …`` line.

    When ``run`` stops before it reports (a missing pipeline file, bad settings), that line is
    the reason; repeating it in the annotation / logissue puts it where CI users look first.
    """

    PREFIX = "odc-pipeline: error: "

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.last_error = ""

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.startswith(self.PREFIX):
                self.last_error = line.removeprefix(self.PREFIX).strip()
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def hand_over(args: Sequence[str]) -> int:
    """``exec`` the CI's own command: same argv (``argv[0]`` included), same environment.

    Only returns when the command cannot be started at all (then 127, as a shell would).
    """
    sys.stdout.flush()
    try:
        os.execvp(args[0], list(args))
    except OSError as exc:
        print(f"odc-pipeline entrypoint: cannot run {args[0]!r}: {exc.strerror}", file=sys.stderr)
    return NOT_RUNNABLE_EXIT


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and is_handover(args[0]):
        return hand_over(args)  # GitLab's `sh -c …`, Azure's keep-alive: not ours to run

    from odc_pipeline.redaction import SECRETS

    # Known before anything could print it: the reporter masks it (::add-mask::) on creation.
    SECRETS.register(read_input(os.environ, "client-secret") or None)
    try:
        invocation = plan(args, os.environ)
    except InputError as exc:
        report_early_failure(USAGE_EXIT, reason=str(exc))
        return USAGE_EXIT
    os.environ.update(invocation.env)

    from odc_pipeline.cli import main as cli_main

    SECRETS.register(os.environ.get("ODC_CLIENT_SECRET"))
    stderr = sys.stderr
    tap = ErrorLineTap(stderr)
    sys.stderr = tap
    try:
        code = cli_main(list(invocation.argv))
    finally:
        sys.stderr = stderr
    if code and invocation.argv[:1] == ("run",):
        why = f"odc-pipeline stopped before the run started: {tap.last_error}" if tap.last_error else ""
        report_early_failure(code, reason=why)
    return code


def report_early_failure(code: int, *, reason: str = "") -> None:
    """Outputs even when ``run`` stopped before reporting (bad inputs, unreadable pipeline file).

    Downstream jobs branch on ``exit-code`` / ``ODC_EXIT_CODE`` / ``$(odc.exit_code)``, so they
    must be set whatever happened. ``run`` itself writes them for the failures it can explain
    (``odc_pipeline.reporting.early``); this covers what happens before or around it (a bad
    action input, an argparse error). ``reason`` is the message; without one the annotation
    points at the log.
    """
    from odc_pipeline.reporting.early import report_early_failure as write_outputs

    reason = reason or (
        f"odc-pipeline stopped before the run started (exit code {code}); see the message above"
    )
    report_file = read_input(os.environ, "report-file") or None
    write_outputs(code, reason=reason, env=os.environ, report_file=report_file)


if __name__ == "__main__":
    raise SystemExit(main())
