"""The simulated tenant's state and the rules that change it.

Handlers translate HTTP into calls here; the rules (what can be deployed, when a tag is
accepted, what a finished deployment changes) live here so tests and ``RunningSimulator.state``
see one consistent model. One re-entrant lock guards everything: the simulator serves a handful
of concurrent pollers, not a production load, and a single lock keeps operations atomic.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any, TypeVar

from odc_pipeline.clock import Clock
from odc_pipeline.simulator import impact
from odc_pipeline.simulator.configs import LIBRARY_PREFIX, AssetConfigs, LibraryLink
from odc_pipeline.simulator.model import (
    Analysis,
    Asset,
    Build,
    CodeAnalysis,
    Deployment,
    GeneratedCode,
    LibraryGeneration,
    Message,
    Revision,
    Running,
    Stage,
    TimedOperation,
)
from odc_pipeline.simulator.objectstore import ObjectStore
from odc_pipeline.simulator.permissions import Grants
from odc_pipeline.simulator.problems import ApiProblem
from odc_pipeline.simulator.queue import StageQueues
from odc_pipeline.simulator.tenant import (
    LIBRARY_TYPES,
    TAG_PATTERN,
    ApiClientSpec,
    AssetSpec,
    OutcomeSpec,
    Tenant,
    derive_key,
)

T = TypeVar("T")

SYSTEM_USER = "00000000-0000-0000-0000-000000000000"
HISTORY_STEP = timedelta(days=3)  # spacing of the tenant's past revisions and deployments


def new_key() -> str:
    return str(uuid.uuid4())


def semver(tag: str) -> tuple[int, int, int]:
    major, minor, patch = (int(p) for p in tag.split("."))
    return major, minor, patch


class TenantState:
    """Everything the simulated organization knows, moving with ``clock``."""

    def __init__(self, tenant: Tenant, clock: Clock) -> None:
        self.tenant = tenant
        self.clock = clock
        self.lock = threading.RLock()
        self.portfolio_key = tenant.portfolio_key
        self.stages: list[Stage] = []
        self.assets: dict[str, Asset] = {}
        self.configs: dict[str, AssetConfigs] = {}
        self.builds: dict[str, Build] = {}
        self.deployments: dict[str, Deployment] = {}
        self.analyses: dict[str, Analysis] = {}
        self.code_analyses: dict[str, CodeAnalysis] = {}
        self.library_generations: dict[str, LibraryGeneration] = {}
        self.objects = ObjectStore(tenant.external_libraries.upload_url_lifetime_seconds)
        self.running: dict[str, dict[str, Running]] = {}  # stage key -> asset key -> Running
        self.system_configs: dict[str, AssetConfigs] = {}  # stage key -> default system configurations
        self.clients: dict[str, ApiClientSpec] = {c.client_id: c for c in tenant.api_clients}
        self.grants: dict[str, Grants] = {}
        self._outcome_uses: dict[int, int] = {}
        self.queues = StageQueues(tenant.deployment_queue.per_stage)
        self._build(tenant)

    # ------------------------------------------------------------------ construction

    def _build(self, tenant: Tenant) -> None:
        now = self.clock.now()
        t_now = self.clock.monotonic()
        for index, spec in enumerate(tenant.stages):
            key = spec.key or derive_key("stage", spec.name)
            order = spec.order if spec.order is not None else index * 1000
            domain = spec.domain or f"{_slug(tenant.organization.name)}-{_slug(spec.name)}.outsystems.app"
            self.stages.append(Stage(key, spec.name, spec.purpose, order, domain, spec.region))
            self.running[key] = {}
            system = AssetConfigs.from_spec(key, _system_spec(spec.system_configurations))
            self.system_configs[key] = system
        self.stages.sort(key=lambda s: s.order)
        name_to_key = {a.name: a.key or derive_key("asset", a.name) for a in tenant.assets}
        for spec in tenant.assets:
            asset = self._asset_from_spec(spec, name_to_key, now)
            self.assets[asset.key] = asset
            for build_spec in spec.builds:
                build = Build(
                    key=build_spec.key
                    or derive_key("build", asset.key, str(build_spec.revision), build_spec.type),
                    t0=t_now - 1,
                    started_at=asset.revisions[build_spec.revision].created_at + timedelta(minutes=5),
                    duration=0,
                    succeeds=build_spec.status == "Finished",
                    asset_key=asset.key,
                    revision=build_spec.revision,
                    build_type=build_spec.type,
                    built_by=SYSTEM_USER,
                    final_status=build_spec.status
                    if build_spec.status in ("Deleted", "ToBeDeleted")
                    else None,
                    finished_applied=True,
                )
                self.builds[build.key] = build
        specs = {name_to_key[spec.name]: spec for spec in tenant.assets}
        for key, asset in self.assets.items():
            self.configs[key] = AssetConfigs.from_spec(
                key, specs[key].configurations, self._bundled_libraries(asset, specs)
            )
        stage_by_name = {s.name: s.key for s in self.stages}
        for client_id, client in self.clients.items():
            granted = {("*" if k == "*" else stage_by_name[k]): v for k, v in client.permissions.items()}
            denied = {("*" if k == "*" else stage_by_name[k]): v for k, v in client.denied.items()}
            self.grants[client_id] = Grants(granted, denied)
        for stage_offset, stage in enumerate(reversed(self.stages)):
            for asset_name, revision in tenant.deployments.get(stage.name, {}).items():
                asset = self.assets[name_to_key[asset_name]]
                deployed_at = now - HISTORY_STEP * (len(self.stages) - stage_offset)
                self._seed_deployment(asset, revision, stage, deployed_at, t_now)

    def _asset_from_spec(self, spec: AssetSpec, name_to_key: dict[str, str], now: datetime) -> Asset:
        key = name_to_key[spec.name]
        listed = {r.revision: r for r in spec.revisions}
        top = max(listed)
        revisions: dict[int, Revision] = {}
        for number in range(1, top + 1):
            source = listed.get(number) or listed[max((n for n in listed if n < number), default=min(listed))]
            exact = number in listed
            revisions[number] = Revision(
                number=number,
                created_at=now - HISTORY_STEP * (top - number + 4),
                created_by=(source.created_by if exact else None) or SYSTEM_USER,
                model_digest=str(uuid.UUID(hashlib.md5(f"{key}/{number}".encode()).hexdigest())),
                tag=source.tag if exact else None,
                release_notes=source.release_notes if exact else None,
                commit_message=(source.commit_message if exact else None) or f"Revision {number}",
                tagged_by=SYSTEM_USER if exact and source.tag else None,
                tagged_at=now - HISTORY_STEP * (top - number + 3) if exact and source.tag else None,
                elements=frozenset(source.elements or ()),
                uses={name_to_key[p]: frozenset(els) for p, els in (source.uses or {}).items()},
                incompatible=frozenset(source.incompatible) if exact else frozenset(),
                quality=source.quality if exact else None,
            )
            quality = revisions[number].quality
            if quality is not None and quality.analysed:
                revisions[number].quality_analysed_at = now - timedelta(days=1)
        return Asset(
            key=key,
            name=spec.name,
            type=spec.type,
            description=spec.description,
            url_path=spec.url_path or _slug(spec.name).replace("-", ""),
            portfolio_key=self.portfolio_key,
            revisions=revisions,
            producer_keys=[name_to_key[p] for p in spec.producers],
        )

    def _bundled_libraries(self, asset: Asset, specs: dict[str, AssetSpec]) -> dict[int, list[LibraryLink]]:
        """Per revision of an app, the configurable libraries it bundles.

        Apps consume libraries at build time; the tenant file does not say which library
        revision each app revision was built with, so every revision bundles the library's
        released one (its highest tag, or its latest revision when it was never tagged).
        """
        if not asset.deployable:
            return {}
        out: dict[int, list[LibraryLink]] = {}
        for number in asset.revisions:
            links = []
            for producer_key in asset.producers_of(number):
                library = self.assets.get(producer_key)
                spec = specs.get(producer_key)
                if library is None or spec is None or library.type not in LIBRARY_TYPES:
                    continue
                configs = spec.configurations
                if not (configs.settings or configs.integrations or configs.system_configurations):
                    continue
                released = self.highest_tagged(library) or library.latest
                links.append(LibraryLink(library.key, library.name, released.number, spec.configurations))
            if links:
                out[number] = links
        return out

    def _seed_deployment(
        self, asset: Asset, revision: int, stage: Stage, deployed_at: datetime, t: float
    ) -> None:
        candidates = [b for b in self.builds.values() if b.asset_key == asset.key and b.revision == revision]
        # Prefer a Release build; a revision with only a Debug build runs where Studio published it.
        candidates.sort(key=lambda b: b.build_type != "Release")
        build = candidates[0] if candidates else None
        if build is None:
            build = Build(
                key=derive_key("build", asset.key, str(revision), "Release"),
                t0=t - 1,
                started_at=deployed_at - timedelta(minutes=10),
                duration=0,
                succeeds=True,
                asset_key=asset.key,
                revision=revision,
                build_type="Release",
                built_by=SYSTEM_USER,
                finished_applied=True,
            )
            self.builds[build.key] = build
        deployment = Deployment(
            key=derive_key("deployment", stage.key, asset.key, str(revision)),
            t0=t - 1,
            started_at=deployed_at - timedelta(seconds=1),
            duration=1,
            succeeds=True,
            operation="Deploy",
            asset_key=asset.key,
            environment_key=stage.key,
            revision=revision,
            build_key=build.key,
            deployed_by=SYSTEM_USER,
            messages=_deploy_messages(asset.name, stage.name, revision, True, None),
            finished_applied=True,
            started_applied=True,
        )
        self.deployments[deployment.key] = deployment
        self.running[stage.key][asset.key] = Running(
            revision, build.key, deployment.key, deployed_at, SYSTEM_USER
        )

    # ------------------------------------------------------------------ time

    def now(self) -> float:
        return self.clock.monotonic()

    def advance(self) -> None:
        """Apply the effects of every operation that has started or finished by now, in order.

        A deployment operation takes the configuration values pending when it starts (after any
        time in its stage queue); values PATCHed while it runs wait for the next one. Every
        request calls this before it changes anything, so processing a start late still sees
        the values as they were at the start.
        """
        with self.lock:
            now = self.now()
            starts = [op for op in self.deployments.values() if not op.started_applied and op.t0 <= now]
            due: list[TimedOperation] = [
                op
                for op in (
                    *self.deployments.values(),
                    *self.code_analyses.values(),
                    *self.library_generations.values(),
                )
                if not op.finished_applied and op.done(now)
            ]
            events = [(op.t0, 0, op) for op in starts] + [(op.t_end, 1, op) for op in due]
            for _, kind, op in sorted(events, key=lambda e: (e[0], e[1])):
                if kind == 0:
                    assert isinstance(op, Deployment)
                    op.started_applied = True
                    op.config_snapshot = self.configs[op.asset_key].pending_snapshot(op.environment_key)
                    continue
                op.finished_applied = True
                if isinstance(op, Deployment):
                    self._finish_deployment(op)
                elif isinstance(op, CodeAnalysis):
                    self._finish_code_analysis(op)
                elif isinstance(op, LibraryGeneration):
                    self._finish_library_generation(op)

    def _finish_deployment(self, op: Deployment) -> None:
        if not op.succeeds:
            return
        stage_running = self.running[op.environment_key]
        if op.operation == "Deploy":
            assert op.revision is not None
            assert op.build_key is not None
            stage_running[op.asset_key] = Running(
                op.revision, op.build_key, op.key, op.finished_at, op.deployed_by
            )
            self.configs[op.asset_key].apply_snapshot(op.environment_key, op.config_snapshot)
        elif op.operation == "ApplyConfigs":
            self.configs[op.asset_key].apply_snapshot(op.environment_key, op.config_snapshot)
        elif op.operation == "Undeploy":
            stage_running.pop(op.asset_key, None)

    def _finish_code_analysis(self, op: CodeAnalysis) -> None:
        if op.terminal == "Completed":
            revision = self.assets[op.asset_key].revisions[op.revision]
            revision.quality_analysed_at = op.finished_at

    def _finish_library_generation(self, op: LibraryGeneration) -> None:
        if not op.succeeds or op.download_error:
            return
        existing = next(
            (a for a in self.assets.values() if a.type == "ExternalLibrary" and a.name == op.library_name),
            None,
        )
        if existing is None:
            key = derive_key("asset", op.library_name)
            existing = Asset(key, op.library_name, "ExternalLibrary", None, None, self.portfolio_key, {}, [])
            self.assets[key] = existing
            self.configs[key] = AssetConfigs(key, {}, {})
            op.is_new_library = True
        else:
            op.is_new_library = False
        number = max(existing.revisions, default=0) + 1
        previous = existing.latest.elements if existing.revisions else frozenset()
        existing.revisions[number] = Revision(
            number=number,
            created_at=op.finished_at,
            created_by=SYSTEM_USER,
            model_digest=new_key(),
            commit_message=f"Generated from {op.file_name}",
            elements=previous,  # a new version keeps the actions it exposed
        )
        op.library_key = existing.key
        op.revision = number

    # ------------------------------------------------------------------ lookups

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise ApiProblem(404, f"Environment {key} was not found.")

    def stage_by_name(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)

    def asset(self, key: str) -> Asset:
        return _lookup(self.assets, key, "Asset")

    def asset_by_name(self, name: str) -> Asset:
        return next(a for a in self.assets.values() if a.name == name)

    def revision(self, asset_key: str, number: int) -> Revision:
        asset = self.asset(asset_key)
        try:
            return asset.revisions[number]
        except KeyError:
            raise ApiProblem(404, f"Revision {number} of asset {asset_key} was not found.") from None

    def highest_tagged(self, asset: Asset) -> Revision | None:
        tagged = [r for r in asset.revisions.values() if r.tag]
        return max(tagged, key=lambda r: semver(r.tag or "0.0.0"), default=None)

    def outcome(
        self,
        operation: str,
        asset_key: str | None,
        revision: int | None,
        stage_key: str | None,
        *,
        asset_name: str | None = None,
    ) -> OutcomeSpec | None:
        """The first tenant outcome matching this operation (consuming one of its ``times``)."""
        if asset_key in self.assets:
            asset_name = self.assets[asset_key].name
        stage_name = next((s.name for s in self.stages if s.key == stage_key), None)
        for index, outcome in enumerate(self.tenant.outcomes):
            if outcome.operation != operation:
                continue
            if outcome.asset is not None and outcome.asset != asset_name:
                continue
            if outcome.revision is not None and outcome.revision != revision:
                continue
            if outcome.stage is not None and outcome.stage != stage_name:
                continue
            used = self._outcome_uses.get(index, 0)
            if outcome.times is not None and used >= outcome.times:
                continue
            self._outcome_uses[index] = used + 1
            return outcome
        return None

    def _started(self, duration: float, succeeds: bool, message: str | None) -> dict[str, Any]:
        """The fields every timed operation starts with: a new key, started now on the clock."""
        return {
            "key": new_key(),
            "t0": self.now(),
            "started_at": self.clock.now(),
            "duration": duration,
            "succeeds": succeeds,
            "message": message,
        }

    @staticmethod
    def _timing(default: float, outcome: OutcomeSpec | None) -> tuple[float, bool, str | None]:
        duration = outcome.duration if outcome and outcome.duration is not None else default
        succeeds = outcome is None or outcome.result == "success"
        return duration, succeeds, outcome.message if outcome else None

    # ------------------------------------------------------------------ builds

    def start_build(self, asset_key: str, revision: int, build_type: str, client_id: str) -> Build:
        self.revision(asset_key, revision)
        outcome = self.outcome("build", asset_key, revision, None)
        duration, succeeds, message = self._timing(self.tenant.durations.build, outcome)
        build = Build(
            **self._started(duration, succeeds, message),
            asset_key=asset_key,
            revision=revision,
            build_type=build_type,
            built_by=client_id,
            bundled=self._bundled_at_build(asset_key, revision),
        )
        self.builds[build.key] = build
        return build

    def _bundled_at_build(self, asset_key: str, revision: int) -> tuple[tuple[str, int, str | None], ...]:
        """The library revisions a build starting now compiles in: each one's released revision.

        Like ``_bundled_libraries``: the highest tagged revision, else the latest one. A library
        released just before the build is therefore what the build sees (its log says so).
        """
        out = []
        for producer_key in self.assets[asset_key].producers_of(revision):
            library = self.assets.get(producer_key)
            if library is None or library.type not in LIBRARY_TYPES:
                continue
            released = self.highest_tagged(library) or library.latest
            out.append((library.name, released.number, released.tag))
        return tuple(out)

    def build(self, key: str) -> Build:
        return _lookup(self.builds, key, "Build")

    def build_messages(self, build: Build) -> list[dict[str, Any]]:
        now = self.now()
        asset = self.assets[build.asset_key]
        status = build.status(now)
        stamp = build.started_at
        messages = [
            (
                stamp,
                "Info",
                f"Build of {asset.name} revision {build.revision} ({build.build_type}) queued.",
                None,
            )
        ]
        for name, number, tag in build.bundled:
            released = f" ({tag})" if tag else ""
            messages.append((stamp, "Info", f"Using library {name} revision {number}{released}.", None))
        if status != "Pending":
            messages.append(
                (build.wall(build.t0 + build.duration * 0.1), "Info", "Compiling application.", None)
            )
        if status == "Finished":
            messages.append((build.finished_at, "Info", "Build finished successfully.", None))
        elif status == "FinishedWithErrors":
            text = (
                build.message or f"Compilation of {asset.name} failed: 1 error in revision {build.revision}."
            )
            messages.append((build.finished_at, "Error", text, "OS-BLD-FE-40001"))
        return [
            {
                "timestamp": _iso(ts),
                "type": "Compilation",
                "severity": severity,
                "message": text,
                "stepId": f"step-{i + 1}",
                "assetKey": build.asset_key,
                "errorCode": code,
            }
            for i, (ts, severity, text, code) in enumerate(messages)
        ]

    def start_generated_code(self, build: Build) -> None:
        if build.status(self.now()) != "Finished":
            raise ApiProblem(422, "Build is not valid for generated code packaging.")
        outcome = self.outcome("generated_code", build.asset_key, build.revision, None)
        duration, succeeds, message = self._timing(self.tenant.durations.generated_code, outcome)
        op = TimedOperation(new_key(), self.now(), self.clock.now(), duration, succeeds, message)
        build.generated_code = GeneratedCode(op, f"/_simulator/generated-code/{build.key}.zip")

    # ------------------------------------------------------------------ tags

    def set_tag(self, asset_key: str, number: int, body: dict[str, Any], client_id: str) -> None:
        asset = self.asset(asset_key)
        revision = self.revision(asset_key, number)
        has_tag = "tag" in body
        tag = body.get("tag")
        if has_tag and tag is not None:
            if not TAG_PATTERN.match(tag):
                raise ApiProblem(
                    400, f"Tag {tag!r} must have the Major.Minor.Patch format.", error_code="OS-APPS-40020"
                )
            if any(r.tag == tag for r in asset.revisions.values()):
                raise ApiProblem(400, "Tag already in use.", error_code="OS-APPS-40021")
            highest = self.highest_tagged(asset)
            if highest is not None and semver(tag) <= semver(highest.tag or "0.0.0"):
                raise ApiProblem(
                    400,
                    f"Tag {tag} must be higher than the highest tag {highest.tag} "
                    f"(revision {highest.number}).",
                    error_code="OS-APPS-40022",
                )
        effective_tag = tag if has_tag else revision.tag
        if body.get("releaseNotes") is not None and effective_tag is None:
            raise ApiProblem(400, "Release notes can't be set without a tag.", error_code="OS-APPS-40023")
        if has_tag:
            revision.tag = tag
            revision.tagged_by = client_id if tag else None
            revision.tagged_at = self.clock.now() if tag else None
            if tag is None:
                revision.release_notes = None
        if "releaseNotes" in body:
            revision.release_notes = body["releaseNotes"]
        if "commitMessage" in body:
            revision.commit_message = body["commitMessage"]

    # ------------------------------------------------------------------ analyses

    def start_analysis(self, asset_key: str, revision: int, environment_key: str) -> Analysis:
        asset = self.asset(asset_key)
        self.revision(asset_key, revision)
        self.stage(environment_key)
        if not asset.deployable:
            raise ApiProblem(400, f"{asset.name} is a {asset.type}: libraries are released, not deployed.")
        outcome = self.outcome("analysis", asset_key, revision, environment_key)
        if outcome is not None and outcome.result == "unavailable":
            raise ApiProblem(404, "Not Found")
        duration, succeeds, message = self._timing(self.tenant.durations.analysis, outcome)
        report = impact.deployment_report(asset, revision, self.running[environment_key], self.assets)
        analysis = Analysis(
            **self._started(duration, succeeds, message),
            asset_key=asset_key,
            revision=revision,
            environment_key=environment_key,
            report=report,
        )
        self.analyses[analysis.key] = analysis
        return analysis

    def analysis(self, key: str) -> Analysis:
        return _lookup(self.analyses, key, "Analysis")

    # ------------------------------------------------------------------ deployments

    def start_deployment(
        self,
        operation: str,
        *,
        asset_key: str,
        environment_key: str,
        revision: int | None,
        build_key: str | None,
        client_id: str,
    ) -> Deployment:
        stage = self.stage(environment_key)
        asset = self.asset(asset_key)
        if not asset.deployable:
            raise ApiProblem(
                400, f"{asset.name} is a {asset.type}: libraries are released by tagging, not deployed."
            )
        running = self.running[stage.key].get(asset_key)
        if operation == "Deploy":
            if revision is None or build_key is None:
                raise ApiProblem(400, "buildKey and revision are mandatory for a Deploy operation.")
            build = self.build(build_key)
            if build.asset_key != asset_key or build.revision != revision:
                raise ApiProblem(
                    400, f"Build {build_key} is not a build of revision {revision} of {asset.name}."
                )
            if build.build_type != "Release":
                raise ApiProblem(400, "Only Release builds can be deployed; this build is a Debug build.")
            if build.status(self.now()) != "Finished":
                raise ApiProblem(
                    400, f"Build {build_key} is {build.status(self.now())}; only finished builds deploy."
                )
        elif operation == "ApplyConfigs":
            if running is None:
                raise ApiProblem(400, f"{asset.name} is not deployed in {stage.name}; nothing to apply.")
            if revision is not None and revision != running.revision:
                raise ApiProblem(
                    400, f"{stage.name} runs revision {running.revision} of {asset.name}, not {revision}."
                )
            revision = running.revision
        elif running is None:  # Undeploy
            raise ApiProblem(400, f"{asset.name} is not deployed in {stage.name}.")
        kind = {"Deploy": "deployment", "ApplyConfigs": "apply_configs", "Undeploy": "deployment"}[operation]
        default = {
            "Deploy": self.tenant.durations.deployment,
            "ApplyConfigs": self.tenant.durations.apply_configs,
            "Undeploy": self.tenant.durations.undeploy,
        }[operation]
        outcome = self.outcome(kind, asset_key, revision, environment_key)
        duration, succeeds, message = self._timing(default, outcome)
        if operation == "Deploy":
            messages = _deploy_messages(asset.name, stage.name, revision, succeeds, message)
        else:
            messages = _simple_messages(operation, asset.name, stage.name, succeeds, message)
        now, wall = self.now(), self.clock.now()
        start = self.queues.start_time(stage.key, now, duration)
        if start > now:
            ahead = sum(
                1
                for op in self.deployments.values()
                if op.environment_key == stage.key and op.created_t is not None and not op.done(now)
            )
            messages.insert(
                0,
                Message(
                    0.0,
                    "Info",
                    f"{operation} of {asset.name} in {stage.name} is queued behind {ahead} "
                    "other operation(s) in this stage.",
                    step_id="queue",
                    t=now,
                ),
            )
        deployment = Deployment(
            key=new_key(),
            t0=start,
            started_at=wall + timedelta(seconds=start - now),
            created_t=now,
            created_at=wall,
            duration=duration,
            succeeds=succeeds,
            message=message,
            operation=operation,
            asset_key=asset_key,
            environment_key=environment_key,
            revision=revision if operation != "Undeploy" else (running.revision if running else None),
            build_key=build_key if operation == "Deploy" else (running.build_key if running else None),
            deployed_by=client_id,
            messages=messages,
        )
        self.deployments[deployment.key] = deployment
        return deployment

    def deployment(self, key: str) -> Deployment:
        return _lookup(self.deployments, key, "Deployment operation")

    # ------------------------------------------------------------------ code quality

    def start_code_analysis(self, asset_key: str, revision: int) -> CodeAnalysis:
        self.revision(asset_key, revision)
        outcome = self.outcome("code_analysis", asset_key, revision, None)
        duration, _, message = self._timing(self.tenant.durations.code_analysis, outcome)
        terminal = {"failure": "Failed", "timeout": "Timeout", "unavailable": "Failed"}.get(
            outcome.result if outcome else "success", "Completed"
        )
        analysis = CodeAnalysis(
            **self._started(duration, terminal == "Completed", message),
            asset_key=asset_key,
            revision=revision,
            terminal=terminal,
        )
        self.code_analyses[analysis.key] = analysis
        return analysis

    # ------------------------------------------------------------------ external libraries

    def start_library_generation(self, file_name: str, binary_uri: str) -> LibraryGeneration:
        """Start generating; the package is fetched from ``binary_uri`` now (DownloadError if not)."""
        name = library_name(file_name)
        existing = next(
            (a for a in self.assets.values() if a.type == "ExternalLibrary" and a.name == name), None
        )
        outcome = self.outcome(
            "library_generation", existing.key if existing else None, None, None, asset_name=name
        )
        duration, succeeds, message = self._timing(self.tenant.durations.library_generation, outcome)
        stored = self.objects.uploaded(binary_uri, self.now())
        local = binary_uri.split("?", 1)[0].rsplit("/", 2)[-2:-1] == ["downloads"]
        generation = LibraryGeneration(
            **self._started(duration, succeeds, message),
            file_name=file_name,
            binary_uri=binary_uri,
            library_name=name,
            download_error=(outcome is not None and outcome.result == "download-error")
            or (local and stored is None),
            review_required=self.tenant.external_libraries.review == "required",
            package_sha256=stored.sha256 if stored else None,
        )
        self.library_generations[generation.key] = generation
        return generation

    def generation_messages(self, op: LibraryGeneration) -> list[dict[str, Any]]:
        """``validationMessages`` of a generation as its log shows them so far."""
        now = self.now()
        status = op.status(now, False)
        messages = [{"errorCode": None, "message": f"Downloading {op.file_name}.", "type": "Information"}]
        if status == "DownloadError":
            text = op.message or f"Could not download {op.file_name} from the given URI (missing or expired)."
            messages.append({"errorCode": "OS-ELG-MODL-05002", "message": text, "type": "Error"})
            return messages
        if status == "Downloading":
            return messages
        messages.append(
            {"errorCode": None, "message": "Generating the library model.", "type": "Information"}
        )
        if status == "GenerationError":
            text = op.message or f"{op.file_name}: no public static method is exposed by the library."
            messages.append(
                {
                    "errorCode": None,
                    "message": "Assembly scanned; checking the exposed actions.",
                    "type": "Warning",
                }
            )
            messages.append({"errorCode": "OS-ELG-MODL-05011", "message": text, "type": "Error"})
        elif op.done(now):
            messages.append(
                {"errorCode": None, "message": f"Library {op.library_name} generated.", "type": "Information"}
            )
        return messages

    # ------------------------------------------------------------------ inspection helpers

    def running_revision(self, stage_name: str, asset_name: str) -> int | None:
        """What ``stage_name`` runs of ``asset_name`` (for tests and users inspecting state)."""
        with self.lock:
            self.advance()
            entry = self.running[self.stage_by_name(stage_name).key].get(self.asset_by_name(asset_name).key)
            return entry.revision if entry else None

    def config_values(self, stage_name: str, asset_name: str) -> dict[str, dict[str, str | None]]:
        """``{config name: {"value", "deployedValue"}}`` including secrets (never shown over HTTP)."""
        with self.lock:
            self.advance()
            stage = self.stage_by_name(stage_name)
            asset = self.asset_by_name(asset_name)
            configs = self.configs[asset.key]
            out = {}
            for definition in configs.definitions.values():
                value = configs.value(stage.key, definition, stage.name)
                label = definition.item.name
                if definition.group_key:
                    label = f"{configs.groups[(definition.item_id[0], definition.group_key)].name}.{label}"
                if definition.item_id[0].startswith(LIBRARY_PREFIX):
                    library_key = definition.item_id[0].split("/")[1]
                    label = f"{configs.libraries[library_key].name}/{label}"
                out[label] = {"value": value.value, "deployedValue": value.deployed_value}
            return out

    def secret_config_keys(self) -> set[str]:
        """Keys of every secret configuration item (the request log masks their values)."""
        return {
            definition.key
            for configs in (*self.configs.values(), *self.system_configs.values())
            for definition in configs.definitions.values()
            if definition.item.secret
        }


def _lookup(table: dict[str, T], key: str, what: str) -> T:
    """``table[key]``, or the 404 the API answers for an unknown ``what``."""
    try:
        return table[key]
    except KeyError:
        raise ApiProblem(404, f"{what} {key} was not found.") from None


def library_name(file_name: str) -> str:
    """The external library a generation from ``file_name`` creates or adds a revision to."""
    return file_name.rsplit("/", 1)[-1].removesuffix(".zip") or "ExternalLibrary"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _system_spec(items: list[Any]) -> Any:
    from odc_pipeline.simulator.tenant import Configurations

    return Configurations(system_configurations=items)


def _deploy_messages(
    asset: str, stage: str, revision: int | None, succeeds: bool, message: str | None
) -> list[Message]:
    messages = [
        Message(
            0.0, "Info", f"Deployment of {asset} revision {revision} to {stage} started.", step_id="prepare"
        ),
        Message(0.2, "Info", "Applying pending configurations.", step_id="configure"),
        Message(0.5, "Info", f"Deploying {asset} to {stage}.", step_id="deploy"),
    ]
    if succeeds:
        messages.append(
            Message(1.0, "Info", f"{asset} revision {revision} is live in {stage}.", step_id="finish")
        )
    else:
        messages.append(
            Message(0.9, "Warning", "Deployment step reported a problem; rolling back.", step_id="deploy")
        )
        messages.append(
            Message(
                1.0, "Error", message or f"Deployment of {asset} to {stage} failed.", "OS-DPL-50001", "finish"
            )
        )
    return messages


def _simple_messages(
    operation: str, asset: str, stage: str, succeeds: bool, message: str | None
) -> list[Message]:
    verb = {"ApplyConfigs": "Applying configurations of", "Undeploy": "Undeploying"}[operation]
    messages = [Message(0.0, "Info", f"{verb} {asset} in {stage}.", step_id="start")]
    if succeeds:
        messages.append(
            Message(1.0, "Info", f"{operation} of {asset} in {stage} finished.", step_id="finish")
        )
    else:
        messages.append(
            Message(1.0, "Error", message or f"{operation} of {asset} in {stage} failed.", "OS-DPL-50002")
        )
    return messages
