"""The step outputs every CI back-end publishes, derived from one :class:`RunReport`.

Downstream jobs (the next promotion stage, a notification) read these, so their names and
shapes are a public contract documented in the README and declared in ``action.yml``. Every
back-end renders the same values; only the naming convention and the transport differ
(kebab-case in GitHub, ``ODC_*`` in GitLab dotenv, snake_case in Azure output variables).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from odc_pipeline.redaction import SECRETS, SecretRegistry, redact_tree
from odc_pipeline.report import RunReport, StepStatus

from .escaping import inert

DEFAULT_REPORT_FILE = "odc-pipeline-report.json"

OUTPUT_NAMES: tuple[str, ...] = (
    "status",
    "exit-code",
    "report-file",
    "deployments",
    "build-keys",
    "impact-status",
    "summary",
    "library-keys",
    "tags",
)
"""Kebab-case names, in the order they are documented and written."""


@dataclass(frozen=True)
class Outputs:
    status: str
    exit_code: str
    report_file: str
    deployments: str  # compact JSON array, one line
    build_keys: str  # compact JSON object asset -> build key, one line
    impact_status: str
    summary: str  # one human line
    library_keys: str  # compact JSON object library name -> libraryKey (publish stage)
    tags: str  # compact JSON object asset -> version tag (release stage)

    def items(self) -> tuple[tuple[str, str], ...]:
        """``(kebab-name, value)`` pairs in :data:`OUTPUT_NAMES` order."""
        return tuple((name, getattr(self, name.replace("-", "_"))) for name in OUTPUT_NAMES)


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=False)


def deployments_of(report: RunReport) -> list[dict[str, object]]:
    """One entry per asset in the deploy stage that did something (or would, in a plan)."""
    result: list[dict[str, object]] = []
    rollbacks = {a.asset_key: a for a in report.rollback.assets} if report.rollback else {}
    for step in report.steps_for("deploy"):
        if step.status is StepStatus.SKIPPED:
            continue
        entry: dict[str, object] = {
            "asset": step.asset,
            "key": step.asset_key,
            "status": str(step.status),
            "revision-before": step.revision_before,
            "revision-after": step.revision_after,
            "build-key": step.build_key,
            "operation-key": step.operation_key,
        }
        if "version_after" in step.details:  # LifeTime: application versions, no revision numbers
            entry["version-before"] = step.details.get("version_before")
            entry["version-after"] = step.details["version_after"]
        rolled = rollbacks.get(step.asset_key)
        if rolled is not None:  # only after a rollback: the outcome and what runs now
            entry["rollback"] = rolled.outcome
            entry["revision-now"] = rolled.revision_now
            if "version_after" in step.details:
                entry["version-now"] = rolled.version_now
        result.append(entry)
    return result


def build_keys_of(report: RunReport) -> dict[str, str]:
    """Asset name -> build key, from the build stage first, then the asset summaries."""
    keys: dict[str, str] = {}
    for step in report.steps_for("build"):
        if step.build_key:
            keys[step.asset] = step.build_key
    for asset in report.assets:
        if asset.build_key and asset.name not in keys:
            keys[asset.name] = asset.build_key
    return keys


def library_keys_of(report: RunReport) -> dict[str, str]:
    """Library name -> key for every package the run published or found already published."""
    keys: dict[str, str] = {}
    for step in report.steps_for("publish"):
        key = step.details.get("library_key")
        if key and step.status in (StepStatus.SUCCEEDED, StepStatus.UNCHANGED):
            keys[step.asset] = str(key)
    return keys


def tags_of(report: RunReport) -> dict[str, str]:
    """Asset -> the tag its revision carries after the release stage (or would, in a plan)."""
    tags: dict[str, str] = {}
    for step in report.steps_for("release"):
        tag = step.details.get("tag")
        if tag and not step.status.is_failure:
            tags[step.asset] = str(tag)
    return tags


def summary_line(report: RunReport) -> str:
    """``succeeded: QA: 2 deployed, 1 unchanged`` — what a chat notification would say."""
    counts: dict[str, int] = {}
    for step in report.steps_for("deploy") or report.steps:
        if step.status is StepStatus.SKIPPED:
            continue
        label = "deployed" if step.stage == "deploy" and step.status is StepStatus.SUCCEEDED else step.status
        counts[str(label)] = counts.get(str(label), 0) + 1
    parts = ", ".join(f"{n} {label}" for label, n in counts.items())
    line = report.status
    if report.target:
        line += f": {report.target}"
    if parts or not report.error:
        line += f": {parts or 'nothing to do'}"
    if report.rollback is not None and report.rollback.still_on_new:
        line += (
            f"; rollback {report.rollback.status}, still on new: {', '.join(report.rollback.still_on_new)}"
        )
    if report.error:
        line += f" — {report.error}"
    return line


def derive_outputs(
    report: RunReport,
    *,
    report_file: str = DEFAULT_REPORT_FILE,
    secrets: SecretRegistry = SECRETS,
) -> Outputs:
    """All outputs as single-line, redacted, inert strings."""

    def clean(text: str) -> str:
        return inert(secrets.redact(text))

    return Outputs(
        status=clean(report.status),
        exit_code=str(int(report.exit_code)),
        report_file=clean(report_file),
        # Redacted before JSON encoding, which would escape a secret's quotes or backslashes.
        deployments=clean(_compact(redact_tree(deployments_of(report), secrets))),
        build_keys=clean(_compact(redact_tree(build_keys_of(report), secrets))),
        impact_status=clean(report.impact_status),
        summary=clean(summary_line(report)),
        library_keys=clean(_compact(redact_tree(library_keys_of(report), secrets))),
        tags=clean(_compact(redact_tree(tags_of(report), secrets))),
    )
