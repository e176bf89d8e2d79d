"""The platform seam: what a stage needs from an OutSystems platform, and nothing more.

The stages (resolve, configure, build, impact-analysis, deploy, verify, release) encode the
pipeline's promises — resolve everything before changing anything, change only what differs,
gate on impact, never start an operation twice, verify what runs. Those promises are the same
on ODC and on OutSystems 11; the calls that keep them are not (ODC builds a revision and
deploys it per asset; LifeTime tags an application version and deploys a plan of several
applications as one unit). So the stages speak to a :class:`Platform` and each platform is
one package under ``odc_pipeline.platforms`` (``odc``, ``lifetime``) with one module per
concern, the way the API clients are shaped. A third platform is one more package.

Shape (after pip-audit's ``VulnerabilityService``): every operation has one abstract
per-asset method; where a platform can do better with all assets at once, a batched
``*_all`` form exists with a default that calls the per-asset one, and a platform overrides
it (LifeTime: one deployment plan for every application; ODC: one deployed-assets read for
every app). A stage asks :attr:`Platform.capabilities` instead of testing the platform's
name, so a stage never grows an ``if platform == "lifetime"``.

What crosses the seam are frozen dataclasses: they are the record of what the platform said,
shared by several stages and threads (resolve's reads are used by build, deploy, verify and
rollback), so nobody may change them after the fact. Platform-specific objects (the client's
pydantic models) stay behind the seam; ``raw`` fields carry one where a platform's own module
needs it back later, never for a stage to read.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Mapping, MutableMapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from threading import Event
from typing import TYPE_CHECKING, Any, Protocol

from odc_pipeline.errors import UsageError
from odc_pipeline.report import Message

if TYPE_CHECKING:
    from odc_pipeline.clock import Clock
    from odc_pipeline.engine.poller import DurationHint
    from odc_pipeline.reporting.base import Reporter


# --- what a platform gets from the run ------------------------------------------------------


class RunServices(Protocol):
    """The run's shared mechanisms a platform must use instead of its own.

    One poller, one cancel flag, one in-flight register, one reporter for both platforms
    (BRIEF: one mechanism per concern). ``engine.context.RunContext`` is the implementation;
    a platform never sleeps, polls or tracks operations by itself.
    """

    clock: Clock
    reporter: Reporter

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
        """The shared poller with the stage timeout, heartbeat and cancel."""
        ...

    def tracking(self, key: str, what: str) -> AbstractContextManager[None]:
        """Registers a started operation as in flight until the block sees it end."""
        ...

    def history_hint(self, key: tuple[str, ...], read: Callable[[], Iterable[object]]) -> DurationHint | None:
        """How long past operations of one kind took (cached per run; failures = no hint)."""
        ...

    def cached_hint(self, key: tuple[str, ...]) -> DurationHint | None:
        """The hint :meth:`history_hint` already holds for ``key``, without reading (None: none yet)."""
        ...


# --- what the stages exchange with a platform -----------------------------------------------


@dataclass(frozen=True)
class EnvironmentRef:
    """A stage (ODC) or environment (LifeTime): the key every call uses, the name people use.

    ``order`` is the platform's promotion order (Development before Test before Production),
    so plans and error messages list environments the way the console does.
    """

    key: str
    name: str
    order: int = 0


@dataclass(frozen=True)
class AssetRef:
    """An app, library or agent (ODC) / an application (LifeTime), resolved to its key.

    ``asset_type`` is the platform's own word (``App``, ``Library``, ``Agent``; LifeTime
    ``Application``); :attr:`is_library` is the only distinction stages make from it, because
    a library is never deployed on its own on either platform.
    """

    key: str
    name: str
    asset_type: str = ""
    raw: Any = field(default=None, compare=False, repr=False)

    @property
    def is_library(self) -> bool:
        from odc_pipeline.report import LIBRARY_TYPES

        return self.asset_type in LIBRARY_TYPES


@dataclass(frozen=True)
class ResolvedRevision:
    """What a revision selector named, fixed at resolve so later stages cannot drift.

    ODC identifies code by a revision number; LifeTime by an application version (a version
    string and its key). ``unit_key`` pins a deployable unit the selector already implies
    (``from:<stage>`` on ODC pins the build running there), so build does not pick another
    one. ``needs_unit`` says the unit does not exist yet and the build stage must produce it
    (LifeTime ``modified``: tag what runs in the source environment).
    """

    number: int | None = None
    version: str | None = None
    key: str | None = None
    unit_key: str | None = None
    needs_unit: bool = False
    source: EnvironmentRef | None = None

    @property
    def label(self) -> str:
        """How messages name it: ``r12`` on ODC, ``1.4.0`` on LifeTime."""
        if self.version:
            return self.version
        return f"r{self.number}" if self.number is not None else "unknown revision"


@dataclass(frozen=True)
class RunningState:
    """What runs in one environment for one asset, read from the platform (not remembered).

    Both resolve (what the target runs before the run) and verify (what it runs after) read
    it, so "already up to date" and "verified" are decided on the same facts.
    """

    asset_key: str
    environment_key: str
    revision: int | None = None
    unit_key: str | None = None  # ODC build key; LifeTime version key
    version: str | None = None  # LifeTime version string (None on ODC)
    url: str | None = None


@dataclass(frozen=True)
class DeployableUnit:
    """The thing a deploy ships: an ODC Release build, a LifeTime application version.

    ``reused`` is True when it existed before the run: re-runs must be no-ops, so every
    platform looks for an existing unit before producing one.
    """

    asset_key: str
    key: str
    revision: int | None = None
    version: str | None = None
    reused: bool = False


@dataclass(frozen=True)
class UnitSearch:
    """The answer of :meth:`Platform.find_unit`: a reusable unit, or what was seen instead.

    ``known_keys`` are the units of the revision that existed before the run (so a lost
    answer to "produce" can tell ours apart from older ones); ``running_key`` is a unit still
    being produced (waited for, never produced a second time).
    """

    unit: DeployableUnit | None = None
    known_keys: tuple[str, ...] | None = None
    running_key: str | None = None


@dataclass(frozen=True)
class UnitRequest:
    """Produce the deployable unit of one revision (build it / tag it) for ``target``."""

    asset: AssetRef
    revision: ResolvedRevision
    target: EnvironmentRef | None = None
    known_keys: tuple[str, ...] | None = None
    attach_to: str | None = None  # a unit already being produced: wait for it instead
    version: str | None = None  # LifeTime: the version to tag (computed or given)
    change_log: str | None = None


@dataclass(frozen=True)
class UnitOutcome:
    """How producing a unit ended; ``messages`` explain a failure (build log, tag errors)."""

    asset_key: str
    key: str
    succeeded: bool
    status: str
    messages: tuple[Message, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One impact-analysis finding: which asset breaks, how badly, and why.

    ``severity`` is ``Error`` or ``Warning`` on both platforms, which is what ``fail-on``
    compares (LifeTime's ApplicationConflicts are mapped onto the same two words).
    """

    subject: str
    severity: str
    text: str


