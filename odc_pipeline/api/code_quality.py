"""Code Quality: analysis summaries for the gate, and on-demand analyses.

Query parameters of this API are PascalCase (``Limit``/``Offset``), unlike every other one.
"""

from __future__ import annotations

from odc_pipeline.api.endpoints import CODE_QUALITY
from odc_pipeline.api.errors import NotFoundError
from odc_pipeline.api.http import FindAgain, HttpClient
from odc_pipeline.api.models.code_quality import (
    AnalysisSummary,
    CodeAnalysis,
    CodeAnalysisRequest,
    CodeAnalysisStatus,
)


class CodeQualityApi:
    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def get_summary(self, asset_key: str, revision: int) -> AnalysisSummary | None:
        """The revision's analysis summary, or None when it was not analysed yet (404)."""
        try:
            body = self._http.request(
                "GET",
                CODE_QUALITY,
                "/assets/{assetKey}/revisions/{revision}/analysis-summary",
                path_params={"assetKey": asset_key, "revision": revision},
            )
        except NotFoundError:
            return None
        return AnalysisSummary.model_validate(body or {})

    def start_analysis(
        self, asset_key: str, revision: int, *, find_again: FindAgain | None = None
    ) -> CodeAnalysis:
        body = CodeAnalysisRequest(asset_key=asset_key, asset_revision=revision)
        result = self._http.request(
            "POST", CODE_QUALITY, "/code-analyses", json=body.to_json(), find_again=find_again
        )
        return CodeAnalysis.model_validate(result or {})

    def get_analysis(self, key: str) -> CodeAnalysisStatus:
        body = self._http.request(
            "GET", CODE_QUALITY, "/code-analyses/{analysisKey}", path_params={"analysisKey": key}
        )
        return CodeAnalysisStatus.model_validate(body or {})
