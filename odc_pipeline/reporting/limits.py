"""How many annotations a CI keeps per step, and who gets the last one.

GitHub keeps 10 ``::error::`` and 10 ``::warning::`` annotations per step (actions/toolkit
``docs/problem-matchers.md``); the Azure agent adds a ``task.logissue`` to the task's issue list
only while its count is at most ``_maxIssueCount`` (10, ``ExecutionContext.AddIssue``). Past that
they silently vanish from the run's overview, so the one that matters most — why the run
failed — could be the one lost. A budget keeps the last error slot for it.
"""

from __future__ import annotations

ANNOTATION_LIMIT = 10


class AnnotationBudget:
    """Counts annotations per kind; ``take`` says whether one more may be issued."""

    def __init__(self, limit: int = ANNOTATION_LIMIT) -> None:
        self.limit = limit
        self.used = {"error": 0, "warning": 0}
        self.refused = {"error": 0, "warning": 0}

    def take(self, kind: str, *, final: bool = False) -> bool:
        """Reserve a slot; an ordinary error may not take the last one (kept for ``final``)."""
        limit = self.limit if (final or kind != "error") else self.limit - 1
        if self.used[kind] >= limit:
            self.refused[kind] += 1
            return False
        self.used[kind] += 1
        return True

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())