IMPACT_VERDICTS = ("NoIssuesFound", "WarningsFound", "ErrorsFound")


@dataclass(frozen=True)
class ImpactRequest:
    """Analyse deploying ``revision`` of ``asset`` to ``target``."""

    asset: AssetRef
    target: EnvironmentRef
    revision: ResolvedRevision
    unit_key: str | None = None
    reuse_key: str | None = None  # an analysis already started (a permission probe) to reuse
    label: str = ""  # how messages name the asset (the pipeline file's name)
    names: Mapping[str, str] = field(default_factory=dict, compare=False)  # run's keys → labels


@dataclass(frozen=True)
class ImpactResult:
    """An analysis outcome. An analysis the platform cannot run is data, not an exception:
    ``on-unavailable`` decides whether that blocks (``unavailable`` says why).

    ``verdict`` is one of :data:`IMPACT_VERDICTS`, or ``""`` when unavailable.
    """

    asset_key: str
    analysis_key: str | None = None
    verdict: str = ""
    unavailable: str = ""
    findings: tuple[Finding, ...] = ()

    def grouped(self) -> dict[str, dict[str, list[str]]]:
        """{impacted asset: {"Error"|"Warning": [text, ...]}} in the order found (report details)."""
        grouped: dict[str, dict[str, list[str]]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.subject, {}).setdefault(finding.severity, []).append(finding.text)
        return grouped


