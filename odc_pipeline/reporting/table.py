"""One row per asset, one column per stage that ran: the shape every summary shares.

The Markdown job summary and the plain-text closing table show the same facts; deriving the
rows once keeps them from drifting apart (which revision counts as "before", which stages get
a column).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from odc_pipeline.report import STAGES, RunReport, StepResult


@dataclass(frozen=True)
class AssetRow:
    name: str
    steps: Mapping[str, StepResult]
    revision_before: int | None
    revision_after: int | None
    url: str | None
    library: bool = False  # bundled into the apps that use it; never "deployed" on its own
    version: str | None = None  # LifeTime: the application version (no revision numbers there)

    @property
    def revision(self) -> str:
        """``r11 → r12`` for an app; ``bundled r7`` for a library (it has no running revision)."""
        if self.library:
            shown = self.revision_after if self.revision_after is not None else self.revision_before
            return f"bundled r{shown}" if shown is not None else "bundled"
        if self.version and self.revision_before is None and self.revision_after is None:
            return self.version
        return revision_change(self.revision_before, self.revision_after)


def stages_that_ran(report: RunReport) -> list[str]:
    return [s for s in STAGES if report.steps_for(s)]


def asset_rows(report: RunReport) -> list[AssetRow]:
    """Assets in report order (then any asset only the steps name), with their stage results."""
    by_asset: dict[str, dict[str, StepResult]] = {}
    for step in report.steps:
        by_asset.setdefault(step.asset, {})[step.stage] = step
    summaries = {a.name: a for a in report.assets}
    rows = []
    for name in dict.fromkeys([a.name for a in report.assets] + list(by_asset)):
        steps = by_asset.get(name, {})
        asset = summaries.get(name)
        before = asset.revision_before if asset else None
        after = asset.revision_after if asset else None
        if before is None and after is None:
            for step in steps.values():
                before = step.revision_before if before is None else before
                after = step.revision_after if step.revision_after is not None else after
        library = bool(asset and asset.is_library)
        version = asset.tag if asset and before is None and after is None else None
        rows.append(AssetRow(name, steps, before, after, asset.url if asset else None, library, version))
    return rows


def revision_change(before: int | None, after: int | None) -> str:
    if before is None and after is None:
        return "–"
    left = f"r{before}" if before is not None else "none"
    right = f"r{after}" if after is not None else "none"
    return left if before == after else f"{left} → {right}"
