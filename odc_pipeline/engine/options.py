"""What the engine is asked to do, independent of how the pipeline file spells it.

The engine reads a small, frozen description of the run (:class:`EngineSpec`) rather than the
pipeline file's models directly, so the file format can grow (aliases, shorthands, new
defaults) without touching stage logic, and so stage tests can build a spec in one line.
:func:`spec_from_pipeline` is the one adapter between the two.
"""

from __future__ import annotations

import os.path
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from odc_pipeline.errors import UsageError
from odc_pipeline.report import STAGES

DEFAULT_TIMEOUTS: Mapping[str, float] = {
    "configure": 300.0,
    "build": 1200.0,
    "impact-analysis": 600.0,
    "deploy": 1800.0,
    "verify": 600.0,
    "publish": 1200.0,
    "release": 300.0,
}

FAIL_ON = ("errors", "warnings", "never")


@dataclass(frozen=True)
class AssetSpec:
    """One asset named in the file: by name or key, and which revision to bring."""

    name: str | None = None
    key: str | None = None
    revision: str = "latest"
    asset_type: str | None = None  # optional hint, checked against ODC
    package: str | None = None  # an external library package to publish (path as written)
    on_review: str = "accept"  # accept | fail: a generation that stops at ReadyForReview

    @property
    def label(self) -> str:
        return self.name or self.key or self.package or "?"


@dataclass(frozen=True)
class DesiredValue:
    """A value as written: YAML's typed reading and the source text (``010`` stays ``010`` for Text)."""

    value: Any
    text: str
    secret: bool = False  # came from the environment: masked everywhere

    def for_type(self, data_type: str | None) -> Any:
        return self.text if (data_type or "Text").lower() in {"text", "phonenumber", "email"} else self.value


@dataclass(frozen=True)
class AssetConfigSpec:
    """Desired configuration values for one asset, addressed by names (or keys) as in the Portal."""

    settings: Mapping[str, DesiredValue] = field(default_factory=dict)
    timers: Mapping[str, Mapping[str, DesiredValue]] = field(default_factory=dict)
    integrations: Mapping[str, Mapping[str, DesiredValue]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.settings or self.timers or self.integrations)


@dataclass(frozen=True)
class ImpactPolicy:
    fail_on: str = "errors"  # errors | warnings | never
    on_unavailable: str = "warn"  # warn | fail: the tenant cannot run an analysis
    before_deploy: str = "all"  # all | each: which analyses must pass before an app deploys


@dataclass(frozen=True)
class DeployPolicy:
    max_parallel: int | None = None  # None: the platform's own limit (Capabilities.max_parallel)
    on_failure: str = "stop-all"  # stop-all | stop-dependents
    rollback_on_failure: bool = False
    force: bool = False


@dataclass(frozen=True)
class HttpCheck:
    asset: str
    path: str = "/"
    expect_status: int = 200
    contains: str | None = None
    retries: int = 5
    interval_seconds: float = 5.0
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class CodeQualityGate:
    """Upper limits on findings per severity (``critical``, ``high``, …); absent = unlimited."""

    max_findings: Mapping[str, int] = field(default_factory=lambda: {"critical": 0})
    min_quality_score: float | None = None
    on_unavailable: str = "warn"  # the analysis cannot run or finish: warn | fail


@dataclass(frozen=True)
class VerifySpec:
    deployed_revision: bool = True
    http: tuple[HttpCheck, ...] = ()
    code_quality: CodeQualityGate | None = None


@dataclass(frozen=True)
class ReleaseSpec:
    """How the release stage computes each asset's tag and its release notes."""

    version: str | None = None  # explicit Major.Minor.Patch
    bump: str | None = None  # patch | minor | major above the asset's highest tag
    notes: str | None = None
    notes_file: str | None = None  # path as written (relative to the pipeline file)


@dataclass(frozen=True)
class EngineSpec:
    target: str
    assets: tuple[AssetSpec, ...]
    stages: frozenset[str] = frozenset(STAGES)
    configure: Mapping[str, AssetConfigSpec] = field(default_factory=dict)
    force_rebuild: bool = False
    impact: ImpactPolicy = ImpactPolicy()
    deploy: DeployPolicy = DeployPolicy()
    verify: VerifySpec = VerifySpec()
    timeouts: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TIMEOUTS))
    pipeline_file: str = ""
    release: ReleaseSpec | None = None
    base_dir: str = "."  # packages and notes files are relative to the pipeline file's directory
    platform: str = "odc"  # ``platform:`` of the pipeline file: which ``odc_pipeline.platforms`` runs it
    platform_options: Any = None  # the platform's own keys (LifeTime: platforms.lifetime.LifetimeOptions)

    def path(self, relative: str) -> str:
        """``relative`` (as written in the file) as a path from the working directory."""
        return relative if os.path.isabs(relative) else os.path.join(self.base_dir, relative)

    def timeout(self, stage: str) -> float:
        return float(self.timeouts.get(stage, DEFAULT_TIMEOUTS.get(stage, 600.0)))


@dataclass(frozen=True)
class RunOptions:
    """Command-line choices that override or narrow the pipeline file."""

    target: str | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    plan: bool = False
    force: bool = False
    detailed_exitcode: bool = False  # with plan: exit 10 when the plan would change something
    approved: Any = None  # run --from-plan: the ApprovedPlan (engine/approved.py) to apply exactly
    continue_plan: str | None = None  # odc-pipeline continue: the prepared plan to continue (LifeTime)


def parse_stage_list(text: str | None, *, flag: str) -> tuple[str, ...]:
    """``"build, deploy"`` → ``("build", "deploy")``; unknown names are a usage error."""
    if not text:
        return ()
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [n for n in names if n not in STAGES]
    if unknown:
        raise UsageError(f"{flag}: unknown stage {', '.join(unknown)} (stages: {', '.join(STAGES)})")
    return names