@dataclass(frozen=True)
class OperationRef:
    """A deployment operation (ODC Deploy/ApplyConfigs/Undeploy; a LifeTime plan) on a target.

    Stages see operations someone else started (to attach or to wait them out) through this,
    so an attach decision reads the same fields on every platform.
    """

    key: str
    kind: str  # Deploy | ApplyConfigs | Undeploy | Plan
    asset_keys: tuple[str, ...] = ()
    revisions: tuple[int, ...] = ()
    unit_key: str | None = None
    status: str = ""
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class DeployRequest:
    """Bring ``asset`` to ``revision``/``unit_key`` in ``target`` (or remove it: ``Undeploy``).

    ``kind`` ``ApplyConfigs`` applies pending configuration without new code (ODC).
    ``label`` is the verb messages use ("deploy", "rollback deploy").
    """

    asset: AssetRef
    target: EnvironmentRef
    revision: int | None = None
    unit_key: str | None = None
    kind: str = "Deploy"
    label: str = "deploy"
    version: str | None = None


@dataclass(frozen=True)
class DeployOutcome:
    """How one deployment ended, as the stage reports it.

    ``succeeded`` is the platform's verdict (ODC ``Finished``; LifeTime
    ``finished_successful``, or ``finished_with_warnings`` when allowed) — a stage never
    compares status strings itself. ``prepared`` is a two-stage deploy stopped after
    preparation on purpose (LifeTime); it is not success and not failure.
    """

    asset_key: str
    operation_key: str
    status: str
    succeeded: bool
    messages: tuple[Message, ...] = ()
    prepared: bool = False
    raw: Any = field(default=None, compare=False, repr=False)

    @property
    def reason(self) -> str:
        """The first error message, for the one line a failure gets."""
        return next((m.text for m in self.messages if m.severity == "error" and m.text), "")


@dataclass
class SettingChange:
    """One configuration value to change, with what it is now (for plans and reports).

    Not frozen: the run marks what happened to it (``needs_patch`` after a write, a rollback's
    replaced ``after``) as the stages go; it is created by the platform's
    :meth:`Platform.diff_configuration` and sent back through :meth:`Platform.configuration_body`.
    """

    section: str  # "settings" | "timers" | "integrations"
    owner: str  # timer / integration name ("" for settings)
    owner_key: str
    name: str
    key: str
    before: str | None
    after: str
    secret: bool
    needs_patch: bool = True  # False when the value is already pending (set, not yet applied)
    unknown: bool = False  # a secret whose current value cannot be read back
    new_in_revision: bool = False  # not in the deployed revision (a rollback has nothing to restore)
    pending_before: str | None = None  # a readable pending value that differed from ``before``

    @property
    def where(self) -> str:
        """``setting ApiBaseUrl`` / ``timer NightlySync.IsActive``: names only, never a value."""
        return f"{self.section[:-1]} {self.owner}.{self.name}" if self.owner else f"setting {self.name}"

    def describe(self) -> str:
        where = self.where
        if self.secret:
            return f"{where}: *** -> ***" + (" (cannot be read back)" if self.unknown else "")
        return f"{where}: {self.before if self.before is not None else '(unset)'} -> {self.after}"


class ConfigurationValueError(UsageError):
    """A configured name does not exist or a value does not fit its data type (exit 2)."""


@dataclass(frozen=True)
class QualityReport:
    """A fresh code analysis of a revision: findings per severity and the score, or why not.

    The gate (limits per severity, minimum score) is the verify stage's; the platform only
    says what the analysis found, so ``on-unavailable`` is decided in one place.
    """

    analysis_key: str | None = None
    unavailable: str = ""
    totals: Mapping[str, int] = field(default_factory=dict)
    score: Any = None


@dataclass(frozen=True)
class TaggedRevision:
    """A revision carrying a release tag (resolve checks a new tag against all of them)."""

    revision: int
    tag: str


