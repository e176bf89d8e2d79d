"""The baseline a team would otherwise run: deploy the apps one after another.

This is what the existing scripts (the community Jenkins step, hand-written CI jobs) do for
a multi-asset release: for each app in dependency order, build, run the impact analysis and
deploy, waiting for each step with the docs' cadence before touching the next app. It uses the
product's API client (same retries and rate limiter) so that only the orchestration differs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bench.strategies import DocsSchedule
from odc_pipeline.api.client import OdcClient
from odc_pipeline.engine.poller import wait_for
from odc_pipeline.errors import OperationFailedError

TIMEOUT_SECONDS = 3600.0
DOCS = DocsSchedule()


def _wait(
    client: OdcClient, fetch: Callable[[], Any], status: Callable[[Any], str], running: set[str]
) -> str:
    result = wait_for(
        fetch,
        lambda r: status(r) not in running,
        what="operation",
        describe=status,
        timeout=TIMEOUT_SECONDS,
        clock=client.clock,
        schedule=DOCS,
    )
    return status(result)


def deploy_one_by_one(client: OdcClient, apps: Sequence[str], *, target: str, revision: int) -> None:
    """Build, analyse and deploy each app of ``apps`` (in dependency order), one at a time."""
    env_key = next(e.key for e in client.portfolio.environments() if e.name == target)
    for app in apps:
        asset_key = client.assets.find_by_name(app)[0].asset_key
        builds = client.builds.list(asset_key, revision=revision, build_type="Release")
        build_key = next((b.build_key for b in builds if b.status == "Finished"), None)
        if build_key is None:
            build_key = client.builds.start(asset_key, revision).build_key or ""
            outcome = _wait(
                client,
                lambda k=build_key: client.builds.get(k),
                lambda b: b.status or "",
                {"Pending", "Running"},
            )
            if outcome != "Finished":
                raise OperationFailedError(f"build of {app}: {outcome}")
        analysis = client.dependencies.start_deployment_analysis(asset_key, revision, env_key)
        _wait(
            client,
            lambda k=analysis: client.dependencies.get_deployment_analysis(k),
            lambda a: a.process_status or "",
            {"InProgress"},
        )
        operation = client.deployments.start(
            operation="Deploy",
            asset_key=asset_key,
            environment_key=env_key,
            revision=revision,
            build_key=build_key,
        )
        outcome = _wait(
            client,
            lambda k=operation.key: client.deployments.get(k or ""),
            lambda d: d.status or "",
            {"Running"},
        )
        if outcome != "Finished":
            raise OperationFailedError(f"deploy of {app}: {outcome}")
