"""Benchmark: what ``odc-pipeline run --plan`` reads for N apps, against the domain budget.

A plan changes nothing, so its cost is all reads, and every ODC API domain admits 100
requests a minute (odc-api-notes §5.1). N per-app reads in one domain therefore cost at least
``ceil(N / 100) - 1`` minutes whatever the client does; what the client controls is how many
reads it needs. This runs the multi-asset release's ``--plan`` on the simulator twice in the
same run — per-asset reads (how resolve read before the asset reads were batched, rebuilt
here by a benchmark-only switch) and batched (the product) — and sets calls and platform
seconds against the minimum the specs allow.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench.multi_asset import RELEASE_STAGES
from bench.simulated import Outcome, pipeline_yaml, run_engine, widen_simulator_backlog
from bench.tables import Table, ratio
from bench.tenant import TARGET_STAGE, layered_graph, tenant_for
from odc_pipeline.engine.options import RunOptions

PER_MINUTE = 100  # every API domain's budget (odc-api-notes §5.1)
ASSET_PAGE = 1000  # GET /assets' largest page (spec: limit maximum)
DEPLOYED_KEYS = 40  # asset keys per deployed-assets call (URL length, README: UNDOC decisions)
DOMAINS: dict[str, str] = {
    "asset-repository": "Asset repository",
    "builds": "Build operations",
    "dependency-management": "Dependency mgmt",
    "portfolios": "Portfolio",
    "deployments": "Deployments",
}


@dataclass(frozen=True)
class Strategy:
    name: str
    batched: bool


PER_ASSET = Strategy("per-asset reads (before)", batched=False)
BATCHED = Strategy("batched (now)", batched=True)


def minimum_calls(apps: int, tenant_assets: int, *, graphs: int | None = None) -> dict[str, int]:
    """The reads a ``--plan`` of ``apps`` apps (names, ``revision: latest``, build +
    impact-analysis + deploy) cannot do without, per API domain, given what the specs batch:

    * Asset repository: one ``GET /assets`` page per 1000 assets of the tenant (names, keys,
      types and — the list holds latest revisions — ``revision: latest``);
    * Build operations: one ``GET /build-operations`` without ``assetKey`` (the simulator's
      default answer lists every build of the tenant; a tenant that refuses it costs one per
      app): is there a Finished Release build of each revision?
    * Dependency management: one ``producers`` read per *graph*: an app that is a producer of
      another app of the run is listed, with its own producers, in that app's graph, so only
      the apps no other app uses (``graphs``; default: every app) must be read;
    * Portfolio: the stages, and deployed-assets for 40 apps a call (what runs in the target;
      more keys would make a URL longer than gateways accept);
    * Deployments: one list of the target's operations (the View stage permission probe).
    """
    return {
        "asset-repository": math.ceil(tenant_assets / ASSET_PAGE),
        "builds": 1,
        "dependency-management": apps if graphs is None else graphs,
        "portfolios": 1 + math.ceil(apps / DEPLOYED_KEYS),
        "deployments": 1,
    }


def budget_seconds(calls: Mapping[str, int]) -> float:
    """The domain budget's floor: a sliding minute admits 100 at once and each further 100 a
    minute later; domains have their own budgets, so the slowest domain sets the bound."""
    return max((60.0 * (math.ceil(n / PER_MINUTE) - 1) for n in calls.values() if n), default=0.0)


def by_domain(calls: Counter[str]) -> dict[str, int]:
    """``METHOD /api/<domain>/<version>/...`` counts → per domain (identity calls left out)."""
    domains: Counter[str] = Counter()
    for endpoint, n in calls.items():
        parts = endpoint.split(" ", 1)[-1].split("/")
        if len(parts) > 2 and parts[1] == "api":
            domains[parts[2]] += n
    return dict(domains)


@contextmanager
def per_asset_reads(enabled: bool) -> Iterator[None]:
    """With ``enabled``, resolve reads as it did before its reads were batched: each asset on
    its own (no ``prefetch_assets``; ``revision: latest`` asks ``latest-revision`` again), the
    build probe's answer not kept for the build stage, no build look-ups beside the producers,
    each look-up on its own (no tenant-wide build listing), and every asset key in one
    deployed-assets call (an 8 KB URL at 200 apps).
    A benchmark-only switch (the product has none)."""
    if not enabled:
        yield
        return
    from odc_pipeline.api import portfolio
    from odc_pipeline.platforms.odc import resolve
    from odc_pipeline.platforms.odc.platform import OdcPlatform

    def read_each_time(self: object, client: Any, key: str, revision: int, *, keep: bool = False) -> list:
        return list(client.builds.list(key, revision=revision, build_type="Release"))

    saved = [
        (OdcPlatform, "prefetch_assets", lambda self, *, names, keys: None),
        (OdcPlatform, "prefetch_units", lambda self, items, *, stop: None),
        (OdcPlatform, "sight_units", lambda self, items: list(items)),
        (resolve.AssetDirectory, "take_latest", lambda self, key: None),
        (resolve.AssetDirectory, "list_release_builds", read_each_time),
        (portfolio, "KEYS_PER_REQUEST", 10**6),  # every key in one deployed-assets call, as before
        (OdcPlatform, "producers_all", _producers_one_by_one),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in saved]
    for owner, name, replacement in saved:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def _producers_one_by_one(self: Any, assets: Any) -> dict[str, list[str]]:
    return {asset.key: self.producers(asset, revision) for asset, revision in assets}


def top_level(apps: int) -> int:
    """Apps of the benchmark's graph that no other app uses: each needs a producers read."""
    graph = layered_graph(apps)
    used = {p for producers in graph.producers.values() for p in producers}
    return sum(1 for app in graph.apps if app not in used)


