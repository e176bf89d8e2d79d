"""The pipeline file as typed, frozen objects: what the engine consumes.

Keys are kebab-case in YAML (``max-parallel``) and snake_case attributes in Python
(``max_parallel``). Every model forbids unknown keys so that a typo is an error with a
suggestion rather than a setting silently ignored. Defaults live here, once, and the JSON
Schema (``odc-pipeline schema``) is generated from these classes, so the two cannot disagree.

Reading guide for the engine:

* ``PipelineFile.stages.<stage>`` is ``None`` when the stage is absent (it does not run) and a
  model with defaults when the file says ``<stage>: {}`` or ``<stage>:``.
* ``Asset.revision`` is always a :class:`RevisionSelector` after loading (the file-level
  ``revision:`` or ``latest`` filled in).
* Durations are ``float`` seconds.
* Configuration values are :class:`ConfigValue` objects that remember whether they came from
  the environment (then ``secret`` is true and the value must be masked).
* ``PipelineFile.platform`` says which platform the file drives: ODC (default) or OutSystems 11
  through LifeTime. The models hold both platforms' keys; :mod:`.platforms` refuses, at their
  line and column, the keys that mean nothing on the file's platform, and revision selectors
  are parsed for it (the loader passes ``context={"platform": ...}`` to validation).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from odc_pipeline.pipeline_file.durations import DURATION_PATTERN, format_duration, parse_duration
from odc_pipeline.pipeline_file.revisions import (
    LIFETIME_KINDS,
    LIFETIME_VERSION_RE,
    REVISION_PATTERN,
    RevisionKind,
    RevisionSelector,
    parse_revision,
)

STAGE_ORDER: tuple[str, ...] = ("configure", "build", "impact-analysis", "deploy", "verify", "release")
"""The stages a file can name, in the order the product runs them (the file cannot reorder them).

Publishing external library packages (assets with ``package:``) is not named in ``stages``: it
runs, before the build, whenever an asset has a package.
"""

SUPPORTED_VERSION = 1


class Platform(StrEnum):
    """Which OutSystems platform the pipeline file drives."""

    ODC = "odc"
    """OutSystems Developer Cloud (ODC_PORTAL_URL, ODC_CLIENT_ID, ODC_CLIENT_SECRET)."""
    LIFETIME = "lifetime"
    """OutSystems 11 through the LifeTime API v2 (LIFETIME_URL, LIFETIME_TOKEN)."""


def platform_of(info: ValidationInfo) -> str:
    """The platform the loader validates for (``odc`` when validated without a context)."""
    context = info.context if isinstance(info.context, dict) else {}
    return str(context.get("platform", Platform.ODC.value))


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=_kebab,
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=False,
    )


# --- scalar field types -------------------------------------------------------------------


def _strict_int(value: object) -> object:
    """YAML ``true`` is not a number; Python's ``bool`` subclassing ``int`` must not leak in."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true/false")
    return value


_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}


def _strict_bool(value: object) -> object:
    """Only booleans (or their text, e.g. from ``${VAR}``); ``1`` or ``"maybe"`` are mistakes."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise ValueError("must be true or false")


def _empty_if_none(value: object) -> object:
    """``build:`` with nothing after it means ``build: {}``: run with defaults."""
    return {} if value is None else value


def _duration(value: object) -> float:
    return parse_duration(value)


def _revision(value: object, info: ValidationInfo) -> RevisionSelector:
    return parse_revision(value, platform=platform_of(info))


Int = Annotated[int, BeforeValidator(_strict_int)]
Bool = Annotated[bool, BeforeValidator(_strict_bool)]
Duration = Annotated[
    float,
    BeforeValidator(_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": DURATION_PATTERN, "examples": ["90s", "20m", "1h30m"]},
                {"type": "number", "exclusiveMinimum": 0},
            ]
        }
    ),
]
"""Seconds (``float``); written ``90s``, ``20m``, ``1h30m`` or a plain number of seconds."""

Revision = Annotated[
    RevisionSelector,
    BeforeValidator(_revision),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "string",
                    "pattern": REVISION_PATTERN,
                    "examples": ["latest", "highest-tag", "tag:1.4.0", "from:QA", "latest-tag", "modified"],
                },
                {"type": "integer", "minimum": 1},
            ]
        }
    ),
]


def _name(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be empty")
    return value


Name = Annotated[str, BeforeValidator(_name)]


# --- configuration values ----------------------------------------------------------------


class ValueSource(StrEnum):
    """Where a configuration value came from."""

    LITERAL = "literal"
    """Written in the file."""
    ENV = "env"
    """Produced by ``${VAR}`` interpolation (also when the ``:-default`` supplied it)."""


class ConfigValue(BaseModel):
    """One setting, timer or integration value as written, before conversion to ODC's type.

    ``value`` is what YAML read (``str``, ``int``, ``float`` or ``bool``); ``text`` is the
    source text (``yes`` for ``True``, ``010`` for ``10``), which the engine converts to the
    setting's data type. ``secret`` is true for values from the environment: the engine must
    mask them in every report (the loader has already registered them in ``SECRETS``).
    ``repr()`` masks secret values so they never appear in a debug log.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: str | int | float | bool
    text: str
    source: ValueSource = ValueSource.LITERAL

    @property
    def secret(self) -> bool:
        return self.source is ValueSource.ENV

    def __repr_args__(self) -> Any:
        if self.secret:
            return [("value", "***"), ("text", "***"), ("source", self.source)]
        return super().__repr_args__()

    @classmethod
    def literal(cls, value: str | int | float | bool) -> ConfigValue:
        return cls(value=value, text=scalar_text(value))


