"""The state one run shares between its stages.

Stages are plain functions of a :class:`RunContext`: the client, the clock every wait uses,
the reporter, the cancel flag, and one :class:`AssetState` per asset that carries what earlier
stages learned (resolved keys, the build to deploy, the configuration changes) to later ones.
Keeping it in one place is what lets ``--plan`` and a real run share every line of resolution.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from odc_pipeline import dispatch
from odc_pipeline.clock import Clock
from odc_pipeline.engine.options import AssetSpec, EngineSpec, RunOptions
from odc_pipeline.engine.poller import DurationHint, PollBudget, hint_from_operations, wait_for
from odc_pipeline.engine.stage_reads import StageReads
from odc_pipeline.errors import OdcPipelineError
from odc_pipeline.platforms.base import AssetRef, EnvironmentRef, Platform, ResolvedRevision, SettingChange
from odc_pipeline.redaction import SECRETS, SecretRegistry
from odc_pipeline.report import LIBRARY_TYPES, AssetSummary, Message, StepResult, StepStatus
from odc_pipeline.reporting.base import Reporter

_log = logging.getLogger(__name__)


Environment = EnvironmentRef  # the run's stages are the platform's environments
__all__ = ["Environment", "SettingChange"]  # re-exported: stages import them from here


@dataclass
class AssetState:
    """Everything the run knows about one asset, filled in stage by stage."""

    spec: AssetSpec
    name: str = ""
    key: str = ""
    asset_type: str = ""
    revision: int | None = None
    source_build_key: str | None = None  # from:<stage> pins the build that runs there
    deployed_revision: int | None = None  # in the target stage, before the run
    deployed_build_key: str | None = None
    url: str | None = None
    build_key: str | None = None  # the Release build to deploy (build stage)
    build_reused: bool = False
    known_build_keys: tuple[str, ...] | None = None  # Release builds of the revision before ours
    running_build_key: str | None = None  # a Release build of the revision already in progress
    probe_analysis_key: str | None = None  # the impact analysis resolve's permission probe started
    config_changes: list[SettingChange] = field(default_factory=list)
    config_revision_baseline: int | None = None
    config_patched: bool = False  # pending values were PATCHed and not yet applied
    config_applied: bool = False
    config_sent: list[SettingChange] = field(default_factory=list)  # PATCHed by this run (rollback)
    deploy_key: str | None = None  # our Deploy of this asset, as soon as ODC accepted it
    applying_key: str | None = None  # our ApplyConfigs of this asset, as soon as ODC accepted it
    producers: tuple[str, ...] = ()  # keys of assets in this run it depends on
    revision_after: int | None = None
    deployed: bool = False  # a deploy (ours or attached) finished for this run
    package: Any = None  # publish.Package of an asset with package: (read at resolve)
    needs_publish: bool = False  # no revision of the library carries the package's sha256 yet
    attach_generation: str | None = None  # an unfinished generation of the same file (attach to it)
    tag_plan: Any = None  # release.TagPlan: the tag the release stage sets (checked at resolve)
    tag: str | None = None  # the revision's tag after the release stage
    library_changed: bool = False  # a library this run published or released (would, in a plan)
    resolved: Any = None  # platforms.base.ResolvedRevision (plan-shaped platforms: the version selected)
    deployed_version: str | None = None  # the version label the target runs before the run (LifeTime)

    @property
    def is_library(self) -> bool:
        return self.asset_type in LIBRARY_TYPES

    @property
    def ref(self) -> AssetRef:
        """The asset as the platform seam names it (messages use the run's label)."""
        return AssetRef(key=self.key, name=self.label, asset_type=self.asset_type)

    @property
    def revision_ref(self) -> ResolvedRevision:
        """The resolved revision as the platform seam takes it (with the build ``from:`` pinned)."""
        return ResolvedRevision(number=self.revision, unit_key=self.source_build_key)

    @property
    def label(self) -> str:
        return self.name or self.spec.label

    @property
    def up_to_date(self) -> bool:
        return (
            self.deployed_revision is not None
            and self.deployed_revision == self.revision
            and (self.build_key is None or self.deployed_build_key == self.build_key)
        )

    def summary(self, running: Iterable[str] = (), *, planned: bool = False) -> AssetSummary:
        """The report's line for the asset; ``running``: keys still in flight at the run's end.

        ``running_operation`` names this run's deploy, ApplyConfigs or Release build of the
        asset still running in ODC. While a deploy runs, what the stage runs afterwards is not
        known, so ``revision_after`` is None. ``planned``: in a plan, ``revision_after`` is the
        revision the run would bring.
        """
        if planned and self.revision is not None:
            return replace(self.summary(running), revision_after=self.revision)
        open_ops = set(running)
        mine = (self.deploy_key, self.applying_key, self.running_build_key)
        still = next((k for k in mine if k and k in open_ops), None)
        deploying = still is not None and still == self.deploy_key
        after = self.revision_after
        if after is None:  # a library is bundled, never deployed: its revision is what ships
            after = self.revision if self.is_library else self.deployed_revision
        return AssetSummary(
            name=self.label,
            key=self.key,
            asset_type=self.asset_type,
            revision_before=self.deployed_revision,
            revision_after=None if deploying else after,
            build_key=self.build_key,
            url=self.url,
            tag=self.tag,
            running_operation=still,
        )


class InFlight:
    """Operation keys this run started or attached to and has not seen finish (always reported)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, str] = {}

    def add(self, key: str, what: str) -> None:
        with self._lock:
            self._keys[key] = what

    def discard(self, key: str) -> None:
        with self._lock:
            self._keys.pop(key, None)

    def snapshot(self) -> dict[str, str]:
        with self._lock:
            return dict(self._keys)


@dataclass
class RunContext:
    client: Any  # the platform's API client (duck-typed so stage tests can pass fakes)
    clock: Clock
    reporter: Reporter
    spec: EngineSpec
    options: RunOptions = field(default_factory=RunOptions)
    platform: Platform = None  # type: ignore[assignment]  # None: OdcPlatform(client), see __post_init__
    cancel: threading.Event = field(default_factory=threading.Event)
    secrets: SecretRegistry = SECRETS
    target: Environment | None = None
    environments: tuple[Environment, ...] = ()
    assets: list[AssetState] = field(default_factory=list)
    in_flight: InFlight = field(default_factory=InFlight)
    steps: list[StepResult] = field(default_factory=list)
    impact_status: str = ""
    rollback: Any = None  # odc_pipeline.report.RollbackReport once a rollback ran
    deploy_levels: list[list[str]] = field(default_factory=list)  # asset keys, producers first
    config_diffed: bool = False  # configure.plan_configuration ran (it is read-only, run it once)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _hints: dict[tuple[str, ...], DurationHint | None] = field(default_factory=dict)
    _poll_budgets: dict[str, PollBudget] = field(default_factory=dict)
    stage_reads: StageReads = field(default_factory=StageReads)

    def __post_init__(self) -> None:
        """Stages speak to ``platform``; a context built with only a client is an ODC run."""
        if self.platform is None:
            from odc_pipeline.platforms.odc import OdcPlatform

            self.platform = OdcPlatform(self.client)

    @property
    def plan(self) -> bool:
        return self.options.plan

    @property
    def force(self) -> bool:
        return self.options.force or self.spec.deploy.force

    @property
    def max_parallel(self) -> int:
        """How many operations may run at once: the file's cap, else the platform's own limit."""
        return self.spec.deploy.max_parallel or self.platform.capabilities.max_parallel

    @property
    def target_key(self) -> str:
        assert self.target is not None, "resolve runs first"
        return self.target.key

    def now_iso(self) -> str:
        return self.clock.now().isoformat().replace("+00:00", "Z")

    def record(self, step: StepResult) -> StepResult:
        """Keep a step result (thread-safe); every text in it is redacted first.

        A step recorded with ``details["deferred"]`` (configure values waiting for the asset's
        deploy) is replaced by the next step of the same asset and stage, so the report holds
        one configure step per asset that says what finally happened.
        """
        step = replace(
            step,
            summary=self.secrets.redact(step.summary),
            messages=tuple(replace(m, text=self.secrets.redact(m.text)) for m in step.messages),
        )
        with self._lock:
            self.steps[:] = [
                s
                for s in self.steps
                if not (s.stage == step.stage and s.asset_key == step.asset_key and s.details.get("deferred"))
            ]
            self.steps.append(step)
        return step

    def wait(
        self,
        fetch: Callable[[], Any],
        is_done: Callable[[Any], bool],
        *,
        what: str,
        describe: Callable[[Any], str],
        stage: str,
        hint: DurationHint | None = None,
    ) -> Any:
        """Every wait in the engine: the one poller, the stage timeout, heartbeat and cancel.

        ``hint`` (from :meth:`history_hint`) lets the poller call densely only near the
        expected end of the operation instead of on a blind back-off; without one the stage's
        prior stands in. Concurrent waits on one API domain share its poll budget
        (the platform says which: ODC's are in :mod:`odc_pipeline.engine.wait_domains`).
        """
        return wait_for(
            fetch,
            is_done,
            what=what,
            describe=describe,
            timeout=self.spec.timeout(stage),
            clock=self.clock,
            heartbeat=self.reporter.heartbeat,
            cancel=self.cancel,
            hint=hint,
            prior=self.platform.poll_prior(stage),
            budget=self.poll_budget(stage),
            slack=dispatch.current().slack,
        )

    def poll_budget(self, stage: str) -> PollBudget | None:
        """The poll budget ``stage``'s waits share (its API domain's, for the run), or ``None``
        where the platform documents no rate limit."""
        budget: PollBudget | None = self.platform.poll_budget(self._poll_budgets, self.clock, stage)
        return budget

    def history_hint(self, key: tuple[str, ...], read: Callable[[], Iterable[object]]) -> DurationHint | None:
        """How long recent operations like the one about to be waited for took, or ``None``.

        ``read`` returns past operations of one kind, asset and stage, newest first (one GET).
        The answer is kept per ``key`` for the run, so a second wait of the same kind (a
        rollback deploy, an ApplyConfigs after an attach) costs no call. History only tunes
        the polling cadence: any failure to read it means "no hint", never a failed run.
        """
        if key in self._hints:
            return self._hints[key]
        from odc_pipeline.errors import CancelledError

        try:
            hint = hint_from_operations(read())
        except CancelledError:
            raise
        except Exception as exc:  # history is an optimisation, not a requirement
            _log.debug("no duration history for %s: %s", "/".join(key), exc)
            hint = None
        self._hints[key] = hint
        return hint

    def cached_hint(self, key: tuple[str, ...]) -> DurationHint | None:
        """What :meth:`history_hint` holds for ``key`` already; never reads."""
        return self._hints.get(key)

    @contextmanager
    def tracking(self, key: str, what: str) -> Iterator[None]:
        """Mark an ODC operation as in flight until the block sees it end.

        The block ends normally once the operation is terminal (success or failure). Any
        exception out of it — a status GET that kept failing, the stage timeout, a cancel —
        means the operation was *not* seen to end, so the key stays registered: the report
        lists it in ``in_flight`` and the asset's summary says its outcome is still open.
        """
        self.in_flight.add(key, what)
        yield
        self.in_flight.discard(key)


class StepTimer:
    """Measures one asset-stage step on the run's clock and builds its StepResult."""

    def __init__(self, ctx: RunContext, asset: AssetState, stage: str) -> None:
        self.ctx = ctx
        self.asset = asset
        self.stage = stage
        self.started_at = ctx.now_iso()
        self._t0 = ctx.clock.monotonic()

    def result(self, status: StepStatus, summary: str, **fields: Any) -> StepResult:
        messages = tuple(fields.pop("messages", ()))
        return StepResult(
            asset=self.asset.label,
            stage=self.stage,
            status=status,
            asset_key=self.asset.key,
            summary=summary,
            started_at=self.started_at,
            finished_at=self.ctx.now_iso(),
            duration_seconds=round(self.ctx.clock.monotonic() - self._t0, 3),
            messages=messages,
            **fields,
        )


def unfinished_status(error: BaseException) -> StepStatus:
    """The step status for an operation the run stopped watching before it ended."""
    from odc_pipeline.errors import CancelledError, OperationTimeoutError

    if isinstance(error, CancelledError):
        return StepStatus.CANCELLED
    if isinstance(error, OperationTimeoutError):
        return StepStatus.TIMED_OUT
    return StepStatus.FAILED


def outcome_unknown(asset: AssetState, what: str, error: BaseException) -> OdcPipelineError:
    """A start POST whose outcome stayed unknown, as an error that names the asset.

    Keeps the exit code of ``error`` (an OutcomeUnknownError, exit 1) and says what to do: the
    operation may still start, so nothing is sent again; the next run attaches to it if it did.
    """
    wrapped = OdcPipelineError(
        f"{asset.label}: {what}: outcome unknown, not sent again ({error}). A re-run attaches to "
        "the operation if ODC started it."
    )
    wrapped.exit_code = getattr(error, "exit_code", wrapped.exit_code)  # type: ignore[misc]
    return wrapped


def msg(severity: str, text: str, source: str = "") -> Message:
    return Message(severity=severity, text=text, source=source)
