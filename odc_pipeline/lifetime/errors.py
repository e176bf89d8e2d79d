"""LifeTime's error body (swagger ``Exception``: ``{Errors: [string], StatusCode}``) as ApiErrors.

LifeTime failures reuse the ODC client's exception classes (``odc_pipeline.api.errors``) so
that callers, the CLI and the exit codes treat both platforms alike; only the body differs.
The body becomes a ProblemDetails whose ``detail`` is the joined ``Errors`` (the raw list is
kept as ``errors`` on :class:`LifetimeErrorBody`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field, ValidationError

from odc_pipeline.api.errors import ProblemDetails
from odc_pipeline.lifetime.models.base import LtReadModel, NullableList


class LifetimeErrorBody(LtReadModel):
    """``Exception``: what LifeTime answers with every 4xx/5xx it describes."""

    errors: NullableList[str] = Field(default_factory=list)
    status_code: int | None = None

    @classmethod
    def from_answer(cls, body: Any, text: str) -> LifetimeErrorBody:
        """Parse defensively: proxies and a failing IIS answer HTML or nothing."""
        if isinstance(body, dict):
            try:
                return cls.model_validate(body)
            except ValidationError:
                return cls(errors=[str(body)[:500]])
        if isinstance(body, str) and body.strip():
            return cls(errors=[body.strip()[:500]])
        return cls(errors=[text.strip()[:500]] if text.strip() else [])

    def problem(self, status: int, redact: Callable[[str], str]) -> ProblemDetails:
        """As a ProblemDetails, every message redacted (servers echo input back)."""
        errors = [redact(e) for e in self.errors if e]
        return ProblemDetails(
            status=self.status_code or status, detail="; ".join(errors) or None, errors=errors
        )
