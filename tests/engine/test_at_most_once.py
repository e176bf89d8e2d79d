"""At most one build and one deploy per asset, whatever happens to a start POST's answer.

Reproduces issue 10's finding 2 with the simulator's own faults: a start POST whose answer
arrives after the client's read timeout (``slow-response`` on the POST), or never arrives
(``drop-connection``). The client looks the operation up for a grace window longer than the
read timeout; found, it carries on; never found, that asset stops with a message naming it
and the unknown outcome — nothing is sent a second time. Counts come from the simulator's
state, not from what the engine believes it did.
"""

from __future__ import annotations

from .e2e import EXAMPLES, simulated

RELEASE = EXAMPLES / "multi-asset-release.yml"
APPS = {"Orders API": 1, "Orders Portal": 1, "Orders Backoffice": 1}
SCALE = 0.01  # real seconds per clock second: wide margins for a loaded machine
READ_TIMEOUT = {"read_timeout": 0.2}  # real seconds: 20 s of this clock; grace ends 60 s later
LATE = 40  # clock seconds: answered after the read timeout, recorded well inside the grace window
TOO_LATE = 300  # clock seconds: recorded long after the grace window


def test_deploy_answer_later_than_the_read_timeout_but_within_the_grace_window_deploys_once(tmp_path):
    with simulated(tmp_path, scale=SCALE) as sim:
        sim.simulator.faults.add(
            "slow-response", seconds=LATE, times=1, path="/deployment-operations", method="POST"
        )
        run = sim.run(RELEASE, settings=READ_TIMEOUT)
        assert run.report.exit_code == 0, run.report.error
        assert sim.started() == APPS
        posts = sim.requests(method="POST", contains="/deployment-operations")
        assert len(posts) == 3  # the slow one was looked up, not sent again
        assert run.report.in_flight == ()


def test_deploy_answer_after_the_grace_window_stops_that_asset_and_never_deploys_twice(tmp_path):
    with simulated(tmp_path, scale=SCALE) as sim:
        sim.simulator.faults.add(
            "slow-response", seconds=TOO_LATE, times=1, path="/deployment-operations", method="POST"
        )
        run = sim.run(RELEASE, settings=READ_TIMEOUT)
        assert run.report.exit_code == 1
        assert "Orders API" in run.report.error
        assert "outcome unknown" in run.report.error
        assert "not sent again" in run.report.error
        deploy_steps = {s.asset: s for s in run.report.steps if s.stage == "deploy"}
        assert deploy_steps["Orders API"].status == "failed"
        assert "outcome unknown" in deploy_steps["Orders API"].summary
        assert sim.started() == {}  # the slow server has not recorded it yet; the client sent nothing more
        sim.wait_until(lambda: sim.started() == {"Orders API": 1})  # the one POST lands late
        assert len(sim.requests(method="POST", contains="/deployment-operations")) == 1

        again = sim.run(RELEASE)  # attaches to (or finds done) the late deploy; deploys the others once
        assert again.report.exit_code == 0, again.report.error
        assert sim.started() == APPS


def test_build_answer_after_the_grace_window_never_builds_twice(tmp_path):
    with simulated(tmp_path, scale=SCALE) as sim:
        sim.simulator.faults.add(
            "slow-response", seconds=TOO_LATE, times=1, path="/build-operations", method="POST"
        )
        run = sim.run(RELEASE, settings=READ_TIMEOUT)
        assert run.report.exit_code == 1
        assert "Orders Backoffice" in run.report.error
        assert "outcome unknown" in run.report.error
        assert sim.started() == {}  # nothing deployed after the unknown build
        sim.wait_until(lambda: sim.builds_started() == {"Orders Backoffice": 1})
        again = sim.run(RELEASE)
        assert again.report.exit_code == 0, again.report.error
        assert sim.builds_started() == {"Orders Backoffice": 1}  # the re-run used the late build
        assert sim.started() == APPS


def test_build_answer_within_the_grace_window_builds_once(tmp_path):
    with simulated(tmp_path, scale=SCALE) as sim:
        sim.simulator.faults.add(
            "slow-response", seconds=LATE, times=1, path="/build-operations", method="POST"
        )
        run = sim.run(RELEASE, settings=READ_TIMEOUT)
        assert run.report.exit_code == 0, run.report.error
        assert sim.builds_started() == {"Orders Backoffice": 1}
        assert sim.started() == APPS


def test_dropped_deploy_post_is_looked_up_not_resent_and_the_rerun_deploys_each_app_once(tmp_path):
    with simulated(tmp_path) as sim:
        sim.simulator.faults.add("drop-connection", path="/deployment-operations", method="POST", times=1)
        run = sim.run(RELEASE)
        assert run.report.exit_code == 1
        assert "Orders API" in run.report.error
        assert "outcome unknown" in run.report.error
        dropped = [e for e in sim.statuses(0) if "/deployment-operations" in e.path]
        assert len(dropped) == 1
        assert len(sim.requests(method="POST", contains="/deployment-operations")) == 1
        lookups = sim.requests(method="GET", contains="/deployment-operations")
        assert len(lookups) >= 10  # looked up for the whole grace window
        again = sim.run(RELEASE)
        assert again.report.exit_code == 0, again.report.error
        assert sim.started() == APPS


def test_dropped_build_post_is_not_resent(tmp_path):
    with simulated(tmp_path) as sim:
        sim.simulator.faults.add("drop-connection", path="/build-operations", method="POST", times=1)
        run = sim.run(RELEASE)
        assert run.report.exit_code == 1
        assert "Orders Backoffice" in run.report.error
        assert len(sim.requests(method="POST", contains="/build-operations")) == 1
        assert sim.builds_started() == {}
        assert sim.started() == {}
