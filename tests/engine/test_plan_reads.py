"""``--plan`` of many apps reads what it needs once, not once per app where the API batches.

The ceilings below are what the specs allow (README, "What `--plan` reads"); a per-app asset
read coming back would multiply the Asset Repository's calls by the number of apps and fail
them. The same plan read asset by asset must give the same report, and name mistakes the
same errors, so batching changes the cost and nothing else.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from odc_pipeline.clock import ScaledClock
from odc_pipeline.engine.options import RunOptions
from odc_pipeline.platforms.odc import resolve
from odc_pipeline.platforms.odc.platform import OdcPlatform
from odc_pipeline.simulator import parse_tenant, start_simulator

from .e2e import Sim, pipeline_file, two_stage_tenant

APPS = 24
BY_KEY = 3  # the last apps are named by key in the file
AR = "/api/asset-repository/v1"
BUILDS = "/api/builds/v1"
DM = "/api/dependency-management/v1"
PF = "/api/portfolios/v2"
KEYS_PER_REQUEST = 40


def names(apps: int) -> list[str]:
    return [f"App {i:02d}" for i in range(apps)]


def tenant(apps: int, *, extra: list[dict[str, object]] | None = None) -> str:
    app_names = names(apps)
    assets: list[dict[str, object]] = [
        {
            "name": name,
            "type": "WebApplication",
            "producers": [app_names[i - 1]] if i % 3 else [],
            "revisions": [{"revision": 1}, {"revision": 2}],
            "builds": [{"revision": 1, "type": "Release"}, {"revision": 2, "type": "Release"}],
        }
        for i, name in enumerate(app_names)
    ]
    deployments = {
        "Development": dict.fromkeys(app_names, 2),
        "QA": {name: (2 if i % 4 == 0 else 1) for i, name in enumerate(app_names)},
    }
    return two_stage_tenant("Plan Reads", assets + (extra or []), deployments=deployments)


def pipeline(sim: Sim, tmp: Path, apps: list[str]) -> Path:
    keyed = apps[-BY_KEY:]
    listed = [f"  - {name}" for name in apps[:-BY_KEY]] + [f"  - key: {sim.asset_key(n)}" for n in keyed]
    text = (
        "version: 1\ntarget: QA\nassets:\n"
        + "\n".join(listed)
        + "\nstages:\n  build: {}\n  impact-analysis: {}\n  deploy: {}\n"
    )
    return pipeline_file(tmp, text)


@contextmanager
def per_asset_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Resolve as it read before batching (as ``bench.plan_reads.per_asset_reads``): each name,
    key and latest revision on its own, no kept build probe, no build look-ups at resolve, no
    tenant-wide build listing."""

    def read_each_time(self: object, client: Any, key: str, revision: int, *, keep: bool = False) -> list:
        return list(client.builds.list(key, revision=revision, build_type="Release"))

    with monkeypatch.context() as patched:
        patched.setattr(OdcPlatform, "prefetch_assets", lambda self, *, names, keys: None)
        patched.setattr(OdcPlatform, "prefetch_units", lambda self, items, *, stop: None)
        patched.setattr(OdcPlatform, "sight_units", lambda self, items: list(items))
        patched.setattr(resolve.AssetDirectory, "take_latest", lambda self, key: None)
        patched.setattr(resolve.AssetDirectory, "list_release_builds", read_each_time)
        yield


@contextmanager
def simulated(tmp: Path, text: str) -> Iterator[Sim]:
    clock = ScaledClock(0.002)
    with start_simulator(parse_tenant(text), clock=clock) as simulator:
        yield Sim(simulator, clock, tmp)


def twin_twice(sim: Sim) -> None:
    """A second asset named "Twin" (the tenant file refuses duplicate names; ODC does not)."""
    state = sim.simulator.state
    with state.lock:
        twin = state.assets[sim.asset_key("Twin")]
        other = replace(twin, key="7e1a0000-0000-4000-8000-000000000002")
        state.assets[other.key] = other


def calls(sim: Sim, since: int) -> Counter[str]:
    return Counter(e.endpoint for e in sim.requests(since) if e.path.startswith("/api/"))


