"""SIGINT / SIGTERM during a real run: stop new work, list what runs in ODC, exit 130.

The signal is delivered to this process while ``execute`` (the ``run`` command's body) runs in
the main thread, exactly as a CI runner cancelling the job would do it.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from odc_pipeline.engine.command import execute
from odc_pipeline.engine.options import RunOptions, spec_from_pipeline
from odc_pipeline.pipeline_file import load_pipeline
from odc_pipeline.report import StepStatus

from .e2e import example_variant, simulated
from .fakes import RecordingReporter


def _slow(data):
    data["durations"]["deployment"] = 1500  # still running when the signal arrives


def _signal_when_deploying(sim, signum: int) -> threading.Thread:
    def watch() -> None:
        deadline = time.monotonic() + 30
        while not sim.deploys() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signum)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_mid_deploy_lists_operations_in_flight_and_patched_values_and_exits_130(tmp_path, signum):
    # Orders API's timeout changes, so its values are PATCHed right before its (slow) deploy.
    pipeline = example_variant(
        tmp_path, "multi-asset-release.yml", {"ServiceTimeoutSeconds: 30": "ServiceTimeoutSeconds: 45"}
    )
    report_file = tmp_path / "report.json"
    with simulated(tmp_path, _slow) as sim:
        spec = spec_from_pipeline(load_pipeline(pipeline, env={}), path=str(pipeline))
        reporter = RecordingReporter()
        watcher = _signal_when_deploying(sim, signum)
        code = execute(
            spec,
            RunOptions(),
            env={},
            overrides={
                "portal_url": sim.simulator.url,
                "client_id": sim.simulator.client_id,
                "client_secret": sim.simulator.client_secret,
            },
            clock=sim.clock,
            report_file=str(report_file),
            reporter=reporter,
        )
        watcher.join(5)
        assert code == 130
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored
        document = json.loads(report_file.read_text())
        assert document["status"] == "cancelled"
        (api_deploy,) = sim.deploys()
        api_key = sim.asset_key("Orders API")
        assert api_deploy["assetKey"] == api_key  # nothing started after the signal
        running = [
            op.key
            for op in sim.simulator.state.deployments.values()
            if op.deployed_by == sim.simulator.client_id
        ]
        assert document["in_flight"] == running
        warnings = reporter.texts("warning")
        assert any(signal.Signals(signum).name in w for w in warnings)
        assert any("still running in ODC" in w and running[0] in w for w in warnings)
        # half-configured, said out loud: API's value was PATCHed and only its running deploy applies it
        assert any(f"applied by deploy {running[0]} when it finishes" in w for w in warnings)
        configure_steps = {s["asset"]: s for s in document["steps"] if s["stage"] == "configure"}
        assert configure_steps["Orders API"]["status"] == StepStatus.CANCELLED
        assert f"applied by deploy {running[0]} when it finishes" in configure_steps["Orders API"]["summary"]
        api_summary = next(a for a in document["assets"] if a["name"] == "Orders API")
        assert api_summary["revision_after"] is None  # unknown while the deploy runs
        assert api_summary["running_operation"] == running[0]
        assert configure_steps["Orders API"]["operation_key"] == running[0]
        assert "configuration not changed" in configure_steps["Orders Portal"]["summary"]
        assert len(sim.patches()) == 1
