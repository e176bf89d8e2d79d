"""A release of many apps finds their Release builds in one listing, whatever the tenant answers.

UNDOC: what ``GET /build-operations`` without ``assetKey`` returns. The simulator rehearses
each plausible answer (``build_listing.without_asset_key``); the run must deploy the same
builds and skip the same up-to-date app under every one, and only the number of reads may
differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from odc_pipeline.clock import ScaledClock
from odc_pipeline.platforms.odc.resolve import SIGHTING_FROM
from odc_pipeline.simulator import parse_tenant, start_simulator

from .e2e import SCALE, Sim, pipeline_file, two_stage_tenant

APPS = SIGHTING_FROM + 2
UP_TO_DATE = "App 03"  # QA already runs r2 from its Release build
LISTINGS = {
    "all": 2,  # the Open probe's read, then one listing settles every other app
    "rejected": APPS + 1,
    "not-found": APPS + 1,
    "empty": APPS + 1,
    "capped": None,  # between the two, by where the cut falls
}


def names() -> list[str]:
    return [f"App {i:02d}" for i in range(APPS)]


def tenant_text(listing: str) -> str:
    assets = [
        {
            "name": name,
            "type": "WebApplication",
            "revisions": [{"revision": 1}, {"revision": 2}],
            "builds": [{"revision": 1, "type": "Release"}, {"revision": 2, "type": "Release"}],
        }
        for name in names()
    ]
    qa = dict.fromkeys(names(), 1) | {UP_TO_DATE: 2}
    return two_stage_tenant(
        "Build Listing",
        assets,
        deployments={"Development": dict.fromkeys(names(), 2), "QA": qa},
        # r1's builds are older: a cut after APPS + 3 shows a few r2 builds, not all
        build_listing={"without_asset_key": listing, "cap": APPS + 3},
    )


def deploy_release(tmp: Path, listing: str) -> tuple[dict[str, str], int, Any]:
    """(build key deployed per app, build list reads, the run's report)"""
    clock = ScaledClock(SCALE)
    with start_simulator(parse_tenant(tenant_text(listing)), clock=clock) as simulator:
        sim = Sim(simulator, clock, tmp)
        text = (
            "version: 1\ntarget: QA\nassets: ["
            + ", ".join(names())
            + "]\nstages:\n  build: {}\n  deploy: {}\n"
        )
        mark = sim.mark()
        run = sim.run(pipeline_file(tmp, text))
        keys = {a.key: a.name for a in sim.simulator.state.assets.values()}
        deployed = {keys[body["assetKey"]]: body["buildKey"] for body in sim.deploys(mark)}
        reads = len(sim.requests(mark, method="GET", contains="/builds/v1/build-operations"))
        assert not sim.requests(mark, method="POST", contains="/build-operations")  # every build reused
        return deployed, reads, run.report


@pytest.fixture(scope="module")
def full_answer(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    deployed, reads, report = deploy_release(tmp_path_factory.mktemp("all"), "all")
    assert report.exit_code == 0, report.error
    assert reads == LISTINGS["all"]
    return deployed


@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_every_answer_deploys_the_same_builds(
    tmp_path: Path, listing: str, full_answer: dict[str, str]
) -> None:
    deployed, reads, report = deploy_release(tmp_path, listing)
    assert report.exit_code == 0, report.error
    assert deployed == full_answer
    assert UP_TO_DATE not in deployed
    assert len(deployed) == APPS - 1
    expected = LISTINGS[listing]
    if expected is None:
        assert LISTINGS["all"] <= reads <= APPS + 1
    else:
        assert reads == expected
