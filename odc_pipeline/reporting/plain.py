"""Plain text for terminals and unknown CIs: progress lines with elapsed times.

Colour only on a TTY (and never with ``NO_COLOR``), so log files stay readable. A run ends with
the same assets × stages table the CI summaries show, because a terminal has no summary page.
"""

from __future__ import annotations

from collections.abc import Callable

from odc_pipeline.report import RunReport

from .core import StreamReporter
from .rollback import rollbacks_by_asset
from .table import asset_rows, stages_that_ran

INDENT = " " * 12


def text_table(report: RunReport, clean: Callable[[str], str]) -> list[str]:
    """Aligned columns: asset, one status per stage that ran, revision before → after."""
    stages = stages_that_ran(report)
    if not stages:
        return []
    rollbacks = rollbacks_by_asset(report)
    extra = ["rollback"] if report.rollback is not None else []
    header = ["asset", *stages, *extra, "revision"]
    body = [
        [
            clean(row.name),
            *(str(row.steps[s].status) if s in row.steps else "–" for s in stages),
            *([rollbacks[row.name].outcome if row.name in rollbacks else "–"] if extra else []),
            row.revision,
        ]
        for row in asset_rows(report)
    ]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    return [
        INDENT + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *body]
    ]


class PlainReporter(StreamReporter):
    ci_name = "plain"

    def finish_outputs(self, report: RunReport) -> None:
        for line in text_table(report, self.clean):
            self.emit(line)
        super().finish_outputs(report)
