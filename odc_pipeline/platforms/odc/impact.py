"""ODC impact analysis: one deployment analysis (Dependency Management API) per app.

Findings are flattened to (impacted asset, severity, text) so the stage can group them by
*what* breaks and *how badly*. An analysis the tenant cannot run (404, 5xx, ``Failed``, an
unknown status) is returned as unavailable — ``on-unavailable`` decides, never a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from odc_pipeline.api.errors import NotFoundError, ServerError
from odc_pipeline.platforms.base import Finding, ImpactRequest, ImpactResult, RunServices
from odc_pipeline.platforms.odc.recovery import resend_is_safe


class Names:
    """Asset key → name for findings: the run's own labels first, then one GET per other key.

    Shared by the analyses of one run (several threads); a name is a nicety, the key
    identifies the asset anyway, so a failed look-up falls back to the key.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._cache: dict[str, str] = {}

    def __call__(self, key: str, known: Mapping[str, str]) -> str:
        if key in known:
            return known[key]
        if key not in self._cache:
            try:
                self._cache[key] = str(self._client.assets.get(key).name)
            except Exception:  # a name is a nicety; the key identifies the asset anyway
                self._cache[key] = key
        return self._cache[key]


def findings(report: Any, name_of: Any) -> tuple[Finding, ...]:
    """``impactedAssets`` → findings, in the order ODC lists them."""
    found: list[Finding] = []
    for impacted in getattr(report, "impacted_assets", None) or ():
        key = str(getattr(impacted, "asset_key", "") or "")
        label = f"{name_of(key) if key else 'unknown asset'}"
        reference = str(getattr(impacted, "reference_type", "") or "")
        if reference:
            label = f"{label} ({reference.lower()})"
        for issue in getattr(impacted, "application_level_issues", None) or ():
            text = str(issue.conflict_type)
            if getattr(issue, "hint", None):
                text += f": {issue.hint}"
            found.append(Finding(label, str(issue.conflict_severity), text))
        for issue in getattr(impacted, "element_level_issues", None) or ():
            kind = getattr(issue, "incompatibility_type", None) or issue.conflict_type
            text = (
                f"{getattr(issue, 'type', None) or 'element'} {getattr(issue, 'name', None) or '?'}: {kind}"
            )
            if getattr(issue, "hint", None):
                text += f" ({issue.hint})"
            found.append(Finding(label, str(issue.conflict_severity), text))
    return tuple(found)


def analyse(
    client: Any, names: Names, run: RunServices, request: ImpactRequest, *, stage: str
) -> ImpactResult:
    """One deployment analysis, started (or the one ``reuse_key`` names) and waited for."""
    deps = client.dependencies
    asset, revision = request.asset, request.revision.number
    key: str | None = request.reuse_key
    try:
        key = key or str(
            deps.start_deployment_analysis(asset.key, revision, request.target.key, find_again=resend_is_safe)
        )
        analysis_key = key
        what = f"impact analysis of {request.label or asset.name} r{revision} ({analysis_key})"
        final = run.wait(
            lambda: deps.get_deployment_analysis(analysis_key),
            lambda a: str(getattr(a, "process_status", "")) != "InProgress",
            what=what,
            describe=lambda a: str(getattr(a, "process_status", "")),
            stage=stage,
        )
    except (NotFoundError, ServerError) as exc:
        return ImpactResult(
            asset.key, analysis_key=key, unavailable=f"the tenant could not run the analysis ({exc})"
        )
    process = str(getattr(final, "process_status", ""))
    if process != "Finished" or getattr(final, "report", None) is None:
        error = getattr(final, "error", None)
        detail = (
            getattr(error, "detail", None) or getattr(error, "title", None) if error is not None else None
        )
        return ImpactResult(
            asset.key,
            analysis_key=key,
            unavailable=f"analysis ended {process or 'without a status'}" + (f": {detail}" if detail else ""),
        )
    return ImpactResult(
        asset.key,
        analysis_key=key,
        verdict=str(getattr(final.report, "status", "") or "NoIssuesFound"),
        findings=findings(final.report, lambda k: names(k, request.names)),
    )
