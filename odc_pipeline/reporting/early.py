"""Outputs for a run that stopped before it started: bad file, bad settings, no target.

GitLab and Azure run ``odc-pipeline run`` directly (no entrypoint in between), and downstream
jobs branch on ``ODC_STATUS`` / ``ODC_EXIT_CODE`` / ``$(odc.exit_code)``. So the command itself
writes every output it would write after a run — GitHub outputs and summary, the dotenv and
JUnit files, Azure output variables, and the JSON report — with ``status=error``, the exit code
and the reason, whenever it stops before the engine reports.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from odc_pipeline import __version__
from odc_pipeline.report import RunReport

from .core import run_was_reported

EARLY_STATUS = "error"
"""``status`` of a run that never started (the report schema documents it)."""

log = logging.getLogger(__name__)


def report_early_failure(
    code: int,
    *,
    reason: str,
    env: Mapping[str, str] | None = None,
    report_file: str | None = None,
    target: str = "",
    pipeline_file: str = "",
) -> RunReport | None:
    """Write every output for a run that stopped before the engine reported; None if it had."""
    from odc_pipeline.engine.report_file import write_report

    from .select import reporter_from_env

    if run_was_reported():
        return None
    env = dict(os.environ if env is None else env)
    report = RunReport(
        status=EARLY_STATUS,
        exit_code=int(code),
        target=target,
        pipeline_file=pipeline_file,
        tool_version=__version__,
        error=reason,
    )
    if report_file:
        try:
            write_report(report, report_file)
        except OSError as exc:  # the outputs below still say why the run stopped
            log.warning("could not write the run report %s: %s", report_file, exc)
    reporter_from_env(env, report_file=report_file).finish(report)
    return report
