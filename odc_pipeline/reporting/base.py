"""The reporter interface the engine talks to.

The engine never prints: it tells a :class:`Reporter` what is happening. Each CI back-end
(plain, GitHub Actions, GitLab CI, Azure DevOps) turns these events into that CI's native
log commands, output files and summaries. All text passed in may come from ODC and must be
treated as hostile by back-ends (escaped so that it cannot inject CI commands) and as possibly
containing secrets (back-ends pass it through the secret registry).
"""

from __future__ import annotations

from typing import Protocol

from odc_pipeline.report import RunReport, StepStatus


class Reporter(Protocol):
    def start(self, *, target: str, pipeline_file: str, plan_only: bool) -> None:
        """The run begins (after the pipeline file was loaded)."""
        ...

    def stage_started(self, stage: str) -> None:
        """A stage ("configure", "build", …, or "resolve") begins; back-ends open a fold."""
        ...

    def stage_finished(self, stage: str, status: StepStatus) -> None:
        """The stage ended; back-ends close the fold."""
        ...

    def info(self, message: str, *, asset: str | None = None) -> None: ...

    def warning(self, message: str, *, asset: str | None = None) -> None:
        """Becomes an annotation / logissue where the CI has them."""
        ...

    def error(self, message: str, *, asset: str | None = None) -> None:
        """Becomes an annotation / logissue where the CI has them."""
        ...

    def heartbeat(self, message: str) -> None:
        """A periodic 'still waiting' line (about every 30 s of a wait)."""
        ...

    def finish(self, report: RunReport) -> None:
        """Write outputs, summary, JUnit / dotenv files; called exactly once, also on failure."""
        ...
