"""ODC code quality (Code Quality API): a fresh analysis of the revision, findings by severity.

A fresh analysis, not the last summary: the summary may describe an older revision, and the
gate is about what is being released.
"""

from __future__ import annotations

from typing import Any

from odc_pipeline.api.errors import NotFoundError, ServerError
from odc_pipeline.platforms.base import AssetRef, QualityReport, RunServices
from odc_pipeline.platforms.odc.recovery import resend_is_safe

SEVERITIES = ("critical", "high", "medium", "low")
TERMINAL_ANALYSIS = {"completed", "failed", "timeout", "timedout"}


def severity_totals(summary: Any) -> dict[str, int]:
    totals = dict.fromkeys(SEVERITIES, 0)
    categories = getattr(summary, "categories", None) if summary is not None else None
    if categories is None:
        return totals
    for name in ("security", "performance", "architecture", "maintainability"):
        breakdown = getattr(categories, name, None)
        for severity in SEVERITIES:
            totals[severity] += int(getattr(breakdown, f"{severity}_severity", 0) or 0) if breakdown else 0
    return totals


def analyse(client: Any, run: RunServices, asset: AssetRef, revision: int, *, stage: str) -> QualityReport:
    cq = client.code_quality
    try:
        started = cq.start_analysis(asset.key, revision, find_again=resend_is_safe)
        key = str(started.analysis_key)
        what = f"code analysis of {asset.name} r{revision} ({key})"
        with run.tracking(key, what):
            final = run.wait(
                lambda: cq.get_analysis(key),
                lambda a: str(getattr(a, "status", "") or "").lower() in TERMINAL_ANALYSIS,
                what=what,
                describe=lambda a: str(getattr(a, "status", "") or "unknown"),
                stage=stage,
            )
        status = str(getattr(final, "status", "") or "")
        unavailable = "" if status.lower() == "completed" else f"code analysis {key} ended {status}"
    except (NotFoundError, ServerError) as exc:
        return QualityReport(unavailable=f"code analysis unavailable ({exc})")
    if unavailable:
        return QualityReport(analysis_key=key, unavailable=unavailable)
    summary = getattr(final, "summary", None)
    score = getattr(final, "quality_score", None)
    if summary is None:
        fetched = cq.get_summary(asset.key, revision)
        summary = getattr(fetched, "summary", None)
        score = getattr(fetched, "quality_score", score)
    return QualityReport(analysis_key=key, totals=severity_totals(summary), score=score)
