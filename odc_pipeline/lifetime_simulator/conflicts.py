"""Impact analysis of a plan against what runs in its target: ``ApplicationConflicts`` and redeploys.

Four findings, each a LifeTime plan can show in its validation:

* the application is blocked in the target ("cannot be included in the deployment");
* the target runs a newer version of the application than the plan deploys (unless the
  tenant's ``undoc.older_version`` is ``allowed``: whether LifeTime's API blocks a rollback
  plan is UNDOC);
* a producer the application depends on neither runs in the target nor is in the plan
  (``Producer Module Missing``);
* a version marked ``breaking`` leaves a consumer that runs in the target outdated
  (``Consumer Module Outdated``); the consumer is also listed in ``ApplicationsToRedeploy`` and
  ``start?RedeployOutdated=True`` is the one finding a start can get past (it redeploys it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from odc_pipeline.lifetime_simulator.model import Application, Plan, Running

CONSUMER_OUTDATED = "Consumer Module Outdated"
PRODUCER_MISSING = "Producer Module Missing"


@dataclass(frozen=True)
class Conflict:
    message: str
    producer: tuple[str, str] | None  # (application key, version key)
    consumer: tuple[str, str] | None
    module_conflict: dict[str, Any] | None
    redeploy_key: str | None = None  # the consumer to redeploy, for CONSUMER_OUTDATED

    def as_json(self, deployment_operation: str) -> dict[str, Any]:
        body: dict[str, Any] = {"Message": self.message}
        sides = (
            ("ProducerApplicationOperation", self.producer),
            ("ConsumerApplicationOperation", self.consumer),
        )
        for name, side in sides:
            if side is not None:
                body[name] = {
                    "ApplicationKey": side[0],
                    "ApplicationVersionKey": side[1],
                    "DeploymentOperation": deployment_operation,
                }
        if self.module_conflict is not None:
            body["ModuleConflict"] = self.module_conflict
        return body


def analyse(
    plan: Plan,
    apps: dict[str, Application],
    running: dict[str, Running],
    target_name: str,
    *,
    older_allowed: bool = False,
) -> list[Conflict]:
    """Every finding for ``plan`` given ``running`` (application key → what runs in the target)."""
    by_app = {_app_of(apps, op.version_key): op for op in plan.operations}
    found: list[Conflict] = []
    for app_key, op in by_app.items():
        app = apps[app_key]
        version = app.versions[op.version_key]
        if plan.target_key in app.blocked_in:
            reason = app.blocked_in[plan.target_key]
            found.append(
                Conflict(
                    f"Application {app.name} is blocked in environment {target_name}"
                    + (f": {reason}" if reason else "."),
                    None,
                    (app_key, op.version_key),
                    None,
                )
            )
        current = running.get(app_key)
        if current is not None and current.version_key in app.versions and not older_allowed:
            there = app.versions[current.version_key]
            if there.created_on > version.created_on:
                found.append(
                    Conflict(
                        f"{target_name} runs version {there.version} of {app.name}, newer than "
                        f"version {version.version} in this plan.",
                        None,
                        (app_key, op.version_key),
                        None,
                    )
                )
        for producer_key in app.producer_keys:
            if producer_key in running or producer_key in by_app:
                continue
            producer = apps[producer_key]
            found.append(
                Conflict(
                    f"{app.name} needs {producer.name}, which neither runs in {target_name} "
                    "nor is in this plan.",
                    (producer_key, ""),
                    (app_key, op.version_key),
                    _module_conflict(producer, app, PRODUCER_MISSING),
                )
            )
        if version.breaking:
            for consumer in apps.values():
                if app_key not in consumer.producer_keys or consumer.key in by_app:
                    continue
                there = running.get(consumer.key)
                if there is None:
                    continue
                found.append(
                    Conflict(
                        f"{consumer.name} in {target_name} becomes outdated by {app.name} {version.version}.",
                        (app_key, op.version_key),
                        (consumer.key, there.version_key),
                        _module_conflict(app, consumer, CONSUMER_OUTDATED),
                        redeploy_key=consumer.key,
                    )
                )
    return found


def _app_of(apps: dict[str, Application], version_key: str) -> str:
    return next(a.key for a in apps.values() if version_key in a.versions)


def _module_conflict(producer: Application, consumer: Application, kind: str) -> dict[str, Any]:
    return {
        "ProducerModuleKey": producer.modules[0].key if producer.modules else "",
        "ConsumerModuleKey": consumer.modules[0].key if consumer.modules else "",
        "TotalRequiredElements": 1,
        "ConflictType": kind,
    }
