"""The LifeTime tenant file: one simulated OutSystems 11 infrastructure, written by hand in YAML.

Like the ODC tenant file (and parsed by the same position-aware loader,
:func:`odc_pipeline.simulator.tenant.parse_document`), every mistake comes back as ``file:line:
field: message``. Keys are optional: missing ones are derived with ``uuid5`` from the names, so
the same file always yields the same keys (and a manifest written against it stays valid).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from odc_pipeline.simulator.tenant import (
    FaultSpec,
    Path_,
    Problem,  # noqa: F401  (re-exported with the error this module's loader raises)
    TenantFileError,  # noqa: F401
    derive_key,
    fault_problems,
    load_document,
    parse_document,
)

from .faults import LIFETIME_FAULT_NAMES

Outcome = Literal[
    "finished_successful", "finished_with_warnings", "finished_with_errors", "aborted", "deployment_suspended"
]
ConfigKind = Literal["SiteProperty", "REST_Endpoint", "SOAP_Endpoint", "TimerSchedule"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _text(value: object) -> object:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value) if isinstance(value, int | float) else value


class ServiceAccount(_Model):
    name: str
    token: str | None = Field(None, description="the Bearer token (derived from the name when absent)")
    environments: list[str] | None = Field(None, description="environments it may use (default: all)")


class DeploymentZone(_Model):
    name: str
    key: str | None = None
    default: bool = False
    technology: str = "Classic"


class EnvironmentSpec(_Model):
    name: str
    key: str | None = None
    order: int | None = Field(None, description="position in the pipeline (default: file order)")
    host_name: str
    type: Literal["Development", "Test", "Production"] = "Development"
    two_step_deployment: bool = False
    use_https: bool = True
    os_version: str = "11.31.0.45125"
    front_ends: int = Field(1, ge=1)
    deployment_zones: list[DeploymentZone] = Field(default_factory=list)
    maintenance_mode: bool = False


class ConfigItemSpec(_Model):
    """A site property, a consumed REST/SOAP endpoint URL or a timer schedule of a module."""

    name: str
    key: str | None = None
    kind: ConfigKind = "SiteProperty"
    default: str = ""
    values: dict[str, str] = Field(default_factory=dict, description="environment name -> effective value")

    _text_default = field_validator("default", mode="before")(lambda cls, v: _text(v))

    @field_validator("values", mode="before")
    @classmethod
    def _text_values(cls, value: object) -> object:
        return {k: _text(v) for k, v in value.items()} if isinstance(value, dict) else value


class ModuleSpec(_Model):
    name: str
    key: str | None = None
    kind: Literal["eSpace", "Extension"] = "eSpace"
    description: str = ""
    configuration: list[ConfigItemSpec] = Field(default_factory=list)


class VersionSpec(_Model):
    version: str
    key: str | None = None
    change_log: str = ""
    created_on: str | None = Field(None, description="ISO date-time (default: a day apart, oldest first)")
    breaking: bool = Field(False, description="consumers running in the target must be redeployed with it")

    _text_version = field_validator("version", mode="before")(lambda cls, v: _text(v))


class RunningSpec(_Model):
    version: str
    modified: bool = Field(False, description="changed since that tag (IsModified)")
    zone: str | None = Field(None, description="deployment zone name (default: the environment's default)")

    _text_version = field_validator("version", mode="before")(lambda cls, v: _text(v))


class ApplicationSpec(_Model):
    name: str
    key: str | None = None
    kind: Literal["WebResponsive", "Mobile"] = "WebResponsive"
    team: str = ""
    description: str = ""
    url_path: str | None = None
    is_system: bool = False
    depends_on: list[str] = Field(default_factory=list, description="producer applications")
    modules: list[ModuleSpec] = Field(default_factory=list)
    versions: list[VersionSpec] = Field(default_factory=list)
    running: dict[str, RunningSpec | str] = Field(
        default_factory=dict, description="environment name -> version (or {version, modified, zone})"
    )
    blocked_in: list[str] = Field(default_factory=list, description="environments it may not be deployed to")

    @field_validator("running", mode="before")
    @classmethod
    def _text_running(cls, value: object) -> object:
        return {k: _text(v) for k, v in value.items()} if isinstance(value, dict) else value

    def running_in(self, environment: str) -> RunningSpec | None:
        entry = self.running.get(environment)
        return RunningSpec(version=entry) if isinstance(entry, str) else entry


class Durations(_Model):
    """Platform seconds (the simulator's clock): how long LifeTime takes for each step."""

    tag_processing: float = Field(10.0, ge=0, description="a new version becomes usable after this")
    prepare: float = Field(20.0, ge=0, description="stage one: validation and preparation")
    deploy: float = Field(40.0, ge=0, description="stage two: deploying to the target's servers")
    abort: float = Field(5.0, ge=0, description="time spent aborting")


class OutcomeSpec(_Model):
    """How a deployment ends when it deploys ``application`` (at ``version``) to ``environment``."""

    environment: str
    application: str | None = Field(None, description="default: any plan to the environment")
    version: str | None = None
    result: Outcome
    message: str | None = None
    times: int | None = Field(None, ge=1, description="applies to this many plans, then retires")
    deployed: list[str] = Field(
        default_factory=list,
        description="applications of the plan a failed plan (finished_with_errors, aborted) deployed "
        "before it failed (UNDOC: LifeTime may leave a failed plan partly deployed)",
    )

    _text_version = field_validator("version", mode="before")(lambda cls, v: _text(v))


class Undoc(_Model):
    """Answers the sources disagree on or are silent about; each can be rehearsed (README: UNDOC)."""

    deployment_created_status: Literal[201, 200] = 201
    deployment_key_format: Literal["text", "json"] = "text"
    unauthorized_body: Literal["exception", "empty", "html"] = "exception"
    app_not_in_environment: Literal["not_found", "without_status"] = "not_found"
    unprocessed_version: Literal["refused_in_plan", "not_found"] = "refused_in_plan"
    older_version: Literal["conflict", "allowed"] = Field(
        "conflict",
        description="a plan deploying an older version than the target runs (a rollback): a "
        "blocking conflict, or allowed as LifeTime's console allows deploying a previous version",
    )


class LifeTimeTenant(_Model):
    platform: Literal["lifetime"] = "lifetime"
    host_name: str = Field("lifetime.example.com", description="LifeTime's own host name (DetailsURL links)")
    service_accounts: list[ServiceAccount] = Field(min_length=1)
    environments: list[EnvironmentSpec] = Field(min_length=1)
    applications: list[ApplicationSpec] = Field(default_factory=list)
    durations: Durations = Field(default_factory=Durations)
    outcomes: list[OutcomeSpec] = Field(default_factory=list)
    undoc: Undoc = Field(default_factory=Undoc)
    faults: list[FaultSpec] = Field(default_factory=list)

    def token(self, account: ServiceAccount) -> str:
        return account.token or derive_key("lifetime-token", account.name).replace("-", "")


def environment_key(env: EnvironmentSpec) -> str:
    return env.key or derive_key("lifetime-environment", env.name)


def application_key(app: ApplicationSpec) -> str:
    return app.key or derive_key("lifetime-application", app.name)


def module_key(app: ApplicationSpec, module: ModuleSpec) -> str:
    return module.key or derive_key("lifetime-module", app.name, module.name)


def version_key(app: ApplicationSpec, version: VersionSpec) -> str:
    return version.key or derive_key("lifetime-version", app.name, version.version)


def config_key(app: ApplicationSpec, module: ModuleSpec, item: ConfigItemSpec) -> str:
    return item.key or derive_key("lifetime-config", app.name, module.name, item.kind, item.name)


def zone_key(env: EnvironmentSpec, zone: DeploymentZone) -> str:
    return zone.key or derive_key("lifetime-zone", env.name, zone.name)


def load_lifetime_tenant(path: str | Path) -> LifeTimeTenant:
    """Read and check a LifeTime tenant file; raise ``TenantFileError`` naming file, line, field."""
    return load_document(path, parse_lifetime_tenant)


def parse_lifetime_tenant(text: str, *, file: str = "<tenant>") -> LifeTimeTenant:
    return parse_document(
        text, LifeTimeTenant, file=file, check=check_references, what="environments, applications, ..."
    )


def _duplicates(names: list[str], where: tuple[str | int, ...], label: str) -> list[tuple[Path_, str]]:
    seen: set[str] = set()
    problems: list[tuple[Path_, str]] = []
    for index, name in enumerate(names):
        if name in seen:
            problems.append(((*where, index, "name"), f"duplicate {label} name {name!r}"))
        seen.add(name)
    return problems


def check_references(tenant: LifeTimeTenant) -> list[tuple[Path_, str]]:
    """Names that must exist and be unique, versions that must be tagged, one default zone."""
    envs = [e.name for e in tenant.environments]
    apps = {a.name: a for a in tenant.applications}
    problems = _duplicates(envs, ("environments",), "environment")
    problems += _duplicates([a.name for a in tenant.applications], ("applications",), "application")
    problems += _duplicates(
        [s.name for s in tenant.service_accounts], ("service_accounts",), "service account"
    )
    orders = [e.order for e in tenant.environments if e.order is not None]
    if len(orders) != len(set(orders)):
        problems.append((("environments",), "two environments have the same order"))
    for i, env in enumerate(tenant.environments):
        if sum(z.default for z in env.deployment_zones) > 1:
            problems.append((("environments", i, "deployment_zones"), "at most one zone can be the default"))
    for i, account in enumerate(tenant.service_accounts):
        for env_name in account.environments or ():
            if env_name not in envs:
                problems.append(
                    (("service_accounts", i, "environments"), f"unknown environment {env_name!r}")
                )
    for i, app in enumerate(tenant.applications):
        where = ("applications", i)
        tags = [v.version for v in app.versions]
        problems += [
            ((*where, "versions", j, "version"), f"version {tag!r} is tagged twice")
            for j, tag in enumerate(tags)
            if tag in tags[:j]
        ]
        for producer in app.depends_on:
            if producer not in apps or producer == app.name:
                problems.append(((*where, "depends_on"), f"unknown producer application {producer!r}"))
        for env_name in app.blocked_in:
            if env_name not in envs:
                problems.append(((*where, "blocked_in"), f"unknown environment {env_name!r}"))
        for env_name in app.running:
            running = app.running_in(env_name)
            if env_name not in envs:
                problems.append(((*where, "running", env_name), f"unknown environment {env_name!r}"))
            elif running is not None and running.version not in tags:
                problems.append(
                    ((*where, "running", env_name), f"version {running.version!r} is not among the versions")
                )
            elif running is not None and running.zone is not None:
                env = next(e for e in tenant.environments if e.name == env_name)
                if running.zone not in [z.name for z in env.deployment_zones]:
                    problems.append(
                        ((*where, "running", env_name), f"unknown deployment zone {running.zone!r}")
                    )
        for m, module in enumerate(app.modules):
            for c, item in enumerate(module.configuration):
                for env_name in item.values:
                    if env_name not in envs:
                        path = (*where, "modules", m, "configuration", c, "values", env_name)
                        problems.append((path, f"unknown environment {env_name!r}"))
    for i, outcome in enumerate(tenant.outcomes):
        if outcome.environment not in envs:
            problems.append((("outcomes", i, "environment"), f"unknown environment {outcome.environment!r}"))
        if outcome.application is not None and outcome.application not in apps:
            problems.append((("outcomes", i, "application"), f"unknown application {outcome.application!r}"))
        for j, name in enumerate(outcome.deployed):
            if name not in apps:
                problems.append((("outcomes", i, "deployed", j), f"unknown application {name!r}"))
    problems += fault_problems(tenant.faults, LIFETIME_FAULT_NAMES)
    return problems
