"""JUnit XML: one test case per asset × stage.

GitLab's merge-request test widget (``artifacts:reports:junit``) and Azure's
``PublishTestResults@2`` both read JUnit, so a failed deploy shows up where reviewers already
look. GitLab displays ``classname`` as the suite, hence ``odc-pipeline.<stage>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from odc_pipeline.redaction import SECRETS, SecretRegistry
from odc_pipeline.report import STAGES, RunReport, StepStatus

from .escaping import strip_controls

_SKIPPED = {StepStatus.SKIPPED, StepStatus.PLANNED}


def _text(secrets: SecretRegistry, text: str) -> str:
    # XML 1.0 cannot carry most control characters at all, escaped or not.
    return strip_controls(secrets.redact(text))


def render_junit(report: RunReport, *, secrets: SecretRegistry = SECRETS) -> str:
    suites = ET.Element("testsuites", name="odc-pipeline")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    stages = [s for s in STAGES if report.steps_for(s)]
    stages += sorted({s.stage for s in report.steps} - set(stages))
    for stage in stages:
        steps = report.steps_for(stage)
        suite = ET.SubElement(suites, "testsuite", name=f"odc-pipeline.{stage}")
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        seconds = 0.0
        for step in steps:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"odc-pipeline.{stage}",
                name=_text(secrets, step.asset),
                time=f"{step.duration_seconds or 0.0:.3f}",
            )
            seconds += step.duration_seconds or 0.0
            counts["tests"] += 1
            body = "\n".join(f"[{m.severity}] {m.text}" for m in step.messages)
            if step.status.is_failure:
                counts["failures"] += 1
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=_text(secrets, step.summary or str(step.status)),
                    type=str(step.status),
                )
                failure.text = _text(secrets, body)
            elif step.status in _SKIPPED:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=_text(secrets, step.summary or str(step.status)))
            if body and not step.status.is_failure:
                ET.SubElement(case, "system-out").text = _text(secrets, body)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
        suite.set("time", f"{seconds:.3f}")
    if report.rollback is not None:
        _rollback_suite(suites, report, totals, secrets)
    for key, value in totals.items():
        suites.set(key, str(value))
    suites.set("errors", "0")
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _rollback_suite(
    suites: ET.Element, report: RunReport, totals: dict[str, int], secrets: SecretRegistry
) -> None:
    """One case per asset the rollback handled; not back on what ran before = a failure."""
    assert report.rollback is not None
    suite = ET.SubElement(suites, "testsuite", name="odc-pipeline.rollback")
    failures = 0
    for rolled in report.rollback.assets:
        case = ET.SubElement(
            suite, "testcase", classname="odc-pipeline.rollback", name=_text(secrets, rolled.asset)
        )
        case.set("time", "0.000")
        lines = [f"[{v.status}] {v.name}: {v.note}" for v in rolled.values]
        lines += [f"[{m.severity}] {m.text}" for m in rolled.messages]
        body = _text(secrets, "\n".join(lines))
        if not rolled.ok or rolled.asset in report.rollback.still_on_new:
            failures += 1
            failure = ET.SubElement(
                case, "failure", message=_text(secrets, rolled.summary), type=rolled.outcome
            )
            failure.text = body
        else:
            ET.SubElement(case, "system-out").text = _text(
                secrets, rolled.summary + ("\n" + body if body else "")
            )
    count = len(report.rollback.assets)
    for key, value in (("tests", count), ("failures", failures), ("skipped", 0), ("errors", 0)):
        suite.set(key, str(value))
    suite.set("time", "0.000")
    totals["tests"] += count
    totals["failures"] += failures