def scalar_text(value: str | int | float | bool) -> str:
    """YAML's spelling of a scalar (``true``, ``1.5``), used when no source text is known."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _config_value(value: object) -> object:
    if isinstance(value, ConfigValue):
        return value
    if value is None:
        raise ValueError('needs a value (write "" for an empty text)')
    if isinstance(value, str | int | float | bool):
        return ConfigValue.literal(value)
    raise ValueError("must be text, a number or true/false, not a list or a mapping")


ConfigValueField = Annotated[
    ConfigValue,
    BeforeValidator(_config_value),
    WithJsonSchema(
        {
            "type": ["string", "number", "boolean"],
            "description": "Converted to the data type ODC declares for it. ${VAR} values are secret.",
        }
    ),
]

ConfigValues = Annotated[dict[str, ConfigValueField], BeforeValidator(_empty_if_none)]


class SiteProperty(_Model):
    """LifeTime: one site property of a module, by its key (the Properties API has no names)."""

    key: Annotated[
        str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    ] = Field(description="The site property's key (a UUID, as in the Trigger Pipeline manifest).")
    value: ConfigValueField = Field(description="The value to set (text); ${VAR} values are secret.")


class ModuleConfiguration(_Model):
    """LifeTime: the site properties of one module in the target environment."""

    site_properties: Annotated[dict[Name, SiteProperty], BeforeValidator(_empty_if_none)] = Field(
        default_factory=dict,
        description="Site property name → {key, value}, e.g. ApiBaseUrl: {key: <uuid>, value: "
        "https://api.example.com} (set through the Properties API after the deploy).",
    )


class AssetConfiguration(_Model):
    """The configuration of one asset in the target stage, by Portal names (keys accepted)."""

    settings: ConfigValues = Field(
        default_factory=dict,
        description="Setting name (as in the ODC Portal) or key → value, e.g. ApiBaseUrl: https://api.example.com",
    )
    timers: Annotated[dict[str, ConfigValues], BeforeValidator(_empty_if_none)] = Field(
        default_factory=dict,
        description="Timer name → its configuration values, e.g. NightlySync: {IsActive: false}",
    )
    integrations: Annotated[dict[str, ConfigValues], BeforeValidator(_empty_if_none)] = Field(
        default_factory=dict,
        description="Integration name → its configuration values, e.g. PaymentsGateway: {BaseUrl: https://...}",
    )
    modules: Annotated[dict[Name, ModuleConfiguration], BeforeValidator(_empty_if_none)] = Field(
        default_factory=dict,
        description="LifeTime: module name (as in Service Studio) → its site-properties in the target.",
    )


# --- stages ------------------------------------------------------------------------------


class FailOn(StrEnum):
    """Which impact-analysis findings stop the pipeline."""

    ERRORS = "errors"
    WARNINGS = "warnings"
    NEVER = "never"


class BeforeDeploy(StrEnum):
    """Which analyses must pass before an app deploys."""

    ALL = "all"
    EACH = "each"


class OnFailure(StrEnum):
    """What a failed asset stops: all new work, or only the work that depends on it."""

    STOP_ALL = "stop-all"
    STOP_DEPENDENTS = "stop-dependents"


class OnUnavailable(StrEnum):
    """What to do when a check cannot be made (not analysed, feature not available)."""

    WARN = "warn"
    FAIL = "fail"


class Bump(StrEnum):
    """Which part of the highest existing tag a computed version raises."""

    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"


LIFETIME_VERSION_PATTERN = LIFETIME_VERSION_RE.pattern


class BuildStage(_Model):
    """ODC: build the selected revisions (reusing a Release build unless forced).
    LifeTime: reuse the selected tag, or tag what runs in the source environment (``modified``)."""

    force_rebuild: Bool = Field(
        default=False, description="Build again even when a Release build of the revision already exists."
    )
    version: (
        Annotated[
            str,
            Field(pattern=LIFETIME_VERSION_PATTERN),
            WithJsonSchema(
                {
                    "type": "string",
                    "anyOf": [{"pattern": LIFETIME_VERSION_PATTERN}, {"pattern": r"\$\{"}],
                    "examples": ["1.4.0", "${RELEASE_VERSION}"],
                }
            ),
        ]
        | None
    ) = Field(
        default=None,
        description="LifeTime: the version a new tag gets (e.g. 1.4.0); must be higher than the "
        "application's versions. Default: bump.",
    )
    bump: Bump | None = Field(
        default=None,
        description="LifeTime: compute a new tag's version by raising patch (default), minor or major "
        "of the application's highest version.",
    )
    change_log: str | None = Field(
        default=None, description="LifeTime: the change log stored with a new tag."
    )

    @model_validator(mode="after")
    def _one_version(self) -> BuildStage:
        if self.version is not None and self.bump is not None:
            raise ValueError("give version or bump, not both")
        return self


class ImpactAnalysisStage(_Model):
    """Ask ODC what deploying these revisions to the target would break."""

    fail_on: FailOn = Field(
        default=FailOn.ERRORS, description="Stop on errors (default), on warnings too, or never."
    )
    on_unavailable: OnUnavailable = Field(
        default=OnUnavailable.WARN, description="When the analysis cannot run: warn and continue, or fail."
    )
    before_deploy: BeforeDeploy = Field(
        default=BeforeDeploy.ALL,
        description=(
            "all (default): every app's analysis must pass before the first deploy starts. each: an "
            "app deploys as soon as its own analysis passed and its producers deployed (faster; a "
            "later blocked analysis stops new deploys but leaves the ones already made)."
        ),
    )


class DeployStage(_Model):
    """Deploy to the target stage, producers (libraries) before their consumers."""

    max_parallel: Annotated[int, Field(ge=1, le=50), BeforeValidator(_strict_int)] | None = Field(
        default=None,
        description=(
            "At most this many builds, analyses and deployments run at once (1 to 50). Default: as "
            "many as the platform's rate limits let progress (ODC: 50); set it to go easier on a "
            "shared tenant."
        ),
    )
    on_failure: OnFailure = Field(
        default=OnFailure.STOP_ALL,
        description=(
            "stop-all (default): a failed build, deploy or verification stops all new work. "
            "stop-dependents: only the apps that depend on the failed one stop; the others go on."
        ),
    )
    rollback_on_failure: Bool = Field(
        default=False,
        description=(
            "When a deploy, a verification or a wait fails: return every app this run changed to the "
            "revision, build and configuration that ran before (consumers first). LifeTime: one "
            "deployment plan back to the application versions that ran before."
        ),
    )
    force: Bool = Field(
        default=False, description="Deploy even when the same revision already runs in the target."
    )
    two_stage: Bool = Field(
        default=False,
        description="LifeTime: stop after the plan's preparation (two-step deployment, exit 0, "
        "status prepared, the plan key in outputs); `odc-pipeline continue` finishes it.",
    )
    redeploy_outdated: Bool = Field(
        default=True,
        description="LifeTime: also redeploy applications in the target that the plan makes outdated.",
    )
    allow_warnings: Bool = Field(
        default=False,
        description="LifeTime: a plan that finishes with warnings counts as success (else it fails).",
    )
    deployment_zone: Name | None = Field(
        default=None,
        description="LifeTime: the deployment zone (by name) for every application without its own; "
        "absent: the application's current zone (the environment's default for a new one).",
    )


class HttpCheck(_Model):
    """GET a path of a deployed app and expect a status code."""

    asset: Name = Field(description="The asset (name or key, as listed in assets) whose URL is requested.")
    path: str = Field(default="/", pattern=r"^/", description="Path below the app's URL, starting with /.")
    expect_status: Annotated[int, Field(ge=100, le=599), BeforeValidator(_strict_int)] = Field(
        default=200, description="The HTTP status that counts as success."
    )
    contains: str | None = Field(default=None, description="Text the response body must contain.")
    timeout: Duration = Field(default=10.0, description="Time allowed for one request.")
    retries: Annotated[int, Field(ge=0, le=100), BeforeValidator(_strict_int)] = Field(
        default=3, description="Further attempts after a failed one (apps can take a moment to warm up)."
    )
    interval: Duration = Field(default=5.0, description="Wait between attempts.")


class CodeQualityGate(_Model):
    """Fail verification when the deployed revisions have too many code-quality findings."""

    max_critical: Annotated[int, Field(ge=0), BeforeValidator(_strict_int)] | None = Field(
        default=None, description="Most critical findings allowed (no limit when absent)."
    )
    max_high: Annotated[int, Field(ge=0), BeforeValidator(_strict_int)] | None = Field(
        default=None, description="Most high findings allowed."
    )
    max_medium: Annotated[int, Field(ge=0), BeforeValidator(_strict_int)] | None = Field(
        default=None, description="Most medium findings allowed."
    )
    max_low: Annotated[int, Field(ge=0), BeforeValidator(_strict_int)] | None = Field(
        default=None, description="Most low findings allowed."
    )
    on_unavailable: OnUnavailable = Field(
        default=OnUnavailable.WARN,
        description="When a revision was not analysed: warn and continue, or fail.",
    )


class VerifyStage(_Model):
    """Check that what was deployed is what runs, and that it answers."""

    deployed_revision: Bool = Field(
        default=True, description="Check that the target runs exactly the revisions this run selected."
    )
    http: list[HttpCheck] = Field(default_factory=list, description="HTTP checks against deployed apps.")
    code_quality: Annotated[CodeQualityGate | None, BeforeValidator(_empty_if_none)] = Field(
        default=None, description="Limits on code-quality findings (not checked when absent)."
    )


SEMVER_PATTERN = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"


class ReleaseStage(_Model):
    """Tag the revision each asset moved to (apps after verify, libraries before their consumers build)."""

    version: (
        Annotated[
            str,
            Field(pattern=SEMVER_PATTERN),
            WithJsonSchema(
                {
                    "type": "string",
                    "anyOf": [{"pattern": SEMVER_PATTERN}, {"pattern": r"\$\{"}],
                    "examples": ["1.4.0", "${RELEASE_VERSION}"],
                }
            ),
        ]
        | None
    ) = Field(
        default=None,
        description="The tag to set, Major.Minor.Patch (e.g. 1.4.0 or ${RELEASE_VERSION}); "
        "must be higher than the asset's highest tag.",
    )
    bump: Bump | None = Field(
        default=None,
        description="Compute the tag instead: raise patch, minor or major of the asset's highest tag "
        "(0.0.0 when never tagged).",
    )
    notes: str | None = Field(default=None, description="Release notes stored with the tag.")
    notes_file: Name | None = Field(
        default=None,
        description="Read the release notes from this file (relative to the pipeline file), "
        "e.g. a generated CHANGELOG section.",
    )

    @model_validator(mode="after")
    def _one_version(self) -> ReleaseStage:
        if (self.version is None) == (self.bump is None):
            raise ValueError("give version (e.g. 1.4.0) or bump (patch, minor, major), exactly one")
        if self.notes is not None and self.notes_file is not None:
            raise ValueError("give notes or notes-file, not both")
        return self


class Stages(_Model):
    """Which stages run. Absent: does not run; ``{}`` or empty: runs with defaults.

    The order is always configure → build → impact-analysis → deploy → verify → release.
    """

    configure: Annotated[dict[Name, AssetConfiguration] | None, BeforeValidator(_empty_if_none)] = Field(
        default=None,
        description="Asset (name or key, as listed in assets) → its settings, timers and integrations "
        "in the target stage.",
    )
    build: Annotated[BuildStage | None, BeforeValidator(_empty_if_none)] = Field(
        default=None, description="Build the selected revisions."
    )
    impact_analysis: Annotated[ImpactAnalysisStage | None, BeforeValidator(_empty_if_none)] = Field(
        default=None, description="Analyse the impact of deploying them to the target."
    )
    deploy: Annotated[DeployStage | None, BeforeValidator(_empty_if_none)] = Field(
        default=None, description="Deploy them to the target."
    )
    verify: Annotated[VerifyStage | None, BeforeValidator(_empty_if_none)] = Field(
        default=None, description="Verify the target after deployment."
    )
    release: ReleaseStage | None = Field(
        default=None, description="Tag the revisions this run moved (version or bump, release notes)."
    )

    @property
    def enabled(self) -> tuple[str, ...]:
        """The stages that run, in product order (``("build", "deploy")``)."""
        return tuple(name for name in STAGE_ORDER if getattr(self, name.replace("-", "_")) is not None)

    @model_validator(mode="after")
    def _at_least_one(self) -> Stages:
        if not self.enabled:
            raise ValueError("name at least one stage: " + ", ".join(STAGE_ORDER))
        return self


class Timeouts(_Model):
    """How long each stage may wait for ODC before failing with exit code 5."""

    configure: Duration = Field(default=300.0, description="Applying configuration (default 5m).")
    build: Duration = Field(default=1200.0, description="All builds (default 20m).")
    impact_analysis: Duration = Field(default=600.0, description="All impact analyses (default 10m).")
    deploy: Duration = Field(default=1800.0, description="All deployments (default 30m).")
    verify: Duration = Field(default=600.0, description="All verifications (default 10m).")
    publish: Duration = Field(
        default=1200.0,
        description="Publishing external library packages: upload and generation (default 20m).",
    )
    release: Duration = Field(default=300.0, description="Tagging (default 5m).")

    def for_stage(self, stage: str) -> float:
        """Seconds allowed for ``stage`` (a name from :data:`STAGE_ORDER`)."""
        return float(getattr(self, stage.replace("-", "_")))

    def describe(self) -> dict[str, str]:
        """``{"build": "20m", ...}`` for plans and reports."""
        return {stage: format_duration(self.for_stage(stage)) for stage in (*STAGE_ORDER, "publish")}


# --- assets and the file -----------------------------------------------------------------


class AssetType(StrEnum):
    """ODC asset types (a hint: a mismatch with ODC is reported when resolving)."""

    WEB_APPLICATION = "WebApplication"
    MOBILE_APPLICATION = "MobileApplication"
    LOW_CODE_LIBRARY = "LowCodeLibrary"
    EXTENSION_LIBRARY = "ExtensionLibrary"
    EXTERNAL_LIBRARY = "ExternalLibrary"
    EXTERNAL_CONNECTION = "ExternalConnection"
    AGENT = "Agent"


class OnReview(StrEnum):
    """What a package's publish does when ODC stops the generation at ``ReadyForReview``."""

    ACCEPT = "accept"
    """The library revision exists (ODC gave its key): carry on; tagging it releases it."""
    FAIL = "fail"
    """Stop: someone must review the library in the ODC Portal first (exit 1)."""


