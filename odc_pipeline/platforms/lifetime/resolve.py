"""Names → keys and selectors → application versions, read-only (``--plan`` calls only these).

Environments and applications match exactly (the seam's ``find_environment`` /
``resolve_asset``); a selector becomes a :class:`ResolvedRevision` whose ``unit_key`` is the
version key to deploy, or ``needs_unit`` when ``modified`` found code in the source
environment that changed since its tag (the build stage tags it).
"""

from __future__ import annotations

from collections.abc import Sequence

from odc_pipeline.errors import UsageError
from odc_pipeline.lifetime import LifetimeClient
from odc_pipeline.lifetime.models import Application, ApplicationVersion, AppStatusInEnv, Environment
from odc_pipeline.platforms.base import AssetRef, EnvironmentRef, ResolvedRevision, RunningState

VERSIONS_TO_SEARCH = 100
"""How many of an application's newest versions a ``tag:`` selector searches (LifeTime: 5 by default)."""


def environment_ref(env: Environment) -> EnvironmentRef:
    return EnvironmentRef(key=env.key or "", name=env.name or "", order=env.order or 0)


def asset_ref(app: Application) -> AssetRef:
    return AssetRef(key=app.key or "", name=app.name or "", asset_type="Application", raw=app)


def status_for(app: Application, environment_key: str) -> AppStatusInEnv | None:
    return next((s for s in app.app_status_in_envs if s.environment_key == environment_key), None)


def running_state(app: Application, status: AppStatusInEnv, environment: Environment | None) -> RunningState:
    url = None
    if environment is not None and environment.host_name:
        scheme = "http" if environment.use_https is False else "https"
        url = f"{scheme}://{environment.host_name}/{app.url_path or ''}".rstrip("/")
    return RunningState(
        asset_key=app.key or "",
        environment_key=status.environment_key or "",
        unit_key=status.base_application_version_key,
        version=status.base_application_version_label,
        url=url,
    )


def resolved(version: ApplicationVersion) -> ResolvedRevision:
    return ResolvedRevision(version=version.version, key=version.key, unit_key=version.key)


def latest_tag(client: LifetimeClient, asset: AssetRef, label: str) -> ResolvedRevision:
    """The version tagged last: LifeTime lists versions newest first."""
    versions = client.versions.list(asset.key, max_versions=1)
    if not versions or not versions[0].key:
        raise UsageError(f"{label}: latest-tag found no version; tag the application first (or use modified)")
    return resolved(versions[0])


def tagged(client: LifetimeClient, asset: AssetRef, version: str, label: str) -> ResolvedRevision:
    versions = client.versions.list(asset.key, max_versions=VERSIONS_TO_SEARCH)
    for item in versions:
        if item.version == version and item.key:
            return resolved(item)
    newest = ", ".join(v.version or "?" for v in versions[:5]) or "none"
    raise UsageError(f"{label}: no version {version} (the newest: {newest})")


def modified(client: LifetimeClient, asset: AssetRef, source: EnvironmentRef, label: str) -> ResolvedRevision:
    """What runs in the source environment: its tag, or a new tag to make when it changed."""
    status = client.applications.status_in(source.key, asset.key)
    if status is None:
        raise UsageError(f"{label} does not run in {source.name}, the source environment")
    if status.is_modified or not status.base_application_version_key:
        return ResolvedRevision(needs_unit=True, source=source)
    return ResolvedRevision(
        version=status.base_application_version_label,
        key=status.base_application_version_key,
        unit_key=status.base_application_version_key,
        source=source,
    )


def running_all(
    client: LifetimeClient,
    environment: EnvironmentRef,
    assets: Sequence[AssetRef],
    environments: Sequence[Environment],
) -> dict[str, RunningState]:
    """One ``GET /applications?IncludeEnvStatus=True`` for the whole release."""
    wanted = {a.key for a in assets}
    env = next((e for e in environments if e.key == environment.key), None)
    found: dict[str, RunningState] = {}
    for app in client.applications.list(include_env_status=True):
        if app.key not in wanted:
            continue
        status = status_for(app, environment.key)
        if status is not None and status.base_application_version_key:
            found[app.key or ""] = running_state(app, status, env)
    return found
