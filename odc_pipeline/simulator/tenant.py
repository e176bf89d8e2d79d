"""The tenant file: a YAML description of one simulated ODC organization.

Users write these files by hand to rehearse a pipeline, so every mistake must come back as a
sentence naming the file, the line and the field (never a traceback). Parsing happens in two
passes: PyYAML composes the node tree (which knows line numbers) and pydantic checks shapes;
a last pass checks references between sections (a producer or stage that does not exist).

Keys (asset, stage, configuration keys) are optional in the file: missing ones are derived
with ``uuid5`` from the names, so the same file always yields the same keys.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from odc_pipeline.errors import UsageError
from odc_pipeline.simulator.faults import FAULT_NAMES, FaultError, make_fault
from odc_pipeline.simulator.permissions import ALL, ALL_PERMISSIONS

KEY_NAMESPACE = uuid.UUID("6f1c1c9e-5a0e-4a39-9a57-0d1c0de0dc01")
KNOWN_PERMISSIONS = frozenset({ALL, *ALL_PERMISSIONS})
TAG_PATTERN = re.compile(r"^\d+\.\d+\.\d+$")

AssetType = Literal[
    "WebApplication", "MobileApplication", "LowCodeLibrary", "ExternalLibrary", "Workflow", "Agent"
]
DEPLOYABLE_TYPES = frozenset({"WebApplication", "MobileApplication", "Workflow", "Agent"})
LIBRARY_TYPES = frozenset({"LowCodeLibrary", "ExternalLibrary"})
DataType = Literal[
    "Text",
    "Integer",
    "LongInteger",
    "Decimal",
    "Boolean",
    "DateTime",
    "Date",
    "Time",
    "PhoneNumber",
    "Email",
    "Currency",
    "EntityIdentifierType",
    "BinaryUrl",
]
Operation = Literal[
    "build",
    "deployment",
    "apply_configs",
    "analysis",
    "code_analysis",
    "generated_code",
    "library_generation",
    "app_http",
]
OutcomeResult = Literal["success", "failure", "unavailable", "timeout", "download-error"]


def derive_key(*parts: str) -> str:
    """A stable GUID for an entity the tenant file did not give a key to."""
    return str(uuid.uuid5(KEY_NAMESPACE, "/".join(parts)))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigItem(_Model):
    """One configuration value (a setting, a timer field, an integration field)."""

    name: str
    key: str | None = None
    description: str | None = None
    data_type: DataType = "Text"
    default: str | None = None
    secret: bool = False
    since_revision: int = 1
    values: dict[str, str] = Field(default_factory=dict, description="deployed value per stage name")

    @field_validator("values", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v if isinstance(v, str) or v is None else _yaml_scalar(v) for k, v in value.items()}
        return value

    @field_validator("default", mode="before")
    @classmethod
    def _stringify_default(cls, value: Any) -> Any:
        return value if value is None or isinstance(value, str) else _yaml_scalar(value)


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


class ConfigGroup(_Model):
    """A timer or an integration: a named group of configuration values."""

    name: str
    key: str | None = None
    description: str | None = None
    plugin_type: str | None = None
    since_revision: int = 1
    configs: list[ConfigItem] | None = None


class Configurations(_Model):
    settings: list[ConfigItem] = Field(default_factory=list)
    timers: list[ConfigGroup] = Field(default_factory=list)
    integrations: list[ConfigGroup] = Field(default_factory=list)
    system_configurations: list[ConfigItem] = Field(default_factory=list)


class Quality(_Model):
    """Code-quality result of a revision: score and findings per category and severity."""

    score: float = 100.0
    security: dict[Literal["low", "medium", "high", "critical"], int] = Field(default_factory=dict)
    performance: dict[Literal["low", "medium", "high", "critical"], int] = Field(default_factory=dict)
    architecture: dict[Literal["low", "medium", "high", "critical"], int] = Field(default_factory=dict)
    maintainability: dict[Literal["low", "medium", "high", "critical"], int] = Field(default_factory=dict)
    analysed: bool = Field(False, description="an analysis summary exists already (else 404 until analysed)")


class RevisionSpec(_Model):
    revision: int = Field(ge=1)
    tag: str | None = None
    release_notes: str | None = None
    commit_message: str | None = None
    created_by: str | None = None
    elements: list[str] | None = Field(None, description="public elements this revision exposes")
    uses: dict[str, list[str]] | None = Field(None, description="producer name -> elements it uses")
    incompatible: list[str] = Field(default_factory=list, description="elements whose signature changed")
    quality: Quality | None = None

    @field_validator("tag")
    @classmethod
    def _tag_format(cls, value: str | None) -> str | None:
        if value is not None and not TAG_PATTERN.match(value):
            raise ValueError("must be Major.Minor.Patch, e.g. 1.2.0")
        return value


class BuildSpec(_Model):
    """A build that already exists when the simulator starts."""

    revision: int
    type: Literal["Debug", "Release"] = "Release"
    status: Literal["Finished", "FinishedWithErrors", "Deleted", "ToBeDeleted"] = "Finished"
    key: str | None = None


class AssetSpec(_Model):
    name: str = Field(min_length=1)
    key: str | None = None
    type: AssetType
    description: str | None = None
    url_path: str | None = None
    producers: list[str] = Field(default_factory=list, description="names of assets this one depends on")
    revisions: list[RevisionSpec] = Field(min_length=1)
    configurations: Configurations = Field(default_factory=Configurations)
    builds: list[BuildSpec] = Field(default_factory=list)


class StageSpec(_Model):
    name: str = Field(min_length=1)
    key: str | None = None
    purpose: Literal["Development", "NonProduction", "Production"] | None = None
    order: int | None = None
    domain: str | None = None
    region: str = "eu-central-1"
    system_configurations: list[ConfigItem] = Field(default_factory=list)


class ApiClientSpec(_Model):
    """An API client with per-stage permissions (``"*"`` grants in every stage)."""

    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    default: bool = False
    suspended: bool = False
    permissions: dict[str, list[str]] = Field(default_factory=lambda: {"*": ["all"]})
    denied: dict[str, list[str]] = Field(default_factory=dict)


class OutcomeSpec(_Model):
    """Make matching operations fail, take longer, or be unavailable."""

    operation: Operation
    asset: str | None = None
    revision: int | None = None
    stage: str | None = None
    result: OutcomeResult = "success"
    duration: float | None = Field(None, ge=0)
    message: str | None = None
    times: int | None = Field(None, ge=1, description="apply to the first N matching operations only")


class Durations(_Model):
    """Platform seconds each kind of operation takes (scaled by the clock, not here)."""

    build: float = Field(60.0, ge=0)
    deployment: float = Field(90.0, ge=0)
    apply_configs: float = Field(30.0, ge=0)
    undeploy: float = Field(30.0, ge=0)
    analysis: float = Field(3.0, ge=0)
    code_analysis: float = Field(20.0, ge=0)
    generated_code: float = Field(30.0, ge=0)
    library_generation: float = Field(30.0, ge=0)


class ExternalLibraries(_Model):
    """How the tenant treats external library packages (odc-api-notes §3.7)."""

    review: Literal["required", "none"] = Field(
        "required",
        description="required: a generation stops at ReadyForReview until its revision is released "
        "(tagged); none: it goes on to Completed by itself",
    )
    upload_url_lifetime_seconds: float = Field(
        900.0, gt=0, description="how long GET /uploads' pre-signed URLs stay valid (UNDOC; S3-style)"
    )


class DependencyGraph(_Model):
    """What the producers read says about each producer's own producers (UNDOC)."""

    producer_references: Literal["listed", "omitted"] = Field(
        "listed",
        description="listed: every producer entry carries the keys of its own producers, as the "
        "spec describes; omitted: entries carry producers: null (a server that leaves it out)",
    )