_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Asset(_Model):
    """One asset the pipeline moves: by exact Portal ``name`` or by ``key``, never both.

    A bare string in ``assets:`` is shorthand for ``{name: <string>}``.
    """

    name: Name | None = Field(default=None, description="The asset's name, matched exactly.")
    key: str | None = Field(default=None, description="The asset's key (a UUID), instead of its name.")
    revision: Revision = Field(
        default_factory=RevisionSelector.latest,
        description="ODC: latest (default) | <number> | tag:<version> | highest-tag | from:<stage>. "
        "LifeTime: latest-tag (default) | tag:<version> | from:<environment> | modified",
    )
    type: AssetType | None = Field(default=None, description="Optional hint, checked against ODC.")
    package: Name | None = Field(
        default=None,
        description="An external library package (.zip, relative to the pipeline file) to publish; "
        "the asset is then the ExternalLibrary generated from it (name/key optional).",
    )
    on_review: OnReview = Field(
        default=OnReview.ACCEPT,
        description="With package: when ODC stops the generation at ReadyForReview, accept the "
        "library revision (default) or fail.",
    )
    deployment_zone: Name | None = Field(
        default=None, description="LifeTime: the deployment zone (by name) of this application."
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: object) -> object:
        if isinstance(data, str):
            return {"name": data}
        return data

    @model_validator(mode="after")
    def _name_or_key(self) -> Asset:
        if self.package is not None:
            if self.type not in (None, AssetType.EXTERNAL_LIBRARY):
                raise ValueError(
                    "an asset with a package is an ExternalLibrary; drop type or use ExternalLibrary"
                )
            if "revision" in self.model_fields_set:
                raise ValueError(
                    "an asset with a package gets the revision its package publishes; drop revision"
                )
        elif "on_review" in self.model_fields_set:
            raise ValueError("on-review applies only to an asset with a package")
        if self.name is None and self.key is None and self.package is None:
            raise ValueError("give the asset's name or its key")
        if self.name is not None and self.key is not None:
            raise ValueError("give the asset's name or its key, not both")
        if self.key is not None and not _UUID_RE.match(self.key):
            raise ValueError("key must be an asset key (a UUID); use name: for the asset's name")
        return self

    @property
    def ref(self) -> str:
        """How the file refers to this asset (its name, else its key, else its package)."""
        if self.name is not None:
            return self.name
        return str(self.key) if self.key is not None else str(self.package)


