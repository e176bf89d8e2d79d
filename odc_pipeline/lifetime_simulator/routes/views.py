"""The JSON shapes of the swagger's definitions, built from the state (one function per definition).

Every member written here is declared in the swagger (the contract tests check every answer closed);
dates that are not set are ``1900-01-01T00:00:00``, as LifeTime serialises them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from odc_pipeline.swagger import UNSET_DATE

if TYPE_CHECKING:
    from odc_pipeline.lifetime_simulator.model import Application, Environment, Plan, Version, Zone
    from odc_pipeline.lifetime_simulator.plans import Segment
    from odc_pipeline.lifetime_simulator.state import LifeTimeState


def instant(moment: datetime | None) -> str:
    if moment is None:
        return UNSET_DATE
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def environment(state: LifeTimeState, env: Environment) -> dict[str, Any]:
    return {
        "Key": env.key,
        "Name": env.name,
        "OSVersion": env.os_version,
        "Order": env.order,
        "DetailsURL": f"https://{state.tenant.host_name}/lifetime/Environment.aspx?EnvironmentKey={env.key}",
        "HostName": env.host_name,
        "UseHTTPS": env.use_https,
        "EnvironmentType": env.type,
        "NumberOfFrontEnds": env.front_ends,
        "ApplicationServerType": ".NET",
        "ApplicationServer": "IIS",
        "DatabaseProvider": "SqlServer",
        "IsCloudEnvironment": True,
    }


def zone(item: Zone) -> dict[str, Any]:
    return {
        "Key": item.key,
        "Name": item.name,
        "IsDefault": item.is_default,
        "DeploymentTechnology": {"Key": item.technology.lower(), "Name": item.technology},
    }


def app_status(
    state: LifeTimeState, app: Application, env_key: str, *, modules: bool
) -> dict[str, Any] | None:
    running = state.running[env_key].get(app.key)
    if running is None:
        return None
    version = app.versions[running.version_key]
    status: dict[str, Any] = {
        "EnvironmentKey": env_key,
        "BaseApplicationVersionKey": version.key,
        "BaseApplicationVersionLabel": version.version,
        "IsModified": running.modified,
        "IsModifiedReason": "Module_Modified" if running.modified else "",
        "IsModifiedMessage": "The application was modified since it was tagged." if running.modified else "",
        "ConsistencyStatus": "OK",
        "ConsistencyStatusMessages": "",
        "MobileAppsStatus": [],
        "DeploymentZoneKey": running.zone_key,
    }
    if modules:
        status["ModuleStatusInEnvs"] = [
            {
                "ApplicationKey": app.key,
                "EnvironmentKey": env_key,
                "ModuleVersionKey": version.module_versions.get(m.key, ""),
                "ConsistencyStatus": "OK",
                "ConsistencyStatusMessages": "",
            }
            for m in app.modules
        ]
    return status


def application(
    state: LifeTimeState, app: Application, *, env_status: bool, modules: bool, env_keys: list[str]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Key": app.key,
        "Name": app.name,
        "Kind": app.kind,
        "Team": app.team,
        "Description": app.description,
        "URLPath": app.url_path,
        "IconHash": "",
        "IconURL": "",
        "DetailsURL": f"https://{state.tenant.host_name}/lifetime/ApplicationDetail.aspx?ApplicationKey={app.key}",
        "IsSystem": app.is_system,
    }
    if env_status:
        statuses = (app_status(state, app, key, modules=modules) for key in env_keys)
        body["AppStatusInEnvs"] = [s for s in statuses if s is not None]
    return body


def version(state: LifeTimeState, item: Version, *, modules: bool) -> dict[str, Any]:
    app = state.applications[item.app_key]
    body: dict[str, Any] = {
        "Key": item.key,
        "ApplicationKey": item.app_key,
        "Version": item.version,
        "ChangeLog": item.change_log,
        "CreatedOn": instant(item.created_on),
        "InUse": state.in_use(item),
        "MobileVersions": [],
        "PrimaryColor": "#1068EB",
        "NativeHash": "",
    }
    if modules:
        body["ModuleVersions"] = [
            {
                "Key": item.module_versions.get(m.key, ""),
                "ModuleKey": m.key,
                "CreatedOn": instant(item.created_on),
                "CreatedBy": item.created_by,
                "CreatedByUsername": item.created_by,
                "GeneralHash": item.module_versions.get(m.key, "").replace("-", "")[:20],
                "DirectUpgradeFromHash": "",
            }
            for m in app.modules
        ]
    return body


def deployment(state: LifeTimeState, plan: Plan) -> dict[str, Any]:
    operations = []
    for op in plan.operations:
        found = state.version_of(op.version_key)
        label = f"Deploy {found[1].version}" if found else "Deploy"
        operations.append(
            {
                "ApplicationKey": found[0].key if found else "",
                "ApplicationVersionKey": op.version_key,
                "DeploymentOperation": label,
                "DeploymentZoneKey": op.zone_key,
            }
        )
    return {
        "Key": plan.key,
        "SourceEnvironmentKey": plan.source_key,
        "TargetEnvironmentKey": plan.target_key,
        "DetailsURL": f"https://{state.tenant.host_name}/lifetime/Staging.aspx?StagingKey={plan.key}",
        "Notes": plan.notes,
        "CreatedOn": instant(plan.created_at),
        "CreatedBy": plan.created_by,
        "CreatedByUsername": plan.created_by,
        "SavedOn": instant(plan.saved_at),
        "SavedBy": plan.created_by,
        "SavedByUsername": plan.created_by,
        "StartedOn": instant(plan.started_at),
        "StartedBy": plan.started_by,
        "StartedByUsername": plan.started_by,
        "AbortedOn": instant(plan.aborted_at),
        "AbortedBy": plan.aborted_by,
        "AbortedByUsername": plan.aborted_by,
        "ApplicationOperations": operations,
    }


def deployment_data(state: LifeTimeState, plan: Plan) -> dict[str, Any]:
    """``DeploymentData_v2`` (the answer to an update): no DetailsURL, operations as sent."""
    body = deployment(state, plan)
    del body["DetailsURL"]
    body["ApplicationOperations"] = [
        {"ApplicationVersionKey": op.version_key, "DeploymentZoneKey": op.zone_key} for op in plan.operations
    ]
    return body


def status(state: LifeTimeState, plan: Plan, segments: list[Segment]) -> dict[str, Any]:
    origin_t, origin = state.clock.monotonic(), state.clock.now()
    current = [s for s in segments if s.start <= origin_t]
    in_force = current[-1] if current else segments[0]
    log = [
        {
            "Instant": instant(origin - timedelta(seconds=origin_t - s.start)),
            "Message": s.message,
            "Type": s.kind,
        }
        for s in current
        if s.message
    ]
    return {
        "DeploymentStatus": in_force.status,
        "Info": in_force.info,
        "DeploymentLog": log,
    }
