"""The simulated tenant's runtime entities.

Long-running operations (builds, analyses, deployments, code analyses, library generations)
store when they started on the injected clock and how long they take; their status is computed
from the clock when asked. Nothing runs in the background: side effects of finishing (a
deployment changing what runs in a stage) are applied by :meth:`TenantState.advance`, which
every request calls first, in the order the operations finished.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from odc_pipeline.simulator.tenant import DEPLOYABLE_TYPES, Quality

PENDING_FRACTION = 0.1  # builds stay Pending for this share of their duration


@dataclass
class Revision:
    number: int
    created_at: datetime
    created_by: str
    model_digest: str
    tag: str | None = None
    release_notes: str | None = None
    commit_message: str | None = None
    tagged_by: str | None = None
    tagged_at: datetime | None = None
    elements: frozenset[str] = frozenset()
    uses: dict[str, frozenset[str]] = field(default_factory=dict)  # producer key -> element names
    incompatible: frozenset[str] = frozenset()
    quality: Quality | None = None
    quality_analysed_at: datetime | None = None


@dataclass
class Asset:
    key: str
    name: str
    type: str
    description: str | None
    url_path: str | None
    portfolio_key: str
    revisions: dict[int, Revision]
    producer_keys: list[str]

    @property
    def latest(self) -> Revision:
        return self.revisions[max(self.revisions)]

    @property
    def deployable(self) -> bool:
        return self.type in DEPLOYABLE_TYPES

    def producers_of(self, revision: int) -> list[str]:
        uses = self.revisions[revision].uses
        return list(dict.fromkeys([*self.producer_keys, *uses]))


@dataclass
class Stage:
    key: str
    name: str
    purpose: str | None
    order: int
    domain: str
    region: str


@dataclass
class TimedOperation:
    """Something that started at ``t0`` on the clock and ends ``duration`` later."""

    key: str
    t0: float
    started_at: datetime
    duration: float
    succeeds: bool
    message: str | None = None
    finished_applied: bool = False

    @property
    def t_end(self) -> float:
        return self.t0 + self.duration

    def done(self, now: float) -> bool:
        return now >= self.t_end

    def wall(self, t: float) -> datetime:
        return self.started_at + timedelta(seconds=t - self.t0)

    @property
    def finished_at(self) -> datetime:
        return self.wall(self.t_end)


@dataclass
class GeneratedCode:
    op: TimedOperation
    uri: str


@dataclass
class Build(TimedOperation):
    asset_key: str = ""
    revision: int = 0
    build_type: str = "Debug"
    built_by: str = ""
    final_status: str | None = None  # "Deleted" / "ToBeDeleted" given by the tenant file
    generated_code: GeneratedCode | None = None
    bundled: tuple[tuple[str, int, str | None], ...] = ()  # (library, revision, tag) built in

    def status(self, now: float) -> str:
        if self.final_status:
            return self.final_status
        if now < self.t0 + self.duration * PENDING_FRACTION:
            return "Pending"
        if not self.done(now):
            return "Running"
        return "Finished" if self.succeeds else "FinishedWithErrors"


@dataclass
class Message:
    at: float  # fraction of the operation's duration at which it appears
    severity: str
    text: str
    type: str | None = None
    step_id: str | None = None
    t: float | None = None  # absolute clock time instead of ``at`` (said before the run starts)


@dataclass
class Deployment(TimedOperation):
    operation: str = "Deploy"
    asset_key: str = ""
    environment_key: str = ""
    revision: int | None = None
    build_key: str | None = None
    deployed_by: str = ""
    messages: list[Message] = field(default_factory=list)
    created_t: float | None = None  # when it was accepted; ``t0`` is when it left the stage queue
    created_at: datetime | None = None
    started_applied: bool = False
    config_snapshot: dict[Any, tuple[str | None, str]] = field(default_factory=dict)  # taken at t0

    @property
    def accepted_at(self) -> datetime:
        """``startedDateTime``: when the operation was requested, queue time included."""
        return self.created_at or self.started_at

    def status(self, now: float) -> str:
        # A queued operation is Running too: the spec's Status enum has no Queued.
        if not self.done(now):
            return "Running"
        return "Finished" if self.succeeds else "FinishedWithError"

    def queued(self, now: float) -> bool:
        return now < self.t0

    def message_time(self, message: Message) -> float:
        return message.t if message.t is not None else self.t0 + self.duration * message.at

    def visible_messages(self, now: float) -> list[Message]:
        if self.done(now):
            return list(self.messages)
        elapsed = (now - self.t0) / self.duration if self.duration else 1.0
        return [
            m
            for m in self.messages
            if (m.t is not None and m.t <= now) or (m.t is None and m.at <= elapsed and m.at < 1.0)
        ]


@dataclass
class Analysis(TimedOperation):
    asset_key: str = ""
    revision: int = 0
    environment_key: str = ""
    report: dict[str, Any] = field(default_factory=dict)

    def process_status(self, now: float) -> str:
        if not self.done(now):
            return "InProgress"
        return "Finished" if self.succeeds else "Failed"


@dataclass
class CodeAnalysis(TimedOperation):
    asset_key: str = ""
    revision: int = 0
    terminal: str = "Completed"  # or Failed / Timeout

    def status(self, now: float) -> str:
        if now < self.t0 + self.duration * PENDING_FRACTION:
            return "Queued"
        if not self.done(now):
            return "Running"
        return self.terminal


@dataclass
class LibraryGeneration(TimedOperation):
    """Downloading (first tenth), Generating, then an outcome; success waits for review.

    ``failure`` is ``GenerationError`` and ``download_error`` ``DownloadError`` (the package
    could not be fetched from ``highCodeBinaryUri``: never uploaded, or its URL expired).
    With ``review_required`` a finished generation is ``ReadyForReview`` until its revision is
    released (tagged), else ``Completed`` at once.
    """

    file_name: str = ""
    binary_uri: str = ""
    library_key: str | None = None
    library_name: str = ""
    is_new_library: bool = True
    revision: int | None = None
    download_error: bool = False
    review_required: bool = True
    package_sha256: str | None = None

    def status(self, now: float, tagged: bool) -> str:
        if self.download_error and now >= self.t0 + self.duration * PENDING_FRACTION:
            return "DownloadError"
        if not self.done(now):
            return "Downloading" if now < self.t0 + self.duration * PENDING_FRACTION else "Generating"
        if not self.succeeds:
            return "GenerationError"
        return "Completed" if tagged or not self.review_required else "ReadyForReview"


@dataclass
class Running:
    """What one stage runs of one asset."""

    revision: int
    build_key: str
    deployment_key: str
    deployed_at: datetime
    deployed_by: str