def plan_once(apps: int, strategy: Strategy, *, scale: float) -> Outcome:
    graph = layered_graph(apps)
    tenant = tenant_for(graph)
    pipeline = pipeline_yaml(graph.apps, target=TARGET_STAGE, stages=RELEASE_STAGES)
    with per_asset_reads(not strategy.batched):
        outcome = run_engine(tenant, pipeline, scale=scale, options=RunOptions(plan=True))
    if outcome.exit_code != 0:
        raise RuntimeError(f"--plan of {apps} apps ({strategy.name}) exited {outcome.exit_code}")
    return outcome


def _domain_cell(actual: Mapping[str, int], minimum: Mapping[str, int], domain: str) -> str:
    return f"{actual.get(domain, 0)} / {minimum[domain]}"


def _harness_share(at_scale: float, slower: float) -> str:
    """Platform seconds are T0 + W/scale when W real seconds of work sit on the path; twice the
    real time per platform second halves W/scale, so the harness's part is 2 × (T(s) − T(2s))."""
    harness = max(0.0, 2.0 * (at_scale - slower))
    return ratio(min(harness, at_scale), at_scale)


def run(*, quick: bool = False) -> list[Table]:
    """One row per app count and strategy; ``quick`` plans 3 apps."""
    sizes: Sequence[int] = (3,) if quick else (50, 200)
    scale = 0.01 if quick else 0.05
    widen_simulator_backlog()
    plan_once(3, BATCHED, scale=scale)  # warm-up: imports and first connections stay out of the rows
    table = Table(
        "`--plan` reads: API calls and platform seconds against the domain budget",
        [
            "apps",
            "reads",
            "API calls",
            "minimum",
            "calls / minimum",
            *(f"{label} (actual / min)" for label in DOMAINS.values()),
            "platform s",
            "budget bound s",
            "s / bound",
            "harness share of the s",
            "429s",
        ],
    )
    for apps in sizes:
        minimum = minimum_calls(apps, tenant_assets=apps, graphs=top_level(apps))
        bound = budget_seconds(minimum)
        for strategy in (PER_ASSET, BATCHED):
            outcome = plan_once(apps, strategy, scale=scale)
            slower = plan_once(apps, strategy, scale=2 * scale)
            actual = by_domain(outcome.calls)
            total = sum(actual.values())
            table.add(
                apps,
                strategy.name,
                total,
                sum(minimum.values()),
                ratio(total, sum(minimum.values())),
                *(_domain_cell(actual, minimum, d) for d in DOMAINS),
                f"{outcome.seconds:.0f}",
                f"{bound:.0f}",
                ratio(outcome.seconds, bound),
                _harness_share(outcome.seconds, slower.seconds),
                outcome.rate_limited,
            )
    table.notes.append(
        f"`odc-pipeline run --plan` of the multi-asset release (depth-3 graph; `stages: build, "
        "impact-analysis, deploy`; every app runs r1 in QA, `revision: latest` is r2 with a Release "
        f"build) on the simulator, ScaledClock 1 s = {scale * 1000:g} ms real. API calls count "
        "`/api/` requests (the token and discovery calls are outside the domain budgets). "
        "Minimum per domain: one asset listing page per 1000 tenant assets (it holds each asset's "
        "latest revision, so `revision: latest` needs no further read), one tenant-wide build "
        "listing (`GET /build-operations` without `assetKey`: the simulator's default answer lists "
        "every build; UNDOC, see README) and one producers read per app no other app uses (one "
        "graph lists the producers of the apps in it), the stages plus one "
        "deployed-assets read per 40 apps (URL length), one deployments list (the View stage probe)."
    )
    table.notes.append(
        "Budget bound = the slowest domain's `60 s × (⌈minimum calls / 100⌉ − 1)`: a sliding "
        "minute admits 100 requests at once, and each domain has its own 100. A bound of 0 means "
        "every domain's reads fit into one minute's budget (the ratio is then a dash). "
        "The per-asset row is resolve as it read before its reads were batched (one "
        "`GET /assets?nameContains=` and one `latest-revision` per app, a separate build "
        "permission probe, one build look-up per app only after every producers read), rebuilt by a "
        "benchmark-only switch in the same run. Harness share: each plan also runs with twice the real "
        "time per platform second, which halves what request handling on this machine adds "
        "through the scaled clock; 2 × the difference is that part of the platform seconds "
        "(one run each, so a rough figure)."
    )
    return [table]
