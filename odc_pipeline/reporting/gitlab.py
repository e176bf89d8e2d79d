"""GitLab CI: collapsible log sections, a dotenv report with the outputs, a JUnit report.

GitLab cannot mask a value at run time (only CI/CD variables defined in settings are masked),
so nothing here relies on masking: every text is redacted by us before it is written, and the
dotenv file (a downloadable artifact) only ever holds redacted values.

Files (relative to the job's working directory, ``$CI_PROJECT_DIR``):
``ODC_PIPELINE_DOTENV_FILE`` (default ``odc-pipeline.env``) for ``artifacts:reports:dotenv`` and
``ODC_PIPELINE_JUNIT_FILE`` (default ``odc-pipeline-junit.xml``) for ``artifacts:reports:junit``.
"""

from __future__ import annotations

from odc_pipeline.report import RunReport, StepStatus

from .core import StreamReporter
from .dotenv import render_dotenv
from .escaping import gitlab_section_name
from .junit import render_junit

DEFAULT_DOTENV_FILE = "odc-pipeline.env"
DEFAULT_JUNIT_FILE = "odc-pipeline-junit.xml"
_ESC = "\x1b[0K"  # GitLab needs the 0: a bare \x1b[K does not delimit a section
COLLAPSED_STAGES = frozenset({"resolve"})
"""Read-only look-ups a reader rarely opens; stages that change something start expanded."""


class GitLabReporter(StreamReporter):
    ci_name = "gitlab"

    def setup(self) -> None:
        self._open: str | None = None
        self._count = 0

    def _epoch(self) -> int:
        return int(self.clock.now().timestamp())

    def _close_section(self) -> None:
        if self._open:
            self.emit(f"{_ESC}section_end:{self._epoch()}:{self._open}\r{_ESC}")
            self._open = None

    def stage_started(self, stage: str) -> None:
        self._close_section()
        self._count += 1
        self._stage_t0[stage] = self.clock.monotonic()
        name = gitlab_section_name(f"odc_{self._count}_{stage}")
        header = self.paint("stage", f"odc-pipeline: {self.clean(stage)}")
        option = "[collapsed=true]" if stage in COLLAPSED_STAGES else ""
        self.emit(f"{_ESC}section_start:{self._epoch()}:{name}{option}\r{_ESC}{header}")
        self._open = name

    def stage_finished(self, stage: str, status: StepStatus) -> None:
        super().stage_finished(stage, status)
        self._close_section()

    def _colour_default(self) -> bool:
        # The GitLab job log renders ANSI colours although stdout is not a TTY.
        return "NO_COLOR" not in self.env

    def finish_outputs(self, report: RunReport) -> None:
        self._close_section()
        out = self.outputs(report)
        dotenv = self.path_from_env("ODC_PIPELINE_DOTENV_FILE", DEFAULT_DOTENV_FILE)
        dotenv.write_text(render_dotenv(out), encoding="utf-8", newline="\n")
        junit = self.path_from_env("ODC_PIPELINE_JUNIT_FILE", DEFAULT_JUNIT_FILE)
        junit.write_text(render_junit(report, secrets=self.secrets), encoding="utf-8", newline="\n")
        super().finish_outputs(report)
        self.emit(f"{' ' * 10}  outputs: {self.clean(str(dotenv))} · junit: {self.clean(str(junit))}")
