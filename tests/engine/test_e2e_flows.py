"""End to end through real HTTP: the simulator, the client and the engine together."""

from __future__ import annotations

import json
import re
import time

from odc_pipeline.engine.options import RunOptions
from odc_pipeline.engine.plan import render_plan
from odc_pipeline.report import StepStatus

from .e2e import EXAMPLES, example_variant, in_thread, pipeline_file, simulated


def _one_read_for_several(sim, since=0, *, at_least=2):
    """A deployed-assets read asked for several assets at once, as the spec types it.

    ``key`` is a string "comma separated": one key, comma-joined values. The strict simulator
    binds only the first of repeated keys (as ASP.NET Core does), so these flows would fail if
    the client sent ``key=A&key=B``; the wire-contract fixture checks the form itself.
    """
    from urllib.parse import parse_qsl

    reads = [dict(parse_qsl(e.query)) for e in sim.requests(since, method="GET", contains="/deployed-assets")]
    several = [q for q in reads if len(q.get("key", "").split(",")) >= at_least]
    assert several, f"no deployed-assets read named {at_least}+ assets: {reads}"


def _status(run, stage, asset):
    return next(s.status for s in run.report.steps if s.stage == stage and s.asset == asset)


def test_single_app_builds_nothing_new_and_deploys_once(tmp_path):
    with simulated(tmp_path) as sim:
        run = sim.run(EXAMPLES / "single-app.yml")
        assert run.report.exit_code == 0, run.report.error
        deploys = sim.deploys()
        assert [d["assetKey"] for d in deploys] == [sim.asset_key("Orders Portal")]
        assert deploys[0]["revision"] == 20
        assert sim.simulator.state.running_revision("QA", "Orders Portal") == 20
        assert _status(run, "verify", "Orders Portal") is StepStatus.SUCCEEDED
        document = json.loads(run.report_path.read_text())
        assert document["api_calls"]["POST /api/deployments/v1/deployment-operations"] == 1


def test_multi_asset_release_deploys_producers_first_and_rerun_is_a_noop(tmp_path):
    with simulated(tmp_path) as sim:
        run = sim.run(EXAMPLES / "multi-asset-release.yml", env={})
        assert run.report.exit_code == 0, run.report.error
        order = [d["assetKey"] for d in sim.deploys()]
        api, portal, backoffice = (
            sim.asset_key(n) for n in ("Orders API", "Orders Portal", "Orders Backoffice")
        )
        assert order[0] == api
        assert sorted(order[1:]) == sorted([portal, backoffice])
        builds = sim.requests(method="POST", contains="/build-operations")
        assert [b.body["assetKey"] for b in builds] == [backoffice]  # only Backoffice lacked a Release build
        assert all(b.body["buildType"] == "Release" for b in builds)
        patches = sim.patches()
        assert len(patches) == 1  # Portal's changes, once, right before its deploy
        (probe,) = sim.probes()  # Edit configurations asked with an empty PATCH before any build
        assert probe.time <= builds[0].time
        patch_time = patches[0].time
        portal_deploy = next(
            e
            for e in sim.requests(method="POST", contains="/deployment-operations")
            if e.body["assetKey"] == portal
        )
        assert patch_time <= portal_deploy.time
        assert "demo-token-for-the-simulator" not in run.report_path.read_text()
        assert run.report.impact_status == "WarningsFound"
        assert any("Running after" in beat for beat in run.reporter.texts("heartbeat"))  # 90 s deploys
        _one_read_for_several(sim, at_least=3)

        mark = sim.mark()
        again = sim.run(EXAMPLES / "multi-asset-release.yml", env={})
        assert again.report.exit_code == 0, again.report.error
        assert sim.mutations(mark) == []
        _one_read_for_several(sim, mark, at_least=3)  # the re-run sees all three apps running
        assert {s.status for s in again.report.steps_for("deploy")} <= {
            StepStatus.UNCHANGED,
            StepStatus.SKIPPED,
        }


def test_promotion_from_qa_uses_the_revision_and_build_running_there(tmp_path):
    with simulated(tmp_path) as sim:
        state = sim.simulator.state
        env = {"PAYMENTS_API_KEY": "prod-payments-key-123", "ORDERS_API_TOKEN": "prod-token-456"}
        run = sim.run(EXAMPLES / "promote-qa-to-production.yml", env=env)
        assert run.report.exit_code == 0, run.report.error
        assert sim.requests(method="POST", contains="/build-operations") == []
        for name in ("Orders API", "Orders Portal"):
            assert state.running_revision("Production", name) == state.running_revision("QA", name)
        qa_builds = {a.key: a.build_key for a in run.report.assets}
        for body in sim.deploys():
            assert body["buildKey"] == qa_builds[body["assetKey"]]
        _one_read_for_several(sim)  # what runs in QA (from:) and in Production, several apps per read
        text = run.report_path.read_text()
        assert "prod-payments-key-123" not in text
        assert "prod-token-456" not in text


