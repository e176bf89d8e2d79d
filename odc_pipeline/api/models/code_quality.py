"""Code Quality models (``/api/code-quality/v1``)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from odc_pipeline.api.models.base import NullableList, ReadModel, RequestModel

TERMINAL_ANALYSIS_STATUSES = frozenset({"completed", "failed", "timeout"})
"""Docs' terminal values; the spec's status is a free string, so compare case-insensitively."""


class CodeAnalysisRequest(RequestModel):
    """``AdhocAnalysisRequestV1``."""

    asset_key: str
    asset_revision: int


class CodeAnalysis(ReadModel):
    """``CodeAnalysisResponseV1``."""

    analysis_key: str | None = None
    status: str | None = None


class SeverityBreakdown(ReadModel):
    low_severity: int = 0
    medium_severity: int = 0
    high_severity: int = 0
    critical_severity: int = 0


class CodeAnalysisCategories(ReadModel):
    security: SeverityBreakdown | None = None
    performance: SeverityBreakdown | None = None
    architecture: SeverityBreakdown | None = None
    maintainability: SeverityBreakdown | None = None


class FindingsSummary(ReadModel):
    categories: CodeAnalysisCategories | None = None


class Finding(ReadModel):
    """``RevisionFindingsResponseV1``; all strings, all optional."""

    id: str | None = None
    pattern_id: str | None = None
    severity: str | None = None
    category: str | None = None
    status: str | None = None
    element_name: str | None = None
    element_type: str | None = None
    asset_key: str | None = None


class CodeAnalysisStatus(ReadModel):
    """``CodeAnalysisStatusResponseV1``."""

    analysis_key: str | None = None
    status: str | None = None
    findings: NullableList[Finding] = Field(default_factory=list)
    quality_score: float | None = None
    summary: FindingsSummary | None = None

    @property
    def is_terminal(self) -> bool:
        return (self.status or "").lower() in TERMINAL_ANALYSIS_STATUSES


class AnalysisSummary(ReadModel):
    """``AssetRevisionSummaryResponse``."""

    asset_key: str | None = None
    asset_revision: int | None = None
    analysis_date: date | None = None
    quality_score: float | None = None
    summary: FindingsSummary | None = None