@dataclass(frozen=True)
class Capabilities:
    """What a platform can do, asked by stages instead of testing the platform's name.

    * ``parallel_deploys``: independent assets deploy concurrently (ODC); LifeTime runs one
      plan per target at a time.
    * ``deploys_as_plan``: all applications go into one deployment (``deploy_all`` /
      ``analyse_all`` are the real calls; LifeTime).
    * ``rollback``: the stage can be moved back to what ran before (ODC ``rollback-on-failure``).
    * ``two_stage``: a deploy can stop after preparation and be continued later (LifeTime).
    * ``configuration_before_deploy``: values are written before the deploy and applied by it
      (ODC pending values); otherwise they are written after it (LifeTime site properties).
    * ``configures_after_deploy``: :meth:`Platform.configure_after_deploy` sets the pipeline
      file's values once the deploy finished (LifeTime: a site property applies to the module
      version that runs, so it is set after the plan).
    * ``release``: revisions can be tagged by the release stage; ``publish``: external library
      packages; ``code_quality``: the verify stage's code-quality gate.
    * ``max_parallel``: how many operations a run keeps going at once when the file sets no
      ``max-parallel``: as many as the platform's own limits let make progress.
    * ``starts_per_minute``: how many deployments the platform lets a run start a minute (ODC:
      10 per POST endpoint); the flow keeps no more analyses running than that.
    """

    parallel_deploys: bool = True
    deploys_as_plan: bool = False
    rollback: bool = False
    two_stage: bool = False
    configuration_before_deploy: bool = True
    configures_after_deploy: bool = False
    release: bool = False
    publish: bool = False
    code_quality: bool = False
    max_parallel: int = 4
    starts_per_minute: int = 10


@dataclass(frozen=True)
class Terms:
    """The platform's own words, so messages say what its console says."""

    platform: str = "ODC"
    environment: str = "stage"
    asset: str = "asset"
    unit: str = "Release build"
    console: str = "the ODC Portal"
    hidden_environments: str = ""  # why an environment may be missing from the list


class PlatformNotSupportedError(UsageError):
    """A pipeline-file feature the chosen platform does not have (exit 2, before any change)."""


# --- the interface --------------------------------------------------------------------------


def _nothing_reserved() -> None:
    """The release function of a reservation that holds nothing."""


