"""What the pipeline file says about a LifeTime run, as the LifeTime platform needs it.

The seam's requests carry what every platform needs (asset, revision, target); the LifeTime
keys of the file (source environment, zones, two-stage, redeploy-outdated, allow-warnings,
the tag's version and change log, site properties by key) are fixed for the whole run, so
the platform is built with them once instead of threading them through every request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_NOTES = "odc-pipeline"


@dataclass(frozen=True)
class SitePropertyValue:
    """One site property to set: its key (the Properties API has no names) and the value."""

    name: str
    key: str
    text: str
    secret: bool = False


@dataclass(frozen=True)
class LifetimeOptions:
    source: str | None = None  # environment name or key; None: the from:<env> of the revisions
    two_stage: bool = False
    redeploy_outdated: bool = True
    allow_warnings: bool = False
    deployment_zone: str | None = None  # default zone (by name) for applications without their own
    zones: Mapping[str, str] = field(default_factory=dict)  # application name/key -> zone name
    fail_on: str = "errors"  # errors | warnings | never: which conflicts block the plan
    version: str | None = None  # the version a new tag gets
    bump: str = "patch"  # else: raise this part of the highest version
    change_log: str | None = None
    notes: str = DEFAULT_NOTES  # plan notes; the run's id makes a lost plan findable exactly
    site_properties: Mapping[str, Mapping[str, tuple[SitePropertyValue, ...]]] = field(default_factory=dict)
    """application name/key -> module name -> values."""


def options_from_pipeline(pipeline: object) -> LifetimeOptions:
    """The LifeTime keys of a loaded ``PipelineFile`` (``platform: lifetime``)."""
    stages = pipeline.stages  # type: ignore[attr-defined]
    build, deploy, impact = stages.build, stages.deploy, stages.impact_analysis
    assets = list(pipeline.assets)  # type: ignore[attr-defined]
    source = getattr(pipeline, "source", None)
    if source is None:  # the one environment the from: selectors name (the loader checked it)
        froms = {str(a.revision.value) for a in assets if str(a.revision).startswith("from:")}
        source = next(iter(froms)) if len(froms) == 1 else None
    zones = {a.ref: str(a.deployment_zone) for a in assets if getattr(a, "deployment_zone", None)}
    properties: dict[str, dict[str, tuple[SitePropertyValue, ...]]] = {}
    for ref, entry in (stages.configure or {}).items():
        modules = {
            module: tuple(
                SitePropertyValue(name, item.key, item.value.text, secret=item.value.secret)
                for name, item in config.site_properties.items()
            )
            for module, config in entry.modules.items()
        }
        if modules:
            properties[str(ref)] = modules
    return LifetimeOptions(
        source=source,
        two_stage=bool(deploy.two_stage) if deploy is not None else False,
        redeploy_outdated=bool(deploy.redeploy_outdated) if deploy is not None else True,
        allow_warnings=bool(deploy.allow_warnings) if deploy is not None else False,
        deployment_zone=deploy.deployment_zone if deploy is not None else None,
        zones=zones,
        fail_on=str(impact.fail_on) if impact is not None else "errors",
        version=build.version if build is not None else None,
        bump=str(build.bump) if build is not None and build.bump is not None else "patch",
        change_log=build.change_log if build is not None else None,
        site_properties=properties,
    )