def test_a_plan_of_many_apps_reads_each_asset_once_in_a_batch(tmp_path: Path) -> None:
    with simulated(tmp_path, tenant(APPS)) as sim:
        mark = sim.mark()
        run = sim.run(pipeline(sim, tmp_path, names(APPS)), options=RunOptions(plan=True))
        assert run.report.exit_code == 0, run.report.error
        seen = calls(sim, mark)
    assert seen[f"GET {AR}/assets"] == 1 + math.ceil(BY_KEY / KEYS_PER_REQUEST)  # names once, keys once
    assert seen[f"GET {AR}/assets/{{assetKey}}"] == 0
    assert seen[f"GET {AR}/assets/{{assetKey}}/latest-revision"] == 0
    assert seen[f"GET {PF}/deployed-assets"] == 1
    assert seen[f"GET {DM}/assets/{{assetKey}}/revisions/{{revisionNumber}}/producers"] <= APPS
    # the Open probe's read, then one tenant-wide listing shows every app's Release build
    assert seen[f"GET {BUILDS}/build-operations"] == 2
    assert sum(seen.values()) <= APPS + 8


def test_batched_and_per_asset_reads_plan_the_same_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def plan(per_asset: bool) -> tuple[list[tuple[str, str, str, str]], Counter[str]]:
        with simulated(tmp_path, tenant(APPS)) as sim:
            path = pipeline(sim, tmp_path, names(APPS))
            mark = sim.mark()
            if per_asset:
                with per_asset_reads(monkeypatch):
                    run = sim.run(path, options=RunOptions(plan=True))
            else:
                run = sim.run(path, options=RunOptions(plan=True))
            steps = [(s.asset, s.stage, str(s.status), s.summary) for s in run.report.steps]
            return steps, calls(sim, mark)

    batched, batched_calls = plan(per_asset=False)
    per_asset, per_asset_calls = plan(per_asset=True)
    assert batched == per_asset
    assert (
        per_asset_calls[f"GET {AR}/assets/{{assetKey}}/latest-revision"] == APPS
    )  # the switch does rebuild "before"
    saved = sum(per_asset_calls.values()) - sum(batched_calls.values())
    # names, latest revisions, the build probe's second read, and all build look-ups but one
    assert saved == 2 * APPS - math.ceil(BY_KEY / KEYS_PER_REQUEST) + APPS - 2


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        ("app 03", "asset 'app 03' not found (did you mean 'App 03'?)"),
        ("Twin", "asset name 'Twin' is ambiguous"),
        ("Nowhere", "asset 'Nowhere' not found; names match exactly"),
    ],
)
def test_a_bad_name_among_many_gives_the_error_it_gives_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wrong: str, message: str
) -> None:
    def error(per_asset: bool) -> str:
        with simulated(
            tmp_path,
            tenant(6, extra=[{"name": "Twin", "type": "WebApplication", "revisions": [{"revision": 1}]}]),
        ) as sim:
            twin_twice(sim)
            path = pipeline(sim, tmp_path, [*names(3), wrong, *names(6)[3:]])
            if per_asset:
                with per_asset_reads(monkeypatch):
                    run = sim.run(path, options=RunOptions(plan=True))
            else:
                run = sim.run(path, options=RunOptions(plan=True))
            assert run.report.exit_code == 2
            return str(run.report.error)

    batched = error(per_asset=False)
    assert message in batched
    assert batched == error(per_asset=True)


def test_a_plan_reads_build_look_ups_while_it_reads_producers(tmp_path: Path) -> None:
    """Two API domains, two budgets: neither waits for the other's reads to end."""
    with simulated(tmp_path, tenant(APPS)) as sim:
        mark = sim.mark()
        run = sim.run(pipeline(sim, tmp_path, names(APPS)), options=RunOptions(plan=True))
        assert run.report.exit_code == 0, run.report.error
        builds = sim.requests(mark, contains="/build-operations")
        producers = [e.time for e in sim.requests(mark, contains="/producers")]
    assert len(builds) == 2  # the probe's and the tenant-wide listing
    wide = [e.time for e in builds if "assetKey" not in e.query]
    assert len(wide) == 1
    assert wide[0] < max(producers)


def test_a_run_reads_builds_in_its_build_stage_not_at_resolve(tmp_path: Path) -> None:
    """Outside a plan the build stage reads right before it may start a build (fresh known keys)."""
    with simulated(tmp_path, tenant(6)) as sim:
        path = pipeline_file(
            tmp_path,
            "version: 1\ntarget: QA\nassets: [" + ", ".join(names(6)) + "]\nstages:\n  build: {}\n",
        )
        mark = sim.mark()
        run = sim.run(path)
        assert run.report.exit_code == 0, run.report.error
        entries = sim.requests(mark)
    last_producers = max(i for i, e in enumerate(entries) if "/producers" in e.path)
    build_reads = [i for i, e in enumerate(entries) if e.path.endswith("/build-operations")]
    assert len(build_reads) == 6
    assert min(build_reads) > last_producers