class BuildListing(_Model):
    """What ``GET /build-operations`` answers without ``assetKey`` (UNDOC).

    The spec types every filter as optional but summarises the call as "builds created for a
    given revision of a given asset", so a tenant-wide listing may be answered in full,
    refused, answered empty, or cut short; the client must decide the same in every case.
    """

    without_asset_key: Literal["all", "rejected", "not-found", "empty", "capped"] = Field(
        "all",
        description="all: every build matching the other filters (the spec's optional filters); "
        "rejected: 400; not-found: 404 as for an unknown asset; empty: no builds; capped: only "
        "the oldest `cap` builds (a server that cuts unpaged answers short)",
    )
    cap: int = Field(50, ge=0, description="builds a capped answer holds")


class RateLimits(_Model):
    enabled: bool = True
    domain_per_minute: int = Field(100, ge=1)
    post_per_minute: int = Field(10, ge=1)


class DeploymentQueue(_Model):
    """How many deployment operations one stage runs at once (odc-api-notes §11.6).

    The platform accepts several Deploy operations on a stage at the same time and queues them;
    a queued operation already answers ``Running`` (the Status enum has nothing else) and only
    starts its own duration when a slot frees up, first come first served. How many run at once
    is not documented, so the default is no limit (every operation starts when accepted); set
    ``per_stage: 1`` to rehearse a pipeline against strictly one-at-a-time stages, where a stage
    timeout also has to cover the time spent waiting in the queue.
    """

    per_stage: int | None = Field(
        None, ge=1, description="operations that run at once in one stage (null: no limit)"
    )


