"""A wide release stays inside ODC's rate limits: parallel work waits, it does not provoke 429.

Twelve independent apps with ``max-parallel: 20`` mean twelve builds, analyses and deploys that
all want to start at once, against 10 POSTs per minute per endpoint and 100 requests per minute
per domain. The tenant is generated, so the width is a parameter rather than a fixture file.
"""

from __future__ import annotations

import bisect

from odc_pipeline.clock import ScaledClock
from odc_pipeline.simulator import parse_tenant, start_simulator

from .e2e import RATE_LIMITED, Sim, pipeline_file, two_stage_tenant

APPS = 12


def wide_tenant(apps: int) -> str:
    names = [f"App {i:02d}" for i in range(1, apps + 1)]
    assets = [
        {"name": name, "type": "WebApplication", "revisions": [{"revision": 1}, {"revision": 2}]}
        for name in names
    ]
    return two_stage_tenant(
        "Wide Release", assets, deployments={"QA": dict.fromkeys(names, 1)}, **RATE_LIMITED
    )


def most_in_a_minute(times: list[float]) -> int:
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, t + 60) - i for i, t in enumerate(ordered)), default=0)


NAMES = [f"App {i:02d}" for i in range(1, APPS + 1)]
PIPELINE = (
    "version: 1\ntarget: QA\nassets: [" + ", ".join(NAMES) + "]\n"
    "stages:\n  build: {}\n  impact-analysis: {}\n  deploy: {max-parallel: 20}\n  verify: {}\n"
    "timeouts: {deploy: 2h, build: 1h}\n"
)


def _wide_release(tmp_path):
    clock = ScaledClock(0.002)
    with start_simulator(parse_tenant(wide_tenant(APPS)), clock=clock) as simulator:
        sim = Sim(simulator, clock, tmp_path)
        ctx, reporter = sim.context(pipeline_file(tmp_path, PIPELINE))
        run = sim.finish(ctx, reporter)
        return sim, run, ctx.client.http.rate_limiter


def test_twelve_parallel_apps_wait_for_the_limiter_and_each_deploys_once(tmp_path):
    sim, run, limiter = _wide_release(tmp_path)
    assert run.report.exit_code == 0, run.report.error
    assert sim.started() == dict.fromkeys(NAMES, 1)
    assert sim.builds_started() == dict.fromkeys(NAMES, 1)
    assert all(sim.simulator.state.running_revision("QA", n) == 2 for n in NAMES)
    assert limiter.waited >= 60  # builds 11-12 and deploys 11-12 waited for the next minute
    for path in ("/build-operations", "/deployment-operations"):
        accepted = [e.time for e in sim.requests(method="POST", contains=path) if e.status < 300]
        assert len(accepted) == APPS
        assert most_in_a_minute(accepted) <= 10
    assert sim.statuses(429) == []  # the limiter frees a slot only 60 s after the answer


def test_twelve_parallel_apps_receive_no_429(tmp_path):
    sim, run, _ = _wide_release(tmp_path)
    assert run.report.exit_code == 0, run.report.error
    assert sim.statuses(429) == []