def test_configuration_only_applies_with_applyconfigs_and_no_deploy(tmp_path):
    with simulated(tmp_path) as sim:
        run = sim.run(EXAMPLES / "configuration-only.yml")
        assert run.report.exit_code == 0, run.report.error
        assert sim.deploys() == []
        applied = sim.deploys(operation="ApplyConfigs")
        # Orders API's timer is already active in QA: only the Portal changes, so only it is applied
        assert [b["assetKey"] for b in applied] == [sim.asset_key("Orders Portal")]
        assert _status(run, "configure", "Orders API") is StepStatus.UNCHANGED
        assert all(b["revision"] for b in applied)
        portal = next(s for s in run.report.steps_for("configure") if s.asset == "Orders Portal")
        assert "setting MaxItemsPerPage: 25 -> 100" in [m.text for m in portal.messages]
        mark = sim.mark()
        assert sim.run(EXAMPLES / "configuration-only.yml").report.exit_code == 0
        assert sim.mutations(mark) == []


def test_plan_makes_no_mutating_call(tmp_path):
    with simulated(tmp_path) as sim:
        run = sim.run(EXAMPLES / "multi-asset-release.yml", options=RunOptions(plan=True))
        assert run.report.exit_code == 0, run.report.error
        assert run.report.status == "planned"
        assert sim.mutations() == []
        assert {e.method for e in sim.requests() if e.path.startswith("/api/")} == {"GET"}
        summaries = " | ".join(s.summary for s in run.report.steps)
        assert "would start a Release build of r6" in summaries
        assert "would deploy r12" in summaries
        text = "\n".join(render_plan(run.report))
        # per asset and stage: build reused or started, settings from -> to, what deploys where
        assert re.search(r"= Orders API +would reuse Finished Release build \S+ of r12", text)
        assert re.search(r"\+ Orders Backoffice +would start a Release build of r6", text)
        assert "setting MaxItemsPerPage: 25 -> 50" in text
        assert "timer NightlySync.IsActive: True -> False" in text
        assert "setting ApiToken: *** -> ***" in text  # a secret: masked on both sides
        assert "demo-token-for-the-simulator" not in text
        assert re.search(r"would deploy r20 \(\S+\) to QA, replacing r19", text)
        assert "would deploy r6 (the new Release build) to QA, replacing r5" in text
        assert text.endswith("5 change(s) and 6 check(s) planned; nothing was changed.")


def test_cancelled_mid_deploy_then_rerun_deploys_each_asset_once(tmp_path):
    def slow(data):
        data["durations"]["deployment"] = 1500  # 3 s real: still running when the re-run looks

    with simulated(tmp_path, slow) as sim:
        # deploys of one stage may queue behind each other: the waits must outlast the queue
        pipeline = example_variant(tmp_path, "multi-asset-release.yml", {"deploy: 30m": "deploy: 3h"})
        ctx, reporter = sim.context(pipeline)
        thread, box = in_thread(lambda: sim.finish(ctx, reporter))
        deadline = time.monotonic() + 30
        while not sim.deploys() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sim.deploys(), "the first deploy never started"
        ctx.cancel.set()
        thread.join(30)
        first = box[0]
        assert first.report.exit_code == 130
        assert first.report.status == "cancelled"
        started = [d["assetKey"] for d in sim.deploys()]
        assert started == [sim.asset_key("Orders API")]  # consumers were not started
        assert len(first.report.in_flight) == 1
        assert any("still running in ODC" in w for w in first.reporter.texts("warning"))
        portal_config = next(s for s in first.report.steps_for("configure") if s.asset == "Orders Portal")
        assert portal_config.status is StepStatus.CANCELLED  # said out loud: its values were not changed
        assert sim.patches() == []

        second = sim.run(pipeline)
        assert second.report.exit_code == 0, second.report.error
        deployed = [d["assetKey"] for d in sim.deploys()]
        assert sorted(deployed) == sorted(set(deployed))  # each asset exactly once across both runs
        assert len(deployed) == 3
        api = next(s for s in second.report.steps_for("deploy") if s.asset == "Orders API")
        assert api.operation_key == first.report.in_flight[0]
        assert "attached" in api.summary


def test_pipeline_with_plain_text_file(tmp_path):
    text = """
version: 1
target: QA
assets: [Orders API]
stages:
  build: {}
  deploy: {}
"""
    with simulated(tmp_path) as sim:
        run = sim.run(pipeline_file(tmp_path, text))
        assert run.report.exit_code == 0, run.report.error
        assert [d["revision"] for d in sim.deploys()] == [12]
