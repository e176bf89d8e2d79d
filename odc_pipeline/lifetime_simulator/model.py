"""The simulated infrastructure's entities: environments, applications, versions, plans.

Nothing runs in the background. A plan stores only what callers did and when (created, started,
continued, abort requested, on the injected clock); its status at any moment is a pure function
of those events, the durations and the clock (:mod:`odc_pipeline.lifetime_simulator.plans`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Zone:
    key: str
    name: str
    is_default: bool
    technology: str


@dataclass
class Environment:
    key: str
    name: str
    order: int
    host_name: str
    type: str
    two_step: bool
    use_https: bool
    os_version: str
    front_ends: int
    zones: list[Zone]
    maintenance: bool = False
    maintenance_reason: str = ""

    def default_zone(self) -> Zone | None:
        return next((z for z in self.zones if z.is_default), self.zones[0] if self.zones else None)


@dataclass
class Module:
    key: str
    name: str
    kind: str
    description: str
    app_key: str


@dataclass
class ConfigItem:
    """A site property, REST/SOAP endpoint URL or timer schedule, with its value per environment."""

    key: str
    name: str
    kind: str
    module_key: str
    default: str
    values: dict[str, str]  # environment key -> effective value


@dataclass
class Version:
    key: str
    app_key: str
    version: str
    change_log: str
    created_on: datetime
    created_by: str
    module_versions: dict[str, str]  # module key -> module version key
    breaking: bool = False
    created_t: float | None = None  # clock time of a tag made through the API (None: from the file)

    def usable(self, now: float, processing: float) -> bool:
        """LifeTime needs "some processing time" after a tag before the version can be used."""
        return self.created_t is None or now >= self.created_t + processing


@dataclass
class Application:
    key: str
    name: str
    kind: str
    team: str
    description: str
    url_path: str
    is_system: bool
    producer_keys: list[str]
    modules: list[Module]
    versions: dict[str, Version]  # key -> version, oldest first
    blocked_in: dict[str, str] = field(default_factory=dict)  # environment key -> reason


@dataclass
class Running:
    """What runs of an application in one environment."""

    version_key: str  # the tag it runs (or was modified from)
    modified: bool
    zone_key: str
    modified_t: float | None = None


@dataclass(frozen=True)
class Operation:
    version_key: str
    zone_key: str  # "" = the environment's default zone


@dataclass
class Plan:
    key: str
    source_key: str
    target_key: str
    notes: str
    operations: list[Operation]
    created_at: datetime
    created_by: str
    saved_at: datetime
    started_t: float | None = None
    started_at: datetime | None = None
    started_by: str = ""
    redeploy_outdated: bool = False
    two_step: bool = False  # the target's setting when the plan started
    waits_for: str | None = None  # the plan to the same target that must end first
    outcome: str = "finished_successful"
    outcome_message: str | None = None
    partly_deployed: list[str] = field(default_factory=list)  # app names a failed plan still deployed
    redeploy_keys: list[str] = field(default_factory=list)  # consumer applications redeployed with it
    continues: list[float] = field(default_factory=list)
    abort_t: float | None = None
    aborted_at: datetime | None = None
    aborted_by: str = ""
    applied: bool = False