def _version(value: object) -> object:
    if value == str(SUPPORTED_VERSION):
        return SUPPORTED_VERSION
    if isinstance(value, bool) or value != SUPPORTED_VERSION:
        raise ValueError(f"unsupported version {value!r}; this odc-pipeline reads version: 1")
    return SUPPORTED_VERSION


_PORTAL_RE = r"^(https?://)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?/?$"


class PipelineFile(_Model):
    """A whole pipeline file (version 1).

    ``target`` and ``portal`` may be ``None``: the ``--target`` option and ``ODC_PORTAL_URL``
    win over the file and may be the only place they are given.
    """

    version: Annotated[int, BeforeValidator(_version), WithJsonSchema({"const": 1})] = Field(
        description="Format version; always 1."
    )
    platform: Platform = Field(
        default=Platform.ODC,
        description="odc (default): OutSystems Developer Cloud; lifetime: OutSystems 11 through the "
        "LifeTime API (LIFETIME_URL, LIFETIME_TOKEN).",
    )
    portal: str | None = Field(
        default=None,
        pattern=_PORTAL_RE,
        description="The ODC Portal URL, e.g. https://acme.outsystems.dev (ODC_PORTAL_URL wins when set).",
    )
    target: Name | None = Field(
        default=None, description="The stage (by name) or environment key to deploy to (--target wins)."
    )
    source: Name | None = Field(
        default=None,
        description="LifeTime: the environment the plan deploys from and modified applications are "
        "tagged in, e.g. Development (default: the from:<environment> of the revisions).",
    )
    revision: Revision | None = Field(
        default=None, description="Default revision selector for assets that do not give one, e.g. from:QA."
    )
    assets: Annotated[list[Asset], Field(min_length=1)] = Field(
        description="The assets this pipeline moves: a name, or {name | key, revision, type}."
    )
    stages: Stages = Field(description="Which stages run (absent: does not run; {}: runs with defaults).")
    timeouts: Annotated[Timeouts, BeforeValidator(_empty_if_none)] = Field(
        default_factory=Timeouts, description="Per-stage time limits."
    )

    @model_validator(mode="after")
    def _default_revision(self) -> PipelineFile:
        if self.platform is Platform.LIFETIME:
            self._lifetime_revisions()
        if self.revision is None:
            return self
        assets = [
            asset
            if "revision" in asset.model_fields_set or asset.package is not None
            else asset.model_copy(update={"revision": self.revision})
            for asset in self.assets
        ]
        object.__setattr__(self, "assets", assets)
        return self

    def _lifetime_revisions(self) -> None:
        """On LifeTime, an asset without a selector deploys ``latest-tag``, not ODC's ``latest``."""
        default = self.revision or RevisionSelector(kind=RevisionKind.LATEST_TAG)
        assets = [
            asset if "revision" in asset.model_fields_set else asset.model_copy(update={"revision": default})
            for asset in self.assets
        ]
        for asset in assets:
            if asset.revision.kind not in LIFETIME_KINDS:
                raise ValueError(f"asset {asset.ref!r}: {asset.revision} is not a LifeTime selector")
        object.__setattr__(self, "assets", assets)

    @property
    def portal_url(self) -> str | None:
        """``portal`` as a URL (``https://`` added when the file gives only the host)."""
        if self.portal is None:
            return None
        portal = self.portal.rstrip("/")
        return portal if "://" in portal else f"https://{portal}"

    def asset(self, ref: str) -> Asset | None:
        """The listed asset whose name or key is ``ref``."""
        for asset in self.assets:
            if ref in (asset.name, asset.key):
                return asset
        return None

    def configuration_for(self, asset: Asset) -> AssetConfiguration | None:
        """The ``stages.configure`` entry for ``asset`` (by name or key), if any."""
        configure = self.stages.configure or {}
        for ref in (asset.name, asset.key):
            if ref is not None and ref in configure:
                return configure[ref]
        return None