class Platform(ABC):
    """One OutSystems platform as the stages need it; see the module docstring for why.

    Read methods never change anything (``--plan`` calls only them). Every method that
    starts an operation looks it up again when the answer was lost (at most once), and waits
    through ``run.wait`` so cancel, timeouts and heartbeats work the same everywhere.
    """

    name: str = ""
    capabilities: Capabilities = Capabilities()
    terms: Terms = Terms()

    def bind(self, options: Any) -> Platform:
        """The same platform with the pipeline file's keys for it (``EngineSpec.platform_options``;
        LifeTime: source, zones, two-stage, ...). Default: the platform has no such keys, itself."""
        return self

    def poll_prior(self, stage: str) -> DurationHint | None:
        """How long ``stage``'s operations usually take on this platform when no history says
        (the shared poller's prior). Default: none, a blind back-off."""
        return None

    def poll_budget(self, budgets: MutableMapping[str, Any], clock: Clock, stage: str) -> Any:
        """The shared poll budget (``engine.poller.PollBudget``) of the API ``stage`` polls,
        kept in the run's ``budgets`` so concurrent waits share it. Default: no budget (the
        platform documents no rate limit)."""
        return None

    def api_calls(self) -> Mapping[str, int]:
        """Calls made so far per endpoint (the report's ``api_calls``). Default: none counted."""
        return {}

    def reserve_start(
        self, kind: str, *, priority: float, owner: str, at: float, grace: float = 10.0
    ) -> Callable[[], None]:
        """Hold a rate-limited start slot of ``kind`` (``Build``, ``Analysis``, ``Deploy``) for
        the asset ``owner``, due at ``at`` (the run clock's ``monotonic()`` seconds), so work of
        lower ``priority`` does not take the slot the critical asset will need when its input
        is ready. Returns the function that releases it early (idempotent); the owner's start
        uses it up, and it lapses on its own ``grace`` seconds after ``at`` (an input that
        may run late warrants a longer one). The engine runs that start
        inside ``dispatch.working(priority, owner)``. Default: the platform documents no start
        limits, nothing to hold (a no-op)."""
        return _nothing_reserved

    # resolve ------------------------------------------------------------------------------

    @abstractmethod
    def environments(self) -> list[EnvironmentRef]:
        """Every environment visible to the credentials, in promotion order."""

    def find_environment(
        self, environments: Sequence[EnvironmentRef], wanted: str, *, role: str
    ) -> EnvironmentRef:
        """By name or key, exactly; a near miss (case) is suggested, the visible ones listed."""
        if not wanted:
            raise UsageError(
                f"no target {self.terms.environment}: set `target:` in the pipeline file or pass --target"
            )
        for env in environments:
            if wanted in (env.name, env.key):
                return env
        folded = [e for e in environments if e.name.lower() == wanted.lower()]
        hint = f" (did you mean {folded[0].name!r}?)" if folded else ""
        visible = ", ".join(e.name for e in environments) or "none"
        note = f" {self.terms.hidden_environments}" if self.terms.hidden_environments else ""
        raise UsageError(
            f"{role} {self.terms.environment} {wanted!r} not found{hint}; "
            f"{self.terms.environment}s visible to this API client: {visible}.{note}"
        )

    def prefetch_units(self, items: Sequence[tuple[AssetRef, ResolvedRevision]], *, stop: Event) -> None:
        """Read what :meth:`find_unit` will need for these revisions ahead, until ``stop`` is set.

        Called by a plan's resolve in a second thread while it reads producers, so two API
        domains spend their budgets at once rather than one after the other. The default
        reads nothing (``find_unit`` then reads as it always does).
        """
        del items, stop

    def sight_units(
        self, items: Sequence[tuple[AssetRef, ResolvedRevision]]
    ) -> list[tuple[AssetRef, ResolvedRevision]]:
        """The batched form of :meth:`prefetch_units`: settle as many look-ups as one wide read
        can, and return those still to read one by one.

        A platform that can list the units of many assets at once overrides it (ODC lists the
        tenant's Release builds); :meth:`find_unit` then reuses what that read showed. The
        default reads nothing and leaves every item to the per-item reads.
        """
        return list(items)

    def prefetch_assets(self, *, names: Sequence[str], keys: Sequence[str]) -> None:
        """Read many assets in a few calls before :meth:`resolve_asset` is asked for each.

        A release of hundreds of apps would otherwise spend one call per name (minutes of a
        rate-limited domain). The default reads nothing: each asset is then read on its own.
        """
        del names, keys

    @abstractmethod
    def get_asset(self, key: str) -> AssetRef:
        """The asset with this key (a missing key is the platform's NotFoundError)."""

    @abstractmethod
    def find_assets(self, name: str) -> list[AssetRef]:
        """Assets whose name equals ``name`` ignoring case (the caller keeps exact matches)."""

    def resolve_asset(self, *, name: str | None = None, key: str | None = None) -> AssetRef:
        """Name → key by exact match; a miss suggests near names, an ambiguity lists candidates.

        Exact, because a pipeline that deploys "Orders" when the file said "orders" has
        deployed the wrong thing with a green build.
        """
        if key:
            return self.get_asset(key)
        wanted = name or ""
        matches = self.find_assets(wanted)
        exact = [m for m in matches if m.name == wanted]
        if not exact:
            near = sorted({m.name for m in matches})
            hint = f" (did you mean {', '.join(repr(n) for n in near)}?)" if near else ""
            raise UsageError(
                f"{self.terms.asset} {wanted!r} not found{hint}; names match exactly, including case and "
                f"spaces. Check the name in {self.terms.console}, or give its key"
            )
        if len(exact) > 1:
            candidates = "; ".join(f"{m.key} ({m.asset_type or 'unknown type'})" for m in exact)
            raise UsageError(
                f"{self.terms.asset} name {wanted!r} is ambiguous: {candidates}. Use `key:` to pick one"
            )
        return exact[0]

    @abstractmethod
    def resolve_revision(self, asset: AssetRef, selector: str, *, label: str) -> ResolvedRevision:
        """A selector (``latest``, a number, ``tag:X``, ``highest-tag``, ``latest-tag``,
        ``modified``) → the revision it names now. ``from:<env>`` is resolved through
        :meth:`running_all` by the stage, because it reads several assets at once.
        A selector the platform does not know raises UsageError listing the ones it does.
        """

    @abstractmethod
    def running(self, environment: EnvironmentRef, asset: AssetRef) -> RunningState | None:
        """What runs of ``asset`` in ``environment`` now (None: it does not run there)."""

    def running_all(self, environment: EnvironmentRef, assets: Sequence[AssetRef]) -> dict[str, RunningState]:
        """:meth:`running` for several assets: asset key → state (absent: not running).

        Platforms with a batched read override it (one call for the whole release instead
        of one per asset).
        """
        found: dict[str, RunningState] = {}
        for asset in assets:
            state = self.running(environment, asset)
            if state is not None:
                found[asset.key] = state
        return found

    def producers(self, asset: AssetRef, revision: ResolvedRevision) -> list[str]:
        """Keys of the assets ``asset`` depends on (deploy order). Default: none known."""
        return []

    def producers_all(self, assets: Sequence[tuple[AssetRef, ResolvedRevision]]) -> dict[str, list[str]]:
        """:meth:`producers` of every asset of the run: asset key → producer keys. Default: one
        :meth:`producers` per asset. ODC overrides it: one read shows a whole producer graph."""
        return {asset.key: self.producers(asset, revision) for asset, revision in assets}

    def permission_probes(
        self,
        target: EnvironmentRef,
        *,
        stages: Collection[str],
        apps: Sequence[tuple[AssetRef, ResolvedRevision]],
        code_quality: bool = False,
    ) -> list[tuple[str, Callable[[], object]]]:
        """(stage, call) pairs that each need the permission that stage will need and change
        nothing, so a denial stops the run at resolve, before the first change; the engine runs
        them and names the stage in the error. Default: the platform offers no such calls.
        """
        return []

    def probe_deploy(
        self, run: RunServices, target: EnvironmentRef, asset: AssetRef, revision: ResolvedRevision
    ) -> str | None:
        """Ask, with a call that needs the deploy permission in ``target`` and changes nothing,
        whether this run may deploy there; a denial raises PermissionDeniedError. Returns the
        key of an analysis the call started, which the impact stage reuses
        (``ImpactRequest.reuse_key``). Default: no such call (None)."""
        return None

    def probe_configuration_write(self, target: EnvironmentRef, asset: AssetRef) -> None:
        """Ask, with a call that changes nothing, whether configuration may be written for
        ``asset`` in ``target``; a denial raises PermissionDeniedError. Default: no such call."""
        return None

    # build --------------------------------------------------------------------------------

    @abstractmethod
    def find_unit(
        self,
        asset: AssetRef,
        revision: ResolvedRevision,
        *,
        pinned: str | None = None,
        running: RunningState | None = None,
        to_produce: bool = False,
    ) -> UnitSearch:
        """An existing deployable unit of ``revision`` to reuse (the one ``pinned`` by the
        selector, else the one running in the target, else the newest), and what else was seen.

        ``to_produce``: the caller produces a unit whatever is found (force-rebuild, a changed
        library), so ``known_keys`` and ``running_key`` must come from the revision's own full
        list, not from a wide read's sighting.
        """

    @abstractmethod
    def start_unit(self, run: RunServices, request: UnitRequest) -> str:
        """Start producing the unit (ODC: POST a Release build; LifeTime: tag a version) and
        return its key. A lost answer is looked up (find-again), never sent twice; a refusal
        raises OperationFailedError naming the asset."""

    @abstractmethod
    def wait_unit(
        self, run: RunServices, request: UnitRequest, key: str, *, what: str, stage: str
    ) -> UnitOutcome:
        """Poll the unit through ``run.wait`` until it is usable or failed; a failure carries the
        platform's explanation (build log) in ``messages``."""

    def produce_unit(self, run: RunServices, request: UnitRequest, *, stage: str) -> UnitOutcome:
        """Start (or attach to ``request.attach_to``) and wait, tracked as in flight meanwhile."""
        key = request.attach_to or self.start_unit(run, request)
        what = f"{self.terms.unit} of {request.asset.name} {request.revision.label} ({key})"
        with run.tracking(key, what):
            return self.wait_unit(run, request, key, what=what, stage=stage)

    # configure ----------------------------------------------------------------------------

    def read_configuration(
        self,
        environment: EnvironmentRef,
        asset: AssetRef,
        *,
        revision: int | None,
        running_revision: int | None,
    ) -> Any:
        """The configuration of ``asset`` in ``environment``: what the running revision uses
        and, when ``revision`` differs, what it defines. The shape is the platform's own (only
        its configure module reads it): configuration models differ too much to share one.
        """
        raise PlatformNotSupportedError(f"configure is not available on {self.name}")

    def diff_configuration(
        self,
        environment: EnvironmentRef,
        asset: AssetRef,
        desired: Any,
        *,
        revision: int | None,
        running_revision: int | None,
        secrets: Any,
    ) -> tuple[list[SettingChange], int | None]:
        """What ``desired`` (the pipeline file's ``AssetConfigSpec`` for the asset) changes in
        ``environment``, and the revision baseline a write must name (values new in
        ``revision``), read-only. Unknown names and values that do not fit their data type raise
        ConfigurationValueError before anything changes; secret values go into ``secrets``.
        """
        raise PlatformNotSupportedError(f"configure is not available on {self.name}")

    def configuration_body(self, changes: Sequence[SettingChange], baseline: int | None) -> Mapping[str, Any]:
        """The write that sends exactly ``changes`` (the platform's own request shape)."""
        raise PlatformNotSupportedError(f"configure is not available on {self.name}")

    def write_configuration(
        self, environment: EnvironmentRef, asset: AssetRef, body: Mapping[str, Any]
    ) -> None:
        """Send only the values that change (ODC: pending until the next deploy applies them;
        :attr:`Capabilities.configuration_before_deploy` says which)."""
        raise PlatformNotSupportedError(f"configure is not available on {self.name}")

    def configure_after_deploy(
        self, environment: EnvironmentRef, asset: AssetRef, values: Mapping[str, Any]
    ) -> tuple[Message, ...]:
        """Set ``values`` (the pipeline file's configuration for ``asset``, in the platform's own
        shape; LifeTime: module name → site property values) in ``environment`` after the deploy
        (``capabilities.configures_after_deploy``). Returns what was set, secrets masked; a
        value the platform refuses raises UsageError naming it."""
        raise PlatformNotSupportedError(f"configuration set after the deploy is not available on {self.name}")

    # impact-analysis ----------------------------------------------------------------------

    @abstractmethod
    def analyse(self, run: RunServices, request: ImpactRequest, *, stage: str) -> ImpactResult:
        """One impact analysis, waited for. Unavailability (the platform cannot analyse) is
        returned in ``ImpactResult.unavailable``, never raised."""

    def analyse_all(
        self,
        run: RunServices,
        requests: Sequence[ImpactRequest],
        *,
        stage: str,
        max_parallel: int = 1,
        cancel: Any = None,
    ) -> dict[str, ImpactResult]:
        """Every analysis of the run: asset key → result. Default: :meth:`analyse` per asset,
        ``max_parallel`` at a time; the first error is raised after all started ones ended.
        LifeTime overrides it: one plan holds every application, so one analysis answers all.
        """
        from odc_pipeline.engine.scheduler import run_in_order

        by_key = {r.asset.key: r for r in requests}
        outcome = run_in_order(
            list(by_key),
            {},
            lambda key: self.analyse(run, by_key[key], stage=stage),
            max_parallel=max_parallel,
            cancel=cancel,
        )
        if outcome.first_error is not None:
            raise outcome.first_error
        return dict(outcome.results)

    # deploy -------------------------------------------------------------------------------

    @abstractmethod
    def running_operations(
        self, environment: EnvironmentRef, asset: AssetRef, kinds: Iterable[str]
    ) -> list[OperationRef]:
        """Deployments of ``asset`` still running in ``environment`` (attach or wait them out)."""

    def running_operations_all(
        self, environment: EnvironmentRef, assets: Sequence[AssetRef], kinds: Iterable[str]
    ) -> dict[str, list[OperationRef]]:
        """:meth:`running_operations` for many assets (asset key → its operations; every key
        present). The default asks per asset; a platform that lists a stage's operations in
        one call overrides it."""
        kinds = tuple(kinds)
        return {asset.key: self.running_operations(environment, asset, kinds) for asset in assets}

    @abstractmethod
    def start_deploy(self, run: RunServices, request: DeployRequest) -> OperationRef:
        """Start one deployment; an unknown outcome is looked up (find-again), never re-sent."""

    @abstractmethod
    def wait_deploy(
        self,
        run: RunServices,
        operation: OperationRef,
        *,
        what: str,
        stage: str,
        hint: DurationHint | None = None,
    ) -> DeployOutcome:
        """Poll a deployment (ours or one we attach to) through ``run.wait`` until it ends."""

    def deploy_history_hint(self, run: RunServices, request: DeployRequest) -> DurationHint | None:
        """How long similar deployments took (tunes the poll cadence). Default: no history."""
        return None

    def prefetch_deploy_history(
        self, run: RunServices, environment: EnvironmentRef, assets: Sequence[AssetRef]
    ) -> None:
        """Read the deploy history of many assets at once into the run's hint cache (what
        :meth:`deploy_history_hint` then answers without a call), where the platform can list
        it in one read. The per-asset flow needs every duration up front to rank the critical
        path. Default: nothing; each hint is read on its own when its wait begins."""
        return None

    def cached_deploy_hint(
        self, run: RunServices, environment: EnvironmentRef, asset: AssetRef
    ) -> DurationHint | None:
        """The deploy-duration hint the run already read for ``asset`` (no call). Default: none."""
        return None

    def deploy(self, run: RunServices, request: DeployRequest, *, stage: str) -> DeployOutcome:
        """Start and wait, tracked as in flight meanwhile. What every per-asset deploy uses."""
        operation = self.start_deploy(run, request)
        what = f"{request.label} {operation.key} of {request.asset.name}"
        with run.tracking(operation.key, what):
            return self.wait_deploy(
                run, operation, what=what, stage=stage, hint=self.deploy_history_hint(run, request)
            )

    def deploy_all(
        self, run: RunServices, requests: Sequence[DeployRequest], *, stage: str
    ) -> dict[str, DeployOutcome]:
        """Every deployment of the run: asset key → outcome. Default: :meth:`deploy` per asset
        in the order given (the stage orders producers first). Platforms whose deploy unit is a
        plan (``capabilities.deploys_as_plan``) override it with one plan for all."""
        return {r.asset.key: self.deploy(run, r, stage=stage) for r in requests}

    def operation_messages(self, operation_key: str, *, only_problems: bool = False) -> list[Message]:
        """What the platform says about an operation (errors first when asked). Default: none."""
        return []

    def continue_deploy(self, run: RunServices, operation_key: str, *, stage: str) -> DeployOutcome:
        """Continue a deployment stopped after preparation (``capabilities.two_stage``)."""
        raise PlatformNotSupportedError(f"two-stage deployments are not available on {self.name}")

    def discard_plan(self) -> bool:
        """Delete what impact analysis created for a deploy that never started (LifeTime: the
        saved plan), so a stopped run leaves nothing behind. True: something was deleted.
        Default: analysis creates nothing to discard (False)."""
        return False

    def abort_deploy(self, operation_key: str) -> bool:
        """Ask the platform to stop a running deployment on cancel; False: it cannot (ODC
        deployments run to the end, so the report lists them in flight instead)."""
        return False

    # rollback of a plan-shaped platform (capabilities.deploys_as_plan + rollback) ----------

    def settle_target(
        self, run: RunServices, target: EnvironmentRef, own: Sequence[str], *, stage: str
    ) -> tuple[Message, ...]:
        """Before a rollback reads what moved: stop this run's operations ``own`` that wait for
        someone, wait out what still runs on ``target``; messages say what was done."""
        raise PlatformNotSupportedError(f"a plan rollback is not available on {self.name}")

    def roll_back_plan(
        self, run: RunServices, target: EnvironmentRef, units: Sequence[tuple[AssetRef, str]], *, stage: str
    ) -> DeployOutcome:
        """One deployment of ``units`` (asset, unit key that ran before), started once and waited for."""
        raise PlatformNotSupportedError(f"a plan rollback is not available on {self.name}")

    # verify -------------------------------------------------------------------------------

    def code_quality(self, run: RunServices, asset: AssetRef, revision: int, *, stage: str) -> QualityReport:
        """A fresh code analysis of ``revision`` (``capabilities.code_quality``), waited for."""
        raise PlatformNotSupportedError(f"the code-quality gate is not available on {self.name}")

    # publish ------------------------------------------------------------------------------

    def library_publisher(self) -> Any:
        """What the publish stage drives to turn a package into a library revision
        (``capabilities.publish``; ODC: ``platforms.odc.libraries.OdcLibraries``). Publishing
        exists on one platform only, so its calls are that platform's own object rather than
        methods every platform would have to refuse."""
        raise PlatformNotSupportedError(f"publishing library packages is not available on {self.name}")

    # release ------------------------------------------------------------------------------

    def tagged_revisions(self, asset: AssetRef) -> list[TaggedRevision]:
        """Every tagged revision, for tag checks at resolve."""
        raise PlatformNotSupportedError(f"release is not available on {self.name}")

    def set_tag(self, asset: AssetRef, revision: int, *, tag: str, notes: str | None) -> None:
        """Tag a revision (the release stage)."""
        raise PlatformNotSupportedError(f"release is not available on {self.name}")
