"""Azure DevOps: logging commands on stdout.

* ``##[group]`` per stage; ``##vso[task.logissue]`` for warnings and errors, within the agent's
  per-task issue limit (10 of each kind; one error slot kept for the reason the run failed, the
  rest stay plain log lines).
* ``##vso[task.setsecret]`` for every registered secret (the agent masks it from then on).
* Outputs as ``##vso[task.setvariable variable=<snake_name>;isOutput=true]`` so later jobs and
  stages read ``dependencies.<job>.outputs['<step>.<name>']``; ``issecret=true`` for any output
  declared secret (none of ours are: they are redacted before they are set).
* ``##vso[task.uploadsummary]`` with the Markdown summary, the JUnit file for
  ``PublishTestResults@2``, and ``##vso[task.complete]`` (``SucceededWithIssues`` when the run
  succeeded with warnings, which shows the orange "partially succeeded" state).

Files: ``ODC_PIPELINE_JUNIT_FILE`` (default ``odc-pipeline-junit.xml`` in the working directory)
and ``ODC_PIPELINE_SUMMARY_FILE`` (default ``$AGENT_TEMPDIRECTORY/odc-pipeline-summary.md``).
"""

from __future__ import annotations

from pathlib import Path

from odc_pipeline.errors import ExitCode
from odc_pipeline.report import RunReport, StepStatus

from .core import AnnotatingReporter
from .escaping import azure_value
from .junit import render_junit
from .summary import render_summary

DEFAULT_JUNIT_FILE = "odc-pipeline-junit.xml"
SUMMARY_NAME = "odc-pipeline-summary.md"
SECRET_OUTPUTS: frozenset[str] = frozenset()


def azure_output_name(name: str) -> str:
    """Azure variable names allow letters, digits, ``.`` and ``_``: ``build-keys`` -> ``build_keys``."""
    return name.replace("-", "_")


def set_variable(name: str, value: str, *, output: bool = True, secret: bool = False) -> str:
    props = [f"variable={azure_value(name)}"]
    if output:
        props.append("isOutput=true")
    if secret:
        props.append("issecret=true")
    return f"##vso[task.setvariable {';'.join(props)}]{azure_value(value)}"


class AzureReporter(AnnotatingReporter):
    ci_name = "azure"

    def on_secret(self, secret: str) -> None:
        self.emit(f"##vso[task.setsecret]{azure_value(secret)}")

    def stage_started(self, stage: str) -> None:
        self._stage_t0[stage] = self.clock.monotonic()
        self.emit(f"##[group]odc-pipeline: {self.clean(stage)}")

    def stage_finished(self, stage: str, status: StepStatus) -> None:
        super().stage_finished(stage, status)
        self.emit("##[endgroup]")

    def annotation(self, kind: str, message: str, asset: str | None) -> str:
        who = f"{asset}: " if asset else ""
        return f"##vso[task.logissue type={kind}]{azure_value(self.clean(who + message))}"

    def _summary_path(self) -> Path:
        explicit = self.env.get("ODC_PIPELINE_SUMMARY_FILE")
        if explicit:
            return Path(explicit).absolute()
        base = self.env.get("AGENT_TEMPDIRECTORY") or "."
        return (Path(base) / SUMMARY_NAME).absolute()

    def finish_outputs(self, report: RunReport) -> None:
        out = self.outputs(report)
        for name, value in out.items():
            self.emit(set_variable(azure_output_name(name), value, secret=name in SECRET_OUTPUTS))
        junit = self.path_from_env("ODC_PIPELINE_JUNIT_FILE", DEFAULT_JUNIT_FILE)
        junit.write_text(render_junit(report, secrets=self.secrets), encoding="utf-8", newline="\n")
        summary = self._summary_path()
        summary.parent.mkdir(parents=True, exist_ok=True)
        summary.write_text(render_summary(report, secrets=self.secrets), encoding="utf-8", newline="\n")
        self.emit(f"##vso[task.uploadsummary]{azure_value(str(summary))}")
        self.annotate_failure(report)
        super().finish_outputs(report)
        if report.exit_code and report.exit_code != ExitCode.CHANGES_PENDING:
            result = "Failed"  # a plan with changes pending (opt-in exit 10) is a successful plan
        elif (
            self.warnings
            or report.status == "warning"
            or any(s.status is StepStatus.WARNING for s in report.steps)
        ):
            result = "SucceededWithIssues"
        else:
            result = "Succeeded"
        self.emit(f"##vso[task.complete result={result};]{azure_value(self.clean(out.summary))}")
