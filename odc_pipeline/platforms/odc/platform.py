"""``OdcPlatform``: the seam implemented with the ODC REST client, one module per concern.

This class only routes: each method is a call into :mod:`.resolve`, :mod:`.build`,
:mod:`.configure`, :mod:`.impact`, :mod:`.deploy` or :mod:`.release`, so the ODC logic reads
as it did in the engine and a change to one concern touches one module.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, MutableMapping, Sequence
from threading import Event
from typing import Any

from odc_pipeline.api.endpoints import BUILDS, DEPENDENCY_MANAGEMENT, DEPLOYMENTS
from odc_pipeline.platforms.base import (
    AssetRef,
    Capabilities,
    DeployOutcome,
    DeployRequest,
    EnvironmentRef,
    ImpactRequest,
    ImpactResult,
    OperationRef,
    Platform,
    QualityReport,
    ResolvedRevision,
    RunningState,
    RunServices,
    SettingChange,
    TaggedRevision,
    Terms,
    UnitOutcome,
    UnitRequest,
    UnitSearch,
)
from odc_pipeline.platforms.odc import build, configure, deploy, impact, quality, release, resolve
from odc_pipeline.platforms.odc.libraries import OdcLibraries
from odc_pipeline.report import Message

# The rate-limit bucket each kind of start counts against (odc-api-notes §5.1).
START_BUCKETS = {
    "Build": BUILDS.post_bucket("/build-operations"),
    "Analysis": DEPENDENCY_MANAGEMENT.bucket,
    "Deploy": DEPLOYMENTS.post_bucket("/deployment-operations"),
}
ODC_CAPABILITIES = Capabilities(
    parallel_deploys=True,
    deploys_as_plan=False,
    rollback=True,
    two_stage=False,
    configuration_before_deploy=True,
    release=True,
    publish=True,
    code_quality=True,
    # ODC's limits are rates (10 starts and 100 requests a minute per domain), not a count of
    # running operations: 50 concurrent waits still get a poll each about a minute from the
    # shared poll budget, and the rate limiter and the dispatcher decide who starts when.
    max_parallel=50,
    starts_per_minute=10,  # odc-api-notes §5.1: 10 POSTs a minute per start endpoint
)
ODC_TERMS = Terms(
    platform="ODC",
    environment="stage",
    asset="asset",
    unit="Release build",
    console="the ODC Portal",
    hidden_environments="A stage the client lacks the 'Stage > View stage' permission for is not listed.",
)


class OdcPlatform(Platform):
    """OutSystems Developer Cloud through :class:`odc_pipeline.api.OdcClient` (or a fake of it)."""

    name = "odc"
    capabilities = ODC_CAPABILITIES
    terms = ODC_TERMS

    def __init__(self, client: Any) -> None:
        self.client = client
        self._names = impact.Names(client)
        self._libraries = OdcLibraries(client)
        self._directory = resolve.AssetDirectory()

    def poll_prior(self, stage: str) -> Any:
        from odc_pipeline.engine.wait_domains import prior_for

        return prior_for(stage)

    def poll_budget(self, budgets: MutableMapping[str, Any], clock: Any, stage: str) -> Any:
        from odc_pipeline.engine.wait_domains import budget_for

        return budget_for(budgets, self.client, clock, stage)

    def api_calls(self) -> Mapping[str, int]:
        http = getattr(self.client, "http", None)
        return dict(getattr(http, "call_counts", {}) or {})

    # resolve
    def reserve_start(
        self, kind: str, *, priority: float, owner: str, at: float, grace: float = 10.0
    ) -> Callable[[], None]:
        """Reserve the window the start counts against: the POST endpoint's own 10/min for builds
        and deploys; the Dependency Management domain's 100/min for analyses (that POST has no
        limit of its own). A client without a rate limiter (a test fake) holds nothing."""
        try:
            bucket = START_BUCKETS[kind]
        except KeyError:
            raise ValueError(f"no start kind {kind!r}; expected one of {sorted(START_BUCKETS)}") from None
        limiter = getattr(getattr(self.client, "http", None), "rate_limiter", None)
        if limiter is None:
            return super().reserve_start(kind, priority=priority, owner=owner, at=at, grace=grace)
        return limiter.reserve(bucket, priority=priority, owner=owner, at=at, grace=grace).cancel

    def environments(self) -> list[EnvironmentRef]:
        return resolve.environments(self.client)

    def prefetch_assets(self, *, names: Sequence[str], keys: Sequence[str]) -> None:
        self._directory.prefetch(self.client, names=names, keys=keys)

    def get_asset(self, key: str) -> AssetRef:
        return self._directory.get(self.client, key)

    def find_assets(self, name: str) -> list[AssetRef]:
        return self._directory.find(self.client, name)

    def resolve_revision(self, asset: AssetRef, selector: str, *, label: str) -> ResolvedRevision:
        latest = self._directory.take_latest(asset.key)
        return resolve.revision_for(self.client, asset, selector, label=label, latest=latest)

    def running(self, environment: EnvironmentRef, asset: AssetRef) -> RunningState | None:
        return self.running_all(environment, [asset]).get(asset.key)

    def running_all(self, environment: EnvironmentRef, assets: Sequence[AssetRef]) -> dict[str, RunningState]:
        return resolve.running_all(self.client, environment, [a.key for a in assets])

    def prefetch_units(self, items: Sequence[tuple[AssetRef, ResolvedRevision]], *, stop: Event) -> None:
        self._directory.prefetch_release_builds(self.client, items, stop=stop)

    def sight_units(
        self, items: Sequence[tuple[AssetRef, ResolvedRevision]]
    ) -> list[tuple[AssetRef, ResolvedRevision]]:
        return self._directory.sight_release_builds(self.client, items)

    def producers(self, asset: AssetRef, revision: ResolvedRevision) -> list[str]:
        return resolve.producers(self.client, asset, revision)

    def producers_all(self, assets: Sequence[tuple[AssetRef, ResolvedRevision]]) -> dict[str, list[str]]:
        return resolve.producers_all(self.client, assets)

    def permission_probes(
        self,
        target: EnvironmentRef,
        *,
        stages: Collection[str],
        apps: Sequence[tuple[AssetRef, ResolvedRevision]],
        code_quality: bool = False,
    ) -> list[tuple[str, Callable[[], object]]]:
        return resolve.permission_probes(
            self.client,
            target,
            stages=stages,
            apps=apps,
            code_quality=code_quality,
            directory=self._directory,
        )

    def probe_deploy(
        self, run: RunServices, target: EnvironmentRef, asset: AssetRef, revision: ResolvedRevision
    ) -> str | None:
        return resolve.probe_deploy_assets(self.client, target, asset, revision)

    def probe_configuration_write(self, target: EnvironmentRef, asset: AssetRef) -> None:
        configure.probe_edit(self.client, target, asset)

    # build
    def find_unit(
        self,
        asset: AssetRef,
        revision: ResolvedRevision,
        *,
        pinned: str | None = None,
        running: RunningState | None = None,
        to_produce: bool = False,
    ) -> UnitSearch:
        number = revision.number
        listed = (
            (lambda: self._directory.list_release_builds(self.client, asset.key, number))
            if number is not None
            else None
        )
        sighted = self._directory.take_sighting(asset.key, number) if number is not None else []
        return build.find_unit(
            self.client,
            asset,
            revision,
            pinned=pinned,
            running=running,
            release_builds=listed,
            sighted=[] if to_produce else sighted,
        )

    def start_unit(self, run: RunServices, request: UnitRequest) -> str:
        return build.start(self.client, request)

    def wait_unit(
        self, run: RunServices, request: UnitRequest, key: str, *, what: str, stage: str
    ) -> UnitOutcome:
        return build.wait(self.client, run, request, key, what=what, stage=stage)

    # configure
    def read_configuration(
        self,
        environment: EnvironmentRef,
        asset: AssetRef,
        *,
        revision: int | None,
        running_revision: int | None,
    ) -> configure.OdcConfiguration:
        return configure.read(
            self.client, environment, asset, revision=revision, running_revision=running_revision
        )

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
        return configure.diff(
            self.client,
            environment,
            asset,
            desired,
            revision=revision,
            running_revision=running_revision,
            secrets=secrets,
        )

    def configuration_body(self, changes: Sequence[SettingChange], baseline: int | None) -> Mapping[str, Any]:
        return configure.patch_body(changes, baseline)

    def write_configuration(
        self, environment: EnvironmentRef, asset: AssetRef, body: Mapping[str, Any]
    ) -> None:
        configure.write(self.client, environment, asset, body)

    # impact-analysis
    def analyse(self, run: RunServices, request: ImpactRequest, *, stage: str) -> ImpactResult:
        return impact.analyse(self.client, self._names, run, request, stage=stage)

    # deploy
    def running_operations(
        self, environment: EnvironmentRef, asset: AssetRef, kinds: Iterable[str]
    ) -> list[OperationRef]:
        return deploy.running_operations(self.client, environment, asset.key, kinds)

    def running_operations_all(
        self, environment: EnvironmentRef, assets: Sequence[AssetRef], kinds: Iterable[str]
    ) -> dict[str, list[OperationRef]]:
        return deploy.running_operations_of(self.client, environment, [a.key for a in assets], kinds)

    def start_deploy(self, run: RunServices, request: DeployRequest) -> OperationRef:
        return deploy.start(self.client, run, request)

    def wait_deploy(
        self, run: RunServices, operation: OperationRef, *, what: str, stage: str, hint: Any = None
    ) -> DeployOutcome:
        return deploy.wait(self.client, run, operation, what=what, stage=stage, hint=hint)

    def prefetch_deploy_history(
        self, run: RunServices, environment: EnvironmentRef, assets: Sequence[AssetRef]
    ) -> None:
        deploy.prefetch_history(self.client, run, environment, [a.key for a in assets])

    def cached_deploy_hint(self, run: RunServices, environment: EnvironmentRef, asset: AssetRef) -> Any:
        return run.cached_hint(deploy.history_key(environment, asset.key, "Deploy"))

    def deploy_history_hint(self, run: RunServices, request: DeployRequest) -> Any:
        return deploy.history_hint(self.client, run, request.target, request.asset.key, request.kind)

    def operation_messages(self, operation_key: str, *, only_problems: bool = False) -> list[Message]:
        return deploy.messages(self.client, operation_key, only_problems=only_problems)

    # verify
    def code_quality(self, run: RunServices, asset: AssetRef, revision: int, *, stage: str) -> QualityReport:
        return quality.analyse(self.client, run, asset, revision, stage=stage)

    # publish
    def library_publisher(self) -> OdcLibraries:
        return self._libraries

    # release
    def tagged_revisions(self, asset: AssetRef) -> list[TaggedRevision]:
        return release.tagged_revisions(self.client, asset)

    def set_tag(self, asset: AssetRef, revision: int, *, tag: str, notes: str | None) -> None:
        release.set_tag(self.client, asset, revision, tag=tag, notes=notes)