def selected_stages(spec: EngineSpec, options: RunOptions) -> tuple[str, ...]:
    """Stages to run, in the product's fixed order: the file's, narrowed by --only / --skip."""
    chosen = [s for s in STAGES if s in spec.stages]
    if options.only:
        chosen = [s for s in STAGES if s in options.only]
    return tuple(s for s in chosen if s not in options.skip)


# --- adapter from the pipeline file models ------------------------------------------------------


def _desired(value: Any) -> DesiredValue:
    """A pipeline_file ConfigValue (or a plain scalar, in tests) → DesiredValue."""
    if isinstance(value, DesiredValue):
        return value
    if hasattr(value, "text") and hasattr(value, "value"):
        return DesiredValue(
            value=value.value, text=str(value.text), secret=bool(getattr(value, "secret", False))
        )
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return DesiredValue(value=value, text=text)


def config_spec(
    settings: Mapping[str, Any] | None = None,
    timers: Mapping[str, Mapping[str, Any]] | None = None,
    integrations: Mapping[str, Mapping[str, Any]] | None = None,
) -> AssetConfigSpec:
    """Build an AssetConfigSpec from plain mappings (values: scalars or ConfigValue)."""
    return AssetConfigSpec(
        settings={k: _desired(v) for k, v in (settings or {}).items()},
        timers={t: {k: _desired(v) for k, v in vals.items()} for t, vals in (timers or {}).items()},
        integrations={
            i: {k: _desired(v) for k, v in vals.items()} for i, vals in (integrations or {}).items()
        },
    )


def _platform_options(pipeline: Any) -> Any:
    if str(getattr(pipeline, "platform", None) or "odc") != "lifetime":
        return None
    from odc_pipeline.platforms.lifetime.options import options_from_pipeline

    return options_from_pipeline(pipeline)


def spec_from_pipeline(pipeline: Any, *, path: str = "") -> EngineSpec:
    """Translate a loaded ``pipeline_file.PipelineFile`` into an EngineSpec."""
    stages = pipeline.stages
    present = frozenset(
        name
        for name, value in (
            ("configure", stages.configure),
            ("build", stages.build),
            ("impact-analysis", stages.impact_analysis),
            ("deploy", stages.deploy),
            ("verify", stages.verify),
            ("release", stages.release),
            ("publish", True if any(a.package for a in pipeline.assets) else None),
        )
        if value is not None
    )
    configure = {
        str(ref): config_spec(entry.settings, entry.timers, entry.integrations)
        for ref, entry in (stages.configure or {}).items()
    }
    impact = stages.impact_analysis
    deploy = stages.deploy
    verify = stages.verify
    gate = verify.code_quality if verify is not None else None
    timeouts = pipeline.timeouts
    return EngineSpec(
        platform=str(getattr(pipeline, "platform", None) or "odc"),
        platform_options=_platform_options(pipeline),
        target=str(pipeline.target or ""),
        assets=tuple(
            AssetSpec(
                name=a.name,
                key=a.key,
                revision=str(a.revision),
                asset_type=str(a.type) if a.type is not None else ("ExternalLibrary" if a.package else None),
                package=a.package,
                on_review=str(a.on_review),
            )
            for a in pipeline.assets
        ),
        stages=present,
        configure=configure,
        force_rebuild=bool(stages.build.force_rebuild) if stages.build is not None else False,
        impact=ImpactPolicy(
            fail_on=str(impact.fail_on) if impact is not None else "errors",
            on_unavailable=str(impact.on_unavailable) if impact is not None else "warn",
            before_deploy=str(impact.before_deploy) if impact is not None else "all",
        ),
        deploy=DeployPolicy(
            max_parallel=int(deploy.max_parallel)
            if deploy is not None and deploy.max_parallel is not None
            else None,
            on_failure=str(deploy.on_failure) if deploy is not None else "stop-all",
            rollback_on_failure=bool(deploy.rollback_on_failure) if deploy is not None else False,
            force=bool(deploy.force) if deploy is not None else False,
        ),
        verify=VerifySpec(
            deployed_revision=bool(verify.deployed_revision) if verify is not None else True,
            http=tuple(
                HttpCheck(
                    asset=str(c.asset),
                    path=str(c.path),
                    expect_status=int(c.expect_status),
                    contains=c.contains,
                    retries=int(c.retries),
                    interval_seconds=float(c.interval),
                    timeout_seconds=float(c.timeout),
                )
                for c in (verify.http if verify is not None else ())
            ),
            code_quality=CodeQualityGate(
                max_findings={
                    severity: int(limit)
                    for severity, limit in (
                        ("critical", gate.max_critical),
                        ("high", gate.max_high),
                        ("medium", gate.max_medium),
                        ("low", gate.max_low),
                    )
                    if limit is not None
                },
                on_unavailable=str(gate.on_unavailable),
            )
            if gate is not None
            else None,
        ),
        timeouts={
            "configure": float(timeouts.configure),
            "build": float(timeouts.build),
            "impact-analysis": float(timeouts.impact_analysis),
            "deploy": float(timeouts.deploy),
            "verify": float(timeouts.verify),
            "publish": float(timeouts.publish),
            "release": float(timeouts.release),
        },
        pipeline_file=path,
        release=ReleaseSpec(
            version=release.version,
            bump=str(release.bump) if release.bump is not None else None,
            notes=release.notes,
            notes_file=release.notes_file,
        )
        if (release := stages.release) is not None
        else None,
        base_dir=os.path.dirname(path) or ".",
    )
