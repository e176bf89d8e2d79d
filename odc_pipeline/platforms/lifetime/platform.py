"""The LifeTime implementation of :class:`~odc_pipeline.platforms.base.Platform`.

It only wires the concern modules to the seam. State it keeps for one run: the environments
(read once), and the plan impact analysis created and kept — the deploy stage starts exactly
that plan instead of creating a second one for the same release.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from odc_pipeline.api.errors import NotFoundError
from odc_pipeline.errors import UsageError
from odc_pipeline.lifetime import LifetimeClient
from odc_pipeline.lifetime.models import Environment
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
    ResolvedRevision,
    RunningState,
    RunServices,
    Terms,
    UnitOutcome,
    UnitRequest,
    UnitSearch,
)
from odc_pipeline.platforms.lifetime import configure, deploy, plans, resolve, rollback, tagging
from odc_pipeline.platforms.lifetime.options import LifetimeOptions, SitePropertyValue
from odc_pipeline.redaction import SECRETS, SecretRegistry
from odc_pipeline.report import Message

LIFETIME_CAPABILITIES = Capabilities(
    parallel_deploys=False,
    deploys_as_plan=True,
    rollback=True,
    two_stage=True,
    configuration_before_deploy=False,
    configures_after_deploy=True,
    release=False,
    publish=False,
    code_quality=False,
    max_parallel=1,  # one deployment plan per target at a time
)
LIFETIME_TERMS = Terms(
    platform="LifeTime",
    environment="environment",
    asset="application",
    unit="application version",
    console="LifeTime",
    hidden_environments="(a service account sees only the environments its role allows)",
)


class LifetimePlatform(Platform):
    name = "lifetime"
    capabilities = LIFETIME_CAPABILITIES
    terms = LIFETIME_TERMS

    def __init__(
        self,
        client: LifetimeClient,
        options: LifetimeOptions | None = None,
        *,
        secrets: SecretRegistry = SECRETS,
    ) -> None:
        self.client = client
        self.options = options or LifetimeOptions()
        self.secrets = secrets
        self._environments: list[Environment] | None = None
        self._kept_plan: tuple[plans.PlanContent, str] | None = None

    def poll_prior(self, stage: str) -> Any:
        """LifeTime plans (prepare + deploy) take minutes like ODC deploys; new tags are usable
        within seconds to a minute: the shared poller's priors for those kinds (no history API)."""
        from odc_pipeline.engine.poller import PRIORS

        return {"deploy": PRIORS["deploy"], "build": PRIORS["analysis"]}.get(stage)

    def bind(self, options: LifetimeOptions) -> LifetimePlatform:
        """The same client with the pipeline file's LifeTime keys."""
        return type(self)(self.client, options, secrets=self.secrets)

    # resolve ------------------------------------------------------------------------------

    def _raw_environments(self) -> list[Environment]:
        if self._environments is None:
            self._environments = self.client.environments.list()
        return self._environments

    def environments(self) -> list[EnvironmentRef]:
        return [resolve.environment_ref(env) for env in self._raw_environments()]

    def source(self) -> EnvironmentRef:
        """The plan's source environment (``source:`` or the one ``from:`` environment)."""
        if not self.options.source:
            raise UsageError("a LifeTime plan needs a source environment: set source: in the pipeline file")
        return self.find_environment(self.environments(), self.options.source, role="source")

    def get_asset(self, key: str) -> AssetRef:
        return resolve.asset_ref(self.client.applications.get(key, include_env_status=False))

    def find_assets(self, name: str) -> list[AssetRef]:
        return [resolve.asset_ref(app) for app in self.client.applications.find_by_name(name)]

    def resolve_revision(self, asset: AssetRef, selector: str, *, label: str) -> ResolvedRevision:
        text = selector.strip()
        if text == "latest-tag":
            return replace(resolve.latest_tag(self.client, asset, label), source=self._source_or_none())
        if text.startswith("tag:"):
            found = resolve.tagged(self.client, asset, text.partition(":")[2].strip(), label)
            return replace(found, source=self._source_or_none())
        if text == "modified":
            return resolve.modified(self.client, asset, self.source(), label)
        raise UsageError(
            f"{label}: revision {selector!r} is not a LifeTime selector "
            "(latest-tag, tag:<version>, from:<environment>, modified)"
        )

    def _source_or_none(self) -> EnvironmentRef | None:
        return self.source() if self.options.source else None

    def running(self, environment: EnvironmentRef, asset: AssetRef) -> RunningState | None:
        return self.running_all(environment, [asset]).get(asset.key)

    def running_all(self, environment: EnvironmentRef, assets: Sequence[AssetRef]) -> dict[str, RunningState]:
        return resolve.running_all(self.client, environment, assets, self._raw_environments())

    # build --------------------------------------------------------------------------------

    def find_unit(
        self,
        asset: AssetRef,
        revision: ResolvedRevision,
        *,
        pinned: str | None = None,
        running: RunningState | None = None,
        to_produce: bool = False,
    ) -> UnitSearch:
        if pinned:
            revision = replace(revision, unit_key=pinned, needs_unit=False)
        return tagging.find_unit(revision, asset, self.client)

    def start_unit(self, run: RunServices, request: UnitRequest) -> str:
        request = replace(
            request,
            version=request.version or self.options.version,
            change_log=request.change_log or self.options.change_log,
        )
        return tagging.start_tag(self.client, request, bump=self.options.bump)

    def wait_unit(
        self, run: RunServices, request: UnitRequest, key: str, *, what: str, stage: str
    ) -> UnitOutcome:
        return tagging.wait_tag(self.client, run, request, key, what=what, stage=stage)

    # configure ----------------------------------------------------------------------------

    def read_configuration(
        self,
        environment: EnvironmentRef,
        asset: AssetRef,
        *,
        revision: int | None = None,
        running_revision: int | None = None,
    ) -> Any:
        """The Properties API has no read (UNDOC): nothing is known about the current values."""
        return {}

    def write_configuration(
        self, environment: EnvironmentRef, asset: AssetRef, body: Mapping[str, Any]
    ) -> None:
        self.configure_after_deploy(environment, asset, body)

    def configure_after_deploy(
        self, environment: EnvironmentRef, asset: AssetRef, values: Mapping[str, Sequence[SitePropertyValue]]
    ) -> tuple[Message, ...]:
        """Set site properties (module name → values) after the deploy."""
        return configure.apply(self.client, environment, asset, values, secrets=self.secrets)

    # impact-analysis ----------------------------------------------------------------------

    def _zone_keys(self, target: EnvironmentRef) -> dict[str, str]:
        wanted = set(self.options.zones.values()) | ({self.options.deployment_zone} - {None})
        if not wanted:
            return {}
        zones = self.client.environments.deployment_zones(target.key)
        by_name = {z.name: z.key or "" for z in zones if z.name}
        missing = sorted(str(name) for name in wanted if name not in by_name)
        if missing:
            raise UsageError(
                f"deployment zone {', '.join(map(repr, missing))} not found in {target.name}; "
                f"its zones: {', '.join(sorted(by_name)) or 'none'}"
            )
        return by_name

    def plan_content(
        self, target: EnvironmentRef, units: Iterable[tuple[AssetRef, str]]
    ) -> plans.PlanContent:
        """The one plan of this run: every (application, version key) with its zone."""
        zones = self._zone_keys(target)
        operations = []
        for asset, version_key in units:
            zone_name = self.options.zones.get(asset.name) or self.options.zones.get(asset.key)
            zone_name = zone_name or self.options.deployment_zone
            operations.append((asset.key, version_key, zones.get(zone_name, "") if zone_name else ""))
        return plans.PlanContent(source=self.source(), target=target, operations=tuple(operations))

    def analyse(self, run: RunServices, request: ImpactRequest, *, stage: str) -> ImpactResult:
        return self.analyse_all(run, [request], stage=stage)[request.asset.key]

    def analyse_all(
        self,
        run: RunServices,
        requests: Sequence[ImpactRequest],
        *,
        stage: str,
        max_parallel: int = 1,
        cancel: Any = None,
    ) -> dict[str, ImpactResult]:
        """One plan for every application that does not run its version yet.

        Under ``--plan`` nothing is created (a plan is a change): the result says so.
        """
        if not requests:
            return {}
        target = requests[0].target
        running = self.running_all(target, [r.asset for r in requests])
        todo = [r for r in requests if r.unit_key and _runs(running, r.asset.key) != r.unit_key]
        results = {
            r.asset.key: ImpactResult(asset_key=r.asset.key, verdict="NoIssuesFound")
            for r in requests
            if r not in todo
        }
        if not todo:
            return results
        if getattr(run, "plan", False):
            for r in todo:
                results[r.asset.key] = ImpactResult(
                    asset_key=r.asset.key,
                    unavailable="--plan creates no deployment plan; the run creates one plan to "
                    f"{target.name} "
                    f"for {len(todo)} application(s) and gates on its conflicts",
                )
            return results
        content = self.plan_content(target, [(r.asset, r.unit_key or "") for r in todo])
        names = {r.asset.key: r.label or r.asset.name for r in requests}
        kept, found = plans.analyse(
            self.client,
            run,
            content,
            names,
            notes=self.options.notes,
            stage=stage,
            redeploy_outdated=self.options.redeploy_outdated,
            fail_on=self.options.fail_on,
        )
        self._kept_plan = (content, kept) if kept else None
        results.update(found)
        return results

    def discard_plan(self) -> bool:
        """Delete the plan impact analysis kept when the run stops before deploying it."""
        if self._kept_plan is None:
            return False
        _, key = self._kept_plan
        self._kept_plan = None
        try:
            self.client.deployments.delete(key)
        except NotFoundError:
            return False
        return True

    @property
    def kept_plan_key(self) -> str | None:
        return self._kept_plan[1] if self._kept_plan else None

    # deploy -------------------------------------------------------------------------------

    def running_operations(
        self, environment: EnvironmentRef, asset: AssetRef, kinds: Iterable[str]
    ) -> list[OperationRef]:
        found = []
        for plan, status in self.client.deployments.in_progress(environment.key):
            apps = tuple(op.application_key or "" for op in plan.application_operations)
            if asset.key in apps and plan.key:
                unit = next(
                    (
                        op.application_version_key
                        for op in plan.application_operations
                        if op.application_key == asset.key
                    ),
                    None,
                )
                found.append(
                    OperationRef(
                        key=plan.key,
                        kind="Plan",
                        asset_keys=apps,
                        unit_key=unit,
                        status=status.deployment_status,
                        raw=plan,
                    )
                )
        return found

    def start_deploy(self, run: RunServices, request: DeployRequest) -> OperationRef:
        """One application on its own: a plan of one (the stage's per-asset path)."""
        content = self.plan_content(request.target, [(request.asset, request.unit_key or "")])
        key = self._plan_for(run, content, stage="deploy")
        return OperationRef(key=key, kind="Plan", asset_keys=(request.asset.key,), unit_key=request.unit_key)

    def wait_deploy(
        self, run: RunServices, operation: OperationRef, *, what: str, stage: str, hint: Any = None
    ) -> DeployOutcome:
        target = self._target_of(operation.key)
        outcome = self._run_plan(run, operation.key, target, stage=stage)
        return replace(outcome, asset_key=operation.asset_keys[0] if operation.asset_keys else "")

    def _target_of(self, key: str) -> EnvironmentRef:
        details = self.client.deployments.get(key)
        target_key = details.deployment.target_environment_key if details.deployment else None
        for env in self.environments():
            if env.key == target_key:
                return env
        return EnvironmentRef(key=target_key or "", name=target_key or "the target")

    def _plan_for(self, run: RunServices, content: plans.PlanContent, *, stage: str) -> str:
        """The plan impact analysis kept for exactly this content, else a new one."""
        if self._kept_plan is not None and self._kept_plan[0].version_keys == content.version_keys:
            key = self._kept_plan[1]
            self._kept_plan = None
            return key
        return plans.create_plan(self.client, run, content, notes=self.options.notes, stage=stage)

    def _run_plan(self, run: RunServices, key: str, target: EnvironmentRef, *, stage: str) -> DeployOutcome:
        return deploy.run_plan(
            self.client,
            run,
            key,
            target,
            stage=stage,
            redeploy_outdated=self.options.redeploy_outdated,
            two_stage=self.options.two_stage,
            allow_warnings=self.options.allow_warnings,
        )

    def deploy_all(
        self, run: RunServices, requests: Sequence[DeployRequest], *, stage: str
    ) -> dict[str, DeployOutcome]:
        """Every application in one plan, started once; each shares the plan's outcome."""
        if not requests:
            return {}
        target = requests[0].target
        content = self.plan_content(target, [(r.asset, r.unit_key or "") for r in requests])
        key = self._plan_for(run, content, stage=stage)
        outcome = self._run_plan(run, key, target, stage=stage)
        return {r.asset.key: replace(outcome, asset_key=r.asset.key) for r in requests}

    def operation_messages(self, operation_key: str, *, only_problems: bool = False) -> list[Message]:
        return list(
            deploy.log_messages(self.client.deployments.status(operation_key), only_problems=only_problems)
        )

    def continue_deploy(self, run: RunServices, operation_key: str, *, stage: str) -> DeployOutcome:
        return deploy.continue_plan(
            self.client, run, operation_key, stage=stage, allow_warnings=self.options.allow_warnings
        )

    def abort_deploy(self, operation_key: str) -> bool:
        return deploy.abort(self.client, operation_key)

    # rollback (rollback-on-failure; engine/plan_rollback.py) ------------------------------

    def settle_target(
        self, run: RunServices, target: EnvironmentRef, own: Sequence[str], *, stage: str
    ) -> tuple[Message, ...]:
        """Before reading what moved: this run's plans that wait for an intervention are
        aborted, every plan still running on ``target`` is waited out."""
        return rollback.settle(self.client, run, target, own, stage=stage)

    def roll_back_plan(
        self, run: RunServices, target: EnvironmentRef, units: Sequence[tuple[AssetRef, str]], *, stage: str
    ) -> DeployOutcome:
        """One plan back to ``units`` (application, version key that ran before), started once."""
        return rollback.run_back(
            self.client,
            run,
            self.plan_content(target, units),
            {asset.key: asset.name for asset, _ in units},
            notes=self.options.notes,
            stage=stage,
            redeploy_outdated=self.options.redeploy_outdated,
            allow_warnings=self.options.allow_warnings,
        )


def _runs(running: Mapping[str, RunningState], asset_key: str) -> str | None:
    state = running.get(asset_key)
    return state.unit_key if state is not None else None