class FaultSpec(_Model):
    """A fault switched on from the start (same names and options as ``--fault``)."""

    name: str
    options: dict[str, str | int | float] = Field(default_factory=dict)


class Organization(_Model):
    name: str = "Simulated organization"
    portfolio_key: str | None = None


class Tenant(_Model):
    organization: Organization = Field(default_factory=Organization)
    token_lifetime_seconds: float = Field(43200.0, gt=0)
    durations: Durations = Field(default_factory=Durations)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    deployment_queue: DeploymentQueue = Field(default_factory=DeploymentQueue)
    external_libraries: ExternalLibraries = Field(default_factory=ExternalLibraries)
    dependency_graph: DependencyGraph = Field(default_factory=DependencyGraph)
    build_listing: BuildListing = Field(default_factory=BuildListing)
    api_clients: list[ApiClientSpec] = Field(min_length=1)
    stages: list[StageSpec] = Field(min_length=1)
    assets: list[AssetSpec] = Field(default_factory=list)
    deployments: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="stage name -> asset name -> revision running today"
    )
    outcomes: list[OutcomeSpec] = Field(default_factory=list)
    faults: list[FaultSpec] = Field(default_factory=list)

    @property
    def portfolio_key(self) -> str:
        return self.organization.portfolio_key or derive_key("portfolio", self.organization.name)

    def default_client(self) -> ApiClientSpec:
        return next((c for c in self.api_clients if c.default), self.api_clients[0])


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


class TenantFileError(UsageError):
    """The tenant file cannot be used; carries every problem found, each with its line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"invalid tenant file ({len(problems)} problem(s)):\n{lines}")


Path_ = tuple[str | int, ...]


def _positions(node: yaml.Node, path: Path_, out: dict[Path_, int]) -> None:
    """Record the line of every mapping key and sequence item (keys win over their values)."""
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            out.setdefault(child, key_node.start_mark.line + 1)
            _positions(value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _positions(item, (*path, index), out)


def _line_for(path: Path_, positions: dict[Path_, int]) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in positions:
            return positions[path[:end]]
    return None


def _field_name(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def load_tenant(path: str | Path) -> Tenant:
    """Read and check a tenant file; raise :class:`TenantFileError` naming file, line, field."""
    return load_document(path, parse_tenant)


def load_document(path: str | Path, parse: Callable[..., M]) -> M:
    """``parse(text, file=...)`` of the file at ``path``; an unreadable file is a TenantFileError too."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TenantFileError([Problem(file, None, "(file)", exc.strerror or str(exc))]) from None
    return parse(text, file=file)


def fault_problems(
    faults: Iterable[FaultSpec], known: tuple[str, ...] = FAULT_NAMES
) -> list[tuple[Path_, str]]:
    """Each ``faults`` entry a ``known`` fault with valid options (both tenant files' check)."""
    problems: list[tuple[Path_, str]] = []
    for fi, fault in enumerate(faults):
        try:
            make_fault(fault.name, known=known, **fault.options)
        except FaultError as exc:
            problems.append((("faults", fi), str(exc)))
    return problems


def parse_tenant(text: str, *, file: str = "<tenant>") -> Tenant:
    return parse_document(text, Tenant, file=file, check=check_references)


M = TypeVar("M", bound=BaseModel)


