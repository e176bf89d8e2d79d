"""A minimal Reporter: plain lines on a stream, for when no CI back-end is importable.

Also what embedding code (benchmarks, notebooks) can use without pulling in CI logic.
"""

from __future__ import annotations

import sys
from typing import TextIO

from odc_pipeline.redaction import SECRETS, SecretRegistry
from odc_pipeline.report import RunReport, StepStatus


class FallbackReporter:
    def __init__(self, stream: TextIO | None = None, *, secrets: SecretRegistry = SECRETS) -> None:
        self.stream = stream or sys.stderr
        self.secrets = secrets

    def _line(self, text: str) -> None:
        print(self.secrets.redact(text), file=self.stream, flush=True)

    def start(self, *, target: str, pipeline_file: str, plan_only: bool) -> None:
        self._line(f"{'plan' if plan_only else 'run'} {pipeline_file} → {target}")

    def stage_started(self, stage: str) -> None:
        self._line(f"== {stage}")

    def stage_finished(self, stage: str, status: StepStatus) -> None:
        self._line(f"== {stage}: {status}")

    def info(self, message: str, *, asset: str | None = None) -> None:
        self._line(f"{asset + ': ' if asset else ''}{message}")

    def warning(self, message: str, *, asset: str | None = None) -> None:
        self._line(f"warning: {asset + ': ' if asset else ''}{message}")

    def error(self, message: str, *, asset: str | None = None) -> None:
        self._line(f"error: {asset + ': ' if asset else ''}{message}")

    def heartbeat(self, message: str) -> None:
        self._line(f"… {message}")

    def finish(self, report: RunReport) -> None:
        self._line(f"{report.status} (exit code {report.exit_code})")
