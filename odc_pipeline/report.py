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

REPORT_SCHEMA_VERSION = "1.2"

STAGES: tuple[str, ...] = (
    "configure",
    "publish",
    "build",
    "impact-analysis",
    "deploy",
    "verify",
    "release",
)
"""The product's fixed stage order; a pipeline file can only select among these.

``publish`` (external library packages) runs when an asset has ``package:``; ``release``
tags. A library's release step runs right after the publish position, before any app builds.
"""


LIBRARY_TYPES = frozenset(
    {"LowCodeLibrary", "ExtensionLibrary", "ExternalLibrary", "WidgetLibrary", "MobileLibrary"}
)
"""Asset types that are released by tag and bundled into consumers, never deployed on their own."""


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
    ROLLED_BACK = "rolled-back"  # the rollback (``RunReport.rollback``) returned what ran before

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
    tag: str | None = None  # the version tag of revision_after after the release stage
    # This run's operation on the asset still running in ODC when the run ended (then
    # revision_after is None: what runs afterwards is known only when it finishes).
    running_operation: str | None = None

    @property
    def is_library(self) -> bool:
        return self.asset_type in LIBRARY_TYPES


ROLLBACK_OK_OUTCOMES = frozenset(
    {"rolled-back", "undeployed", "stayed-live", "restored", "unchanged", "not-deployed"}
)
"""Rollback outcomes after which the asset runs what ran before the run."""


@dataclass(frozen=True)
class ValueRestore:
    """One configuration value this run PATCHed, and whether the rollback set it back.

    ``status``: ``restored`` (PATCHed back to the value read at resolve and applied),
    ``pending`` (PATCHed back; the operation that would apply it did not finish),
    ``unrestorable`` (a secret ODC does not read back: it keeps the value this run set),
    ``not-applicable`` (the revision rolled back to has no such value, or the asset was
    undeployed) or ``failed`` (the PATCH was refused). Never holds a secret's value.
    """

    name: str  # "setting ApiBaseUrl", "timer NightlySync.IsActive"
    status: str
    note: str = ""


@dataclass(frozen=True)
class AssetRollback:
    """What the release-level rollback did to one asset this run had touched."""

    asset: str
    asset_key: str
    forward: str  # the deploy step's status: succeeded, failed, timed-out, unchanged, …
    # rolled-back, undeployed, stayed-live, restored, unchanged, not-deployed (ok, see
    # ROLLBACK_OK_OUTCOMES); failed, timed-out, cancelled, not-started, kept (not back)
    outcome: str
    revision_new: int | None = None  # the revision this run deployed
    revision_target: int | None = None  # what ran before the run (None: it did not run)
    build_key_target: str | None = None
    revision_now: int | None = None  # what runs after the rollback (None: not running or unknown)
    build_key_now: str | None = None
    operation_key: str | None = None  # the rollback Deploy / Undeploy / ApplyConfigs
    summary: str = ""
    messages: tuple[Message, ...] = ()
    values: tuple[ValueRestore, ...] = ()
    # LifeTime (no revision numbers): application version labels; the keys are build_key_*
    version_new: str | None = None
    version_target: str | None = None
    version_now: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ROLLBACK_OK_OUTCOMES and not any(
            v.status in {"failed", "pending"} for v in self.values
        )


@dataclass(frozen=True)
class RollbackReport:
    """The release-level rollback that followed a failed deploy or verify (``rollback-on-failure``).

    ``status``: ``complete`` (every asset runs what ran before), ``incomplete`` (some do not:
    ``still_on_new`` names them; exit code 9) or ``cancelled``.
    """

    status: str
    reason: str  # the failure that started it
    assets: tuple[AssetRollback, ...] = ()
    still_on_new: tuple[str, ...] = ()  # assets not back on what ran before the run


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
    rollback: RollbackReport | None = None  # set when rollback-on-failure rolled the stage back
    plan: Mapping[str, Any] | None = None  # --plan: the approvable plan as data (engine/approved.py)
    applied_plan: str = ""  # run --from-plan: the plan report that was applied
    schema_version: str = REPORT_SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def steps_for(self, stage: str) -> tuple[StepResult, ...]:
        return tuple(s for s in self.steps if s.stage == stage)