def parse_document(
    text: str,
    model: type[M],
    *,
    file: str,
    check: Callable[[M], list[tuple[Path_, str]]],
    what: str = "stages, assets, ...",
) -> M:
    """YAML text → ``model``, every problem named by file, line and field (both simulators' tenants)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        if "'\\t'" in problem:
            problem += " (indent YAML with spaces, not tabs)"
        raise TenantFileError([Problem(file, line, "(syntax)", problem)]) from None
    if not isinstance(data, dict):
        raise TenantFileError([Problem(file, 1, "(document)", f"must be a mapping ({what})")])
    positions: dict[Path_, int] = {}
    if node is not None:
        _positions(node, (), positions)
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            problems.append(Problem(file, _line_for(loc, positions), _field_name(loc), error["msg"]))
        raise TenantFileError(problems) from None
    problems = [
        Problem(file, _line_for(loc, positions), _field_name(loc), message) for loc, message in check(parsed)
    ]
    if problems:
        raise TenantFileError(problems)
    return parsed


def check_references(tenant: Tenant) -> list[tuple[Path_, str]]:
    """Cross-section checks pydantic cannot do: names that must exist, unique names and keys."""
    problems: list[tuple[Path_, str]] = []
    stage_names = [s.name for s in tenant.stages]
    asset_by_name = {a.name: a for a in tenant.assets}
    for label, names in (("stage", stage_names), ("asset", [a.name for a in tenant.assets])):
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                problems.append(((f"{label}s", index, "name"), f"duplicate {label} name {name!r}"))
            seen.add(name)
    client_ids = [c.client_id for c in tenant.api_clients]
    if len(set(client_ids)) != len(client_ids):
        problems.append((("api_clients",), "client_id values must be unique"))
    for ci, client in enumerate(tenant.api_clients):
        for section in ("permissions", "denied"):
            for stage, names in getattr(client, section).items():
                if stage != "*" and stage not in stage_names:
                    problems.append((("api_clients", ci, section, stage), f"unknown stage {stage!r}"))
                for pi, name in enumerate(names):
                    if name not in KNOWN_PERMISSIONS:
                        problems.append(
                            (
                                ("api_clients", ci, section, stage, pi),
                                f"unknown permission {name!r}; use 'all' or "
                                "a spec name such as 'Release management > Deploy assets'",
                            )
                        )
    problems += fault_problems(tenant.faults)
    for ai, asset in enumerate(tenant.assets):
        numbers = [r.revision for r in asset.revisions]
        if len(set(numbers)) != len(numbers):
            problems.append((("assets", ai, "revisions"), "revision numbers must be unique"))
        tags = [r.tag for r in asset.revisions if r.tag]
        if len(set(tags)) != len(tags):
            problems.append((("assets", ai, "revisions"), "a tag can be on one revision only"))
        for pi, producer in enumerate(asset.producers):
            if producer not in asset_by_name:
                problems.append((("assets", ai, "producers", pi), f"unknown asset {producer!r}"))
            elif producer == asset.name:
                problems.append((("assets", ai, "producers", pi), "an asset cannot depend on itself"))
        for ri, revision in enumerate(asset.revisions):
            for producer in revision.uses or {}:
                if producer not in asset_by_name:
                    problems.append((("assets", ai, "revisions", ri, "uses", producer), "unknown asset"))
        problems.extend(_config_stage_problems(ai, asset.configurations, stage_names))
        if asset.type in LIBRARY_TYPES and asset.configurations.timers:
            problems.append(
                (
                    ("assets", ai, "configurations", "timers"),
                    "a library's configurations are settings, integrations and system "
                    "configurations only (the API shows no library timers)",
                )
            )
        for bi, build in enumerate(asset.builds):
            if build.revision not in numbers and build.revision > max(numbers):
                problems.append((("assets", ai, "builds", bi, "revision"), "no such revision"))
    for stage, running in tenant.deployments.items():
        if stage not in stage_names:
            problems.append((("deployments", stage), f"unknown stage {stage!r}"))
        for name, revision in running.items():
            asset = asset_by_name.get(name)
            if asset is None:
                problems.append((("deployments", stage, name), f"unknown asset {name!r}"))
            elif asset.type not in DEPLOYABLE_TYPES:
                problems.append((("deployments", stage, name), f"{asset.type} assets are not deployed"))
            elif revision < 1 or revision > max(r.revision for r in asset.revisions):
                problems.append((("deployments", stage, name), f"asset has no revision {revision}"))
    for oi, outcome in enumerate(tenant.outcomes):
        # A library generation may create its library: its asset is the library it names.
        new_library = outcome.operation == "library_generation"
        if outcome.asset is not None and outcome.asset not in asset_by_name and not new_library:
            problems.append((("outcomes", oi, "asset"), f"unknown asset {outcome.asset!r}"))
        if outcome.stage is not None and outcome.stage not in stage_names:
            problems.append((("outcomes", oi, "stage"), f"unknown stage {outcome.stage!r}"))
    return problems


def _config_stage_problems(
    ai: int, configs: Configurations, stage_names: list[str]
) -> list[tuple[Path_, str]]:
    """Per-stage values must name stages that exist (a typo would silently use the default)."""
    problems: list[tuple[Path_, str]] = []
    base: Path_ = ("assets", ai, "configurations")
    items: list[tuple[Path_, ConfigItem]] = [
        ((*base, section, i), item)
        for section in ("settings", "system_configurations")
        for i, item in enumerate(getattr(configs, section))
    ]
    for section in ("timers", "integrations"):
        for gi, group in enumerate(getattr(configs, section)):
            items += [
                ((*base, section, gi, "configs", i), item) for i, item in enumerate(group.configs or [])
            ]
    for path, item in items:
        for stage in item.values:
            if stage not in stage_names:
                problems.append(((*path, "values", stage), f"unknown stage {stage!r}"))
    return problems
