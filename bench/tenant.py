"""Simulated tenants for the benchmarks, generated rather than hand-written.

A multi-asset benchmark needs N apps whose dependency graph has a known depth, so that the
lower bound on wall time can be computed from the graph. Apps are split into ``depth`` levels;
each app past the first level depends on one or two apps of the level below, so producers must
be deployed before consumers. Every app has revision 1 running in QA and revision 2 running
in Development (where the Dependency Management API reads producers from, and which gives
revision 2 its Release build): a promotion to QA, so the work is impact analysis and deploy,
in dependency order.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from odc_pipeline.simulator.state import TenantState
from odc_pipeline.simulator.tenant import Tenant, derive_key

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret-not-a-real-one"  # a simulator-only credential
SOURCE_STAGE = "Development"
TARGET_STAGE = "QA"


@dataclass(frozen=True)
class Graph:
    """App names per level (level 0 has no producers) and each app's producers."""

    levels: list[list[str]]
    producers: dict[str, list[str]]

    @property
    def apps(self) -> list[str]:
        return [app for level in self.levels for app in level]

    @property
    def depth(self) -> int:
        return len(self.levels)


def layered_graph(apps: int, depth: int = 3) -> Graph:
    """``apps`` apps in ``min(apps, depth)`` levels as equal as possible, producers one level down."""
    depth = max(1, min(apps, depth))
    sizes = [apps // depth + (1 if i < apps % depth else 0) for i in range(depth)]
    levels: list[list[str]] = []
    producers: dict[str, list[str]] = {}
    for level, size in enumerate(sizes):
        names = [f"App L{level} N{i:02d}" for i in range(size)]
        for i, name in enumerate(names):
            below = levels[-1] if levels else []
            picks = {below[i % len(below)], below[(i * 7 + 3) % len(below)]} if below else set()
            producers[name] = sorted(picks)
        levels.append(names)
    return Graph(levels, producers)


def deploy_durations(graph: Graph, rng: random.Random, *, median: float = 90.0) -> dict[str, float]:
    """A deploy duration per app, log-normal around ``median`` (×/÷ 1.35), 30 s to 5 min.

    Real deploys differ per app; constant durations would also let a fixed polling grid
    (every 30 s after 90 s...) land exactly on the finish and look better than it is.
    """
    return {app: min(300.0, max(30.0, rng.lognormvariate(math.log(median), 0.3))) for app in graph.apps}


def tenant_for(
    graph: Graph,
    *,
    deploy_seconds: float | dict[str, float] = 90.0,
    analysis_seconds: float = 3.0,
    build_seconds: float = 60.0,
) -> Tenant:
    """A tenant with the graph's apps, two stages and platform-like durations and rate limits;
    ``deploy_seconds`` per app (a mapping) or for all."""
    per_app = deploy_seconds if isinstance(deploy_seconds, dict) else {}
    default_deploy = deploy_seconds if isinstance(deploy_seconds, float | int) else 90.0
    return Tenant.model_validate(
        {
            "organization": {"name": "Benchmark organization"},
            "durations": {
                "build": build_seconds,
                "deployment": default_deploy,
                "analysis": analysis_seconds,
            },
            "api_clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "default": True}],
            "stages": [
                {"name": SOURCE_STAGE, "purpose": "Development", "order": 0},
                {"name": TARGET_STAGE, "purpose": "NonProduction", "order": 1000},
            ],
            "assets": [
                {
                    "name": app,
                    "type": "WebApplication",
                    "producers": graph.producers[app],
                    "revisions": [{"revision": 1}, {"revision": 2}],
                    "builds": [{"revision": 1, "type": "Release"}],
                }
                for app in graph.apps
            ],
            "deployments": {
                SOURCE_STAGE: dict.fromkeys(graph.apps, 2),
                TARGET_STAGE: dict.fromkeys(graph.apps, 1),
            },
            "outcomes": [
                {"operation": "deployment", "asset": app, "stage": TARGET_STAGE, "duration": seconds}
                for app, seconds in per_app.items()
            ],
        }
    )


def single_app_tenant(app: str = "Orders Portal") -> Tenant:
    """One app with one setting, revision 1 in QA, revision 2 without a Release build, and
    every operation instantaneous: a full pipeline whose time is all ours."""
    instant = dict.fromkeys(("build", "deployment", "apply_configs", "analysis", "code_analysis"), 0.0)
    return Tenant.model_validate(
        {
            "organization": {"name": "Overhead organization"},
            "durations": instant,
            "api_clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "default": True}],
            "stages": [
                {"name": SOURCE_STAGE, "purpose": "Development", "order": 0},
                {"name": TARGET_STAGE, "purpose": "NonProduction", "order": 1000},
            ],
            "assets": [
                {
                    "name": app,
                    "type": "WebApplication",
                    "revisions": [{"revision": 1}, {"revision": 2}],
                    "builds": [{"revision": 1, "type": "Release"}],
                    "configurations": {
                        "settings": [{"name": "ApiBaseUrl", "default": "https://old.example.com"}]
                    },
                }
            ],
            "deployments": {TARGET_STAGE: {app: 1}},
        }
    )


def give_history(
    state: TenantState,
    deploy_seconds: Mapping[str, float],
    *,
    stage: str = TARGET_STAGE,
    runs: int = 5,
    spread: float = 0.1,
    seed: int = 0,
) -> int:
    """Make the deployment history of ``stage`` look like a real tenant's; returns how many
    past Deploys it now holds.

    The simulator seeds each running revision with one Deploy that lasted 1 s, so an engine
    that reads history (it does: the poller's duration hint) would learn that deploys are
    instantaneous. On the platform the recent Deploys of an asset to a stage take about what
    the next one will. So each seeded Deploy of an app gets ``runs`` Finished Deploys, the
    seeded one included, each lasting the app's ``deploy_seconds`` ×/÷ ``exp(spread)``
    log-normally, a day apart, ending where the seeded one ended. Nothing else changes.
    """
    rng = random.Random(seed)
    names = {asset.key: asset.name for asset in state.assets.values()}
    added = 0
    with state.lock:
        stage_key = next(s.key for s in state.stages if s.name == stage)
        seeded = [d for d in state.deployments.values() if d.environment_key == stage_key]
        for deployment in seeded:
            median = deploy_seconds.get(names.get(deployment.asset_key, ""))
            if median is None or deployment.operation != "Deploy":
                continue
            end_t, end_at = deployment.t_end, deployment.finished_at
            for run in range(runs):
                seconds = rng.lognormvariate(math.log(median), spread)
                shift = timedelta(days=run)
                key = deployment.key if run == 0 else derive_key("bench-history", deployment.key, str(run))
                state.deployments[key] = replace(
                    deployment,
                    key=key,
                    t0=end_t - seconds - shift.total_seconds(),
                    started_at=end_at - shift - timedelta(seconds=seconds),
                    duration=seconds,
                    created_at=None,
                    created_t=None,
                )
                added += 1
    return added
