"""The run report: what a run did, per asset and stage, as one immutable value.

The engine builds it; every CI reporter, the JSON report file and the step outputs read it.
Keeping it a plain frozen value (no behaviour, no I/O) is what lets the four CI back-ends be
tested without running a pipeline. ``REPORT_SCHEMA_VERSION`` changes whenever a field changes
meaning or disappears; adding a field bumps the minor part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

REPORT_SCHEMA_VERSION = "1.0"

STAGES: tuple[str, ...] = ("configure", "build", "impact-analysis", "deploy", "verify")
"""The product's fixed stage order; a pipeline file can only select among these."""


class StepStatus(StrEnum):
    SUCCEEDED = "succeeded"  # did what was asked
    UNCHANGED = "unchanged"  # nothing to do: already in the desired state
    SKIPPED = "skipped"  # not applicable (e.g. a library in deploy) or not selected
    PLANNED = "planned"  # --plan: would run
    WARNING = "warning"  # succeeded with findings the policy lets through
    FAILED = "failed"
    BLOCKED = "blocked"  # a gate stopped the run
    TIMED_OUT = "timed-out"
    CANCELLED = "cancelled"
    ROLLED_BACK = "rolled-back"  # failed, then the previous revision was redeployed

    @property
    def is_failure(self) -> bool:
        return self in {
            StepStatus.FAILED,
            StepStatus.BLOCKED,
            StepStatus.TIMED_OUT,
            StepStatus.CANCELLED,
            StepStatus.ROLLED_BACK,
        }


@dataclass(frozen=True)
class Message:
    """A line that explains a step: from ODC (build log, deployment messages) or from us."""

    severity: str  # "info" | "warning" | "error"
    text: str
    source: str = ""  # e.g. "build-log", "deployment-messages", "impact-analysis"


@dataclass(frozen=True)
class StepResult:
    """One asset in one stage."""

    asset: str
    stage: str
    status: StepStatus
    asset_key: str = ""
    summary: str = ""  # one human line: "deployed r12 (was r11)", "reused Release build …"
    revision_before: int | None = None
    revision_after: int | None = None
    build_key: str | None = None
    analysis_key: str | None = None
    operation_key: str | None = None
    started_at: str | None = None  # ISO 8601 UTC
    finished_at: str | None = None
    duration_seconds: float | None = None
    messages: tuple[Message, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AssetSummary:
    name: str
    key: str
    asset_type: str  # WebApplication, MobileApplication, LowCodeLibrary, Agent, …
    revision_before: int | None = None
    revision_after: int | None = None
    build_key: str | None = None
    url: str | None = None
    # This run's operation on the asset still running in ODC when the run ended (then
    # revision_after is None: what runs afterwards is known only when it finishes).
    running_operation: str | None = None


@dataclass(frozen=True)
class RunReport:
    status: str  # "succeeded" | "failed" | "planned" | "cancelled" | …
    exit_code: int
    target: str  # stage name
    target_key: str = ""
    pipeline_file: str = ""
    plan_only: bool = False
    tool_version: str = ""
    started_at: str = ""
    finished_at: str = ""
    duration_seconds: float = 0.0
    assets: tuple[AssetSummary, ...] = ()
    steps: tuple[StepResult, ...] = ()
    impact_status: str = ""  # "NoIssuesFound" | "WarningsFound" | "ErrorsFound" | "skipped" | ""
    api_calls: Mapping[str, int] = field(default_factory=dict)  # "GET /api/builds/v1/…" -> count
    error: str = ""  # the message that explains a failed run
    in_flight: tuple[str, ...] = ()  # operations this run started that had not finished at its end
    schema_version: str = REPORT_SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def steps_for(self, stage: str) -> tuple[StepResult, ...]:
        return tuple(s for s in self.steps if s.stage == stage)
