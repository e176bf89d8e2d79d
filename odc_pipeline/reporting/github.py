"""GitHub Actions: workflow commands on stdout, outputs and job summary through file commands.

* ``::add-mask::`` for every secret the moment it is registered (and for those already known
  when the reporter is created), so the runner masks it even in lines we do not write.
* ``::group::`` per stage (groups cannot nest, so an open one is closed first).
* ``::error::`` / ``::warning::`` annotations up to the runner's per-step limit (10 each); the
  rest stay as log lines and the summary says how many were not annotated. One error slot is
  kept for the final failure so the reason a run failed is always annotated.
* Outputs appended to ``$GITHUB_OUTPUT`` (heredoc with a random delimiter for multi-line
  values), Markdown appended to ``$GITHUB_STEP_SUMMARY``.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from odc_pipeline.report import RunReport, StepStatus

from .core import AnnotatingReporter
from .escaping import github_data, github_property
from .limits import ANNOTATION_LIMIT
from .summary import SUMMARY_LIMIT_BYTES, render_summary

__all__ = ["ANNOTATION_LIMIT", "GitHubReporter", "format_output"]


def format_output(name: str, value: str, *, delimiter: str | None = None) -> str:
    """One entry of a ``GITHUB_OUTPUT`` file, parsed by the runner's ``EnvFileKeyValuePairs``."""
    if "=" in name or "<<" in name or "\n" in name or "\r" in name or not name:
        raise ValueError(f"invalid output name {name!r}")
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delimiter = delimiter or f"ghadelimiter_{uuid.uuid4()}"
    if delimiter in name or delimiter in value:
        raise ValueError("output value contains its heredoc delimiter")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


class GitHubReporter(AnnotatingReporter):
    ci_name = "github"

    def setup(self) -> None:
        super().setup()
        self._group_open = False

    def on_secret(self, secret: str) -> None:
        self.emit(f"::add-mask::{github_data(secret)}")

    def annotation(self, kind: str, message: str, asset: str | None) -> str:
        props = f" title={github_property(self.clean(asset).strip())}" if asset else ""
        return f"::{kind}{props}::{github_data(self.clean(message))}"

    def stage_started(self, stage: str) -> None:
        if self._group_open:
            self.emit("::endgroup::")
        self._stage_t0[stage] = self.clock.monotonic()
        self.emit(f"::group::{github_data(self.clean(stage))}")
        self._group_open = True

    def stage_finished(self, stage: str, status: StepStatus) -> None:
        super().stage_finished(stage, status)
        if self._group_open:
            self.emit("::endgroup::")
            self._group_open = False

    def finish_outputs(self, report: RunReport) -> None:
        if self._group_open:
            self.emit("::endgroup::")
            self._group_open = False
        out = self.outputs(report)
        self.annotate_failure(report)
        output_file = self.env.get("GITHUB_OUTPUT")
        if output_file:
            with Path(output_file).open("a", encoding="utf-8", newline="\n") as fh:
                for name, value in out.items():
                    fh.write(format_output(name, value))
        summary_file = self.env.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            markdown = render_summary(report, secrets=self.secrets, limit_bytes=SUMMARY_LIMIT_BYTES - 4096)
            skipped = self.budget.refused_total
            if skipped:
                markdown += (
                    f"\n_{skipped} more warnings/errors were not annotated (runner limit); see the log._\n"
                )
            with Path(summary_file).open("a", encoding="utf-8", newline="\n") as fh:
                fh.write(markdown)
        super().finish_outputs(report)
