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
